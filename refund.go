package wxpay

import (
	"context"
	"fmt"
	"time"
)

// RefundStatus is the state of one refund.
type RefundStatus string

// The refund states of refund query and the refund notify.
const (
	RefundStatusSuccess    RefundStatus = "SUCCESS"
	RefundStatusProcessing RefundStatus = "PROCESSING"
	RefundStatusChange     RefundStatus = "CHANGE" // failed abnormally: the money needs a manual transfer
	RefundStatusClosed     RefundStatus = "REFUNDCLOSE"
)

// RefundAccount names the funds a refund is paid from, for merchants on
// the old fund flow.
type RefundAccount string

// The values of RefundRequest.RefundAccount and RefundInfo.RefundAccount.
const (
	RefundAccountUnsettled RefundAccount = "REFUND_SOURCE_UNSETTLED_FUNDS" // unsettled funds, WeChat's default
	RefundAccountRecharge  RefundAccount = "REFUND_SOURCE_RECHARGE_FUNDS"  // the available balance
)

// RefundRequest asks for a refund of (part of) a paid order. OutRefundNo
// makes it idempotent: WeChat refunds one out_refund_no once, so a refund
// whose outcome is unknown (a timeout, SYSTEMERROR) must be sent again
// with the same OutRefundNo and amounts, never under a new number.
type RefundRequest struct {
	// The order, by WeChat's TransactionID or the merchant's OutTradeNo.
	// When both are set only TransactionID is sent, the one WeChat prefers.
	TransactionID string // at most 32 characters
	OutTradeNo    string // at most 32 characters

	OutRefundNo string // required, at most 64 characters of [0-9A-Za-z_-|*@]

	TotalFee  int64 // fen, the order's total_fee
	RefundFee int64 // fen, at most TotalFee; all refunds of an order together too

	RefundFeeType string        // optional, default "CNY"
	RefundDesc    string        // optional, at most 80 characters, shown to the payer
	RefundAccount RefundAccount // optional: RefundAccountUnsettled or RefundAccountRecharge
	NotifyURL     string        // optional: the refund notify URL, instead of the platform's setting
}

func (r *RefundRequest) build(b *request) {
	b.oneOf(orderIDs(r.TransactionID, r.OutTradeNo)...)
	b.need("out_refund_no", r.OutRefundNo, 64)
	b.outNo("out_refund_no", r.OutRefundNo, 1, 64)
	b.fen("total_fee", r.TotalFee)
	b.fen("refund_fee", r.RefundFee)
	if r.RefundFee > r.TotalFee {
		b.fail("refund_fee", fmt.Sprintf("is %d fen, more than total_fee %d", r.RefundFee, r.TotalFee))
	}
	b.text("refund_fee_type", r.RefundFeeType, 8)
	b.text("refund_desc", r.RefundDesc, 80)
	b.text("refund_account", string(r.RefundAccount), 30)
	b.text("notify_url", r.NotifyURL, 256)
	b.notifyURL("notify_url", r.NotifyURL)
}

// RefundResponse is WeChat's acceptance of a refund. The refund is not
// done yet: follow it with RefundQuery or the refund notify.
type RefundResponse struct {
	TransactionID       string
	OutTradeNo          string
	OutRefundNo         string
	RefundID            string // WeChat's refund number
	RefundFee           int64  // fen
	SettlementRefundFee int64  // fen: RefundFee less NO_CASH coupon refunds
	TotalFee            int64  // fen
	SettlementTotalFee  int64  // fen
	FeeType             string
	CashFee             int64 // fen
	CashFeeType         string
	CashRefundFee       int64 // fen
	CouponRefundFee     int64 // fen, all of CouponRefunds together
	CouponRefunds       []CouponRefund

	Raw Params // the whole verified response
}

