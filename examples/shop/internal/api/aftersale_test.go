package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/wxpay-go/wxpay/wxpaytest"
)

// paidOrder creates an order of a cup (129.5) and beans (68) for the
// buyer and pays it through WeChat.
func paidOrder(sh *shop, tok string) (orderT, lineT, lineT) {
	sh.t.Helper()
	o := sh.createOrder(tok, items(item(cup, 1, ""), item(beans, 1, "")), address...)
	sh.payByWeChat(tok, "197.5", o.ID)
	d := sh.detail(tok, o.ID)
	if d.OrderInfo.Status != 1 {
		sh.t.Fatalf("order %d not paid: %+v", o.ID, d.OrderInfo)
	}
	return o, d.Goods[0], d.Goods[1]
}

// TestAfterSales: apply, duplicate, withdraw, apply again, approve, the
// refund notify completes it; repeated notifies change nothing; the last
// refund closes the order.
func TestAfterSales(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("carol")
		o, cupLine, beansLine := paidOrder(sh, tok)

		sh.code(sh.applyRefund(tok, o.ID, cupLine.ID, "129.51"), 300, "refund above the line's amount")
		sh.code(sh.get("/order/refundApply/info", "token", tok, "orderId", fmt.Sprint(o.ID)), 700, "no application yet")
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "129.5"), nil)
		sh.code(sh.applyRefund(tok, o.ID, cupLine.ID, "1"), 20000, "second open application of the line")
		d := sh.detail(tok, o.ID)
		want(sh, "order refundStatus while open", d.OrderInfo.RefundStatus, 1)
		want(sh, "hasRefund", d.OrderInfo.HasRefund, true)

		sh.ok(sh.post("/order/refundApply/cancel", "token", tok, "orderId", fmt.Sprint(o.ID), "orderGoodsId", fmt.Sprint(cupLine.ID)), nil)
		as := sh.applies(tok, o.ID)
		want(sh, "applications", len(as), 1)
		want(sh, "withdrawn status", as[0].BaseInfo.Status, 1)
		want(sh, "withdrawn statusStr", as[0].BaseInfo.StatusStr, "已撤销")
		sh.code(sh.post("/order/refundApply/cancel", "token", tok, "orderId", fmt.Sprint(o.ID)), 30000, "nothing to withdraw")

		// Partial refund, approved; a restart before the notify is processed
		// is survived because the plan is in the database.
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "100"), nil)
		as = sh.applies(tok, o.ID)
		a := sh.approve(as[1].BaseInfo.ID)
		want(sh, "WeChat part", a.WxAmount, "100")
		want(sh, "balance part", a.BalanceAmount, "0")
		want(sh, "WeChat refund status", a.RefundStatus, "SUCCESS")
		d = sh.detail(tok, o.ID)
		want(sh, "status after a partial refund", d.OrderInfo.Status, 1)
		want(sh, "amountRefund", d.OrderInfo.AmountRefund, "100")
		want(sh, "refundStatus", d.OrderInfo.RefundStatus, 2)
		want(sh, "line refundStatus", d.Goods[0].RefundStatus, 2)
		want(sh, "consumed", sh.amount(tok).TotleConsumed, "97.5")

		replayNotifies(sh, wxpaytest.RefundNotify)
		want(sh, "amountRefund after the replay", sh.detail(tok, o.ID).OrderInfo.AmountRefund, "100")
		want(sh, "balance after the replay", sh.amount(tok).Balance, "0")

		sh.code(sh.applyRefund(tok, o.ID, cupLine.ID, "29.51"), 300, "refund above what is left")
		status, r := sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", a.BaseInfo.ID))
		want(sh, "approve twice: HTTP", status, http.StatusConflict)
		want(sh, "approve twice: code", r.Code, 30000)

		// Refuse one, then refund the rest: the order closes.
		sh.ok(sh.applyRefund(tok, o.ID, beansLine.ID, "68", "type", "1", "logisticsStatus", "1"), nil)
		as = sh.applies(tok, o.ID)
		last := as[len(as)-1]
		want(sh, "return asks for the waybill (status2)", last.BaseInfo.Status2, 1)
		sh.ok(sh.post("/order/refundApply/setBackLogistics", "token", tok, "orderId", fmt.Sprint(o.ID),
			"applyId", fmt.Sprint(last.BaseInfo.ID), "shipperName", "中通", "trackingNumber", "ZT1"), nil)
		want(sh, "status2 after the waybill", sh.applies(tok, o.ID)[len(as)-1].BaseInfo.Status2, 2)
		status, _ = sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/refuse", last.BaseInfo.ID), "remark", "未收到退货")
		want(sh, "refuse: HTTP", status, 200)
		want(sh, "refused", sh.applies(tok, o.ID)[len(as)-1].BaseInfo.Status, 2)

		sh.ok(sh.applyRefund(tok, o.ID, beansLine.ID, "68"), nil)
		sh.ok(sh.applyRefund(tok, o.ID, cupLine.ID, "29.5"), nil)
		for _, x := range sh.applies(tok, o.ID) {
			if x.BaseInfo.Status == 0 {
				sh.approve(x.BaseInfo.ID)
			}
		}
		d = sh.detail(tok, o.ID)
		want(sh, "status after the full refund", d.OrderInfo.Status, -1)
		want(sh, "amountRefund", d.OrderInfo.AmountRefund, "197.5")
		want(sh, "consumed", sh.amount(tok).TotleConsumed, "0")
		want(sh, "balance", sh.amount(tok).Balance, "0")
		sh.code(sh.applyRefund(tok, o.ID, cupLine.ID, "1"), 30000, "after-sale of a closed order")

		// Exchange: no money moves, completed at approval.
		o2, line2, _ := paidOrder(sh, tok)
		sh.code(sh.applyRefund(tok, o2.ID, line2.ID, "10", "type", "2"), 300, "exchange with an amount")
		sh.ok(sh.applyRefund(tok, o2.ID, line2.ID, "0", "type", "2"), nil)
		ex := sh.applies(tok, o2.ID)[0]
		status, r = sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", ex.BaseInfo.ID))
		want(sh, "approve exchange: HTTP", status, 200)
		var done applyT
		sh.ok(r, &done)
		want(sh, "exchange done at once", done.BaseInfo.Status, 4)
		want(sh, "order unchanged", sh.detail(tok, o2.ID).OrderInfo.Status, 1)
	})
}

