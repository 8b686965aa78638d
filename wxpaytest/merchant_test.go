package wxpaytest_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// A second merchant, for WithMerchant.
const (
	appID2  = "wx2421b1c4370ec43b"
	mchID2  = "10000200"
	apiKey2 = "0123456789abcdef0123456789abcdef"
)

// clientFor is a wxpay client of the merchant m of srv, presenting its
// certificate.
func clientFor(t *testing.T, srv *wxpaytest.Server, m wxpaytest.Merchant) *wxpay.Client {
	t.Helper()
	c, err := wxpay.NewClient(m.AppID, m.MchID, m.APIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithCertPEM(m.CertPEM, m.KeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func subClient(t *testing.T, c *wxpay.Client, sub string) *wxpay.Client {
	t.Helper()
	c, err := c.ForSubMerchant("", sub)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMerchants: with WithMerchant the server answers each merchant with
// its own key, certificate and orders, and notifies each as itself.
func TestMerchants(t *testing.T) {
	m := &merchant{}
	ms := httptestServer(t, m)
	srv := newServer(t, wxpaytest.WithMerchant(appID2, mchID2, apiKey2, wxpaytest.SubMerchant{MchID: "1900000109", AppIDs: []string{"wxsub"}}))

	ms2 := srv.Merchants()
	var got []string
	for _, mm := range ms2 {
		got = append(got, mm.AppID+" "+mm.MchID+" "+mm.APIKey)
		pair, err := tls.X509KeyPair(mm.CertPEM, mm.KeyPEM)
		if err != nil {
			t.Fatalf("%s: %v", mm.MchID, err)
		}
		if pair.Leaf == nil || pair.Leaf.Subject.CommonName != mm.MchID {
			t.Fatalf("%s: certificate %v", mm.MchID, pair.Leaf)
		}
	}
	if diff := cmp.Diff([]string{appID + " " + mchID + " " + apiKey, appID2 + " " + mchID2 + " " + apiKey2}, got); diff != "" {
		t.Fatalf("Merchants (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]wxpaytest.SubMerchant{{MchID: "1900000109", AppIDs: []string{"wxsub"}}}, ms2[1].SubMerchants); diff != "" {
		t.Fatalf("sub-merchants (-want +got):\n%s", diff)
	}
	if certPEM, _ := srv.MerchantCertPEM(); !bytes.Equal(certPEM, ms2[0].CertPEM) {
		t.Fatal("MerchantCertPEM is not the first merchant's")
	}

	ctx := context.Background()
	a, b := clientFor(t, srv, ms2[0]), clientFor(t, srv, ms2[1])
	order := func(c *wxpay.Client, no string, sub string) error {
		if sub != "" {
			c = subClient(t, c, sub)
		}
		_, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
			Body: "x", OutTradeNo: no, TotalFee: 100, SpbillCreateIP: "127.0.0.1",
			NotifyURL: ms.URL + "/notify", TradeType: wxpay.TradeTypeNative, ProductID: "p",
		})
		return err
	}
	if err := order(a, "MA000001", ""); err != nil {
		t.Fatal(err)
	}
	if err := order(b, "MB000001", ""); err == nil {
		t.Fatal("the service provider ordered without a sub_mch_id")
	}
	if err := order(b, "MB000001", "1900000109"); err != nil {
		t.Fatal(err)
	}
	// Each merchant sees only its own orders.
	if _, err := subClient(t, b, "1900000109").OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "MA000001"}); err == nil {
		t.Fatal("B sees A's order")
	}
	if _, err := a.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "MB000001"}); err == nil {
		t.Fatal("A sees B's order")
	}

	// B's notify is B's: its appid and mch_id, signed with its key.
	if err := srv.Pay("MB000001"); err != nil {
		t.Fatal(err)
	}
	waitNotifies(t, srv)
	bodies := m.received()
	if len(bodies) != 1 {
		t.Fatalf("%d notifies", len(bodies))
	}
	n, err := b.ParsePayNotify(bodies[0])
	if err != nil {
		t.Fatalf("B's client refuses B's notify: %v", err)
	}
	if n.OutTradeNo != "MB000001" || n.SubMchID != "1900000109" {
		t.Fatalf("notify %+v", n)
	}
	if _, err := a.ParsePayNotify(bodies[0]); err == nil {
		t.Fatal("A's client accepted B's notify")
	}

	// B refunds over mutual TLS with its own certificate.
	if _, err := subClient(t, b, "1900000109").Refund(ctx, &wxpay.RefundRequest{
		OutTradeNo: "MB000001", OutRefundNo: "MBR1", TotalFee: 100, RefundFee: 40,
	}); err != nil {
		t.Fatal(err)
	}
	waitNotifies(t, srv)
}

