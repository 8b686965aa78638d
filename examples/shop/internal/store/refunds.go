package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// After-sale statuses (baseInfo.status).
const (
	ApplyOpen       = 0 // applied; the buyer may withdraw it
	ApplyWithdrawn  = 1
	ApplyRefused    = 2
	ApplyInProgress = 3 // approved; waiting for WeChat's refund notify
	ApplyDone       = 4
)

// ApplyStatusText is the statusStr of an after-sale status.
func ApplyStatusText(status int) string {
	return textOf(status, "待处理", "已撤销", "已拒绝", "处理中", "已完成")
}

// After-sale types.
const (
	TypeRefund   = 0 // 仅退款
	TypeReturn   = 1 // 退款退货
	TypeExchange = 2 // 换货: no money moves
)

// AfterSaleTypeText is the typeStr of an after-sale type.
func AfterSaleTypeText(t int) string { return textOf(t, "仅退款", "退款退货", "换货") }

// LogisticsStatusText is the logisticsStatusStr of an after-sale.
func LogisticsStatusText(s int) string { return textOf(s, "未收到货", "已收到货") }

func textOf(i int, texts ...string) string {
	if i < 0 || i >= len(texts) {
		return ""
	}
	return texts[i]
}

// RefundApply is a buyer's after-sale application for one order line.
type RefundApply struct {
	ID               int64
	OrderID          int64
	OrderGoodsID     int64
	UserID           int64
	Type             int
	LogisticsStatus  int
	Reason           string
	Remark           string
	Pics             []string
	Number           int64
	Amount           money.Fen
	Status           int
	Status2          int    // 1: the buyer must send the goods back and enter the waybill; 2: entered
	LogisticsContent string // JSON {linkMan, mobile, address, shipperName, trackingNumber}
	// Where the money goes, fixed on approval: WxAmount back to the WeChat
	// payment WxOutTradeNo under OutRefundNo, BalanceAmount to the balance.
	OutRefundNo    string
	WxOutTradeNo   string
	WxAmount       money.Fen
	BalanceAmount  money.Fen
	RefundID       string // WeChat's refund number
	RefundStatus   string // WeChat's last refund_status
	MerchantRemark string
	// RefundAccepted is 1 once WeChat accepted the refund request, -1 when
	// WeChat refused it (or the SDK refused to send it), 0 when unknown:
	// not sent yet, or its answer was lost.
	RefundAccepted int
	RefundError    string // why the last refund request failed
	DateAdd        string
	DateUpdate     string
}

const applyColumns = `id, order_id, order_goods_id, user_id, type, logistics_status, reason, remark, pics, number, amount,
	status, status2, logistics_content, out_refund_no, wx_out_trade_no, wx_amount, balance_amount, refund_id, refund_status,
	merchant_remark, refund_accepted, refund_error, date_add, date_update`

func scanApply(r interface{ Scan(...any) error }) (*RefundApply, error) {
	a := new(RefundApply)
	var pics string
	var outRefundNo sql.NullString
	err := r.Scan(&a.ID, &a.OrderID, &a.OrderGoodsID, &a.UserID, &a.Type, &a.LogisticsStatus, &a.Reason, &a.Remark, &pics,
		&a.Number, &a.Amount, &a.Status, &a.Status2, &a.LogisticsContent, &outRefundNo, &a.WxOutTradeNo, &a.WxAmount,
		&a.BalanceAmount, &a.RefundID, &a.RefundStatus, &a.MerchantRemark, &a.RefundAccepted, &a.RefundError, &a.DateAdd, &a.DateUpdate)
	a.OutRefundNo = outRefundNo.String
	if pics != "" {
		a.Pics = strings.Split(pics, ",")
	}
	return a, err
}

// ApplyInput is a buyer's after-sale application.
type ApplyInput struct {
	UserID, OrderID, OrderGoodsID int64
	Type                          int
	LogisticsStatus               int
	Reason, Remark                string
	Pics                          []string
	Number                        int64     // 0: the whole line
	Amount                        money.Fen // must be 0 for an exchange
}

