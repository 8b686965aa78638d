package wxpay_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/ instead of comparing with them")

// TestUnifiedOrderGolden compares the exact request bytes with
// testdata/unifiedorder/*.xml (go test -run TestUnifiedOrderGolden -update
// rewrites them). The first two are spec Appendix A3 and A2, whose signs
// are known independently.
func TestUnifiedOrderGolden(t *testing.T) {
	full := &wxpay.UnifiedOrderRequest{
		DeviceInfo: "WEB",
		Body:       "Tencent & <QQ> 会员",
		Detail:     `{"goods_detail":[{"goods_id":"iphone6s_16G","goods_name":"a]]>b","quantity":1,"price":528800}]}`,
		Attach:     "深圳分店",
		OutTradeNo: "A-b_c|d*e@f",
		FeeType:    "CNY",
		TotalFee:   1,
		// Given in UTC: sent as Beijing() time, 8 hours later.
		SpbillCreateIP: "2001:db8::1",
		TimeStart:      time.Date(2024, 2, 29, 16, 30, 0, 0, time.UTC),
		TimeExpire:     time.Date(2024, 3, 1, 9, 0, 5, 0, wxpay.Beijing()),
		GoodsTag:       "WXG",
		NotifyURL:      "https://example.com/wxpay/notify",
		TradeType:      wxpay.TradeTypeNative,
		ProductID:      "12235413214070356458058",
		LimitPay:       "no_credit",
		Receipt:        "Y",
		ProfitSharing:  "N",
		SceneInfo:      `{"store_info":{"id":"SZTX001","name":"腾大餐厅","area_code":"440305","address":"科技园中一路腾讯大厦"}}`,
	}
	mweb := &wxpay.UnifiedOrderRequest{
		Body:           "H5 test",
		OutTradeNo:     "H5ORDER001",
		TotalFee:       100,
		SpbillCreateIP: "203.0.113.7",
		NotifyURL:      "http://example.com/notify",
		TradeType:      wxpay.TradeTypeMWeb,
		SceneInfo:      `{"h5_info":{"type":"Wap","wap_url":"https://pay.qq.com","wap_name":"腾讯充值"}}`,
	}
	tests := []struct {
		golden   string
		st       wxpay.SignType
		r        *wxpay.UnifiedOrderRequest
		wantSign string // "" when the spec has no vector for it
		want     *wxpay.UnifiedOrderResponse
	}{
		{"jsapi_md5", wxpay.SignTypeMD5, jsapiOrder(), "C0E837B66E5850517F4D3336CBAA0775",
			&wxpay.UnifiedOrderResponse{TradeType: wxpay.TradeTypeJSAPI, PrepayID: "wx201410272009395522657a690389285100"}},
		{"jsapi_hmac", wxpay.SignTypeHMACSHA256, jsapiOrder(), "01C393F92506BD93544B4E140D4497C682F8BDAEC1EB65461520657C4A5F680A",
			&wxpay.UnifiedOrderResponse{TradeType: wxpay.TradeTypeJSAPI, PrepayID: "wx201410272009395522657a690389285100"}},
		{"native_all_fields", wxpay.SignTypeMD5, full, "",
			&wxpay.UnifiedOrderResponse{DeviceInfo: "WEB", TradeType: wxpay.TradeTypeNative, PrepayID: "wx201410272009395522657a690389285100", CodeURL: "weixin://wxpay/bizpayurl?pr=XXXXX"}},
		{"mweb", wxpay.SignTypeMD5, mweb, "",
			&wxpay.UnifiedOrderResponse{TradeType: wxpay.TradeTypeMWeb, PrepayID: "wx201410272009395522657a690389285100", MWebURL: "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx201410272009395522657a690389285100&package=1037687096"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			f := newFakeWeChat(t, unifiedOrderURL, unifiedOrderAnswer(t, func(p wxpay.Params) {
				if p["trade_type"] == "MWEB" {
					p["mweb_url"] = tt.want.MWebURL
				}
			}))
			got, err := f.client(wxpay.WithSignType(tt.st)).UnifiedOrder(context.Background(), tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreRaw); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
			body := f.raw[0]
			if tt.wantSign != "" && f.reqs[0]["sign"] != tt.wantSign {
				t.Errorf("sign = %s, want the spec's %s", f.reqs[0]["sign"], tt.wantSign)
			}
			compareGolden(t, filepath.Join("testdata", "unifiedorder", tt.golden+".xml"), body)
		})
	}
}

