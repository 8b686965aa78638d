package wxpay

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MicroPayRequest is a payment-code payment: the cashier scanned the
// code the payer shows in WeChat (AuthCode) and charges TotalFee at once.
// Body, OutTradeNo, TotalFee, SpbillCreateIP and AuthCode are required;
// empty strings and zero times are not sent.
type MicroPayRequest struct {
	DeviceInfo string // terminal or store id
	Body       string // goods description shown to the payer, at most 128 characters
	Detail     string // JSON {"goods_detail":[…]}, for single-item discounts
	Attach     string // echoed in the order query
	OutTradeNo string // the merchant's order number: 6–32 of [0-9A-Za-z_-|*@]

	TotalFee       int64  // in fen (0.01 CNY); must be positive
	FeeType        string // ISO 4217 currency; WeChat's default is CNY
	SpbillCreateIP string // the IP of the machine that calls the API

	GoodsTag string // coupon or discount tag
	LimitPay string // "no_credit" refuses credit cards

	// TimeStart and TimeExpire bound the order's validity; they are sent
	// in Beijing time whatever their location. Zero is not sent.
	TimeStart, TimeExpire time.Time

	Receipt       string // "Y" offers the payer an electronic invoice
	ProfitSharing string // "Y" if the payment will be shared (profit sharing)

	AuthCode  string // the scanned payment code: 18 digits today, at most 128 characters
	SceneInfo string // JSON store information: {"store_info":{"id":…,"name":…,…}}
}

func (r *MicroPayRequest) build(b *request) {
	b.text("device_info", r.DeviceInfo, 32)
	b.need("body", r.Body, 128)
	b.text("detail", r.Detail, 8192)
	b.text("attach", r.Attach, 128)
	b.need("out_trade_no", r.OutTradeNo, 32)
	b.outNo("out_trade_no", r.OutTradeNo, 6, 32)
	b.fen("total_fee", r.TotalFee)
	b.text("fee_type", r.FeeType, 16)
	b.need("spbill_create_ip", r.SpbillCreateIP, 64)
	b.ip("spbill_create_ip", r.SpbillCreateIP)
	b.text("goods_tag", r.GoodsTag, 32)
	b.text("limit_pay", r.LimitPay, 32)
	b.time("time_start", r.TimeStart)
	b.time("time_expire", r.TimeExpire)
	b.text("receipt", r.Receipt, 8)
	b.text("profit_sharing", r.ProfitSharing, 16)
	b.oneOfValues("profit_sharing", r.ProfitSharing, "Y", "N")
	b.need("auth_code", r.AuthCode, 128)
	b.text("scene_info", r.SceneInfo, 256)
	b.json("detail", r.Detail)
	b.json("scene_info", r.SceneInfo)
}

// MicroPayResponse is a completed payment-code payment. Its fields are
// those an order query of the paid order gives, with TradeState
// TradeStateSuccess, so that a payment confirmed by MicroPay itself and
// one confirmed by a later query (see PayByCode) look the same.
type MicroPayResponse struct {
	OrderQueryResponse
	PromotionDetail string // JSON of single-item discounts, when there are any
}

func newMicroPayResponse(p Params) (*MicroPayResponse, error) {
	if err := present(p, "transaction_id"); err != nil {
		return nil, err
	}
	q, err := newOrderQueryResponse(p)
	if err != nil {
		return nil, err
	}
	if q.TradeState == "" {
		// micropay's result_code SUCCESS is the payment's success; its
		// answer has no trade_state.
		q.TradeState = TradeStateSuccess
	}
	return &MicroPayResponse{OrderQueryResponse: *q, PromotionDetail: p["promotion_detail"]}, nil
}

// MicroPay submits a payment-code payment (POST /pay/micropay). A nil
// error means the payer was charged. An *Error whose Retryable method
// reports true (USERPAYING: the payer is entering a password; SYSTEMERROR,
// BANKERROR: the outcome is unknown), or a network error, leaves the
// payment open: it must be followed by order queries and, if it does not
// succeed, by Reverse, which PayByCode does. MicroPay is never resent by
// the client, whatever the retry policy.
func (c *Client) MicroPay(ctx context.Context, r *MicroPayRequest) (*MicroPayResponse, error) {
	return send(ctx, c, endpointMicroPay, r, newMicroPayResponse)
}

// endpointMicroPay is not idempotent: an uncertain outcome is settled by
// querying, never by resending.
var endpointMicroPay = endpoint{path: "/pay/micropay"}

// ReverseRequest names the payment-code order to reverse, by WeChat's
// TransactionID or the merchant's OutTradeNo; when both are set only
// TransactionID is sent.
type ReverseRequest struct {
	TransactionID string
	OutTradeNo    string
}

// ReverseResponse is WeChat's answer to a reversal.
type ReverseResponse struct {
	// Recall reports that the reversal is not finished and Reverse must
	// be called again (recall=Y).
	Recall bool
	Raw    Params // the whole verified response
}

