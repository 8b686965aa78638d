package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// change runs fn on a locked order in a transaction. userID 0 is the
// merchant, who may act on any order.
func (s *Store) change(ctx context.Context, userID, id int64, fn func(q q, o *Order) error) error {
	return s.tx(ctx, func(q q) error {
		o, err := s.order(q, userID, id, true)
		if err != nil {
			return err
		}
		return fn(q, o)
	})
}

// setStatus moves o to status to, conditional on o still having the status
// it was read with, and logs the event.
func (s *Store) setStatus(q q, o *Order, to, logType int) error {
	n, err := q.update(`UPDATE orders SET status = ?, date_update = ? WHERE id = ? AND status = ?`, to, s.stamp(), o.ID, o.Status)
	if err != nil {
		return err
	}
	if n == 0 {
		return fail(Conflict, "订单状态已变化，请刷新 (order %d changed meanwhile)", o.ID)
	}
	o.Status = to
	return s.log(q, o.ID, logType)
}

// need fails with Conflict unless o's status is one of want.
func need(o *Order, action string, want ...int) error {
	for _, w := range want {
		if o.Status == w {
			return nil
		}
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = StatusText(w)
	}
	return fail(Conflict, "订单当前状态为「%s」，只有「%s」的订单可以%s (order %d is %d)",
		StatusText(o.Status), strings.Join(names, "、"), action, o.ID, o.Status)
}

// CloseOrder closes an unpaid order and puts its goods back in stock.
func (s *Store) CloseOrder(ctx context.Context, userID, id int64) error {
	return s.change(ctx, userID, id, func(q q, o *Order) error {
		if err := need(o, "关闭", StatusUnpaid); err != nil {
			return err
		}
		return s.closeUnpaid(q, o)
	})
}

// DeleteOrder hides a closed order from its buyer; the merchant still
// sees it.
func (s *Store) DeleteOrder(ctx context.Context, userID, id int64) error {
	return s.change(ctx, userID, id, func(q q, o *Order) error {
		if err := need(o, "删除", StatusClosed); err != nil {
			return err
		}
		if _, err := q.exec(`UPDATE orders SET deleted = 1, date_update = ? WHERE id = ?`, s.stamp(), o.ID); err != nil {
			return err
		}
		return s.log(q, o.ID, LogDelete)
	})
}

// Ship records the merchant's shipment of a paid order.
func (s *Store) Ship(ctx context.Context, id int64, shipperName, trackingNumber string) (*Order, error) {
	err := s.change(ctx, 0, id, func(q q, o *Order) error {
		if err := need(o, "发货", StatusPaid); err != nil {
			return err
		}
		if o.NeedLogistics && (shipperName == "" || trackingNumber == "") {
			return fail(Invalid, "请填写快递公司和快递单号 (shipperName and trackingNumber are required)")
		}
		if _, err := q.exec(`UPDATE orders SET shipper_name = ?, tracking_number = ? WHERE id = ?`,
			shipperName, trackingNumber, o.ID); err != nil {
			return err
		}
		return s.setStatus(q, o, StatusShipped, LogShip)
	})
	if err != nil {
		return nil, err
	}
	return s.Order(ctx, 0, id)
}

// ConfirmDelivery records the buyer's receipt of a shipped order.
func (s *Store) ConfirmDelivery(ctx context.Context, userID, id int64) error {
	return s.change(ctx, userID, id, func(q q, o *Order) error {
		if err := need(o, "确认收货", StatusShipped); err != nil {
			return err
		}
		return s.setStatus(q, o, StatusReceived, LogReceive)
	})
}

// WriteOff redeems an order's write-off code in store: the order goes
// to "to review", as api工厂 does.
func (s *Store) WriteOff(ctx context.Context, hxNumber string) (*Order, error) {
	o, err := s.OrderByHXNumber(ctx, hxNumber)
	if err != nil {
		return nil, err
	}
	err = s.change(ctx, 0, o.ID, func(q q, o *Order) error {
		if err := need(o, "核销", StatusPaid, StatusShipped); err != nil {
			return err
		}
		return s.setStatus(q, o, StatusReceived, LogWriteOff)
	})
	if err != nil {
		return nil, err
	}
	return s.Order(ctx, 0, o.ID)
}

// ReviewInput is the review of one order line.
type ReviewInput struct {
	OrderGoodsID     int64
	Reputation       int // 0 bad, 1 neutral, 2 good
	ReputationNumber int // stars, 1–5
	Remark           string
	Pics             []string
}

