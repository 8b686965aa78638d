package wxpay_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// The merchant of the examples: the app id, merchant id and API key of
// WeChat's documentation.
const (
	exAppID  = "wxd930ea5d5a258f4f"
	exMchID  = "10000100"
	exAPIKey = "192006250b4c09247ec02edce69f6a2d"
)

func ExampleNewClient() {
	// A fake WeChat Pay for this example; in production leave out
	// WithBaseURL and WithHTTPClient, and load the certificate with
	// WithCertFiles("apiclient_cert.pem", "apiclient_key.pem").
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()

	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithCertPEM(srv.MerchantCertPEM()), // for refunds, reversals and the fund flow
	)
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: "20240501001"})
	var werr *wxpay.Error
	if errors.As(err, &werr) {
		fmt.Println(werr.ErrCode) // a verified answer: WeChat knows no such order
	}

	// A key that is not the 32-character v2 API key, here one with a
	// character lost in copying, is refused before any call.
	_, err = wxpay.NewClient(exAppID, exMchID, exAPIKey[:31])
	fmt.Println(err)
	// Output:
	// ORDERNOTEXIST
	// wxpay: NewClient: the API key has 31 characters; a v2 API key has 32 (not the AppSecret, not the APIv3 key)
}

func ExampleSign() {
	// The example of WeChat's signing rule (签名算法).
	p := wxpay.Params{
		"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000",
		"body": "test", "nonce_str": "ibuaiVcKdpRxkhJA",
	}
	md5Sign, err := wxpay.Sign(p, "192006250b4c09247ec02edce69f6a2d", wxpay.SignTypeMD5)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(md5Sign)

	// With HMAC-SHA256 the request must say so: sign_type is signed too.
	p["sign_type"] = string(wxpay.SignTypeHMACSHA256)
	hmacSign, err := wxpay.Sign(p, "192006250b4c09247ec02edce69f6a2d", wxpay.SignTypeHMACSHA256)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hmacSign)
	// Output:
	// 9A0A8659F005D6984697E2CA0A9CF3B7
	// 2C9DF1156522C0B2B03B4DBF3BCA5CACB602CBD5CA0F9E112458CF3E9855303B
}

func ExampleVerifySign() {
	// A message as received: every field, the sign included.
	msg := wxpay.Params{
		"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": "wxd930ea5d5a258f4f", "mch_id": "10000100",
		"nonce_str": "ibuaiVcKdpRxkhJA", "out_trade_no": "20150806125346", "total_fee": "888",
	}
	msg["sign"], _ = wxpay.Sign(msg, "192006250b4c09247ec02edce69f6a2d", wxpay.SignTypeMD5)

	fmt.Println(wxpay.VerifySign(msg, "192006250b4c09247ec02edce69f6a2d"))

	msg["total_fee"] = "1" // changed on the way
	err := wxpay.VerifySign(msg, "192006250b4c09247ec02edce69f6a2d")
	fmt.Println(errors.Is(err, wxpay.ErrInvalidSign))
	// Output:
	// <nil>
	// true
}

func ExampleClient_ParsePayNotify() {
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	// The body WeChat POSTs to the order's notify_url, signed with the
	// merchant's key.
	notify := wxpay.Params{
		"return_code": "SUCCESS", "result_code": "SUCCESS",
		"appid": exAppID, "mch_id": exMchID, "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
		"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "trade_type": "JSAPI", "bank_type": "CFT",
		"out_trade_no": "20150806125346", "transaction_id": "1004400740201409030005092168",
		"total_fee": "888", "cash_fee": "888", "time_end": "20150806125501",
	}
	notify["sign"], _ = wxpay.Sign(notify, exAPIKey, wxpay.SignTypeMD5)
	body := notify.AppendXML(nil)

	n, err := client.ParsePayNotify(body)
	if err != nil {
		log.Fatal(err) // in a handler: reply FAIL, and WeChat sends it again
	}
	fmt.Println(n.OutTradeNo, n.ResultCode, n.TotalFee, n.TimeEnd)

	// The same notify with its amount changed no longer verifies.
	notify["total_fee"] = "1"
	_, err = client.ParsePayNotify(notify.AppendXML(nil))
	fmt.Println(errors.Is(err, wxpay.ErrInvalidSign))
	// Output:
	// 20150806125346 SUCCESS 888 2015-08-06 12:55:01 +0800 CST
	// true
}

