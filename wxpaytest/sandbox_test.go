package wxpaytest_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// keyRequest is a getsignkey request signed with key and sign type t.
func keyRequest(key string, t wxpay.SignType) wxpay.Params {
	p := wxpay.Params{"mch_id": mchID, "nonce_str": wxpay.NonceStr()}
	if t != wxpay.SignTypeMD5 {
		p["sign_type"] = string(t)
	}
	p["sign"] = refSign(p, key, t)
	return p
}

func TestSandboxKey(t *testing.T) {
	srv := newServer(t, wxpaytest.WithSandbox())
	key := srv.SandboxKey()
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(key) {
		t.Fatalf("sandbox key %q", key)
	}
	another := wxpay.Params{"mch_id": "10000200", "nonce_str": "n"}
	another["sign"] = refSign(another, apiKey, wxpay.SignTypeMD5)
	unsigned := wxpay.Params{"mch_id": mchID, "nonce_str": "n"}
	ok := wxpay.Params{"return_code": "SUCCESS", "return_msg": "ok", "mch_id": mchID, "sandbox_signkey": key}
	tests := []struct {
		name string
		path string
		req  wxpay.Params
		want wxpay.Params
	}{
		{"legacy", "/sandboxnew/pay/getsignkey", keyRequest(apiKey, wxpay.SignTypeMD5), ok},
		{"XDC", "/xdc/apiv2getsignkey/sign/getsignkey", keyRequest(apiKey, wxpay.SignTypeMD5), ok},
		{"signed with the sandbox key", "/sandboxnew/pay/getsignkey", keyRequest(key, wxpay.SignTypeMD5), returnFail("签名错误")},
		{"HMAC", "/sandboxnew/pay/getsignkey", keyRequest(apiKey, wxpay.SignTypeHMACSHA256), returnFail("sign_type参数错误: 沙箱环境只支持MD5签名")},
		{"unsigned", "/sandboxnew/pay/getsignkey", unsigned, returnFail("缺少参数sign")},
		{"another merchant", "/xdc/apiv2getsignkey/sign/getsignkey", another, returnFail("商户号mch_id不存在")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, data := postRaw(t, srv.Client(), srv.URL+tt.path, tt.req.AppendXML(nil))
			got, err := wxpay.ParseXML(data)
			if err != nil || status != http.StatusOK {
				t.Fatalf("status %d, %v: %q", status, err, data)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

// sandboxSigned completes p like signed, but with the sandbox key.
func sandboxSigned(p wxpay.Params, key string, t wxpay.SignType) wxpay.Params {
	q := signed(p, t)
	q["sign"] = refSign(q, key, t)
	return q
}

func TestSandboxPaths(t *testing.T) {
	srv := newServer(t, wxpaytest.WithSandbox())
	key := srv.SandboxKey()
	query := wxpay.Params{"out_trade_no": "SB000404"}
	tests := []struct {
		name      string
		path      string
		req       wxpay.Params
		status    int
		returnMsg string // FAIL, or "" for an answer signed with the sandbox key
		errCode   string
	}{
		{"legacy", "/sandboxnew/pay/orderquery", sandboxSigned(query, key, wxpay.SignTypeMD5), 200, "", "ORDERNOTEXIST"},
		{"XDC", "/xdc/apiv2sandbox/pay/orderquery", sandboxSigned(query, key, wxpay.SignTypeMD5), 200, "", "ORDERNOTEXIST"},
		{"the real key", "/sandboxnew/pay/orderquery", signed(query, wxpay.SignTypeMD5), 200, "签名错误", ""},
		{"HMAC", "/sandboxnew/pay/orderquery", sandboxSigned(query, key, wxpay.SignTypeHMACSHA256), 200, "sign_type参数错误: 沙箱环境只支持MD5签名", ""},
		{"no prefix", "/pay/orderquery", sandboxSigned(query, key, wxpay.SignTypeMD5), 404, "", ""},
		{"unknown sandbox path", "/sandboxnew/pay/nothing", sandboxSigned(query, key, wxpay.SignTypeMD5), 404, "", ""},
		{"XDC key path as API", "/xdc/apiv2sandbox/sign/getsignkey", keyRequest(apiKey, wxpay.SignTypeMD5), 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, data := postRaw(t, srv.Client(), srv.URL+tt.path, tt.req.AppendXML(nil))
			if status != tt.status {
				t.Fatalf("status %d, want %d: %q", status, tt.status, data)
			}
			if status != http.StatusOK {
				return
			}
			r, err := wxpay.ParseXML(data)
			if err != nil {
				t.Fatal(err)
			}
			if want := refSign(r, key, wxpay.SignTypeMD5); tt.returnMsg == "" && r["sign"] != want {
				t.Fatalf("answer not signed with the sandbox key: %v", r)
			}
			wantAnswer(t, tt.name, r, tt.returnMsg, tt.errCode)
		})
	}

	// The refund, under its two sandbox paths, with the certificate.
	hc := certClient(t, srv)
	order := sandboxSigned(jsapiOrder("SB000001", "300"), key, wxpay.SignTypeMD5)
	postRaw(t, hc, srv.URL+"/sandboxnew/pay/unifiedorder", order.AppendXML(nil))
	if err := srv.PayWith("SB000001", wxpaytest.Payment{SkipNotify: true}); err != nil {
		t.Fatal(err)
	}
	for i, path := range []string{"/sandboxnew/secapi/pay/refund", "/sandboxnew/pay/refund", "/xdc/apiv2sandbox/secapi/pay/refund"} {
		req := sandboxSigned(refundReq("SB000001", "SBR0000"+string(rune('1'+i)), 300, 100), key, wxpay.SignTypeMD5)
		_, data := postRaw(t, hc, srv.URL+path, req.AppendXML(nil))
		r, _ := wxpay.ParseXML(data)
		wantResult(t, path, r, "")
	}

	// Faults are queued by API path, whatever the prefix.
	srv.Fail("/pay/orderquery", wxpaytest.Fault{ErrCode: "SYSTEMERROR"})
	_, data := postRaw(t, srv.Client(), srv.URL+"/xdc/apiv2sandbox/pay/orderquery", sandboxSigned(query, key, wxpay.SignTypeMD5).AppendXML(nil))
	if r, _ := wxpay.ParseXML(data); r["err_code"] != "SYSTEMERROR" {
		t.Fatalf("fault not applied under the sandbox prefix: %v", r)
	}
}

func TestNoSandboxWithoutOption(t *testing.T) {
	srv := newServer(t)
	if k := srv.SandboxKey(); k != "" {
		t.Fatalf("SandboxKey %q without WithSandbox", k)
	}
	if k := srv.RotateSandboxKey(); k != "" {
		t.Fatalf("RotateSandboxKey %q without WithSandbox", k)
	}
	for _, path := range []string{"/sandboxnew/pay/getsignkey", "/sandboxnew/pay/orderquery"} {
		if status, _ := postRaw(t, srv.Client(), srv.URL+path, keyRequest(apiKey, wxpay.SignTypeMD5).AppendXML(nil)); status != http.StatusNotFound {
			t.Errorf("%s: status %d", path, status)
		}
	}
}

// TestSDKSandbox: the SDK's sandbox mode against the server, under both
// prefixes: the key is fetched once, and requests, answers, the payment
// notify, the JSAPI parameters and the refund notify all use it.
func TestSDKSandbox(t *testing.T) {
	for _, prefix := range []wxpay.SandboxPrefix{wxpay.SandboxLegacy, wxpay.SandboxXDC} {
		t.Run(string(prefix), func(t *testing.T) {
			ctx := context.Background()
			srv := newServer(t, wxpaytest.WithSandbox(), fastNotifies)
			c := newClient(t, srv, wxpay.WithSandbox(prefix), withCert(srv))
			b := &inbox{}
			backend := merchantBackend(t, c, b)

			uo, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
				Body: "沙箱", OutTradeNo: "SDKSB001", TotalFee: 101, SpbillCreateIP: "127.0.0.1",
				NotifyURL: backend + "/pay", TradeType: wxpay.TradeTypeJSAPI, OpenID: "oSandbox1",
			})
			if err != nil {
				t.Fatal(err)
			}
			js, err := c.JSAPIPayParams(uo.PrepayID)
			if err != nil {
				t.Fatal(err)
			}
			wantPaySign(t, js, srv.SandboxKey())

			if err := srv.Pay("SDKSB001"); err != nil {
				t.Fatal(err)
			}
			waitNotifies(t, srv)
			pays, _ := b.got()
			if len(pays) != 1 || pays[0].TotalFee != 101 {
				t.Fatalf("payment notifies handled: %+v", pays)
			}
			if n := pays[0].Raw; n["sign"] != refSign(n, srv.SandboxKey(), wxpay.SignTypeMD5) {
				t.Fatal("notify not signed with the sandbox key")
			}

			q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "SDKSB001"})
			if err != nil || q.TradeState != wxpay.TradeStateSuccess || q.TotalFee != 101 {
				t.Fatalf("query: %v, %+v", err, q)
			}
			if _, err := c.Refund(ctx, &wxpay.RefundRequest{
				OutTradeNo: "SDKSB001", OutRefundNo: "SDKSBR01", TotalFee: 101, RefundFee: 101, NotifyURL: backend + "/refund",
			}); err != nil {
				t.Fatal(err)
			}
			waitNotifies(t, srv)
			if _, refunds := b.got(); len(refunds) != 1 || refunds[0].RefundFee != 101 {
				t.Fatalf("refund notifies handled: %+v", refunds)
			}

			keyPath := prefix + "/pay/getsignkey"
			if prefix == wxpay.SandboxXDC {
				keyPath = "/xdc/apiv2getsignkey/sign/getsignkey"
			}
			want := []string{string(keyPath), string(prefix) + "/pay/unifiedorder", string(prefix) + "/pay/orderquery", string(prefix) + "/secapi/pay/refund"}
			if diff := cmp.Diff(want, paths(srv)); diff != "" {
				t.Fatalf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSDKSandboxKeyRotation: a client whose sandbox key stopped working
// fetches the new one and goes on.
func TestSDKSandboxKeyRotation(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, wxpaytest.WithSandbox())
	c := newClient(t, srv, wxpay.WithSandbox(wxpay.SandboxLegacy))
	query := &wxpay.OrderQueryRequest{OutTradeNo: "SDKSB404"}
	var we *wxpay.Error
	if _, err := c.OrderQuery(ctx, query); !errors.As(err, &we) || we.ErrCode != "ORDERNOTEXIST" {
		t.Fatalf("first query: %v", err)
	}
	old := srv.SandboxKey()
	if k := srv.RotateSandboxKey(); k == old || k != srv.SandboxKey() {
		t.Fatalf("rotated %q to %q", old, k)
	}
	if _, err := c.OrderQuery(ctx, query); !errors.As(err, &we) || we.ErrCode != "ORDERNOTEXIST" {
		t.Fatalf("query after the rotation: %v", err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, strings.TrimPrefix(r.Path, "/sandboxnew")+" "+r.ResponseParams["return_msg"])
	}
	want := []string{"/pay/getsignkey ok", "/pay/orderquery OK", "/pay/orderquery 签名错误", "/pay/getsignkey ok", "/pay/orderquery OK"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("requests (-want +got):\n%s", diff)
	}

	// HMAC is refused by the client before the server sees it.
	if _, err := wxpay.NewClient(appID, mchID, apiKey, wxpay.WithSandbox(wxpay.SandboxLegacy), wxpay.WithSignType(wxpay.SignTypeHMACSHA256)); err == nil {
		t.Fatal("HMAC sandbox client created")
	}
}
