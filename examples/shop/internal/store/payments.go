package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// WxPayment is one WeChat payment: money the buyer pays into the balance,
// and the orders to pay from it once the money has arrived (nextAction
// type 0).
type WxPayment struct {
	ID            int64
	OutTradeNo    string
	UserID        int64
	Money         money.Fen
	Remark        string
	OrderIDs      []int64
	PrepayID      string
	Paid          bool
	Closed        bool // closed at WeChat, or it never reached WeChat: it can no longer be paid
	TransactionID string
	Refunded      money.Fen
	DateAdd       string
	DatePay       string
	// DateExpire is when WeChat stops accepting the payment (the
	// time_expire of its unified order): when the first of its orders
	// expires. "" for none.
	DateExpire string
}

// maxPayment bounds one WeChat payment: 100,000 yuan.
const maxPayment money.Fen = 10_000_000

const paymentColumns = `id, out_trade_no, user_id, money, remark, order_ids, prepay_id, status, transaction_id, refunded, date_add, date_pay, date_expire`

// Payment statuses (wx_payments.status).
const (
	payOpen   = 0
	payPaid   = 1
	payClosed = 2
)

func scanPayment(r interface{ Scan(...any) error }) (*WxPayment, error) {
	p := new(WxPayment)
	var ids string
	var status int
	var txid sql.NullString
	err := r.Scan(&p.ID, &p.OutTradeNo, &p.UserID, &p.Money, &p.Remark, &ids, &p.PrepayID, &status, &txid, &p.Refunded, &p.DateAdd, &p.DatePay, &p.DateExpire)
	p.Paid, p.Closed, p.TransactionID = status == payPaid, status == payClosed, txid.String
	for _, f := range strings.Split(ids, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			p.OrderIDs = append(p.OrderIDs, id)
		}
	}
	return p, err
}

