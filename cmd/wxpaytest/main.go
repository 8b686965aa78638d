// Command wxpaytest runs wxpaytest.Server, the project's fake WeChat Pay
// v2 API, as a long-lived process, so that a backend in any language can
// be tested against it the way stripe-mock serves Stripe's users.
//
// It serves HTTPS on WeChat's paths (/pay/unifiedorder,
// /secapi/pay/refund, …; the merchant certificate is required on
// /secapi/), with its own certificate authority, and a control API, plain
// HTTP and JSON, on a second port: pay an order, fail or complete a
// refund, inject faults, forge notifies, move red packets on, scan a
// Native mode-1 QR code, sign and terminate contracts, list requests and
// notify attempts, wait for the notifies, reset. GET /openapi.json on the
// control port describes it.
//
// Usage:
//
//	wxpaytest [flags]
//
// Every flag can also be set with the environment variable named in
// 'wxpaytest -h' (WXPAYTEST_ADDR for -addr, …); a flag given on the
// command line wins. With -out DIR it writes what a client needs: ca.pem
// (the certificate authority to trust), apiclient_cert.pem,
// apiclient_key.pem and apiclient_cert.p12 (password: the mch_id) of each
// merchant, and wxpaytest.json with the URLs and credentials. With -state
// FILE, orders, refunds, notifies, profit sharing, red packets, short
// URLs, contracts and the certificates survive a restart.
//
// Install with:
//
//	go install github.com/wxpay-go/wxpay/cmd/wxpaytest@latest
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wxpaytest:", err)
		os.Exit(1)
	}
}

// The merchant served when none is configured: the appid, mch_id and key
// of WeChat's own documentation examples.
const (
	defaultAppID  = "wxd930ea5d5a258f4f"
	defaultMchID  = "10000100"
	defaultAPIKey = "192006250b4c09247ec02edce69f6a2d"
)

// config is the command's configuration, from flags and WXPAYTEST_*
// variables.
type config struct {
	addrs         []string
	controlAddr   string
	merchants     []merchantFlag
	subs          []subFlag
	signTypes     []wxpay.SignType
	sandbox       bool
	notifyScale   time.Duration
	notifySign    bool
	manualRefunds bool
	refundURL     string
	nativeURL     string
	hostnames     []string
	publicHost    string
	outDir        string
	stateFile     string
	logFormat     string
}

type merchantFlag struct{ appID, mchID, apiKey string }

type subFlag struct {
	provider, mchID string
	appIDs          []string
}

// listFlag is a flag that may be given several times, each value a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
		*l = append(*l, f)
	}
	return nil
}

