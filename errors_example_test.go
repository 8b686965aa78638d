package wxpay_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// SYSTEMERROR asks for the very same request again: here by hand, with
// WithRetry for the calls safe to repeat.
func ExampleError_Resend() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	order := &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/wxpay/notify", TradeType: wxpay.TradeTypeNative, ProductID: "coffee",
	}
	srv.Fail("/pay/unifiedorder", wxpaytest.Fault{ErrCode: wxpay.ErrCodeSystemError, ErrCodeDes: "系统超时"})

	_, err = client.UnifiedOrder(ctx, order)
	var werr *wxpay.Error
	if errors.As(err, &werr) {
		fmt.Println(werr.ErrCode, "resend:", werr.Resend(), "outcome unknown:", werr.OutcomeUnknown())
	}
	if werr != nil && werr.Resend() {
		// The same request: same OutTradeNo, same fields.
		resp, err := client.UnifiedOrder(ctx, order)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("code_url:", resp.CodeURL != "")
	}
	// Output:
	// SYSTEMERROR resend: true outcome unknown: false
	// code_url: true
}

// USERPAYING: the payer is entering a password, so the payment may yet
// happen. Nothing is sent again; the order is queried (PayByCode does all
// of this, and reverses the order if it stays open).
func ExampleError_OutcomeUnknown() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	// The payer's code asks for a password; the payer then pays.
	if err := srv.SetCodeBehavior("134567890123456789", wxpaytest.CodeBehavior{
		ErrCode: "USERPAYING", Then: wxpay.TradeStateSuccess,
	}); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	_, err = client.MicroPay(ctx, &wxpay.MicroPayRequest{
		Body: "一杯咖啡", OutTradeNo: "POS20240501001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7", AuthCode: "134567890123456789",
	})
	var werr *wxpay.Error
	if errors.As(err, &werr) && werr.OutcomeUnknown() {
		fmt.Println(werr.ErrCode, "resend:", werr.Resend(), "outcome unknown:", werr.OutcomeUnknown())
		q, err := client.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "POS20240501001"})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("query:", q.TradeState)
	}
	// Output:
	// USERPAYING resend: false outcome unknown: true
	// query: SUCCESS
}

// WeChat's 签名错误 (it could not verify the request's sign) matches
// ErrSignRefused, and the error says where to look.
func ExampleError_Is() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, "292006250b4c09247ec02edce69f6a2d", // not the merchant's key
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: "20240501001"})
	fmt.Println(errors.Is(err, wxpay.ErrSignRefused))
	fmt.Println(err)
	// Output:
	// true
	// wxpay: return_code FAIL: 签名错误 (WeChat could not verify the sign: check that the API key is the merchant platform's 32-character v2 key, that the sign type is one the endpoint takes, and in sandbox mode that the sandbox key is current; `wxpay verify` shows how a message is signed)
}
