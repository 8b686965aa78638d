// Package pay connects the shop to WeChat Pay through the wxpay SDK: JSAPI
// unified orders with the wx.requestPayment object, refunds over the
// merchant certificate, and the two notify endpoints.
package pay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// Gateway is what the shop needs from WeChat Pay. WeChat implements it;
// tests may substitute their own.
type Gateway interface {
	// Prepay places a JSAPI order and returns its prepay id and the object
	// the mini program passes to wx.requestPayment.
	Prepay(ctx context.Context, o Order) (prepayID string, payParams any, err error)
	// Refund asks WeChat to refund (part of) a payment. The outcome
	// arrives later, through the refund notify.
	Refund(ctx context.Context, r Refund) error
	// PayNotifyHandler serves WeChat's payment notify, calling fn for each
	// verified notify of a successful payment; it answers SUCCESS only if
	// fn returns nil, so WeChat retries otherwise.
	PayNotifyHandler(fn func(context.Context, store.PaidNotice) error) http.Handler
	// RefundNotifyHandler serves WeChat's refund notify likewise.
	RefundNotifyHandler(fn func(context.Context, store.RefundNotice) error) http.Handler
	// CloseOrder closes an unpaid payment at WeChat. ErrPaid: it was
	// paid meanwhile; ErrUnknown: WeChat never had it. A payment already
	// closed is closed: nil.
	CloseOrder(ctx context.Context, outTradeNo string) error
	// QueryOrder asks WeChat about a payment; ErrUnknown when WeChat
	// never had it.
	QueryOrder(ctx context.Context, outTradeNo string) (*PayState, error)
	// QueryRefund asks WeChat about a refund; ErrUnknown when WeChat has
	// no such refund.
	QueryRefund(ctx context.Context, outRefundNo string) (*RefundState, error)
}

// PayState is what WeChat says of a payment.
type PayState struct {
	State         string // WeChat's trade_state: SUCCESS, NOTPAY, CLOSED, …
	TransactionID string
	TotalFee      money.Fen
}

// RefundState is what WeChat says of a refund.
type RefundState struct {
	Status     string // SUCCESS, PROCESSING, CHANGE or REFUNDCLOSE
	RefundID   string
	RefundFee  money.Fen
	OutTradeNo string
	TotalFee   money.Fen // of the payment
}

// Errors of the Gateway's queries and closes.
var (
	ErrPaid    = errors.New("pay: the payment was paid")
	ErrUnknown = errors.New("pay: WeChat Pay does not know it")
)

// Order is a payment to place.
type Order struct {
	OutTradeNo string
	Body       string // shown to the payer
	Fee        money.Fen
	OpenID     string
	ClientIP   string
	// Expire is when WeChat stops accepting the payment (time_expire);
	// zero for WeChat's default of two hours.
	Expire time.Time
}

// MinExpiry is the shortest time_expire the shop sends: WeChat asks for
// at least a minute. An order that expires sooner is closed at WeChat
// (CloseOrder) before the shop closes it, so the extra time never lets a
// payment through for a closed order.
const MinExpiry = time.Minute

// Refund is a refund to ask for.
type Refund struct {
	OutTradeNo  string
	OutRefundNo string
	TotalFee    money.Fen // the payment's total
	RefundFee   money.Fen
	Reason      string
}

// Paths of the notify endpoints, under the shop's public URL.
const (
	PayNotifyPath    = "/wxpay/notify/pay"
	RefundNotifyPath = "/wxpay/notify/refund"
)

// WeChat is the Gateway of a wxpay.Client.
type WeChat struct {
	c         *wxpay.Client
	publicURL string // where WeChat reaches the shop, for notify_url
}

// NewWeChat returns the Gateway of c, whose notifies WeChat posts to
// publicURL + PayNotifyPath and + RefundNotifyPath.
func NewWeChat(c *wxpay.Client, publicURL string) *WeChat {
	return &WeChat{c: c, publicURL: strings.TrimRight(publicURL, "/")}
}

// Prepay implements Gateway.
func (w *WeChat) Prepay(ctx context.Context, o Order) (string, any, error) {
	body := o.Body
	if r := []rune(body); len(r) > 40 {
		body = string(r[:40])
	}
	resp, err := w.c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body:           body,
		OutTradeNo:     o.OutTradeNo,
		TotalFee:       int64(o.Fee),
		SpbillCreateIP: o.ClientIP,
		NotifyURL:      w.publicURL + PayNotifyPath,
		TradeType:      wxpay.TradeTypeJSAPI,
		OpenID:         o.OpenID,
		TimeExpire:     expiry(o.Expire, time.Now()),
	})
	if err != nil {
		return "", nil, err
	}
	params, err := w.c.JSAPIPayParams(resp.PrepayID)
	if err != nil {
		return "", nil, err
	}
	return resp.PrepayID, params, nil
}

// expiry is the time_expire to send for an order expiring at t.
func expiry(t, now time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if min := now.Add(MinExpiry); t.Before(min) {
		t = min
	}
	return t.Truncate(time.Second)
}

// wxCode is the err_code of a WeChat refusal, "" for other errors.
func wxCode(err error) string {
	var we *wxpay.Error
	if errors.As(err, &we) {
		return we.ErrCode
	}
	return ""
}

// CloseOrder implements Gateway.
func (w *WeChat) CloseOrder(ctx context.Context, outTradeNo string) error {
	err := closeOrder(ctx, w.c, outTradeNo)
	switch wxCode(err) {
	case "ORDERCLOSED":
		return nil
	case "ORDERPAID":
		return fmt.Errorf("%w: %s", ErrPaid, outTradeNo)
	case "ORDERNOTEXIST":
		return fmt.Errorf("%w: %s", ErrUnknown, outTradeNo)
	}
	return err
}

