package wxpaytest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestEnvelope covers the checks every path shares, on a query of an
// unknown order: a request that passes them gets ORDERNOTEXIST.
func TestEnvelope(t *testing.T) {
	srv := newServer(t)
	query := wxpay.Params{"out_trade_no": "T0000001"}
	md5Req := signed(query, wxpay.SignTypeMD5)

	withField := func(p wxpay.Params, k, v string) wxpay.Params {
		q := wxpay.Params{}
		for k, v := range p {
			q[k] = v
		}
		if v == "" {
			delete(q, k)
		} else {
			q[k] = v
		}
		return q
	}
	hmacSignNoType := withField(signed(query, wxpay.SignTypeHMACSHA256), "sign_type", "")
	resigned := func(p wxpay.Params, t wxpay.SignType) wxpay.Params {
		p["sign"] = refSign(p, apiKey, t)
		return p
	}

	tests := []struct {
		name      string
		method    string
		body      string
		signType  wxpay.SignType
		returnMsg string // "" means return_code SUCCESS
		errCode   string
	}{
		{name: "MD5", body: string(md5Req.AppendXML(nil)), errCode: "ORDERNOTEXIST"},
		{name: "MD5 declared", body: string(signed(withField(query, "sign_type", "MD5"), wxpay.SignTypeMD5).AppendXML(nil)), errCode: "ORDERNOTEXIST"},
		{name: "HMAC-SHA256", body: string(signed(query, wxpay.SignTypeHMACSHA256).AppendXML(nil)), signType: wxpay.SignTypeHMACSHA256, errCode: "ORDERNOTEXIST"},
		{name: "HMAC sign without sign_type is read as MD5", body: string(hmacSignNoType.AppendXML(nil)), returnMsg: "签名错误"},
		{name: "wrong key", body: string(withField(md5Req, "sign", refSign(md5Req, "another-key", wxpay.SignTypeMD5)).AppendXML(nil)), returnMsg: "签名错误"},
		{name: "field changed after signing", body: string(withField(md5Req, "out_trade_no", "T0000002").AppendXML(nil)), returnMsg: "签名错误"},
		{name: "lower-case sign", body: string(withField(md5Req, "sign", strings.ToLower(md5Req["sign"])).AppendXML(nil)), returnMsg: "签名错误"},
		{name: "no sign", body: string(withField(md5Req, "sign", "").AppendXML(nil)), returnMsg: "缺少参数sign"},
		{name: "no nonce_str", body: string(resigned(withField(md5Req, "nonce_str", ""), wxpay.SignTypeMD5).AppendXML(nil)), returnMsg: "缺少参数nonce_str"},
		{name: "nonce_str too long", body: string(resigned(withField(md5Req, "nonce_str", strings.Repeat("n", 33)), wxpay.SignTypeMD5).AppendXML(nil)), returnMsg: "nonce_str参数长度有误"},
		{name: "unknown sign_type", body: string(resigned(withField(md5Req, "sign_type", "SHA1"), wxpay.SignTypeMD5).AppendXML(nil)), returnMsg: "sign_type参数错误"},
		{name: "another merchant", body: string(resigned(withField(md5Req, "mch_id", "10000200"), wxpay.SignTypeMD5).AppendXML(nil)), returnMsg: "商户号mch_id不存在"},
		{name: "another app", body: string(resigned(withField(md5Req, "appid", "wx1111111111111111"), wxpay.SignTypeMD5).AppendXML(nil)), errCode: "APPID_MCHID_NOT_MATCH"},
		{name: "GET", method: http.MethodGet, returnMsg: "请使用post方法"},
		{name: "empty body", body: "", returnMsg: "post数据为空"},
		{name: "not XML", body: "out_trade_no=T0000001", returnMsg: "XML格式错误"},
		{name: "nested XML", body: "<xml><a><b>1</b></a></xml>", returnMsg: "XML格式错误"},
		{name: "DOCTYPE", body: `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>`, returnMsg: "XML格式错误"},
		{name: "too large", body: "<xml><a>" + strings.Repeat("x", wxpay.MaxBodySize) + "</a></xml>", returnMsg: "请求数据过大"},
		{name: "missing query id", body: string(signed(wxpay.Params{}, wxpay.SignTypeMD5).AppendXML(nil)), returnMsg: "缺少参数transaction_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequest(method, srv.URL+"/pay/orderquery", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			st := tt.signType
			if st == "" {
				st = wxpay.SignTypeMD5
			}
			wantAnswer(t, tt.name, checkAnswer(t, tt.name, data, st), tt.returnMsg, tt.errCode)
		})
	}
}

