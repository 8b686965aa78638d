package wxpay_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jarcoal/httpmock"
	"github.com/wxpay-go/wxpay"
)

// The ids and key of the v2 documentation's signing example (spec §2).
const (
	docAppID  = "wxd930ea5d5a258f4f"
	docMchID  = "10000100"
	docAPIKey = "192006250b4c09247ec02edce69f6a2d"
)

const unifiedOrderURL = wxpay.DefaultBaseURL + "/pay/unifiedorder"

// fakeWeChat plays WeChat behind an httpmock transport: it decodes each
// request with ParseXML, fails the test unless the request's signature
// verifies with VerifySign, records it, and lets answer reply.
type fakeWeChat struct {
	t  *testing.T
	mt *httpmock.MockTransport

	mu   sync.Mutex
	reqs []wxpay.Params
	raw  [][]byte
}

func newFakeWeChat(t *testing.T, url string, answer func(req wxpay.Params) (*http.Response, error)) *fakeWeChat {
	t.Helper()
	f := &fakeWeChat{t: t, mt: httpmock.NewMockTransport()}
	f.mt.RegisterResponder(http.MethodPost, url, func(hr *http.Request) (*http.Response, error) {
		body, err := io.ReadAll(hr.Body)
		if err != nil {
			return nil, err
		}
		if ct := hr.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
			t.Errorf("request Content-Type = %q, want text/xml", ct)
		}
		req, err := wxpay.ParseXML(body)
		if err != nil {
			t.Errorf("request does not parse: %v\n%s", err, body)
			return httpmock.NewStringResponse(http.StatusOK, failXML("XML_FORMAT_ERROR")), nil
		}
		if err := wxpay.VerifySign(req, docAPIKey); err != nil {
			t.Errorf("request sign: %v\n%s", err, body)
			return httpmock.NewStringResponse(http.StatusOK, failXML("签名错误")), nil
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		f.raw = append(f.raw, body)
		f.mu.Unlock()
		return answer(req)
	})
	return f
}

// client returns a client for the documented merchant whose requests go
// to f, with a fixed nonce_str so that requests are reproducible.
func (f *fakeWeChat) client(opts ...wxpay.Option) *wxpay.Client {
	f.t.Helper()
	opts = append([]wxpay.Option{
		wxpay.WithHTTPClient(&http.Client{Transport: f.mt}),
		wxpay.WithNonceFunc(func() string { return "ibuaiVcKdpRxkhJA" }),
	}, opts...)
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fakeWeChat) calls() int { return f.mt.GetTotalCallCount() }

func (f *fakeWeChat) lastRequest() wxpay.Params {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		f.t.Fatal("no request reached the server")
	}
	return f.reqs[len(f.reqs)-1]
}

// signedXML signs p (adding sign) and encodes it, as WeChat answers.
func signedXML(t *testing.T, p wxpay.Params, key string, st wxpay.SignType) string {
	t.Helper()
	sign, err := wxpay.Sign(p, key, st)
	if err != nil {
		t.Fatal(err)
	}
	p["sign"] = sign
	return string(p.AppendXML(nil))
}

func failXML(msg string) string {
	return string(wxpay.Params{"return_code": "FAIL", "return_msg": msg}.AppendXML(nil))
}

// unifiedOrderAnswer is a successful unified order response to req, signed
// with the type req declared, as WeChat does; edit changes it before it is
// signed.
func unifiedOrderAnswer(t *testing.T, edit func(wxpay.Params)) func(wxpay.Params) (*http.Response, error) {
	return func(req wxpay.Params) (*http.Response, error) {
		p := wxpay.Params{
			"return_code": "SUCCESS", "return_msg": "OK",
			"appid": req["appid"], "mch_id": req["mch_id"], "device_info": req["device_info"],
			"nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "result_code": "SUCCESS",
			"prepay_id": "wx201410272009395522657a690389285100", "trade_type": req["trade_type"],
		}
		for _, k := range []string{"sub_appid", "sub_mch_id"} {
			if v, ok := req[k]; ok {
				p[k] = v
			}
		}
		if req["trade_type"] == "NATIVE" {
			p["code_url"] = "weixin://wxpay/bizpayurl?pr=XXXXX"
		}
		if edit != nil {
			edit(p)
		}
		st := wxpay.SignType(req["sign_type"])
		if st == "" {
			st = wxpay.SignTypeMD5
		}
		return httpmock.NewStringResponse(http.StatusOK, signedXML(t, p, docAPIKey, st)), nil
	}
}

