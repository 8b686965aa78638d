package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxpay-go/wxpay/wxpaytest"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	c, err := parseConfig(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.dev() || c.addr != "127.0.0.1:8080" || c.db != "data/shop.db" || c.publicURL != "http://127.0.0.1:8080" || c.adminToken != "" || !c.seed {
		t.Errorf("defaults: %+v", c)
	}

	// The environment fills what the flags do not give; flags win.
	env = map[string]string{"SHOP_ADDR": "127.0.0.1:9000", "SHOP_ADMIN_TOKEN": "from-env", "SHOP_HX_UIDS": "1, 7",
		"WXPAY_APPID": "wxapp", "WXPAY_MCHID": "1900000109", "WXPAY_APIKEY": "k", "WXPAY_APPSECRET": "s"}
	c, err = parseConfig([]string{"-admin-token", "from-flag", "-public-url", "https://shop.example.com/"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.dev() || c.addr != "127.0.0.1:9000" || c.adminToken != "from-flag" || c.publicURL != "https://shop.example.com" ||
		len(c.staffUIDs) != 2 || c.staffUIDs[1] != 7 || c.appSecret != "s" {
		t.Errorf("env and flags: %+v", c)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-appid", "wx"}, "all of -appid, -mchid and -apikey"},
		{[]string{"-appid", "wx", "-mchid", "1", "-apikey", "k"}, "-appsecret is required"},
		{[]string{"-appid", "wx", "-mchid", "1", "-apikey", "k", "-appsecret", "s", "-cert", "c.pem"}, "-cert and -key go together"},
		{[]string{"-hx-uids", "x"}, "not a user id"},
		{[]string{"-log-level", "loud"}, "-log-level"},
		{[]string{"-seed", "maybe"}, "-seed"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		_, err := parseConfig(tt.args, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v; want %q", tt.args, err, tt.want)
		}
	}
}

func TestSecretsAreNotLogged(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(slog.NewTextHandler(&b, nil))
	log.Info("starting", "apikey", secret("0123456789abcdef"), "db", redactDSN("postgres://shop:pw0rd@db/shop?password=pw1&sslmode=disable"))
	out := b.String()
	for _, leak := range []string{"0123456789abcdef", "pw0rd", "pw1"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line leaks %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, "[redacted]") || !strings.Contains(out, "sslmode=disable") {
		t.Errorf("log line: %s", out)
	}
}

// writeWxpaytestJSON writes ca.pem, the merchant's pair and wxpaytest.json
// as cmd/wxpaytest -out does, for srv, and returns the JSON's path.
func writeWxpaytestJSON(t *testing.T, srv *wxpaytest.Server) string {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM := srv.MerchantCertPEM()
	m := srv.Merchants()[0]
	j := `{"base_url": "` + srv.URL + `", "control_url": "http://127.0.0.1:8444", "sandbox": false, "ca_cert": "ca.pem",
	  "merchants": [{"appid": "` + m.AppID + `", "mch_id": "` + m.MchID + `", "api_key": "` + m.APIKey + `",
	    "cert": "apiclient_cert.pem", "key": "apiclient_key.pem"}]}`
	for name, data := range map[string][]byte{"ca.pem": srv.CACertPEM(), "apiclient_cert.pem": certPEM, "apiclient_key.pem": keyPEM, "wxpaytest.json": []byte(j)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "wxpaytest.json")
}

func TestParseConfigWxpaytestJSON(t *testing.T) {
	srv := wxpaytest.NewServer("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	path := writeWxpaytestJSON(t, srv)
	incomplete := filepath.Join(t.TempDir(), "wxpaytest.json")
	if err := os.WriteFile(incomplete, []byte(`{"base_url": "`+srv.URL+`", "merchants": [{"appid": "wx1", "mch_id": "1"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string // the error; "" for none
	}{
		{name: "flag", args: []string{"-wxpaytest-json", path}},
		{name: "env", env: map[string]string{"SHOP_WXPAYTEST_JSON": path}},
		{name: "missing file", args: []string{"-wxpaytest-json", path + ".nope"},
			want: "-wxpaytest-json: wxpaytest.json: open " + path + ".nope"},
		{name: "incomplete file", args: []string{"-wxpaytest-json", incomplete},
			want: "incomplete: control_url, ca_cert, merchants[0].api_key, merchants[0].cert, merchants[0].key missing"},
		{name: "with credentials", args: []string{"-wxpaytest-json", path, "-appid", "wx1", "-apikey", "k"},
			want: "found -appid (WXPAY_APPID), -apikey (WXPAY_APIKEY) set as well"},
		{name: "with a certificate", args: []string{"-wxpaytest-json", path, "-cert", "c.pem", "-key", "k.pem"},
			want: "found -cert (WXPAY_CERT), -key (WXPAY_KEY) set as well"},
		{name: "with an AppSecret from the environment", args: []string{"-wxpaytest-json", path}, env: map[string]string{"WXPAY_APPSECRET": "s"},
			want: "login stays development login: found -appsecret (WXPAY_APPSECRET) set as well"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v; want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.dev() || c.binary == nil || c.binary.BaseURL != srv.URL || c.binary.MchID != "10000100" || c.wxpaytestJSON != path {
				t.Errorf("config %+v, binary %+v", c, c.binary)
			}
		})
	}

	// Without the option, development mode is the in-process server, as before.
	c, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil || c.binary != nil || !c.dev() {
		t.Errorf("default: %+v, %v; want in-process development mode", c, err)
	}
}
