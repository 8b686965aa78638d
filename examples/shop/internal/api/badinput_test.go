package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestBadInput: every kind of bad input gets its documented code and a
// message, as HTTP 200 JSON.
func TestBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("grace")
		closed := sh.createOrder(tok, items(item(bag, 1, "")), address...)
		sh.ok(sh.post("/order/close", "token", tok, "orderId", fmt.Sprint(closed.ID)), nil)
		paid, line, beansLine := paidOrder(sh, tok)
		sh.ok(sh.applyRefund(tok, paid.ID, line.ID, "1"), nil)
		other, _ := sh.login("mallory")
		mine := sh.createOrder(tok, items(item(beans, 1, "")), address...)

		tests := []struct {
			name   string
			method string
			path   string
			kv     []string
			code   int
		}{
			{"no token", "POST", "/order/create", []string{"goodsJsonStr", items(item(beans, 1, ""))}, 2000},
			{"bad token", "POST", "/order/create", []string{"token", "nope", "goodsJsonStr", items(item(beans, 1, ""))}, 2000},
			{"bad token on a GET", "GET", "/order/statistics", []string{"token", "nope"}, 2000},
			{"check-token without a token", "GET", "/user/check-token", nil, 2000},
			{"review with a bad token inside", "POST", "/order/reputation", []string{"postJsonString", `{"token":"nope","orderId":1,"reputations":[]}`}, 2000},
			{"login of an unknown user", "POST", "/user/wxapp/login", []string{"code", "never-seen", "type", "2"}, 10000},
			{"login without a code", "POST", "/user/wxapp/authorize", nil, 300},
			{"unknown goods", "POST", "/order/create", []string{"token", tok, "goodsJsonStr", items(item(999, 1, ""))}, 700},
			{"unknown goods, pre-calculation", "POST", "/order/create", []string{"token", tok, "calculate", "true", "goodsJsonStr", items(item(999, 1, ""))}, 700},
			{"unknown goods detail", "GET", "/shop/goods/detail", []string{"id", "999"}, 700},
			{"zero quantity", "POST", "/order/create", []string{"token", tok, "calculate", "true", "goodsJsonStr", items(item(beans, 0, ""))}, 300},
			{"negative quantity", "POST", "/order/create", append([]string{"token", tok, "goodsJsonStr", items(item(beans, -2, ""))}, address...), 300},
			{"quantity as a string", "POST", "/order/create", []string{"token", tok, "calculate", "true", "goodsJsonStr", `[{"goodsId":2,"number":"x"}]`}, 300},
			{"no SKU chosen", "POST", "/order/create", []string{"token", tok, "calculate", "true", "goodsJsonStr", items(item(tshirt, 1, ""))}, 300},
			{"unknown SKU", "POST", "/order/create", []string{"token", tok, "calculate", "true", "goodsJsonStr", items(item(tshirt, 1, "1:9,2:3"))}, 700},
			{"malformed SKU", "POST", "/order/create", []string{"token", tok, "calculate", "true", "goodsJsonStr", items(item(tshirt, 1, "red"))}, 300},
			{"stock exhausted", "POST", "/order/create", append([]string{"token", tok, "goodsJsonStr", items(item(bag, 11, ""))}, address...), 30000},
			{"stock exhausted over two lines", "POST", "/order/create", append([]string{"token", tok, "goodsJsonStr", items(item(bag, 6, ""), item(bag, 5, ""))}, address...), 30000},
			{"empty goodsJsonStr", "POST", "/order/create", []string{"token", tok, "goodsJsonStr", "[]"}, 300},
			{"malformed goodsJsonStr", "POST", "/order/create", []string{"token", tok, "goodsJsonStr", "{"}, 300},
			{"no goodsJsonStr", "POST", "/order/create", []string{"token", tok}, 300},
			{"courier order without an address", "POST", "/order/create", []string{"token", tok, "goodsJsonStr", items(item(beans, 1, ""))}, 300},
			{"unknown peisongType", "POST", "/order/create", []string{"token", tok, "calculate", "true", "peisongType", "drone", "goodsJsonStr", items(item(beans, 1, ""))}, 300},
			{"paying a closed order", "POST", "/order/pay", []string{"token", tok, "orderId", fmt.Sprint(closed.ID)}, 30000},
			{"WeChat-paying a closed order", "POST", "/pay/wx/wxapp", []string{"token", tok, "money", "39.9", "nextAction", fmt.Sprintf(`{"type":0,"id":%d}`, closed.ID)}, 30000},
			{"paying a paid order", "POST", "/order/pay", []string{"token", tok, "orderId", fmt.Sprint(paid.ID)}, 30000},
			{"paying someone else's order", "POST", "/order/pay", []string{"token", other, "orderId", fmt.Sprint(mine.ID)}, 700},
			{"bad orderId", "POST", "/order/pay", []string{"token", tok, "orderId", "abc"}, 300},
			{"money not an amount", "POST", "/pay/wx/wxapp", []string{"token", tok, "money", "12,5"}, 300},
			{"negative money", "POST", "/pay/wx/wxapp", []string{"token", tok, "money", "-1"}, 300},
			{"no money", "POST", "/pay/wx/wxapp", []string{"token", tok}, 300},
			{"unsupported nextAction", "POST", "/pay/wx/wxapp", []string{"token", tok, "money", "1", "nextAction", `{"type":4,"id":1}`}, 300},
			{"malformed nextAction", "POST", "/pay/wx/wxapp", []string{"token", tok, "money", "1", "nextAction", `{type:0}`}, 300},
			{"refund above what was paid", "POST", "/order/refundApply/apply", []string{"token", tok, "orderId", fmt.Sprint(paid.ID),
				"orderGoodsId", fmt.Sprint(beansLine.ID), "type", "0", "amount", "68.01"}, 300},
			{"second open after-sale", "POST", "/order/refundApply/apply", []string{"token", tok, "orderId", fmt.Sprint(paid.ID),
				"orderGoodsId", fmt.Sprint(line.ID), "type", "0", "amount", "1"}, 20000},
			{"after-sale of an unpaid order", "POST", "/order/refundApply/apply", []string{"token", tok, "orderId", fmt.Sprint(mine.ID),
				"orderGoodsId", "1", "type", "0", "amount", "1"}, 30000},
			{"after-sale of an unknown line", "POST", "/order/refundApply/apply", []string{"token", tok, "orderId", fmt.Sprint(paid.ID),
				"orderGoodsId", "999", "type", "0", "amount", "1"}, 700},
			{"after-sale of an unknown type", "POST", "/order/refundApply/apply", []string{"token", tok, "orderId", fmt.Sprint(paid.ID),
				"orderGoodsId", fmt.Sprint(beansLine.ID), "type", "7", "amount", "1"}, 300},
			{"confirming receipt of an unshipped order", "POST", "/order/delivery", []string{"token", tok, "orderId", fmt.Sprint(paid.ID)}, 30000},
			{"reviewing an unreceived order", "POST", "/order/reputation", []string{"postJsonString",
				fmt.Sprintf(`{"token":%q,"orderId":%d,"reputations":[{"id":%d,"reputation":2}]}`, tok, paid.ID, line.ID)}, 30000},
			{"closing a paid order", "POST", "/order/close", []string{"token", tok, "orderId", fmt.Sprint(paid.ID)}, 30000},
			{"someone else's order detail", "GET", "/order/detail", []string{"token", other, "id", fmt.Sprint(mine.ID)}, 700},
			{"no order id", "GET", "/order/detail", []string{"token", tok}, 300},
			{"empty list", "POST", "/order/list", []string{"token", other}, 700},
			{"unknown API", "POST", "/no/such/api", nil, 404},
			{"dev confirm of an unknown prepay id", "POST", "/dev/wxpay/confirm", []string{"prepayId", "wx-none"}, 700},
		}
		for _, tt := range tests {
			sh.code(sh.do(tt.method, tt.path, tt.kv...), tt.code, tt.name)
		}

		// Nothing above changed the books or the stock.
		want(sh, "balance", sh.amount(tok).Balance, "0")
		want(sh, "consumed", sh.amount(tok).TotleConsumed, "197.5")
		want(sh, "bag stock", sh.stock(bag, ""), int64(10))
	})
}

