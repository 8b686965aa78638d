package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestLifecycle walks an order from the catalogue to the review, with a
// restart in the middle of the payment and another before receipt.
func TestLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, uid := sh.login("alice")
		if again, uid2 := sh.login("alice"); again == tok || uid2 != uid {
			t.Errorf("second authorize: token reused or uid %d != %d", uid2, uid)
		}
		var login struct {
			Token, OpenID string
			UID           int64
		}
		sh.ok(sh.post("/user/wxapp/login", "code", "alice", "type", "2"), &login)
		want(sh, "login uid", login.UID, uid)
		sh.ok(sh.get("/user/check-token", "token", login.Token), nil)

		// Catalogue.
		var v2 struct {
			Result []struct {
				ID       int64
				Name     string
				MinPrice json.Number
				Stores   int64
			}
			TotalRow int
		}
		sh.ok(sh.post("/shop/goods/list/v2", "page", "1", "pageSize", "20"), &v2)
		want(sh, "goods", len(v2.Result), 5)
		for _, g := range v2.Result {
			if g.Stores < 10 {
				t.Errorf("goods %d has stock %d < 10", g.ID, g.Stores)
			}
		}
		var v1 []struct{ ID int64 }
		sh.ok(sh.post("/shop/goods/list"), &v1)
		want(sh, "goods/list", len(v1), 5)
		var gd struct {
			BasicInfo  struct{ Name string }
			Properties []struct {
				ID             int64
				ChildsCurGoods []struct{ ID int64 }
			}
			SKUList []struct{ PropertyChildIDs string }
		}
		sh.ok(sh.get("/shop/goods/detail", "id", "1", "token", ""), &gd)
		want(sh, "properties", len(gd.Properties), 2)
		want(sh, "SKUs", len(gd.SKUList), 4)
		var price struct {
			Price              json.Number
			PropertyChildNames string
		}
		// Any spelling of the selection: unordered, with empty segments.
		sh.ok(sh.post("/shop/goods/price", "goodsId", "1", "propertyChildIds", ",2:4,1:1,"), &price)
		want(sh, "white L price", price.Price, "69")
		want(sh, "names", price.PropertyChildNames, "颜色:白色,尺码:L")

		// Pre-calculate: prices, creates nothing.
		goods := items(item(tshirt, 2, "1:1,2:4,"), item(beans, 1, ""))
		var calc struct {
			AmountReal, AmountTotle, AmountLogistics json.Number
			IsNeedLogistics                          bool
		}
		sh.ok(sh.post("/order/create", "token", tok, "goodsJsonStr", goods, "calculate", "true",
			"provinceId", "330000000000", "peisongType", "kd"), &calc)
		want(sh, "calculated amountReal", calc.AmountReal, "206")
		want(sh, "calculated amountTotle", calc.AmountTotle, "206")
		want(sh, "isNeedLogistics", calc.IsNeedLogistics, true)
		sh.code(sh.post("/order/list", "token", tok), 700, "orders after a pre-calculation")
		want(sh, "stock after calculate", sh.stock(tshirt, "1:1,2:4"), int64(15))

		// Create: stock taken.
		o := sh.createOrder(tok, goods, append(address, "remark", "请尽快发货", "calculate", "false")...)
		want(sh, "status", o.Status, 0)
		want(sh, "statusStr", o.StatusStr, "待支付")
		want(sh, "amountReal", o.AmountReal, "206")
		want(sh, "stock of the SKU", sh.stock(tshirt, "1:1,2:4"), int64(13))
		want(sh, "stock of the beans", sh.stock(beans, ""), int64(49))
		st := sh.stats(tok)
		want(sh, "count_id_no_pay", st["count_id_no_pay"], 1)

		var list struct {
			OrderList []orderT
			GoodsMap  map[string][]lineT
			TotalRow  int
		}
		sh.ok(sh.post("/order/list", "token", tok, "status", "", "page", "1", "pageSize", "20"), &list)
		want(sh, "orders", len(list.OrderList), 1)
		want(sh, "goodsMap lines", len(list.GoodsMap[fmt.Sprint(o.ID)]), 2)

		// WeChat pay of the whole amount, and a restart before the payer
		// confirms: the notify finds everything it needs in the database.
		var pp map[string]string
		sh.ok(sh.post("/pay/wx/wxapp", "token", tok, "money", "206", "remark", "支付订单 "+o.OrderNumber,
			"payName", "在线支付", "nextAction", fmt.Sprintf(`{"type":0,"id":%d}`, o.ID)), &pp)
		keys := make([]string, 0, len(pp))
		for k := range pp {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		want(sh, "wx.requestPayment keys", strings.Join(keys, " "), "appId nonceStr package paySign signType timeStamp")
		sh.restart()
		want(sh, "status before confirm", sh.detail(tok, o.ID).OrderInfo.Status, 0)
		sh.ok(sh.post("/dev/wxpay/confirm", "prepayId", strings.TrimPrefix(pp["package"], "prepay_id=")), nil)

		d := sh.detail(tok, o.ID)
		want(sh, "status after the notify", d.OrderInfo.Status, 1)
		want(sh, "isPay", d.OrderInfo.IsPay, true)
		a := sh.amount(tok)
		want(sh, "balance", a.Balance, "0")
		want(sh, "totleConsumed", a.TotleConsumed, "206")
		st = sh.stats(tok)
		want(sh, "count_id_no_pay", st["count_id_no_pay"], 0)
		want(sh, "count_id_no_transfer", st["count_id_no_transfer"], 1)

		// The same notify again, and a forged one: nothing changes.
		replayNotifies(sh, wxpaytest.PayNotify)
		at, err := sh.dev.Server.SendForgedNotify(context.Background(), wxpaytest.ForgedSign, sh.front.URL+"/wxpay/notify/pay", "W-none")
		if err != nil || at.Acknowledged {
			t.Errorf("forged notify: acknowledged=%v err=%v", at.Acknowledged, err)
		}
		want(sh, "balance after replays", sh.amount(tok).Balance, "0")
		want(sh, "consumed after replays", sh.amount(tok).TotleConsumed, "206")
		logs, _ := sh.st.BalanceLogs(context.Background(), uid)
		want(sh, "balance log entries", len(logs), 2) // +206 recharge, −206 order

		// The merchant ships; restart; the buyer confirms and reviews.
		status, r := sh.admin("POST", fmt.Sprintf("/admin/orders/%d/ship", o.ID), "shipperName", "顺丰", "trackingNumber", "SF1234567890")
		if status != 200 || r.Code != 0 {
			t.Fatalf("ship: HTTP %d %+v", status, r)
		}
		sh.restart()
		d = sh.detail(tok, o.ID)
		want(sh, "status shipped", d.OrderInfo.Status, 2)
		if d.Logistics == nil || d.Logistics.TrackingNumber != "SF1234567890" || d.Logistics.LinkMan != "张三" {
			t.Errorf("logistics = %+v", d.Logistics)
		}
		want(sh, "traces", len(d.LogisticsTraces), 1)
		sh.ok(sh.post("/order/delivery", "token", tok, "orderId", fmt.Sprint(o.ID)), nil)
		want(sh, "count_id_no_reputation", sh.stats(tok)["count_id_no_reputation"], 1)

		post, _ := json.Marshal(map[string]any{"token": tok, "orderId": o.ID, "reputations": []map[string]any{
			{"id": d.Goods[0].ID, "reputation": 2, "reputationNumber": 5, "remark": "很好", "pics": []string{}},
			{"id": d.Goods[1].ID, "reputation": 1, "remark": "还行"},
		}})
		sh.ok(sh.post("/order/reputation", "postJsonString", string(post)), nil)
		d = sh.detail(tok, o.ID)
		want(sh, "status reviewed", d.OrderInfo.Status, 4)
		want(sh, "statusStr", d.OrderInfo.StatusStr, "已评价")
		var steps []string
		for _, l := range d.Logs {
			steps = append(steps, l.TypeStr)
		}
		want(sh, "logs", strings.Join(steps, ","), "下单,支付,发货,确认收货,评价")
		st = sh.stats(tok)
		want(sh, "count_id_success", st["count_id_success"], 1)
		want(sh, "count_id_no_reputation", st["count_id_no_reputation"], 0)
		sh.ok(sh.post("/order/list", "token", tok, "status", "4"), &list)
		want(sh, "done orders", len(list.OrderList), 1)
		sh.code(sh.post("/order/list", "token", tok, "status", "1"), 700, "paid orders after the review")
	})
}