// parseConfig reads args, then the environment for the flags not given.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (*config, error) {
	fs := flag.NewFlagSet("wxpaytest", flag.ContinueOnError)
	fs.SetOutput(usage)
	var addrs, merchants, subs, signTypes, hostnames listFlag
	env := map[string]string{}
	add := func(name, variable string) { env[name] = variable }
	fs.Var(&addrs, "addr", "HTTPS listen address of the API, repeatable (default 127.0.0.1:8443) (env WXPAYTEST_ADDR)")
	add("addr", "WXPAYTEST_ADDR")
	controlAddr := fs.String("control", "127.0.0.1:8444", "listen address of the control API, plain HTTP: keep it on loopback (env WXPAYTEST_CONTROL)")
	add("control", "WXPAYTEST_CONTROL")
	fs.Var(&merchants, "merchant", "a merchant as APPID:MCH_ID:API_KEY, repeatable; the first is the default one (default the documentation's "+defaultAppID+":"+defaultMchID+":"+defaultAPIKey+") (env WXPAYTEST_MERCHANTS)")
	add("merchant", "WXPAYTEST_MERCHANTS")
	fs.Var(&subs, "sub", "a sub-merchant as PROVIDER_MCH_ID:SUB_MCH_ID[:SUB_APPID[|SUB_APPID…]], repeatable; makes that merchant a service provider (env WXPAYTEST_SUBS)")
	add("sub", "WXPAYTEST_SUBS")
	fs.Var(&signTypes, "sign-types", "the sign types accepted, MD5 and/or HMAC-SHA256 (default both) (env WXPAYTEST_SIGN_TYPES)")
	add("sign-types", "WXPAYTEST_SIGN_TYPES")
	sandbox := fs.Bool("sandbox", false, "be WeChat's sandbox: the API under /sandboxnew/ and /xdc/apiv2sandbox/, signed with the sandbox key (env WXPAYTEST_SANDBOX)")
	add("sandbox", "WXPAYTEST_SANDBOX")
	scale := fs.Duration("notify-scale", time.Millisecond, "how long one second of WeChat's notify retry schedule (15s, 15s, 30s, 3m, …) lasts; 1s is the real schedule (env WXPAYTEST_NOTIFY_SCALE)")
	add("notify-scale", "WXPAYTEST_NOTIFY_SCALE")
	notifySign := fs.Bool("notify-sign-type", false, "add sign_type to HMAC-SHA256 payment notifies, for clients that need it; WeChat leaves it out (env WXPAYTEST_NOTIFY_SIGN_TYPE)")
	add("notify-sign-type", "WXPAYTEST_NOTIFY_SIGN_TYPE")
	manual := fs.Bool("manual-refunds", false, "keep refunds PROCESSING until the control API completes or fails them (env WXPAYTEST_MANUAL_REFUNDS)")
	add("manual-refunds", "WXPAYTEST_MANUAL_REFUNDS")
	refundURL := fs.String("refund-notify-url", "", "the merchant platform's refund notify URL, for refunds without notify_url (env WXPAYTEST_REFUND_NOTIFY_URL)")
	add("refund-notify-url", "WXPAYTEST_REFUND_NOTIFY_URL")
	nativeURL := fs.String("native-callback-url", "", "the merchant platform's 扫码回调URL, where POST /native/scan posts Native mode-1 product callbacks (env WXPAYTEST_NATIVE_CALLBACK_URL)")
	add("native-callback-url", "WXPAYTEST_NATIVE_CALLBACK_URL")
	fs.Var(&hostnames, "hostname", "extra DNS name or IP address of the HTTPS certificate, repeatable (env WXPAYTEST_HOSTNAMES)")
	add("hostname", "WXPAYTEST_HOSTNAMES")
	publicHost := fs.String("public-host", "", "host clients reach the server at, for the URLs of wxpaytest.json (default 127.0.0.1) (env WXPAYTEST_PUBLIC_HOST)")
	add("public-host", "WXPAYTEST_PUBLIC_HOST")
	outDir := fs.String("out", "", "directory to write ca.pem, the merchant certificates (PEM and .p12) and wxpaytest.json to (env WXPAYTEST_OUT)")
	add("out", "WXPAYTEST_OUT")
	stateFile := fs.String("state", "", "file keeping orders, refunds, notifies, profit sharing, red packets, contracts and certificates across restarts (env WXPAYTEST_STATE)")
	add("state", "WXPAYTEST_STATE")
	logFormat := fs.String("log", "text", "log format: text or json, one line per request and notify attempt (env WXPAYTEST_LOG)")
	add("log", "WXPAYTEST_LOG")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(env[f.Name]); v != "" && !given[f.Name] && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", env[f.Name], v, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}

	c := &config{
		addrs: addrs, controlAddr: *controlAddr, sandbox: *sandbox, notifyScale: *scale, notifySign: *notifySign,
		manualRefunds: *manual, refundURL: *refundURL, nativeURL: *nativeURL, hostnames: hostnames, publicHost: *publicHost,
		outDir: *outDir, stateFile: *stateFile, logFormat: *logFormat,
	}
	if len(c.addrs) == 0 {
		c.addrs = []string{"127.0.0.1:8443"}
	}
	for _, m := range merchants {
		parts := strings.Split(m, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, fmt.Errorf("-merchant %q: want APPID:MCH_ID:API_KEY", m)
		}
		if len(parts[2]) != 32 {
			return nil, fmt.Errorf("-merchant %q: the API key has %d characters; WeChat's v2 keys have 32", m, len(parts[2]))
		}
		c.merchants = append(c.merchants, merchantFlag{parts[0], parts[1], parts[2]})
	}
	if len(c.merchants) == 0 {
		c.merchants = []merchantFlag{{defaultAppID, defaultMchID, defaultAPIKey}}
	}
	for _, s := range subs {
		parts := strings.Split(s, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("-sub %q: want PROVIDER_MCH_ID:SUB_MCH_ID[:SUB_APPID|…]", s)
		}
		known := false
		for _, m := range c.merchants {
			known = known || m.mchID == parts[0]
		}
		if !known {
			return nil, fmt.Errorf("-sub %q: no -merchant has mch_id %s", s, parts[0])
		}
		sf := subFlag{provider: parts[0], mchID: parts[1]}
		if len(parts) == 3 && parts[2] != "" {
			sf.appIDs = strings.Split(parts[2], "|")
		}
		c.subs = append(c.subs, sf)
	}
	for _, t := range signTypes {
		st := wxpay.SignType(t)
		if !st.Valid() {
			return nil, fmt.Errorf("-sign-types: %q is not MD5 or HMAC-SHA256", t)
		}
		c.signTypes = append(c.signTypes, st)
	}
	if c.notifyScale <= 0 {
		return nil, errors.New("-notify-scale must be positive")
	}
	for name, v := range map[string]string{"-refund-notify-url": c.refundURL, "-native-callback-url": c.nativeURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "") {
			return nil, fmt.Errorf("%s %q: want an http:// or https:// URL", name, v)
		}
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return nil, fmt.Errorf("-log %q: want text or json", c.logFormat)
	}
	return c, nil
}

// app is the running command: the fake API and its control API.
type app struct {
	srv        *wxpaytest.Server
	control    *http.Server
	controlURL string
	baseURL    string
	cfg        *config
	log        *slog.Logger
	routes     []string // the control API's patterns, for the test that holds openapi.json to them

	// The hosts and ports the API listens on, for serverLink.
	apiHosts, apiPorts []string
}