// Reverse reverses a payment-code order (POST /secapi/pay/reverse, with
// the client certificate): an unpaid order is closed, a paid one is
// refunded in full. WeChat accepts it for orders up to 7 days old and asks
// that it be called only once a query has not given a clear result, no
// sooner than 15 seconds after MicroPay. When resp.Recall is true, call
// it again. Reverse is idempotent, so the client's retry policy applies.
func (c *Client) Reverse(ctx context.Context, r *ReverseRequest) (*ReverseResponse, error) {
	return send(ctx, c, endpoint{path: "/secapi/pay/reverse", cert: true, idempotent: true}, r, func(p Params) (*ReverseResponse, error) {
		return &ReverseResponse{Recall: p["recall"] == "Y", Raw: p}, nil
	})
}

func (r *ReverseRequest) build(b *request) { b.oneOf(orderIDs(r.TransactionID, r.OutTradeNo)...) }

// AuthCodeToOpenIDRequest names the payment code to look up.
type AuthCodeToOpenIDRequest struct {
	AuthCode string // the scanned payment code, at most 128 characters
}

func (r *AuthCodeToOpenIDRequest) build(b *request) { b.need("auth_code", r.AuthCode, 128) }

// AuthCodeToOpenIDResponse is the payer a payment code belongs to.
type AuthCodeToOpenIDResponse struct {
	OpenID string // the payer under the client's appid
	Raw    Params // the whole verified response
}

// AuthCodeToOpenID returns the openid, under the client's appid, of the
// payer who shows a payment code (POST /tools/authcodetoopenid), for
// example to look up a membership before charging.
func (c *Client) AuthCodeToOpenID(ctx context.Context, r *AuthCodeToOpenIDRequest) (*AuthCodeToOpenIDResponse, error) {
	return send(ctx, c, endpoint{path: "/tools/authcodetoopenid", idempotent: true}, r, func(p Params) (*AuthCodeToOpenIDResponse, error) {
		if err := present(p, "openid"); err != nil {
			return nil, err
		}
		return &AuthCodeToOpenIDResponse{OpenID: p["openid"], Raw: p}, nil
	})
}

// DefaultCodePayPoll returns the order-query schedule PayByCode follows
// when the payment is not settled at once: a query 5 seconds after
// MicroPay's answer and every 5 seconds after, for 30 seconds, as WeChat
// advises for payment codes; then the order is reversed. Each call
// returns a new slice.
func DefaultCodePayPoll() []time.Duration {
	return []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}
}

// DefaultCodePayReverseRetry returns the wait before each repeated
// Reverse while WeChat answers recall=Y or a transient error. Each call
// returns a new slice.
func DefaultCodePayReverseRetry() []time.Duration {
	return []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second, 5 * time.Second,
		5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}
}

// CodePayPolicy says how PayByCode waits for an open payment and how hard
// it tries to reverse one. The zero value is WeChat's advice for payment
// codes.
type CodePayPolicy struct {
	// Poll holds the wait before each order query; nil means
	// DefaultCodePayPoll. When it is used up (or the context ends) and
	// the order is not paid, it is reversed.
	Poll []time.Duration

	// ReverseRetry holds the wait before each repeated Reverse; nil means
	// DefaultCodePayReverseRetry.
	ReverseRetry []time.Duration

	// ReverseTimeout bounds the reversal, which runs even when the
	// caller's context has ended: an open payment-code order left behind
	// could still charge the payer. 0 means 30 seconds.
	ReverseTimeout time.Duration

	// Sleep waits for d, or until ctx ends, and then returns nil, or an
	// error to stop waiting; nil means a timer that also gives up at once
	// when ctx's deadline comes before d ends. Tests replace it to run the
	// schedule without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p *CodePayPolicy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	if !sleep(ctx, d) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return context.DeadlineExceeded
	}
	return nil
}

// CodePayError is PayByCode's error once a payment was submitted and not
// confirmed. Unless Unresolved is set, the payer was not charged (or, if
// Reversed, was refunded by the reversal): the cashier can ask for another
// code, under a new OutTradeNo.
type CodePayError struct {
	OutTradeNo string
	TradeState TradeState // the last state an order query gave; "" if none did
	Reversed   bool       // the order was reversed

	// Unresolved reports that the order could be neither confirmed nor
	// reversed: the payer may have been charged. Query the order later,
	// and refund it or hand over the goods.
	Unresolved bool

	// Err is the cause: MicroPay's refusal (an *Error), or the last error
	// of the payment, the queries or the reversal.
	Err error
}

