package wxpaytest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// The service provider's sub-merchants in these tests.
const (
	subA    = "1900000109"
	subB    = "1900000110"
	subAppA = "wx8888888888888888"
)

var subMerchants = wxpaytest.WithSubMerchants(
	wxpaytest.SubMerchant{MchID: subA, AppIDs: []string{subAppA}},
	wxpaytest.SubMerchant{MchID: subB},
)

// forSub returns p with the sub-merchant fields set ("" leaves one out).
func forSub(p wxpay.Params, subMchID, subAppID string) wxpay.Params {
	q := wxpay.Params{}
	for k, v := range p {
		q[k] = v
	}
	setNonEmpty(q, "sub_mch_id", subMchID)
	setNonEmpty(q, "sub_appid", subAppID)
	return q
}

func setNonEmpty(p wxpay.Params, k, v string) {
	if v != "" {
		p[k] = v
	}
}

func TestSubMerchantChecks(t *testing.T) {
	sp := newServer(t, subMerchants)
	direct := newServer(t)
	query := wxpay.Params{"out_trade_no": "SP000404"}
	tests := []struct {
		name      string
		srv       *wxpaytest.Server
		req       wxpay.Params
		returnMsg string
		errCode   string
	}{
		{"sub-merchant", sp, forSub(query, subA, ""), "", "ORDERNOTEXIST"},
		{"sub-merchant and its app", sp, forSub(query, subA, subAppA), "", "ORDERNOTEXIST"},
		{"no sub_mch_id", sp, query, "缺少参数sub_mch_id", ""},
		{"sub_appid alone", sp, forSub(query, "", subAppA), "缺少参数sub_mch_id", ""},
		{"unknown sub-merchant", sp, forSub(query, "1900000999", ""), "", "NOAUTH"},
		{"another's app", sp, forSub(query, subB, subAppA), "", "PARAM_ERROR"},
		{"direct merchant with sub_mch_id", direct, forSub(query, subA, ""), "", "NOAUTH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.srv, tt.srv.Client(), "/pay/orderquery", tt.req, wxpay.SignTypeMD5)
			wantAnswer(t, tt.name, r, tt.returnMsg, tt.errCode)
			if tt.returnMsg != "" {
				return
			}
			// Answers name the sub-merchant the request named.
			if diff := cmp.Diff([]string{tt.req["sub_mch_id"], tt.req["sub_appid"]}, []string{r["sub_mch_id"], r["sub_appid"]}); diff != "" {
				t.Fatalf("echoed sub-merchant (-want +got):\n%s", diff)
			}
		})
	}
	// Bills may leave the sub-merchant out: the provider's whole bill.
	r := call(t, sp, sp.Client(), "/pay/downloadbill", wxpay.Params{"bill_date": "20240501"}, wxpay.SignTypeMD5)
	if r["return_msg"] != "No Bill Exist" {
		t.Fatalf("provider's bill: %v", r)
	}
}