// CreateWxPayment records a WeChat payment about to be placed. Every
// order it names must be the buyer's and unpaid: paying a closed order
// fails here, before WeChat is asked for anything.
func (s *Store) CreateWxPayment(ctx context.Context, userID int64, amount money.Fen, remark string, orderIDs []int64) (*WxPayment, error) {
	if amount <= 0 {
		return nil, fail(Invalid, "支付金额必须大于 0 (money %s)", amount)
	}
	if amount > maxPayment {
		return nil, fail(Invalid, "单笔支付不能超过 %s 元 (money %s)", maxPayment, amount)
	}
	orderIDs = uniqueSorted(orderIDs)
	var p *WxPayment
	err := s.tx(ctx, func(q q) error {
		orders, err := s.payableOrders(q, userID, orderIDs, false)
		if err != nil {
			return err
		}
		ids := make([]string, len(orderIDs))
		for i, id := range orderIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		now := s.now()
		expire := ""
		for _, o := range orders {
			if o.DateExpire != "" && (expire == "" || o.DateExpire < expire) {
				expire = o.DateExpire
			}
		}
		if expire == "" && s.policy.OrderTTL > 0 {
			expire = stampOf(now.Add(s.policy.OrderTTL))
		}
		// Like order numbers, out_trade_no is made from the row's id.
		id, err := q.insert(`INSERT INTO wx_payments (out_trade_no, user_id, money, remark, order_ids, date_add, date_expire)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, "new-"+randomDigits(24), userID, amount, remark, strings.Join(ids, ","), stampOf(now), expire)
		if err != nil {
			return fmt.Errorf("store: insert payment: %w", err)
		}
		outTradeNo := fmt.Sprintf("W%s%08d", now.In(beijing).Format("20060102150405"), id)
		if _, err := q.exec(`UPDATE wx_payments SET out_trade_no = ? WHERE id = ?`, outTradeNo, id); err != nil {
			return err
		}
		p, err = scanPayment(q.row(`SELECT `+paymentColumns+` FROM wx_payments WHERE id = ?`, id))
		return err
	})
	return p, err
}

// DropUnsentPayment deletes a payment whose unified order was refused
// before it left the shop (the SDK's validation): WeChat never heard of
// it, so nothing is left to reconcile.
func (s *Store) DropUnsentPayment(ctx context.Context, outTradeNo string) error {
	_, err := s.w(ctx).exec(`DELETE FROM wx_payments WHERE out_trade_no = ? AND status = ? AND prepay_id = ''`, outTradeNo, payOpen)
	return err
}

// ClosePayment records that a payment can no longer be paid: WeChat
// closed it, or never knew it.
func (s *Store) ClosePayment(ctx context.Context, outTradeNo string) error {
	_, err := s.w(ctx).exec(`UPDATE wx_payments SET status = ?, date_checked = ? WHERE out_trade_no = ? AND status = ?`,
		payClosed, s.stamp(), outTradeNo, payOpen)
	return err
}

// MarkPaymentChecked records that the reconciliation loop asked WeChat
// about a payment, so that it asks again only after a while.
func (s *Store) MarkPaymentChecked(ctx context.Context, outTradeNo string) error {
	_, err := s.w(ctx).exec(`UPDATE wx_payments SET date_checked = ? WHERE out_trade_no = ?`, s.stamp(), outTradeNo)
	return err
}

// PaymentsToReconcile returns up to limit open payments placed at WeChat
// before placedBefore and not checked since checkedBefore, least recently
// checked first.
func (s *Store) PaymentsToReconcile(ctx context.Context, placedBefore, checkedBefore time.Time, limit int) ([]*WxPayment, error) {
	rows, err := s.q(ctx).query(`SELECT `+paymentColumns+` FROM wx_payments
		WHERE status = ? AND prepay_id <> '' AND date_add <= ? AND date_checked <= ?
		ORDER BY date_checked, id LIMIT ?`, payOpen, stampOf(placedBefore), stampOf(checkedBefore), limit)
	return scanAll(rows, err, func(r *sql.Rows) (*WxPayment, error) { return scanPayment(r) })
}

// OpenPaymentsOf returns the open payments whose nextAction names order
// id: those to close at WeChat before the order can close.
func (s *Store) OpenPaymentsOf(ctx context.Context, orderID int64) ([]*WxPayment, error) {
	rows, err := s.q(ctx).query(`SELECT `+paymentColumns+` FROM wx_payments
		WHERE status = ? AND (',' || order_ids || ',') LIKE ? ORDER BY id`, payOpen, "%,"+strconv.FormatInt(orderID, 10)+",%")
	return scanAll(rows, err, func(r *sql.Rows) (*WxPayment, error) { return scanPayment(r) })
}

// PaymentsOfOrder returns every WeChat payment that named an order, for
// the merchant.
func (s *Store) PaymentsOfOrder(ctx context.Context, orderID int64) ([]*WxPayment, error) {
	rows, err := s.q(ctx).query(`SELECT `+paymentColumns+` FROM wx_payments
		WHERE (',' || order_ids || ',') LIKE ? ORDER BY id`, "%,"+strconv.FormatInt(orderID, 10)+",%")
	return scanAll(rows, err, func(r *sql.Rows) (*WxPayment, error) { return scanPayment(r) })
}

// SetPrepayID records the prepay id WeChat gave the payment.
func (s *Store) SetPrepayID(ctx context.Context, outTradeNo, prepayID string) error {
	_, err := s.w(ctx).exec(`UPDATE wx_payments SET prepay_id = ? WHERE out_trade_no = ?`, prepayID, outTradeNo)
	return err
}

// WxPaymentByPrepayID finds a payment by the prepay id the buyer's
// wx.requestPayment carried.
func (s *Store) WxPaymentByPrepayID(ctx context.Context, prepayID string) (*WxPayment, error) {
	return s.wxPayment(s.q(ctx), "prepay_id", prepayID, false)
}

// WxPayment finds a payment by its out_trade_no.
func (s *Store) WxPayment(ctx context.Context, outTradeNo string) (*WxPayment, error) {
	return s.wxPayment(s.q(ctx), "out_trade_no", outTradeNo, false)
}

func (s *Store) wxPayment(q q, column, value string, lock bool) (*WxPayment, error) {
	if value == "" {
		return nil, fail(Invalid, "缺少 %s (no %s)", column, column)
	}
	lockSQL := ""
	if lock {
		lockSQL = s.d.forUpdate
	}
	p, err := scanPayment(q.row(`SELECT `+paymentColumns+` FROM wx_payments WHERE `+column+` = ?`+lockSQL, value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(NotFound, "支付单不存在 (no payment with %s %s)", column, value)
	}
	return p, err
}

// PaidNotice is what the shop takes from a verified payment notify.
type PaidNotice struct {
	OutTradeNo    string
	TransactionID string
	TotalFee      money.Fen
}

// PaidResult says what a payment notify did.
type PaidResult struct {
	Payment   *WxPayment
	Duplicate bool    // the notify was seen before; nothing changed
	Paid      []int64 // orders paid from the money
	Skipped   []int64 // orders of nextAction that could not be paid; the money stays in the balance
}

// CompleteWxPayment applies a payment notify in one transaction: the
// money is credited to the buyer's balance, then the orders of the
// payment's nextAction are paid from the balance. A repeated notify (same
// transaction_id) changes nothing. An order that can no longer be paid —
// closed meanwhile, say — is skipped and its money stays in the balance.
func (s *Store) CompleteWxPayment(ctx context.Context, n PaidNotice) (*PaidResult, error) {
	res := &PaidResult{}
	err := s.tx(ctx, func(q q) error {
		p, err := s.wxPayment(q, "out_trade_no", n.OutTradeNo, true)
		if err != nil {
			return err
		}
		res.Payment = p
		if p.Paid {
			if p.TransactionID != n.TransactionID {
				return fmt.Errorf("store: payment %s already paid by transaction %s, notified again with %s",
					p.OutTradeNo, p.TransactionID, n.TransactionID)
			}
			res.Duplicate = true
			return nil
		}
		if n.TotalFee != p.Money {
			return fmt.Errorf("store: payment %s is for %s yuan, notify says %s", p.OutTradeNo, p.Money, n.TotalFee)
		}
		// A closed payment that WeChat reports paid after all (a close
		// that raced the payer) is paid: the money arrived.
		if _, err := q.exec(`UPDATE wx_payments SET status = ?, transaction_id = ?, date_pay = ? WHERE id = ? AND status <> ?`,
			payPaid, n.TransactionID, s.stamp(), p.ID, payPaid); err != nil {
			return err
		}
		if err := s.moveBalance(q, p.UserID, p.Money, 0, "recharge", p.OutTradeNo); err != nil {
			return err
		}
		remaining := p.Money // of this payment, not yet attributed to an order
		for _, id := range p.OrderIDs {
			o, err := s.order(q, p.UserID, id, true)
			if KindOf(err) == NotFound {
				res.Skipped = append(res.Skipped, id)
				continue
			}
			if err != nil {
				return err
			}
			if payable(o) != nil {
				res.Skipped = append(res.Skipped, id)
				continue
			}
			wxPart := min(o.AmountReal, remaining)
			err = s.payOrder(q, o, p.OutTradeNo, wxPart)
			if KindOf(err) == BalanceTooLow {
				res.Skipped = append(res.Skipped, id)
				continue
			}
			if err != nil {
				return err
			}
			remaining -= wxPart
			res.Paid = append(res.Paid, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
