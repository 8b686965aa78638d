package wxpay_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// callServer is an independent v2 endpoint for Call: it records what it
// receives and answers what answer says, signing with the key and the
// sign type the request's sign has, as WeChat does.
type callServer struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(req wxpay.Params) (wxpay.Params, bool) // fields, signed?

	mu       sync.Mutex
	requests []wxpay.Params
	certs    []bool
}

func newCallServer(t *testing.T, answer func(wxpay.Params) (wxpay.Params, bool)) *callServer {
	s := &callServer{t: t, answer: answer}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{testPKI().server},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    testPKI().ca.pool(),
		MinVersion:   tls.VersionTLS12,
	}
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *callServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := wxpay.ParseXML(body)
	if err != nil {
		s.t.Errorf("request does not parse: %v\n%s", err, body)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.certs = append(s.certs, len(r.TLS.PeerCertificates) > 0)
	s.mu.Unlock()
	st := wxpay.SignTypeMD5
	if len(req["sign"]) == 64 {
		st = wxpay.SignTypeHMACSHA256
	}
	if err := wxpay.VerifySign(req, docAPIKey); err != nil || req["sign_type"] != "" && wxpay.SignType(req["sign_type"]) != st {
		io.WriteString(w, `<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>`)
		return
	}
	fields, signed := s.answer(req)
	p := wxpay.Params{"return_code": "SUCCESS", "return_msg": "OK", "nonce_str": "srv"}
	for k, v := range fields {
		p[k] = v
	}
	if signed {
		sign, err := wxpay.Sign(p, docAPIKey, st)
		if err != nil {
			s.t.Fatal(err)
		}
		p["sign"] = sign
	}
	w.Write(p.AppendXML(nil))
}

func (s *callServer) last() (wxpay.Params, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		s.t.Fatal("no request received")
	}
	return s.requests[len(s.requests)-1], s.certs[len(s.certs)-1]
}

