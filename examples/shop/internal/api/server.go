// Package api serves the api工厂 (apifm) protocol that the apifm-wxapi
// client and the wechat-app-mall pages speak, the merchant's admin API,
// and the WeChat Pay notify endpoints, on top of the store.
package api

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/pay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/printer"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
	"github.com/wxpay-go/wxpay/examples/shop/internal/wxlogin"
)

// Config is what a Server is built from.
type Config struct {
	Store    *store.Store
	Payments pay.Gateway
	Login    wxlogin.Resolver
	// DevConfirm, if set, enables POST /{subDomain}/dev/wxpay/confirm,
	// which calls it with the out_trade_no of a prepay id to play the
	// buyer paying in WeChat. Only development mode sets it.
	DevConfirm func(outTradeNo string) error
	// DevConfirmSilently, if set, is what confirm calls with notify=0: a
	// payment whose notify is lost, for the reconciliation loop to find.
	DevConfirmSilently func(outTradeNo string) error
	// AdminToken enables the admin API for requests bearing it; "" turns
	// the admin API off.
	AdminToken string
	// PublicURL is the shop's address as clients see it, for the goods
	// pictures it serves itself.
	PublicURL string
	// StaffUIDs may write off orders (核销): the order_hx_uids config value.
	StaffUIDs []int64
	Logger    *slog.Logger

	// ShopName heads the receipts and the console.
	ShopName string
	// Printer, if set, receives a receipt of every paid order.
	Printer *printer.Webhook
	// PrinterWidth is the receipt's width in columns: 32 or 48.
	PrinterWidth int

	// SweepEvery is how often unpaid orders past their time are closed
	// and due receipts sent; 0 means 5 s.
	SweepEvery time.Duration
	// ReconcileAfter is how long a payment may stay unpaid, or a refund
	// in progress, before the shop asks WeChat about it; 0 means 3 min.
	ReconcileAfter time.Duration
	// ReconcileEvery is how often the shop asks, and asks again about
	// the same payment; 0 means 30 s.
	ReconcileEvery time.Duration
}

// Server is the shop's HTTP handler.
type Server struct {
	cfg Config
	st  *store.Store
	log *slog.Logger
	mux *http.ServeMux

	started time.Time
	hub     *hub
	poke    chan struct{} // wakes the printer loop
	static  http.Handler
}

// maxBody bounds request bodies: form posts are small.
const maxBody = 1 << 20

// New returns the shop's handler.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.ShopName == "" {
		cfg.ShopName = "小店"
	}
	if cfg.PrinterWidth == 0 {
		cfg.PrinterWidth = printer.Width58mm
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = 5 * time.Second
	}
	if cfg.ReconcileAfter <= 0 {
		cfg.ReconcileAfter = 3 * time.Minute
	}
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = 30 * time.Second
	}
	s := &Server{cfg: cfg, st: cfg.Store, log: cfg.Logger, mux: http.NewServeMux(), started: time.Now(),
		hub: newHub(), poke: make(chan struct{}, 1)}
	s.routes()
	return s
}

