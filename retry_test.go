package wxpay

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay/internal/wire"
)

const (
	testAppID = "wxd930ea5d5a258f4f"
	testMchID = "10000100"
)

// fakeAPI is a minimal signed v2 server for pipeline tests: it checks each
// request's sign with key and answers what answer returns, signed.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	key    string
	calls  []Params
	answer func(path string, req Params) (status int, resp Params)
}

func newFakeAPI(t *testing.T, key string, answer func(path string, req Params) (int, Params)) *fakeAPI {
	f := &fakeAPI{t: t, key: key, answer: answer}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := ParseXML(body)
	if err != nil {
		f.t.Errorf("server: request does not parse: %v", err)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, req)
	key := f.key
	f.mu.Unlock()
	if r.URL.Path != "/sandboxnew/pay/getsignkey" {
		if err := VerifySign(req, key); err != nil {
			w.Write(Params{"return_code": "FAIL", "return_msg": "签名错误"}.AppendXML(nil))
			return
		}
	}
	status, resp := f.answer(r.URL.Path, req)
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	if resp["return_code"] == "SUCCESS" && resp["sign"] == "" {
		st := SignType(req["sign_type"])
		if st == "" {
			st = SignTypeMD5
		}
		resp["sign"], _ = Sign(resp, key, st)
	}
	w.Write(resp.AppendXML(nil))
}

func (f *fakeAPI) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func ok(req Params, kv ...string) Params {
	p := Params{"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": req["appid"], "mch_id": req["mch_id"], "nonce_str": "srvnonce"}
	for i := 0; i < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return p
}

func failWith(req Params, code string) Params {
	return ok(req, "result_code", "FAIL", "err_code", code, "err_code_des", code+" described")
}

