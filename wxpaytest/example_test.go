package wxpaytest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// A merchant backend tested end to end: the SDK client talks to the
// server over HTTPS, and the server delivers the signed payment notify to
// the backend's handler.
func Example() {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	c, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}

	// The backend's notify endpoint.
	paid := make(chan *wxpay.PayNotify, 1)
	backend := httptest.NewServer(c.PayNotifyHandler(func(_ context.Context, n *wxpay.PayNotify) error {
		paid <- n
		return nil
	}))
	defer backend.Close()

	ctx := context.Background()
	_, err = c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: backend.URL, TradeType: wxpay.TradeTypeJSAPI, OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	})
	if err != nil {
		panic(err)
	}

	// The payer pays; WeChat notifies the backend.
	if err := srv.Pay("20240501001"); err != nil {
		panic(err)
	}
	n := <-paid
	fmt.Println("notify:", n.OutTradeNo, n.TotalFee, n.ResultCode)

	q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "20240501001"})
	if err != nil {
		panic(err)
	}
	fmt.Println("query:", q.TradeState, q.TransactionID == n.TransactionID)
	// Output:
	// notify: 20240501001 2500 SUCCESS
	// query: SUCCESS true
}

// Faults are queued per path and used one per request.
func ExampleServer_Fail() {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	c, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}
	srv.Fail("/pay/orderquery",
		wxpaytest.Fault{ErrCode: "SYSTEMERROR", ErrCodeDes: "System Error"},
		wxpaytest.Fault{StatusCode: 502},
		wxpaytest.Fault{BadSign: true},
	)
	for range 4 {
		_, err := c.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: "20240501404"})
		var apiErr *wxpay.Error
		var httpErr *wxpay.HTTPError
		switch {
		case errors.As(err, &apiErr):
			fmt.Println(apiErr.ErrCode, "retryable:", apiErr.Retryable())
		case errors.As(err, &httpErr):
			fmt.Println("HTTP", httpErr.StatusCode)
		case errors.Is(err, wxpay.ErrInvalidSign):
			fmt.Println("invalid sign")
		}
	}
	// Output:
	// SYSTEMERROR retryable: true
	// HTTP 502
	// invalid sign
	// ORDERNOTEXIST retryable: false
}

// A forged "paid" notify for an order nobody paid: the SDK's handler
// must refuse it.
func ExampleServer_SendForgedNotify() {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	c, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	if err != nil {
		panic(err)
	}
	called := false
	backend := httptest.NewServer(c.PayNotifyHandler(func(context.Context, *wxpay.PayNotify) error {
		called = true
		return nil
	}))
	defer backend.Close()

	a, err := srv.SendForgedNotify(context.Background(), wxpaytest.ForgedSign, backend.URL, "20240501002")
	if err != nil {
		panic(err)
	}
	fmt.Println("status:", a.StatusCode, "acknowledged:", a.Acknowledged, "callback called:", called)
	// Output:
	// status: 400 acknowledged: false callback called: false
}

// With WithManualRefunds a refund stays PROCESSING until the test settles
// it; its notify then comes encrypted, as from WeChat.
func ExampleServer_CompleteRefund() {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d", wxpaytest.WithManualRefunds())
	defer srv.Close()
	c, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithCertPEM(srv.MerchantCertPEM()))
	if err != nil {
		panic(err)
	}
	refunded := make(chan *wxpay.RefundNotify, 1)
	backend := httptest.NewServer(c.RefundNotifyHandler(func(_ context.Context, n *wxpay.RefundNotify) error {
		refunded <- n
		return nil
	}))
	defer backend.Close()

	ctx := context.Background()
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501003", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/notify", TradeType: wxpay.TradeTypeAPP,
	}); err != nil {
		panic(err)
	}
	if err := srv.PayWith("20240501003", wxpaytest.Payment{SkipNotify: true}); err != nil {
		panic(err)
	}
	if _, err := c.Refund(ctx, &wxpay.RefundRequest{
		OutTradeNo: "20240501003", OutRefundNo: "R20240501003", TotalFee: 2500, RefundFee: 500, NotifyURL: backend.URL,
	}); err != nil {
		panic(err)
	}
	q, err := c.RefundQuery(ctx, &wxpay.RefundQueryRequest{OutRefundNo: "R20240501003"})
	if err != nil {
		panic(err)
	}
	fmt.Println("before:", q.Refunds[0].RefundStatus)

	if err := srv.CompleteRefund("R20240501003"); err != nil {
		panic(err)
	}
	n := <-refunded
	fmt.Println("notify:", n.OutRefundNo, n.RefundFee, n.RefundStatus)
	// Output:
	// before: PROCESSING
	// notify: R20240501003 500 SUCCESS
}

