package wxpay

import (
	"context"
	"time"
)

// TradeState is the payment state of an order, the trade_state of an
// order query. A query's result_code SUCCESS only means the query worked;
// the order is paid when TradeState is TradeStateSuccess.
type TradeState string

// The trade states of order query.
const (
	TradeStateSuccess    TradeState = "SUCCESS"    // paid
	TradeStateRefund     TradeState = "REFUND"     // a refund was started
	TradeStateNotPay     TradeState = "NOTPAY"     // not paid yet
	TradeStateClosed     TradeState = "CLOSED"     // closed
	TradeStateRevoked    TradeState = "REVOKED"    // reversed (payment code)
	TradeStateUserPaying TradeState = "USERPAYING" // payer entering the password (payment code)
	TradeStatePayError   TradeState = "PAYERROR"   // failed, e.g. at the bank
	TradeStateAccept     TradeState = "ACCEPT"     // accepted, awaiting debit
)

// OrderQueryRequest names the order to query, by WeChat's TransactionID or
// the merchant's OutTradeNo. When both are set only TransactionID is sent,
// the one WeChat would use anyway.
type OrderQueryRequest struct {
	TransactionID string // transaction_id, at most 32 characters
	OutTradeNo    string // out_trade_no, at most 32 characters
}

func (r *OrderQueryRequest) build(b *request) { b.oneOf(orderIDs(r.TransactionID, r.OutTradeNo)...) }

// OrderQueryResponse is the answer to an order query. The payment fields
// (bank, fees, coupons, TimeEnd) are meaningful only when TradeState is
// TradeStateSuccess or a later state of a paid order (TradeStateRefund).
type OrderQueryResponse struct {
	DeviceInfo         string
	OpenID             string
	IsSubscribe        string // "Y" or "N": whether the payer follows the official account
	TradeType          TradeType
	TradeState         TradeState
	BankType           string
	TotalFee           int64 // fen
	SettlementTotalFee int64 // fen: TotalFee less NO_CASH coupons
	FeeType            string
	CashFee            int64 // fen
	CashFeeType        string
	CouponFee          int64 // fen
	Coupons            []Coupon
	TransactionID      string
	OutTradeNo         string
	Attach             string
	TimeEnd            time.Time // Beijing time; zero when the order is not paid
	TradeStateDesc     string

	Raw Params // the whole verified response
}

func newOrderQueryResponse(p Params) (*OrderQueryResponse, error) {
	coupons, err := parseCoupons(p)
	if err != nil {
		return nil, err
	}
	r := fieldReader{p: p}
	resp := &OrderQueryResponse{
		DeviceInfo:         p["device_info"],
		OpenID:             p["openid"],
		IsSubscribe:        p["is_subscribe"],
		TradeType:          TradeType(p["trade_type"]),
		TradeState:         TradeState(p["trade_state"]),
		BankType:           p["bank_type"],
		TotalFee:           r.fen("total_fee"),
		SettlementTotalFee: r.fen("settlement_total_fee"),
		FeeType:            p["fee_type"],
		CashFee:            r.fen("cash_fee"),
		CashFeeType:        p["cash_fee_type"],
		CouponFee:          r.fen("coupon_fee"),
		Coupons:            coupons,
		TransactionID:      p["transaction_id"],
		OutTradeNo:         p["out_trade_no"],
		Attach:             p["attach"],
		TimeEnd:            r.time("time_end", timeLayoutCompact),
		TradeStateDesc:     p["trade_state_desc"],
		Raw:                p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return resp, nil
}

// OrderQuery asks WeChat for the state of an order: when the payment
// notify is late or lost, after an unclear unified-order or system error,
// and before closing an order. The payment succeeded only if
// resp.TradeState is TradeStateSuccess; an order WeChat does not know is
// an *Error with ErrCode ErrCodeOrderNotExist.
func (c *Client) OrderQuery(ctx context.Context, r *OrderQueryRequest) (*OrderQueryResponse, error) {
	return send(ctx, c, endpoint{path: "/pay/orderquery", idempotent: true}, r, newOrderQueryResponse)
}

// CloseOrderRequest names the unpaid order to close.
type CloseOrderRequest struct {
	OutTradeNo string // the merchant's order number, at most 32 characters
}

func (r *CloseOrderRequest) build(b *request) { b.need("out_trade_no", r.OutTradeNo, 32) }

// CloseOrderResponse is WeChat's confirmation that the order is closed.
type CloseOrderResponse struct {
	ResultMsg string // result_msg, when WeChat sends one
	Raw       Params // the whole verified response
}

func newCloseOrderResponse(p Params) (*CloseOrderResponse, error) {
	return &CloseOrderResponse{ResultMsg: p["result_msg"], Raw: p}, nil
}

// CloseOrder closes an unpaid order, so that it can no longer be paid:
// when the payment window ends, or before ordering again under a new
// number. WeChat refuses to close an order in its first 5 minutes. An
// order that was paid in the meantime is an *Error with ErrCode
// ErrCodeOrderPaid, to be treated as paid; ErrCodeOrderClosed means it
// already is closed.
func (c *Client) CloseOrder(ctx context.Context, r *CloseOrderRequest) (*CloseOrderResponse, error) {
	return send(ctx, c, endpoint{path: "/pay/closeorder", idempotent: true}, r, newCloseOrderResponse)
}
