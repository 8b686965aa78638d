// Command quickstart walks through a whole WeChat Pay v2 payment and
// refund with the wxpay SDK, one line per step:
//
//	go run ./examples/quickstart
//
// With no configuration it needs no merchant account and no network: it
// starts wxpaytest, an in-process WeChat Pay server, and a merchant
// notify endpoint, then creates a JSAPI order, builds the
// wx.requestPayment object, lets the fake payer pay, verifies the payment
// notify, queries the order, refunds part of it with the merchant
// certificate, decrypts the refund notify and queries the refund. It
// exits 0 when every step passed, 1 when one failed and 2 on a
// configuration error.
//
// # Against the real API
//
// With these variables set it makes the same calls against
// api.mch.weixin.qq.com instead, for an order of 0.02 CNY refunded by
// 0.01 CNY:
//
//	WXPAY_APPID       the app id the mini program or official account uses
//	WXPAY_MCHID       the merchant id
//	WXPAY_APIKEY      the 32-character v2 API key (not the AppSecret)
//	WXPAY_CERT        path of apiclient_cert.pem
//	WXPAY_KEY         path of apiclient_key.pem
//	WXPAY_NOTIFY_URL  public https origin that reaches WXPAY_LISTEN, e.g.
//	                  https://pay.example.com; notifies go to
//	                  <origin>/wxpay/notify/pay and /wxpay/notify/refund
//	WXPAY_OPENID      the paying user's openid under WXPAY_APPID
//	WXPAY_LISTEN      where to serve the notify endpoints (default :8080)
//	WXPAY_PAY_WAIT    how long to wait for the payment (default 5m)
//
// The first seven choose the real API; setting only some of them is
// refused, naming the ones found set. The wxpay command's key variable,
// WXPAY_CLI_APIKEY, is not one of them.
//
// Nobody can pay a real order from a command line: after printing the
// wx.requestPayment object the program waits for the payment, watching
// for the notify and querying the order every few seconds. Pay it from
// your mini program (pass the object to wx.requestPayment). If no payment
// comes within WXPAY_PAY_WAIT, the program closes the order (which WeChat
// allows only five minutes after creation) and exits 1 saying so.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Stdout, os.Getenv)
	var cfgErr configError
	switch {
	case errors.As(err, &cfgErr):
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(2)
	case err != nil:
		os.Exit(1) // the failed step is in the transcript
	}
}

// The merchant of the v2 signing example (spec §2), for the fake server.
const (
	demoAppID  = "wxd930ea5d5a258f4f"
	demoMchID  = "10000100"
	demoAPIKey = "192006250b4c09247ec02edce69f6a2d"
	demoOpenID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
)

// config is the real merchant's, read from the environment.
type config struct {
	appID, mchID, apiKey, certFile, keyFile string
	notifyURL, openID, listen               string
	payWait                                 time.Duration
}

type configError struct{ msg string }

func (e configError) Error() string { return e.msg }

var required = []string{"WXPAY_APPID", "WXPAY_MCHID", "WXPAY_APIKEY", "WXPAY_CERT", "WXPAY_KEY", "WXPAY_NOTIFY_URL", "WXPAY_OPENID"}

// readConfig returns the real merchant's configuration, or nil when none
// of the required variables is set. A partial configuration is refused
// naming the variables found set, which may be left over from another
// program: the user must see what chose the real API.
func readConfig(getenv func(string) string) (*config, error) {
	var missing, set []string
	for _, k := range required {
		if getenv(k) == "" {
			missing = append(missing, k)
		} else {
			set = append(set, k)
		}
	}
	if len(set) == 0 {
		return nil, nil
	}
	if len(missing) > 0 {
		return nil, configError{"found " + strings.Join(set, ", ") + " set, so the real API was chosen; it also needs " +
			strings.Join(missing, ", ") + ". To run on wxpaytest instead, unset " + strings.Join(set, ", ")}
	}
	cfg := &config{
		appID: getenv("WXPAY_APPID"), mchID: getenv("WXPAY_MCHID"), apiKey: getenv("WXPAY_APIKEY"),
		certFile: getenv("WXPAY_CERT"), keyFile: getenv("WXPAY_KEY"),
		notifyURL: strings.TrimRight(getenv("WXPAY_NOTIFY_URL"), "/"), openID: getenv("WXPAY_OPENID"),
		listen: getenv("WXPAY_LISTEN"), payWait: 5 * time.Minute,
	}
	if cfg.listen == "" {
		cfg.listen = ":8080"
	}
	if w := getenv("WXPAY_PAY_WAIT"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d <= 0 {
			return nil, configError{"WXPAY_PAY_WAIT: not a positive duration such as 5m: " + w}
		}
		cfg.payWait = d
	}
	if !strings.HasPrefix(cfg.notifyURL, "https://") {
		return nil, configError{"WXPAY_NOTIFY_URL must be a public https origin, e.g. https://pay.example.com"}
	}
	return cfg, nil
}