// compareGolden compares got with the file, or writes the file with -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestUnifiedOrderTimesInBeijing(t *testing.T) {
	f := newFakeWeChat(t, unifiedOrderURL, unifiedOrderAnswer(t, nil))
	r := jsapiOrder()
	r.TimeStart = time.Date(2024, 12, 31, 23, 59, 59, 999, time.FixedZone("PST", -8*3600))
	r.TimeExpire = r.TimeStart.Add(2 * time.Hour)
	if _, err := f.client().UnifiedOrder(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	req := f.lastRequest()
	got := [2]string{req["time_start"], req["time_expire"]}
	if want := [2]string{"20250101155959", "20250101175959"}; got != want {
		t.Errorf("time_start, time_expire = %v, want %v", got, want)
	}
}

func TestUnifiedOrderValidation(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(r *wxpay.UnifiedOrderRequest)
		wantField string // "" means valid
	}{
		{"valid", func(*wxpay.UnifiedOrderRequest) {}, ""},
		{"no body", func(r *wxpay.UnifiedOrderRequest) { r.Body = "" }, "body"},
		{"body of 128 characters", func(r *wxpay.UnifiedOrderRequest) { r.Body = strings.Repeat("汉", 128) }, ""},
		{"body of 129 characters", func(r *wxpay.UnifiedOrderRequest) { r.Body = strings.Repeat("汉", 129) }, "body"},
		{"no out_trade_no", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "" }, "out_trade_no"},
		{"out_trade_no of 5", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "12345" }, "out_trade_no"},
		{"out_trade_no of 6", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "123456" }, ""},
		{"out_trade_no of 32", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = strings.Repeat("a", 32) }, ""},
		{"out_trade_no of 33", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = strings.Repeat("a", 33) }, "out_trade_no"},
		{"out_trade_no every allowed symbol", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "aZ09_-|*@" }, ""},
		{"out_trade_no with #", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "order#123" }, "out_trade_no"},
		{"out_trade_no with space", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "order 123" }, "out_trade_no"},
		{"out_trade_no non-ASCII", func(r *wxpay.UnifiedOrderRequest) { r.OutTradeNo = "订单123456" }, "out_trade_no"},
		{"total_fee 0", func(r *wxpay.UnifiedOrderRequest) { r.TotalFee = 0 }, "total_fee"},
		{"total_fee negative", func(r *wxpay.UnifiedOrderRequest) { r.TotalFee = -1 }, "total_fee"},
		{"no spbill_create_ip", func(r *wxpay.UnifiedOrderRequest) { r.SpbillCreateIP = "" }, "spbill_create_ip"},
		{"spbill_create_ip not an IP", func(r *wxpay.UnifiedOrderRequest) { r.SpbillCreateIP = "localhost" }, "spbill_create_ip"},
		{"spbill_create_ip with port", func(r *wxpay.UnifiedOrderRequest) { r.SpbillCreateIP = "1.2.3.4:80" }, "spbill_create_ip"},
		{"spbill_create_ip IPv6", func(r *wxpay.UnifiedOrderRequest) { r.SpbillCreateIP = "2001:db8::68" }, ""},
		{"no notify_url", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "" }, "notify_url"},
		{"notify_url with query", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "https://example.com/notify?order=1" }, "notify_url"},
		{"notify_url with empty query", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "https://example.com/notify?" }, "notify_url"},
		{"notify_url with fragment", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "https://example.com/notify#x" }, "notify_url"},
		{"notify_url relative", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "/wxpay/notify" }, "notify_url"},
		{"notify_url ftp", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "ftp://example.com/notify" }, "notify_url"},
		{"notify_url http with port", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "http://203.0.113.1:8080/notify" }, ""},
		{"notify_url of 257", func(r *wxpay.UnifiedOrderRequest) { r.NotifyURL = "https://example.com/" + strings.Repeat("a", 237) }, "notify_url"},
		{"no trade_type", func(r *wxpay.UnifiedOrderRequest) { r.TradeType = "" }, "trade_type"},
		{"trade_type lower case", func(r *wxpay.UnifiedOrderRequest) { r.TradeType = "jsapi" }, "trade_type"},
		{"trade_type MICROPAY", func(r *wxpay.UnifiedOrderRequest) { r.TradeType = wxpay.TradeTypeMicroPay }, "trade_type"},
		{"JSAPI without openid", func(r *wxpay.UnifiedOrderRequest) { r.OpenID = "" }, "openid"},
		{"NATIVE without product_id", func(r *wxpay.UnifiedOrderRequest) { r.TradeType = wxpay.TradeTypeNative }, "product_id"},
		{"NATIVE with product_id", func(r *wxpay.UnifiedOrderRequest) { r.TradeType, r.ProductID = wxpay.TradeTypeNative, "P1" }, ""},
		{"APP needs nothing more", func(r *wxpay.UnifiedOrderRequest) { r.TradeType, r.OpenID = wxpay.TradeTypeAPP, "" }, ""},
		{"MWEB without scene_info", func(r *wxpay.UnifiedOrderRequest) { r.TradeType = wxpay.TradeTypeMWeb }, "scene_info"},
		{"MWEB scene_info not JSON", func(r *wxpay.UnifiedOrderRequest) { r.TradeType, r.SceneInfo = wxpay.TradeTypeMWeb, "{h5_info:" }, "scene_info"},
		{"detail not JSON", func(r *wxpay.UnifiedOrderRequest) { r.Detail = "iPhone 6s" }, "detail"},
		{"detail of 8192", func(r *wxpay.UnifiedOrderRequest) { r.Detail = `"` + strings.Repeat("x", 8190) + `"` }, ""},
		{"detail of 8193", func(r *wxpay.UnifiedOrderRequest) { r.Detail = `"` + strings.Repeat("x", 8191) + `"` }, "detail"},
		{"device_info of 33", func(r *wxpay.UnifiedOrderRequest) { r.DeviceInfo = strings.Repeat("d", 33) }, "device_info"},
		{"attach of 128", func(r *wxpay.UnifiedOrderRequest) { r.Attach = strings.Repeat("a", 128) }, ""},
		{"attach of 129", func(r *wxpay.UnifiedOrderRequest) { r.Attach = strings.Repeat("a", 129) }, "attach"},
		{"attach with a control character", func(r *wxpay.UnifiedOrderRequest) { r.Attach = "a\x01b" }, "attach"},
		{"attach not UTF-8", func(r *wxpay.UnifiedOrderRequest) { r.Attach = "a\xffb" }, "attach"},
		{"fee_type of 17", func(r *wxpay.UnifiedOrderRequest) { r.FeeType = strings.Repeat("C", 17) }, "fee_type"},
		{"goods_tag of 33", func(r *wxpay.UnifiedOrderRequest) { r.GoodsTag = strings.Repeat("g", 33) }, "goods_tag"},
		{"product_id of 33", func(r *wxpay.UnifiedOrderRequest) { r.ProductID = strings.Repeat("p", 33) }, "product_id"},
		{"limit_pay of 33", func(r *wxpay.UnifiedOrderRequest) { r.LimitPay = strings.Repeat("l", 33) }, "limit_pay"},
		{"openid of 129", func(r *wxpay.UnifiedOrderRequest) { r.OpenID = strings.Repeat("o", 129) }, "openid"},
		{"receipt of 9", func(r *wxpay.UnifiedOrderRequest) { r.Receipt = strings.Repeat("Y", 9) }, "receipt"},
		{"profit_sharing of 17", func(r *wxpay.UnifiedOrderRequest) { r.ProfitSharing = strings.Repeat("Y", 17) }, "profit_sharing"},
		{"scene_info of 257", func(r *wxpay.UnifiedOrderRequest) { r.SceneInfo = `"` + strings.Repeat("s", 255) + `"` }, "scene_info"},
		{"time_expire before time_start", func(r *wxpay.UnifiedOrderRequest) {
			r.TimeStart = time.Date(2024, 1, 1, 12, 0, 0, 0, wxpay.Beijing())
			r.TimeExpire = r.TimeStart.Add(-time.Minute)
		}, "time_expire"},
		{"time_expire alone", func(r *wxpay.UnifiedOrderRequest) { r.TimeExpire = time.Now().Add(time.Hour) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWeChat(t, unifiedOrderURL, unifiedOrderAnswer(t, nil))
			r := jsapiOrder()
			tt.edit(r)
			_, err := f.client().UnifiedOrder(context.Background(), r)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("UnifiedOrder: %v", err)
				}
				return
			}
			var ve *wxpay.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.wantField {
				t.Errorf("error = %v, want a *ValidationError for %s", err, tt.wantField)
			}
			if f.calls() != 0 {
				t.Errorf("an invalid request was sent (%d calls)", f.calls())
			}
		})
	}
	t.Run("nil request", func(t *testing.T) {
		f := newFakeWeChat(t, unifiedOrderURL, unifiedOrderAnswer(t, nil))
		var ve *wxpay.ValidationError
		if _, err := f.client().UnifiedOrder(context.Background(), nil); !errors.As(err, &ve) {
			t.Errorf("error = %v, want a *ValidationError", err)
		}
		if f.calls() != 0 {
			t.Errorf("%d calls, want none", f.calls())
		}
	})
}