// A payment code whose payer has to enter a password: the SDK's
// PayByCode polls the order until the payer is done.
func ExampleServer_SetCodeBehavior() {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	c, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithCertPEM(srv.MerchantCertPEM()))
	if err != nil {
		panic(err)
	}
	// micropay answers USERPAYING; the first order query still does, the
	// second finds the order paid.
	if err := srv.SetCodeBehavior("134567890123456789", wxpaytest.CodeBehavior{
		ErrCode: "USERPAYING", Then: wxpay.TradeStateSuccess, AfterQueries: 1,
	}); err != nil {
		panic(err)
	}
	// WeChat's schedule is a query every 5 seconds; this one does not wait.
	policy := wxpay.CodePayPolicy{Poll: make([]time.Duration, 6)}
	resp, err := c.PayByCode(context.Background(), &wxpay.MicroPayRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501004", TotalFee: 2500, SpbillCreateIP: "10.0.0.8", AuthCode: "134567890123456789",
	}, policy)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.TradeType, resp.TradeState, resp.TotalFee)
	for _, r := range srv.Requests() {
		// err_code for micropay, trade_state for the queries
		fmt.Println(r.Path, r.ResponseParams["err_code"]+r.ResponseParams["trade_state"])
	}
	// Output:
	// MICROPAY SUCCESS 2500
	// /pay/micropay USERPAYING
	// /pay/orderquery USERPAYING
	// /pay/orderquery SUCCESS
}

// The sandbox: the client fetches the sandbox key once and signs with it;
// the server serves both sandbox prefixes.
func ExampleWithSandbox() {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d", wxpaytest.WithSandbox())
	defer srv.Close()
	c, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithSandbox(wxpay.SandboxXDC))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, no := range []string{"20240501005", "20240501006"} {
		if _, err := c.MicroPay(ctx, &wxpay.MicroPayRequest{
			Body: "一杯咖啡", OutTradeNo: no, TotalFee: 101, SpbillCreateIP: "10.0.0.8", AuthCode: "13456789012345678" + no[10:],
		}); err != nil {
			panic(err)
		}
	}
	for _, r := range srv.Requests() {
		fmt.Println(r.Path)
	}
	// Output:
	// /xdc/apiv2getsignkey/sign/getsignkey
	// /xdc/apiv2sandbox/pay/micropay
	// /xdc/apiv2sandbox/pay/micropay
}

// A service provider's client for one sub-merchant: the order carries the
// sub-merchant, the mini program's pay parameters are the sub-merchant
// app's, and the notify names the sub-merchant.
func ExampleWithSubMerchants() {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		wxpaytest.WithSubMerchants(wxpaytest.SubMerchant{MchID: "1900000109", AppIDs: []string{"wx8888888888888888"}}))
	defer srv.Close()
	c, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithSubMerchant("wx8888888888888888", "1900000109"))
	if err != nil {
		panic(err)
	}
	paid := make(chan *wxpay.PayNotify, 1)
	backend := httptest.NewServer(c.PayNotifyHandler(func(_ context.Context, n *wxpay.PayNotify) error {
		paid <- n
		return nil
	}))
	defer backend.Close()

	uo, err := c.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501007", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: backend.URL, TradeType: wxpay.TradeTypeJSAPI, SubOpenID: "oSubUser01",
	})
	if err != nil {
		panic(err)
	}
	js, err := c.JSAPIPayParams(uo.PrepayID)
	if err != nil {
		panic(err)
	}
	fmt.Println("appId:", js.AppID)
	if err := srv.Pay("20240501007"); err != nil {
		panic(err)
	}
	n := <-paid
	fmt.Println("notify:", n.SubMchID, n.SubAppID, n.SubOpenID)
	// Output:
	// appId: wx8888888888888888
	// notify: 1900000109 wx8888888888888888 oSubUser01
}
