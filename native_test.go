package wxpay_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestNativeModeOneURL checks the link: its fields, their order, and an
// MD5 sign over the five, whatever the client's sign type.
func TestNativeModeOneURL(t *testing.T) {
	c, err := wxpay.NewClient(psAppID, psMchID, psAPIKey, wxpay.WithSignType(wxpay.SignTypeHMACSHA256),
		wxpay.WithClock(func() time.Time { return time.Unix(1414488825, 0) }), wxpay.WithNonceFunc(func() string { return "Pc3jR8ih7TeCwHPk" }))
	if err != nil {
		t.Fatal(err)
	}
	link, err := c.NativeModeOneURL("商品 1&2")
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := strings.CutPrefix(link, "weixin://wxpay/bizpayurl?")
	if !ok {
		t.Fatalf("link %s", link)
	}
	var names []string
	for _, kv := range strings.Split(rest, "&") {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	if diff := cmp.Diff([]string{"sign", "appid", "mch_id", "product_id", "time_stamp", "nonce_str"}, names); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	q, err := url.ParseQuery(rest)
	if err != nil {
		t.Fatal(err)
	}
	p := wxpay.Params{}
	for k := range q {
		p[k] = q.Get(k)
	}
	want, _ := wxpay.Sign(wxpay.Params{"appid": psAppID, "mch_id": psMchID, "product_id": "商品 1&2", "time_stamp": "1414488825", "nonce_str": "Pc3jR8ih7TeCwHPk"}, psAPIKey, wxpay.SignTypeMD5)
	if p["sign"] != want || p["product_id"] != "商品 1&2" {
		t.Errorf("link %s: sign %s, want %s", link, p["sign"], want)
	}
	for _, id := range []string{"", strings.Repeat("x", 33)} {
		var ve *wxpay.ValidationError
		if _, err := c.NativeModeOneURL(id); !errors.As(err, &ve) {
			t.Errorf("product id %q: %v", id, err)
		}
	}
}

// TestShortURLWire checks that long_url is signed raw and sent
// URL-encoded.
func TestShortURLWire(t *testing.T) {
	srv, c := psServer(t, nil)
	long := "weixin://wxpay/bizpayurl?sign=ABC&appid=wx1&mch_id=1&product_id=p&time_stamp=1&nonce_str=n"
	resp, err := c.ShortURL(context.Background(), &wxpay.ShortURLRequest{LongURL: long})
	if err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "/tools/shorturl")
	if got := r.Params["long_url"]; got != url.QueryEscape(long) {
		t.Errorf("long_url sent as %q, want %q", got, url.QueryEscape(long))
	}
	raw := wxpay.Params{}
	for k, v := range r.Params {
		raw[k] = v
	}
	raw["long_url"] = long
	if want, _ := wxpay.Sign(raw, psAPIKey, wxpay.SignTypeMD5); r.Params["sign"] != want {
		t.Errorf("sign %s, want the sign of the raw long_url %s", r.Params["sign"], want)
	}
	if !strings.HasPrefix(resp.ShortURL, "weixin://wxpay/s/") || r.ClientCert {
		t.Errorf("short url %q, cert %v", resp.ShortURL, r.ClientCert)
	}
}