// TestSubMerchantIsolation: a sub-merchant sees only its own orders and
// refunds, and its notifies name it.
func TestSubMerchantIsolation(t *testing.T) {
	m := &merchant{}
	ms := httptestServer(t, m)
	srv := newServer(t, subMerchants, fastNotifies, wxpaytest.WithRefundNotifyURL(ms.URL+"/refund"))
	hc := certClient(t, srv)
	asA := func(p wxpay.Params) wxpay.Params { return forSub(p, subA, subAppA) }
	asB := func(p wxpay.Params) wxpay.Params { return forSub(p, subB, "") }
	do := func(path string, p wxpay.Params) wxpay.Params { return call(t, srv, hc, path, p, wxpay.SignTypeMD5) }

	order := jsapiOrder("SP000001", "1000")
	delete(order, "openid")
	order["sub_openid"] = "oSubPayer1"
	order["notify_url"] = ms.URL + "/pay"
	wantResult(t, "sub_openid without sub_appid", do("/pay/unifiedorder", forSub(order, subA, "")), "PARAM_ERROR")
	wantResult(t, "A's order", do("/pay/unifiedorder", asA(order)), "")
	wantResult(t, "the number under B", do("/pay/unifiedorder", asB(jsapiOrder("SP000001", "1000"))), "OUT_TRADE_NO_USED")
	if err := srv.PayWith("SP000001", wxpaytest.Payment{OpenID: "oProvider1", SubIsSubscribe: true}); err != nil {
		t.Fatal(err)
	}
	waitNotifies(t, srv)

	q := do("/pay/orderquery", asA(wxpay.Params{"out_trade_no": "SP000001"}))
	wantFields(t, "A's query", q, wxpay.Params{
		"trade_state": "SUCCESS", "sub_mch_id": subA, "sub_appid": subAppA, "openid": "oProvider1",
		"sub_openid": "oSubPayer1", "sub_is_subscribe": "Y",
	})
	txn := q["transaction_id"]
	for _, tt := range []struct {
		path, errCode string
		p             wxpay.Params
	}{
		{"/pay/orderquery", "ORDERNOTEXIST", wxpay.Params{"out_trade_no": "SP000001"}},
		{"/pay/orderquery", "ORDERNOTEXIST", wxpay.Params{"transaction_id": txn}},
		{"/pay/closeorder", "ORDERNOTEXIST", wxpay.Params{"out_trade_no": "SP000001"}},
		{"/secapi/pay/refund", "ORDERNOTEXIST", refundReq("SP000001", "SPR00001", 1000, 1)},
		{"/pay/refundquery", "REFUNDNOTEXIST", wxpay.Params{"out_trade_no": "SP000001"}},
	} {
		wantResult(t, "B: "+tt.path, do(tt.path, asB(tt.p)), tt.errCode)
	}

	wantResult(t, "A's refund", do("/secapi/pay/refund", asA(refundReq("SP000001", "SPR00001", 1000, 400))), "")
	wantResult(t, "B's query of A's refund", do("/pay/refundquery", asB(wxpay.Params{"out_refund_no": "SPR00001"})), "REFUNDNOTEXIST")
	wantResult(t, "A's query of its refund", do("/pay/refundquery", asA(wxpay.Params{"out_refund_no": "SPR00001"})), "")
	waitNotifies(t, srv)

	// The notifies name the sub-merchant.
	bodies := m.received()
	if len(bodies) != 2 {
		t.Fatalf("%d notifies, want 2", len(bodies))
	}
	n, _ := wxpay.ParseXML(bodies[0])
	if n["sign"] != refSign(n, apiKey, wxpay.SignTypeMD5) {
		t.Fatal("payment notify sign")
	}
	wantFields(t, "payment notify", n, wxpay.Params{
		"sub_mch_id": subA, "sub_appid": subAppA, "sub_openid": "oSubPayer1", "sub_is_subscribe": "Y", "openid": "oProvider1",
	})
	rn, _ := wxpay.ParseXML(bodies[1])
	wantFields(t, "refund notify", rn, wxpay.Params{"sub_mch_id": subA, "sub_appid": subAppA, "mch_id": mchID})

	// The bills: the sub-merchant's, and the provider's of all.
	day := q["time_end"][:8]
	for _, sub := range []string{subA, ""} {
		_, bill := postRaw(t, hc, srv.URL+"/pay/downloadbill", signed(forSub(wxpay.Params{"bill_date": day}, sub, ""), wxpay.SignTypeMD5).AppendXML(nil))
		if !strings.Contains(string(bill), ",`"+subA+",`") {
			t.Errorf("bill for %q has no row of %s in 特约商户号:\n%s", sub, subA, bill)
		}
	}
	r := do("/pay/downloadbill", asB(wxpay.Params{"bill_date": day}))
	if r["return_msg"] != "No Bill Exist" {
		t.Errorf("B's bill: %v", r)
	}

	// The fund flow: A's account has the payment; the provider's own none.
	flowReq := wxpay.Params{"bill_date": day, "account_type": "Basic"}
	_, flow := postRaw(t, hc, srv.URL+"/pay/downloadfundflow", signed(asA(flowReq), wxpay.SignTypeHMACSHA256).AppendXML(nil))
	if !strings.Contains(string(flow), ",`"+txn+",") {
		t.Errorf("A's fund flow lacks its payment:\n%s", flow)
	}
	r = call(t, srv, hc, "/pay/downloadfundflow", flowReq, wxpay.SignTypeHMACSHA256)
	if r["return_msg"] != "No Bill Exist" {
		t.Errorf("provider's own fund flow: %v", r)
	}
}