func (s *Server) routes() {
	// api工厂, under /{subDomain}. Any subDomain is accepted; methods are
	// not enforced because the client's are lowercase and some mini
	// program frameworks change them.
	s.handle("/user/wxapp/authorize", public, s.authorize)
	s.handle("/user/wxapp/login", public, s.loginWx)
	s.handle("/user/check-token", public, s.checkToken)
	s.handle("/user/loginout", public, s.logout)
	s.handle("/user/amount", buyer, s.userAmount)
	s.handle("/user/detail", buyer, s.userDetail)
	s.handle("/shop/goods/list", public, s.goodsList)
	s.handle("/shop/goods/list/v2", public, s.goodsListV2)
	s.handle("/shop/goods/detail", public, s.goodsDetail)
	s.handle("/shop/goods/price", public, s.goodsPrice)
	s.handle("/order/create", buyer, s.orderCreate)
	s.handle("/order/list", buyer, s.orderList)
	s.handle("/order/detail", public, s.orderDetail) // buyer, or staff with hxNumber
	s.handle("/order/close", buyer, orderAction(s.st.CloseOrder))
	s.handle("/order/delete", buyer, orderAction(s.st.DeleteOrder))
	s.handle("/order/pay", buyer, s.orderPay)
	s.handle("/order/delivery", buyer, orderAction(s.st.ConfirmDelivery))
	s.handle("/order/hx", public, s.orderHX) // staff
	s.handle("/order/statistics", buyer, s.orderStatistics)
	s.handle("/order/reputation", public, s.orderReputation) // token inside postJsonString
	s.handle("/order/refundApply/apply", buyer, s.refundApply)
	s.handle("/order/refundApply/info", buyer, s.refundApplyInfo)
	s.handle("/order/refundApply/cancel", buyer, s.refundApplyCancel)
	s.handle("/order/refundApply/setBackLogistics", buyer, s.refundApplySetBackLogistics)
	s.handle("/order/refund", buyer, s.refundApplyInfo)
	s.handle("/pay/wx/wxapp", buyer, s.wxPay)
	s.stubs()
	if s.cfg.DevConfirm != nil {
		s.handle("/dev/wxpay/confirm", public, s.devConfirm)
	}
	s.mux.HandleFunc("/{sub}/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, envelope{Code: CodeNoAPI, Msg: "接口不存在 (no such API): " + r.URL.Path})
	})

	// WeChat Pay notifies.
	s.mux.Handle("POST "+pay.PayNotifyPath, s.cfg.Payments.PayNotifyHandler(s.onPaid))
	s.mux.Handle("POST "+pay.RefundNotifyPath, s.cfg.Payments.RefundNotifyHandler(s.onRefunded))

	// For load balancers and scripts: the process answers, with its pid
	// so that a restart can be told from a hiccup.
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "pid": os.Getpid(), "started": s.started.Format(time.RFC3339Nano)})
	})

	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

	// The pictures of the demo catalogue.
	s.mux.HandleFunc("GET /static/goods/{name}", s.goodsPicture)

	if s.cfg.AdminToken != "" {
		s.admin("GET /admin/orders", s.adminOrders)
		s.admin("POST /admin/orders/{id}/ship", s.adminShip)
		s.admin("GET /admin/refund-applies", s.adminRefundApplies)
		s.admin("POST /admin/refund-applies/{id}/approve", s.adminApprove)
		s.admin("POST /admin/refund-applies/{id}/refuse", s.adminRefuse)
		s.consoleRoutes()
	}
}

// access says who may call an api工厂 path.
type access int

const (
	public access = iota // anyone; the handler checks what it needs
	buyer                // a valid token parameter
)

// call is one api工厂 request.
type call struct {
	ctx  context.Context
	r    *http.Request
	p    params
	user *store.User // for buyer calls
}

type handlerFunc func(c *call) (any, error)

// handle registers an api工厂 path under /{sub}. Every answer is HTTP 200
// with the {code, msg, data} envelope, errors included, as the client
// expects.
func (s *Server) handle(path string, a access, h handlerFunc) {
	s.mux.HandleFunc("/{sub}"+path, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.run(r, a, h))
	})
}

func (s *Server) run(r *http.Request, a access, h handlerFunc) envelope {
	if err := r.ParseForm(); err != nil {
		return envelope{Code: CodeInvalid, Msg: "请求参数无法解析 (malformed form): " + err.Error()}
	}
	c := &call{ctx: r.Context(), r: r, p: params{v: r.Form}}
	if a == buyer {
		u, err := s.st.UserByToken(c.ctx, c.p.str("token"))
		if err != nil {
			return envelopeOf(err, s.log, r)
		}
		c.user = u
	}
	data, err := h(c)
	if err == nil {
		err = c.p.err // a handler that read bad parameters and returned nothing
	}
	if err != nil {
		return envelopeOf(err, s.log, r)
	}
	return envelope{Code: CodeOK, Msg: "success", Data: data}
}

// ServeHTTP serves the shop, bounding bodies, logging each request without
// its parameters (they carry tokens), and turning a panic into a logged
// error answer instead of a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(r.Context(), "panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			if !rec.wrote {
				writeJSON(rec, http.StatusOK, envelope{Code: CodeFailed, Msg: "系统繁忙，请稍后再试 (internal error)"})
			}
		}
		s.log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(start))
	}()
	s.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

// WriteHeader implements http.ResponseWriter.
func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the underlying writer: the
// console's live feed flushes and extends its write deadline through it.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Write implements http.ResponseWriter.
func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// isStaff reports whether a user may write off orders.
func (s *Server) isStaff(u *store.User) bool {
	for _, id := range s.cfg.StaffUIDs {
		if u != nil && u.ID == id {
			return true
		}
	}
	return false
}

// adminAuthorized checks the admin bearer token in constant time.
func (s *Server) adminAuthorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.cfg.AdminToken)) == 1
}

// picURL makes a picture path of the store absolute.
func (s *Server) picURL(p string) string {
	if strings.HasPrefix(p, "/") {
		return s.cfg.PublicURL + p
	}
	return p
}
