package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"software.sslmate.com/src/go-pkcs12"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(*config) string // "" when good
		wantErr string
	}{
		{name: "defaults", check: func(c *config) string {
			if !slices.Equal(c.addrs, []string{"127.0.0.1:8443"}) || c.controlAddr != "127.0.0.1:8444" ||
				len(c.merchants) != 1 || c.merchants[0].mchID != defaultMchID || c.notifyScale != time.Millisecond {
				return "wrong defaults"
			}
			return ""
		}},
		{name: "environment", env: map[string]string{
			"WXPAYTEST_ADDR": ":8443,:9443", "WXPAYTEST_MERCHANTS": "wxa:1001:" + defaultAPIKey + ";wxb:1002:" + defaultAPIKey,
			"WXPAYTEST_SUBS": "1002:2001:wxs1|wxs2", "WXPAYTEST_SANDBOX": "true", "WXPAYTEST_NOTIFY_SCALE": "1s",
			"WXPAYTEST_SIGN_TYPES": "HMAC-SHA256",
		}, check: func(c *config) string {
			if !slices.Equal(c.addrs, []string{":8443", ":9443"}) || len(c.merchants) != 2 || c.merchants[1].appID != "wxb" ||
				!c.sandbox || c.notifyScale != time.Second || len(c.subs) != 1 || !slices.Equal(c.subs[0].appIDs, []string{"wxs1", "wxs2"}) ||
				!slices.Equal(c.signTypes, []wxpay.SignType{wxpay.SignTypeHMACSHA256}) {
				return "environment not applied"
			}
			return ""
		}},
		{name: "flag wins over environment", args: []string{"-control", "127.0.0.1:1"}, env: map[string]string{"WXPAYTEST_CONTROL": "127.0.0.1:2"},
			check: func(c *config) string {
				if c.controlAddr != "127.0.0.1:1" {
					return "control " + c.controlAddr
				}
				return ""
			}},
		{name: "native callback URL from the environment", env: map[string]string{"WXPAYTEST_NATIVE_CALLBACK_URL": "https://shop.example.com/native"},
			check: func(c *config) string {
				if c.nativeURL != "https://shop.example.com/native" {
					return "native callback URL " + c.nativeURL
				}
				return ""
			}},
		{name: "native callback URL not a URL", args: []string{"-native-callback-url", "shop.example.com/native"}, wantErr: "-native-callback-url"},
		{name: "merchant without key", args: []string{"-merchant", "wxa:1001"}, wantErr: "APPID:MCH_ID:API_KEY"},
		{name: "short key", args: []string{"-merchant", "wxa:1001:short"}, wantErr: "32"},
		{name: "sub of nobody", args: []string{"-sub", "9999:2001"}, wantErr: "no -merchant has mch_id 9999"},
		{name: "bad sign type", args: []string{"-sign-types", "SHA1"}, wantErr: "SHA1"},
		{name: "bad env value", env: map[string]string{"WXPAYTEST_SANDBOX": "maybe"}, wantErr: "WXPAYTEST_SANDBOX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Fatal(msg)
			}
		})
	}
}