func TestRequiredFields(t *testing.T) {
	srv := newServer(t)
	hc := certClient(t, srv)
	base := map[string]wxpay.Params{
		"/pay/unifiedorder":  jsapiOrder("T1000001", "100"),
		"/pay/closeorder":    {"out_trade_no": "T1000001"},
		"/secapi/pay/refund": {"out_trade_no": "T1000001", "out_refund_no": "R1", "total_fee": "100", "refund_fee": "1"},
		"/pay/downloadbill":  {"bill_date": "20240101"},
	}
	for path, p := range base {
		for field := range p {
			if field == "openid" || field == "attach" || field == "out_trade_no" && path == "/secapi/pay/refund" {
				continue // conditional or optional
			}
			t.Run(path+" without "+field, func(t *testing.T) {
				q := wxpay.Params{}
				for k, v := range p {
					if k != field {
						q[k] = v
					}
				}
				r := call(t, srv, hc, path, q, wxpay.SignTypeMD5)
				want := wxpay.Params{"return_code": "FAIL", "return_msg": "缺少参数" + field}
				if path == "/pay/downloadbill" {
					want = wxpay.Params{"return_code": "FAIL", "return_msg": "missing parameter", "error_code": "20001"}
				}
				if diff := cmp.Diff(want, r); diff != "" {
					t.Fatalf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestUnifiedOrderValidation(t *testing.T) {
	srv := newServer(t)
	runChangeCases(t, srv, "/pay/unifiedorder", func(i int) wxpay.Params {
		return jsapiOrder("V"+strings.Repeat("0", 6)+string(rune('a'+i)), "100")
	}, []changeCase{
		{name: "JSAPI without openid", change: wxpay.Params{"openid": ""}, errCode: "PARAM_ERROR"},
		{name: "NATIVE without product_id", change: wxpay.Params{"trade_type": "NATIVE"}, errCode: "PARAM_ERROR"},
		{name: "MWEB without scene_info", change: wxpay.Params{"trade_type": "MWEB"}, errCode: "PARAM_ERROR"},
		{name: "unknown trade_type", change: wxpay.Params{"trade_type": "MICROPAY"}, returnMsg: "trade_type参数格式错误"},
		{name: "zero fee", change: wxpay.Params{"total_fee": "0"}, returnMsg: "invalid total_fee"},
		{name: "fee in yuan", change: wxpay.Params{"total_fee": "1.00"}, returnMsg: "invalid total_fee"},
		{name: "negative fee", change: wxpay.Params{"total_fee": "-1"}, returnMsg: "invalid total_fee"},
		{name: "short out_trade_no", change: wxpay.Params{"out_trade_no": "T1"}, returnMsg: "out_trade_no参数格式错误"},
		{name: "out_trade_no with a space", change: wxpay.Params{"out_trade_no": "T 000001"}, returnMsg: "out_trade_no参数格式错误"},
		{name: "notify_url with query", change: wxpay.Params{"notify_url": "https://example.com/n?id=1"}, returnMsg: "notify_url参数格式错误"},
		{name: "relative notify_url", change: wxpay.Params{"notify_url": "/notify"}, returnMsg: "notify_url参数格式错误"},
		{name: "bad IP", change: wxpay.Params{"spbill_create_ip": "localhost"}, returnMsg: "spbill_create_ip参数格式错误"},
		{name: "bad time_expire", change: wxpay.Params{"time_expire": "2024-01-01"}, returnMsg: "time_expire参数格式错误"},
		{name: "body too long", change: wxpay.Params{"body": strings.Repeat("商", 129)}, returnMsg: "body参数长度有误"},
		{name: "IPv6", change: wxpay.Params{"spbill_create_ip": "2001:db8::1"}},
		{name: "APP", change: wxpay.Params{"trade_type": "APP", "openid": ""}},
	})
}

func TestOrderLifecycle(t *testing.T) {
	m := &merchant{}
	ms := httptestServer(t, m)
	srv := newServer(t, fastNotifies)
	hc := srv.Client()
	uo := func(p wxpay.Params, st wxpay.SignType) wxpay.Params {
		return call(t, srv, hc, "/pay/unifiedorder", p, st)
	}
	query := func(p wxpay.Params) wxpay.Params { return call(t, srv, hc, "/pay/orderquery", p, wxpay.SignTypeMD5) }

	order := jsapiOrder("L0000001", "888")
	order["notify_url"] = ms.URL + "/notify"
	order["device_info"] = "WEB"
	first := uo(order, wxpay.SignTypeHMACSHA256)
	wantResult(t, "unified order", first, "")
	prepay := first["prepay_id"]
	if !strings.HasPrefix(prepay, "wx") || len(prepay) > 64 || first["trade_type"] != "JSAPI" || first["device_info"] != "WEB" || first["appid"] != appID {
		t.Fatalf("unified order answer %v", first)
	}

	// The same order again (new nonce, another sign type): the same prepay id.
	again := uo(order, wxpay.SignTypeMD5)
	wantResult(t, "repeat", again, "")
	if again["prepay_id"] != prepay {
		t.Fatalf("repeat: prepay_id %q, want %q", again["prepay_id"], prepay)
	}
	changed := jsapiOrder("L0000001", "889")
	changed["notify_url"] = order["notify_url"]
	changed["device_info"] = "WEB"
	wantResult(t, "changed amount", uo(changed, wxpay.SignTypeMD5), "OUT_TRADE_NO_USED")

	q := query(wxpay.Params{"out_trade_no": "L0000001"})
	wantResult(t, "query", q, "")
	wantFields(t, "query NOTPAY", q, wxpay.Params{
		"trade_state": "NOTPAY", "trade_state_desc": "订单未支付", "out_trade_no": "L0000001", "total_fee": "888",
		"trade_type": "JSAPI", "attach": "a&b=<c>", "device_info": "WEB", "transaction_id": "",
	})

	if err := srv.Pay("L0000001"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pay("L0000001"); !errors.Is(err, wxpaytest.ErrState) {
		t.Fatalf("paying twice: %v, want ErrState", err)
	}
	if err := srv.Pay("nope0001"); !errors.Is(err, wxpaytest.ErrNotFound) {
		t.Fatalf("paying an unknown order: %v, want ErrNotFound", err)
	}
	q = query(wxpay.Params{"out_trade_no": "L0000001"})
	wantFields(t, "query SUCCESS", q, wxpay.Params{
		"trade_state": "SUCCESS", "trade_state_desc": "支付成功", "total_fee": "888", "cash_fee": "888",
		"openid": order["openid"], "bank_type": "CFT", "is_subscribe": "N", "fee_type": "CNY",
	})
	if len(q["transaction_id"]) != 28 || len(q["time_end"]) != 14 {
		t.Fatalf("query SUCCESS: transaction_id %q, time_end %q", q["transaction_id"], q["time_end"])
	}
	byTxn := query(wxpay.Params{"transaction_id": q["transaction_id"], "out_trade_no": "ignored1"})
	wantFields(t, "query by transaction_id", byTxn, wxpay.Params{"out_trade_no": "L0000001", "trade_state": "SUCCESS"})

	wantResult(t, "unified order of a paid order", uo(order, wxpay.SignTypeMD5), "ORDERPAID")
	wantResult(t, "close a paid order", call(t, srv, hc, "/pay/closeorder", wxpay.Params{"out_trade_no": "L0000001"}, wxpay.SignTypeMD5), "ORDERPAID")

	// A second order, closed.
	uo(jsapiOrder("L0000002", "100"), wxpay.SignTypeMD5)
	closed := call(t, srv, hc, "/pay/closeorder", wxpay.Params{"out_trade_no": "L0000002"}, wxpay.SignTypeMD5)
	wantResult(t, "close", closed, "")
	wantFields(t, "close", closed, wxpay.Params{"result_msg": "OK"})
	wantResult(t, "close again", call(t, srv, hc, "/pay/closeorder", wxpay.Params{"out_trade_no": "L0000002"}, wxpay.SignTypeMD5), "ORDERCLOSED")
	wantFields(t, "query CLOSED", query(wxpay.Params{"out_trade_no": "L0000002"}), wxpay.Params{"trade_state": "CLOSED"})
	wantResult(t, "unified order of a closed order", uo(jsapiOrder("L0000002", "100"), wxpay.SignTypeMD5), "ORDERCLOSED")
	if err := srv.Pay("L0000002"); !errors.Is(err, wxpaytest.ErrState) {
		t.Fatalf("paying a closed order: %v, want ErrState", err)
	}
	wantResult(t, "close unknown", call(t, srv, hc, "/pay/closeorder", wxpay.Params{"out_trade_no": "L0000003"}, wxpay.SignTypeMD5), "ORDERNOTEXIST")
	wantResult(t, "query unknown", query(wxpay.Params{"transaction_id": "4200000000000000000000000000"}), "ORDERNOTEXIST")

	// The notify of the first order, signed with its HMAC sign type.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitNotifies(ctx); err != nil {
		t.Fatal(err)
	}
	bodies := m.received()
	if len(bodies) != 1 {
		t.Fatalf("merchant got %d notifies, want 1", len(bodies))
	}
	n, err := wxpay.ParseXML(bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := refSign(n, apiKey, wxpay.SignTypeHMACSHA256); n["sign"] != want {
		t.Fatalf("notify sign %q, want HMAC-SHA256 %q", n["sign"], want)
	}
	wantFields(t, "notify", n, wxpay.Params{
		"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": appID, "mch_id": mchID,
		"out_trade_no": "L0000001", "transaction_id": q["transaction_id"], "total_fee": "888", "cash_fee": "888",
		"time_end": q["time_end"], "openid": order["openid"], "trade_type": "JSAPI", "bank_type": "CFT",
		"is_subscribe": "N", "fee_type": "CNY", "attach": "a&b=<c>", "device_info": "WEB", "sign_type": "",
	})
}

func TestNativeAndMWeb(t *testing.T) {
	srv := newServer(t)
	native := jsapiOrder("N0000001", "1")
	native["trade_type"], native["product_id"] = "NATIVE", "sku-1"
	r := call(t, srv, srv.Client(), "/pay/unifiedorder", native, wxpay.SignTypeMD5)
	wantResult(t, "NATIVE", r, "")
	if !strings.HasPrefix(r["code_url"], "weixin://wxpay/bizpayurl?pr=") || r["mweb_url"] != "" {
		t.Fatalf("NATIVE answer %v", r)
	}
	mweb := jsapiOrder("M0000001", "1")
	mweb["trade_type"], mweb["scene_info"] = "MWEB", `{"h5_info":{"type":"Wap","wap_url":"https://m.example.com","wap_name":"shop"}}`
	r = call(t, srv, srv.Client(), "/pay/unifiedorder", mweb, wxpay.SignTypeMD5)
	wantResult(t, "MWEB", r, "")
	if !strings.HasPrefix(r["mweb_url"], "https://wx.tenpay.com/") || !strings.Contains(r["mweb_url"], r["prepay_id"]) || r["code_url"] != "" {
		t.Fatalf("MWEB answer %v", r)
	}
}

func TestPrepayExpiresAfterTwoHours(t *testing.T) {
	clk, withClock := clockAt(time.Date(2024, 5, 1, 10, 0, 0, 0, wxpay.Beijing()))
	srv := newServer(t, withClock)
	order := jsapiOrder("E0000001", "100")
	first := call(t, srv, srv.Client(), "/pay/unifiedorder", order, wxpay.SignTypeMD5)["prepay_id"]
	if !strings.HasPrefix(first, "wx20240501100000") {
		t.Fatalf("prepay_id %q does not carry the Beijing time", first)
	}
	clk.Add(119 * time.Minute)
	if got := call(t, srv, srv.Client(), "/pay/unifiedorder", order, wxpay.SignTypeMD5)["prepay_id"]; got != first {
		t.Fatalf("after 1h59m: prepay_id %q, want %q", got, first)
	}
	clk.Add(time.Minute)
	if got := call(t, srv, srv.Client(), "/pay/unifiedorder", order, wxpay.SignTypeMD5)["prepay_id"]; got == first {
		t.Fatalf("after 2h: still prepay_id %q", got)
	}
}

func TestPayRespectsTimeExpire(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, wxpay.Beijing())
	srv := newServer(t, wxpaytest.WithClock(func() time.Time { return now }))
	order := jsapiOrder("X0000001", "100")
	order["time_expire"] = "20240501095959"
	wantResult(t, "unified order", call(t, srv, srv.Client(), "/pay/unifiedorder", order, wxpay.SignTypeMD5), "")
	if err := srv.Pay("X0000001"); !errors.Is(err, wxpaytest.ErrState) {
		t.Fatalf("paying an expired order: %v, want ErrState", err)
	}
}

// TestConcurrentOrders runs many clients at once; with -race it checks
// the store's locking.
func TestConcurrentOrders(t *testing.T) {
	srv := newServer(t)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no := "C" + strings.Repeat("0", 5) + string(rune('a'+i))
			p := signed(jsapiOrder(no, "100"), wxpay.SignTypeMD5)
			if status, _ := postRaw(t, srv.Client(), srv.URL+"/pay/unifiedorder", p.AppendXML(nil)); status != http.StatusOK {
				t.Errorf("status %d", status)
			}
			if err := srv.PayWith(no, wxpaytest.Payment{SkipNotify: true}); err != nil {
				t.Error(err)
			}
			srv.Requests()
		}()
	}
	wg.Wait()
	if n := len(srv.Requests()); n != 16 {
		t.Fatalf("%d requests recorded, want 16", n)
	}
}

func TestRecordsAreCopies(t *testing.T) {
	srv := newServer(t)
	call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "R0000001"}, wxpay.SignTypeMD5)
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests recorded, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/pay/orderquery" || r.Params["out_trade_no"] != "R0000001" ||
		r.StatusCode != http.StatusOK || r.ResponseParams["err_code"] != "ORDERNOTEXIST" || r.ClientCert || r.Fault != nil {
		t.Fatalf("record %+v", r)
	}
	r.Params["out_trade_no"] = "changed"
	r.Body[0] = 'X'
	if again := srv.Requests()[0]; again.Params["out_trade_no"] != "R0000001" || again.Body[0] != '<' {
		t.Fatal("Requests returned the server's own maps or slices")
	}
}

func TestUnknownPath(t *testing.T) {
	srv := newServer(t)
	status, body := postRaw(t, srv.Client(), srv.URL+"/pay/nothing", []byte("<xml></xml>"))
	if status != http.StatusNotFound || !strings.Contains(string(body), "<html>") {
		t.Fatalf("status %d, body %q", status, body)
	}
}

func wantFields(t *testing.T, what string, got, want wxpay.Params) {
	t.Helper()
	sub := wxpay.Params{}
	for k := range want {
		if v, ok := got[k]; ok {
			sub[k] = v
		}
	}
	wantPresent := wxpay.Params{}
	for k, v := range want {
		if v != "" {
			wantPresent[k] = v
		}
	}
	if diff := cmp.Diff(wantPresent, sub); diff != "" {
		t.Fatalf("%s: fields (-want +got):\n%s", what, diff)
	}
}