func ExampleClient_PayByCode() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithCertPEM(srv.MerchantCertPEM()), // PayByCode may need Reverse, which needs it
	)
	if err != nil {
		log.Fatal(err)
	}
	// The payer behind the second code has too little money.
	if err := srv.SetCodeBehavior("134567890123456780", wxpaytest.CodeBehavior{ErrCode: "NOTENOUGH"}); err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	for i, code := range []string{"134567890123456789", "134567890123456780"} {
		paid, err := client.PayByCode(ctx, &wxpay.MicroPayRequest{
			Body: "Store 12 · receipt 881", OutTradeNo: fmt.Sprintf("POS881-%d", i), TotalFee: 1250,
			SpbillCreateIP: "203.0.113.7", AuthCode: code,
		}, wxpay.CodePayPolicy{}) // WeChat's schedule: queries every 5s for 30s, then Reverse
		var cpe *wxpay.CodePayError
		switch {
		case err == nil:
			fmt.Println("paid:", paid.OutTradeNo, paid.TotalFee, paid.TradeState)
		case errors.As(err, &cpe) && cpe.Unresolved:
			fmt.Println("unknown: query", cpe.OutTradeNo, "later:", err)
		case errors.As(err, &cpe):
			var werr *wxpay.Error
			if errors.As(err, &werr) {
				fmt.Println("not charged:", cpe.OutTradeNo, werr.ErrCode, "reversed:", cpe.Reversed)
			}
		default:
			fmt.Println("nothing sent:", err)
		}
	}
	// Output:
	// paid: POS881-0 1250 SUCCESS
	// not charged: POS881-1 NOTENOUGH reversed: false
}

func ExampleWithRetry() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		// Up to 3 attempts of the calls WeChat documents as safe to
		// repeat; short waits, for the example.
		wxpay.WithRetry(wxpay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/wxpay/notify", TradeType: wxpay.TradeTypeNative, ProductID: "coffee",
	}); err != nil {
		log.Fatal(err)
	}

	// WeChat answers the next two order queries with SYSTEMERROR and a
	// gateway's 502.
	srv.Fail("/pay/orderquery", wxpaytest.Fault{ErrCode: "SYSTEMERROR"}, wxpaytest.Fault{StatusCode: http.StatusBadGateway})
	q, err := client.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "20240501001"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(q.TradeState)
	for _, r := range srv.Requests()[1:] {
		fmt.Println(r.Path, r.StatusCode, cmp.Or(r.ResponseParams["err_code"], r.ResponseParams["trade_state"], "(a gateway's page)"))
	}
	// Output:
	// NOTPAY
	// /pay/orderquery 200 SYSTEMERROR
	// /pay/orderquery 502 (a gateway's page)
	// /pay/orderquery 200 NOTPAY
}

func ExampleWithSandbox() {
	// A fake of WeChat's sandbox (仿真测试系统).
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey, wxpaytest.WithSandbox())
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey, // the real API key
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithSandbox(wxpay.SandboxXDC),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.MicroPay(ctx, &wxpay.MicroPayRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501005", TotalFee: 101, SpbillCreateIP: "10.0.0.8", AuthCode: "134567890123456789",
	}); err != nil {
		log.Fatal(err)
	}
	if _, err := client.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "20240501005"}); err != nil {
		log.Fatal(err)
	}
	// The sandbox key is fetched once, with the real key, and signs
	// every call after.
	for _, r := range srv.Requests() {
		fmt.Println(r.Path)
	}
	// Output:
	// /xdc/apiv2getsignkey/sign/getsignkey
	// /xdc/apiv2sandbox/pay/micropay
	// /xdc/apiv2sandbox/pay/orderquery
}

