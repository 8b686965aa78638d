package wxpay

import (
	"context"
	"strings"
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

func (r *OrderQueryRequest) params() ([]field, error) {
	if r == nil {
		return nil, &ValidationError{Field: "request", Reason: "is nil"}
	}
	p, err := oneOf(orderIDs(r.TransactionID, r.OutTradeNo)...)
	return fieldsOf(p), err
}

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
// an *Error with ErrCode "ORDERNOTEXIST".
func (c *Client) OrderQuery(ctx context.Context, r *OrderQueryRequest) (*OrderQueryResponse, error) {
	return send(ctx, c, endpoint{path: "/pay/orderquery", retry: true}, r.params, newOrderQueryResponse)
}

// CloseOrder closes the unpaid order outTradeNo, so that it can no longer
// be paid: when the payment window ends, or before ordering again under a
// new number. WeChat refuses to close an order in its first 5 minutes.
// An order that was paid in the meantime is an *Error with ErrCode
// "ORDERPAID", to be treated as paid; "ORDERCLOSED" means it already is
// closed.
func (c *Client) CloseOrder(ctx context.Context, outTradeNo string) error {
	req, err := oneOf(textField{"out_trade_no", outTradeNo, 32})
	if err != nil {
		return err
	}
	_, err = c.call(ctx, endpoint{path: "/pay/closeorder", retry: true}, req)
	return err
}

// textField is a request field with its documented String(max) length.
type textField struct {
	name  string // wire name
	value string
	max   int
}

// orderIDs are the two ids of an order, in WeChat's order of preference.
func orderIDs(transactionID, outTradeNo string) []textField {
	return []textField{{"transaction_id", transactionID, 32}, {"out_trade_no", outTradeNo, 32}}
}

// oneOf returns the wire Params of the first id that is set: the ids are
// listed in WeChat's order of precedence, so the one sent is the one
// WeChat would have used. None set is a *ValidationError naming them all.
func oneOf(ids ...textField) (Params, error) {
	for _, id := range ids {
		if id.value != "" {
			p := make(Params, 8) // room for a refund's fields
			if err := setText(p, id); err != nil {
				return nil, err
			}
			return p, nil
		}
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.name
	}
	return nil, &ValidationError{Field: strings.Join(names, " or "), Reason: "is required"}
}

// wireFields returns the fields of a request that have a value, and
// extra: what the pipeline sends, built without a map.
func wireFields(fields []textField, extra ...field) []field {
	n := len(extra)
	for _, f := range fields {
		if f.value != "" {
			n++
		}
	}
	out := make([]field, 0, n)
	for _, f := range fields {
		if f.value != "" {
			out = append(out, field{f.name, f.value})
		}
	}
	return append(out, extra...)
}

// newParams returns an empty request sized for the set fields among
// fields and extra more: a map made to measure is allocated once and
// never grows, and one of at most eight fields is Go's cheapest kind.
func newParams(fields []textField, extra int) Params {
	n := extra
	for _, f := range fields {
		if f.value != "" {
			n++
		}
	}
	return make(Params, n)
}

// setText sets the fields that have a value, leaving empty ones out of
// the message rather than sending empty elements, and checks their
// lengths.
func setText(p Params, fields ...textField) error {
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		if err := checkLen(f.name, f.value, f.max); err != nil {
			return err
		}
		p[f.name] = f.value
	}
	return nil
}