// TestNotifyOptions covers the switches of the payment notify: sign_type
// in HMAC notifies with WithNotifySignType (never in MD5 ones), a FAIL
// payment, and a delayed first attempt.
func TestNotifyOptions(t *testing.T) {
	tests := []struct {
		name     string
		opts     []wxpaytest.Option
		signType wxpay.SignType
		pay      wxpaytest.Payment
		want     wxpay.Params // fields the notify must have ("" : must not have)
		state    string
	}{
		{name: "HMAC without the switch", signType: wxpay.SignTypeHMACSHA256, want: wxpay.Params{"sign_type": "", "result_code": "SUCCESS"}, state: "SUCCESS"},
		{name: "HMAC with the switch", opts: []wxpaytest.Option{wxpaytest.WithNotifySignType()}, signType: wxpay.SignTypeHMACSHA256,
			want: wxpay.Params{"sign_type": "HMAC-SHA256", "result_code": "SUCCESS"}, state: "SUCCESS"},
		{name: "MD5 with the switch", opts: []wxpaytest.Option{wxpaytest.WithNotifySignType()}, signType: wxpay.SignTypeMD5,
			want: wxpay.Params{"sign_type": "", "result_code": "SUCCESS"}, state: "SUCCESS"},
		{name: "FAIL payment", signType: wxpay.SignTypeMD5, pay: wxpaytest.Payment{ErrCode: "NOTENOUGH", ErrCodeDes: "余额不足"},
			want: wxpay.Params{"result_code": "FAIL", "err_code": "NOTENOUGH", "err_code_des": "余额不足", "transaction_id": "", "total_fee": "100"}, state: "PAYERROR"},
		{name: "delayed", signType: wxpay.SignTypeMD5, pay: wxpaytest.Payment{NotifyDelay: 80 * time.Millisecond},
			want: wxpay.Params{"result_code": "SUCCESS"}, state: "SUCCESS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &merchant{}
			ms := httptestServer(t, m)
			srv := newServer(t, tt.opts...)
			p := jsapiOrder("O0000001", "100")
			p["notify_url"] = ms.URL + "/notify"
			wantResult(t, "unified order", call(t, srv, srv.Client(), "/pay/unifiedorder", p, tt.signType), "")
			paid := time.Now()
			if err := srv.PayWith("O0000001", tt.pay); err != nil {
				t.Fatal(err)
			}
			waitNotifies(t, srv)
			a := srv.Notifies()
			if len(a) != 1 || !a[0].Acknowledged {
				t.Fatalf("attempts %+v", a)
			}
			if d := a[0].Time.Sub(paid); d < tt.pay.NotifyDelay {
				t.Fatalf("first attempt %v after Pay, want at least %v", d, tt.pay.NotifyDelay)
			}
			n, err := wxpay.ParseXML(a[0].Body)
			if err != nil {
				t.Fatal(err)
			}
			if n["sign"] != refSign(n, apiKey, tt.signType) {
				t.Fatalf("notify sign %s does not verify as %s", n["sign"], tt.signType)
			}
			for k, v := range tt.want {
				if n[k] != v {
					t.Errorf("notify %s = %q, want %q", k, n[k], v)
				}
			}
			q := call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "O0000001"}, tt.signType)
			if q["trade_state"] != tt.state {
				t.Fatalf("trade_state %s, want %s", q["trade_state"], tt.state)
			}
			if tt.state == "PAYERROR" {
				if err := srv.Pay("O0000001"); err != nil {
					t.Fatalf("paying again after a failed payment: %v", err)
				}
			}
		})
	}
}

// TestStopNotifies: a handler that always fails is given up at once by
// StopNotifies, or after the shorter schedule of SetNotifyDelays, and
// WaitNotifies says so, naming the URL and the reply.
func TestStopNotifies(t *testing.T) {
	m := &merchant{reply: func(int) (int, string) { return http.StatusOK, failXML }}
	ms := httptestServer(t, m)
	srv := newServer(t, wxpaytest.WithNotifyDelays(time.Hour))
	payWithNotify(t, srv, "T0000001", ms.URL+"/notify")
	payWithNotify(t, srv, "T0000002", ms.URL+"/notify")
	for deadline := time.Now().Add(5 * time.Second); len(srv.Notifies()) < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no first attempts")
		}
	}
	if n := srv.StopNotifies("T0000001"); n != 1 {
		t.Fatalf("StopNotifies stopped %d, want 1", n)
	}
	if n := srv.StopNotifies("T0000001"); n != 0 {
		t.Fatalf("StopNotifies again stopped %d, want 0", n)
	}
	// The other one: its hour-long wait ends with the new schedule, and
	// after two quick retries it is given up too.
	srv.SetNotifyDelays(time.Millisecond, time.Millisecond)
	ne := waitGivenUp(t, srv, "T0000001", "T0000002")
	if !strings.Contains(ne.Error(), "busy") {
		t.Fatalf("error %q does not show the last reply", ne)
	}
	var attempts []int
	for _, a := range srv.Notifies() {
		if a.OutTradeNo == "T0000002" {
			attempts = append(attempts, a.Attempt)
		}
	}
	if diff := cmp.Diff([]int{1, 2, 3}, attempts); diff != "" {
		t.Fatalf("attempts of the second notify (-want +got):\n%s", diff)
	}
}

