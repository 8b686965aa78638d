package wxpaytest

import (
	"fmt"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wxpay-go/wxpay"
)

// refund is one refund of a paid order.
type refund struct {
	order       *order
	outRefundNo string
	refundID    string
	fee         int64                // refund_fee
	cashFee     int64                // the part refunded in cash
	coupons     []wxpay.CouponRefund // the part refunded to coupons
	account     string               // refund_account
	desc        string               // refund_desc
	notifyURL   string
	status      wxpay.RefundStatus
	created     time.Time
	succeeded   time.Time
	settleSeq   int // orders the success among the server's events (fund flow ids)
}

const (
	refundAccountUnsettled = "REFUND_SOURCE_UNSETTLED_FUNDS"
	refundAccountRecharge  = "REFUND_SOURCE_RECHARGE_FUNDS"
)

// live reports whether the refund takes money from the order: all but a
// closed (failed) refund do.
func (rf *refund) live() bool { return rf.status != wxpay.RefundStatusClosed }

// refunded sums the order's live refunds: their fees and cash parts.
func (o *order) refunded() (fee, cash int64) {
	for _, rf := range o.refunds {
		if rf.live() {
			fee += rf.fee
			cash += rf.cashFee
		}
	}
	return fee, cash
}

func (s *Server) refund(p wxpay.Params) answer {
	// WeChat rejects these at the request layer: return_code FAIL with
	// "invalid refund_fee" when the refund exceeds the order's total.
	refundFee, ok := parsePositive(p["refund_fee"])
	if !ok {
		return reject("invalid refund_fee")
	}
	totalFee, ok := parsePositive(p["total_fee"])
	if !ok {
		return reject("invalid total_fee")
	}
	if refundFee > totalFee {
		return reject("invalid refund_fee")
	}
	no := p["out_refund_no"]
	if !validOutNo(no, 1, 64) {
		return badFormat("out_refund_no")
	}
	switch p["refund_account"] {
	case "", refundAccountUnsettled, refundAccountRecharge:
	default:
		return badFormat("refund_account")
	}
	if u := p["notify_url"]; u != "" && !validNotifyURL(u) {
		return badFormat("notify_url")
	}
	if utf8.RuneCountInString(p["refund_desc"]) > 80 {
		return reject("refund_desc参数长度有误")
	}

	o := s.findOrder(p)
	if o == nil || o.transactionID == "" {
		return refuse("ORDERNOTEXIST", "订单不存在")
	}
	if o.state == wxpay.TradeStateRevoked {
		return refuse("INVALID_REQUEST", "订单已撤销, 款项已退回用户")
	}
	// The business codes below are those WeChat is seen to answer: an
	// amount that differs from an earlier request with the same
	// out_refund_no (or from the order) is REFUND_FEE_MISMATCH; a refund
	// that would take the order's refunds over its total is
	// INVALID_REQUEST; a fully refunded order is ERROR.
	const mismatch = "订单金额或退款金额与之前请求不一致,请核实后再试"
	if rf := s.st.refunds[no]; rf != nil {
		if rf.order != o {
			return refuse("INVALID_REQUEST", "商户退款单号"+no+"已用于其他订单")
		}
		if rf.fee != refundFee || totalFee != o.totalFee {
			return refuse("REFUND_FEE_MISMATCH", mismatch)
		}
		return success(rf.fields()) // the same refund again: done once
	}
	if totalFee != o.totalFee {
		return refuse("REFUND_FEE_MISMATCH", mismatch)
	}
	refunded, cashRefunded := o.refunded()
	if refunded >= o.totalFee {
		return refuse("ERROR", "订单已全额退款")
	}
	if refunded+refundFee > o.totalFee {
		return refuse("INVALID_REQUEST", "refund_fee大于可退金额")
	}

	now := s.cfg.now()
	rf := &refund{
		order:       o,
		outRefundNo: no,
		refundID:    s.newID("50300", now, 29),
		fee:         refundFee,
		account:     p["refund_account"],
		desc:        p["refund_desc"],
		notifyURL:   p["notify_url"],
		status:      wxpay.RefundStatusProcessing,
		created:     now,
	}
	if rf.account == "" {
		rf.account = refundAccountUnsettled
	}
	// Cash and coupons are refunded in proportion: the cash refunded so
	// far is always floor(refunded × cash_fee / total_fee), so that the
	// last refund makes both parts whole.
	rf.cashFee = mulDiv(refunded+refundFee, o.cashFee, o.totalFee) - cashRefunded
	rf.coupons = o.couponRefunds(refundFee - rf.cashFee)

	s.st.refunds[no] = rf
	s.st.byRefundID[rf.refundID] = rf
	o.refunds = append(o.refunds, rf)
	o.state = wxpay.TradeStateRefund
	ans := success(rf.fields())
	if !s.cfg.manualRefunds {
		ans.notify = s.settle(rf, wxpay.RefundStatusSuccess)
	}
	return ans
}

