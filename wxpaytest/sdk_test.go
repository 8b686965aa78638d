package wxpaytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// The SDK's own calls against the server: both sides must agree on every
// byte for these to pass.

func newClient(t *testing.T, srv *wxpaytest.Server, opts ...wxpay.Option) *wxpay.Client {
	t.Helper()
	c, err := wxpay.NewClient(appID, mchID, apiKey,
		append([]wxpay.Option{wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func withCert(srv *wxpaytest.Server) wxpay.Option { return wxpay.WithCertPEM(srv.MerchantCertPEM()) }

// inbox collects what the merchant's notify handlers were given.
type inbox struct {
	mu      sync.Mutex
	pays    []*wxpay.PayNotify
	refunds []*wxpay.RefundNotify
	failFor int // fail this many calls of the callback first
}

func (b *inbox) pay(_ context.Context, n *wxpay.PayNotify) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failFor > 0 {
		b.failFor--
		return errors.New("database busy")
	}
	b.pays = append(b.pays, n)
	return nil
}

func (b *inbox) refund(_ context.Context, n *wxpay.RefundNotify) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refunds = append(b.refunds, n)
	return nil
}

func (b *inbox) got() ([]*wxpay.PayNotify, []*wxpay.RefundNotify) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*wxpay.PayNotify(nil), b.pays...), append([]*wxpay.RefundNotify(nil), b.refunds...)
}

// merchantBackend serves c's notify handlers on /pay and /refund.
func merchantBackend(t *testing.T, c *wxpay.Client, b *inbox) string {
	mux := http.NewServeMux()
	mux.Handle("/pay", c.PayNotifyHandler(b.pay))
	mux.Handle("/refund", c.RefundNotifyHandler(b.refund))
	return httptestServer(t, mux).URL
}