// logBuffer collects the binary's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startApp starts the command in-process on free loopback ports.
func startApp(t *testing.T, log io.Writer, args ...string) *app {
	t.Helper()
	cfg, err := parseConfig(append([]string{"-addr", "127.0.0.1:0", "-control", "127.0.0.1:0"}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := start(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// control calls the control API and decodes its answer into out.
func control(t *testing.T, a *app, method, path string, in any, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.controlURL+path, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

// clientFromOut is what a user of another language does: a client built
// from the -out directory only, trusting ca.pem and presenting the
// merchant's PEM certificate.
func clientFromOut(t *testing.T, dir string) (*wxpay.Client, clientConfig) {
	t.Helper()
	var cc clientConfig
	b, err := os.ReadFile(filepath.Join(dir, "wxpaytest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cc); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(read(cc.CACert)) {
		t.Fatal("ca.pem does not parse")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(hc.CloseIdleConnections)
	m := cc.Merchants[0]
	c, err := wxpay.NewClient(m.AppID, m.MchID, m.APIKey, wxpay.WithBaseURL(cc.BaseURL), wxpay.WithHTTPClient(hc),
		wxpay.WithCertPEM(read(m.Cert), read(m.Key)))
	if err != nil {
		t.Fatal(err)
	}
	return c, cc
}

// TestWalk walks the binary's logic in-process the way a client of
// another language does, through the files of -out and the control API
// only, across a restart on the same -state.
func TestWalk(t *testing.T) {
	dir := t.TempDir()
	out, state := filepath.Join(dir, "out"), filepath.Join(dir, "state.json")
	var log logBuffer
	a := startApp(t, &log, "-out", out, "-state", state, "-merchant", "wx0000000000000001:1900000001:"+defaultAPIKey)
	c, cc := clientFromOut(t, out)
	if cc.ControlURL != a.controlURL || !strings.HasPrefix(cc.BaseURL, "https://127.0.0.1:") {
		t.Fatalf("wxpaytest.json URLs %q, %q", cc.BaseURL, cc.ControlURL)
	}

	var mu sync.Mutex
	var pays []*wxpay.PayNotify
	var refunds []*wxpay.RefundNotify
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/refund") {
			n, err := c.ParseRefundNotify(body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			refunds = append(refunds, n)
		} else {
			n, err := c.ParsePayNotify(body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			pays = append(pays, n)
		}
		io.WriteString(w, "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>")
	}))
	defer merchant.Close()

	ctx := context.Background()
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "walk", OutTradeNo: "WALK0001", TotalFee: 500, SpbillCreateIP: "127.0.0.1",
		NotifyURL: merchant.URL + "/pay", TradeType: wxpay.TradeTypeNative, ProductID: "p1",
	}); err != nil {
		t.Fatal(err)
	}
	var paid map[string]string
	if st := control(t, a, "POST", "/orders/WALK0001/pay", map[string]any{"bank_type": "ICBC_DEBIT", "coupons": []map[string]any{{"id": "C9", "fee": 100, "type": "NO_CASH"}}}, &paid); st != 200 {
		t.Fatalf("pay: %d %v", st, paid)
	}
	if st := control(t, a, "POST", "/notifies/wait", map[string]int{"timeout_ms": 10000}, nil); st != 200 {
		t.Fatalf("wait: %d", st)
	}
	mu.Lock()
	if len(pays) != 1 || pays[0].TotalFee != 500 || pays[0].CashFee != 400 || pays[0].BankType != "ICBC_DEBIT" {
		t.Fatalf("payment notifies %+v", pays)
	}
	txn := pays[0].TransactionID
	mu.Unlock()

	// Restart on the same state.
	caBefore, _ := os.ReadFile(filepath.Join(out, "ca.pem"))
	a.close()
	a = startApp(t, &log, "-out", out, "-state", state, "-merchant", "wx0000000000000001:1900000001:"+defaultAPIKey)
	defer a.close()
	// A new port (-addr :0), so a new client on it; the same CA.
	c2, _ := clientFromOut(t, out)
	if caAfter, _ := os.ReadFile(filepath.Join(out, "ca.pem")); !bytes.Equal(caBefore, caAfter) {
		t.Fatal("a new CA after the restart")
	}
	q, err := c2.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "WALK0001"})
	if err != nil {
		t.Fatal(err)
	}
	if q.TradeState != wxpay.TradeStateSuccess || q.TransactionID != txn {
		t.Fatalf("after the restart: %+v", q)
	}
	c = c2 // the notify handler verifies with the same credentials
	if _, err := c2.Refund(ctx, &wxpay.RefundRequest{OutTradeNo: "WALK0001", OutRefundNo: "WALK0001R", TotalFee: 500, RefundFee: 200, NotifyURL: merchant.URL + "/refund"}); err != nil {
		t.Fatal(err)
	}
	if st := control(t, a, "POST", "/notifies/wait", nil, nil); st != 200 {
		t.Fatalf("wait: %d", st)
	}
	mu.Lock()
	if len(refunds) != 1 || refunds[0].RefundFee != 200 || refunds[0].SettlementTotalFee != 400 {
		t.Fatalf("refund notifies %+v", refunds)
	}
	mu.Unlock()

	var notifies []attemptJSON
	control(t, a, "GET", "/notifies", nil, &notifies)
	var kinds []string
	for _, n := range notifies {
		kinds = append(kinds, n.Kind+" "+n.OutTradeNo+" "+map[bool]string{true: "ack", false: "nack"}[n.Acknowledged])
	}
	if diff := cmp.Diff([]string{"pay WALK0001 ack", "refund WALK0001 ack"}, kinds); diff != "" {
		t.Fatalf("notifies across the restart (-want +got):\n%s", diff)
	}
	var reqs []requestJSON
	control(t, a, "GET", "/requests", nil, &reqs)
	if len(reqs) != 2 || reqs[1].Path != "/secapi/pay/refund" || !reqs[1].ClientCert || reqs[1].ResponseParams["result_code"] != "SUCCESS" {
		t.Fatalf("requests since the restart: %+v", reqs)
	}

	// The .p12, from the directory and from the control API.
	p12, _ := os.ReadFile(filepath.Join(out, "apiclient_cert.p12"))
	resp, err := http.Get(a.controlURL + "/files/1900000001/apiclient_cert.p12")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for name, b := range map[string][]byte{"file": p12, "served": served} {
		key, leaf, cas, err := pkcs12.DecodeChain(b, "1900000001")
		if err != nil {
			t.Fatalf("%s .p12 with the mch_id as password: %v", name, err)
		}
		if key == nil || leaf.Subject.CommonName != "1900000001" || len(cas) != 1 {
			t.Fatalf("%s .p12: leaf %v, %d CAs", name, leaf.Subject, len(cas))
		}
	}

	// One log line per request and notify attempt.
	lines := strings.Count(log.String(), "msg=request ")
	if lines != 3 {
		t.Errorf("%d request lines, want 3:\n%s", lines, log.String())
	}
	if n := strings.Count(log.String(), "msg=notify "); n != 2 {
		t.Errorf("%d notify lines, want 2", n)
	}
}

// TestControlErrors: the control API's statuses.
func TestControlErrors(t *testing.T) {
	a := startApp(t, io.Discard, "-manual-refunds")
	defer a.close()
	c, err := wxpay.NewClient(defaultAppID, defaultMchID, defaultAPIKey, wxpay.WithBaseURL(a.srv.URL), wxpay.WithHTTPClient(a.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "x", OutTradeNo: "CTRL0001", TotalFee: 1, SpbillCreateIP: "127.0.0.1",
		NotifyURL: "http://127.0.0.1:9/notify", TradeType: wxpay.TradeTypeNative, ProductID: "p",
	}); err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	tests := []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/orders/NOSUCH/pay", nil, 404},
		{"PUT", "/notifies/schedule", map[string]any{"delays_ms": []int{1}}, 200},
		{"POST", "/orders/CTRL0001/pay", map[string]any{"openid": "o1"}, 200},
		{"POST", "/orders/CTRL0001/pay", nil, 409},
		{"POST", "/orders/CTRL0001/pay", map[string]any{"no_such_field": 1}, 400},
		{"POST", "/notifies/wait", nil, 409}, // the discard port never acknowledges
		{"POST", "/notifies/wait", nil, 200}, // reported once
		{"POST", "/refunds/NOSUCH/complete", nil, 404},
		{"POST", "/faults", map[string]any{"path": "/pay/orderquery", "faults": []map[string]any{{"err_code": "SYSTEMERROR"}}}, 200},
		{"POST", "/faults", map[string]any{"path": "orderquery"}, 400},
		{"POST", "/notifies/forge", map[string]any{"forgery": "nonsense", "url": "http://x", "out_trade_no": "1"}, 400},
		{"PUT", "/codes/123", map[string]any{}, 400},
		{"PUT", "/codes/134567890123456789", map[string]any{"err_code": "USERPAYING", "then": "SUCCESS"}, 200},
		{"POST", "/sandbox/rotate-key", nil, 400},
		{"GET", "/nothing", nil, 404},
		{"POST", "/reset", nil, 200},
	}
	for _, tt := range tests {
		if got := control(t, a, tt.method, tt.path, tt.body, &e); got != tt.want {
			t.Errorf("%s %s: %d %v, want %d", tt.method, tt.path, got, e, tt.want)
		}
	}
	if _, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "CTRL0001"}); err == nil {
		t.Fatal("the order survived /reset")
	}
}

// TestOpenAPI: openapi.json describes exactly the control API's routes.
func TestOpenAPI(t *testing.T) {
	a := startApp(t, io.Discard)
	defer a.close()
	resp, err := http.Get(a.controlURL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var documented, served []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	for _, r := range a.routes {
		served = append(served, strings.Replace(r, "{path...}", "{path}", 1))
	}
	slices.Sort(documented)
	slices.Sort(served)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Fatalf("routes (-served +documented):\n%s", diff)
	}
}
