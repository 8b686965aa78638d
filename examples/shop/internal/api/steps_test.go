package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The shapes the tests read, named as the protocol names them (JSON field
// names match case-insensitively). Money stays json.Number: the exact
// text the server wrote.
type orderT struct {
	ID           int64
	OrderNumber  string
	UID          int64
	Status       int
	StatusStr    string
	Amount       json.Number
	AmountReal   json.Number
	AmountRefund json.Number
	HxNumber     string
	IsCanHx      bool
	HasRefund    bool
	RefundStatus int
	IsPay        bool
}

type lineT struct {
	ID           int64
	GoodsID      int64
	Number       int64
	Amount       json.Number
	AmountSingle json.Number
	AmountRefund json.Number
	RefundStatus int
	AfterSale    string
	Property     string
}

type detailT struct {
	OrderInfo orderT
	Goods     []lineT
	Logistics *struct {
		LinkMan, ShipperName, TrackingNumber string
	}
	LogisticsTraces []struct{ AcceptStation string }
	Logs            []struct{ TypeStr string }
}

type amountT struct {
	Balance, Freeze, Score, Growth, TotleConsumed json.Number
}

type applyT struct {
	BaseInfo struct {
		ID, OrderID, OrderGoodsID int64
		Amount                    json.Number
		Status                    int
		StatusStr                 string
		Type                      int
		Status2                   int
	}
	Pics []struct{ Pic string }
	// admin view
	OutRefundNo   string
	WxAmount      json.Number
	BalanceAmount json.Number
	RefundStatus  string
}

// address is what a courier order needs.
var address = []string{"linkMan", "张三", "mobile", "13800000000", "address", "西湖区文三路 1 号", "provinceId", "330000000000", "code", "310000"}

// items builds a goodsJsonStr, as the to-pay-order page does.
func items(lines ...string) string { return "[" + strings.Join(lines, ",") + "]" }

func item(goodsID int64, number int, sku string) string {
	return fmt.Sprintf(`{"goodsId":%d,"number":%d,"propertyChildIds":%q,"logisticsType":0,"inviter_id":0}`, goodsID, number, sku)
}

// The demo catalogue, in seeding order.
const (
	tshirt = 1 // SKUs 1:1,2:3 white M 59; 1:1,2:4 white L 69 …
	beans  = 2 // 68
	cup    = 3 // 129.5
	bag    = 4 // 39.9, stock 10
	latte  = 5 // 18.8, no delivery
)

func (sh *shop) createOrder(tok, goods string, kv ...string) orderT {
	sh.t.Helper()
	var o orderT
	sh.ok(sh.post("/order/create", append([]string{"token", tok, "goodsJsonStr", goods}, kv...)...), &o)
	return o
}

func (sh *shop) detail(tok string, id int64) detailT {
	sh.t.Helper()
	var d detailT
	sh.ok(sh.get("/order/detail", "token", tok, "id", fmt.Sprint(id), "hxNumber", "", "peisongOrderId", ""), &d)
	return d
}

func (sh *shop) amount(tok string) amountT {
	sh.t.Helper()
	var a amountT
	sh.ok(sh.get("/user/amount", "token", tok), &a)
	return a
}

func (sh *shop) stats(tok string) map[string]int {
	sh.t.Helper()
	var m map[string]int
	sh.ok(sh.get("/order/statistics", "token", tok), &m)
	return m
}

// stock returns the stock of a goods (all SKUs) or, with sku, of one SKU.
func (sh *shop) stock(goodsID int64, sku string) int64 {
	sh.t.Helper()
	var p struct{ Stores int64 }
	sh.ok(sh.post("/shop/goods/price", "goodsId", fmt.Sprint(goodsID), "propertyChildIds", sku), &p)
	return p.Stores
}

// wxPay places a WeChat payment and returns its prepay id.
func (sh *shop) wxPay(tok, money, nextAction string) string {
	sh.t.Helper()
	var p struct{ Package string }
	kv := []string{"token", tok, "money", money, "remark", "test", "payName", "订单支付"}
	if nextAction != "" {
		kv = append(kv, "nextAction", nextAction)
	}
	sh.ok(sh.post("/pay/wx/wxapp", kv...), &p)
	prepay, ok := strings.CutPrefix(p.Package, "prepay_id=")
	if !ok {
		sh.t.Fatalf("package %q", p.Package)
	}
	return prepay
}

// payByWeChat pays orders through WeChat as the pages do: money for the
// part the balance does not cover, nextAction type 0, and the buyer
// confirming in WeChat.
func (sh *shop) payByWeChat(tok, money string, orderIDs ...int64) {
	sh.t.Helper()
	ids := make([]string, len(orderIDs))
	for i, id := range orderIDs {
		ids[i] = fmt.Sprint(id)
	}
	prepay := sh.wxPay(tok, money, fmt.Sprintf(`{"type":0,"id":"%s"}`, strings.Join(ids, ",")))
	sh.ok(sh.post("/dev/wxpay/confirm", "prepayId", prepay), nil)
}

// applies reads an order's after-sale applications.
func (sh *shop) applies(tok string, orderID int64) []applyT {
	sh.t.Helper()
	var as []applyT
	sh.ok(sh.get("/order/refundApply/info", "token", tok, "orderId", fmt.Sprint(orderID), "orderGoodsId", ""), &as)
	return as
}

// approve approves an application as the merchant and waits until the
// refund notify has completed it.
func (sh *shop) approve(applyID int64) applyT {
	sh.t.Helper()
	status, r := sh.admin("POST", fmt.Sprintf("/admin/refund-applies/%d/approve", applyID))
	if status != 200 || r.Code != 0 {
		sh.t.Fatalf("approve %d: HTTP %d code %d %q", applyID, status, r.Code, r.Msg)
	}
	var a applyT
	sh.eventually("the refund notify", func() bool {
		_, r := sh.admin("GET", "/admin/refund-applies")
		var list struct{ Applies []applyT }
		sh.ok(r, &list)
		for _, x := range list.Applies {
			if x.BaseInfo.ID == applyID {
				a = x
			}
		}
		return a.BaseInfo.Status == 4
	})
	return a
}

func (sh *shop) applyRefund(tok string, orderID, lineID int64, amount string, kv ...string) reply {
	sh.t.Helper()
	return sh.post("/order/refundApply/apply", append([]string{"token", tok, "orderId", fmt.Sprint(orderID),
		"orderGoodsId", fmt.Sprint(lineID), "type", "0", "logisticsStatus", "0", "reason", "不想要了", "amount", amount,
		"number", "1", "remark", "", "pic", ""}, kv...)...)
}

// want compares a value with what the test expects.
func want[T comparable](sh *shop, what string, got, want T) {
	sh.t.Helper()
	if got != want {
		sh.t.Errorf("%s = %v; want %v", what, got, want)
	}
}