func TestSDKFlow(t *testing.T) {
	for _, st := range []wxpay.SignType{wxpay.SignTypeMD5, wxpay.SignTypeHMACSHA256} {
		t.Run(string(st), func(t *testing.T) {
			ctx := context.Background()
			srv := newServer(t, fastNotifies)
			c := newClient(t, srv, wxpay.WithSignType(st))
			b := &inbox{}
			backend := merchantBackend(t, c, b)

			uo, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
				Body: "商品 & <礼物>", OutTradeNo: "SDK00001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
				NotifyURL: backend + "/pay", TradeType: wxpay.TradeTypeJSAPI, OpenID: "oUser0001", Attach: "cart=7",
			})
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
				Body: "商品 & <礼物>", OutTradeNo: "SDK00001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
				NotifyURL: backend + "/pay", TradeType: wxpay.TradeTypeJSAPI, OpenID: "oUser0001", Attach: "cart=7",
			})
			if err != nil || again.PrepayID != uo.PrepayID {
				t.Fatalf("identical repeat: %v, prepay %q want %q", err, again.PrepayID, uo.PrepayID)
			}

			js, err := c.JSAPIPayParams(uo.PrepayID)
			if err != nil {
				t.Fatal(err)
			}
			var obj map[string]string
			data, _ := json.Marshal(js)
			if err := json.Unmarshal(data, &obj); err != nil {
				t.Fatal(err)
			}
			if obj["package"] != "prepay_id="+uo.PrepayID || obj["signType"] != string(st) ||
				obj["paySign"] != refSign(wxpay.Params{"appId": obj["appId"], "timeStamp": obj["timeStamp"], "nonceStr": obj["nonceStr"], "package": obj["package"], "signType": obj["signType"]}, apiKey, st) {
				t.Fatalf("wx.requestPayment object %s", data)
			}

			if err := srv.Pay("SDK00001"); err != nil {
				t.Fatal(err)
			}
			waitNotifies(t, srv)
			pays, _ := b.got()
			if len(pays) != 1 {
				t.Fatalf("%d payment notifies handled, want 1", len(pays))
			}
			n := pays[0]
			if n.OutTradeNo != "SDK00001" || n.TotalFee != 2500 || n.CashFee != 2500 || n.OpenID != "oUser0001" ||
				n.Attach != "cart=7" || n.ResultCode != "SUCCESS" || n.TransactionID == "" || n.TimeEnd.IsZero() {
				t.Fatalf("payment notify %+v", n)
			}

			q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "SDK00001"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(
				[]any{wxpay.TradeStateSuccess, n.TransactionID, int64(2500), n.TimeEnd.String(), "oUser0001", "CFT"},
				[]any{q.TradeState, q.TransactionID, q.TotalFee, q.TimeEnd.String(), q.OpenID, q.BankType}); diff != "" {
				t.Fatalf("order query (-want +got):\n%s", diff)
			}

			var apiErr *wxpay.Error
			if _, err := c.CloseOrder(ctx, &wxpay.CloseOrderRequest{OutTradeNo: "SDK00001"}); !errors.As(err, &apiErr) || apiErr.ErrCode != "ORDERPAID" {
				t.Fatalf("closing a paid order: %v", err)
			}

			refundReq := &wxpay.RefundRequest{
				OutTradeNo: "SDK00001", OutRefundNo: "SDKR0001", TotalFee: 2500, RefundFee: 1000,
				RefundDesc: "缺货", NotifyURL: backend + "/refund",
			}
			if _, err := c.Refund(ctx, refundReq); !errors.Is(err, wxpay.ErrNoCertificate) {
				t.Fatalf("refund without certificate: %v", err)
			}
			cc := newClient(t, srv, wxpay.WithSignType(st), withCert(srv))
			rr, err := cc.Refund(ctx, refundReq)
			if err != nil {
				t.Fatal(err)
			}
			if rr.RefundFee != 1000 || rr.CashRefundFee != 1000 || rr.TransactionID != n.TransactionID || rr.RefundID == "" {
				t.Fatalf("refund %+v", rr)
			}
			if rr2, err := cc.Refund(ctx, refundReq); err != nil || rr2.RefundID != rr.RefundID {
				t.Fatalf("repeated refund: %v, %+v", err, rr2)
			}
			waitNotifies(t, srv)
			_, refunds := b.got()
			if len(refunds) != 1 {
				t.Fatalf("%d refund notifies handled, want 1", len(refunds))
			}
			rn := refunds[0]
			if rn.RefundID != rr.RefundID || rn.OutRefundNo != "SDKR0001" || rn.RefundFee != 1000 || rn.TotalFee != 2500 ||
				rn.RefundStatus != wxpay.RefundStatusSuccess || rn.SuccessTime.IsZero() || rn.RefundRequestSource != "API" {
				t.Fatalf("refund notify %+v", rn)
			}

			rq, err := c.RefundQuery(ctx, &wxpay.RefundQueryRequest{OutTradeNo: "SDK00001"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rq.Refunds) != 1 || rq.Refunds[0].RefundStatus != wxpay.RefundStatusSuccess ||
				rq.Refunds[0].RefundFee != 1000 || !rq.Refunds[0].RefundSuccessTime.Equal(rn.SuccessTime) {
				t.Fatalf("refund query %+v", rq)
			}
			q, err = c.OrderQuery(ctx, &wxpay.OrderQueryRequest{TransactionID: n.TransactionID})
			if err != nil || q.TradeState != wxpay.TradeStateRefund {
				t.Fatalf("order query after the refund: %v, %+v", err, q)
			}

			bill, err := c.DownloadBill(ctx, &wxpay.DownloadBillRequest{BillDate: time.Now().In(wxpay.Beijing())})
			if err != nil {
				t.Fatal(err)
			}
			if len(bill.Rows) != 2 || bill.Rows[0].OutTradeNo != "SDK00001" || bill.Rows[0].TotalFee != 2500 ||
				bill.Rows[1].RefundID != rr.RefundID || bill.Rows[1].RequestRefundFee != 1000 {
				t.Fatalf("bill %+v", bill)
			}
			if _, err := c.DownloadBill(ctx, &wxpay.DownloadBillRequest{BillDate: time.Now().AddDate(0, 0, -3), Uncompressed: true}); err == nil {
				t.Fatal("bill of a day without trades: no error")
			}

			// Every request the SDK made was signed with its sign type.
			for _, r := range srv.Requests() {
				if wantType := string(st); r.Params["sign_type"] != wantType {
					t.Errorf("%s sent with sign_type %q", r.Path, r.Params["sign_type"])
				}
			}
		})
	}
}