// TestMoneyOnTheWire: amounts are JSON numbers of yuan, never strings.
func TestMoneyOnTheWire(t *testing.T) {
	sh := newShop(t, t.TempDir()+"/shop.db")
	tok, _ := sh.login("heidi")
	r := sh.post("/order/create", append([]string{"token", tok, "goodsJsonStr", items(item(cup, 1, ""))}, address...)...)
	for _, want := range []string{`"amountReal":129.5`, `"amount":129.5`, `"amountLogistics":0`} {
		if !strings.Contains(string(r.Data), want) {
			t.Errorf("order %s lacks %s", r.Data, want)
		}
	}
	if r := sh.get("/user/amount", "token", tok); string(r.Data) != `{"balance":0,"freeze":0,"score":0,"growth":0,"totleConsumed":0}` {
		t.Errorf("amount = %s", r.Data)
	}
}

// TestAdminAuth: the admin API wants its bearer token, and is absent when
// none is configured.
func TestAdminAuth(t *testing.T) {
	sh := newShop(t, t.TempDir()+"/shop.db")
	for _, tok := range []string{"", "wrong", adminToken + "x"} {
		if status, r := sh.adminAs(tok, "GET", "/admin/orders"); status != http.StatusUnauthorized || r.Code != 2000 {
			t.Errorf("token %q: HTTP %d code %d; want 401 2000", tok, status, r.Code)
		}
	}
	status, r := sh.admin("POST", "/admin/orders/999/ship", "shipperName", "SF", "trackingNumber", "1")
	want(sh, "ship unknown order: HTTP", status, http.StatusNotFound)
	want(sh, "code", r.Code, 700)
	status, _ = sh.admin("POST", "/admin/orders/abc/ship")
	want(sh, "bad id: HTTP", status, http.StatusBadRequest)
	status, _ = sh.admin("POST", "/admin/refund-applies/999/approve")
	want(sh, "approve unknown: HTTP", status, http.StatusNotFound)
	tok, _ := sh.login("ivan")
	o := sh.createOrder(tok, items(item(beans, 1, "")), address...)
	status, _ = sh.admin("POST", fmt.Sprintf("/admin/orders/%d/ship", o.ID), "shipperName", "SF", "trackingNumber", "1")
	want(sh, "ship an unpaid order: HTTP", status, http.StatusConflict)
}