// ApplyRefund records an after-sale application. A line has at most one
// open application (AfterSaleOpen otherwise), and refunds of a line
// never add up to more than was paid for it.
func (s *Store) ApplyRefund(ctx context.Context, in ApplyInput) (*RefundApply, error) {
	// The reason goes to WeChat as the refund's refund_desc: text XML
	// cannot carry would make the SDK refuse the refund at approval, with
	// the application stuck. Refuse it now, while the buyer can fix it.
	if err := CheckText("reason", "售后原因", in.Reason, 200); err != nil {
		return nil, err
	}
	if err := CheckText("remark", "备注", in.Remark, 500); err != nil {
		return nil, err
	}
	var id int64
	err := s.change(ctx, in.UserID, in.OrderID, func(q q, o *Order) error {
		if err := need(o, "申请售后", StatusPaid, StatusShipped, StatusReceived, StatusDone); err != nil {
			return err
		}
		var line *OrderLine
		for i := range o.Lines {
			if o.Lines[i].ID == in.OrderGoodsID {
				line = &o.Lines[i]
			}
		}
		if line == nil {
			return fail(NotFound, "订单中没有这件商品 (order %d has no line %d)", o.ID, in.OrderGoodsID)
		}
		if line.RefundStatus == RefundOpen {
			return fail(AfterSaleOpen, "该商品已有进行中的售后申请 (line %d has an open after-sale)", line.ID)
		}
		if !allowed(line.AfterSale, in.Type) {
			if line.AfterSale == "" {
				return fail(Invalid, "该商品不支持售后 (no after-sales for this goods)")
			}
			return fail(Invalid, "该商品不支持「%s」(after-sale type %d not allowed)", AfterSaleTypeText(in.Type), in.Type)
		}
		if in.LogisticsStatus != 0 && in.LogisticsStatus != 1 {
			return fail(Invalid, "收货状态只能是 0 或 1 (logisticsStatus %d)", in.LogisticsStatus)
		}
		if in.Number == 0 {
			in.Number = line.Number
		}
		if in.Number < 0 || in.Number > line.Number {
			return fail(Invalid, "售后数量须在 1 到 %d 之间 (number %d)", line.Number, in.Number)
		}
		left := line.Amount - line.Refunded
		switch {
		case in.Type == TypeExchange && in.Amount != 0:
			return fail(Invalid, "换货不退款，金额须为 0 (amount must be 0 for an exchange)")
		case in.Type != TypeExchange && in.Amount <= 0:
			return fail(Invalid, "退款金额必须大于 0 (amount %s)", in.Amount)
		case in.Amount > left:
			return fail(Invalid, "退款金额 %s 元超过可退金额 %s 元 (refund above what was paid)", in.Amount, left)
		}
		status2 := 0
		if in.Type == TypeReturn {
			status2 = 1
		}
		now := s.stamp()
		var err error
		id, err = q.insert(`INSERT INTO refund_applies (order_id, order_goods_id, user_id, type, logistics_status, reason, remark, pics,
			number, amount, status, status2, date_add, date_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, line.ID, o.UserID, in.Type, in.LogisticsStatus, in.Reason, in.Remark, strings.Join(in.Pics, ","),
			in.Number, in.Amount, ApplyOpen, status2, now, now)
		if isUniqueViolation(err) { // a concurrent application won the race
			return fail(AfterSaleOpen, "该商品已有进行中的售后申请 (line %d has an open after-sale)", line.ID)
		}
		if err != nil {
			return err
		}
		return s.log(q, o.ID, LogAfterSale)
	})
	if err != nil {
		return nil, err
	}
	return s.apply(s.q(ctx), id, false)
}

func allowed(list string, t int) bool {
	for _, f := range strings.Split(list, ",") {
		if strings.TrimSpace(f) == fmt.Sprint(t) {
			return true
		}
	}
	return false
}

func (s *Store) apply(q q, id int64, lock bool) (*RefundApply, error) {
	lockSQL := ""
	if lock {
		lockSQL = s.d.forUpdate
	}
	a, err := scanApply(q.row(`SELECT `+applyColumns+` FROM refund_applies WHERE id = ?`+lockSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(NotFound, "售后申请不存在 (no after-sale %d)", id)
	}
	return a, err
}

// RefundApply returns one application.
func (s *Store) RefundApply(ctx context.Context, id int64) (*RefundApply, error) {
	return s.apply(s.q(ctx), id, false)
}

// RefundApplies returns the applications of an order, oldest first, for
// one line if orderGoodsID is not 0. userID 0 reads any order's.
func (s *Store) RefundApplies(ctx context.Context, userID, orderID, orderGoodsID int64) ([]*RefundApply, error) {
	if _, err := s.Order(ctx, userID, orderID); err != nil {
		return nil, err
	}
	query, args := `SELECT `+applyColumns+` FROM refund_applies WHERE order_id = ?`, []any{orderID}
	if orderGoodsID != 0 {
		query += ` AND order_goods_id = ?`
		args = append(args, orderGoodsID)
	}
	rows, err := s.q(ctx).query(query+` ORDER BY id`, args...)
	return scanAll(rows, err, func(r *sql.Rows) (*RefundApply, error) { return scanApply(r) })
}

// OpenApplies selects, in ListRefundApplies, the applications still
// open: applied for or in progress.
const OpenApplies = -2

// ListRefundApplies returns a page of all applications, newest first,
// with one status, the open ones (OpenApplies) or any (-1), and how many
// match.
func (s *Store) ListRefundApplies(ctx context.Context, status, page, pageSize int) ([]*RefundApply, int, error) {
	where, args := "1 = 1", []any{}
	switch {
	case status >= 0:
		where, args = "status = ?", []any{status}
	case status == OpenApplies:
		where, args = "status IN (?, ?)", []any{ApplyOpen, ApplyInProgress}
	}
	q := s.q(ctx)
	var total int
	if err := q.row(`SELECT COUNT(*) FROM refund_applies WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := q.query(`SELECT `+applyColumns+` FROM refund_applies WHERE `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(args, pageSize, (page-1)*pageSize)...)
	as, err := scanAll(rows, err, func(r *sql.Rows) (*RefundApply, error) { return scanApply(r) })
	return as, total, err
}

// CancelRefund withdraws the buyer's open (not yet approved) applications
// of an order, or of one line of it, and reports how many.
func (s *Store) CancelRefund(ctx context.Context, userID, orderID, orderGoodsID int64) (int64, error) {
	var n int64
	err := s.change(ctx, userID, orderID, func(q q, o *Order) error {
		query, args := `UPDATE refund_applies SET status = ?, date_update = ? WHERE order_id = ? AND status = ?`,
			[]any{ApplyWithdrawn, s.stamp(), o.ID, ApplyOpen}
		if orderGoodsID != 0 {
			query += ` AND order_goods_id = ?`
			args = append(args, orderGoodsID)
		}
		var err error
		n, err = q.update(query, args...)
		if err == nil && n == 0 {
			err = fail(Conflict, "没有可撤销的售后申请 (no open after-sale to withdraw)")
		}
		return err
	})
	return n, err
}

// SetBackLogistics records the waybill of goods the buyer sends back.
func (s *Store) SetBackLogistics(ctx context.Context, userID, orderID, applyID int64, content string) error {
	return s.change(ctx, userID, orderID, func(q q, o *Order) error {
		a, err := s.apply(q, applyID, true)
		if err != nil {
			return err
		}
		if a.OrderID != o.ID || a.Type != TypeReturn || (a.Status != ApplyOpen && a.Status != ApplyInProgress) {
			return fail(Conflict, "该售后申请不需要寄回商品 (after-sale %d takes no return waybill)", applyID)
		}
		_, err = q.exec(`UPDATE refund_applies SET logistics_content = ?, status2 = 2, date_update = ? WHERE id = ?`,
			content, s.stamp(), a.ID)
		return err
	})
}

// RefuseRefund refuses an open application. An application in progress
// whose refund never reached WeChat — WeChat refused it, the SDK refused
// to send it, or absentAtWeChat: a refund query found no such refund —
// can be refused too, so that it does not stay in progress for ever.
func (s *Store) RefuseRefund(ctx context.Context, applyID int64, remark string, absentAtWeChat bool) (*RefundApply, error) {
	if err := CheckText("remark", "拒绝原因", remark, 500); err != nil {
		return nil, err
	}
	err := s.tx(ctx, func(q q) error {
		n, err := q.update(`UPDATE refund_applies SET status = ?, merchant_remark = ?, date_update = ? WHERE id = ? AND status = ?`,
			ApplyRefused, remark, s.stamp(), applyID, ApplyOpen)
		if err != nil || n > 0 {
			return err
		}
		a, err := s.apply(q, applyID, true)
		if err != nil {
			return err
		}
		if a.Status == ApplyInProgress && a.WxAmount > 0 && (a.RefundAccepted == -1 || a.RefundAccepted == 0 && absentAtWeChat) {
			n, err := q.update(`UPDATE refund_applies SET status = ?, merchant_remark = ?, date_update = ? WHERE id = ? AND status = ? AND refund_accepted = ?`,
				ApplyRefused, remark, s.stamp(), applyID, ApplyInProgress, a.RefundAccepted)
			if err == nil && n == 0 {
				err = fail(Conflict, "售后申请状态已变化 (after-sale %d changed meanwhile)", applyID)
			}
			return err
		}
		if a.Status == ApplyInProgress && a.RefundAccepted == 1 {
			return fail(Conflict, "微信支付已受理该退款，不能再拒绝 (WeChat accepted the refund of after-sale %d)", applyID)
		}
		return fail(Conflict, "只有待处理、或退款未被微信受理的售后申请可以拒绝 (after-sale %d cannot be refused)", applyID)
	})
	if err != nil {
		return nil, err
	}
	return s.apply(s.q(ctx), applyID, false)
}

// RefundSent records the outcome of a refund request: accepted by WeChat
// (1), refused by WeChat or by the SDK before sending (-1), or unknown
// (0: the answer was lost), with the reason of a failure.
func (s *Store) RefundSent(ctx context.Context, applyID int64, accepted int, msg string) error {
	_, err := s.w(ctx).exec(`UPDATE refund_applies SET refund_accepted = ?, refund_error = ?, date_update = ? WHERE id = ? AND status = ?`,
		accepted, msg, s.stamp(), applyID, ApplyInProgress)
	return err
}

// RefundsToReconcile returns up to limit applications waiting for a
// WeChat refund, approved before approvedBefore and not checked since
// checkedBefore, least recently checked first.
func (s *Store) RefundsToReconcile(ctx context.Context, approvedBefore, checkedBefore time.Time, limit int) ([]*RefundApply, error) {
	rows, err := s.q(ctx).query(`SELECT `+applyColumns+` FROM refund_applies
		WHERE status = ? AND wx_amount > 0 AND refund_accepted >= 0 AND date_update <= ? AND date_checked <= ?
		ORDER BY date_checked, id LIMIT ?`, ApplyInProgress, stampOf(approvedBefore), stampOf(checkedBefore), limit)
	return scanAll(rows, err, func(r *sql.Rows) (*RefundApply, error) { return scanApply(r) })
}

// MarkRefundChecked records that the reconciliation loop asked WeChat
// about an application's refund.
func (s *Store) MarkRefundChecked(ctx context.Context, applyID int64) error {
	_, err := s.w(ctx).exec(`UPDATE refund_applies SET date_checked = ? WHERE id = ?`, s.stamp(), applyID)
	return err
}

// CheckText fails with Invalid when v cannot travel in WeChat Pay's XML
// (invalid UTF-8, control characters other than tab and newlines,
// U+FFFE/U+FFFF) or is longer than max characters. field is the
// parameter's name, label its name for the buyer.
func CheckText(field, label, v string, max int) error {
	if !utf8.ValidString(v) {
		return fail(Invalid, "%s含有无效字符 (%s is not valid UTF-8)", label, field)
	}
	n := 0
	for _, r := range v {
		n++
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f || r == 0xFFFE || r == 0xFFFF {
			return fail(Invalid, "%s含有不能使用的控制字符 %U (%s contains the control character %U)", label, r, field, r)
		}
	}
	if max > 0 && n > max {
		return fail(Invalid, "%s最多 %d 个字 (%s is longer than %d characters)", label, max, field, max)
	}
	return nil
}

// RefundPlan is an approved application whose money is still to go back
// through WeChat: Refund with these amounts, then wait for the notify.
type RefundPlan struct {
	Apply      *RefundApply
	OutTradeNo string    // the WeChat payment
	TotalFee   money.Fen // that payment's total, as WeChat's refund wants it
	RefundFee  money.Fen // the part refunded through WeChat
	Done       bool      // nothing goes through WeChat: the application is complete
}

// ApproveRefund approves an application and fixes where its money goes:
// the part of the order that a WeChat payment brought goes back to that
// payment (minus what earlier refunds of the order already took from it),
// the rest to the buyer's balance, where it came from. When nothing goes
// through WeChat — balance-paid orders, exchanges — the application
// completes at once. Approving an application that is still waiting for
// WeChat returns the same plan again, so the merchant can retry a refund
// that failed on the way with the same out_refund_no.
func (s *Store) ApproveRefund(ctx context.Context, applyID int64) (*RefundPlan, error) {
	plan := &RefundPlan{}
	err := s.tx(ctx, func(q q) error {
		a, err := s.apply(q, applyID, true)
		if err != nil {
			return err
		}
		switch {
		case a.Status == ApplyInProgress && a.WxAmount > 0:
			// retry: the plan was fixed by the first approval. The refund
			// is about to be sent again: its outcome is unknown until
			// WeChat answers, so it cannot be refused meanwhile.
			if a.RefundAccepted == 1 {
				return fail(Conflict, "微信支付已受理该退款，正在等待结果 (WeChat accepted the refund; waiting for it)")
			}
			if _, err := q.exec(`UPDATE refund_applies SET refund_accepted = 0, date_update = ? WHERE id = ?`, s.stamp(), a.ID); err != nil {
				return err
			}
		case a.Status != ApplyOpen:
			return fail(Conflict, "售后申请已处理（%s）(after-sale %d is %d)", ApplyStatusText(a.Status), a.ID, a.Status)
		default:
			o, err := s.order(q, 0, a.OrderID, true)
			if err != nil {
				return err
			}
			var wxTaken money.Fen
			if err := q.row(`SELECT COALESCE(SUM(wx_amount), 0) FROM refund_applies WHERE order_id = ? AND status IN (?, ?)`,
				o.ID, ApplyInProgress, ApplyDone).Scan(&wxTaken); err != nil {
				return err
			}
			a.WxOutTradeNo = o.WxOutTradeNo
			a.WxAmount = max(0, min(a.Amount, o.WxPaid-wxTaken))
			a.BalanceAmount = a.Amount - a.WxAmount
			a.OutRefundNo = fmt.Sprintf("R%s_%d", o.OrderNumber, a.ID)
			n, err := q.update(`UPDATE refund_applies SET status = ?, out_refund_no = ?, wx_out_trade_no = ?, wx_amount = ?,
				balance_amount = ?, date_update = ? WHERE id = ? AND status = ?`,
				ApplyInProgress, a.OutRefundNo, a.WxOutTradeNo, a.WxAmount, a.BalanceAmount, s.stamp(), a.ID, ApplyOpen)
			if err != nil {
				return err
			}
			if n == 0 {
				return fail(Conflict, "售后申请状态已变化 (after-sale %d changed meanwhile)", a.ID)
			}
			a.Status = ApplyInProgress
			if a.WxAmount == 0 {
				plan.Done = true
				return s.finishRefund(q, a, "")
			}
		}
		p, err := s.wxPayment(q, "out_trade_no", a.WxOutTradeNo, false)
		if err != nil {
			return err
		}
		plan.OutTradeNo, plan.TotalFee, plan.RefundFee = p.OutTradeNo, p.Money, a.WxAmount
		return nil
	})
	if err != nil {
		return nil, err
	}
	plan.Apply, err = s.apply(s.q(ctx), applyID, false)
	return plan, err
}

// finishRefund completes an application in progress: the balance part is
// credited, the refunded amounts are recorded on the line, the order and
// the payment, and an order refunded in full is closed.
func (s *Store) finishRefund(q q, a *RefundApply, refundID string) error {
	n, err := q.update(`UPDATE refund_applies SET status = ?, refund_id = ?, refund_status = 'SUCCESS', date_update = ?
		WHERE id = ? AND status = ?`, ApplyDone, refundID, s.stamp(), a.ID, ApplyInProgress)
	if err != nil || n == 0 {
		return err // n == 0: completed before; nothing to do twice
	}
	if err := s.moveBalance(q, a.UserID, a.BalanceAmount, -a.Amount, "refund", a.OutRefundNo); err != nil {
		return err
	}
	if _, err := q.exec(`UPDATE order_goods SET refunded = refunded + ? WHERE id = ?`, a.Amount, a.OrderGoodsID); err != nil {
		return err
	}
	if _, err := q.exec(`UPDATE orders SET amount_refunded = amount_refunded + ?, date_update = ? WHERE id = ?`,
		a.Amount, s.stamp(), a.OrderID); err != nil {
		return err
	}
	if a.WxAmount > 0 {
		if _, err := q.exec(`UPDATE wx_payments SET refunded = refunded + ? WHERE out_trade_no = ?`, a.WxAmount, a.WxOutTradeNo); err != nil {
			return err
		}
	}
	o, err := s.order(q, 0, a.OrderID, false)
	if err != nil {
		return err
	}
	if a.Amount > 0 {
		if err := s.log(q, o.ID, LogRefund); err != nil {
			return err
		}
	}
	if a.Amount > 0 && o.AmountRefunded == o.AmountReal && o.Status != StatusClosed {
		return s.setStatus(q, o, StatusClosed, LogClose)
	}
	return nil
}

// RefundNotice is what the shop takes from a decrypted refund notify.
type RefundNotice struct {
	OutTradeNo   string
	TotalFee     money.Fen // of the payment
	OutRefundNo  string
	RefundID     string
	RefundFee    money.Fen
	RefundStatus string // SUCCESS, CHANGE or REFUNDCLOSE
}

// CompleteRefund applies a refund notify. A SUCCESS completes the
// application (once: a repeated notify changes nothing); CHANGE and
// REFUNDCLOSE are recorded and leave it in progress for the merchant.
func (s *Store) CompleteRefund(ctx context.Context, n RefundNotice) (*RefundApply, error) {
	var id int64
	err := s.tx(ctx, func(q q) error {
		if err := q.row(`SELECT id FROM refund_applies WHERE out_refund_no = ?`, n.OutRefundNo).Scan(&id); err != nil {
			return fmt.Errorf("store: refund notify for unknown out_refund_no %q: %w", n.OutRefundNo, err)
		}
		a, err := s.apply(q, id, true)
		if err != nil {
			return err
		}
		if a.Status == ApplyDone {
			return nil
		}
		if a.Status != ApplyInProgress {
			return fmt.Errorf("store: refund notify for after-sale %d in status %d", a.ID, a.Status)
		}
		if n.RefundStatus != "SUCCESS" {
			_, err := q.exec(`UPDATE refund_applies SET refund_status = ?, refund_id = ?, refund_accepted = 1, date_update = ? WHERE id = ?`,
				n.RefundStatus, n.RefundID, s.stamp(), a.ID)
			return err
		}
		// req_info is AES-ECB without integrity and the envelope is not
		// signed: before money moves, the refund must be the one the shop
		// asked for, of this payment, for this amount.
		if n.RefundFee != a.WxAmount {
			return fmt.Errorf("store: refund %s was for %s yuan, notify says %s", a.OutRefundNo, a.WxAmount, n.RefundFee)
		}
		if n.OutTradeNo != a.WxOutTradeNo {
			return fmt.Errorf("store: refund %s is of payment %s, notify says %s", a.OutRefundNo, a.WxOutTradeNo, n.OutTradeNo)
		}
		p, err := s.wxPayment(q, "out_trade_no", a.WxOutTradeNo, false)
		if err != nil {
			return err
		}
		if !p.Paid || n.TotalFee != p.Money {
			return fmt.Errorf("store: refund %s: payment %s is for %s yuan (paid %v), notify says %s",
				a.OutRefundNo, p.OutTradeNo, p.Money, p.Paid, n.TotalFee)
		}
		return s.finishRefund(q, a, n.RefundID)
	})
	if err != nil {
		return nil, err
	}
	return s.apply(s.q(ctx), id, false)
}
