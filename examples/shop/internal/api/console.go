package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// The merchant console: server-rendered pages under /admin/, behind a
// login with the admin token that opens a session (an HttpOnly,
// SameSite=Strict cookie whose hash the store keeps). Every POST carries
// the session's CSRF token. The JSON admin API keeps its paths
// (/admin/orders, /admin/refund-applies) and its bearer token; the
// console's pages live at /admin/ and under /admin/console/.

//go:embed console/templates/*.html
var templateFiles embed.FS

//go:embed console/static
var staticFiles embed.FS

const (
	sessionCookie = "shop_admin"
	loginCookie   = "shop_login" // double-submit CSRF token of the login form
	consolePrefix = "/admin/console"
)

var consoleFuncs = template.FuncMap{
	"yuan":        func(f money.Fen) string { return "¥" + wxpay.FormatYuan(int64(f)) },
	"minus":       func(a, b money.Fen) money.Fen { return a - b },
	"orderStatus": store.StatusText,
	"applyStatus": store.ApplyStatusText,
	"applyType":   store.AfterSaleTypeText,
	"logText":     store.LogText,
	"printStatus": store.PrintStatusText,
	"statusClass": func(st int) string { return "st" + strings.ReplaceAll(strconv.Itoa(st), "-", "m") },
	"reputation":  func(r int) string { return [...]string{"差评", "中评", "好评"}[max(0, min(r, 2))] },
	"stars": func(n int) string {
		return strings.Repeat("★", max(0, min(n, 5))) + strings.Repeat("☆", 5-max(0, min(n, 5)))
	},
	"orderStatuses": func() []int {
		return []int{store.StatusUnpaid, store.StatusPaid, store.StatusShipped, store.StatusReceived, store.StatusDone, store.StatusClosed}
	},
}

var consoleTemplates = map[string]*template.Template{}

func init() {
	pages, err := fs.Glob(templateFiles, "console/templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(p[strings.LastIndex(p, "/")+1:], ".html")
		if name == "layout" {
			continue
		}
		consoleTemplates[name] = template.Must(template.New("layout.html").Funcs(consoleFuncs).
			ParseFS(templateFiles, "console/templates/layout.html", p))
	}
}

// page is what every console template gets.
type page struct {
	Title  string
	Nav    string
	Shop   string
	CSRF   string
	OK     string // a flash message after a POST
	Err    string
	Reload string // event types on which the page reloads itself
	Data   any
}

// consoleRoutes registers the console.
func (s *Server) consoleRoutes() {
	static, _ := fs.Sub(staticFiles, "console/static")
	s.static = http.StripPrefix("/admin/static/", http.FileServerFS(static))
	s.mux.HandleFunc("GET /admin/static/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		s.static.ServeHTTP(w, r)
	})
	s.mux.HandleFunc("GET /admin/login", s.loginPage)
	s.mux.HandleFunc("POST /admin/login", s.loginPost)
	s.mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/", http.StatusMovedPermanently)
	})
	s.console("GET /admin/{$}", s.dashboardPage)
	s.console("POST /admin/logout", s.logoutPost)
	s.console("GET "+consolePrefix+"/events", func(w http.ResponseWriter, r *http.Request, _ *page) { s.serveEvents(w, r) })
	s.console("GET "+consolePrefix+"/orders", s.ordersPage)
	s.console("GET "+consolePrefix+"/orders/{id}", s.orderPage)
	s.console("POST "+consolePrefix+"/orders/{id}/ship", s.shipPost)
	s.console("POST "+consolePrefix+"/orders/{id}/close", s.closePost)
	s.console("POST "+consolePrefix+"/orders/{id}/print", s.printPost)
	s.console("GET "+consolePrefix+"/aftersales", s.afterSalesPage)
	s.console("POST "+consolePrefix+"/aftersales/{id}/approve", s.approvePost)
	s.console("POST "+consolePrefix+"/aftersales/{id}/refuse", s.refusePost)
	s.console("GET "+consolePrefix+"/reviews", s.reviewsPage)
	s.console("POST "+consolePrefix+"/reviews/{id}/hide", s.hidePost)
	s.console("POST "+consolePrefix+"/reviews/{id}/reply", s.replyPost)
	s.console("GET "+consolePrefix+"/goods", s.goodsPage)
	s.console("POST "+consolePrefix+"/goods/{id}/shelf", s.shelfPost)
	s.console("POST "+consolePrefix+"/skus/{id}", s.skuPost)
}