// merchant is the merchant's side: the SDK client and the notify
// endpoints, which pass what they verified on to the walk.
type merchant struct {
	c        *wxpay.Client
	paid     chan *wxpay.PayNotify
	refunded chan *wxpay.RefundNotify
}

func newMerchant(c *wxpay.Client) *merchant {
	return &merchant{c: c, paid: make(chan *wxpay.PayNotify, 1), refunded: make(chan *wxpay.RefundNotify, 1)}
}

// handler serves the notify endpoints. The callbacks run only for
// notifies whose signature (payment) or encryption (refund) checked out;
// WeChat sends duplicates, which this one-order walk ignores.
func (m *merchant) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /wxpay/notify/pay", m.c.PayNotifyHandler(func(_ context.Context, n *wxpay.PayNotify) error {
		select {
		case m.paid <- n:
		default:
		}
		return nil
	}))
	mux.Handle("POST /wxpay/notify/refund", m.c.RefundNotifyHandler(func(_ context.Context, n *wxpay.RefundNotify) error {
		select {
		case m.refunded <- n:
		default:
		}
		return nil
	}))
	return mux
}

// walk is the state the steps share.
type walk struct {
	m          *merchant
	notifyBase string
	// pay is the payer's part: it returns once the order is paid.
	pay       func(ctx context.Context, outTradeNo string) (string, error)
	wait      time.Duration // for a notify
	total     int64         // fen
	refundFee int64         // fen
	openID    string
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	start := time.Now()
	cfg, err := readConfig(getenv)
	if err != nil {
		return err
	}
	var w *walk
	if cfg == nil {
		var closeFake func()
		if w, closeFake, err = fakeWalk(out); err != nil {
			return err
		}
		defer closeFake()
	} else {
		c, err := wxpay.NewClient(cfg.appID, cfg.mchID, cfg.apiKey, wxpay.WithCertFiles(cfg.certFile, cfg.keyFile))
		if err != nil {
			return configError{err.Error()}
		}
		m := newMerchant(c)
		ln, err := net.Listen("tcp", cfg.listen)
		if err != nil {
			return configError{"WXPAY_LISTEN: " + err.Error()}
		}
		hs := &http.Server{Handler: m.handler(), ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
		fmt.Fprintf(out, "wxpay quickstart on the real WeChat Pay API, merchant %s; notifies to %s via %s\n", cfg.mchID, cfg.notifyURL, ln.Addr())
		w = &walk{m: m, notifyBase: cfg.notifyURL, wait: cfg.payWait, total: 2, refundFee: 1, openID: cfg.openID}
		w.pay = func(ctx context.Context, no string) (string, error) { return w.awaitPayment(ctx, out, no, cfg.payWait) }
	}
	if err := w.steps(ctx, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "all steps passed in %v\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// fakeWalk sets the walk up on wxpaytest, with the merchant's notify
// endpoints on a local test server; stop stops both.
func fakeWalk(out io.Writer) (w *walk, stop func(), err error) {
	srv := wxpaytest.NewServer(demoAppID, demoMchID, demoAPIKey)
	c, err := wxpay.NewClient(demoAppID, demoMchID, demoAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithCertPEM(srv.MerchantCertPEM()))
	if err != nil {
		srv.Close()
		return nil, nil, configError{err.Error()}
	}
	m := newMerchant(c)
	notify := httptest.NewServer(m.handler())
	fmt.Fprintf(out, "wxpay quickstart on wxpaytest, an in-process WeChat Pay at %s\n", srv.URL)
	w = &walk{
		m: m, notifyBase: notify.URL, wait: 10 * time.Second, total: 2500, refundFee: 1000, openID: demoOpenID,
		pay: func(_ context.Context, no string) (string, error) {
			return "wxpaytest confirmed the payment, as the payer would in WeChat", srv.Pay(no)
		},
	}
	return w, func() { notify.Close(); srv.Close() }, nil
}

// steps runs the walk, printing one line per step, and stops at the
// first failure.
func (w *walk) steps(ctx context.Context, out io.Writer) error {
	c := w.m.c
	now := time.Now().In(wxpay.Beijing())
	outTradeNo := "QS" + now.Format("20060102150405") + wxpay.NonceStr()[:6]
	outRefundNo := "QR" + outTradeNo[2:]
	var (
		prepayID string
		paid     *wxpay.PayNotify
	)
	steps := []struct {
		name string
		do   func() (string, error)
	}{
		{"unified order", func() (string, error) {
			r, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
				Body: "wxpay quickstart", OutTradeNo: outTradeNo, TotalFee: w.total, SpbillCreateIP: "127.0.0.1",
				NotifyURL: w.notifyBase + "/wxpay/notify/pay", TradeType: wxpay.TradeTypeJSAPI, OpenID: w.openID,
			})
			if err != nil {
				return "", err
			}
			prepayID = r.PrepayID
			return fmt.Sprintf("JSAPI order %s for %s CNY → prepay_id %s", outTradeNo, wxpay.FormatYuan(w.total), prepayID), nil
		}},
		{"pay parameters", func() (string, error) {
			js, err := c.JSAPIPayParams(prepayID)
			if err != nil {
				return "", err
			}
			obj, err := json.Marshal(js)
			return "wx.requestPayment(" + string(obj) + ")", err
		}},
		{"payer pays", func() (string, error) { return w.pay(ctx, outTradeNo) }},
		{"payment notify", func() (string, error) {
			n, err := receive(ctx, w.m.paid, w.wait)
			if err != nil {
				return "", err
			}
			if n.OutTradeNo != outTradeNo || n.TotalFee != w.total || n.ResultCode != "SUCCESS" {
				return "", fmt.Errorf("notify for order %s of %d fen (%s), want %s of %d", n.OutTradeNo, n.TotalFee, n.ResultCode, outTradeNo, w.total)
			}
			paid = n
			return fmt.Sprintf("signature verified: transaction %s, %s CNY paid at %s",
				n.TransactionID, wxpay.FormatYuan(n.TotalFee), n.TimeEnd.Format(time.DateTime)), nil
		}},
		{"order query", func() (string, error) {
			q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: outTradeNo})
			if err != nil {
				return "", err
			}
			if q.TradeState != wxpay.TradeStateSuccess || q.TransactionID != paid.TransactionID {
				return "", fmt.Errorf("trade_state %s, transaction %s", q.TradeState, q.TransactionID)
			}
			return fmt.Sprintf("trade_state %s (%s), paid from %s", q.TradeState, q.TradeStateDesc, q.BankType), nil
		}},
		{"refund", func() (string, error) {
			r, err := c.Refund(ctx, &wxpay.RefundRequest{
				TransactionID: paid.TransactionID, OutRefundNo: outRefundNo, TotalFee: w.total, RefundFee: w.refundFee,
				RefundDesc: "quickstart partial refund", NotifyURL: w.notifyBase + "/wxpay/notify/refund",
			})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s of %s CNY over mutual TLS → refund_id %s",
				wxpay.FormatYuan(r.RefundFee), wxpay.FormatYuan(r.TotalFee), r.RefundID), nil
		}},
		{"refund notify", func() (string, error) {
			n, err := receive(ctx, w.m.refunded, w.wait)
			if err != nil {
				return "", err
			}
			if n.OutRefundNo != outRefundNo || n.RefundFee != w.refundFee {
				return "", fmt.Errorf("notify for refund %s of %d fen, want %s of %d", n.OutRefundNo, n.RefundFee, outRefundNo, w.refundFee)
			}
			return fmt.Sprintf("req_info decrypted: %s, %s CNY back to %s at %s",
				n.RefundStatus, wxpay.FormatYuan(n.RefundFee), n.RefundRecvAccount, n.SuccessTime.Format(time.DateTime)), nil
		}},
		{"refund query", func() (string, error) {
			q, err := c.RefundQuery(ctx, &wxpay.RefundQueryRequest{OutRefundNo: outRefundNo})
			if err != nil {
				return "", err
			}
			if len(q.Refunds) != 1 {
				return "", fmt.Errorf("%d refunds listed, want 1", len(q.Refunds))
			}
			r := q.Refunds[0]
			return fmt.Sprintf("refund %s: %s, %s CNY of the order's %s", r.OutRefundNo, r.RefundStatus,
				wxpay.FormatYuan(r.RefundFee), wxpay.FormatYuan(q.TotalFee)), nil
		}},
	}
	for _, s := range steps {
		detail, err := s.do()
		if err != nil {
			fmt.Fprintf(out, "✗ %-15s %v\n", s.name, err)
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(out, "✓ %-15s %s\n", s.name, detail)
	}
	return nil
}