// sandboxStandIn plays WeChat's XDC sandbox for ExampleNegativeTest: it
// hands out a sandbox key and answers micropay with the failure case the
// Wechatpay-Negative-Test header names.
func sandboxStandIn() *httptest.Server {
	const sandboxKey = "0123456789abcdef0123456789abcdef"
	return httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var answer wxpay.Params
		if r.URL.Path == "/xdc/apiv2getsignkey/sign/getsignkey" {
			answer = wxpay.Params{"return_code": "SUCCESS", "return_msg": "ok", "mch_id": exMchID, "sandbox_signkey": sandboxKey}
		} else {
			fmt.Println("case asked for:", r.Header.Get("Wechatpay-Negative-Test"))
			answer = wxpay.Params{
				"return_code": "SUCCESS", "result_code": "FAIL", "appid": exAppID, "mch_id": exMchID,
				"nonce_str": "ibuaiVcKdpRxkhJA", "err_code": "USERPAYING", "err_code_des": "需要输入密码",
			}
			answer["sign"], _ = wxpay.Sign(answer, sandboxKey, wxpay.SignTypeMD5)
		}
		w.Write(answer.AppendXML(nil))
	}))
}

func ExampleNegativeTest() {
	srv := sandboxStandIn()
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithSandbox(wxpay.SandboxXDC),
	)
	if err != nil {
		log.Fatal(err)
	}
	// The XDC sandbox answers this call with its case MICROPAY_USERPAYING
	// (the payer must enter a password), to test the cashier's handling of
	// an open payment.
	ctx := wxpay.NegativeTest(context.Background(), "MICROPAY_USERPAYING")
	_, err = client.MicroPay(ctx, &wxpay.MicroPayRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501006", TotalFee: 101, SpbillCreateIP: "10.0.0.8", AuthCode: "134567890123456789",
	})
	var werr *wxpay.Error
	if errors.As(err, &werr) {
		fmt.Println(werr.ErrCode, "outcome unknown:", werr.OutcomeUnknown())
	}
	// Output:
	// case asked for: MICROPAY_USERPAYING
	// USERPAYING outcome unknown: true
}

func ExampleWithSubMerchant() {
	// A service provider (服务商) with one sub-merchant, whose mini program
	// is wx8888888888888888.
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey,
		wxpaytest.WithSubMerchants(wxpaytest.SubMerchant{MchID: "1900000109", AppIDs: []string{"wx8888888888888888"}}))
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey, // the provider's app, merchant id and key
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithSubMerchant("wx8888888888888888", "1900000109"),
	)
	if err != nil {
		log.Fatal(err)
	}
	order, err := client.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501007", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://provider.example.com/wxpay/notify", TradeType: wxpay.TradeTypeJSAPI,
		SubOpenID: "oSubUser01", // the payer under the sub-merchant's mini program
	})
	if err != nil {
		log.Fatal(err)
	}
	sent := srv.Requests()[0].Params
	fmt.Println("sent:", sent["mch_id"], sent["sub_mch_id"], sent["sub_appid"])

	// The mini program that pays is the sub-merchant's.
	pay, err := client.JSAPIPayParams(order.PrepayID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("appId:", pay.AppID)
	// Output:
	// sent: 10000100 1900000109 wx8888888888888888
	// appId: wx8888888888888888
}