type consoleFunc func(w http.ResponseWriter, r *http.Request, pg *page)

// console registers a page or form of the console behind the session;
// POSTs must carry the session's CSRF token and, when the browser says
// where they come from, come from the shop's own origin.
func (s *Server) console(pattern string, h consoleFunc) {
	post := strings.HasPrefix(pattern, "POST ")
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		c, _ := r.Cookie(sessionCookie)
		var tok string
		if c != nil {
			tok = c.Value
		}
		if _, err := s.st.AdminSession(r.Context(), tok); err != nil {
			if store.KindOf(err) != store.Unauthenticated {
				s.log.ErrorContext(r.Context(), "console session", "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/events") {
				http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "登录已失效，请重新登录 (not logged in)", http.StatusUnauthorized)
			return
		}
		pg := &page{Shop: s.cfg.ShopName, CSRF: csrfToken(tok), OK: r.URL.Query().Get("ok"), Err: r.URL.Query().Get("err")}
		if post {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "malformed form", http.StatusBadRequest)
				return
			}
			if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(pg.CSRF)) != 1 {
				http.Error(w, "表单已过期，请刷新页面后重试 (CSRF check failed)", http.StatusForbidden)
				return
			}
		}
		h(w, r, pg)
	})
}

// csrfToken is the session's CSRF token: derived from the session
// token, which only the browser holding the cookie has.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("shop console csrf"))
	return hex.EncodeToString(m.Sum(nil))
}

// sameOrigin refuses a request whose Origin (or, without one, Referer)
// names another host; requests without either pass (the CSRF token
// still guards them).
func sameOrigin(r *http.Request) bool {
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
	}
	if from == "" {
		return true
	}
	u, err := url.Parse(from)
	return err == nil && u.Host == r.Host
}

func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, pg *page) {
	t := consoleTemplates[name]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout.html", pg); err != nil {
		s.log.ErrorContext(r.Context(), "console template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	fmt.Fprint(w, b.String())
}

// done redirects after a POST to back, with a message.
func done(w http.ResponseWriter, r *http.Request, back string, err error, okMsg string) {
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	if err != nil {
		back += sep + "err=" + url.QueryEscape(consoleMessage(err))
	} else if okMsg != "" {
		back += sep + "ok=" + url.QueryEscape(okMsg)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// consoleMessage is what the merchant reads of an error.
func consoleMessage(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.msg
	}
	var se *store.Error
	if errors.As(err, &se) {
		return se.Msg
	}
	return "系统繁忙，请稍后再试 (internal error)"
}

// ---- login

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	tok, err := randomHex(16)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/admin/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r), MaxAge: 3600})
	next := safeNext(r.URL.Query().Get("next"))
	s.render(w, r, "login", &page{Title: "登录", Shop: s.cfg.ShopName, CSRF: tok, Err: r.URL.Query().Get("err"),
		Data: map[string]string{"Next": next}})
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	c, _ := r.Cookie(loginCookie)
	if c == nil || !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(c.Value)) != 1 {
		http.Redirect(w, r, "/admin/login?err="+url.QueryEscape("登录表单已过期，请重试 (form expired)")+"&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	given := sha256.Sum256([]byte(strings.TrimSpace(r.PostForm.Get("token"))))
	want := sha256.Sum256([]byte(s.cfg.AdminToken))
	if subtle.ConstantTimeCompare(given[:], want[:]) != 1 {
		// Slow down guessing; the token should be long anyway.
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
		s.log.WarnContext(r.Context(), "console login refused", "remote", r.RemoteAddr)
		http.Redirect(w, r, "/admin/login?err="+url.QueryEscape("管理口令不正确 (wrong admin token)")+"&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	tok, err := s.st.CreateAdminSession(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "console session", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/admin/login", MaxAge: -1})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/admin/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r), MaxAge: int(s.st.Policy().SessionTTL / time.Second)})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/admin/login") {
		return "/admin/"
	}
	return next
}

