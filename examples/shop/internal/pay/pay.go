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
}

// Order is a payment to place.
type Order struct {
	OutTradeNo string
	Body       string // shown to the payer
	Fee        money.Fen
	OpenID     string
	ClientIP   string
}

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
			OutRefundNo:  n.OutRefundNo,
			RefundID:     n.RefundID,
			RefundFee:    money.Fen(n.RefundFee),
			RefundStatus: string(n.RefundStatus),
		})
	})
}

// Describe turns an error of the SDK into a short message for the buyer
// or the merchant: WeChat's own description when WeChat refused.
func Describe(err error) string {
	var we *wxpay.Error
	switch {
	case errors.As(err, &we) && we.ErrCodeDes != "":
		return fmt.Sprintf("微信支付：%s (%s)", we.ErrCodeDes, we.ErrCode)
	case errors.As(err, &we):
		return fmt.Sprintf("微信支付：%s", we.ReturnMsg)
	case errors.Is(err, wxpay.ErrNoCertificate):
		return "退款需要商户证书，请配置 WXPAY_CERT 和 WXPAY_KEY (refunds need the merchant certificate)"
	}
	return "微信支付暂时不可用，请稍后再试 (WeChat Pay unreachable)"
}