// TestWrongRootElement: WeChat reads <xml> documents only, in requests
// and in the merchant's notify replies.
func TestWrongRootElement(t *testing.T) {
	srv := newServer(t)
	body := signed(jsapiOrder("R0000001", "1"), wxpay.SignTypeMD5).AppendXML(nil)
	body = append(append([]byte("<root>"), body[len("<xml>"):len(body)-len("</xml>")]...), "</root>"...)
	r := callBody(t, srv, srv.Client(), "/pay/unifiedorder", body, wxpay.SignTypeMD5)
	if diff := cmp.Diff(returnFail("mch_id参数格式错误"), r); diff != "" {
		t.Fatalf("a <root> request (-want +got):\n%s", diff)
	}

	root := "<root><return_code><![CDATA[SUCCESS]]></return_code></root>"
	m := &merchant{reply: func(n int) (int, string) {
		if n == 1 {
			return http.StatusOK, root
		}
		return http.StatusOK, successXML
	}}
	ms := httptestServer(t, m)
	srv = newServer(t, fastNotifies)
	payWithNotify(t, srv, "R0000002", ms.URL+"/notify")
	waitNotifies(t, srv)
	if a := srv.Notifies(); len(a) != 2 || a[0].Acknowledged || !a[1].Acknowledged {
		t.Fatalf("a <root> SUCCESS reply: attempts %+v, want the first not acknowledged", a)
	}
}

// TestSignTypesAndReset: WithSignTypes refuses the other sign type;
// Reset forgets the orders but keeps the merchant and certificates.
func TestSignTypesAndReset(t *testing.T) {
	srv := newServer(t, wxpaytest.WithSignTypes(wxpay.SignTypeHMACSHA256))
	r := call(t, srv, srv.Client(), "/pay/unifiedorder", jsapiOrder("S0000001", "1"), wxpay.SignTypeMD5)
	if diff := cmp.Diff(returnFail("sign_type参数错误"), r); diff != "" {
		t.Fatalf("MD5 to an HMAC-only server (-want +got):\n%s", diff)
	}
	wantResult(t, "HMAC", call(t, srv, srv.Client(), "/pay/unifiedorder", jsapiOrder("S0000001", "1"), wxpay.SignTypeHMACSHA256), "")
	ca := srv.CACertPEM()
	srv.Reset()
	if len(srv.Requests()) != 0 || len(srv.Notifies()) != 0 {
		t.Fatal("Reset kept the records")
	}
	wantResult(t, "query after Reset", call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "S0000001"}, wxpay.SignTypeHMACSHA256), "ORDERNOTEXIST")
	if !bytes.Equal(ca, srv.CACertPEM()) {
		t.Fatal("Reset changed the CA")
	}
}

// TestListenerAndHostnames: WithListener serves on the listener given,
// and WithHostnames adds names to the certificate.
func TestListenerAndHostnames(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, wxpaytest.WithListener(ln), wxpaytest.WithHostnames("wxpaytest.internal", "10.9.8.7"))
	if srv.URL != "https://"+ln.Addr().String() {
		t.Fatalf("URL %s, want the listener's %s", srv.URL, ln.Addr())
	}
	resp, err := srv.Client().Post(srv.URL+"/pay/orderquery", "text/xml", strings.NewReader("<xml></xml>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	leaf := resp.TLS.PeerCertificates[0]
	for _, name := range []string{"wxpaytest.internal", "10.9.8.7", "127.0.0.1", "api.mch.weixin.qq.com"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate: %v", err)
		}
	}
}

// TestResetDropsDeliveries: after Reset a notify being retried is
// attempted no more, and not reported as given up.
func TestResetDropsDeliveries(t *testing.T) {
	m := &merchant{reply: func(int) (int, string) { return http.StatusOK, failXML }}
	ms := httptestServer(t, m)
	srv := newServer(t, wxpaytest.WithNotifyDelays(20*time.Millisecond, 20*time.Millisecond, 20*time.Millisecond))
	payWithNotify(t, srv, "D0000001", ms.URL+"/notify")
	for deadline := time.Now().Add(5 * time.Second); len(m.received()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no first attempt")
		}
	}
	srv.Reset()
	waitNotifies(t, srv)
	n := len(m.received())
	time.Sleep(100 * time.Millisecond)
	if got := len(m.received()); got != n || n > 2 {
		t.Fatalf("%d attempts after Reset (%d at it): the delivery went on", got, n)
	}
}
