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

	appID, mchID string
	apiKey       secret
	certFile     string
	keyFile      string
	appSecret    secret
	signType     string
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

// dev reports whether no WeChat Pay credentials are configured.
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
		appSecret: secret(*appSecret), signType: *signType,
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
	if !c.dev() {
		if c.appID == "" || c.mchID == "" || c.apiKey == "" {
			return nil, errors.New("WeChat Pay needs all of -appid, -mchid and -apikey (or none, for development mode)")
		}
		if c.appSecret == "" {
			return nil, errors.New("-appsecret is required with real credentials: login calls jscode2session")
		}
		if (c.certFile == "") != (c.keyFile == "") {
			return nil, errors.New("-cert and -key go together")
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
