package wxpay_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func ExampleClient_MicroPay() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	// MicroPay on its own: a nil error means the payer was charged. An
	// error whose outcome is open (USERPAYING, a timeout) must be followed
	// by queries and, failing those, Reverse: PayByCode does that.
	resp, err := client.MicroPay(context.Background(), &wxpay.MicroPayRequest{
		Body: "Store 12 · receipt 881", OutTradeNo: "POS881", TotalFee: 1250,
		SpbillCreateIP: "203.0.113.7", AuthCode: "134567890123456789",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.TradeType, resp.TradeState, resp.TotalFee, resp.TransactionID != "")
	// Output: MICROPAY SUCCESS 1250 true
}

func ExampleClient_Reverse() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithCertPEM(srv.MerchantCertPEM()), // Reverse needs the client certificate
	)
	if err != nil {
		log.Fatal(err)
	}
	// The payer never enters the password.
	if err := srv.SetCodeBehavior("134567890123456789", wxpaytest.CodeBehavior{ErrCode: "USERPAYING"}); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	_, err = client.MicroPay(ctx, &wxpay.MicroPayRequest{
		Body: "Store 12 · receipt 882", OutTradeNo: "POS882", TotalFee: 1250,
		SpbillCreateIP: "203.0.113.7", AuthCode: "134567890123456789",
	})
	fmt.Println(err)

	// The cashier gives up: reverse, again while WeChat answers recall=Y
	// (PayByCode waits between reversals, as DefaultCodePayReverseRetry).
	for range 5 {
		r, err := client.Reverse(ctx, &wxpay.ReverseRequest{OutTradeNo: "POS882"})
		if err != nil {
			log.Fatal(err) // query the order, and try again later
		}
		if !r.Recall {
			break
		}
	}
	q, err := client.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "POS882"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(q.TradeState)
	// Output:
	// wxpay: USERPAYING: 需要用户输入支付密码
	// REVOKED
}

func ExampleClient_AuthCodeToOpenID() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	// Who shows this code? For a membership look-up before charging.
	who, err := client.AuthCodeToOpenID(ctx, &wxpay.AuthCodeToOpenIDRequest{AuthCode: "134567890123456789"})
	if err != nil {
		log.Fatal(err)
	}
	paid, err := client.MicroPay(ctx, &wxpay.MicroPayRequest{
		Body: "Store 12 · receipt 883", OutTradeNo: "POS883", TotalFee: 1250,
		SpbillCreateIP: "203.0.113.7", AuthCode: "134567890123456789",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(who.OpenID != "", who.OpenID == paid.OpenID)
	// Output: true true
}