func (s *callServer) client(t *testing.T, opts ...wxpay.Option) *wxpay.Client {
	t.Helper()
	opts = append([]wxpay.Option{wxpay.WithHTTPClient(s.srv.Client()), wxpay.WithBaseURL(s.srv.URL)}, opts...)
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// echo answers success with the request's merchant fields, signed.
func echo(req wxpay.Params) (wxpay.Params, bool) {
	out := wxpay.Params{"result_code": "SUCCESS", "echo": req["x"]}
	for _, k := range []string{"appid", "mch_id", "mch_appid", "mchid", "wxappid"} {
		if v, ok := req[k]; ok {
			out[k] = v
		}
	}
	return out, true
}

func TestCallWire(t *testing.T) {
	merchantFields := []string{"appid", "mch_id", "mch_appid", "mchid", "wxappid", "sign_type", "nonce_str", "sign"}
	tests := []struct {
		name     string
		opts     wxpay.CallOptions
		client   []wxpay.Option
		want     map[string]string // merchant fields sent; "*" any non-empty value
		signLen  int
		withCert bool
	}{
		{"defaults", wxpay.CallOptions{}, nil,
			map[string]string{"appid": docAppID, "mch_id": docMchID, "sign_type": "MD5", "nonce_str": "*", "sign": "*"}, 32, false},
		{"payout names", wxpay.CallOptions{AppIDField: "mch_appid", MchIDField: "mchid", Cert: true}, nil,
			map[string]string{"mch_appid": docAppID, "mchid": docMchID, "sign_type": "MD5", "nonce_str": "*", "sign": "*"}, 32, true},
		{"red packet: wxappid, no sign_type", wxpay.CallOptions{AppIDField: "wxappid", NoSignType: true}, []wxpay.Option{wxpay.WithSignType(wxpay.SignTypeHMACSHA256)},
			map[string]string{"wxappid": docAppID, "mch_id": docMchID, "nonce_str": "*", "sign": "*"}, 32, false},
		{"no appid", wxpay.CallOptions{AppIDField: "-"}, nil,
			map[string]string{"mch_id": docMchID, "sign_type": "MD5", "nonce_str": "*", "sign": "*"}, 32, false},
		{"no merchant at all", wxpay.CallOptions{AppIDField: "-", MchIDField: "-"}, nil,
			map[string]string{"sign_type": "MD5", "nonce_str": "*", "sign": "*"}, 32, false},
		{"forced HMAC-SHA256", wxpay.CallOptions{SignType: wxpay.SignTypeHMACSHA256}, nil,
			map[string]string{"appid": docAppID, "mch_id": docMchID, "sign_type": "HMAC-SHA256", "nonce_str": "*", "sign": "*"}, 64, false},
		{"the client's HMAC-SHA256", wxpay.CallOptions{}, []wxpay.Option{wxpay.WithSignType(wxpay.SignTypeHMACSHA256)},
			map[string]string{"appid": docAppID, "mch_id": docMchID, "sign_type": "HMAC-SHA256", "nonce_str": "*", "sign": "*"}, 64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCallServer(t, echo)
			pki := testPKI()
			c := s.client(t, append(tt.client, wxpay.WithCertPEM(pki.merchant.certPEM, pki.merchant.keyPEM))...)
			resp, err := c.Call(context.Background(), "/x/call", wxpay.Params{"x": "1"}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if resp["echo"] != "1" {
				t.Errorf("answer = %v", resp)
			}
			req, cert := s.last()
			got := map[string]string{}
			for _, k := range merchantFields {
				if v, ok := req[k]; ok {
					got[k] = v
					if tt.want[k] == "*" {
						got[k] = "*"
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("merchant fields sent (-want +got):\n%s", diff)
			}
			if len(req["sign"]) != tt.signLen {
				t.Errorf("sign %q, want %d hex digits", req["sign"], tt.signLen)
			}
			if cert != tt.withCert {
				t.Errorf("client certificate presented: %v, want %v", cert, tt.withCert)
			}
			if req["x"] != "1" {
				t.Errorf("business field lost: %v", req)
			}
		})
	}
}

func TestCallAnswers(t *testing.T) {
	tests := []struct {
		name    string
		opts    wxpay.CallOptions
		answer  func(wxpay.Params) (wxpay.Params, bool)
		wantErr func(error) bool
	}{
		{"signed answer", wxpay.CallOptions{}, echo, nil},
		{"unsigned answer refused", wxpay.CallOptions{},
			func(req wxpay.Params) (wxpay.Params, bool) { p, _ := echo(req); return p, false },
			func(err error) bool { return errors.Is(err, wxpay.ErrInvalidSign) }},
		{"unsigned answer taken when declared", wxpay.CallOptions{UnsignedResponse: true},
			func(req wxpay.Params) (wxpay.Params, bool) { p, _ := echo(req); return p, false }, nil},
		{"a sign is still checked when declared unsigned", wxpay.CallOptions{UnsignedResponse: true},
			func(req wxpay.Params) (wxpay.Params, bool) {
				p, _ := echo(req)
				p["sign"] = strings.Repeat("A", 32)
				return p, false
			},
			func(err error) bool { return errors.Is(err, wxpay.ErrInvalidSign) }},
		{"another merchant", wxpay.CallOptions{},
			func(req wxpay.Params) (wxpay.Params, bool) {
				p, _ := echo(req)
				p["mch_id"] = "1900000109"
				return p, true
			},
			func(err error) bool { return errors.Is(err, wxpay.ErrMerchantMismatch) }},
		{"another merchant under its own name", wxpay.CallOptions{AppIDField: "wxappid", NoSignType: true, UnsignedResponse: true},
			func(req wxpay.Params) (wxpay.Params, bool) { p, _ := echo(req); p["wxappid"] = "wx0"; return p, false },
			func(err error) bool { return errors.Is(err, wxpay.ErrMerchantMismatch) }},
		{"result_code FAIL", wxpay.CallOptions{},
			func(req wxpay.Params) (wxpay.Params, bool) {
				return wxpay.Params{"result_code": "FAIL", "err_code": "NOAUTH", "err_code_des": "no", "appid": req["appid"]}, true
			},
			func(err error) bool {
				var we *wxpay.Error
				return errors.As(err, &we) && we.ErrCode == "NOAUTH" && we.ErrCodeDes == "no" && we.Raw["appid"] == docAppID
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCallServer(t, tt.answer)
			resp, err := s.client(t).Call(context.Background(), "/x/call", wxpay.Params{"x": "1"}, tt.opts)
			if tt.wantErr == nil {
				if err != nil || resp["echo"] != "1" {
					t.Fatalf("Call = %v, %v", resp, err)
				}
				return
			}
			if !tt.wantErr(err) {
				t.Fatalf("Call = %v, %v: not the error expected", resp, err)
			}
			if resp != nil {
				t.Errorf("an answer came with the error: %v", resp)
			}
		})
	}
}

func TestCallRefusedSign(t *testing.T) {
	s := newCallServer(t, echo)
	c, err := wxpay.NewClient(docAppID, docMchID, strings.Repeat("0", 32), wxpay.WithHTTPClient(s.srv.Client()), wxpay.WithBaseURL(s.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Call(context.Background(), "/x/call", nil, wxpay.CallOptions{})
	var we *wxpay.Error
	if !errors.As(err, &we) || !errors.Is(err, wxpay.ErrSignRefused) || !strings.Contains(err.Error(), "wxpay verify") {
		t.Fatalf("err = %v, want WeChat's refusal naming the causes and wxpay verify", err)
	}
}

// TestCallRetries: only an Idempotent call is resent, and then with the
// same business fields.
func TestCallRetries(t *testing.T) {
	for _, idempotent := range []bool{false, true} {
		t.Run(fmt.Sprint("idempotent=", idempotent), func(t *testing.T) {
			n := 0
			var mu sync.Mutex
			s := newCallServer(t, func(req wxpay.Params) (wxpay.Params, bool) {
				mu.Lock()
				defer mu.Unlock()
				if n++; n == 1 {
					return wxpay.Params{"result_code": "FAIL", "err_code": "SYSTEMERROR", "appid": req["appid"]}, true
				}
				return echo(req)
			})
			c := s.client(t, wxpay.WithRetry(wxpay.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}))
			_, err := c.Call(context.Background(), "/x/call", wxpay.Params{"x": "1"}, wxpay.CallOptions{Idempotent: idempotent})
			want := 1
			if idempotent {
				want = 2
			}
			if n != want {
				t.Errorf("%d requests, want %d", n, want)
			}
			if idempotent != (err == nil) {
				t.Errorf("err = %v", err)
			}
			if err != nil {
				var we *wxpay.Error
				if !errors.As(err, &we) || !we.Resend() {
					t.Errorf("err = %v, want a SYSTEMERROR to resend", err)
				}
			}
		})
	}
}

func TestCallRefusesBadInput(t *testing.T) {
	s := newCallServer(t, echo)
	c := s.client(t)
	for _, tt := range []struct {
		name string
		path string
		req  wxpay.Params
		o    wxpay.CallOptions
	}{
		{"relative path", "pay/orderquery", nil, wxpay.CallOptions{}},
		{"path with a query", "/pay/orderquery?a=1", nil, wxpay.CallOptions{}},
		{"a field the pipeline adds", "/x/call", wxpay.Params{"appid": "wx0"}, wxpay.CallOptions{}},
		{"a field XML cannot carry", "/x/call", wxpay.Params{"x": "\x01"}, wxpay.CallOptions{}},
		{"an unknown sign type", "/x/call", nil, wxpay.CallOptions{SignType: "SHA1"}},
		{"HMAC without sign_type", "/x/call", nil, wxpay.CallOptions{SignType: wxpay.SignTypeHMACSHA256, NoSignType: true}},
		{"certificate without one", "/x/call", nil, wxpay.CallOptions{Cert: true}},
	} {
		if _, err := c.Call(context.Background(), tt.path, tt.req, tt.o); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) != 0 {
		t.Errorf("%d requests sent for bad input", len(s.requests))
	}
}

// TestZeroClient: every call of a Client not made by NewClient is an
// error, not a panic.
func TestZeroClient(t *testing.T) {
	ctx := context.Background()
	for _, c := range []*wxpay.Client{nil, new(wxpay.Client)} {
		calls := map[string]func() error{
			"Call":         func() error { _, err := c.Call(ctx, "/pay/orderquery", nil, wxpay.CallOptions{}); return err },
			"UnifiedOrder": func() error { _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{}); return err },
			"OrderQuery":   func() error { _, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "123456"}); return err },
			"CloseOrder":   func() error { _, err := c.CloseOrder(ctx, &wxpay.CloseOrderRequest{OutTradeNo: "123456"}); return err },
			"Refund": func() error {
				_, err := c.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: "123456", OutRefundNo: "R1", TotalFee: 1, RefundFee: 1})
				return err
			},
			"JSAPIPayParams": func() error { _, err := c.JSAPIPayParams("wx1"); return err },
			"ParsePayNotify": func() error { _, err := c.ParsePayNotify([]byte("<xml></xml>")); return err },
			"ForSubMerchant": func() error { _, err := c.ForSubMerchant("", "1"); return err },
			"PayByCode":      func() error { _, err := c.PayByCode(ctx, microPayRequest(), wxpay.CodePayPolicy{}); return err },
			"DownloadBill": func() error {
				_, err := c.DownloadBill(ctx, &wxpay.DownloadBillRequest{BillDate: time.Now()})
				return err
			},
			"AuthCodeToOpenID": func() error {
				_, err := c.AuthCodeToOpenID(ctx, &wxpay.AuthCodeToOpenIDRequest{AuthCode: "134567890123456789"})
				return err
			},
		}
		for name, call := range calls {
			if err := call(); !errors.Is(err, wxpay.ErrNoClient) {
				t.Errorf("%s on %v: %v, want ErrNoClient", name, c == nil, err)
			}
		}
	}
}