// run serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	a, err := start(cfg, stderr)
	if err != nil {
		return err
	}
	<-ctx.Done()
	a.log.Info("shutting down")
	a.close()
	return nil
}

// start starts the servers of cfg.
func start(cfg *config, logOut io.Writer) (a *app, err error) {
	var h slog.Handler = slog.NewTextHandler(logOut, nil)
	if cfg.logFormat == "json" {
		h = slog.NewJSONHandler(logOut, nil)
	}
	log := slog.New(h)

	var lns []net.Listener
	defer func() {
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
		}
	}()
	for _, addr := range cfg.addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("-addr: %w", err)
		}
		lns = append(lns, ln)
	}
	cln, err := net.Listen("tcp", cfg.controlAddr)
	if err != nil {
		return nil, fmt.Errorf("-control: %w", err)
	}
	lns = append(lns, cln)

	opts := []wxpaytest.Option{
		wxpaytest.WithListener(joinListeners(lns[:len(lns)-1])),
		wxpaytest.WithLogger(log),
		wxpaytest.WithNotifyScale(cfg.notifyScale),
	}
	for _, m := range cfg.merchants[1:] {
		opts = append(opts, wxpaytest.WithMerchant(m.appID, m.mchID, m.apiKey, subsOf(cfg, m.mchID)...))
	}
	if subs := subsOf(cfg, cfg.merchants[0].mchID); len(subs) > 0 {
		opts = append(opts, wxpaytest.WithSubMerchants(subs...))
	}
	if len(cfg.signTypes) > 0 {
		opts = append(opts, wxpaytest.WithSignTypes(cfg.signTypes...))
	}
	if cfg.sandbox {
		opts = append(opts, wxpaytest.WithSandbox())
	}
	if cfg.notifySign {
		opts = append(opts, wxpaytest.WithNotifySignType())
	}
	if cfg.manualRefunds {
		opts = append(opts, wxpaytest.WithManualRefunds())
	}
	if cfg.refundURL != "" {
		opts = append(opts, wxpaytest.WithRefundNotifyURL(cfg.refundURL))
	}
	if cfg.nativeURL != "" {
		opts = append(opts, wxpaytest.WithNativeCallbackURL(cfg.nativeURL))
	}
	hosts := cfg.hostnames
	if cfg.publicHost != "" {
		hosts = append(hosts, cfg.publicHost)
	}
	if len(hosts) > 0 {
		opts = append(opts, wxpaytest.WithHostnames(hosts...))
	}
	if cfg.stateFile != "" {
		opts = append(opts, wxpaytest.WithStateFile(cfg.stateFile))
	}
	first := cfg.merchants[0]
	srv, err := newServer(first, opts)
	if err != nil {
		return nil, err
	}
	a = &app{srv: srv, cfg: cfg, log: log}
	for _, ln := range lns[:len(lns)-1] {
		if host, port, err := net.SplitHostPort(ln.Addr().String()); err == nil {
			a.apiHosts, a.apiPorts = append(a.apiHosts, host), append(a.apiPorts, port)
		}
	}
	lns = nil // the server owns them now, and Close closes them
	a.baseURL = "https://" + publicAddr(cfg.publicHost, srv.URL)
	a.controlURL = "http://" + publicAddr(cfg.publicHost, "http://"+cln.Addr().String())
	if cfg.outDir != "" {
		if err := a.writeOut(cfg.outDir); err != nil {
			cln.Close()
			srv.Close()
			return nil, err
		}
	}
	a.control = &http.Server{Handler: a.controlHandler(), ReadHeaderTimeout: 10 * time.Second}
	go a.control.Serve(cln)
	log.Info("wxpaytest listening", "api", a.baseURL, "control", a.controlURL, "merchants", len(cfg.merchants),
		"sandbox", cfg.sandbox, "state", cfg.stateFile, "out", cfg.outDir)
	return a, nil
}

// newServer is wxpaytest.NewServer with its panics (a state file that
// does not read, say) as an error.
func newServer(m merchantFlag, opts []wxpaytest.Option) (srv *wxpaytest.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return wxpaytest.NewServer(m.appID, m.mchID, m.apiKey, opts...), nil
}

func subsOf(cfg *config, provider string) []wxpaytest.SubMerchant {
	var out []wxpaytest.SubMerchant
	for _, s := range cfg.subs {
		if s.provider == provider {
			out = append(out, wxpaytest.SubMerchant{MchID: s.mchID, AppIDs: s.appIDs})
		}
	}
	return out
}

// publicAddr is host:port of a listener as clients reach it: the bound
// port (for ":0") under publicHost, or 127.0.0.1 when the listener is on
// every interface.
func publicAddr(publicHost, boundURL string) string {
	bound := boundURL[strings.Index(boundURL, "://")+3:]
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if publicHost != "" {
		return net.JoinHostPort(publicHost, port)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func (a *app) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.control.Shutdown(ctx)
	a.srv.Close()
}