// TestBalanceAndMixedPayment: a recharge, balance payments with 40000 and
// the shortfall, an order paid partly from the balance and partly through
// WeChat, and refunds that follow the money back where it came from.
func TestBalanceAndMixedPayment(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, uid := sh.login("dave")
		prepay := sh.wxPay(tok, "50", "")
		sh.ok(sh.post("/dev/wxpay/confirm", "prepayId", prepay), nil)
		sh.ok(sh.post("/dev/wxpay/confirm", "prepayId", prepay), nil) // idempotent
		want(sh, "balance after the recharge", sh.amount(tok).Balance, "50")

		beansOrder := sh.createOrder(tok, items(item(beans, 1, "")), address...)
		latteOrder := sh.createOrder(tok, items(item(latte, 1, "")), "peisongType", "zq")
		r := sh.post("/order/pay", "token", tok, "orderId", fmt.Sprintf("%d,%d", beansOrder.ID, latteOrder.ID))
		sh.code(r, 40000, "two orders above the balance")
		want(sh, "shortfall", string(r.Data), "36.8")
		want(sh, "balance untouched", sh.amount(tok).Balance, "50")

		sh.ok(sh.post("/order/pay", "token", tok, "orderId", fmt.Sprint(latteOrder.ID)), nil)
		want(sh, "balance", sh.amount(tok).Balance, "31.2")
		sh.code(sh.post("/order/pay", "token", tok, "orderId", fmt.Sprint(latteOrder.ID)), 30000, "paying twice")

		// The page WeChat-pays amountReal − balance, computed in floating
		// point: 68 − 31.2 = 36.8 in JavaScript.
		sh.payByWeChat(tok, "36.8", beansOrder.ID)
		want(sh, "balance after the mixed payment", sh.amount(tok).Balance, "0")
		want(sh, "consumed", sh.amount(tok).TotleConsumed, "86.8")
		_, ar := sh.admin("GET", "/admin/orders", "status", "1")
		var ao struct {
			Orders []struct {
				ID     int64
				WxPaid json.Number
			}
		}
		sh.ok(ar, &ao)
		for _, x := range ao.Orders {
			if x.ID == beansOrder.ID {
				want(sh, "part of the order WeChat paid", x.WxPaid, "36.8")
			}
		}

		// Refund the mixed order: 36.8 through WeChat, 31.2 to the balance.
		line := sh.detail(tok, beansOrder.ID).Goods[0]
		sh.ok(sh.applyRefund(tok, beansOrder.ID, line.ID, "68"), nil)
		a := sh.approve(sh.applies(tok, beansOrder.ID)[0].BaseInfo.ID)
		want(sh, "WeChat part", a.WxAmount, "36.8")
		want(sh, "balance part", a.BalanceAmount, "31.2")
		want(sh, "balance after the refund", sh.amount(tok).Balance, "31.2")

		// The balance-paid order refunds to the balance at approval.
		line = sh.detail(tok, latteOrder.ID).Goods[0]
		sh.ok(sh.applyRefund(tok, latteOrder.ID, line.ID, "18.8"), nil)
		status, r := sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", sh.applies(tok, latteOrder.ID)[0].BaseInfo.ID))
		var done applyT
		sh.ok(r, &done)
		want(sh, "HTTP", status, 200)
		want(sh, "done at approval", done.BaseInfo.Status, 4)
		want(sh, "WeChat part", done.WxAmount, "0")
		want(sh, "balance", sh.amount(tok).Balance, "50")
		want(sh, "consumed", sh.amount(tok).TotleConsumed, "0")

		// The ledger adds up to the balance.
		logs, err := sh.st.BalanceLogs(context.Background(), uid)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, l := range logs {
			sum += int64(l.Amount)
			want(sh, "running balance", int64(l.BalanceAfter), sum)
		}
		want(sh, "ledger total", sum, int64(5000))
	})
}

