package main

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
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
