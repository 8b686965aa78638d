package pay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay/wxpaytest"
)

// writeBinaryFiles writes what cmd/wxpaytest -out writes for srv into a
// new directory, with edit applied to the JSON first, and returns the
// path of wxpaytest.json.
func writeBinaryFiles(t *testing.T, srv *wxpaytest.Server, controlURL string, edit func(j map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	m := srv.Merchants()[0]
	files := map[string][]byte{
		"ca.pem":                        srv.CACertPEM(),
		m.MchID + "/apiclient_cert.pem": m.CertPEM,
		m.MchID + "/apiclient_key.pem":  m.KeyPEM,
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	j := map[string]any{
		"base_url": srv.URL, "control_url": controlURL, "sandbox": false, "ca_cert": "ca.pem",
		"merchants": []any{map[string]any{
			"appid": m.AppID, "mch_id": m.MchID, "api_key": m.APIKey,
			"cert": m.MchID + "/apiclient_cert.pem", "key": m.MchID + "/apiclient_key.pem",
			"p12": m.MchID + "/apiclient_cert.p12", "p12_password": m.MchID,
		}},
	}
	if edit != nil {
		edit(j)
	}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "wxpaytest.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func merchant0(j map[string]any) map[string]any { return j["merchants"].([]any)[0].(map[string]any) }

func TestLoadBinaryConfig(t *testing.T) {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()

	c, err := LoadBinaryConfig(writeBinaryFiles(t, srv, "http://127.0.0.1:8444/", nil))
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := srv.MerchantCertPEM()
	if c.BaseURL != srv.URL || c.ControlURL != "http://127.0.0.1:8444" || c.AppID != "wxd930ea5d5a258f4f" || c.MchID != "10000100" ||
		c.APIKey != "192006250b4c09247ec02edce69f6a2d" || string(c.CAPEM) != string(srv.CACertPEM()) ||
		string(c.CertPEM) != string(certPEM) || string(c.KeyPEM) != string(keyPEM) {
		t.Errorf("loaded %+v", c)
	}

	other := wxpaytest.NewServer("wx2", "2", "192006250b4c09247ec02edce69f6a2e")
	defer other.Close()
	otherCert, _ := other.MerchantCertPEM()
	for _, tt := range []struct {
		name string
		edit func(j map[string]any)
		file func(path string) // done to the files after writing
		want string
	}{
		{"missing file", nil, func(p string) { os.Remove(p) }, "start cmd/wxpaytest with -out DIR"},
		{"not JSON", nil, func(p string) { os.WriteFile(p, []byte("base_url: x"), 0o644) }, "not a wxpaytest.json"},
		{"empty object", nil, func(p string) { os.WriteFile(p, []byte("{}"), 0o644) },
			"incomplete: base_url, control_url, ca_cert, merchants missing"},
		{"half a merchant", func(j map[string]any) {
			delete(merchant0(j), "api_key")
			merchant0(j)["key"] = ""
		}, nil, "incomplete: merchants[0].api_key, merchants[0].key missing"},
		{"no merchants", func(j map[string]any) { j["merchants"] = []any{} }, nil, "incomplete: merchants missing"},
		{"sandbox", func(j map[string]any) { j["sandbox"] = true }, nil, "without -sandbox"},
		{"plain HTTP API", func(j map[string]any) { j["base_url"] = strings.Replace(srv.URL, "https:", "http:", 1) }, nil, "base_url: " + `"http://`},
		{"relative control URL", func(j map[string]any) { j["control_url"] = "/control" }, nil, "control_url"},
		{"short key", func(j map[string]any) { merchant0(j)["api_key"] = "short" }, nil, "has 5 characters"},
		{"no CA file", func(j map[string]any) { j["ca_cert"] = "nope.pem" }, nil, "ca_cert: open"},
		{"CA not PEM", nil, func(p string) { os.WriteFile(filepath.Join(filepath.Dir(p), "ca.pem"), []byte("junk"), 0o644) }, "holds no PEM certificate"},
		{"no key file", func(j map[string]any) { merchant0(j)["key"] = "missing/apiclient_key.pem" }, nil, "merchants[0].key: open"},
		{"cert of another key", nil, func(p string) {
			os.WriteFile(filepath.Join(filepath.Dir(p), "10000100", "apiclient_cert.pem"), otherCert, 0o644)
		}, "merchants[0].cert and .key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeBinaryFiles(t, srv, "http://127.0.0.1:8444", tt.edit)
			if tt.file != nil {
				tt.file(path)
			}
			c, err := LoadBinaryConfig(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadBinaryConfig = %+v, %v; want an error containing %q", c, err, tt.want)
			}
		})
	}
}

// TestBinary runs the client of a wxpaytest.json against the server it
// names, with a control API that does what cmd/wxpaytest's does for the
// one route the shop calls.
func TestBinary(t *testing.T) {
	var notifies atomic.Int32
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == PayNotifyPath {
			notifies.Add(1)
		}
		w.Write([]byte("<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>"))
	}))
	defer shop.Close()
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	control := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		no, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/orders/"), "/pay")
		var body struct {
			SkipNotify bool `json:"skip_notify"`
		}
		if r.Method != http.MethodPost || !ok || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		if err := srv.PayWith(no, wxpaytest.Payment{SkipNotify: body.SkipNotify}); err != nil {
			status := http.StatusConflict
			if errors.Is(err, wxpaytest.ErrNotFound) {
				status = http.StatusNotFound
			}
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer control.Close()

	c, err := LoadBinaryConfig(writeBinaryFiles(t, srv, control.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBinary(c, shop.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	for _, tt := range []struct {
		no       string
		silently bool
	}{{"W000001", false}, {"W000002", true}} {
		if _, _, err := b.Prepay(ctx, Order{OutTradeNo: tt.no, Body: "test", Fee: 100, OpenID: "o1", ClientIP: "127.0.0.1"}); err != nil {
			t.Fatalf("Prepay %s: %v", tt.no, err)
		}
		before := notifies.Load()
		confirm := b.Confirm
		if tt.silently {
			confirm = b.ConfirmWithoutNotify
		}
		if err := confirm(tt.no); err != nil {
			t.Fatalf("confirm %s: %v", tt.no, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := srv.WaitNotifies(wctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := notifies.Load()-before, map[bool]int32{false: 1, true: 0}[tt.silently]; got != want {
			t.Errorf("%s (silently %v): %d notifies; want %d", tt.no, tt.silently, got, want)
		}
		st, err := b.QueryOrder(ctx, tt.no)
		if err != nil || st.State != "SUCCESS" || st.TotalFee != 100 {
			t.Errorf("QueryOrder(%s) = %+v, %v; want SUCCESS, 100 fen", tt.no, st, err)
		}
	}
	if err := b.Confirm("W000404"); err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Confirm of an unknown order: %v; want the control API's 404 and its message", err)
	}
}

// TestBinaryVerifiesTLS: the client trusts the CA of the file and nothing
// else, so a server of another CA is refused.
func TestBinaryVerifiesTLS(t *testing.T) {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	other := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer other.Close()
	c, err := LoadBinaryConfig(writeBinaryFiles(t, srv, "http://127.0.0.1:1", func(j map[string]any) { j["base_url"] = other.URL }))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBinary(c, "http://127.0.0.1:1", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = b.Prepay(context.Background(), Order{OutTradeNo: "W000001", Body: "test", Fee: 100, OpenID: "o1", ClientIP: "127.0.0.1"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Prepay at a server of another CA: %v; want a certificate error", err)
	}
}
