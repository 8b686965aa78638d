// Command miniprogram is the backend a WeChat mini program calls to take
// payments through the wxpay SDK: it creates JSAPI orders, hands the mini
// program the object for wx.requestPayment, receives WeChat's payment and
// refund notifies, and refunds.
//
//	go run ./examples/miniprogram
//
// By default it runs against wxpaytest, an in-process WeChat Pay, and
// listens on 127.0.0.1:8080. Try it with curl:
//
//	curl -s -d '{"amount":2500,"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","description":"一杯咖啡"}' localhost:8080/orders
//	curl -s -X POST localhost:8080/dev/orders/<id>/pay     # the payer pays (wxpaytest only)
//	curl -s localhost:8080/orders/<id>
//	curl -s -d '{"amount":1000,"reason":"少了一份"}' localhost:8080/orders/<id>/refund
//
// Endpoints:
//
//	POST /orders               {"amount": fen, "openid": "…", "description": "…"}
//	                           → 201 {"id": "…", "payment": <the wx.requestPayment object>}
//	GET  /orders/{id}          → the order, its state and its refunds
//	POST /orders/{id}/refund   {"amount": fen, "reason": "…"} → 202 the refund
//	POST /wxpay/notify/pay     WeChat's payment notify
//	POST /wxpay/notify/refund  WeChat's refund notify
//	POST /dev/orders/{id}/pay  wxpaytest only: the payer confirms the payment
//
// In a real mini program, the openid comes from your login session
// (wx.login and code2Session), not from the request body; it is in the
// body here to keep the example short.
//
// For the real API, give the merchant's ids and certificate as flags and
// the API key in the environment (flags end up in shell histories):
//
//	WXPAY_APIKEY=… go run ./examples/miniprogram -appid wx… -mchid 1900… \
//	    -cert apiclient_cert.pem -key apiclient_key.pem -notify-url https://pay.example.com
//
// -notify-url is the public https origin WeChat reaches this server at.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	appID := flag.String("appid", "", "mini program app id (real API; with -mchid)")
	mchID := flag.String("mchid", "", "merchant id; set it to use the real API")
	certFile := flag.String("cert", "", "apiclient_cert.pem (real API)")
	keyFile := flag.String("key", "", "apiclient_key.pem (real API)")
	notifyURL := flag.String("notify-url", "", "public https origin WeChat posts notifies to (real API)")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	var (
		c   *wxpay.Client
		srv *wxpaytest.Server
	)
	if *mchID == "" {
		srv = wxpaytest.NewServer(devAppID, devMchID, devAPIKey)
		defer srv.Close()
		c, err = wxpay.NewClient(devAppID, devMchID, devAPIKey,
			wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithCertPEM(srv.MerchantCertPEM()))
		*notifyURL = "http://" + ln.Addr().String()
		log.Printf("on wxpaytest at %s; POST /dev/orders/{id}/pay plays the payer", srv.URL)
		if os.Getenv("WXPAY_APIKEY") != "" {
			log.Printf("WXPAY_APIKEY is set but not used: -mchid chooses the real API")
		}
	} else {
		key := os.Getenv("WXPAY_APIKEY")
		if err := checkReal([]setting{{"-appid", *appID}, {"-mchid", *mchID}, {"-cert", *certFile}, {"-key", *keyFile},
			{"-notify-url", *notifyURL}, {"WXPAY_APIKEY", key}}); err != nil {
			log.Fatal(err)
		}
		c, err = wxpay.NewClient(*appID, *mchID, key, wxpay.WithCertFiles(*certFile, *keyFile),
			wxpay.WithRetry(wxpay.RetryPolicy{}))
	}
	if err != nil {
		log.Fatal(err)
	}
	a := newApp(c, strings.TrimRight(*notifyURL, "/"), srv)
	log.Printf("listening on http://%s", ln.Addr())
	hs := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(hs.Serve(ln))
}

// setting is one flag or environment variable of the real API's
// configuration, by the name the user gives it.
type setting struct{ name, value string }