// jsapiOrder is a valid JSAPI order: the one of spec Appendix A2/A3.
func jsapiOrder() *wxpay.UnifiedOrderRequest {
	return &wxpay.UnifiedOrderRequest{
		Body:           "腾讯充值中心-QQ会员充值",
		OutTradeNo:     "20150806125346",
		TotalFee:       888,
		SpbillCreateIP: "123.12.12.123",
		NotifyURL:      "https://example.com/wxpay/notify",
		TradeType:      wxpay.TradeTypeJSAPI,
		OpenID:         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	}
}

// TestClientPipeline runs the request pipeline's outcomes through
// UnifiedOrder.
func TestClientPipeline(t *testing.T) {
	wantSuccess := &wxpay.UnifiedOrderResponse{
		TradeType: wxpay.TradeTypeJSAPI,
		PrepayID:  "wx201410272009395522657a690389285100",
	}
	reply := func(status int, body string) func(wxpay.Params) (*http.Response, error) {
		return func(wxpay.Params) (*http.Response, error) {
			r := httpmock.NewStringResponse(status, body)
			r.Header.Set("Content-Type", "text/html")
			return r, nil
		}
	}
	type testCase struct {
		name   string
		st     wxpay.SignType // the client's; "" is the default, MD5
		answer func(wxpay.Params) (*http.Response, error)
		want   *wxpay.UnifiedOrderResponse // nil: an error is expected
		check  func(t *testing.T, err error)
	}
	// resultFail is a signed result_code FAIL answer with code and des.
	resultFail := func(code, des string, retryable bool) testCase {
		return testCase{
			name: "result_code FAIL " + code,
			answer: unifiedOrderAnswer(t, func(p wxpay.Params) {
				p["result_code"], p["err_code"], p["err_code_des"] = "FAIL", code, des
				delete(p, "prepay_id")
			}),
			check: func(t *testing.T, err error) {
				wantError(t, err, &wxpay.Error{ReturnCode: "SUCCESS", ReturnMsg: "OK", ResultCode: "FAIL", ErrCode: code, ErrCodeDes: des}, retryable)
			},
		}
	}
	tests := []testCase{
		{
			name:   "success MD5",
			answer: unifiedOrderAnswer(t, nil),
			want:   wantSuccess,
		},
		{
			name:   "success HMAC-SHA256",
			st:     wxpay.SignTypeHMACSHA256,
			answer: unifiedOrderAnswer(t, nil),
			want:   wantSuccess,
		},
		{
			name:   "unknown response fields are signed and kept",
			answer: unifiedOrderAnswer(t, func(p wxpay.Params) { p["brand_new_field"] = "新" }),
			want:   wantSuccess,
		},
		{
			name:   "return_code FAIL",
			answer: reply(http.StatusOK, failXML("签名错误")),
			check: func(t *testing.T, err error) {
				wantError(t, err, &wxpay.Error{ReturnCode: "FAIL", ReturnMsg: "签名错误"}, false)
			},
		},
		resultFail("SYSTEMERROR", "系统错误", true),
		resultFail("ORDERPAID", "该订单已支付", false),
		resultFail("NOAUTH", "商户无此接口权限", false),
		{
			name: "bad response sign",
			answer: func(req wxpay.Params) (*http.Response, error) {
				resp, _ := unifiedOrderAnswer(t, nil)(req)
				body := strings.Replace(readBody(t, resp), "wx2014", "wx2015", 1)
				return httpmock.NewStringResponse(http.StatusOK, body), nil
			},
			check: wantIs(wxpay.ErrInvalidSign),
		},
		{
			name:   "unsigned result_code FAIL is not believed",
			answer: reply(http.StatusOK, string(wxpay.Params{"return_code": "SUCCESS", "result_code": "FAIL", "err_code": "ORDERPAID", "appid": docAppID, "mch_id": docMchID}.AppendXML(nil))),
			check:  wantIs(wxpay.ErrInvalidSign),
		},
		{
			name: "response signed MD5 to an HMAC-SHA256 request",
			st:   wxpay.SignTypeHMACSHA256,
			answer: func(req wxpay.Params) (*http.Response, error) {
				req["sign_type"] = "MD5"
				return unifiedOrderAnswer(t, nil)(req)
			},
			check: wantIs(wxpay.ErrInvalidSign),
		},
		{
			name:   "response for another appid",
			answer: unifiedOrderAnswer(t, func(p wxpay.Params) { p["appid"] = "wx0000000000000000" }),
			check:  wantIs(wxpay.ErrMerchantMismatch),
		},
		{
			name:   "response for another mch_id",
			answer: unifiedOrderAnswer(t, func(p wxpay.Params) { p["mch_id"] = "10000101" }),
			check:  wantIs(wxpay.ErrMerchantMismatch),
		},
		{
			name:   "success without prepay_id",
			answer: unifiedOrderAnswer(t, func(p wxpay.Params) { delete(p, "prepay_id") }),
			check: func(t *testing.T, err error) {
				var fe *wxpay.FieldError
				if !errors.As(err, &fe) || fe.Field != "prepay_id" {
					t.Errorf("error = %v, want a *FieldError for prepay_id", err)
				}
			},
		},
		{
			name:   "malformed XML",
			answer: reply(http.StatusOK, "<xml><return_code>SUCCESS</return_code><prepay_id><x/></prepay_id></xml>"),
			check:  wantIs(wxpay.ErrMalformedXML),
		},
		{
			name:   "truncated XML",
			answer: reply(http.StatusOK, "<xml><return_code><![CDATA[SUCC"),
			check:  wantIs(wxpay.ErrMalformedXML),
		},
		{
			name:   "no return_code",
			answer: reply(http.StatusOK, "<xml><appid>wxd930ea5d5a258f4f</appid></xml>"),
			check:  wantIs(wxpay.ErrMalformedXML),
		},
		{
			name:   "HTTP 500",
			answer: reply(http.StatusInternalServerError, "upstream broke"),
			check:  wantHTTPError(http.StatusInternalServerError),
		},
		{
			name:   "HTML gateway page with status 200",
			answer: reply(http.StatusOK, "\n<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"),
			check:  wantHTTPError(http.StatusOK),
		},
		{
			name:   "oversized body",
			answer: reply(http.StatusOK, "<xml><return_code>SUCCESS</return_code><pad>"+strings.Repeat("a", wxpay.MaxBodySize)+"</pad></xml>"),
			check:  wantIs(wxpay.ErrBodyTooLarge),
		},
		{
			name:   "transport failure",
			answer: func(wxpay.Params) (*http.Response, error) { return nil, errors.New("connection reset by peer") },
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "connection reset by peer") {
					t.Errorf("error = %v, want the transport's error", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWeChat(t, unifiedOrderURL, tt.answer)
			var opts []wxpay.Option
			if tt.st != "" {
				opts = append(opts, wxpay.WithSignType(tt.st))
			}
			got, err := f.client(opts...).UnifiedOrder(context.Background(), jsapiOrder())
			if f.calls() != 1 {
				t.Errorf("%d calls reached the server, want 1", f.calls())
			}
			if tt.want == nil {
				if got != nil {
					t.Errorf("got response %+v with error %v", got, err)
				}
				tt.check(t, err)
				return
			}
			if err != nil {
				t.Fatalf("UnifiedOrder: %v", err)
			}
			// Raw still verifies only if it holds every field WeChat signed.
			if err := wxpay.VerifySign(got.Raw, docAPIKey); err != nil || got.Raw["prepay_id"] != got.PrepayID {
				t.Errorf("Raw = %v (%v), want the whole signed response", got.Raw, err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreRaw); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
			req := f.lastRequest()
			wantST, wantLen := wxpay.SignTypeMD5, 32
			if tt.st == wxpay.SignTypeHMACSHA256 {
				wantST, wantLen = wxpay.SignTypeHMACSHA256, 64
			}
			if req["sign_type"] != string(wantST) || len(req["sign"]) != wantLen {
				t.Errorf("request sign_type %q, sign %q; want a %s sign", req["sign_type"], req["sign"], wantST)
			}
		})
	}
}

var ignoreRaw = cmpIgnoreField("Raw")

func cmpIgnoreField(name string) cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && sf.Name() == name
	}, cmp.Ignore())
}