// TestSDKNotifyRedelivered: a notify the merchant's callback fails is
// answered FAIL by PayNotifyHandler and delivered again; once handled it
// is not.
func TestSDKNotifyRedelivered(t *testing.T) {
	srv := newServer(t, fastNotifies)
	c := newClient(t, srv)
	b := &inbox{failFor: 2}
	backend := merchantBackend(t, c, b)
	uo := &wxpay.UnifiedOrderRequest{
		Body: "x", OutTradeNo: "SDK00002", TotalFee: 1, SpbillCreateIP: "127.0.0.1",
		NotifyURL: backend + "/pay", TradeType: wxpay.TradeTypeNative, ProductID: "p1",
	}
	if _, err := c.UnifiedOrder(context.Background(), uo); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pay("SDK00002"); err != nil {
		t.Fatal(err)
	}
	waitNotifies(t, srv)
	time.Sleep(10 * time.Millisecond)
	attempts := srv.Notifies()
	var acked []bool
	for _, a := range attempts {
		acked = append(acked, a.Acknowledged)
	}
	if diff := cmp.Diff([]bool{false, false, true}, acked); diff != "" {
		t.Fatalf("attempts acknowledged (-want +got):\n%s", diff)
	}
	if pays, _ := b.got(); len(pays) != 1 {
		t.Fatalf("callback succeeded %d times, want 1", len(pays))
	}
}

// TestSDKRejectsForgeries: the SDK's handlers refuse every forgery the
// server can send, and never call the callback.
func TestSDKRejectsForgeries(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv)
	b := &inbox{}
	backend := merchantBackend(t, c, b)
	if _, err := c.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{
		Body: "x", OutTradeNo: "SDK00003", TotalFee: 100, SpbillCreateIP: "127.0.0.1",
		NotifyURL: backend + "/pay", TradeType: wxpay.TradeTypeAPP,
	}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []wxpaytest.Forgery{wxpaytest.ForgedSign, wxpaytest.ForgedUnsigned, wxpaytest.ForgedAmount, wxpaytest.ForgedMerchant} {
		if a, err := srv.SendForgedNotify(context.Background(), f, backend+"/pay", "SDK00003"); err != nil || a.Acknowledged {
			t.Errorf("forgery %d: %v, acknowledged %v: %s", f, err, a.Acknowledged, a.Reply)
		}
	}
	for _, f := range []wxpaytest.Forgery{wxpaytest.ForgedRefundKey, wxpaytest.ForgedRefundGarbage} {
		if a, err := srv.SendForgedNotify(context.Background(), f, backend+"/refund", "SDK00003"); err != nil || a.Acknowledged {
			t.Errorf("forgery %d: %v, acknowledged %v: %s", f, err, a.Acknowledged, a.Reply)
		}
	}
	if pays, refunds := b.got(); len(pays)+len(refunds) != 0 {
		t.Fatalf("callback called for a forgery: %v %v", pays, refunds)
	}
}

