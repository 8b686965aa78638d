// Command shop is a self-hosted mini-program shop backend that speaks the
// api工厂 (apifm) order protocol, so that mini programs written against the
// apifm-wxapi client — wechat-app-mall among them — run on it unchanged,
// with WeChat Pay through the wxpay SDK.
//
// From the repository root:
//
//	go -C examples/shop run .
//
// starts it on 127.0.0.1:8080 with an SQLite database in
// examples/shop/data/ and, without WeChat Pay credentials, an in-process
// fake WeChat Pay (with -wxpaytest-json, a running cmd/wxpaytest instead).
// See README.md for the flags, the endpoints and the payment and refund
// flows.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/api"
	"github.com/wxpay-go/wxpay/examples/shop/internal/pay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/printer"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
	"github.com/wxpay-go/wxpay/examples/shop/internal/wxlogin"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("shop stopped", "err", err)
		os.Exit(1)
	}
}

// run serves the shop until ctx is done.
func run(ctx context.Context, cfg *config, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	if cfg.publicURL == "http://"+cfg.addr { // the default: use the port actually bound (-addr :0)
		cfg.publicURL = "http://" + ln.Addr().String()
	}
	log.Info("starting", "addr", ln.Addr().String(), "db", redactDSN(cfg.db), "public_url", cfg.publicURL,
		"dev", cfg.dev(), "appid", cfg.appID, "mchid", cfg.mchID, "apikey", cfg.apiKey, "appsecret", cfg.appSecret,
		"cert", cfg.certFile, "wxpaytest_json", cfg.wxpaytestJSON, "admin_api", cfg.adminToken != "", "hx_uids", cfg.staffUIDs)

	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	st, err := store.Open(openCtx, cfg.db)
	cancel()
	if err != nil {
		ln.Close()
		return err
	}
	defer st.Close()
	st.SetPolicy(store.Policy{OrderTTL: cfg.orderTTL, TokenTTL: cfg.tokenTTL, SessionTTL: cfg.sessionTTL, MaxUnpaidPerGoods: cfg.maxUnpaid})
	if cfg.seed {
		if seeded, err := st.SeedDemo(ctx); err != nil {
			return err
		} else if seeded {
			log.Info("seeded the demo catalogue")
		}
	}

	acfg := api.Config{Store: st, AdminToken: string(cfg.adminToken), PublicURL: cfg.publicURL, StaffUIDs: cfg.staffUIDs, Logger: log,
		ShopName: cfg.shopName, PrinterWidth: cfg.printerWidth,
		SweepEvery: cfg.sweepEvery, ReconcileAfter: cfg.reconcileAfter, ReconcileEvery: cfg.reconcileEvery}
	if cfg.printerURL != "" {
		acfg.Printer = &printer.Webhook{URL: cfg.printerURL, Key: []byte(cfg.printerKey)}
	}
	switch {
	case cfg.binary != nil:
		b, err := pay.NewBinary(cfg.binary, cfg.publicURL, cfg.wxTimeout,
			append([]wxpay.Option{wxpay.WithSignType(wxpay.SignType(cfg.signType))}, sdkOptions(log)...)...)
		if err != nil {
			return err
		}
		defer b.Close()
		acfg.Payments, acfg.DevConfirm, acfg.DevConfirmSilently, acfg.Login = b, b.Confirm, b.ConfirmWithoutNotify, wxlogin.Dev
		log.Info("development mode against cmd/wxpaytest: WeChat Pay is the server of "+cfg.binary.Path+
			"; POST /{subDomain}/dev/wxpay/confirm pays through its control API",
			"base_url", cfg.binary.BaseURL, "control_url", cfg.binary.ControlURL, "appid", cfg.binary.AppID, "mchid", cfg.binary.MchID)
	case cfg.dev():
		dev, err := pay.NewDevClient(cfg.publicURL, cfg.wxTimeout, sdkOptions(log))
		if err != nil {
			return err
		}
		defer dev.Close()
		acfg.Payments, acfg.DevConfirm, acfg.DevConfirmSilently, acfg.Login = dev, dev.Confirm, dev.ConfirmWithoutNotify, wxlogin.Dev
		log.Info("development mode: WeChat Pay is simulated in-process; POST /{subDomain}/dev/wxpay/confirm plays the payer")
	default:
		c, err := newWxpayClient(cfg, log)
		if err != nil {
			return err
		}
		acfg.Payments = pay.NewWeChat(c, cfg.publicURL)
		acfg.Login = wxlogin.JSCode2Session(&http.Client{Timeout: 10 * time.Second}, wxlogin.DefaultBaseURL, cfg.appID, string(cfg.appSecret))
	}

	handler := api.New(acfg)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	bgCtx, stopBackground := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() { defer close(bgDone); handler.Run(bgCtx) }()
	defer func() { stopBackground(); <-bgDone }()
	log.Info("shop listening", "url", "http://"+ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutCtx)
}

// sdkOptions are the SDK client's options for both real and simulated
// WeChat Pay: idempotent calls retried (unified order, queries, close,
// refund: WeChat dedupes them by out_trade_no / out_refund_no), every
// exchange logged (the SDK redacts keys and signatures) at debug level.
func sdkOptions(log *slog.Logger) []wxpay.Option {
	return []wxpay.Option{
		wxpay.WithRetry(wxpay.RetryPolicy{MaxAttempts: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second}),
		wxpay.WithLogger(log.With("component", "wxpay")),
	}
}

// newWxpayClient builds the SDK client for real credentials, each
// attempt of a call limited to -wxpay-timeout.
func newWxpayClient(cfg *config, log *slog.Logger) (*wxpay.Client, error) {
	opts := append([]wxpay.Option{
		wxpay.WithSignType(wxpay.SignType(cfg.signType)),
		wxpay.WithHTTPClient(&http.Client{Timeout: cfg.wxTimeout}),
	}, sdkOptions(log)...)
	if cfg.certFile != "" {
		opts = append(opts, wxpay.WithCertFiles(cfg.certFile, cfg.keyFile))
	}
	return wxpay.NewClient(cfg.appID, cfg.mchID, string(cfg.apiKey), opts...)
}