func wantIs(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Errorf("error = %v, want errors.Is %v", err, target)
		}
	}
}

func wantError(t *testing.T, err error, want *wxpay.Error, retryable bool) {
	t.Helper()
	var we *wxpay.Error
	if !errors.As(err, &we) {
		t.Fatalf("error = %v (%T), want *wxpay.Error", err, err)
	}
	if diff := cmp.Diff(want, we, cmpopts.IgnoreFields(wxpay.Error{}, "Raw")); diff != "" {
		t.Errorf("*Error mismatch (-want +got):\n%s", diff)
	}
	// A business failure keeps the verified answer; a return_code failure
	// is unsigned and keeps nothing.
	if wantRaw := we.ResultCode == "FAIL"; (we.Raw != nil) != wantRaw || wantRaw && we.Raw["err_code"] != we.ErrCode {
		t.Errorf("Raw = %v for a %s/%s failure", we.Raw, we.ReturnCode, we.ResultCode)
	}
	if we.Retryable() != retryable {
		t.Errorf("Retryable() = %v, want %v", we.Retryable(), retryable)
	}
}

func wantHTTPError(status int) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var he *wxpay.HTTPError
		if !errors.As(err, &he) {
			t.Fatalf("error = %v (%T), want *wxpay.HTTPError", err, err)
		}
		if he.StatusCode != status {
			t.Errorf("StatusCode = %d, want %d", he.StatusCode, status)
		}
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestClientPipelineContext(t *testing.T) {
	// A real transport gives up as soon as the context ends; this one
	// waits for that, so the outcome does not depend on a race between
	// httpmock's responder and its context watcher.
	waitForContext := func(hr *http.Request) (*http.Response, error) {
		<-hr.Context().Done()
		return nil, hr.Context().Err()
	}
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"cancelled while waiting for the answer", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(10*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 10*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodPost, unifiedOrderURL, waitForContext)
			c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, wxpay.WithHTTPClient(&http.Client{Transport: mt}))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := tt.ctx()
			defer cancel()
			got, err := c.UnifiedOrder(ctx, jsapiOrder())
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("UnifiedOrder = %v, %v; want errors.Is %v", got, err, tt.want)
			}
		})
	}
}