// Review records the buyer's reviews of a received order and completes it.
func (s *Store) Review(ctx context.Context, userID, orderID int64, reviews []ReviewInput) error {
	if len(reviews) == 0 {
		return fail(Invalid, "请填写评价 (reputations is empty)")
	}
	return s.change(ctx, userID, orderID, func(q q, o *Order) error {
		if err := need(o, "评价", StatusReceived); err != nil {
			return err
		}
		lines := map[int64]OrderLine{}
		for _, l := range o.Lines {
			lines[l.ID] = l
		}
		done := map[int64]bool{}
		for _, r := range reviews {
			l, ok := lines[r.OrderGoodsID]
			if !ok {
				return fail(NotFound, "订单中没有这件商品 (order %d has no line %d)", o.ID, r.OrderGoodsID)
			}
			if done[l.ID] {
				return fail(Invalid, "同一件商品只能评价一次 (line %d reviewed twice)", l.ID)
			}
			done[l.ID] = true
			if r.Reputation < 0 || r.Reputation > 2 {
				return fail(Invalid, "评价等级只能是 0、1、2 (reputation %d)", r.Reputation)
			}
			if r.ReputationNumber < 1 || r.ReputationNumber > 5 {
				return fail(Invalid, "评分只能是 1–5 星 (reputationNumber %d)", r.ReputationNumber)
			}
			if _, err := q.exec(`INSERT INTO reviews (order_goods_id, goods_id, user_id, reputation, reputation_number, remark, pics, date_add)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, l.GoodsID, o.UserID, r.Reputation, r.ReputationNumber, r.Remark,
				strings.Join(r.Pics, ","), s.stamp()); err != nil {
				return err
			}
		}
		return s.setStatus(q, o, StatusDone, LogReview)
	})
}

// PayOrders pays unpaid orders of a buyer from the balance, all or none.
// When the balance is short, the error is BalanceTooLow with the
// shortfall for all the orders together.
func (s *Store) PayOrders(ctx context.Context, userID int64, ids []int64) error {
	ids = uniqueSorted(ids) // a fixed lock order keeps concurrent payments from deadlocking
	if len(ids) == 0 {
		return fail(Invalid, "缺少订单号 (orderId is empty)")
	}
	return s.tx(ctx, func(q q) error {
		orders, err := s.payableOrders(q, userID, ids, true)
		if err != nil {
			return err
		}
		var total money.Fen
		for _, o := range orders {
			total += o.AmountReal
		}
		var balance money.Fen
		if err := q.row(`SELECT balance FROM users WHERE id = ?`, userID).Scan(&balance); err != nil {
			return err
		}
		if balance < total {
			return &Error{Kind: BalanceTooLow, Shortfall: total - balance,
				Msg: fmt.Sprintf("余额不足，还差 %s 元 (balance %s < %s)", total-balance, balance, total)}
		}
		for _, o := range orders {
			if err := s.payOrder(q, o, "", 0); err != nil {
				return err
			}
		}
		return nil
	})
}

// payableOrders reads the buyer's orders ids, failing unless each can be
// paid; lock locks them for the transaction.
func (s *Store) payableOrders(q q, userID int64, ids []int64, lock bool) ([]*Order, error) {
	orders := make([]*Order, 0, len(ids))
	for _, id := range ids {
		o, err := s.order(q, userID, id, lock)
		if err != nil {
			return nil, err
		}
		if err := payable(o); err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	return orders, nil
}

// payable fails unless o can be paid.
func payable(o *Order) error {
	switch o.Status {
	case StatusUnpaid:
		return nil
	case StatusClosed:
		return fail(Conflict, "订单已关闭，不能支付 (order %d is closed)", o.ID)
	}
	return fail(Conflict, "订单已支付 (order %d is already paid)", o.ID)
}

// payOrder pays o from its buyer's balance. wxOutTradeNo and wxPart name
// the WeChat payment that brought (part of) the money, if any.
func (s *Store) payOrder(q q, o *Order, wxOutTradeNo string, wxPart money.Fen) error {
	if err := s.moveBalance(q, o.UserID, -o.AmountReal, o.AmountReal, "pay", o.OrderNumber); err != nil {
		return err
	}
	now := s.stamp()
	if _, err := q.exec(`UPDATE orders SET date_pay = ?, wx_out_trade_no = ?, wx_paid = ? WHERE id = ?`,
		now, wxOutTradeNo, wxPart, o.ID); err != nil {
		return err
	}
	if err := s.setStatus(q, o, StatusPaid, LogPay); err != nil {
		return err
	}
	// The receipt is queued with the payment, in its transaction: a crash
	// cannot pay an order and lose its receipt.
	return s.enqueuePrint(q, o.ID)
}

func uniqueSorted(ids []int64) []int64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := ids[:0]
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			out = append(out, id)
		}
	}
	return out
}