func TestSDKErrors(t *testing.T) {
	ctx := context.Background()
	query := &wxpay.OrderQueryRequest{OutTradeNo: "SDK00404"}
	tests := []struct {
		name  string
		fault *wxpaytest.Fault
		key   string
		check func(t *testing.T, err error)
	}{
		{name: "unknown order", check: func(t *testing.T, err error) {
			var e *wxpay.Error
			if !errors.As(err, &e) || e.ErrCode != "ORDERNOTEXIST" || e.Retryable() {
				t.Fatalf("%v", err)
			}
		}},
		{name: "SYSTEMERROR", fault: &wxpaytest.Fault{ErrCode: "SYSTEMERROR"}, check: func(t *testing.T, err error) {
			var e *wxpay.Error
			if !errors.As(err, &e) || e.ErrCode != "SYSTEMERROR" || !e.Retryable() {
				t.Fatalf("%v", err)
			}
		}},
		{name: "bad answer sign", fault: &wxpaytest.Fault{BadSign: true}, check: func(t *testing.T, err error) {
			if !errors.Is(err, wxpay.ErrInvalidSign) {
				t.Fatalf("%v", err)
			}
		}},
		{name: "502", fault: &wxpaytest.Fault{StatusCode: 502}, check: func(t *testing.T, err error) {
			var e *wxpay.HTTPError
			if !errors.As(err, &e) || e.StatusCode != 502 {
				t.Fatalf("%v", err)
			}
		}},
		{name: "malformed", fault: &wxpaytest.Fault{Malformed: true}, check: func(t *testing.T, err error) {
			if !errors.Is(err, wxpay.ErrMalformedXML) {
				t.Fatalf("%v", err)
			}
		}},
		{name: "wrong key", key: "00000000000000000000000000000000", check: func(t *testing.T, err error) {
			var e *wxpay.Error
			if !errors.As(err, &e) || e.ReturnCode != "FAIL" || e.ReturnMsg != "签名错误" {
				t.Fatalf("%v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			if tt.fault != nil {
				srv.Fail("/pay/orderquery", *tt.fault)
			}
			key := apiKey
			if tt.key != "" {
				key = tt.key
			}
			c, err := wxpay.NewClient(appID, mchID, key, wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.OrderQuery(ctx, query)
			tt.check(t, err)
		})
	}
}

// TestSDKRetryIsIdempotent: a unified order whose answer is lost (the
// server processed it) is resent by the client's retry policy with the
// same out_trade_no and gets the same prepay id.
func TestSDKRetryIsIdempotent(t *testing.T) {
	srv := newServer(t)
	srv.Fail("/pay/unifiedorder", wxpaytest.Fault{Hangup: true}, wxpaytest.Fault{ErrCode: "SYSTEMERROR"})
	c := newClient(t, srv, wxpay.WithRetry(wxpay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}))
	uo, err := c.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{
		Body: "x", OutTradeNo: "SDK00004", TotalFee: 100, SpbillCreateIP: "127.0.0.1",
		NotifyURL: "http://127.0.0.1:9/pay", TradeType: wxpay.TradeTypeAPP,
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].ResponseParams["prepay_id"] != uo.PrepayID {
		t.Fatalf("%d requests; first answered %v, client got %q", len(reqs), reqs[0].ResponseParams, uo.PrepayID)
	}
	if reqs[0].Params["nonce_str"] == reqs[2].Params["nonce_str"] || reqs[0].Params["out_trade_no"] != reqs[2].Params["out_trade_no"] {
		t.Fatal("retry did not resend the same order with a fresh nonce")
	}
}

func TestSDKRefundCoupons(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := newClient(t, srv, withCert(srv))
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "x", OutTradeNo: "SDK00005", TotalFee: 1000, SpbillCreateIP: "127.0.0.1",
		NotifyURL: "http://127.0.0.1:9/pay", TradeType: wxpay.TradeTypeAPP,
	}); err != nil {
		t.Fatal(err)
	}
	coupons := []wxpay.Coupon{{Type: "NO_CASH", ID: "cpn1", Fee: 100}, {Type: "CASH", ID: "cpn2", Fee: 100}}
	if err := srv.PayWith("SDK00005", wxpaytest.Payment{Coupons: coupons, SkipNotify: true}); err != nil {
		t.Fatal(err)
	}
	q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "SDK00005"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(coupons, q.Coupons); diff != "" || q.CashFee != 800 || q.CouponFee != 200 || q.SettlementTotalFee != 900 {
		t.Fatalf("order query %+v; coupons (-want +got):\n%s", q, diff)
	}
	for _, no := range []string{"SDKR0051", "SDKR0052"} {
		if _, err := c.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: "SDK00005", OutRefundNo: no, TotalFee: 1000, RefundFee: 500}); err != nil {
			t.Fatal(err)
		}
	}
	rq, err := c.RefundQuery(ctx, &wxpay.RefundQueryRequest{OutTradeNo: "SDK00005", Offset: 0})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]wxpay.CouponRefund
	for _, r := range rq.Refunds {
		got = append(got, r.CouponRefunds)
	}
	want := [][]wxpay.CouponRefund{{{Type: "CASH", ID: "cpn2", Fee: 100}}, {{Type: "NO_CASH", ID: "cpn1", Fee: 100}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("coupon refunds, newest first (-want +got):\n%s", diff)
	}
	var e *wxpay.Error
	_, err = c.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: "SDK00005", OutRefundNo: "SDKR0053", TotalFee: 1000, RefundFee: 1})
	if !errors.As(err, &e) || e.ErrCode != "ERROR" || !strings.Contains(e.ErrCodeDes, "全额退款") {
		t.Fatalf("refund of a fully refunded order: %v", err)
	}
}
