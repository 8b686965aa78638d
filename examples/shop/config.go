package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/pay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/printer"
)

// config is the shop's configuration: each setting is a flag, and the
// environment variable next to it is used when the flag is not given.
type config struct {
	addr       string
	db         string
	publicURL  string
	adminToken secret
	staffUIDs  []int64
	logLevel   slog.Level
	seed       bool
	shopName   string

	orderTTL       time.Duration
	tokenTTL       time.Duration
	sessionTTL     time.Duration
	maxUnpaid      int64
	reconcileAfter time.Duration
	reconcileEvery time.Duration
	sweepEvery     time.Duration

	printerURL   string
	printerKey   secret
	printerWidth int
	wxTimeout    time.Duration

	appID, mchID string
	apiKey       secret
	certFile     string
	keyFile      string
	appSecret    secret
	signType     string

	// wxpaytestJSON is -wxpaytest-json: WeChat Pay is a running
	// cmd/wxpaytest, configured by the file it writes (binary), and
	// login is development login.
	wxpaytestJSON string
	binary        *pay.BinaryConfig
}

// secret is a setting that is never logged.
type secret string

// LogValue implements slog.LogValuer.
func (s secret) LogValue() slog.Value {
	if s == "" {
		return slog.StringValue("")
	}
	return slog.StringValue("[redacted]")
}

// dev reports whether no WeChat Pay credentials are configured: WeChat
// Pay is a fake (in-process, or the binary of -wxpaytest-json) and login
// needs no WeChat.
func (c *config) dev() bool { return c.appID == "" && c.mchID == "" && c.apiKey == "" }