// secureCookies reports whether cookies should be Secure: the shop is
// reached over TLS.
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://")
}

func (s *Server) logoutPost(w http.ResponseWriter, r *http.Request, _ *page) {
	if c, _ := r.Cookie(sessionCookie); c != nil {
		if err := s.st.EndAdminSession(r.Context(), c.Value); err != nil {
			s.log.ErrorContext(r.Context(), "console logout", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/admin/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r)})
	http.Redirect(w, r, "/admin/login?err="+url.QueryEscape("已退出登录 (logged out)"), http.StatusSeeOther)
}

// ---- dashboard

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request, pg *page) {
	ctx := r.Context()
	d, err := s.st.Dashboard(ctx)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	recent, _, err := s.st.ListOrders(ctx, store.OrderFilter{IncludeDeleted: true, Statuses: []int{store.StatusPaid}, Page: 1, PageSize: 10})
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	pg.Title, pg.Nav = "概览", "dashboard"
	pg.Data = map[string]any{"D": d, "Recent": summaries(recent), "Printer": s.cfg.Printer != nil}
	s.render(w, r, "dashboard", pg)
}

func (s *Server) consoleError(w http.ResponseWriter, r *http.Request, err error) {
	if k := store.KindOf(err); k == store.NotFound || k == store.Invalid {
		http.Error(w, consoleMessage(err), map[store.Kind]int{store.NotFound: 404, store.Invalid: 400}[k])
		return
	}
	s.log.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// orderSummary is a line of an order list.
type orderSummary struct {
	*store.Order
	Goods string
}

func summaries(os []*store.Order) []orderSummary {
	out := make([]orderSummary, len(os))
	for i, o := range os {
		out[i] = orderSummary{Order: o, Goods: paidEvent(o).Goods}
	}
	return out
}

// ---- orders

func (s *Server) ordersPage(w http.ResponseWriter, r *http.Request, pg *page) {
	p := &params{v: r.URL.Query()}
	f := store.OrderFilter{IncludeDeleted: true}
	f.Page, f.PageSize = p.page(20)
	status := p.str("status")
	if status != "" {
		st := p.int("status", 0)
		if store.StatusText(int(st)) == "" && p.err == nil {
			p.fail("没有这个订单状态 (unknown status %q)", status)
		}
		f.Statuses = []int{int(st)}
	}
	f.Search = p.str("q")
	if len([]rune(f.Search)) > 64 {
		p.fail("搜索词太长 (search longer than 64 characters)")
	}
	if p.err != nil {
		http.Error(w, consoleMessage(p.err), http.StatusBadRequest)
		return
	}
	orders, total, err := s.st.ListOrders(r.Context(), f)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	pg.Title, pg.Nav, pg.Reload = "订单", "orders", "paid closed"
	q := url.Values{"status": {status}, "q": {f.Search}}
	pages := (total + f.PageSize - 1) / f.PageSize
	pg.Data = map[string]any{"Orders": summaries(orders), "Status": status, "Q": f.Search, "Total": total,
		"Page": f.Page, "Pages": pages, "Prev": pageLink(q, f.Page-1, pages), "Next": pageLink(q, f.Page+1, pages)}
	s.render(w, r, "orders", pg)
}

func pageLink(q url.Values, n, pages int) string {
	if n < 1 || n > pages {
		return ""
	}
	q.Set("page", strconv.Itoa(n))
	return consolePrefix + "/orders?" + q.Encode()
}

func (s *Server) orderPage(w http.ResponseWriter, r *http.Request, pg *page) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		http.Error(w, consoleMessage(err), http.StatusBadRequest)
		return
	}
	o, err := s.st.Order(ctx, 0, id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	buyer, err := s.st.Buyer(ctx, o.UserID)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	pays, err := s.st.PaymentsOfOrder(ctx, id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	applies, err := s.st.RefundApplies(ctx, 0, id, 0)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	jobs, err := s.st.PrintJobs(ctx, id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	logs, err := s.st.OrderLogs(ctx, id)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	lines := map[int64]string{}
	for _, l := range o.Lines {
		lines[l.ID] = l.GoodsName
	}
	pg.Title, pg.Nav, pg.Reload = "订单 "+o.OrderNumber, "orders", "paid closed printed refund"
	pg.Data = map[string]any{"O": o, "Buyer": buyer, "Payments": pays, "Applies": applies, "Lines": lines,
		"Jobs": jobs, "Logs": logs, "Printer": s.cfg.Printer != nil}
	s.render(w, r, "order", pg)
}

// orderBack is the page to return to after a form of order id: the
// order, or the list when there is no such order.
func orderBack(id int64, err error) string {
	if store.KindOf(err) == store.NotFound {
		return consolePrefix + "/orders"
	}
	return fmt.Sprintf("%s/orders/%d", consolePrefix, id)
}

func (s *Server) shipPost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err != nil {
		done(w, r, consolePrefix+"/orders", err, "")
		return
	}
	carrier, tracking := strings.TrimSpace(r.PostForm.Get("shipperName")), strings.TrimSpace(r.PostForm.Get("trackingNumber"))
	if err = store.CheckText("shipperName", "快递公司", carrier, 32); err == nil {
		err = store.CheckText("trackingNumber", "快递单号", tracking, 64)
	}
	if err == nil {
		_, err = s.st.Ship(r.Context(), id, carrier, tracking)
	}
	done(w, r, orderBack(id, err), err, "已发货 (shipped)")
}

func (s *Server) closePost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err != nil {
		done(w, r, consolePrefix+"/orders", err, "")
		return
	}
	err = s.closeByMerchant(r.Context(), id)
	done(w, r, orderBack(id, err), err, "订单已关闭，库存已恢复 (closed)")
}