// TestConcurrentOrders: more buyers than stock; exactly the stock is sold.
func TestConcurrentOrders(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		const buyers = 14 // the bag has 10
		toks := make([]string, buyers)
		for i := range toks {
			toks[i], _ = sh.login(fmt.Sprint("buyer-", i))
		}
		codes := make([]int, buyers)
		var wg sync.WaitGroup
		for i := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				form := fmt.Sprintf("token=%s&goodsJsonStr=%s&linkMan=a&mobile=1&address=b", toks[i], items(item(bag, 1, "")))
				resp, err := http.Post(sh.front.URL+"/tz/order/create", "application/x-www-form-urlencoded", strings.NewReader(form))
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var r reply
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				if err := json.Unmarshal(b.Bytes(), &r); err != nil {
					t.Error(err)
					return
				}
				codes[i] = r.Code
			}()
		}
		wg.Wait()
		sold := 0
		for _, c := range codes {
			switch c {
			case 0:
				sold++
			case 30000:
			default:
				t.Errorf("code %d; want 0 or 30000 (out of stock)", c)
			}
		}
		want(sh, "orders created", sold, 10)
		want(sh, "stock left", sh.stock(bag, ""), int64(0))
	})
}

// TestConcurrentNotifies: the same payment notify delivered many times at
// once credits the money once.
func TestConcurrentNotifies(t *testing.T) {
	eachBackend(t, func(t *testing.T, sh *shop) {
		tok, _ := sh.login("judy")
		o := sh.createOrder(tok, items(item(beans, 1, "")), address...)
		sh.payByWeChat(tok, "68", o.ID)
		sh.dev.Server.WaitNotifies(context.Background())
		var body []byte
		var url string
		for _, at := range sh.dev.Server.Notifies() {
			if at.Kind == wxpaytest.PayNotify && at.Acknowledged {
				body, url = at.Body, at.URL
			}
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Post(url, "text/xml", bytes.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("HTTP %d", resp.StatusCode)
				}
			}()
		}
		wg.Wait()
		want(sh, "balance", sh.amount(tok).Balance, "0")
		want(sh, "consumed", sh.amount(tok).TotleConsumed, "68")
		want(sh, "status", sh.detail(tok, o.ID).OrderInfo.Status, 1)
	})
}