// Error tells the order, its last known state and whether it was reversed.
func (e *CodePayError) Error() string {
	msg := "wxpay: payment-code order " + e.OutTradeNo + " not paid"
	if e.TradeState != "" {
		msg += " (state " + string(e.TradeState) + ")"
	}
	switch {
	case e.Unresolved:
		msg += ", and not reversed: outcome unknown"
	case e.Reversed:
		msg += ", reversed"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the failure that ended the payment, for errors.Is and errors.As.
func (e *CodePayError) Unwrap() error { return e.Err }

// errCodePayTimeout is the cause of a reversal after the polling schedule
// ran out with the payer still paying.
var errCodePayTimeout = errors.New("the payer did not complete the payment in time")

// errRecall reports a reversal WeChat still asked to repeat when the
// schedule ran out.
var errRecall = errors.New("reverse still answers recall=Y")

// PayByCode charges a payment code the way WeChat documents for cashiers:
// MicroPay; if the outcome is open (USERPAYING, SYSTEMERROR, BANKERROR, a
// network error or an answer that cannot be trusted) it queries the order
// on policy's schedule until it is paid, fails, or the schedule or ctx
// ends; an order still not paid then is reversed, repeating Reverse while
// WeChat answers recall=Y.
//
// A nil error means the payer was charged; the response then describes
// the payment. A *ValidationError or ErrNoCertificate (Reverse needs the
// client certificate) means nothing was sent. Every other error is a
// *CodePayError.
func (c *Client) PayByCode(ctx context.Context, r *MicroPayRequest, policy CodePayPolicy) (*MicroPayResponse, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if _, err := build(r); err != nil {
		return nil, err
	}
	if c.certHTTP == nil {
		return nil, ErrNoCertificate
	}
	resp, err := c.MicroPay(ctx, r)
	if err == nil {
		return resp, nil
	}
	fail := &CodePayError{OutTradeNo: r.OutTradeNo, Err: err}
	waits := policy.Poll
	if waits == nil {
		waits = DefaultCodePayPoll()
	}
	var we *Error
	if errors.As(err, &we) {
		switch {
		case we.ErrCode == ErrCodeOrderPaid:
			// Paid by an earlier attempt with this OutTradeNo: look it up.
			waits = append([]time.Duration{0}, waits...)
		case !we.Retryable():
			return nil, fail // a clear refusal: nothing was charged
		}
	}

	q, err := c.pollCodePay(ctx, r.OutTradeNo, waits, &policy)
	if q != nil {
		fail.TradeState = q.TradeState
		switch q.TradeState {
		case TradeStateSuccess:
			return &MicroPayResponse{OrderQueryResponse: *q}, nil
		case TradeStateClosed, TradeStateRevoked, TradeStateRefund:
			return nil, fail // settled, and not (or no longer) paid
		case TradeStateUserPaying:
			fail.Err = errCodePayTimeout
		}
	}
	if err != nil && fail.Err != errCodePayTimeout {
		fail.Err = err
	}
	// Still open, failed (PAYERROR: reversing closes it for good) or
	// unknown: reverse.
	if err := c.reverseCodePay(ctx, r.OutTradeNo, &policy); err != nil {
		fail.Unresolved, fail.Err = true, err
		return nil, fail
	}
	fail.Reversed = true
	return nil, fail
}

// pollCodePay queries the order after each wait until it reaches a state
// that will not change by itself. It returns the last answer (nil if
// there was none) and, when the schedule or ctx ended first, the last
// query's error.
func (c *Client) pollCodePay(ctx context.Context, outTradeNo string, waits []time.Duration, policy *CodePayPolicy) (*OrderQueryResponse, error) {
	var last *OrderQueryResponse
	var lastErr error
	for _, d := range waits {
		if d > 0 {
			if err := policy.sleep(ctx, d); err != nil {
				return last, err
			}
		}
		q, err := c.OrderQuery(ctx, &OrderQueryRequest{OutTradeNo: outTradeNo})
		if err != nil {
			// ORDERNOTEXIST included: an order whose MicroPay answer was
			// lost may not be visible yet.
			lastErr = err
			continue
		}
		last, lastErr = q, nil
		switch q.TradeState {
		case TradeStateUserPaying, TradeStateNotPay, TradeStateAccept:
			continue
		}
		return q, nil
	}
	return last, lastErr
}

// reverseCodePay reverses the order, repeating while WeChat answers
// recall=Y or a transient error. It runs on a context of its own, bounded
// by policy.ReverseTimeout, so that a caller's expired deadline does not
// leave the order open.
func (c *Client) reverseCodePay(ctx context.Context, outTradeNo string, policy *CodePayPolicy) error {
	timeout := policy.ReverseTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	waits := policy.ReverseRetry
	if waits == nil {
		waits = DefaultCodePayReverseRetry()
	}
	for i := 0; ; i++ {
		resp, err := c.Reverse(ctx, &ReverseRequest{OutTradeNo: outTradeNo})
		if err == nil && !resp.Recall {
			return nil
		}
		if err == nil {
			err = errRecall
		}
		var we *Error
		if errors.As(err, &we) && !we.Retryable() && we.Raw["recall"] != "Y" {
			return err // e.g. REVERSE_EXPIRE: repeating will not help
		}
		if i >= len(waits) {
			return err
		}
		if serr := policy.sleep(ctx, waits[i]); serr != nil {
			return fmt.Errorf("%w (then: %v)", err, serr)
		}
	}
}
