package wxpay_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func ExampleClient_Transfer() {
	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	client := merchantClient(srv)
	ctx := context.Background()

	req := &wxpay.TransferRequest{PartnerTradeNo: "10000098201411111234567890", OpenID: "oxTWIuGaIt6gTKsQRLau2M0yL16E",
		Amount: 10099, Desc: "六月佣金", SpbillCreateIP: "203.0.113.7"}
	// WeChat is busy: the payout may or may not have been made.
	srv.Fail("/mmpaymkttransfers/promotion/transfers", wxpaytest.Fault{ErrCode: "SYSTEMERROR"})
	_, err := client.Transfer(ctx, req)
	var pending *wxpay.TransferPendingError
	if errors.As(err, &pending) {
		fmt.Println("pending: query with", pending.Query)
	}
	// The query says WeChat has no such payout, so the very same request
	// (same PartnerTradeNo) is sent again; sending it twice pays once.
	if _, err := client.TransferInfo(ctx, &wxpay.TransferInfoRequest{PartnerTradeNo: req.PartnerTradeNo}); err != nil {
		var werr *wxpay.Error
		if errors.As(err, &werr) {
			fmt.Println("query:", werr.ErrCode)
		}
	}
	first, err := client.Transfer(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	second, err := client.Transfer(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("paid once:", first.PaymentNo == second.PaymentNo)

	info, err := client.TransferInfo(ctx, &wxpay.TransferInfoRequest{PartnerTradeNo: req.PartnerTradeNo})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Status, info.PaymentAmount, info.Desc)
	// Output:
	// pending: query with TransferInfo
	// query: NOT_FOUND
	// paid once: true
	// SUCCESS 10099 六月佣金
}

func ExampleEncryptBankField() {
	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	client := merchantClient(srv)
	ctx := context.Background()

	key, err := client.RSAPublicKey(ctx) // PKCS#1 PEM; fetch once and keep it
	if err != nil {
		log.Fatal(err)
	}
	bankNo, err := wxpay.EncryptBankField(key, "6222020200112233445")
	if err != nil {
		log.Fatal(err)
	}
	name, err := wxpay.EncryptBankField(key, "王小王")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.PayBank(ctx, &wxpay.PayBankRequest{PartnerTradeNo: "bank20250101001",
		EncBankNo: bankNo, EncTrueName: name, BankCode: "1002", Amount: 50000, Desc: "提现"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accepted:", resp.Amount, "fee:", resp.CmmsAmt)

	srv.SetPayBankStatus("bank20250101001", wxpay.PayBankSuccess)
	q, err := client.PayBankQuery(ctx, &wxpay.PayBankQueryRequest{PartnerTradeNo: "bank20250101001"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(q.Status, q.Amount)
	// Output:
	// accepted: 50000 fee: 100
	// SUCCESS 50000
}