func TestUnifiedOrderSubMerchant(t *testing.T) {
	r := jsapiOrder()
	r.OpenID, r.SubOpenID = "", "oSubOpenID0123456789"
	t.Run("sub_openid", func(t *testing.T) {
		f := newFakeWeChat(t, unifiedOrderURL, unifiedOrderAnswer(t, nil))
		if _, err := f.client(wxpay.WithSubMerchant("wx8888888888888888", "1900000109")).UnifiedOrder(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		req := f.lastRequest()
		got := [4]string{req["openid"], req["sub_openid"], req["sub_appid"], req["sub_mch_id"]}
		if want := [4]string{"", "oSubOpenID0123456789", "wx8888888888888888", "1900000109"}; got != want {
			t.Errorf("openid, sub_openid, sub_appid, sub_mch_id = %q, want %q", got, want)
		}
	})
	for name, opts := range map[string][]wxpay.Option{
		"sub_openid without sub-merchant mode": nil,
		"sub_openid without sub_appid":         {wxpay.WithSubMerchant("", "1900000109")},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeWeChat(t, unifiedOrderURL, unifiedOrderAnswer(t, nil))
			_, err := f.client(opts...).UnifiedOrder(context.Background(), r)
			var ve *wxpay.ValidationError
			if !errors.As(err, &ve) || ve.Field != "sub_openid" || f.calls() != 0 {
				t.Errorf("error = %v after %d calls, want a *ValidationError for sub_openid and no call", err, f.calls())
			}
		})
	}
}