func ExampleClient_ForSubMerchant() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey, wxpaytest.WithSubMerchants(
		wxpaytest.SubMerchant{MchID: "1900000109"},
		wxpaytest.SubMerchant{MchID: "1900000110"},
	))
	defer srv.Close()
	// One provider client, made once...
	provider, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	// ... and one per sub-merchant, derived per request: cheap, sharing
	// the provider's connections.
	shopA, err := provider.ForSubMerchant("", "1900000109")
	if err != nil {
		log.Fatal(err)
	}
	shopB, err := provider.ForSubMerchant("", "1900000110")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := shopA.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "A-20240501001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://provider.example.com/wxpay/notify", TradeType: wxpay.TradeTypeNative, ProductID: "coffee",
	}); err != nil {
		log.Fatal(err)
	}
	q, err := shopA.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "A-20240501001"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("A", q.TradeState)
	// Each sub-merchant sees only its own orders.
	_, err = shopB.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "A-20240501001"})
	var werr *wxpay.Error
	if errors.As(err, &werr) {
		fmt.Println("B", werr.ErrCode)
	}
	// Output:
	// A NOTPAY
	// B ORDERNOTEXIST
}

// reportStandIn plays WeChat for ExampleClient_Call: it checks the
// request's sign, prints the fields it got, and answers /payitil/report as
// WeChat does, without a sign.
func reportStandIn() *httptest.Server {
	return httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, wxpay.MaxBodySize))
		var req wxpay.Params
		if err == nil {
			req, err = wxpay.ParseXML(body)
		}
		if err == nil {
			err = wxpay.VerifySign(req, exAPIKey)
		}
		fmt.Println(r.URL.Path, "signed:", err == nil, "appid:", req["appid"], "sign_type:", req["sign_type"], "nonce_str:", len(req["nonce_str"]))
		w.Write([]byte("<xml><return_code><![CDATA[SUCCESS]]></return_code><result_code><![CDATA[SUCCESS]]></result_code></xml>"))
	}))
}

func ExampleClient_Call() {
	srv := reportStandIn()
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	// 交易保障 (transaction assurance): report how long a call took. The
	// package has no typed method for it; Call adds appid, mch_id,
	// nonce_str, sign_type and sign, and checks the answer.
	answer, err := client.Call(context.Background(), "/payitil/report", wxpay.Params{
		"interface_url": "https://api.mch.weixin.qq.com/pay/unifiedorder",
		"execute_time_": "1000", // [sic], as WeChat names it
		"return_code":   "SUCCESS",
		"result_code":   "SUCCESS",
		"user_ip":       "203.0.113.7",
		"time":          "20240501120000",
	}, wxpay.CallOptions{UnsignedResponse: true}) // WeChat answers report without a sign
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(answer["result_code"])
	// Output:
	// /payitil/report signed: true appid: wxd930ea5d5a258f4f sign_type: MD5 nonce_str: 32
	// SUCCESS
}

func ExampleParseYuan() {
	for _, s := range []string{"6.00", "0.29", "-0.01", "12", "1.005"} {
		fen, err := wxpay.ParseYuan(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s, "yuan =", fen, "fen")
	}
	// Output:
	// 6.00 yuan = 600 fen
	// 0.29 yuan = 29 fen
	// -0.01 yuan = -1 fen
	// 12 yuan = 1200 fen
	// wxpay: ParseYuan("1.005"): more decimals than the amount's unit can hold
}

func ExampleFormatYuan() {
	for _, fen := range []int64{4800, 29, 5, -1} {
		fmt.Println(fen, "fen =", wxpay.FormatYuan(fen), "yuan")
	}
	// Output:
	// 4800 fen = 48.00 yuan
	// 29 fen = 0.29 yuan
	// 5 fen = 0.05 yuan
	// -1 fen = -0.01 yuan
}

// exampleLogger logs to standard output without the parts that change
// from run to run (the time, how long a call took) and, of the request and
// response fields, shows only sign: enough to see that it is redacted.
func exampleLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch {
			case len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == "elapsed"):
				return slog.Attr{}
			case len(groups) > 0 && a.Key != "sign":
				return slog.Attr{}
			}
			return a
		},
	}))
}

