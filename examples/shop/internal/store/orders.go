package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// Order statuses, as the api工厂 protocol numbers them.
const (
	StatusClosed   = -1 // closed by the buyer, or fully refunded
	StatusUnpaid   = 0
	StatusPaid     = 1 // to ship
	StatusShipped  = 2 // to confirm receipt
	StatusReceived = 3 // to review
	StatusDone     = 4 // reviewed
)

// StatusText is the statusStr of an order status: the wording of
// apifm-wxapi's index.d.ts, and the attested "订单关闭" for closed orders.
func StatusText(status int) string {
	switch status {
	case StatusClosed:
		return "订单关闭"
	case StatusUnpaid:
		return "待支付"
	case StatusPaid:
		return "已支付待发货"
	case StatusShipped:
		return "已发货待确认"
	case StatusReceived:
		return "确认收货待评价"
	case StatusDone:
		return "已评价"
	}
	return ""
}

// Refund statuses of an order and of an order line (refundStatus).
const (
	RefundNone     = 0
	RefundOpen     = 1 // an after-sale is applied for or in progress
	RefundRefunded = 2 // money was refunded and nothing is open
)

// Address is where an order is delivered.
type Address struct {
	LinkMan, Mobile, Address                 string
	ProvinceID, CityID, DistrictID, StreetID string
	Code                                     string // postcode
}

// Order is a buyer's order.
type Order struct {
	ID              int64
	OrderNumber     string
	UserID          int64
	Status          int
	Amount          money.Fen // goods
	AmountLogistics money.Fen
	AmountReal      money.Fen // payable: goods + freight
	AmountRefunded  money.Fen
	// WxOutTradeNo is the WeChat payment whose notify paid the order, and
	// WxPaid the part of AmountReal that payment brought; the rest came
	// from the balance the buyer already had. Refunds follow the money.
	WxOutTradeNo   string
	WxPaid         money.Fen
	GoodsNumber    int64
	Remark         string
	PeisongType    string // kd (courier) or zq (pickup)
	NeedLogistics  bool
	CanHX          bool
	HXNumber       string // the write-off code, if CanHX
	ExtJSON        string
	Address        Address
	ShipperName    string
	TrackingNumber string
	Deleted        bool
	DateAdd        string
	DatePay        string
	DateUpdate     string
	DateExpire     string // when an unpaid order closes by itself; "" never

	HasRefund    bool // an after-sale was applied for and not withdrawn
	RefundStatus int  // RefundNone, RefundOpen or RefundRefunded

	Lines []OrderLine
}

// OrderLine is one goods of an order (an "order goods").
type OrderLine struct {
	ID               int64
	OrderID          int64
	GoodsID          int64
	SKUID            int64
	GoodsName        string
	Pic              string
	PropertyChildIDs string
	Property         string // "颜色:白色,尺码:M"
	Number           int64
	AmountSingle     money.Fen
	Amount           money.Fen
	AfterSale        string
	Refunded         money.Fen
	RefundStatus     int
	Reviewed         bool
}

// OrderLog is an event in an order's life.
type OrderLog struct {
	ID      int64
	Type    int
	DateAdd string
}

// Order log types.
const (
	LogCreate = iota
	LogPay
	LogShip
	LogReceive
	LogReview
	LogClose
	LogWriteOff
	LogAfterSale
	LogRefund
	LogDelete
)

// LogText is the typeStr of an order log type.
func LogText(t int) string {
	return [...]string{"下单", "支付", "发货", "确认收货", "评价", "关闭订单", "核销", "申请售后", "退款", "删除订单"}[t]
}

const orderColumns = `o.id, o.order_number, o.user_id, o.status, o.amount, o.amount_logistics, o.amount_real, o.amount_refunded,
	o.wx_out_trade_no, o.wx_paid, o.goods_number, o.remark, o.peisong_type, o.is_need_logistics, o.is_can_hx, o.hx_number,
	o.ext_json, o.link_man, o.mobile, o.address, o.province_id, o.city_id, o.district_id, o.street_id, o.postcode,
	o.shipper_name, o.tracking_number, o.deleted, o.date_add, o.date_pay, o.date_update, o.date_expire,
	(SELECT COUNT(*) FROM refund_applies a WHERE a.order_id = o.id AND a.status <> 1),
	(SELECT COUNT(*) FROM refund_applies a WHERE a.order_id = o.id AND a.status IN (0, 3))`