// receive waits for a notify.
func receive[T any](ctx context.Context, ch <-chan T, wait time.Duration) (T, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	var zero T
	select {
	case n := <-ch:
		return n, nil
	case <-t.C:
		return zero, fmt.Errorf("no notify within %v: is the notify URL reachable from WeChat?", wait)
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// awaitPayment waits for a real payer: it watches for the payment notify
// and queries the order every few seconds. A notify that arrives is left
// in the channel for the next step.
func (w *walk) awaitPayment(ctx context.Context, out io.Writer, outTradeNo string, wait time.Duration) (string, error) {
	fmt.Fprintf(out, "  … waiting up to %v: call wx.requestPayment with the object above in your mini program\n", wait)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		if len(w.m.paid) > 0 {
			return "the payment notify arrived", nil
		}
		q, err := w.m.c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: outTradeNo})
		if err == nil && q.TradeState == wxpay.TradeStateSuccess {
			return "the order query says it is paid", nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			// Best effort: WeChat refuses to close an order younger than
			// five minutes; the prepay id expires after two hours anyway.
			_, closeErr := w.m.c.CloseOrder(context.Background(), &wxpay.CloseOrderRequest{OutTradeNo: outTradeNo})
			msg := fmt.Sprintf("not paid within %v; order %s", wait, outTradeNo)
			if closeErr == nil {
				return "", errors.New(msg + " closed")
			}
			return "", fmt.Errorf("%s left open (close: %v)", msg, closeErr)
		}
	}
}