func newTestClient(t *testing.T, f *fakeAPI, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(testAppID, testMchID, docKey, append([]Option{WithHTTPClient(f.srv.Client()), WithBaseURL(f.srv.URL)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var queryEP = endpoint{path: "/pay/orderquery", idempotent: true}

func TestRetry(t *testing.T) {
	fast := WithRetry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond})
	tests := []struct {
		name      string
		opts      []Option
		ep        endpoint
		answers   []string // per attempt: "ok", "500", "400", or an err_code
		wantCalls int
		wantErr   string // err_code, "http", or "" for success
	}{
		{"SYSTEMERROR then success", []Option{fast}, queryEP, []string{"SYSTEMERROR", "ok"}, 2, ""},
		{"503 then success", []Option{fast}, queryEP, []string{"500", "ok"}, 2, ""},
		{"gives up after MaxAttempts", []Option{fast}, queryEP, []string{"SYSTEMERROR", "SYSTEMERROR", "SYSTEMERROR", "ok"}, 3, "SYSTEMERROR"},
		{"final code not retried", []Option{fast}, queryEP, []string{"ORDERPAID", "ok"}, 1, "ORDERPAID"},
		{"USERPAYING not resent", []Option{fast}, queryEP, []string{"USERPAYING", "ok"}, 1, "USERPAYING"},
		{"4xx not retried", []Option{fast}, queryEP, []string{"400", "ok"}, 1, "http"},
		{"off by default", nil, queryEP, []string{"SYSTEMERROR", "ok"}, 1, "SYSTEMERROR"},
		{"endpoint not idempotent", []Option{fast}, endpoint{path: "/pay/micropay"}, []string{"SYSTEMERROR", "ok"}, 1, "SYSTEMERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n int
			f := newFakeAPI(t, docKey, func(_ string, req Params) (int, Params) {
				a := tt.answers[n]
				n++
				switch a {
				case "ok":
					return 200, ok(req)
				case "500":
					return 503, nil
				case "400":
					return 400, nil
				}
				return 200, failWith(req, a)
			})
			c := newTestClient(t, f, tt.opts...)
			_, err := c.call(context.Background(), tt.ep, []wire.Field{{Name: "out_trade_no", Value: "T1"}})
			if got := f.callCount(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			var we *Error
			var he *HTTPError
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.wantErr == "http" && !errors.As(err, &he):
				t.Errorf("err = %v, want *HTTPError", err)
			case tt.wantErr != "" && tt.wantErr != "http" && (!errors.As(err, &we) || we.ErrCode != tt.wantErr):
				t.Errorf("err = %v, want err_code %s", err, tt.wantErr)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for i := 1; i < len(f.calls); i++ {
				if f.calls[i]["nonce_str"] == f.calls[i-1]["nonce_str"] || f.calls[i]["sign"] == f.calls[i-1]["sign"] {
					t.Errorf("attempt %d reused nonce_str or sign", i+1)
				}
				if f.calls[i]["out_trade_no"] != "T1" {
					t.Errorf("attempt %d changed business fields: %v", i+1, f.calls[i])
				}
			}
		})
	}
}

func TestRetryHonoursDeadline(t *testing.T) {
	f := newFakeAPI(t, docKey, func(_ string, req Params) (int, Params) { return 200, failWith(req, "SYSTEMERROR") })
	c := newTestClient(t, f, WithRetry(RetryPolicy{MaxAttempts: 5, BaseDelay: time.Hour, MaxDelay: time.Hour}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.call(ctx, queryEP, nil)
	var we *Error
	if !errors.As(err, &we) || we.ErrCode != "SYSTEMERROR" {
		t.Errorf("err = %v, want the last SYSTEMERROR", err)
	}
	if f.callCount() != 1 || time.Since(start) > 4*time.Second {
		t.Errorf("waited past the deadline: %d calls in %v", f.callCount(), time.Since(start))
	}
}

// closedURL returns an https URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr
}

func TestFailoverToBackupDomain(t *testing.T) {
	backup := newFakeAPI(t, docKey, func(_ string, req Params) (int, Params) { return 200, ok(req, "trade_state", "SUCCESS") })
	c, err := NewClient(testAppID, testMchID, docKey,
		WithHTTPClient(backup.srv.Client()), WithBaseURL(closedURL(t)), WithBackupBaseURL(backup.srv.URL),
		WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.call(context.Background(), queryEP, []wire.Field{{Name: "out_trade_no", Value: "T1"}})
	if err != nil || p["trade_state"] != "SUCCESS" {
		t.Fatalf("call = %v, %v; want the backup's answer", p, err)
	}
	if backup.callCount() != 1 {
		t.Errorf("backup calls = %d, want 1", backup.callCount())
	}

	// Without failover the same failure is a transport error.
	c, _ = NewClient(testAppID, testMchID, docKey, WithHTTPClient(backup.srv.Client()), WithBaseURL(closedURL(t)),
		WithBackupBaseURL(""), WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	_, err = c.call(context.Background(), queryEP, nil)
	var te *transportError
	if !errors.As(err, &te) {
		t.Errorf("err = %v, want a transport error", err)
	}
}

func TestDefaultBackupDomain(t *testing.T) {
	c, _ := NewClient(testAppID, testMchID, docKey)
	if c.backup == nil || c.backup.String() != BackupBaseURL {
		t.Errorf("backup = %v, want %q", c.backup, BackupBaseURL)
	}
	c, _ = NewClient(testAppID, testMchID, docKey, WithBaseURL("https://example.test"))
	if c.backup != nil {
		t.Errorf("backup for a custom base URL = %v, want none", c.backup)
	}
}

func TestSandbox(t *testing.T) {
	const sandboxKey1, sandboxKey2 = "sandboxkey0000000000000000000001", "sandboxkey0000000000000000000002"
	var f *fakeAPI
	keys := 0
	f = newFakeAPI(t, sandboxKey1, func(path string, req Params) (int, Params) {
		switch path {
		case "/sandboxnew/pay/getsignkey":
			if err := VerifySign(req, docKey); err != nil || req["appid"] != "" {
				t.Errorf("getsignkey request %v: %v", req, err)
			}
			keys++
			f.mu.Lock()
			k := f.key
			f.mu.Unlock()
			return 200, Params{"return_code": "SUCCESS", "return_msg": "ok", "mch_id": testMchID, "sandbox_signkey": k}
		case "/sandboxnew/pay/orderquery":
			if req["total_fee"] != "" {
				t.Errorf("amounts rewritten: %v", req)
			}
			return 200, ok(req, "trade_state", "NOTPAY")
		}
		t.Errorf("unexpected path %s", path)
		return 404, nil
	})
	c := newTestClient(t, f, WithSandbox(SandboxLegacy))
	for i := range 2 {
		if _, err := c.call(context.Background(), queryEP, []wire.Field{{Name: "out_trade_no", Value: "T1"}}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if keys != 1 {
		t.Errorf("sign key fetched %d times, want once", keys)
	}
	if c.currentSigner().key != sandboxKey1 {
		t.Errorf("key = %q, want the sandbox key", c.currentSigner().key)
	}
	// The sandbox rotates its key: the client refetches it once.
	f.mu.Lock()
	f.key = sandboxKey2
	f.mu.Unlock()
	if _, err := c.call(context.Background(), queryEP, []wire.Field{{Name: "out_trade_no", Value: "T1"}}); err != nil {
		t.Fatalf("after key rotation: %v", err)
	}
	if keys != 2 || c.currentSigner().key != sandboxKey2 {
		t.Errorf("keys fetched %d, key %q; want a refetch", keys, c.currentSigner().key)
	}
	if _, err := NewClient(testAppID, testMchID, docKey, WithSandbox(SandboxXDC), WithSignType(SignTypeHMACSHA256)); err == nil {
		t.Error("sandbox with HMAC-SHA256 accepted")
	}
}

func TestSubMerchant(t *testing.T) {
	var sub string
	f := newFakeAPI(t, docKey, func(_ string, req Params) (int, Params) {
		if req["sub_mch_id"] != "1900000109" || req["sub_appid"] != "wxsub" {
			t.Errorf("request lacks the sub-merchant: %v", req)
		}
		resp := ok(req, "sub_mch_id", sub, "sub_appid", "wxsub")
		if sub == "" {
			delete(resp, "sub_mch_id")
		}
		return 200, resp
	})
	c := newTestClient(t, f, WithSubMerchant("wxsub", "1900000109"))
	sub = "1900000109"
	if _, err := c.call(context.Background(), queryEP, nil); err != nil {
		t.Fatal(err)
	}
	sub = "1900000999"
	if _, err := c.call(context.Background(), queryEP, nil); !errors.Is(err, ErrMerchantMismatch) {
		t.Errorf("answer for another sub-merchant: %v, want ErrMerchantMismatch", err)
	}
	sub = "" // not every answer echoes sub_mch_id
	if _, err := c.call(context.Background(), queryEP, nil); err != nil {
		t.Errorf("answer without sub_mch_id: %v", err)
	}
	other, err := c.ForSubMerchant("wxsub", "1900000999")
	if err != nil {
		t.Fatal(err)
	}
	if other.subMchID != "1900000999" || c.subMchID != "1900000109" {
		t.Errorf("ForSubMerchant changed the original or did not take: %q %q", c.subMchID, other.subMchID)
	}
}

func TestLoggingRedactsSecrets(t *testing.T) {
	f := newFakeAPI(t, docKey, func(_ string, req Params) (int, Params) { return 200, ok(req) })
	var buf bytes.Buffer
	c := newTestClient(t, f, WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if _, err := c.call(context.Background(), queryEP, []wire.Field{{Name: "out_trade_no", Value: "T1"}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	f.mu.Lock()
	sent := f.calls[0]["sign"]
	f.mu.Unlock()
	for _, secret := range []string{docKey, sent} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains a secret %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "out_trade_no=T1") || !strings.Contains(out, "[REDACTED]") || !strings.Contains(out, "response.") {
		t.Errorf("log lacks the redacted request and response:\n%s", out)
	}
}

// TestSandboxResend: after WeChat refuses a sandbox key, a call that is
// safe to repeat is signed anew with a fresh key and sent once more;
// MicroPay never is, and an answer that fails our own verification (WeChat
// processed that request) is never a reason to resend.
func TestSandboxResend(t *testing.T) {
	const oldKey, newKey = "sandboxkey0000000000000000000001", "sandboxkey0000000000000000000002"
	tests := []struct {
		name      string
		call      func(c *Client) error
		path      string
		badAnswer bool // the answer's sign is wrong, rather than WeChat refusing ours
		wantTries int
	}{
		{"order query after a refused key", func(c *Client) error {
			_, err := c.OrderQuery(context.Background(), &OrderQueryRequest{OutTradeNo: "T00001"})
			return err
		}, "/sandboxnew/pay/orderquery", false, 2},
		{"micropay after a refused key", func(c *Client) error {
			_, err := c.MicroPay(context.Background(), &MicroPayRequest{Body: "b", OutTradeNo: "MP00001", TotalFee: 1, SpbillCreateIP: "10.0.0.1", AuthCode: "134567890123456789"})
			return err
		}, "/sandboxnew/pay/micropay", false, 1},
		{"order query whose answer fails verification", func(c *Client) error {
			_, err := c.OrderQuery(context.Background(), &OrderQueryRequest{OutTradeNo: "T00001"})
			return err
		}, "/sandboxnew/pay/orderquery", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f *fakeAPI
			keyFetches := 0
			f = newFakeAPI(t, oldKey, func(path string, req Params) (int, Params) {
				if path == "/sandboxnew/pay/getsignkey" {
					keyFetches++
					f.mu.Lock()
					k := f.key
					f.mu.Unlock()
					return 200, Params{"return_code": "SUCCESS", "mch_id": testMchID, "sandbox_signkey": k}
				}
				if path != tt.path {
					t.Errorf("unexpected path %s", path)
				}
				resp := ok(req, "trade_state", "SUCCESS", "transaction_id", "4200")
				if tt.badAnswer {
					resp["sign"] = strings.Repeat("0", 32)
				}
				return 200, resp
			})
			c := newTestClient(t, f, WithSandbox(SandboxLegacy))
			// Fetch the first key, then rotate it at the sandbox.
			if _, err := c.sandboxSigner(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !tt.badAnswer {
				f.mu.Lock()
				f.key = newKey
				f.mu.Unlock()
			}
			err := tt.call(c)
			if tries := f.callCount() - keyFetches; tries != tt.wantTries {
				t.Errorf("%d requests to %s, want %d (err %v)", tries, tt.path, tt.wantTries, err)
			}
			if tt.wantTries == 1 && err == nil {
				t.Error("no error")
			}
		})
	}
}