// TestUnifiedOrderOmitsEmpty checks that only the fields set are sent:
// an empty field on the wire would still reach WeChat and its logs.
func TestUnifiedOrderOmitsEmpty(t *testing.T) {
	f := newFakeWeChat(t, unifiedOrderURL, unifiedOrderAnswer(t, nil))
	if _, err := f.client().UnifiedOrder(context.Background(), jsapiOrder()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range f.lastRequest() {
		got = append(got, k)
	}
	want := []string{"appid", "body", "mch_id", "nonce_str", "notify_url", "openid", "out_trade_no", "sign", "sign_type", "spbill_create_ip", "total_fee", "trade_type"}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request fields (-want +got):\n%s", diff)
	}
}

// fakeUnifiedOrderServer is a stand-in for WeChat for the examples: it
// checks each request's signature and answers a signed prepay id.
func fakeUnifiedOrderServer(apiKey string) *httptest.Server {
	return httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wxpay.MaxBodySize))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, err := wxpay.ParseXML(body)
		if err == nil {
			err = wxpay.VerifySign(req, apiKey)
		}
		if err != nil {
			w.Write(wxpay.Params{"return_code": "FAIL", "return_msg": err.Error()}.AppendXML(nil))
			return
		}
		resp := wxpay.Params{
			"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS",
			"appid": req["appid"], "mch_id": req["mch_id"], "nonce_str": wxpay.NonceStr(),
			"trade_type": req["trade_type"], "prepay_id": "wx201410272009395522657a690389285100",
		}
		resp["sign"], _ = wxpay.Sign(resp, apiKey, wxpay.SignType(req["sign_type"]))
		w.Write(resp.AppendXML(nil))
	}))
}

func ExampleClient_UnifiedOrder() {
	srv := fakeUnifiedOrderServer("192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()

	client, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL),         // leave out to talk to WeChat
		wxpay.WithHTTPClient(srv.Client()), // trusts the test server's certificate
	)
	if err != nil {
		log.Fatal(err)
	}
	order, err := client.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{
		Body:           "腾讯充值中心-QQ会员充值",
		OutTradeNo:     "20150806125346",
		TotalFee:       888, // fen: 8.88 CNY
		SpbillCreateIP: "123.12.12.123",
		NotifyURL:      "https://example.com/wxpay/notify",
		TradeType:      wxpay.TradeTypeJSAPI,
		OpenID:         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	})
	var werr *wxpay.Error
	switch {
	case errors.As(err, &werr) && werr.Retryable():
		log.Fatal("try again later with the same order: ", err)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(order.PrepayID)
	// Output: wx201410272009395522657a690389285100
}