func scanOrder(r interface{ Scan(...any) error }) (*Order, error) {
	o := new(Order)
	var needLogistics, canHX, deleted, anyApply, openApply int
	var hx sql.NullString
	a := &o.Address
	err := r.Scan(&o.ID, &o.OrderNumber, &o.UserID, &o.Status, &o.Amount, &o.AmountLogistics, &o.AmountReal, &o.AmountRefunded,
		&o.WxOutTradeNo, &o.WxPaid, &o.GoodsNumber, &o.Remark, &o.PeisongType, &needLogistics, &canHX, &hx,
		&o.ExtJSON, &a.LinkMan, &a.Mobile, &a.Address, &a.ProvinceID, &a.CityID, &a.DistrictID, &a.StreetID, &a.Code,
		&o.ShipperName, &o.TrackingNumber, &deleted, &o.DateAdd, &o.DatePay, &o.DateUpdate, &o.DateExpire, &anyApply, &openApply)
	o.NeedLogistics, o.CanHX, o.Deleted, o.HXNumber = needLogistics == 1, canHX == 1, deleted == 1, hx.String
	o.HasRefund = anyApply > 0
	o.RefundStatus = refundStatus(openApply > 0, o.AmountRefunded)
	return o, err
}

func refundStatus(open bool, refunded money.Fen) int {
	switch {
	case open:
		return RefundOpen
	case refunded > 0:
		return RefundRefunded
	}
	return RefundNone
}