// couponRefunds spreads amount over the order's coupons, each up to what
// is left of it.
func (o *order) couponRefunds(amount int64) []wxpay.CouponRefund {
	var out []wxpay.CouponRefund
	for _, c := range o.pay.Coupons {
		left := c.Fee
		for _, rf := range o.refunds {
			for _, cr := range rf.coupons {
				if rf.live() && cr.ID == c.ID {
					left -= cr.Fee
				}
			}
		}
		if take := min(left, amount); take > 0 {
			out = append(out, wxpay.CouponRefund{Type: c.Type, ID: c.ID, Fee: take})
			amount -= take
		}
	}
	return out
}

// mulDiv returns a×b/c for a ≤ c, without overflow.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

func (rf *refund) couponFee() (all, noCash int64) {
	for _, c := range rf.coupons {
		all += c.Fee
		if c.Type == "NO_CASH" {
			noCash += c.Fee
		}
	}
	return all, noCash
}

// ids are the fields every message about the refund starts from.
func (rf *refund) ids() wxpay.Params {
	o := rf.order
	p := wxpay.Params{
		"transaction_id": o.transactionID,
		"out_trade_no":   o.req["out_trade_no"],
		"out_refund_no":  rf.outRefundNo,
		"refund_id":      rf.refundID,
		"refund_fee":     fen(rf.fee),
		"total_fee":      fen(o.totalFee),
	}
	o.addSettlementTotal(p)
	return p
}

// fields is the refund's answer to the refund request.
func (rf *refund) fields() wxpay.Params {
	o := rf.order
	all, noCash := rf.couponFee()
	p := rf.ids()
	p["fee_type"] = o.feeType()
	p["cash_fee"] = fen(o.cashFee)
	p["cash_refund_fee"] = fen(rf.cashFee)
	p["coupon_refund_fee"] = fen(all)
	p["coupon_refund_count"] = strconv.Itoa(len(rf.coupons))
	for i, c := range rf.coupons {
		n := "_" + strconv.Itoa(i)
		setIf(p, "coupon_type"+n, string(c.Type))
		p["coupon_refund_id"+n] = c.ID
		p["coupon_refund_fee"+n] = fen(c.Fee)
	}
	if _, ok := p["settlement_total_fee"]; ok {
		p["settlement_refund_fee"] = fen(rf.fee - noCash)
	}
	return p
}

func (s *Server) refundQuery(p wxpay.Params) answer {
	offset, paged := 0, p["offset"] != ""
	if paged {
		n, err := strconv.Atoi(p["offset"])
		if err != nil || n < 0 {
			return badFormat("offset")
		}
		offset = n
	}
	var o *order
	var list []*refund // newest first
	switch {
	case p["refund_id"] != "" || p["out_refund_no"] != "":
		rf := s.st.byRefundID[p["refund_id"]]
		if p["refund_id"] == "" {
			rf = s.st.refunds[p["out_refund_no"]]
		}
		if rf != nil && rf.order.ownedBy(p) {
			o, list = rf.order, []*refund{rf}
		}
	default:
		if o = s.findOrder(p); o != nil {
			for i := len(o.refunds) - 1; i >= 0; i-- {
				list = append(list, o.refunds[i])
			}
		}
	}
	if len(list) == 0 {
		return refuse("REFUNDNOTEXIST", "not exist")
	}
	if offset >= len(list) {
		return refuse("PARAM_ERROR", "offset参数错误")
	}
	page := list[offset:min(offset+10, len(list))]
	q := wxpay.Params{
		"transaction_id": o.transactionID,
		"out_trade_no":   o.req["out_trade_no"],
		"total_fee":      fen(o.totalFee),
		"fee_type":       o.feeType(),
		"cash_fee":       fen(o.cashFee),
		"refund_count":   strconv.Itoa(len(page)),
	}
	o.addSettlementTotal(q)
	if paged {
		q["total_refund_count"] = strconv.Itoa(len(list))
	}
	for i, rf := range page {
		rf.addQueryFields(q, "_"+strconv.Itoa(i))
	}
	return success(q)
}

