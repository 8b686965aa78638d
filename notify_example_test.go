package wxpay_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// failedPayNotify is a genuine notify of a failed payment: signed with the
// merchant's key, result_code FAIL.
func failedPayNotify() string {
	n := wxpay.Params{
		"return_code": "SUCCESS", "result_code": "FAIL", "err_code": "NOTENOUGH", "err_code_des": "余额不足",
		"appid": exAppID, "mch_id": exMchID, "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
		"out_trade_no": "20150806125346", "total_fee": "888", "trade_type": "JSAPI",
	}
	n["sign"], _ = wxpay.Sign(n, exAPIKey, wxpay.SignTypeMD5)
	return string(n.AppendXML(nil))
}

// postNotify posts a notify body to h as WeChat does and prints the reply.
func postNotify(h http.Handler, body string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/wxpay/notify", strings.NewReader(body)))
	fmt.Println(rec.Code, rec.Body.String())
}

// A notify of a failed payment is verified and acknowledged, so that
// WeChat stops sending it, but never passed to the function that marks
// orders paid; the client's logger records it. wxpaytest sends such a
// notify, genuinely signed, for a payment made to fail.
func ExampleClient_PayNotifyHandler_failedPayment() {
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey)
	defer srv.Close()
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // for a reproducible output
			}
			return a
		},
	}))
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	backend := httptest.NewServer(client.PayNotifyHandler(func(ctx context.Context, n *wxpay.PayNotify) error {
		fmt.Println("marking paid:", n.OutTradeNo) // not reached
		return nil
	}))
	defer backend.Close()

	ctx := context.Background()
	if _, err := client.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: backend.URL, TradeType: wxpay.TradeTypeJSAPI, OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}); err != nil {
		log.Fatal(err)
	}
	// The payer's balance does not cover it.
	if err := srv.PayWith("20240501001", wxpaytest.Payment{ErrCode: "NOTENOUGH", ErrCodeDes: "余额不足"}); err != nil {
		log.Fatal(err)
	}
	if err := srv.WaitNotifies(ctx); err != nil {
		log.Fatal(err)
	}
	for _, a := range srv.Notifies() {
		fmt.Println("notify acknowledged:", a.Acknowledged)
	}
	// Output:
	// level=INFO msg="wxpay: payment notify with result_code FAIL acknowledged; fn not called" out_trade_no=20240501001 err_code=NOTENOUGH err_code_des=余额不足
	// notify acknowledged: true
}

func ExampleOnPaymentFailed() {
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey)
	if err != nil {
		log.Fatal(err)
	}
	handler := client.PayNotifyHandler(
		func(ctx context.Context, n *wxpay.PayNotify) error {
			fmt.Println("paid:", n.OutTradeNo)
			return nil
		},
		// To tell the payer, say, or release the stock at once.
		wxpay.OnPaymentFailed(func(ctx context.Context, n *wxpay.PayNotify) error {
			fmt.Println("payment failed:", n.OutTradeNo, n.ErrCode, n.ErrCodeDes)
			return nil // an error makes WeChat send it again, as for a paid one
		}),
	)
	postNotify(handler, failedPayNotify())
	// Output:
	// payment failed: 20150806125346 NOTENOUGH 余额不足
	// 200 <xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>
}