func TestNewClientRejects(t *testing.T) {
	tests := []struct {
		name                string
		appID, mchID, key   string
		opts                []wxpay.Option
		wantUnknownSignType bool
	}{
		{name: "empty appID", mchID: docMchID, key: docAPIKey},
		{name: "empty mchID", appID: docAppID, key: docAPIKey},
		{name: "empty key", appID: docAppID, mchID: docMchID},
		{name: "sign type SHA1", opts: []wxpay.Option{wxpay.WithSignType("SHA1")}, wantUnknownSignType: true},
		{name: "empty base URL", opts: []wxpay.Option{wxpay.WithBaseURL("")}},
		{name: "relative base URL", opts: []wxpay.Option{wxpay.WithBaseURL("api.mch.weixin.qq.com")}},
		{name: "ftp base URL", opts: []wxpay.Option{wxpay.WithBaseURL("ftp://api.mch.weixin.qq.com")}},
		{name: "base URL with a query", opts: []wxpay.Option{wxpay.WithBaseURL("https://api.mch.weixin.qq.com/?x=1")}},
		{name: "unparsable base URL", opts: []wxpay.Option{wxpay.WithBaseURL("https://a b/")}},
		{name: "unparsable backup URL", opts: []wxpay.Option{wxpay.WithBackupBaseURL("https://%zz")}},
		{name: "31-character key", appID: docAppID, mchID: docMchID, key: docAPIKey[:31]},
		{name: "33-character key", appID: docAppID, mchID: docMchID, key: docAPIKey + "0"},
		{name: "nil nonce function", opts: []wxpay.Option{wxpay.WithNonceFunc(nil)}},
		{name: "nil clock", opts: []wxpay.Option{wxpay.WithClock(nil)}},
		{name: "negative retries", opts: []wxpay.Option{wxpay.WithRetry(wxpay.RetryPolicy{MaxAttempts: -1})}},
		{name: "padded sub_mch_id", opts: []wxpay.Option{wxpay.WithSubMerchant("", " 1900000109")}},
		{name: "sandbox with HMAC-SHA256", opts: []wxpay.Option{wxpay.WithSandbox(wxpay.SandboxXDC), wxpay.WithSignType(wxpay.SignTypeHMACSHA256)}},
		{name: "relative sandbox prefix", opts: []wxpay.Option{wxpay.WithSandbox("sandboxnew")}},
		{name: "certificate that does not parse", opts: []wxpay.Option{wxpay.WithCertPEM([]byte("x"), []byte("y"))}},
		{name: "certificate with a transport that cannot take it", opts: []wxpay.Option{
			wxpay.WithHTTPClient(&http.Client{Transport: httpmock.NewMockTransport()}),
			wxpay.WithCertPEM(testPKI().merchant.certPEM, testPKI().merchant.keyPEM)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.appID == "" && tt.mchID == "" && tt.key == "" {
				tt.appID, tt.mchID, tt.key = docAppID, docMchID, docAPIKey
			}
			c, err := wxpay.NewClient(tt.appID, tt.mchID, tt.key, tt.opts...)
			if err == nil {
				t.Fatalf("NewClient = %v, want an error", c)
			}
			if got := errors.Is(err, wxpay.ErrUnknownSignType); got != tt.wantUnknownSignType {
				t.Errorf("errors.Is(%v, ErrUnknownSignType) = %v, want %v", err, got, tt.wantUnknownSignType)
			}
		})
	}
}

