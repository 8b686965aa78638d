package store

import (
	"context"
	"fmt"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// LineInput is one item of the client's goodsJsonStr.
type LineInput struct {
	GoodsID          int64
	Number           int64
	PropertyChildIDs string // any of the client's spellings; "" for none
}

// OrderInput is what the buyer orders.
type OrderInput struct {
	UserID      int64
	Lines       []LineInput
	PeisongType string // "kd" (default) or "zq"
	Remark      string
	Address     Address // required on create when the order needs delivery
	CanHX       bool    // give the order a write-off code
	ExtJSON     string
}

// Quote is the price of an OrderInput: the answer to a pre-calculation.
type Quote struct {
	Amount          money.Fen
	AmountLogistics money.Fen
	AmountReal      money.Fen
	GoodsNumber     int64
	NeedLogistics   bool
	lines           []quotedLine
}

type quotedLine struct {
	goods  *GoodsDetail
	sku    *SKU
	number int64
	amount money.Fen
}

// Limits on one order, which keep every amount far from overflow.
const (
	maxLines      = 50
	maxLineNumber = 10000
)

// quote validates in and prices it. It checks that the stock covers the
// order but changes nothing.
func (s *Store) quote(q q, in OrderInput) (*Quote, error) {
	if len(in.Lines) == 0 {
		return nil, fail(Invalid, "请选择要购买的商品 (goodsJsonStr is empty)")
	}
	if len(in.Lines) > maxLines {
		return nil, fail(Invalid, "一次最多购买 %d 种商品 (too many lines)", maxLines)
	}
	switch in.PeisongType {
	case "", "kd", "zq", "keloop":
	default:
		return nil, fail(Invalid, "不支持的配送方式 (unknown peisongType %q)", in.PeisongType)
	}
	qt := &Quote{}
	need := map[int64]int64{} // SKU id → number over all lines
	for i, l := range in.Lines {
		if l.GoodsID <= 0 {
			return nil, fail(Invalid, "第 %d 件商品缺少 goodsId (line %d: no goodsId)", i+1, i+1)
		}
		if l.Number <= 0 {
			return nil, fail(Invalid, "购买数量必须大于 0 (line %d: number %d)", i+1, l.Number)
		}
		if l.Number > maxLineNumber {
			return nil, fail(Invalid, "购买数量过大 (line %d: number %d > %d)", i+1, l.Number, maxLineNumber)
		}
		g, err := s.goodsDetail(q, l.GoodsID)
		if err != nil {
			return nil, err
		}
		if g.Status != 0 {
			return nil, fail(Conflict, "商品已下架：%s (goods %d is off the shelf)", g.Name, g.ID)
		}
		sku, err := g.SKU(l.PropertyChildIDs)
		if err != nil {
			return nil, err
		}
		if l.Number < g.MinBuy {
			return nil, fail(Invalid, "%s 最少购买 %d 件 (minimum %d)", g.Name, g.MinBuy, g.MinBuy)
		}
		need[sku.ID] += l.Number
		if need[sku.ID] > sku.Stock {
			return nil, fail(Conflict, "库存不足：%s %s 仅剩 %d 件 (out of stock)", g.Name, sku.PropertyNames, sku.Stock)
		}
		amount := sku.Price * money.Fen(l.Number)
		qt.lines = append(qt.lines, quotedLine{goods: g, sku: sku, number: l.Number, amount: amount})
		qt.Amount += amount
		qt.GoodsNumber += l.Number
		if g.NeedLogistics && in.PeisongType != "zq" {
			qt.NeedLogistics = true
		}
	}
	// Freight is free in the demo shop: every region is served.
	qt.AmountReal = qt.Amount + qt.AmountLogistics
	return qt, nil
}

// Calculate prices an order without creating it (calculate=true).
func (s *Store) Calculate(ctx context.Context, in OrderInput) (*Quote, error) {
	return s.quote(s.q(ctx), in)
}

// CreateOrder creates an unpaid order and takes its goods from the stock,
// in one transaction.
func (s *Store) CreateOrder(ctx context.Context, in OrderInput) (*Order, error) {
	var id int64
	err := s.tx(ctx, func(q q) error {
		qt, err := s.quote(q, in)
		if err != nil {
			return err
		}
		a := in.Address
		if qt.NeedLogistics && (a.LinkMan == "" || a.Mobile == "" || a.Address == "") {
			return fail(Invalid, "请填写收货人、手机号和收货地址 (linkMan, mobile and address are required for delivery)")
		}
		if err := s.checkUnpaidCap(q, in.UserID, qt); err != nil {
			return err
		}
		for _, l := range qt.lines {
			n, err := q.update(`UPDATE goods_skus SET stock = stock - ? WHERE id = ? AND stock >= ?`, l.number, l.sku.ID, l.number)
			if err != nil {
				return err
			}
			if n == 0 { // taken by a concurrent order since quote read it
				return fail(Conflict, "库存不足：%s %s (out of stock)", l.goods.Name, l.sku.PropertyNames)
			}
		}
		var hx any
		if in.CanHX {
			hx = randomDigits(12)
		}
		peisong := in.PeisongType
		if peisong == "" {
			peisong = "kd"
		}
		now := s.now()
		expire := ""
		if s.policy.OrderTTL > 0 {
			expire = stampOf(now.Add(s.policy.OrderTTL))
		}
		// The order number is made from the row's id, so it is unique by
		// construction; the row is inserted under a provisional number
		// first (random, and only ever seen inside this transaction).
		id, err = q.insert(`INSERT INTO orders (order_number, user_id, status, amount, amount_logistics, amount_real, goods_number,
			remark, peisong_type, is_need_logistics, is_can_hx, hx_number, ext_json,
			link_man, mobile, address, province_id, city_id, district_id, street_id, postcode, date_add, date_update, date_expire)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			"new-"+randomDigits(24), in.UserID, StatusUnpaid, qt.Amount, qt.AmountLogistics, qt.AmountReal, qt.GoodsNumber,
			in.Remark, peisong, boolInt(qt.NeedLogistics), boolInt(in.CanHX), hx, in.ExtJSON,
			a.LinkMan, a.Mobile, a.Address, a.ProvinceID, a.CityID, a.DistrictID, a.StreetID, a.Code, stampOf(now), stampOf(now), expire)
		if err == nil {
			_, err = q.exec(`UPDATE orders SET order_number = ? WHERE id = ?`, orderNumber(now, id), id)
		}
		if err != nil {
			return fmt.Errorf("store: insert order: %w", err)
		}
		for _, l := range qt.lines {
			if _, err := q.exec(`INSERT INTO order_goods (order_id, goods_id, sku_id, goods_name, pic, property_child_ids, property,
				number, amount_single, amount, after_sale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, l.goods.ID, l.sku.ID, l.goods.Name, l.goods.Pic, l.sku.PropertyChildIDs, l.sku.PropertyNames,
				l.number, l.sku.Price, l.amount, l.goods.AfterSale); err != nil {
				return fmt.Errorf("store: insert order line: %w", err)
			}
		}
		return s.log(q, id, LogCreate)
	})
	if err != nil {
		return nil, err
	}
	return s.Order(ctx, in.UserID, id)
}

// orderNumber is the order number of order id created at t: the second
// it was created (yyyyMMddHHmmss, Beijing time, as shop order numbers
// usually read), the id (at least six digits) and two random digits, so
// that consecutive numbers do not give away exactly how many orders the
// shop takes. The id makes it unique; at most 32 characters for any id.
func orderNumber(t time.Time, id int64) string {
	return fmt.Sprintf("%s%06d%s", t.In(beijing).Format("20060102150405"), id, randomDigits(2))
}

// checkUnpaidCap fails when the order would take the quantity of a goods
// that the buyer holds in unpaid orders above the policy's cap.
func (s *Store) checkUnpaidCap(q q, userID int64, qt *Quote) error {
	limit := s.policy.MaxUnpaidPerGoods
	if limit <= 0 {
		return nil
	}
	want := map[int64]int64{}
	for _, l := range qt.lines {
		want[l.goods.ID] += l.number
	}
	for _, l := range qt.lines {
		n, ok := want[l.goods.ID]
		if !ok {
			continue
		}
		delete(want, l.goods.ID)
		var held int64
		if err := q.row(`SELECT COALESCE(SUM(l.number), 0) FROM order_goods l JOIN orders o ON o.id = l.order_id
			WHERE o.user_id = ? AND o.status = ? AND l.goods_id = ?`, userID, StatusUnpaid, l.goods.ID).Scan(&held); err != nil {
			return err
		}
		if held+n > limit {
			return fail(Conflict, "%s 待支付的数量不能超过 %d 件，请先支付或取消未支付的订单 (at most %d unpaid, %d held)",
				l.goods.Name, limit, limit, held)
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