// parseConfig reads the flags in args, then the environment for the flags
// not given. getenv is os.Getenv but for tests.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (*config, error) {
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	fs.SetOutput(usage)
	envOf := map[string]string{}
	str := func(name, env, def, help string) *string {
		envOf[name] = env
		if env != "" {
			help += " (env " + env + ")"
		}
		return fs.String(name, def, help)
	}
	addr := str("addr", "SHOP_ADDR", "127.0.0.1:8080", "listen address")
	db := str("db", "SHOP_DB", "data/shop.db", "SQLite file, or a postgres:// DSN for PostgreSQL")
	publicURL := str("public-url", "SHOP_PUBLIC_URL", "", "the shop's address as WeChat and clients reach it, for notify URLs and pictures (default http://ADDR)")
	adminToken := str("admin-token", "SHOP_ADMIN_TOKEN", "", "bearer token of the admin API; empty turns the admin API off")
	staff := str("hx-uids", "SHOP_HX_UIDS", "", "comma list of user ids allowed to write off orders (核销)")
	level := str("log-level", "SHOP_LOG_LEVEL", "info", "debug, info, warn or error")
	seed := str("seed", "SHOP_SEED", "true", "fill an empty catalogue with the demo goods")
	appID := str("appid", "WXPAY_APPID", "", "mini program appid; with -mchid and -apikey selects real WeChat Pay")
	mchID := str("mchid", "WXPAY_MCHID", "", "merchant id")
	apiKey := str("apikey", "WXPAY_APIKEY", "", "merchant API key (v2)")
	cert := str("cert", "WXPAY_CERT", "", "merchant certificate file apiclient_cert.pem, for refunds")
	key := str("key", "WXPAY_KEY", "", "its private key file apiclient_key.pem")
	appSecret := str("appsecret", "WXPAY_APPSECRET", "", "mini program AppSecret, for jscode2session at login")
	signType := str("sign-type", "WXPAY_SIGN_TYPE", "MD5", "MD5 or HMAC-SHA256")
	shopName := str("shop-name", "SHOP_NAME", "小店", "the shop's name, on receipts and the console")
	orderTTL := str("order-ttl", "SHOP_ORDER_TTL", "30m", "unpaid orders close after this long, restoring stock (0: never)")
	tokenTTL := str("token-ttl", "SHOP_TOKEN_TTL", "720h", "buyers' login tokens expire after this long")
	sessionTTL := str("session-ttl", "SHOP_SESSION_TTL", "12h", "console sessions expire after this long")
	maxUnpaid := str("max-unpaid", "SHOP_MAX_UNPAID", "20", "most items of one goods a buyer may hold in unpaid orders (0: no cap)")
	reconcileAfter := str("reconcile-after", "SHOP_RECONCILE_AFTER", "3m", "ask WeChat about payments unpaid and refunds in progress this long")
	reconcileEvery := str("reconcile-every", "SHOP_RECONCILE_EVERY", "30s", "how often to ask, and to ask again about the same one")
	sweepEvery := str("sweep-every", "SHOP_SWEEP_EVERY", "5s", "how often to close expired orders and send due receipts")
	printerURL := str("printer-url", "SHOP_PRINTER_URL", "", "printer webhook: every paid order's receipt is POSTed here, signed")
	printerKey := str("printer-key", "SHOP_PRINTER_KEY", "", "HMAC-SHA256 key of the X-Shop-Signature header (required with -printer-url)")
	printerWidth := str("printer-width", "SHOP_PRINTER_WIDTH", "32", "receipt width in columns: 32 (58 mm) or 48 (80 mm)")
	wxTimeout := str("wxpay-timeout", "WXPAY_TIMEOUT", "10s", "time limit of one call to WeChat Pay, retries included")
	wxpaytestJSON := str("wxpaytest-json", "SHOP_WXPAYTEST_JSON", "", "wxpaytest.json of a running cmd/wxpaytest (its -out DIR): WeChat Pay is that server, login stays development login")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		if env := envOf[f.Name]; !given[f.Name] && env != "" {
			if v := getenv(env); v != "" {
				f.Value.Set(v)
			}
		}
	})

	c := &config{
		addr: *addr, db: *db, publicURL: strings.TrimRight(*publicURL, "/"), adminToken: secret(*adminToken),
		appID: *appID, mchID: *mchID, apiKey: secret(*apiKey), certFile: *cert, keyFile: *key,
		appSecret: secret(*appSecret), signType: *signType, wxpaytestJSON: *wxpaytestJSON,
	}
	if c.publicURL == "" {
		c.publicURL = "http://" + c.addr
	}
	if err := c.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	var err error
	if c.seed, err = strconv.ParseBool(*seed); err != nil {
		return nil, fmt.Errorf("-seed: %w", err)
	}
	for _, f := range strings.Split(*staff, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("-hx-uids: %q is not a user id", f)
		}
		c.staffUIDs = append(c.staffUIDs, id)
	}
	c.shopName = *shopName
	durations := []struct {
		name string
		v    string
		dst  *time.Duration
		zero bool // 0 allowed
	}{
		{"order-ttl", *orderTTL, &c.orderTTL, true}, {"token-ttl", *tokenTTL, &c.tokenTTL, false},
		{"session-ttl", *sessionTTL, &c.sessionTTL, false}, {"reconcile-after", *reconcileAfter, &c.reconcileAfter, false},
		{"reconcile-every", *reconcileEvery, &c.reconcileEvery, false}, {"sweep-every", *sweepEvery, &c.sweepEvery, false},
		{"wxpay-timeout", *wxTimeout, &c.wxTimeout, false},
	}
	for _, d := range durations {
		v, err := time.ParseDuration(d.v)
		if err != nil || v < 0 || v == 0 && !d.zero {
			return nil, fmt.Errorf("-%s: %q is not a positive duration (like 30m, 90s)", d.name, d.v)
		}
		*d.dst = v
	}
	if c.maxUnpaid, err = strconv.ParseInt(*maxUnpaid, 10, 64); err != nil || c.maxUnpaid < 0 {
		return nil, fmt.Errorf("-max-unpaid: %q is not a count", *maxUnpaid)
	}
	c.printerURL, c.printerKey = *printerURL, secret(*printerKey)
	if c.printerWidth, err = strconv.Atoi(*printerWidth); err != nil || (c.printerWidth != 32 && c.printerWidth != 48) {
		return nil, fmt.Errorf("-printer-width: %q, want 32 or 48", *printerWidth)
	}
	if c.printerURL != "" {
		if err := printer.CheckURL(c.printerURL); err != nil {
			return nil, fmt.Errorf("-printer-url: %w", err)
		}
		if len(c.printerKey) < 16 {
			return nil, errors.New("-printer-url needs -printer-key (SHOP_PRINTER_KEY), at least 16 characters, to sign the receipts")
		}
	} else if c.printerKey != "" {
		return nil, errors.New("-printer-key is set but -printer-url is not")
	}
	if c.wxpaytestJSON != "" {
		// The file is the whole WeChat Pay configuration: a credential
		// given besides it would be silently ignored, or half-mixed in.
		var extra []string
		for _, f := range []struct{ flag, env, v string }{
			{"-appid", "WXPAY_APPID", c.appID}, {"-mchid", "WXPAY_MCHID", c.mchID}, {"-apikey", "WXPAY_APIKEY", string(c.apiKey)},
			{"-cert", "WXPAY_CERT", c.certFile}, {"-key", "WXPAY_KEY", c.keyFile}, {"-appsecret", "WXPAY_APPSECRET", string(c.appSecret)},
		} {
			if f.v != "" {
				extra = append(extra, f.flag+" ("+f.env+")")
			}
		}
		if len(extra) > 0 {
			return nil, fmt.Errorf("-wxpaytest-json (SHOP_WXPAYTEST_JSON) takes the merchant and its certificate from the file, and login stays development login: found %s set as well; unset it",
				strings.Join(extra, ", "))
		}
		if c.binary, err = pay.LoadBinaryConfig(c.wxpaytestJSON); err != nil {
			return nil, fmt.Errorf("-wxpaytest-json: %w", err)
		}
	}
	if !c.dev() {
		if c.appID == "" || c.mchID == "" || c.apiKey == "" {
			var set, missing []string
			for _, f := range []struct{ flag, env, v string }{
				{"-appid", "WXPAY_APPID", c.appID}, {"-mchid", "WXPAY_MCHID", c.mchID}, {"-apikey", "WXPAY_APIKEY", string(c.apiKey)},
			} {
				name := f.flag + " (" + f.env + ")"
				if f.v != "" {
					set = append(set, name)
				} else {
					missing = append(missing, name)
				}
			}
			return nil, fmt.Errorf("WeChat Pay needs all of -appid, -mchid and -apikey, or none for development mode: found %s set, %s missing",
				strings.Join(set, ", "), strings.Join(missing, ", "))
		}
		if c.appSecret == "" {
			return nil, errors.New("-appsecret is required with real credentials: login calls jscode2session")
		}
		if (c.certFile == "") != (c.keyFile == "") {
			if c.certFile != "" {
				return nil, errors.New("-cert and -key go together: found -cert (WXPAY_CERT) set, -key (WXPAY_KEY) missing")
			}
			return nil, errors.New("-cert and -key go together: found -key (WXPAY_KEY) set, -cert (WXPAY_CERT) missing")
		}
	}
	return c, nil
}

func getenv(k string) string { return os.Getenv(k) }

// redactDSN hides the password of a postgres:// DSN, in the user info or
// in the query, for the log.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return dsn
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