// checkReal refuses an incomplete configuration for the real API (which
// -mchid chooses), naming what was given as well as what is missing, so
// that the user sees why the real API was chosen.
func checkReal(settings []setting) error {
	var given, missing []string
	notify := ""
	for _, s := range settings {
		if s.value == "" {
			missing = append(missing, s.name)
		} else {
			given = append(given, s.name)
		}
		if s.name == "-notify-url" {
			notify = s.value
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("given %s: the real API also needs %s (without -mchid the example runs on wxpaytest)",
			strings.Join(given, ", "), strings.Join(missing, ", "))
	}
	if !strings.HasPrefix(notify, "https://") {
		return fmt.Errorf("-notify-url %q: the real API needs the public https origin WeChat reaches this server at, e.g. https://pay.example.com", notify)
	}
	return nil
}

// The merchant wxpaytest plays: the one of the v2 signing example.
const (
	devAppID  = "wxd930ea5d5a258f4f"
	devMchID  = "10000100"
	devAPIKey = "192006250b4c09247ec02edce69f6a2d"
)

// app is the backend: the SDK client and an in-memory order book. A real
// backend keeps orders in its database, with the same rules.
type app struct {
	c          *wxpay.Client
	notifyBase string
	dev        *wxpaytest.Server // nil against the real API

	mu     sync.Mutex
	orders map[string]*order
}

type order struct {
	ID            string     `json:"id"` // out_trade_no
	Amount        int64      `json:"amount"`
	OpenID        string     `json:"openid"`
	Description   string     `json:"description"`
	State         string     `json:"state"` // pending, paid
	TransactionID string     `json:"transaction_id,omitempty"`
	PaidAt        *time.Time `json:"paid_at,omitempty"`
	Refunds       []*refund  `json:"refunds,omitempty"`
}

type refund struct {
	OutRefundNo string `json:"out_refund_no"`
	RefundID    string `json:"refund_id,omitempty"`
	Amount      int64  `json:"amount"`
	// Status is PROCESSING until the refund notify says SUCCESS, CHANGE or
	// REFUNDCLOSE; FAILED when WeChat refused the refund; UNKNOWN when the
	// call failed in a way that leaves the outcome open (repeat it with the
	// same out_refund_no, or query it).
	Status string `json:"status"`
}

func newApp(c *wxpay.Client, notifyBase string, dev *wxpaytest.Server) *app {
	return &app{c: c, notifyBase: notifyBase, dev: dev, orders: map[string]*order{}}
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", a.createOrder)
	mux.HandleFunc("GET /orders/{id}", a.getOrder)
	mux.HandleFunc("POST /orders/{id}/refund", a.refund)
	mux.Handle("POST /wxpay/notify/pay", a.c.PayNotifyHandler(a.paid))
	mux.Handle("POST /wxpay/notify/refund", a.c.RefundNotifyHandler(a.refunded))
	if a.dev != nil {
		mux.HandleFunc("POST /dev/orders/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
			if err := a.dev.Pay(r.PathValue("id")); err != nil {
				writeError(w, http.StatusConflict, err.Error())
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
	}
	return mux
}

func (a *app) createOrder(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount      int64  `json:"amount"`
		OpenID      string `json:"openid"`
		Description string `json:"description"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	switch {
	case in.Amount <= 0:
		writeError(w, http.StatusBadRequest, "amount must be a positive number of fen")
		return
	case in.OpenID == "":
		writeError(w, http.StatusBadRequest, "openid is required")
		return
	case in.Description == "" || utf8.RuneCountInString(in.Description) > 128:
		writeError(w, http.StatusBadRequest, "description must have 1 to 128 characters")
		return
	}
	o := &order{
		ID:     "MP" + time.Now().In(wxpay.Beijing()).Format("20060102150405") + wxpay.NonceStr()[:8],
		Amount: in.Amount, OpenID: in.OpenID, Description: in.Description, State: "pending",
	}
	// Saved before WeChat hears of it, so that no notify can find it missing.
	a.mu.Lock()
	a.orders[o.ID] = o
	a.mu.Unlock()

	uo, err := a.c.UnifiedOrder(r.Context(), &wxpay.UnifiedOrderRequest{
		Body: in.Description, OutTradeNo: o.ID, TotalFee: in.Amount, SpbillCreateIP: clientIP(r),
		NotifyURL: a.notifyBase + "/wxpay/notify/pay", TradeType: wxpay.TradeTypeJSAPI, OpenID: in.OpenID,
	})
	if err != nil {
		writeAPIError(w, err)
		return
	}
	pay, err := a.c.JSAPIPayParams(uo.PrepayID)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": o.ID, "payment": pay})
}

func (a *app) getOrder(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.orders[r.PathValue("id")]
	if o == nil {
		writeError(w, http.StatusNotFound, "no such order")
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// paid handles a verified payment notify. WeChat repeats notifies, so it
// is idempotent; it refuses one that does not match the order (WeChat
// then retries, and the mismatch shows in the logs).
func (a *app) paid(_ context.Context, n *wxpay.PayNotify) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.orders[n.OutTradeNo]
	switch {
	case o == nil:
		return fmt.Errorf("payment notify for unknown order %s", n.OutTradeNo)
	case n.ResultCode != "SUCCESS":
		return nil // a failed payment: the order stays pending
	case n.TotalFee != o.Amount:
		log.Printf("order %s: notify says %d fen paid, order is %d", o.ID, n.TotalFee, o.Amount)
		return errors.New("amount mismatch")
	case o.State == "pending":
		o.State, o.TransactionID, o.PaidAt = "paid", n.TransactionID, &n.TimeEnd
	}
	return nil
}

func (a *app) refund(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Amount int64  `json:"amount"`
		Reason string `json:"reason"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	// Reserve the amount under the lock, so that two refunds at once
	// cannot take more than was paid.
	a.mu.Lock()
	o := a.orders[r.PathValue("id")]
	var rf *refund
	status, msg := 0, ""
	switch {
	case o == nil:
		status, msg = http.StatusNotFound, "no such order"
	case o.State != "paid":
		status, msg = http.StatusConflict, "order is not paid"
	case in.Amount <= 0 || in.Amount > o.refundable():
		status, msg = http.StatusConflict, fmt.Sprintf("amount must be 1 to %d fen", o.refundable())
	default:
		rf = &refund{OutRefundNo: fmt.Sprintf("%sR%02d", o.ID, len(o.Refunds)+1), Amount: in.Amount, Status: "PROCESSING"}
		o.Refunds = append(o.Refunds, rf)
	}
	a.mu.Unlock()
	if rf == nil {
		writeError(w, status, msg)
		return
	}

	resp, err := a.c.Refund(r.Context(), &wxpay.RefundRequest{
		TransactionID: o.TransactionID, OutRefundNo: rf.OutRefundNo, TotalFee: o.Amount, RefundFee: in.Amount,
		RefundDesc: in.Reason, NotifyURL: a.notifyBase + "/wxpay/notify/refund",
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		var apiErr *wxpay.Error
		if errors.As(err, &apiErr) && !apiErr.Retryable() {
			rf.Status = "FAILED" // WeChat refused it: nothing was refunded
		} else {
			rf.Status = "UNKNOWN"
		}
		writeAPIError(w, err)
		return
	}
	rf.RefundID = resp.RefundID
	writeJSON(w, http.StatusAccepted, rf)
}

// refundable is what is left to refund: refunds that failed for good
// give their amount back.
func (o *order) refundable() int64 {
	left := o.Amount
	for _, rf := range o.Refunds {
		if rf.Status != "REFUNDCLOSE" && rf.Status != "FAILED" {
			left -= rf.Amount
		}
	}
	return left
}

// refunded handles a decrypted refund notify, idempotently.
func (a *app) refunded(_ context.Context, n *wxpay.RefundNotify) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.orders[n.OutTradeNo]
	if o == nil {
		return fmt.Errorf("refund notify for unknown order %s", n.OutTradeNo)
	}
	for _, rf := range o.Refunds {
		if rf.OutRefundNo == n.OutRefundNo {
			if rf.Amount != n.RefundFee {
				return fmt.Errorf("refund %s: notify says %d fen, asked for %d", rf.OutRefundNo, n.RefundFee, rf.Amount)
			}
			rf.RefundID, rf.Status = n.RefundID, string(n.RefundStatus)
			return nil
		}
	}
	return fmt.Errorf("refund notify for unknown refund %s", n.OutRefundNo)
}

// clientIP is the payer's address, for spbill_create_ip. Behind a proxy,
// take it from the proxy's header instead.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err == nil && ip != nil {
		return ip.String()
	}
	return "127.0.0.1"
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeAPIError maps an SDK error to an answer: the mini program only
// needs to know whether to try again.
func writeAPIError(w http.ResponseWriter, err error) {
	var (
		apiErr *wxpay.Error
		valErr *wxpay.ValidationError
	)
	switch {
	case errors.As(err, &valErr):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &apiErr) && !apiErr.Retryable():
		writeError(w, http.StatusConflict, err.Error())
	default:
		log.Printf("wxpay: %v", err)
		writeError(w, http.StatusBadGateway, "payment service unavailable, try again")
	}
}