// QueryOrder implements Gateway.
func (w *WeChat) QueryOrder(ctx context.Context, outTradeNo string) (*PayState, error) {
	r, err := w.c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: outTradeNo})
	if wxCode(err) == "ORDERNOTEXIST" {
		return nil, fmt.Errorf("%w: %s", ErrUnknown, outTradeNo)
	}
	if err != nil {
		return nil, err
	}
	if r.OutTradeNo != "" && r.OutTradeNo != outTradeNo {
		return nil, fmt.Errorf("pay: order query for %s answered for %s", outTradeNo, r.OutTradeNo)
	}
	return &PayState{State: string(r.TradeState), TransactionID: r.TransactionID, TotalFee: money.Fen(r.TotalFee)}, nil
}

// QueryRefund implements Gateway.
func (w *WeChat) QueryRefund(ctx context.Context, outRefundNo string) (*RefundState, error) {
	r, err := w.c.RefundQuery(ctx, &wxpay.RefundQueryRequest{OutRefundNo: outRefundNo})
	if wxCode(err) == "REFUNDNOTEXIST" {
		return nil, fmt.Errorf("%w: %s", ErrUnknown, outRefundNo)
	}
	if err != nil {
		return nil, err
	}
	for _, rf := range r.Refunds {
		if rf.OutRefundNo == outRefundNo {
			return &RefundState{Status: string(rf.RefundStatus), RefundID: rf.RefundID, RefundFee: money.Fen(rf.RefundFee),
				OutTradeNo: r.OutTradeNo, TotalFee: money.Fen(r.TotalFee)}, nil
		}
	}
	return nil, fmt.Errorf("%w: %s (not in the refund query's answer)", ErrUnknown, outRefundNo)
}

// Refund implements Gateway.
func (w *WeChat) Refund(ctx context.Context, r Refund) error {
	desc := r.Reason
	if rs := []rune(desc); len(rs) > 80 {
		desc = string(rs[:80])
	}
	_, err := w.c.Refund(ctx, &wxpay.RefundRequest{
		OutTradeNo:  r.OutTradeNo,
		OutRefundNo: r.OutRefundNo,
		TotalFee:    int64(r.TotalFee),
		RefundFee:   int64(r.RefundFee),
		RefundDesc:  desc,
		NotifyURL:   w.publicURL + RefundNotifyPath,
	})
	return err
}

// PayNotifyHandler implements Gateway. Notifies of failed payments
// (result_code FAIL) are acknowledged and otherwise ignored: the order
// simply stays unpaid.
func (w *WeChat) PayNotifyHandler(fn func(context.Context, store.PaidNotice) error) http.Handler {
	return w.c.PayNotifyHandler(func(ctx context.Context, n *wxpay.PayNotify) error {
		if n.ResultCode != "SUCCESS" {
			return nil
		}
		return fn(ctx, store.PaidNotice{OutTradeNo: n.OutTradeNo, TransactionID: n.TransactionID, TotalFee: money.Fen(n.TotalFee)})
	})
}

// RefundNotifyHandler implements Gateway.
func (w *WeChat) RefundNotifyHandler(fn func(context.Context, store.RefundNotice) error) http.Handler {
	return w.c.RefundNotifyHandler(func(ctx context.Context, n *wxpay.RefundNotify) error {
		return fn(ctx, store.RefundNotice{
			OutTradeNo:   n.OutTradeNo,
			TotalFee:     money.Fen(n.TotalFee),
			OutRefundNo:  n.OutRefundNo,
			RefundID:     n.RefundID,
			RefundFee:    money.Fen(n.RefundFee),
			RefundStatus: string(n.RefundStatus),
		})
	})
}

// Refused reports whether err means the request certainly did not take
// effect at WeChat: the SDK refused to send it, or WeChat answered with
// a business refusal. Network errors and lost answers are not refusals:
// the request may have been carried out.
func Refused(err error) bool {
	var ve *wxpay.ValidationError
	if errors.As(err, &ve) {
		return true
	}
	var we *wxpay.Error
	if errors.As(err, &we) {
		return !we.Retryable()
	}
	return false
}

// NotSent reports whether err is the SDK refusing a request before
// sending it.
func NotSent(err error) bool {
	var ve *wxpay.ValidationError
	return errors.As(err, &ve)
}

// Describe turns an error of the SDK into a short message for the buyer
// or the merchant: WeChat's own description when WeChat refused.
func Describe(err error) string {
	var we *wxpay.Error
	var ve *wxpay.ValidationError
	switch {
	case errors.As(err, &ve):
		// Refused by the SDK before anything was sent: a field the shop
		// let through, not WeChat's fault, nor a network one.
		return fmt.Sprintf("微信支付请求参数无效：%s %s (request not sent: %s)", ve.Field, ve.Reason, ve.Error())
	case errors.As(err, &we) && we.ErrCodeDes != "":
		return fmt.Sprintf("微信支付：%s (%s)", we.ErrCodeDes, we.ErrCode)
	case errors.As(err, &we):
		return fmt.Sprintf("微信支付：%s", we.ReturnMsg)
	case errors.Is(err, wxpay.ErrNoCertificate):
		return "退款需要商户证书，请配置 WXPAY_CERT 和 WXPAY_KEY (refunds need the merchant certificate)"
	}
	return "微信支付暂时不可用，请稍后再试 (WeChat Pay unreachable)"
}