// CouponRefund is one coupon's part of a refund: coupon_type, coupon_refund_id
// and coupon_refund_fee, indexed _$n in a refund and _$n_$m in a refund
// query.
type CouponRefund struct {
	Type CouponType // CouponCash or CouponNoCash; WeChat sometimes leaves it out
	ID   string
	Fee  int64 // fen
}

func newRefundResponse(p Params) (*RefundResponse, error) {
	coupons, err := parseCouponRefunds(p, "")
	if err != nil {
		return nil, err
	}
	r := fieldReader{p: p}
	resp := &RefundResponse{
		TransactionID:       p["transaction_id"],
		OutTradeNo:          p["out_trade_no"],
		OutRefundNo:         p["out_refund_no"],
		RefundID:            p["refund_id"],
		RefundFee:           r.fen("refund_fee"),
		SettlementRefundFee: r.fen("settlement_refund_fee"),
		TotalFee:            r.fen("total_fee"),
		SettlementTotalFee:  r.fen("settlement_total_fee"),
		FeeType:             p["fee_type"],
		CashFee:             r.fen("cash_fee"),
		CashFeeType:         p["cash_fee_type"],
		CashRefundFee:       r.fen("cash_refund_fee"),
		CouponRefundFee:     r.fen("coupon_refund_fee"),
		CouponRefunds:       coupons,
		Raw:                 p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return resp, nil
}

// parseCouponRefunds reads the coupons of one refund: coupon_refund_count
// and coupon_type, coupon_refund_id, coupon_refund_fee, all suffixed with n
// and the first three indexed beyond it. n is "" in a refund response and
// "_$n" for refund $n of a refund query, whose coupons are then _$n_$m.
func parseCouponRefunds(p Params, n string) ([]CouponRefund, error) {
	probe := []string{"coupon_refund_id", "coupon_refund_fee", "coupon_type"}
	return indexed(p, "coupon_refund_count"+n, n, probe, func(s string) (CouponRefund, error) {
		r := fieldReader{p: p}
		c := CouponRefund{Type: CouponType(p["coupon_type"+s]), ID: p["coupon_refund_id"+s], Fee: r.fen("coupon_refund_fee" + s)}
		return c, r.err
	})
}

// Refund asks WeChat to refund r.RefundFee of a paid order. It needs the
// merchant's client certificate (WithCertPEM, WithCertFiles, WithCertP12):
// without one it returns ErrNoCertificate before any network call.
//
// Success means the refund was accepted, not that the money moved; WeChat
// refunds at most 50 times per order and within a year of payment. On a
// timeout or an *Error whose Retryable reports true, send the same request
// again: the same OutRefundNo never refunds twice.
func (c *Client) Refund(ctx context.Context, r *RefundRequest) (*RefundResponse, error) {
	return send(ctx, c, endpoint{path: "/secapi/pay/refund", cert: true, idempotent: true}, r, newRefundResponse)
}

// RefundQueryRequest names what to list the refunds of: one refund, by
// RefundID or OutRefundNo, or all refunds of an order, by TransactionID or
// OutTradeNo. When several are set only the first of RefundID,
// OutRefundNo, TransactionID, OutTradeNo is sent, WeChat's own order of
// precedence.
type RefundQueryRequest struct {
	TransactionID string // at most 32 characters
	OutTradeNo    string // at most 32 characters
	OutRefundNo   string // at most 64 characters
	RefundID      string // at most 32 characters

	// Offset pages through an order with more than 10 refunds: the
	// 0-based index of the first refund to list, 10 per answer. An offset
	// past the last refund is an *Error with ErrCode "PARAM_ERROR".
	Offset int
}

func (r *RefundQueryRequest) build(b *request) {
	b.oneOf(
		textField{"refund_id", r.RefundID, 32},
		textField{"out_refund_no", r.OutRefundNo, 64},
		textField{"transaction_id", r.TransactionID, 32},
		textField{"out_trade_no", r.OutTradeNo, 32},
	)
	b.number("offset", int64(r.Offset))
}

// RefundQueryResponse lists the refunds of an order.
type RefundQueryResponse struct {
	TransactionID      string
	OutTradeNo         string
	TotalFee           int64 // fen
	SettlementTotalFee int64 // fen
	FeeType            string
	CashFee            int64 // fen

	// TotalRefundCount is the number of refunds of the order, which WeChat
	// sends when the request has an Offset; 0 when it does not.
	TotalRefundCount int

	// Refunds in WeChat's order, the newest first. An index WeChat left
	// out is skipped, so there may be fewer than refund_count.
	Refunds []RefundInfo

	Raw Params // the whole verified response
}

// RefundInfo is one refund of a refund query: the fields suffixed _$n.
type RefundInfo struct {
	OutRefundNo         string
	RefundID            string
	RefundChannel       string // "ORIGINAL" (back to where the money came from) or "BALANCE"
	RefundFee           int64  // fen
	SettlementRefundFee int64  // fen
	CouponRefundFee     int64  // fen, all of CouponRefunds together
	CouponRefunds       []CouponRefund
	RefundStatus        RefundStatus
	RefundAccount       RefundAccount // RefundAccountUnsettled or RefundAccountRecharge
	RefundRecvAccount   string        // where the money went, e.g. a bank card or "支付用户零钱" (the payer's balance); refund_recv_accout on the wire
	RefundSuccessTime   time.Time     // Beijing time; zero until the refund succeeded
}

func newRefundQueryResponse(p Params) (*RefundQueryResponse, error) {
	probe := []string{"out_refund_no", "refund_id", "refund_fee", "refund_status"}
	refunds, err := indexed(p, "refund_count", "", probe, func(n string) (RefundInfo, error) {
		return newRefundInfo(p, n)
	})
	if err != nil {
		return nil, err
	}
	r := fieldReader{p: p}
	resp := &RefundQueryResponse{
		TransactionID:      p["transaction_id"],
		OutTradeNo:         p["out_trade_no"],
		TotalFee:           r.fen("total_fee"),
		SettlementTotalFee: r.fen("settlement_total_fee"),
		FeeType:            p["fee_type"],
		CashFee:            r.fen("cash_fee"),
		TotalRefundCount:   r.int("total_refund_count"),
		Refunds:            refunds,
		Raw:                p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return resp, nil
}

// newRefundInfo reads refund n (suffix "_$n") of a refund query.
func newRefundInfo(p Params, n string) (RefundInfo, error) {
	coupons, err := parseCouponRefunds(p, n)
	if err != nil {
		return RefundInfo{}, err
	}
	r := fieldReader{p: p}
	info := RefundInfo{
		OutRefundNo:         p["out_refund_no"+n],
		RefundID:            p["refund_id"+n],
		RefundChannel:       p["refund_channel"+n],
		RefundFee:           r.fen("refund_fee" + n),
		SettlementRefundFee: r.fen("settlement_refund_fee" + n),
		CouponRefundFee:     r.fen("coupon_refund_fee" + n),
		CouponRefunds:       coupons,
		RefundStatus:        RefundStatus(p["refund_status"+n]),
		RefundAccount:       RefundAccount(p["refund_account"+n]),
		RefundRecvAccount:   p["refund_recv_accout"+n],
		RefundSuccessTime:   r.time("refund_success_time"+n, timeLayoutDash),
	}
	return info, r.err
}

// RefundQuery lists the refunds of an order, or one refund, with their
// states: how to follow a refund when its notify is late or lost. A
// refund to the payer's balance usually succeeds within 20 minutes; to a
// bank card, query again after 3 working days.
func (c *Client) RefundQuery(ctx context.Context, r *RefundQueryRequest) (*RefundQueryResponse, error) {
	return send(ctx, c, endpoint{path: "/pay/refundquery", idempotent: true}, r, newRefundQueryResponse)
}