func microPayRequest() *wxpay.MicroPayRequest {
	return &wxpay.MicroPayRequest{Body: "b", OutTradeNo: "MP000001", TotalFee: 1, SpbillCreateIP: "10.0.0.1", AuthCode: "134567890123456789"}
}

// wrapped is a RoundTripper around another, as tracing wrappers are.
type wrapped struct{ http.RoundTripper }

// TestWrappedTransportWithCertificate: a certificate cannot be added to a
// transport the client cannot see into, so NewClient says how to pass a
// client that presents it; with one, the certificate is presented.
func TestWrappedTransportWithCertificate(t *testing.T) {
	s := newCallServer(t, echo)
	pki := testPKI()
	hc := &http.Client{Transport: wrapped{s.srv.Client().Transport}}
	_, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, wxpay.WithHTTPClient(hc), wxpay.WithBaseURL(s.srv.URL),
		wxpay.WithCertPEM(pki.merchant.certPEM, pki.merchant.keyPEM))
	if err == nil || !strings.Contains(err.Error(), "WithCertHTTPClient") {
		t.Fatalf("NewClient with a wrapped transport and a certificate: %v, want an error naming WithCertHTTPClient", err)
	}

	mtls := s.srv.Client().Transport.(*http.Transport).Clone()
	cert, err := tls.X509KeyPair(pki.merchant.certPEM, pki.merchant.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	mtls.TLSClientConfig.Certificates = []tls.Certificate{cert}
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, wxpay.WithHTTPClient(hc), wxpay.WithBaseURL(s.srv.URL),
		wxpay.WithCertHTTPClient(&http.Client{Transport: wrapped{mtls}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, withCert := range []bool{true, false} {
		if _, err := c.Call(context.Background(), "/x/call", nil, wxpay.CallOptions{Cert: withCert}); err != nil {
			t.Fatal(err)
		}
		if _, cert := s.last(); cert != withCert {
			t.Errorf("Cert %v: certificate presented %v", withCert, cert)
		}
	}
}

// TestCallOnWxpaytest: a test of Call runs on wxpaytest once the path is
// given an answer.
func TestCallOnWxpaytest(t *testing.T) {
	srv := wxpaytest.NewServer(docAppID, docMchID, docAPIKey)
	defer srv.Close()
	srv.Handle("/pay/queryexchagerate", wxpaytest.Endpoint{Answer: func(req wxpay.Params) (wxpay.Params, error) {
		if req["fee_type"] != "USD" {
			return nil, &wxpay.Error{ErrCode: "PARAM_ERROR", ErrCodeDes: "fee_type"}
		}
		return wxpay.Params{"rate": "700000000", "fee_type": "USD"}, nil
	}})
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, wxpay.WithHTTPClient(srv.Client()), wxpay.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Call(context.Background(), "/pay/queryexchagerate", wxpay.Params{"fee_type": "USD", "date": "20250101"}, wxpay.CallOptions{Idempotent: true})
	if err != nil || resp["rate"] != "700000000" {
		t.Fatalf("Call = %v, %v", resp, err)
	}
	_, err = c.Call(context.Background(), "/pay/queryexchagerate", wxpay.Params{"fee_type": "EUR"}, wxpay.CallOptions{})
	var we *wxpay.Error
	if !errors.As(err, &we) || we.ErrCode != "PARAM_ERROR" {
		t.Fatalf("err = %v, want PARAM_ERROR", err)
	}
}

// TestZeroClientEveryMethod calls every method of a zero and a nil
// Client with zero arguments: none may panic, each must fail with
// ErrNoClient (a handler by refusing the request it serves).
func TestZeroClientEveryMethod(t *testing.T) {
	ctxType := reflect.TypeFor[context.Context]()
	for _, c := range []*wxpay.Client{nil, new(wxpay.Client)} {
		v := reflect.ValueOf(c)
		for i := range v.NumMethod() {
			m := v.Type().Method(i)
			mt := v.Method(i).Type()
			n := mt.NumIn()
			if mt.IsVariadic() {
				n-- // options left out
			}
			args := make([]reflect.Value, n)
			for j := range args {
				in := mt.In(j)
				switch {
				case in == ctxType:
					args[j] = reflect.ValueOf(context.Background())
				case in.Kind() == reflect.Pointer && in.Elem().Kind() == reflect.Struct:
					args[j] = reflect.New(in.Elem())
				case in.Kind() == reflect.Func:
					args[j] = reflect.MakeFunc(in, func([]reflect.Value) []reflect.Value {
						t.Errorf("%s: the callback ran on a zero Client", m.Name)
						out := make([]reflect.Value, in.NumOut())
						for k := range out {
							out[k] = reflect.Zero(in.Out(k))
						}
						return out
					})
				default:
					args[j] = reflect.Zero(in)
				}
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s on nil=%v panics: %v", m.Name, c == nil, r)
					}
				}()
				out := v.Method(i).Call(args)
				if h, ok := out[0].Interface().(http.Handler); ok && len(out) == 1 {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader("<xml><return_code>SUCCESS</return_code></xml>")))
					if rec.Code == http.StatusOK {
						t.Errorf("%s on nil=%v: the handler answered 200", m.Name, c == nil)
					}
					return
				}
				last := out[len(out)-1]
				err, _ := last.Interface().(error)
				if last.Type() != reflect.TypeFor[error]() {
					return // no error to return: not a call (none so far)
				}
				if !errors.Is(err, wxpay.ErrNoClient) {
					t.Errorf("%s on nil=%v: %v, want ErrNoClient", m.Name, c == nil, err)
				}
			}()
		}
	}
}
