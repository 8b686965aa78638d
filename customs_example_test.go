package wxpay_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func ExampleClient_CustomsDeclare() {
	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	client := merchantClient(srv)
	ctx := context.Background()

	// A paid cross-border order.
	paid, err := client.MicroPay(ctx, &wxpay.MicroPayRequest{Body: "进口奶粉", OutTradeNo: "hk20250101001",
		TotalFee: 25800, SpbillCreateIP: "203.0.113.7", AuthCode: "134567890123456789"})
	if err != nil {
		log.Fatal(err)
	}

	decl, err := client.CustomsDeclare(ctx, &wxpay.CustomsDeclareRequest{
		OutTradeNo: "hk20250101001", TransactionID: paid.TransactionID,
		Customs: wxpay.CustomsGuangzhouZS, MchCustomsNo: "4403169D3W",
		CertType: "IDCARD", CertID: "330821198809085211", Name: "张三",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("declared:", decl.State, decl.CertCheckResult)

	// The customs office decides later; the query follows it.
	srv.SetCustomsState(paid.TransactionID, string(wxpay.CustomsGuangzhouZS), "", wxpay.CustomsFail, "订购人信息不符")
	q, err := client.CustomsDeclareQuery(ctx, &wxpay.CustomsDeclareQueryRequest{TransactionID: paid.TransactionID, Customs: wxpay.CustomsGuangzhouZS})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range q.Records {
		fmt.Println(r.Customs, r.State, r.Explanation, r.OrderFee)
	}

	again, err := client.CustomsRedeclare(ctx, &wxpay.CustomsRedeclareRequest{TransactionID: paid.TransactionID,
		Customs: wxpay.CustomsGuangzhouZS, MchCustomsNo: "4403169D3W"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pushed again:", again.State)
	// Output:
	// declared: SUBMITTED SAME
	// GUANGZHOU_ZS FAIL 订购人信息不符 25800
	// pushed again: SUBMITTED
}