// addQueryFields adds the refund to a refund query answer as the fields
// suffixed n ("_0", "_1"…).
func (rf *refund) addQueryFields(q wxpay.Params, n string) {
	all, noCash := rf.couponFee()
	q["out_refund_no"+n] = rf.outRefundNo
	q["refund_id"+n] = rf.refundID
	q["refund_channel"+n] = "ORIGINAL"
	q["refund_fee"+n] = fen(rf.fee)
	q["settlement_refund_fee"+n] = fen(rf.fee - noCash)
	q["coupon_refund_fee"+n] = fen(all)
	q["coupon_refund_count"+n] = strconv.Itoa(len(rf.coupons))
	for m, c := range rf.coupons {
		nm := n + "_" + strconv.Itoa(m)
		setIf(q, "coupon_type"+nm, string(c.Type))
		q["coupon_refund_id"+nm] = c.ID
		q["coupon_refund_fee"+nm] = fen(c.Fee)
	}
	q["refund_status"+n] = string(rf.status)
	q["refund_account"+n] = rf.account
	q["refund_recv_accout"+n] = rf.order.recvAccount() // [sic], as on the wire
	if rf.status == wxpay.RefundStatusSuccess {
		q["refund_success_time"+n] = rf.succeeded.In(wxpay.Beijing()).Format("2006-01-02 15:04:05")
	}
}

// recvAccount is where a refund of the order goes back to.
func (o *order) recvAccount() string {
	if o.pay.BankType == "CFT" {
		return "支付用户零钱"
	}
	return "支付用户银行卡"
}

// settle ends a PROCESSING refund with status and returns its notify, or
// nil when neither the refund nor the server has a refund notify URL.
func (s *Server) settle(rf *refund, status wxpay.RefundStatus) *delivery {
	rf.status = status
	if status == wxpay.RefundStatusSuccess {
		rf.succeeded = s.cfg.now()
		s.st.seq++
		rf.settleSeq = s.st.seq
	}
	url := rf.notifyURL
	if url == "" {
		url = s.cfg.refundNotifyURL
	}
	if url == "" {
		return nil
	}
	return &delivery{
		kind: RefundNotify, url: url, outTradeNo: rf.order.req["out_trade_no"], outRefundNo: rf.outRefundNo,
		body: s.refundNotifyBody(rf, s.notifyKeyLocked(s.merchantOf(rf.order))),
	}
}

// notifyFields are the fields of the refund notify's encrypted req_info.
// Unlike the answers, the notify always has settlement_total_fee, coupons
// or not, as both genuine refund notifies in other SDKs' fixtures do.
func (rf *refund) notifyFields() wxpay.Params {
	_, noCash := rf.couponFee()
	_, orderNoCash := rf.order.couponFee()
	p := rf.ids()
	p["settlement_total_fee"] = fen(rf.order.totalFee - orderNoCash)
	p["settlement_refund_fee"] = fen(rf.fee - noCash)
	p["refund_status"] = string(rf.status)
	p["refund_recv_accout"] = rf.order.recvAccount() // [sic]
	p["refund_account"] = rf.account
	p["refund_request_source"] = "API"
	if rf.status == wxpay.RefundStatusSuccess {
		p["success_time"] = rf.succeeded.In(wxpay.Beijing()).Format("2006-01-02 15:04:05")
	}
	return p
}

// CompleteRefund makes the PROCESSING refund outRefundNo succeed and
// delivers its notify. Only needed with WithManualRefunds.
func (s *Server) CompleteRefund(outRefundNo string) error {
	return s.finishRefund(outRefundNo, wxpay.RefundStatusSuccess)
}

// FailRefund ends the PROCESSING refund outRefundNo with status
// wxpay.RefundStatusChange (the money could not reach the payer's account)
// or wxpay.RefundStatusClosed (the refund was closed; its amount may be
// refunded again), and delivers its notify. Only needed with
// WithManualRefunds.
func (s *Server) FailRefund(outRefundNo string, status wxpay.RefundStatus) error {
	if status != wxpay.RefundStatusChange && status != wxpay.RefundStatusClosed {
		return fmt.Errorf("wxpaytest: FailRefund: status %q is not CHANGE or REFUNDCLOSE", status)
	}
	return s.finishRefund(outRefundNo, status)
}

func (s *Server) finishRefund(outRefundNo string, status wxpay.RefundStatus) error {
	s.mu.Lock()
	rf := s.st.refunds[outRefundNo]
	var d *delivery
	var err error
	switch {
	case rf == nil:
		err = fmt.Errorf("%w: refund %q", ErrNotFound, outRefundNo)
	case rf.status != wxpay.RefundStatusProcessing:
		err = fmt.Errorf("%w: refund %q is %s, not PROCESSING", ErrState, outRefundNo, rf.status)
	default:
		d = s.settle(rf, status)
	}
	s.mu.Unlock()
	if d != nil {
		s.startNotify(d)
	}
	s.persist()
	return err
}

func fen(n int64) string { return strconv.FormatInt(n, 10) }
