package api_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/api"
	"github.com/wxpay-go/wxpay/examples/shop/internal/pay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// eachBackendWith is eachBackend with setup run on each shop before it
// starts.
func eachBackendWith(t *testing.T, setup func(*shop), test func(t *testing.T, sh *shop)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, newShopWith(t, t.TempDir()+"/shop.db", setup))
	})
	if base := postgresBase(); base != "" {
		t.Run("postgres", func(t *testing.T) {
			test(t, newShopWith(t, postgresSchema(t, base), setup))
		})
	}
}

// fast runs the background loops often, with orders that expire after
// ttl and payments reconciled after a second.
func fast(ttl time.Duration) func(*shop) {
	return func(sh *shop) {
		p := store.DefaultPolicy
		p.OrderTTL = ttl
		sh.policy = &p
		sh.background = true
		sh.configure = func(c *api.Config) {
			c.SweepEvery = 50 * time.Millisecond
			c.ReconcileAfter = time.Second
			c.ReconcileEvery = 200 * time.Millisecond
		}
	}
}

// wait polls cond for up to d.
func (sh *shop) wait(what string, d time.Duration, cond func() bool) {
	sh.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			sh.t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOrderExpiry: an unpaid order closes by itself after the TTL, its
// stock comes back, its payment is closed at WeChat, and the unified
// order carried the matching time_expire.
func TestOrderExpiry(t *testing.T) {
	eachBackendWith(t, fast(time.Second), func(t *testing.T, sh *shop) {
		tok, _ := sh.login("expiry")
		before := sh.stock(cup, "")
		o := sh.createOrder(tok, items(item(cup, 2, "")), address...)
		want(sh, "stock while the order is open", sh.stock(cup, ""), before-2)
		prepay := sh.wxPay(tok, "259", fmt.Sprintf(`{"type":0,"id":"%d"}`, o.ID))
		p, err := sh.st.WxPaymentByPrepayID(context.Background(), prepay)
		if err != nil {
			t.Fatal(err)
		}
		sh.wait("the order to expire", 5*time.Second, func() bool { return sh.detail(tok, o.ID).OrderInfo.Status == -1 })
		want(sh, "stock after expiry", sh.stock(cup, ""), before)

		var unified, closed wxpaytest.Request
		for _, r := range sh.dev.Server.Requests() {
			switch r.Path {
			case "/pay/unifiedorder":
				unified = r
			case "/pay/closeorder":
				closed = r
			}
		}
		exp, err := time.ParseInLocation("20060102150405", unified.Params["time_expire"], wxpay.Beijing())
		if err != nil {
			t.Fatalf("time_expire %q: %v", unified.Params["time_expire"], err)
		}
		if d := time.Until(exp); d < 0 || d > pay.MinExpiry+5*time.Second {
			t.Errorf("time_expire %v is %v away; want the order's expiry, at least %v ahead", exp, d, pay.MinExpiry)
		}
		want(sh, "closed out_trade_no", closed.Params["out_trade_no"], p.OutTradeNo)
		if err := sh.dev.Server.Pay(p.OutTradeNo); err == nil {
			t.Error("the expired order's payment could still be paid at WeChat")
		}
		if p, _ = sh.st.WxPayment(context.Background(), p.OutTradeNo); !p.Closed {
			t.Errorf("payment %s not recorded closed: %+v", p.OutTradeNo, p)
		}
		// Paying the closed order now fails before WeChat is asked.
		sh.code(sh.post("/pay/wx/wxapp", "token", tok, "money", "259", "nextAction", fmt.Sprintf(`{"type":0,"id":"%d"}`, o.ID)),
			30000, "paying an expired order")
	})
}

// TestExpiryRacesPayment: an order paid at WeChat just before it would
// expire (the notify not yet in) is not closed: closing at WeChat says
// ORDERPAID, and the shop applies the payment instead.
func TestExpiryRacesPayment(t *testing.T) {
	eachBackendWith(t, fast(time.Second), func(t *testing.T, sh *shop) {
		tok, _ := sh.login("race")
		o := sh.createOrder(tok, items(item(beans, 1, "")), address...)
		prepay := sh.wxPay(tok, "68", fmt.Sprintf(`{"type":0,"id":"%d"}`, o.ID))
		sh.ok(sh.post("/dev/wxpay/confirm", "prepayId", prepay, "notify", "0"), nil)
		sh.wait("the order to be found paid", 5*time.Second, func() bool { return sh.detail(tok, o.ID).OrderInfo.Status == 1 })
		time.Sleep(1500 * time.Millisecond)
		want(sh, "status after its expiry time", sh.detail(tok, o.ID).OrderInfo.Status, 1)
		want(sh, "balance", sh.amount(tok).Balance.String(), "0")
	})
}

// TestUnpaidCap: a buyer cannot hold more than the cap of one goods in
// unpaid orders.
func TestUnpaidCap(t *testing.T) {
	eachBackendWith(t, func(sh *shop) {
		p := store.DefaultPolicy
		p.MaxUnpaidPerGoods = 3
		sh.policy = &p
	}, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("hoarder")
		first := sh.createOrder(tok, items(item(cup, 2, "")), address...)
		r := sh.post("/order/create", append([]string{"token", tok, "goodsJsonStr", items(item(cup, 2, ""))}, address...)...)
		sh.code(r, 30000, "a fourth unpaid cup")
		if !strings.Contains(r.Msg, "3") {
			t.Errorf("message %q does not name the cap", r.Msg)
		}
		sh.createOrder(tok, items(item(cup, 1, "")), address...) // exactly the cap
		other, _ := sh.login("someone-else")
		sh.createOrder(other, items(item(cup, 2, "")), address...) // the cap is per buyer
		sh.ok(sh.post("/order/close", "token", tok, "orderId", fmt.Sprint(first.ID)), nil)
		sh.createOrder(tok, items(item(cup, 2, "")), address...)
	})
}

