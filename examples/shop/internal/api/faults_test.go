package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestWeChatFaults: when WeChat Pay refuses or breaks, the buyer and the
// merchant get a clear answer, nothing is half-done, and a retry works.
func TestWeChatFaults(t *testing.T) {
	sh := newShop(t, t.TempDir()+"/shop.db")
	tok, _ := sh.login("kim")
	o := sh.createOrder(tok, items(item(beans, 1, "")), address...)

	sh.dev.Server.Fail("/pay/unifiedorder", wxpaytest.Fault{ErrCode: "ORDERPAID", ErrCodeDes: "该订单已支付"})
	r := sh.post("/pay/wx/wxapp", "token", tok, "money", "68", "nextAction", fmt.Sprintf(`{"type":0,"id":%d}`, o.ID))
	sh.code(r, 1, "unified order refused")
	if !strings.Contains(r.Msg, "该订单已支付") {
		t.Errorf("msg %q does not carry WeChat's reason", r.Msg)
	}
	want(sh, "order still unpaid", sh.detail(tok, o.ID).OrderInfo.Status, 0)
	sh.payByWeChat(tok, "68", o.ID) // a new attempt works

	line := sh.detail(tok, o.ID).Goods[0]
	sh.ok(sh.applyRefund(tok, o.ID, line.ID, "68"), nil)
	id := sh.applies(tok, o.ID)[0].BaseInfo.ID

	// A final refusal: the merchant sees WeChat's reason; the application
	// stays in progress with its out_refund_no.
	sh.dev.Server.Fail("/secapi/pay/refund", wxpaytest.Fault{ErrCode: "NOTENOUGH", ErrCodeDes: "基本账户余额不足"})
	status, r := sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", id))
	want(sh, "HTTP", status, http.StatusBadGateway)
	if !strings.Contains(r.Msg, "余额不足") {
		t.Errorf("msg %q", r.Msg)
	}
	var a applyT
	sh.ok(reply{Data: r.Data}, &a)
	want(sh, "in progress", a.BaseInfo.Status, 3)
	first := a.OutRefundNo

	// WeChat unreachable (a gateway error): still in progress; approving
	// again retries with the same out_refund_no and completes.
	sh.dev.Server.Fail("/secapi/pay/refund", wxpaytest.Fault{StatusCode: http.StatusBadGateway})
	status, _ = sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", id))
	want(sh, "HTTP when WeChat is unreachable", status, http.StatusBadGateway)
	done := sh.approve(id)
	want(sh, "same out_refund_no", done.OutRefundNo, first)
	want(sh, "order closed", sh.detail(tok, o.ID).OrderInfo.Status, -1)
	want(sh, "consumed", sh.amount(tok).TotleConsumed, "0")

	// A broken answer to a refund WeChat did accept: the notify completes
	// the application all the same, and a late retry changes nothing.
	o2 := sh.createOrder(tok, items(item(beans, 1, "")), address...)
	sh.payByWeChat(tok, "68", o2.ID)
	sh.ok(sh.applyRefund(tok, o2.ID, sh.detail(tok, o2.ID).Goods[0].ID, "68"), nil)
	id2 := sh.applies(tok, o2.ID)[0].BaseInfo.ID
	sh.dev.Server.Fail("/secapi/pay/refund", wxpaytest.Fault{Malformed: true})
	status, _ = sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", id2))
	want(sh, "HTTP for a broken answer", status, http.StatusBadGateway)
	sh.eventually("the refund notify", func() bool { return sh.detail(tok, o2.ID).OrderInfo.Status == -1 })
	status, _ = sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", id2))
	want(sh, "HTTP for a late retry", status, http.StatusConflict)
	want(sh, "amountRefund", sh.detail(tok, o2.ID).OrderInfo.AmountRefund, "68")
	want(sh, "balance", sh.amount(tok).Balance, "0")
	want(sh, "consumed", sh.amount(tok).TotleConsumed, "0")
}