// TestWriteOff: a pickup order with a write-off code, redeemed by staff.
func TestWriteOff(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("erin")
		o := sh.createOrder(tok, items(item(latte, 2, "")), "peisongType", "zq", "isCanHx", "true",
			"extJsonStr", `{"联系人":"李四","联系电话":"13900000000"}`)
		if len(o.HxNumber) != 12 || !o.IsCanHx {
			t.Fatalf("order = %+v; want a 12-digit hxNumber", o)
		}
		hx := func(token string) reply {
			return sh.post("/order/hx", "token", token, "hxNumber", o.HxNumber, "extJsonStr", "")
		}
		sh.code(hx(sh.staffToken), 30000, "write-off of an unpaid order")
		sh.payByWeChat(tok, "37.6", o.ID)
		sh.code(sh.post("/order/hx", "hxNumber", o.HxNumber), 2000, "write-off without a token")
		sh.code(hx(tok), 403, "write-off by the buyer")
		sh.code(sh.post("/order/hx", "token", sh.staffToken, "hxNumber", "999999999999"), 700, "unknown code")
		other, _ := sh.login("frank")
		sh.code(sh.get("/order/detail", "token", other, "hxNumber", o.HxNumber), 403, "a stranger looks the code up")
		var d detailT
		sh.ok(sh.get("/order/detail", "token", sh.staffToken, "id", "", "hxNumber", o.HxNumber), &d)
		want(sh, "order found by code", d.OrderInfo.ID, o.ID)
		sh.ok(hx(sh.staffToken), nil)
		want(sh, "status after write-off", sh.detail(tok, o.ID).OrderInfo.Status, 3)
		sh.code(hx(sh.staffToken), 30000, "second write-off")
	})
}