// TestReconcileFindsLostPayment: the buyer paid, WeChat's notify never
// came; the loop's order query finds it paid and applies it exactly as
// the notify would have, and the late notify then changes nothing.
func TestReconcileFindsLostPayment(t *testing.T) {
	eachBackendWith(t, fast(time.Hour), func(t *testing.T, sh *shop) {
		tok, _ := sh.login("lost-notify")
		before := sh.stock(beans, "")
		o := sh.createOrder(tok, items(item(beans, 2, "")), address...)
		prepay := sh.wxPay(tok, "136", fmt.Sprintf(`{"type":0,"id":"%d"}`, o.ID))
		sh.ok(sh.post("/dev/wxpay/confirm", "prepayId", prepay, "notify", "0"), nil)
		if n := len(sh.dev.Server.Notifies()); n != 0 {
			t.Fatalf("%d notifies sent; the control should skip it", n)
		}
		start := time.Now()
		sh.wait("the loop to find the payment", 10*time.Second, func() bool { return sh.detail(tok, o.ID).OrderInfo.Status == 1 })
		t.Logf("found paid %v after confirming", time.Since(start).Round(time.Millisecond))
		a := sh.amount(tok)
		want(sh, "balance", a.Balance.String(), "0")
		want(sh, "consumed", a.TotleConsumed.String(), "136")
		want(sh, "stock", sh.stock(beans, ""), before-2)
		p, _ := sh.st.WxPaymentByPrepayID(context.Background(), prepay)
		if !p.Paid || p.TransactionID == "" {
			t.Errorf("payment %+v", p)
		}
		// Later rounds of the loop, and asking again by hand, change
		// nothing: the payment is applied once.
		sh.server.Reconcile(context.Background())
		time.Sleep(500 * time.Millisecond)
		a = sh.amount(tok)
		want(sh, "balance after more rounds", a.Balance.String(), "0")
		want(sh, "consumed after more rounds", a.TotleConsumed.String(), "136")
		queries := 0
		for _, r := range sh.dev.Server.Requests() {
			if r.Path == "/pay/orderquery" {
				queries++
			}
		}
		if queries != 1 {
			t.Errorf("%d order queries; a paid payment is asked about once", queries)
		}
	})
}

// TestReconcileFindsLostRefund: WeChat refunded, its notify is lost on
// the way; the loop's refund query completes the application.
func TestReconcileFindsLostRefund(t *testing.T) {
	eachBackendWith(t, fast(time.Hour), func(t *testing.T, sh *shop) {
		drop := func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path == pay.RefundNotifyPath {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return true
			}
			return false
		}
		sh.intercept.Store(&drop)
		tok, _ := sh.login("lost-refund")
		o, cupLine, _ := paidOrder(sh, tok)
		var a applyT
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "129.5"), &a)
		if status, r := sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", a.BaseInfo.ID)); status != 200 {
			t.Fatalf("approve: %d %+v", status, r)
		}
		sh.wait("the loop to complete the refund", 10*time.Second, func() bool {
			return sh.applies(tok, o.ID)[0].BaseInfo.Status == 4
		})
		want(sh, "balance", sh.amount(tok).Balance.String(), "0")
		want(sh, "order refunded", sh.detail(tok, o.ID).OrderInfo.AmountRefund.String(), "129.5")
	})
}

