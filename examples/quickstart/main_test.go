package main

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestRunOnWxpaytest(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out, noEnv); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var steps []string
	for _, l := range lines {
		if strings.HasPrefix(l, "✓ ") {
			steps = append(steps, strings.TrimSpace(l[len("✓ "):len("✓ ")+15]))
		}
		if strings.HasPrefix(l, "✗") {
			t.Fatalf("failed step in:\n%s", out.String())
		}
	}
	want := "unified order,pay parameters,payer pays,payment notify,order query,refund,refund notify,refund query"
	if got := strings.Join(steps, ","); got != want {
		t.Fatalf("steps %s\nwant  %s\n%s", got, want, out.String())
	}
	if !strings.HasPrefix(lines[len(lines)-1], "all steps passed") {
		t.Fatalf("last line %q", lines[len(lines)-1])
	}
}

// TestFailingStepStops: a failing step is marked ✗, ends the walk and
// makes run return an error (so main exits 1).
func TestFailingStepStops(t *testing.T) {
	var out strings.Builder
	w, stop, err := fakeWalk(&out)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	w.pay = func(context.Context, string) (string, error) { return "", errors.New("payer walked away") }
	err = w.steps(context.Background(), &out)
	if err == nil || !strings.Contains(err.Error(), "payer pays") {
		t.Fatalf("steps = %v", err)
	}
	if !strings.Contains(out.String(), "✗ payer pays      payer walked away") || strings.Contains(out.String(), "payment notify") {
		t.Fatalf("transcript:\n%s", out.String())
	}
}

func TestConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	full := map[string]string{
		"WXPAY_APPID": "wx1", "WXPAY_MCHID": "1", "WXPAY_APIKEY": "k", "WXPAY_CERT": "c.pem", "WXPAY_KEY": "k.pem",
		"WXPAY_NOTIFY_URL": "https://pay.example.com/", "WXPAY_OPENID": "o1",
	}
	cfg, err := readConfig(env(full))
	if err != nil || cfg.notifyURL != "https://pay.example.com" || cfg.listen != ":8080" || cfg.payWait.Minutes() != 5 {
		t.Fatalf("full config: %+v, %v", cfg, err)
	}
	var cfgErr configError
	for name, change := range map[string]map[string]string{
		"partial":   {"WXPAY_KEY": ""},
		"http":      {"WXPAY_NOTIFY_URL": "http://pay.example.com"},
		"bad wait":  {"WXPAY_PAY_WAIT": "soon"},
		"zero wait": {"WXPAY_PAY_WAIT": "0s"},
	} {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for k, v := range change {
			m[k] = v
		}
		if _, err := readConfig(env(m)); !errors.As(err, &cfgErr) {
			t.Errorf("%s: %v, want a configError", name, err)
		}
	}
	if cfg, err := readConfig(noEnv); cfg != nil || err != nil {
		t.Fatalf("no variables: %+v, %v", cfg, err)
	}
	// Variables that select nothing by themselves leave the quickstart on wxpaytest.
	if cfg, err := readConfig(env(map[string]string{"WXPAY_LISTEN": ":9000", "WXPAY_CLI_APIKEY": "k"})); cfg != nil || err != nil {
		t.Fatalf("optional variables only: %+v, %v", cfg, err)
	}
	// A partial configuration names what was found set, then what is missing.
	_, err = readConfig(env(map[string]string{"WXPAY_APIKEY": "k", "WXPAY_OPENID": "o1"}))
	want := "found WXPAY_APIKEY, WXPAY_OPENID set, so the real API was chosen; it also needs " +
		"WXPAY_APPID, WXPAY_MCHID, WXPAY_CERT, WXPAY_KEY, WXPAY_NOTIFY_URL. To run on wxpaytest instead, unset WXPAY_APIKEY, WXPAY_OPENID"
	if err == nil || err.Error() != want {
		t.Errorf("partial config: %v\nwant %s", err, want)
	}
	// A bad certificate is a configuration error too, before any step.
	bad := map[string]string{}
	for k, v := range full {
		bad[k] = v
	}
	bad["WXPAY_CERT"] = "/nonexistent/apiclient_cert.pem"
	if err := run(context.Background(), &strings.Builder{}, env(bad)); !errors.As(err, &cfgErr) {
		t.Fatalf("missing certificate file: %v", err)
	}
}