// TestRequestOnTheWire checks what the pipeline puts on the wire beside
// the XML: the URL under a base URL with a path, and the headers.
func TestRequestOnTheWire(t *testing.T) {
	var got struct {
		path, contentType, userAgent string
		contentLength                int64
		bodyLen                      int
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/base/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		req, err := wxpay.ParseXML(body)
		if err != nil {
			t.Errorf("request: %v\n%s", err, body)
		}
		got.path, got.contentType, got.userAgent = r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("User-Agent")
		got.contentLength, got.bodyLen = r.ContentLength, len(body)
		io.WriteString(w, signedXML(t, wxpay.Params{"return_code": "SUCCESS", "result_code": "SUCCESS",
			"appid": req["appid"], "mch_id": req["mch_id"], "nonce_str": "x"}, docAPIKey, wxpay.SignTypeMD5))
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, wxpay.WithHTTPClient(srv.Client()), wxpay.WithBaseURL(srv.URL+"/base"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CloseOrder(context.Background(), &wxpay.CloseOrderRequest{OutTradeNo: "20150806125346"}); err != nil {
		t.Fatal(err)
	}
	if got.path != "/base/pay/closeorder" || got.contentType != "text/xml; charset=utf-8" ||
		!strings.HasPrefix(got.userAgent, "wxpay-go") || got.contentLength != int64(got.bodyLen) || got.bodyLen == 0 {
		t.Errorf("request: %+v", got)
	}
}

// TestRedirectRefused: WeChat never redirects, so a redirect is an
// *HTTPError and nothing signed, and no certificate, reaches its target,
// whatever the user's http.Client would do.
func TestRedirectRefused(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		var followed atomic.Int32
		mux := http.NewServeMux()
		mux.Handle("/old/", http.RedirectHandler("/new/pay/closeorder", status))
		mux.HandleFunc("/new/", func(http.ResponseWriter, *http.Request) { followed.Add(1) })
		srv := httptest.NewTLSServer(mux)
		hc := srv.Client()
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return nil } // the user's client follows
		c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, wxpay.WithHTTPClient(hc), wxpay.WithBaseURL(srv.URL+"/old"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CloseOrder(context.Background(), &wxpay.CloseOrderRequest{OutTradeNo: "20150806125346"})
		var he *wxpay.HTTPError
		if !errors.As(err, &he) || he.StatusCode != status || he.Location != "/new/pay/closeorder" {
			t.Errorf("%d: err = %v, want an *HTTPError with the status and Location", status, err)
		}
		if n := followed.Load(); n != 0 {
			t.Errorf("%d: the redirect was followed %d times", status, n)
		}
		srv.Close()
	}
}

func TestNonceStr(t *testing.T) {
	const alphabet = "0123456789abcdef"
	counts := map[rune]int{}
	const n = 4000
	seen := map[string]bool{}
	for range n {
		s := wxpay.NonceStr()
		if len(s) != 32 || strings.Trim(s, alphabet) != "" {
			t.Fatalf("NonceStr = %q, want 32 hex digits", s)
		}
		if seen[s] {
			t.Fatalf("NonceStr repeated %q", s)
		}
		seen[s] = true
		for _, r := range s {
			counts[r]++
		}
	}
	// Each digit is expected n*32/16 = 8000 times, with a standard
	// deviation of about 87: a bias would show, chance alone would not
	// (±7 standard deviations).
	for _, r := range alphabet {
		if c := counts[r]; c < 7390 || c > 8610 {
			t.Errorf("%q drawn %d times in %d nonces, want about 8000", r, c, n)
		}
	}
}