// replayNotifies posts every acknowledged notify of a kind once more, as
// WeChat does when an acknowledgement is lost, and checks each is
// acknowledged again.
func replayNotifies(sh *shop, kind wxpaytest.NotifyKind) {
	sh.t.Helper()
	sh.dev.Server.WaitNotifies(context.Background())
	n := 0
	for _, at := range sh.dev.Server.Notifies() {
		if at.Kind != kind || !at.Acknowledged || at.Forged {
			continue
		}
		n++
		resp, err := http.Post(at.URL, "text/xml", bytes.NewReader(at.Body))
		if err != nil {
			sh.t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(b.String(), "SUCCESS") {
			sh.t.Errorf("replayed %s notify: HTTP %d %s", kind, resp.StatusCode, b.String())
		}
	}
	if n == 0 {
		sh.t.Errorf("no %s notify to replay", kind)
	}
}

// TestCloseAndDelete closes an unpaid order, which puts its goods back,
// and deletes it, which hides it from the buyer only.
func TestCloseAndDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("bob")
		o := sh.createOrder(tok, items(item(bag, 3, "")), address...)
		want(sh, "stock after create", sh.stock(bag, ""), int64(7))
		sh.code(sh.post("/order/delete", "token", tok, "orderId", fmt.Sprint(o.ID)), 30000, "delete an unpaid order")
		sh.ok(sh.post("/order/close", "token", tok, "orderId", fmt.Sprint(o.ID)), nil)
		want(sh, "stock after close", sh.stock(bag, ""), int64(10))
		d := sh.detail(tok, o.ID)
		want(sh, "status", d.OrderInfo.Status, -1)
		want(sh, "statusStr", d.OrderInfo.StatusStr, "订单关闭")
		want(sh, "count_id_close", sh.stats(tok)["count_id_close"], 1)

		sh.code(sh.post("/order/close", "token", tok, "orderId", fmt.Sprint(o.ID)), 30000, "close twice")
		sh.code(sh.post("/order/pay", "token", tok, "orderId", fmt.Sprint(o.ID)), 30000, "balance-pay a closed order")
		sh.code(sh.post("/pay/wx/wxapp", "token", tok, "money", "119.7", "nextAction", fmt.Sprintf(`{"type":0,"id":%d}`, o.ID)),
			30000, "WeChat-pay a closed order")
		want(sh, "stock after the refused payments", sh.stock(bag, ""), int64(10))

		sh.ok(sh.post("/order/delete", "token", tok, "orderId", fmt.Sprint(o.ID)), nil)
		sh.code(sh.get("/order/detail", "token", tok, "id", fmt.Sprint(o.ID)), 700, "detail of a deleted order")
		sh.code(sh.post("/order/list", "token", tok), 700, "list without the deleted order")
		want(sh, "count_id_close after delete", sh.stats(tok)["count_id_close"], 0)
		_, r := sh.admin("GET", "/admin/orders")
		var all struct {
			Orders []struct {
				ID      int64
				Deleted bool
			}
		}
		sh.ok(r, &all)
		if len(all.Orders) != 1 || !all.Orders[0].Deleted {
			t.Errorf("admin orders = %+v; want the deleted order", all.Orders)
		}
	})
}