// TestSDKSubMerchant: the SDK in service-provider mode: the sub-merchant
// travels with every call, the JSAPI parameters are signed for the
// sub-merchant's app, and the notify handler accepts the notifies of its
// sub-merchant only.
func TestSDKSubMerchant(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, subMerchants, fastNotifies)
	c := newClient(t, srv, wxpay.WithSubMerchant(subAppA, subA), withCert(srv))
	b := &inbox{}
	backend := merchantBackend(t, c, b)

	uo, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "子商户商品", OutTradeNo: "SDKSP001", TotalFee: 1200, SpbillCreateIP: "203.0.113.7",
		NotifyURL: backend + "/pay", TradeType: wxpay.TradeTypeJSAPI, SubOpenID: "oSubPayer2",
	})
	if err != nil {
		t.Fatal(err)
	}
	js, err := c.JSAPIPayParams(uo.PrepayID)
	if err != nil {
		t.Fatal(err)
	}
	if obj := wantPaySign(t, js, apiKey); obj["appId"] != subAppA {
		t.Fatalf("wx.requestPayment object %v: not for the sub-merchant's app", obj)
	}

	if err := srv.Pay("SDKSP001"); err != nil {
		t.Fatal(err)
	}
	waitNotifies(t, srv)
	pays, _ := b.got()
	if len(pays) != 1 {
		t.Fatalf("%d notifies handled", len(pays))
	}
	if diff := cmp.Diff([]string{subA, subAppA, "oSubPayer2", "N"},
		[]string{pays[0].SubMchID, pays[0].SubAppID, pays[0].SubOpenID, pays[0].SubIsSubscribe}); diff != "" {
		t.Fatalf("notify sub-merchant fields (-want +got):\n%s", diff)
	}
	q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "SDKSP001"})
	if err != nil || q.TradeState != wxpay.TradeStateSuccess {
		t.Fatalf("query: %v, %+v", err, q)
	}
	rr, err := c.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: "SDKSP001", OutRefundNo: "SDKSPR01", TotalFee: 1200, RefundFee: 200, NotifyURL: backend + "/refund"})
	if err != nil {
		t.Fatal(err)
	}
	waitNotifies(t, srv)
	if _, refunds := b.got(); len(refunds) != 1 || refunds[0].RefundID != rr.RefundID || refunds[0].SubMchID != subA {
		t.Fatalf("refund notifies handled: %+v", refunds)
	}

	// Sub-merchant B's order, notified to A's handler: refused, retried,
	// never handled.
	cb, err := c.ForSubMerchant("", subB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cb.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "x", OutTradeNo: "SDKSP002", TotalFee: 1, SpbillCreateIP: "127.0.0.1",
		NotifyURL: backend + "/pay", TradeType: wxpay.TradeTypeNative, ProductID: "p",
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "SDKSP002"}); err == nil {
		t.Fatal("A sees B's order")
	}
	before := len(srv.Notifies())
	if err := srv.Pay("SDKSP002"); err != nil {
		t.Fatal(err)
	}
	waitGivenUp(t, srv, "SDKSP002")
	attempts := srv.Notifies()[before:]
	if len(attempts) != 5 { // 1 + fastNotifies' 4 retries
		t.Fatalf("%d attempts for another sub-merchant's notify", len(attempts))
	}
	for _, a := range attempts {
		if a.Acknowledged || a.StatusCode == http.StatusOK || !strings.Contains(string(a.Reply), "FAIL") {
			t.Fatalf("attempt %d: status %d, reply %s", a.Attempt, a.StatusCode, a.Reply)
		}
	}
	if pays, _ := b.got(); len(pays) != 1 {
		t.Fatalf("%d notifies handled, want only A's", len(pays))
	}
}