// TestRefundNotifyConfirmed: a refund notify saying SUCCESS for a refund
// WeChat is still processing — req_info is AES-ECB without integrity and
// the envelope is unsigned, so such a notify can be made — moves no
// money: the refund query contradicts it.
func TestRefundNotifyConfirmed(t *testing.T) {
	eachBackendWith(t, func(sh *shop) { sh.devOpts = []wxpaytest.Option{wxpaytest.WithManualRefunds()} }, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("forger")
		o, cupLine, _ := paidOrder(sh, tok)
		var a applyT
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "129.5"), &a)
		sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", a.BaseInfo.ID))
		var outRefundNo, outTradeNo string
		for _, x := range sh.adminApplies() {
			if x.BaseInfo.ID == a.BaseInfo.ID {
				outRefundNo = x.OutRefundNo
			}
		}
		ord, _ := sh.st.Order(context.Background(), 0, o.ID)
		outTradeNo = ord.WxOutTradeNo
		plain := wxpay.Params{"out_refund_no": outRefundNo, "out_trade_no": outTradeNo, "refund_id": "50000000000000000000000000000",
			"transaction_id": "4200000000000000000000000000", "total_fee": "19750", "refund_fee": "12950",
			"settlement_refund_fee": "12950", "refund_status": "SUCCESS", "success_time": "2026-01-01 10:00:00",
			"refund_recv_accout": "支付用户零钱", "refund_account": "REFUND_SOURCE_RECHARGE_FUNDS", "refund_request_source": "API"}
		inner := strings.Replace(string(plain.AppendXML(nil)), "<xml>", "<root>", 1)
		inner = strings.Replace(inner, "</xml>", "</root>", 1)
		body := wxpay.Params{"return_code": "SUCCESS", "appid": pay.DevAppID, "mch_id": pay.DevMchID, "nonce_str": "x",
			"req_info": wxpaytest.EncryptReqInfo([]byte(inner), pay.DevAPIKey)}
		resp, err := http.Post(sh.front.URL+pay.RefundNotifyPath, "text/xml", strings.NewReader(string(body.AppendXML(nil))))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if st := sh.applies(tok, o.ID)[0].BaseInfo.Status; st != 3 {
			t.Fatalf("a notify WeChat's query contradicts moved the application to %d", st)
		}
		want(sh, "balance", sh.amount(tok).Balance.String(), "0")
		want(sh, "refunded", sh.detail(tok, o.ID).OrderInfo.AmountRefund.String(), "0")
		// The real one completes it.
		if err := sh.dev.Server.CompleteRefund(outRefundNo); err != nil {
			t.Fatal(err)
		}
		sh.eventually("the real notify", func() bool { return sh.applies(tok, o.ID)[0].BaseInfo.Status == 4 })
	})
}

// TestPoisonedAfterSale: a reason or remark XML cannot carry is refused
// when the buyer applies, with a message saying so; an application that
// got in before (an older shop) and that the SDK then refuses to send is
// reported as a bad request, not as WeChat being down, and the merchant
// can refuse it.
func TestPoisonedAfterSale(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("poison")
		o, cupLine, _ := paidOrder(sh, tok)
		for _, bad := range []struct{ field, value, wantMsg string }{
			{"reason", "坏了\x01", "控制字符"},
			{"reason", "bad \xff\xfe utf-8", "UTF-8"},
			{"reason", "nul\x00", "U+0000"},
			{"remark", "tab is fine\tbut not this\x1b[31m", "U+001B"},
			{"reason", strings.Repeat("长", 201), "200"},
		} {
			r := sh.applyRefund(tok, o.ID, cupLine.ID, "129.5", bad.field, bad.value)
			sh.code(r, 300, bad.field+" "+fmt.Sprintf("%q", bad.value))
			if !strings.Contains(r.Msg, bad.wantMsg) {
				t.Errorf("%s %q: message %q does not say %q", bad.field, bad.value, r.Msg, bad.wantMsg)
			}
		}
		if r := sh.get("/order/refundApply/info", "token", tok, "orderId", fmt.Sprint(o.ID)); r.Code != 700 {
			t.Errorf("a refused application was recorded: %+v", r)
		}

		// An application from before the check, poisoned in the database.
		var a applyT
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "129.5"), &a)
		db := rawDB(t, sh.dsn)
		if _, err := db.Exec(rebind(sh.dsn, `UPDATE refund_applies SET reason = ? WHERE id = ?`), "旧的\x01原因", a.BaseInfo.ID); err != nil {
			t.Fatal(err)
		}
		status, r := sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", a.BaseInfo.ID))
		if status != http.StatusUnprocessableEntity || strings.Contains(r.Msg, "unreachable") || !strings.Contains(r.Msg, "refund_desc") {
			t.Errorf("approving a refund the SDK refuses: HTTP %d %q; want 422 naming refund_desc", status, r.Msg)
		}
		for _, req := range sh.dev.Server.Requests() {
			if strings.Contains(req.Path, "refund") {
				t.Errorf("a refund was sent: %s", req.Path)
			}
		}
		status, r = sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/refuse", a.BaseInfo.ID), "remark", "原因无法提交")
		if status != 200 {
			t.Fatalf("refusing a refund WeChat never saw: HTTP %d %q", status, r.Msg)
		}
		want(sh, "status", sh.applies(tok, o.ID)[0].BaseInfo.Status, 2)
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "129.5"), nil) // the buyer can apply again
	})
}