// order reads an order and its lines. userID 0 reads any order (the
// merchant); otherwise the order must be the user's and not deleted.
// lock takes the row lock for the rest of the transaction.
func (s *Store) order(q q, userID, id int64, lock bool) (*Order, error) {
	query := `SELECT ` + orderColumns + ` FROM orders o WHERE o.id = ?`
	args := []any{id}
	if userID != 0 {
		query += ` AND o.user_id = ? AND o.deleted = 0`
		args = append(args, userID)
	}
	if lock && s.d.forUpdate != "" {
		// Lock the plain row: PostgreSQL refuses FOR UPDATE next to the
		// aggregates above.
		if _, err := q.exec(`SELECT id FROM orders WHERE id = ?`+s.d.forUpdate, id); err != nil {
			return nil, err
		}
	}
	o, err := scanOrder(q.row(query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(NotFound, "订单不存在 (no order %d)", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: order %d: %w", id, err)
	}
	if err := s.loadLines(q, []*Order{o}); err != nil {
		return nil, err
	}
	return o, nil
}

// Order returns one of the user's orders with its lines; userID 0 reads
// any order.
func (s *Store) Order(ctx context.Context, userID, id int64) (*Order, error) {
	return s.order(s.q(ctx), userID, id, false)
}

// OrderByHXNumber returns the order with a write-off code.
func (s *Store) OrderByHXNumber(ctx context.Context, hx string) (*Order, error) {
	var id int64
	err := s.q(ctx).row(`SELECT id FROM orders WHERE hx_number = ?`, hx).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(NotFound, "核销码不存在 (unknown write-off code)")
	}
	if err != nil {
		return nil, err
	}
	return s.Order(ctx, 0, id)
}

func (s *Store) loadLines(q q, orders []*Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := map[int64]*Order{}
	args := make([]any, len(orders))
	for i, o := range orders {
		byID[o.ID] = o
		args[i] = o.ID
		o.Lines = nil
	}
	rows, err := q.query(`SELECT l.id, l.order_id, l.goods_id, l.sku_id, l.goods_name, l.pic, l.property_child_ids, l.property,
		l.number, l.amount_single, l.amount, l.after_sale, l.refunded,
		(SELECT COUNT(*) FROM refund_applies a WHERE a.order_goods_id = l.id AND a.status IN (0, 3)),
		(SELECT COUNT(*) FROM reviews r WHERE r.order_goods_id = l.id)
		FROM order_goods l WHERE l.order_id IN (`+placeholders(len(args))+`) ORDER BY l.id`, args...)
	lines, err := scanAll(rows, err, func(r *sql.Rows) (OrderLine, error) {
		var l OrderLine
		var open, reviewed int
		err := r.Scan(&l.ID, &l.OrderID, &l.GoodsID, &l.SKUID, &l.GoodsName, &l.Pic, &l.PropertyChildIDs, &l.Property,
			&l.Number, &l.AmountSingle, &l.Amount, &l.AfterSale, &l.Refunded, &open, &reviewed)
		l.RefundStatus = refundStatus(open > 0, l.Refunded)
		l.Reviewed = reviewed > 0
		return l, err
	})
	if err != nil {
		return fmt.Errorf("store: order lines: %w", err)
	}
	for _, l := range lines {
		byID[l.OrderID].Lines = append(byID[l.OrderID].Lines, l)
	}
	return nil
}

// OrderLogs returns the events of an order, oldest first.
func (s *Store) OrderLogs(ctx context.Context, orderID int64) ([]OrderLog, error) {
	rows, err := s.q(ctx).query(`SELECT id, type, date_add FROM order_logs WHERE order_id = ? ORDER BY id`, orderID)
	return scanAll(rows, err, func(r *sql.Rows) (OrderLog, error) {
		var l OrderLog
		return l, r.Scan(&l.ID, &l.Type, &l.DateAdd)
	})
}

func (s *Store) log(q q, orderID int64, typ int) error {
	_, err := q.exec(`INSERT INTO order_logs (order_id, type, date_add) VALUES (?, ?, ?)`, orderID, typ, s.stamp())
	return err
}

// OrderFilter selects orders for ListOrders.
type OrderFilter struct {
	UserID      int64 // 0: every buyer (the merchant)
	Statuses    []int // empty: any
	HasRefund   bool  // only orders with an after-sale
	RefundOpen  bool  // only orders with an open after-sale
	OrderNumber string
	// Search matches an order number (or its start), or the buyer: user
	// id, nick or mobile, or the order's consignee or phone.
	Search         string
	DateBegin      string // inclusive, compared with dateAdd
	DateEnd        string
	IncludeDeleted bool
	Page, PageSize int
}

// ListOrders returns a page of orders, newest first, with their lines,
// and how many orders match.
func (s *Store) ListOrders(ctx context.Context, f OrderFilter) ([]*Order, int, error) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) { conds = append(conds, cond); args = append(args, a...) }
	add("1 = 1")
	if f.UserID != 0 {
		add("o.user_id = ?", f.UserID)
	}
	if !f.IncludeDeleted {
		add("o.deleted = 0")
	}
	if len(f.Statuses) > 0 {
		ph := placeholders(len(f.Statuses))
		a := make([]any, len(f.Statuses))
		for i, st := range f.Statuses {
			a[i] = st
		}
		add("o.status IN ("+ph+")", a...)
	}
	if f.HasRefund {
		add("EXISTS (SELECT 1 FROM refund_applies a WHERE a.order_id = o.id AND a.status <> 1)")
	}
	if f.RefundOpen {
		add("EXISTS (SELECT 1 FROM refund_applies a WHERE a.order_id = o.id AND a.status IN (0, 3))")
	}
	if f.OrderNumber != "" {
		add("o.order_number = ?", f.OrderNumber)
	}
	if f.Search != "" {
		like := "%" + escapeLike(f.Search) + "%"
		cond := `(o.order_number LIKE ? ESCAPE '\' OR o.link_man LIKE ? ESCAPE '\' OR o.mobile LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id AND (u.nick LIKE ? ESCAPE '\' OR u.mobile LIKE ? ESCAPE '\')))`
		a := []any{escapeLike(f.Search) + "%", like, like, like, like}
		if id, err := strconv.ParseInt(f.Search, 10, 64); err == nil && len(f.Search) < 12 {
			cond = "(o.user_id = ? OR " + cond[1:]
			a = append([]any{id}, a...)
		}
		add(cond, a...)
	}
	if f.DateBegin != "" {
		add("o.date_add >= ?", f.DateBegin)
	}
	if f.DateEnd != "" {
		add("o.date_add <= ?", f.DateEnd)
	}
	where := strings.Join(conds, " AND ")
	q := s.q(ctx)
	var total int
	if err := q.row(`SELECT COUNT(*) FROM orders o WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count orders: %w", err)
	}
	rows, err := q.query(`SELECT `+orderColumns+` FROM orders o WHERE `+where+` ORDER BY o.id DESC LIMIT ? OFFSET ?`,
		append(args, f.PageSize, (f.Page-1)*f.PageSize)...)
	orders, err := scanAll(rows, err, func(r *sql.Rows) (*Order, error) { return scanOrder(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("store: list orders: %w", err)
	}
	if err := s.loadLines(q, orders); err != nil {
		return nil, 0, err
	}
	return orders, total, nil
}

// escapeLike escapes the LIKE wildcards of a search text.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Statistics counts a buyer's visible orders by status.
func (s *Store) Statistics(ctx context.Context, userID int64) (map[int]int, error) {
	rows, err := s.q(ctx).query(`SELECT status, COUNT(*) FROM orders WHERE user_id = ? AND deleted = 0 GROUP BY status`, userID)
	type kv struct{ status, n int }
	counts, err := scanAll(rows, err, func(r *sql.Rows) (kv, error) {
		var x kv
		return x, r.Scan(&x.status, &x.n)
	})
	if err != nil {
		return nil, fmt.Errorf("store: statistics: %w", err)
	}
	m := map[int]int{}
	for _, x := range counts {
		m[x.status] = x.n
	}
	return m, nil
}

// randomDigits returns n random decimal digits, for order numbers and
// write-off codes.
func randomDigits(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf) // never fails since Go 1.24
		for _, c := range buf {
			if c < 250 && len(out) < n { // 250 = 25 × 10: no bias
				out = append(out, '0'+c%10)
			}
		}
	}
	return string(out)
}