func ExampleWithLogger() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		// Debug logs every call's fields; Warn only failed calls and
		// rejected notifies. Signs are redacted, the key never logged.
		wxpay.WithLogger(exampleLogger(slog.LevelDebug)),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/wxpay/notify", TradeType: wxpay.TradeTypeNative, ProductID: "coffee",
	}); err != nil {
		log.Fatal(err)
	}
	_, _ = client.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "20240501404"}) // no such order: a Warn

	// A notify that is not signed with the merchant's key is refused,
	// and the refusal logged: a wrong key shows here, not only as orders
	// that never get paid.
	handler := client.PayNotifyHandler(func(context.Context, *wxpay.PayNotify) error { return nil })
	forged := wxpay.Params{"return_code": "SUCCESS", "appid": exAppID, "mch_id": exMchID, "sign": "0123456789ABCDEF0123456789ABCDEF"}
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/wxpay/notify", bytes.NewReader(forged.AppendXML(nil))))
	// Output:
	// level=DEBUG msg="wxpay call" path=/pay/unifiedorder attempt=1 request.sign=[REDACTED] response.sign=[REDACTED]
	// level=WARN msg="wxpay call failed" path=/pay/orderquery attempt=1 error="wxpay: ORDERNOTEXIST: order not exist"
	// level=WARN msg="wxpay: pay notify rejected" reason="invalid sign" status=400 remote=192.0.2.1:1234 error="pay notify: wxpay: invalid sign: MD5 sign does not match"
}

func ExampleWithHTTPClient() {
	// A proxy or gateway that answers with a redirect to a login page.
	gateway := httptest.NewTLSServer(http.RedirectHandler("https://login.example.com/", http.StatusFound))
	defer gateway.Close()

	hc := gateway.Client() // trusts the test server's certificate; in production, your own client
	hc.Timeout = 10 * time.Second
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(gateway.URL), wxpay.WithHTTPClient(hc))
	if err != nil {
		log.Fatal(err)
	}
	// A signed request is never sent anywhere but the base URL: the
	// redirect is an *HTTPError, not followed.
	_, err = client.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: "20240501001"})
	var herr *wxpay.HTTPError
	if errors.As(err, &herr) {
		fmt.Println(herr.StatusCode, herr.Location)
	}
	// Output:
	// 302 https://login.example.com/
}

// tracingTransport is a RoundTripper that wraps another, as tracing and
// metrics libraries do: WithHTTPClient cannot add the client certificate
// to it.
type tracingTransport struct{ next http.RoundTripper }

func (t tracingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	fmt.Println("trace:", r.Method, r.URL.Path)
	return t.next.RoundTrip(r)
}

func ExampleWithCertHTTPClient() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()

	// The merchant certificate (apiclient_cert.pem, apiclient_key.pem)
	// and, for the fake server only, its CA.
	cert, err := tls.X509KeyPair(srv.MerchantCertPEM())
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(srv.CACertPEM())
	plain := &http.Client{Timeout: 10 * time.Second, Transport: tracingTransport{&http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
	}}}
	mutualTLS := &http.Client{Timeout: 10 * time.Second, Transport: tracingTransport{&http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}},
	}}}

	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey, wxpay.WithBaseURL(srv.URL),
		wxpay.WithHTTPClient(plain),         // every call...
		wxpay.WithCertHTTPClient(mutualTLS), // ...but those that need the certificate
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501003", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/wxpay/notify", TradeType: wxpay.TradeTypeAPP,
	}); err != nil {
		log.Fatal(err)
	}
	if err := srv.PayWith("20240501003", wxpaytest.Payment{SkipNotify: true}); err != nil {
		log.Fatal(err)
	}
	if _, err := client.Refund(ctx, &wxpay.RefundRequest{
		OutTradeNo: "20240501003", OutRefundNo: "R20240501003", TotalFee: 2500, RefundFee: 500,
	}); err != nil {
		log.Fatal(err)
	}
	for _, r := range srv.Requests() {
		fmt.Println(r.Path, "client certificate:", r.ClientCert)
	}
	// Output:
	// trace: POST /pay/unifiedorder
	// trace: POST /secapi/pay/refund
	// /pay/unifiedorder client certificate: false
	// /secapi/pay/refund client certificate: true
}