// TestRefuseUnknownRefund: a refund whose request's answer was lost may
// be refused only once WeChat confirms it has no such refund.
func TestRefuseUnknownRefund(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("unknown-refund")
		o, cupLine, _ := paidOrder(sh, tok)
		var a applyT
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "129.5"), &a)
		// WeChat answers 500 before processing: the refund is not there.
		sh.dev.Server.Fail("/secapi/pay/refund", wxpaytest.Fault{StatusCode: 500})
		if status, _ := sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", a.BaseInfo.ID)); status != http.StatusBadGateway {
			t.Fatalf("approve with WeChat down: HTTP %d", status)
		}
		status, r := sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/refuse", a.BaseInfo.ID))
		if status != 200 {
			t.Fatalf("refuse a refund WeChat does not have: HTTP %d %q", status, r.Msg)
		}

		// The answer is lost after WeChat processed it: it cannot be refused.
		var b applyT
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "129.5"), &b)
		sh.dev.Server.Fail("/secapi/pay/refund", wxpaytest.Fault{Hangup: true})
		sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", b.BaseInfo.ID))
		status, r = sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/refuse", b.BaseInfo.ID))
		if status != http.StatusConflict {
			t.Errorf("refusing a refund WeChat has: HTTP %d %q; want 409", status, r.Msg)
		}
	})
}

// TestBuyerTokens: tokens expire and log out; only their hash is stored.
func TestBuyerTokens(t *testing.T) {
	eachBackendWith(t, func(sh *shop) {
		p := store.DefaultPolicy
		p.TokenTTL = 1500 * time.Millisecond
		sh.policy = &p
	}, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("tokens")
		sh.ok(sh.get("/user/check-token", "token", tok), nil)
		db := rawDB(t, sh.dsn)
		var n int
		if err := db.QueryRow(rebind(sh.dsn, `SELECT COUNT(*) FROM user_tokens WHERE token_hash = ?`), tok).Scan(&n); err != nil || n != 0 {
			t.Errorf("the token is stored as it is (%d rows, %v)", n, err)
		}
		if err := db.QueryRow(rebind(sh.dsn, `SELECT COUNT(*) FROM user_tokens WHERE token_hash = ?`), store.HashToken(tok)).Scan(&n); err != nil || n != 1 {
			t.Errorf("the token's hash: %d rows, %v", n, err)
		}
		sh.ok(sh.get("/user/loginout", "token", tok), nil)
		sh.code(sh.get("/user/check-token", "token", tok), 2000, "a logged-out token")
		sh.code(sh.get("/user/loginout"), 300, "logout without a token")

		tok2, _ := sh.login("tokens")
		sh.ok(sh.get("/user/check-token", "token", tok2), nil)
		time.Sleep(2100 * time.Millisecond)
		sh.code(sh.get("/user/check-token", "token", tok2), 2000, "an expired token")
		sh.code(sh.get("/user/amount", "token", tok2), 2000, "an expired token's call")
	})
}

// rawDB opens the shop's database beside the store, for what only SQL
// can do: plant what an older shop left, look at what is stored.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, name := "sqlite", dsn
	if strings.HasPrefix(dsn, "postgres") {
		driver = "pgx"
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rebind numbers ? placeholders for PostgreSQL.
func rebind(dsn, q string) string {
	if !strings.HasPrefix(dsn, "postgres") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