func nativeCallback(key string, edits wxpay.Params) []byte {
	p := wxpay.Params{"appid": psAppID, "mch_id": psMchID, "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "is_subscribe": "N", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "product_id": "p1"}
	for k, v := range edits {
		if v == "" {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	p["sign"], _ = wxpay.Sign(p, key, wxpay.SignTypeMD5)
	return p.AppendXML(nil)
}

// TestNativeCallbackHandler checks the replies: a signed prepay id, a
// signed FAIL for fn's error, and rejections logged without calling fn.
func TestNativeCallbackHandler(t *testing.T) {
	var logs bytes.Buffer
	c, err := wxpay.NewClient(psAppID, psMchID, psAPIKey, wxpay.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), wxpay.WithSignType(wxpay.SignTypeHMACSHA256))
	if err != nil {
		t.Fatal(err)
	}
	var got *wxpay.NativeCallback
	h := c.NativeCallbackHandler(func(_ context.Context, cb *wxpay.NativeCallback) (string, error) {
		got = cb
		if cb.ProductID == "soldout" {
			return "", errors.New("商品已售完")
		}
		return "wx201410272009395522657a690389285100", nil
	})
	tests := []struct {
		name       string
		method     string
		body       []byte
		status     int
		called     bool
		resultCode string
		want       wxpay.Params // fields the reply must have
	}{
		{"prepay id", "POST", nativeCallback(psAPIKey, nil), 200, true, "SUCCESS", wxpay.Params{"prepay_id": "wx201410272009395522657a690389285100", "appid": psAppID, "mch_id": psMchID}},
		{"fn error", "POST", nativeCallback(psAPIKey, wxpay.Params{"product_id": "soldout"}), 200, true, "FAIL", wxpay.Params{"err_code_des": "商品已售完"}},
		{"wrong key", "POST", nativeCallback("00000000000000000000000000000000", nil), 400, false, "", nil},
		{"other merchant", "POST", nativeCallback(psAPIKey, wxpay.Params{"mch_id": "1900000999"}), 400, false, "", nil},
		{"no product", "POST", nativeCallback(psAPIKey, wxpay.Params{"product_id": ""}), 400, false, "", nil},
		{"GET", "GET", nil, 405, false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, logs = nil, bytes.Buffer{}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, "/native", bytes.NewReader(tt.body)))
			if rec.Code != tt.status || (got != nil) != tt.called {
				t.Fatalf("status %d, fn called %v; want %d, %v: %s", rec.Code, got != nil, tt.status, tt.called, rec.Body)
			}
			reply, err := wxpay.ParseXML(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if tt.resultCode == "" {
				if reply["return_code"] != "FAIL" || !strings.Contains(logs.String(), "native callback rejected") {
					t.Errorf("reply %v, logs %q", reply, logs.String())
				}
				return
			}
			if reply["return_code"] != "SUCCESS" || reply["result_code"] != tt.resultCode {
				t.Errorf("reply %v", reply)
			}
			for k, v := range tt.want {
				if reply[k] != v {
					t.Errorf("reply %s=%q, want %q", k, reply[k], v)
				}
			}
			if _, ok := reply["sign_type"]; ok || len(reply["sign"]) != 32 || wxpay.VerifySign(reply, psAPIKey) != nil {
				t.Errorf("reply not MD5-signed: %v", reply)
			}
		})
	}
}

// TestScanProduct plays the mode-1 flow on wxpaytest: the merchant that
// answers with a prepay id gets its order paid by the scanner.
func TestScanProduct(t *testing.T) {
	var c *wxpay.Client
	orders := 0
	merchant := httptest.NewServer(http.NotFoundHandler())
	defer merchant.Close()
	srv, c := psServer(t, []wxpaytest.Option{wxpaytest.WithNativeCallbackURL(merchant.URL)})
	merchant.Config.Handler = c.NativeCallbackHandler(func(ctx context.Context, cb *wxpay.NativeCallback) (string, error) {
		if cb.ProductID == "none" {
			return "", errors.New("无此商品")
		}
		orders++
		o, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "g", OutTradeNo: "scan00" + string(rune('0'+orders)), TotalFee: 10,
			SpbillCreateIP: "203.0.113.7", NotifyURL: "https://shop.example.com/notify", TradeType: wxpay.TradeTypeNative, ProductID: cb.ProductID})
		if err != nil {
			return "", err
		}
		return o.PrepayID, nil
	})
	ctx := context.Background()
	res, err := srv.ScanProduct(ctx, "p1", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.ResultCode != "SUCCESS" || res.OutTradeNo != "scan001" || res.OpenID == "" {
		t.Fatalf("scan %+v", res)
	}
	if err := srv.PayWith(res.OutTradeNo, wxpaytest.Payment{SkipNotify: true}); err != nil {
		t.Fatal(err)
	}
	q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: res.OutTradeNo})
	if err != nil || q.TradeState != wxpay.TradeStateSuccess || q.OpenID != res.OpenID {
		t.Errorf("paid order %+v, %v", q, err)
	}
	res, err = srv.ScanProduct(ctx, "none", "")
	if err != nil || res.ResultCode != "FAIL" || res.ErrCodeDes != "无此商品" {
		t.Errorf("FAIL reply: %+v, %v", res, err)
	}
	n := srv.Notifies()
	if len(n) != 2 || n[0].Kind != wxpaytest.NativeCallback || !n[0].Acknowledged {
		t.Errorf("notifies %+v", n)
	}

	// A merchant with another key is caught.
	other, _ := wxpay.NewClient(psAppID, psMchID, "00000000000000000000000000000000")
	merchant.Config.Handler = other.NativeCallbackHandler(func(context.Context, *wxpay.NativeCallback) (string, error) { return "wx1", nil })
	if _, err := srv.ScanProduct(ctx, "p1", ""); err == nil {
		t.Error("a callback the merchant rejected was reported as answered")
	}
}
