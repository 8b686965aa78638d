package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/api"
	"github.com/wxpay-go/wxpay/examples/shop/internal/printer"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// consoleClient is a browser-like client of the console: cookies, and
// the CSRF token of the last page it read.
type consoleClient struct {
	sh   *shop
	hc   *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (sh *shop) consoleLogin() *consoleClient {
	sh.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &consoleClient{sh: sh, hc: &http.Client{Jar: jar}}
	c.get("/admin/login")
	_, body := c.post("/admin/login", "token", adminToken)
	if !strings.Contains(body, `id="feed"`) {
		sh.t.Fatalf("login did not reach the dashboard: %.500s", body)
	}
	return c
}

func (c *consoleClient) get(path string) (int, string) {
	c.sh.t.Helper()
	resp, err := c.hc.Get(c.sh.front.URL + path)
	if err != nil {
		c.sh.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp.StatusCode, string(b)
}

// post submits a form with the CSRF token and follows the redirect.
func (c *consoleClient) post(path string, kv ...string) (int, string) {
	c.sh.t.Helper()
	return c.postRaw(path, append([]string{"csrf", c.csrf}, kv...)...)
}

func (c *consoleClient) postRaw(path string, kv ...string) (int, string) {
	c.sh.t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	resp, err := c.hc.PostForm(c.sh.front.URL+path, form)
	if err != nil {
		c.sh.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp.StatusCode, string(b)
}

// flash returns the error flash of a page, "" for none.
func flash(body string) string {
	m := regexp.MustCompile(`class="flash err"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestConsoleBadInput: every form and filter of the console refuses bad
// input with a message, and nothing changes.
func TestConsoleBadInput(t *testing.T) {
	sh := newShop(t, t.TempDir()+"/shop.db")
	tok, _ := sh.login("bad-console")
	o, cupLine, _ := paidOrder(sh, tok)
	var a applyT
	sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "129.5"), &a)

	// Without a session: GETs go to the login page, POSTs are refused.
	anon := &consoleClient{sh: sh, hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if st, _ := anon.get("/admin/console/orders"); st != http.StatusSeeOther {
		t.Errorf("orders without a session: HTTP %d, want 303 to the login", st)
	}
	if st, _ := anon.postRaw(fmt.Sprintf("/admin/console/orders/%d/ship", o.ID), "shipperName", "x", "trackingNumber", "y"); st != 401 {
		t.Errorf("ship without a session: HTTP %d", st)
	}
	if st, _ := anon.get("/admin/console/events"); st != 401 {
		t.Errorf("live feed without a session: HTTP %d", st)
	}
	// The login refuses a wrong token and a missing login CSRF cookie.
	jar, _ := cookiejar.New(nil)
	guess := &consoleClient{sh: sh, hc: &http.Client{Jar: jar}}
	guess.get("/admin/login")
	if _, body := guess.post("/admin/login", "token", "guess"); !strings.Contains(flash(body), "不正确") {
		t.Errorf("wrong token: flash %q", flash(body))
	}
	if _, body := anon.postRaw("/admin/login", "token", adminToken); strings.Contains(body, `id="feed"`) {
		t.Error("login without its CSRF cookie succeeded")
	}
	// An open redirect after login stays in the console.
	if _, body := guess.post("/admin/login", "token", adminToken, "next", "//evil.example/"); !strings.Contains(body, `id="feed"`) {
		t.Errorf("next=//evil.example/: landed on %.200s", body)
	}

	c := sh.consoleLogin()
	ship := fmt.Sprintf("/admin/console/orders/%d/ship", o.ID)
	if st, _ := c.postRaw(ship, "csrf", "", "shipperName", "SF", "trackingNumber", "1"); st != 403 {
		t.Errorf("ship without the CSRF token: HTTP %d", st)
	}
	if st, _ := c.postRaw(ship, "csrf", strings.Repeat("0", 64), "shipperName", "SF", "trackingNumber", "1"); st != 403 {
		t.Errorf("ship with a wrong CSRF token: HTTP %d", st)
	}
	req, _ := http.NewRequest("POST", sh.front.URL+ship, strings.NewReader(url.Values{"csrf": {c.csrf}, "shipperName": {"SF"}, "trackingNumber": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := c.hc.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("ship from another origin: %v %v", resp.StatusCode, err)
	}

	for _, tt := range []struct {
		path string
		kv   []string
		want string
	}{
		{ship, []string{"shipperName", "", "trackingNumber", ""}, "快递"},
		{ship, []string{"shipperName", "SF\x00", "trackingNumber", "1"}, "控制字符"},
		{ship, []string{"shipperName", "SF", "trackingNumber", strings.Repeat("1", 65)}, "64"},
		{"/admin/console/orders/abc/ship", []string{"shipperName", "SF", "trackingNumber", "1"}, "bad id"},
		{fmt.Sprintf("/admin/console/orders/%d/close", o.ID), nil, "待支付"},
		{"/admin/console/orders/999999/close", nil, "不存在"},
		{fmt.Sprintf("/admin/console/orders/%d/print", o.ID), nil, "未配置打印机"},
		{fmt.Sprintf("/admin/console/aftersales/%d/refuse", a.BaseInfo.ID), []string{"remark", "\x07"}, "控制字符"},
		{"/admin/console/aftersales/999999/approve", nil, "不存在"},
		{"/admin/console/reviews/1/hide", []string{"hidden", "maybe"}, "hidden"},
		{"/admin/console/reviews/999999/hide", []string{"hidden", "1"}, "不存在"},
		{"/admin/console/reviews/999999/reply", []string{"reply", "谢谢"}, "不存在"},
		{"/admin/console/reviews/1/reply", []string{"reply", "\xff"}, "UTF-8"},
		{"/admin/console/goods/1/shelf", []string{"on", "yes"}, "on"},
		{"/admin/console/goods/999999/shelf", []string{"on", "1"}, "不存在"},
		{"/admin/console/skus/1", []string{"price", "abc", "stock", "1"}, "金额"},
		{"/admin/console/skus/1", []string{"price", "1.005", "stock", "1"}, "两位小数"},
		{"/admin/console/skus/1", []string{"price", "0", "stock", "1"}, "价格"},
		{"/admin/console/skus/1", []string{"price", "1e9", "stock", "1"}, "价格"},
		{"/admin/console/skus/1", []string{"price", "10", "stock", "-1"}, "库存"},
		{"/admin/console/skus/1", []string{"price", "10", "stock", "x"}, "整数"},
		{"/admin/console/skus/1", []string{"price", "10"}, "stock"},
		{"/admin/console/skus/999999", []string{"price", "10", "stock", "1"}, "不存在"},
	} {
		st, body := c.post(tt.path, tt.kv...)
		if msg := flash(body); st != 200 || !strings.Contains(msg, tt.want) {
			t.Errorf("POST %s %q: HTTP %d, flash %q; want a message with %q", tt.path, tt.kv, st, msg, tt.want)
		}
	}
	if d := sh.detail(tok, o.ID); d.OrderInfo.Status != 1 {
		t.Errorf("bad input changed the order: %+v", d.OrderInfo)
	}
	for _, path := range []string{"/admin/console/orders?status=9", "/admin/console/orders?status=x",
		"/admin/console/orders?q=" + strings.Repeat("x", 65), "/admin/console/orders/0", "/admin/console/orders/x",
		"/admin/console/aftersales?status=9", "/admin/console/orders/999999"} {
		if st, _ := c.get(path); st != 400 && st != 404 {
			t.Errorf("GET %s: HTTP %d; want 400 or 404", path, st)
		}
	}
	// Search finds by order number, buyer and phone; LIKE wildcards are
	// literal.
	for q, found := range map[string]bool{o.OrderNumber: true, o.OrderNumber[:10]: true, "张三": true, "13800000000": true, "%": false, "_": false} {
		_, body := c.get("/admin/console/orders?q=" + url.QueryEscape(q))
		if got := strings.Contains(body, o.OrderNumber); got != found {
			t.Errorf("search %q found the order: %v, want %v", q, got, found)
		}
	}
	// Logout ends the session for good.
	c.post("/admin/logout")
	if st, _ := c.get("/admin/console/orders"); st != 200 || c.csrf == "" {
		t.Logf("after logout: %d", st)
	}
	if _, body := c.get("/admin/"); !strings.Contains(body, `id="token"`) {
		t.Error("after logout the console is still open")
	}
}

// TestConsoleGoodsAndReviews: the merchant edits price and stock, takes
// goods off the shelf, hides and answers reviews.
func TestConsoleGoodsAndReviews(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		c := sh.consoleLogin()
		gd, _ := sh.st.GoodsDetail(t.Context(), cup)
		sku := gd.SKUs[0].ID
		if _, body := c.post(fmt.Sprintf("/admin/console/skus/%d", sku), "price", "99.9", "stock", "7"); flash(body) != "" {
			t.Fatalf("saving the SKU: %q", flash(body))
		}
		var p struct {
			Price  json.Number
			Stores int64
		}
		sh.ok(sh.post("/shop/goods/price", "goodsId", fmt.Sprint(cup)), &p)
		want(sh, "price", p.Price.String(), "99.9")
		want(sh, "stock", p.Stores, int64(7))
		c.post(fmt.Sprintf("/admin/console/goods/%d/shelf", cup), "on", "0")
		tok, _ := sh.login("shelf")
		sh.code(sh.post("/order/create", append([]string{"token", tok, "goodsJsonStr", items(item(cup, 1, ""))}, address...)...), 30000, "ordering goods off the shelf")
		c.post(fmt.Sprintf("/admin/console/goods/%d/shelf", cup), "on", "1")

		// A review, hidden and answered.
		o := sh.createOrder(tok, items(item(beans, 1, "")), address...)
		sh.payByWeChat(tok, "68", o.ID)
		sh.admin("POST", fmt.Sprintf("/admin/orders/%d/ship", o.ID), "shipperName", "SF", "trackingNumber", "1")
		sh.ok(sh.post("/order/delivery", "token", tok, "orderId", fmt.Sprint(o.ID)), nil)
		line := sh.detail(tok, o.ID).Goods[0]
		pj, _ := json.Marshal(map[string]any{"token": tok, "orderId": o.ID, "reputations": []map[string]any{
			{"id": line.ID, "reputation": 2, "reputationNumber": 5, "remark": "豆子很新鲜"}}})
		sh.ok(sh.post("/order/reputation", "postJsonString", string(pj)), nil)
		rs, _, _ := sh.st.ListReviews(t.Context(), 1, 10)
		if len(rs) != 1 {
			t.Fatalf("reviews: %+v", rs)
		}
		c.post(fmt.Sprintf("/admin/console/reviews/%d/hide", rs[0].ID), "hidden", "1")
		c.post(fmt.Sprintf("/admin/console/reviews/%d/reply", rs[0].ID), "reply", "谢谢惠顾")
		_, body := c.get("/admin/console/reviews")
		if !strings.Contains(body, "谢谢惠顾") || !strings.Contains(body, "已隐藏") || !strings.Contains(body, "豆子很新鲜") {
			t.Errorf("reviews page: %.1500s", body)
		}
	})
}

// TestPrinter: every paid order's receipt reaches the printer webhook,
// signed; a printer that is down for a while gets it when it is back,
// across a restart of the shop; "print again" prints again.
func TestPrinter(t *testing.T) {
	key := []byte("printer-key-0123456789")
	var mu sync.Mutex
	var got []printer.Payload
	failures := 2 // the printer is down for its first two deliveries
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := printer.Verify(key, r, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			t.Errorf("delivery: %v", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			http.Error(w, "paper jam", http.StatusServiceUnavailable)
			return
		}
		var p printer.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("payload: %v", err)
		}
		if r.Header.Get(printer.HeaderDelivery) != p.Delivery {
			t.Errorf("delivery header %q, payload %q", r.Header.Get(printer.HeaderDelivery), p.Delivery)
		}
		got = append(got, p)
	}))
	defer recv.Close()
	received := func() []printer.Payload {
		mu.Lock()
		defer mu.Unlock()
		return append([]printer.Payload(nil), got...)
	}

	sh := newShopWith(t, t.TempDir()+"/shop.db", func(sh *shop) {
		sh.background = true
		sh.configure = func(c *api.Config) {
			c.SweepEvery = 50 * time.Millisecond
			c.ShopName = "测试小店"
			c.PrinterWidth = printer.Width80mm
			c.Printer = &printer.Webhook{URL: recv.URL, Key: key}
		}
	})
	tok, _ := sh.login("printer")
	o, _, _ := paidOrder(sh, tok)
	sh.wait("the first failed attempt", 5*time.Second, func() bool {
		js, _ := sh.st.PrintJobs(t.Context(), o.ID)
		return len(js) == 1 && js[0].Attempts >= 1
	})
	sh.restart() // the queue is in the database
	sh.wait("the receipt", 15*time.Second, func() bool { return len(received()) == 1 })
	p := received()[0]
	if p.OrderNumber != o.OrderNumber || p.Width != 48 || !strings.Contains(p.Text, "测试小店") || !strings.Contains(p.Text, "¥197.50") {
		t.Errorf("receipt %+v", p)
	}
	if len(p.ESCPOS) < 4 || p.ESCPOS[0] != 0x1b || p.ESCPOS[1] != 0x40 {
		t.Errorf("ESC/POS %q", base64.StdEncoding.EncodeToString(p.ESCPOS))
	}
	var js []store.PrintJob
	sh.wait("the print to be recorded", 5*time.Second, func() bool {
		js, _ = sh.st.PrintJobs(t.Context(), o.ID)
		return len(js) == 1 && js[0].Status != store.PrintPending
	})
	if len(js) != 1 || js[0].Status != store.PrintDone || js[0].Attempts != 3 {
		t.Errorf("print job %+v; want printed at the third attempt", js)
	}
	c := sh.consoleLogin()
	if _, body := c.get(fmt.Sprintf("/admin/console/orders/%d", o.ID)); !strings.Contains(body, "已打印") {
		t.Errorf("the order page does not show the print status")
	}
	c.post(fmt.Sprintf("/admin/console/orders/%d/print", o.ID))
	sh.wait("the second receipt", 5*time.Second, func() bool { return len(received()) == 2 })
	if ps := received(); ps[1].Delivery == ps[0].Delivery {
		t.Errorf("print again reused delivery id %s", ps[1].Delivery)
	}
}