// closeByMerchant closes an unpaid order: its open payments at WeChat
// first, as expiry does.
func (s *Server) closeByMerchant(ctx context.Context, id int64) error {
	o, err := s.st.Order(ctx, 0, id)
	if err != nil {
		return err
	}
	if o.Status != store.StatusUnpaid {
		return errorf(CodeConflict, "只有待支付的订单可以关闭 (order %d is %s)", id, store.StatusText(o.Status))
	}
	ps, err := s.st.OpenPaymentsOf(ctx, id)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := s.closePayment(ctx, p); err != nil {
			return err
		}
	}
	if err := s.st.CloseOrder(ctx, 0, id); err != nil {
		return err
	}
	s.hub.publish(event{Type: "closed", OrderID: id})
	return nil
}

func (s *Server) printPost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err != nil {
		done(w, r, consolePrefix+"/orders", err, "")
		return
	}
	if s.cfg.Printer == nil {
		err = errorf(CodeConflict, "未配置打印机 (no -printer-url)")
	} else if err = s.st.Reprint(r.Context(), id); err == nil {
		s.wakePrinter()
	}
	done(w, r, orderBack(id, err), err, "已加入打印队列 (queued)")
}

// ---- after-sales

// applyRow is an application with its order, for the list.
type applyRow struct {
	*store.RefundApply
	Order *store.Order
	Goods string
}

func (s *Server) afterSalesPage(w http.ResponseWriter, r *http.Request, pg *page) {
	p := &params{v: r.URL.Query()}
	page, size := p.page(30)
	filter := p.str("status")
	status := store.OpenApplies
	switch filter {
	case "", "open":
		filter = "open"
	case "all":
		status = -1
	default:
		status = int(p.int("status", 0))
		if store.ApplyStatusText(status) == "" && p.err == nil {
			p.fail("没有这个售后状态 (unknown status %q)", filter)
		}
	}
	if p.err != nil {
		http.Error(w, consoleMessage(p.err), http.StatusBadRequest)
		return
	}
	as, total, err := s.st.ListRefundApplies(r.Context(), status, page, size)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	rows := make([]applyRow, len(as))
	for i, a := range as {
		o, err := s.st.Order(r.Context(), 0, a.OrderID)
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		rows[i] = applyRow{RefundApply: a, Order: o}
		for _, l := range o.Lines {
			if l.ID == a.OrderGoodsID {
				rows[i].Goods = l.GoodsName
			}
		}
	}
	pg.Title, pg.Nav, pg.Reload = "售后", "aftersales", "refund"
	pg.Data = map[string]any{"Rows": rows, "Status": filter, "Total": total,
		"Back": consolePrefix + "/aftersales?status=" + url.QueryEscape(filter)}
	s.render(w, r, "aftersales", pg)
}

func (s *Server) approvePost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err == nil {
		_, err = s.approve(r.Context(), id)
	}
	if err == nil {
		s.hub.publish(event{Type: "refund", ApplyID: id})
	}
	done(w, r, backTo(r, consolePrefix+"/aftersales"), err, "已同意，退款处理中 (approved)")
}

func (s *Server) refusePost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err == nil {
		_, err = s.refuse(r.Context(), id, strings.TrimSpace(r.PostForm.Get("remark")))
	}
	if err == nil {
		s.hub.publish(event{Type: "refund", ApplyID: id})
	}
	done(w, r, backTo(r, consolePrefix+"/aftersales"), err, "已拒绝 (refused)")
}

// backTo is the form's back field when it names a console page.
func backTo(r *http.Request, def string) string {
	if b := r.PostForm.Get("back"); strings.HasPrefix(b, consolePrefix+"/") && !strings.HasPrefix(b, "//") && !strings.ContainsAny(b, "\\\r\n") {
		return b
	}
	return def
}

// ---- reviews

func (s *Server) reviewsPage(w http.ResponseWriter, r *http.Request, pg *page) {
	p := &params{v: r.URL.Query()}
	page, size := p.page(30)
	rs, total, err := s.st.ListReviews(r.Context(), page, size)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	pg.Title, pg.Nav = "评价", "reviews"
	pg.Data = map[string]any{"Reviews": rs, "Total": total}
	s.render(w, r, "reviews", pg)
}

func (s *Server) hidePost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err == nil {
		hidden := r.PostForm.Get("hidden")
		if hidden != "0" && hidden != "1" {
			err = errorf(CodeInvalid, "hidden 只能是 0 或 1 (hidden=%q)", hidden)
		} else {
			err = s.st.HideReview(r.Context(), id, hidden == "1")
		}
	}
	done(w, r, consolePrefix+"/reviews", err, "已更新 (updated)")
}

func (s *Server) replyPost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err == nil {
		err = s.st.ReplyReview(r.Context(), id, strings.TrimSpace(r.PostForm.Get("reply")))
	}
	done(w, r, consolePrefix+"/reviews", err, "已回复 (replied)")
}

// ---- goods

func (s *Server) goodsPage(w http.ResponseWriter, r *http.Request, pg *page) {
	gs, err := s.st.AllGoods(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	pg.Title, pg.Nav = "商品", "goods"
	pg.Data = map[string]any{"Goods": gs}
	s.render(w, r, "goods", pg)
}

func (s *Server) shelfPost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err == nil {
		on := r.PostForm.Get("on")
		if on != "0" && on != "1" {
			err = errorf(CodeInvalid, "on 只能是 0 或 1 (on=%q)", on)
		} else {
			err = s.st.SetOnShelf(r.Context(), id, on == "1")
		}
	}
	done(w, r, consolePrefix+"/goods", err, "已更新 (updated)")
}

func (s *Server) skuPost(w http.ResponseWriter, r *http.Request, _ *page) {
	id, err := pathID(r)
	if err == nil {
		p := &params{v: r.PostForm}
		// The merchant types the price: exactly yuan and fen, or refused
		// (unlike the pages' amounts, which carry JavaScript's noise).
		price, perr := wxpay.ParseYuan(p.str("price"))
		if perr != nil {
			p.fail("价格不是有效金额，最多两位小数 (price %q is not an amount)", p.str("price"))
		}
		stock := p.int("stock", -1)
		if p.err == nil && p.str("stock") == "" {
			p.fail("缺少参数 stock (missing stock)")
		}
		if err = p.err; err == nil {
			err = s.st.UpdateSKU(r.Context(), id, money.Fen(price), stock)
		}
	}
	done(w, r, consolePrefix+"/goods", err, "已保存 (saved)")
}
