package wxpay

import (
	"context"
	"time"
)

// TradeType is how the payer pays: the trade_type of an order.
type TradeType string

// The trade types of unified order, and MICROPAY, which appears in
// queries and bills for payment-code orders.
const (
	TradeTypeJSAPI    TradeType = "JSAPI"  // official-account web page or mini program; needs OpenID
	TradeTypeNative   TradeType = "NATIVE" // QR code; needs ProductID
	TradeTypeAPP      TradeType = "APP"    // native app
	TradeTypeMWeb     TradeType = "MWEB"   // H5 in a mobile browser outside WeChat; needs SceneInfo
	TradeTypeMicroPay TradeType = "MICROPAY"
)

// UnifiedOrderRequest is an order to create with UnifiedOrder. Body,
// OutTradeNo, TotalFee, SpbillCreateIP, NotifyURL and TradeType are
// required; OpenID (or, for a sub-merchant with a sub_appid, SubOpenID)
// is required for JSAPI, ProductID for NATIVE and SceneInfo for MWEB.
// Empty strings and zero times are not sent.
//
// WeChat treats a second UnifiedOrder with the same OutTradeNo as the same
// order: it must repeat the original parameters exactly (also to get a
// fresh PrepayID once the old one expired after two hours), or WeChat
// answers INVALID_REQUEST or OUT_TRADE_NO_USED.
type UnifiedOrderRequest struct {
	DeviceInfo string // terminal or store id; "WEB" for web pages
	Body       string // goods description shown to the payer, at most 128 characters
	Detail     string // JSON {"goods_detail":[…]}, for single-item discounts
	Attach     string // echoed in the notify and the order query
	OutTradeNo string // the merchant's order number: 6–32 of [0-9A-Za-z_-|*@]
	FeeType    string // ISO 4217 currency; WeChat's default is CNY

	TotalFee       int64  // in fen (0.01 CNY); must be positive
	SpbillCreateIP string // the payer's IP (APP, H5, JSAPI) or the server's (NATIVE)

	// TimeStart and TimeExpire bound the order's validity; they are sent
	// in Beijing time whatever their location. Zero is not sent.
	TimeStart, TimeExpire time.Time

	GoodsTag  string // coupon or discount tag
	NotifyURL string // where WeChat posts the payment notify: absolute, no query string

	TradeType TradeType

	ProductID     string // required for NATIVE: the product the QR code stands for
	LimitPay      string // "no_credit" refuses credit cards
	OpenID        string // required for JSAPI (or SubOpenID): the payer's openid under the client's appid
	SubOpenID     string // sub-merchant mode: the payer's openid under the sub_appid, instead of OpenID
	Receipt       string // "Y" offers the payer an electronic invoice
	ProfitSharing string // "Y" freezes the payment for profit sharing (MultiProfitSharing, ProfitSharingFinish); "" or "N" settles it as usual
	SceneInfo     string // JSON scene; required for MWEB: {"h5_info":{…}}
}

// UnifiedOrderResponse is WeChat's answer to a successful unified order.
// PrepayID is valid for two hours: pass it to JSAPIPayParams or
// APPPayParams; a NATIVE order also has CodeURL, the QR code's content,
// and an MWEB order MWebURL, where to send the payer's browser (valid for
// five minutes).
type UnifiedOrderResponse struct {
	DeviceInfo string
	TradeType  TradeType
	PrepayID   string
	CodeURL    string
	MWebURL    string
	Raw        Params // the whole verified response
}

// UnifiedOrder creates an order (POST /pay/unifiedorder) and returns its
// prepay id. r is validated first: a *ValidationError means nothing was
// sent. WeChat's refusals are *Error values; SYSTEMERROR is worth
// retrying with the same r.
func (c *Client) UnifiedOrder(ctx context.Context, r *UnifiedOrderRequest) (*UnifiedOrderResponse, error) {
	if r != nil && r.SubOpenID != "" && c != nil && c.subAppID == "" {
		return nil, &ValidationError{Field: "sub_openid", Reason: "needs a client in sub-merchant mode with a sub_appid (WithSubMerchant)"}
	}
	return send(ctx, c, endpoint{path: "/pay/unifiedorder", idempotent: true}, r, newUnifiedOrderResponse)
}

func newUnifiedOrderResponse(p Params) (*UnifiedOrderResponse, error) {
	// Every trade type yields a prepay id; a success without one would
	// only fail later, in the payer's app.
	if err := present(p, "prepay_id"); err != nil {
		return nil, err
	}
	return &UnifiedOrderResponse{
		DeviceInfo: p["device_info"],
		TradeType:  TradeType(p["trade_type"]),
		PrepayID:   p["prepay_id"],
		CodeURL:    p["code_url"],
		MWebURL:    p["mweb_url"],
		Raw:        p,
	}, nil
}

// build validates r into its wire fields. The length limits are the
// documented String(n), the larger where pages disagree (body 127/128,
// spbill_create_ip 16/64, detail 6000/6144/8192, attach 127 here and 128
// in the notify): a value WeChat might still accept is not refused here.
func (r *UnifiedOrderRequest) build(b *request) {
	b.text("device_info", r.DeviceInfo, 32)
	b.need("body", r.Body, 128)
	b.text("detail", r.Detail, 8192)
	b.text("attach", r.Attach, 128)
	b.need("out_trade_no", r.OutTradeNo, 32)
	b.outNo("out_trade_no", r.OutTradeNo, 6, 32)
	b.text("fee_type", r.FeeType, 16)
	b.fen("total_fee", r.TotalFee)
	b.need("spbill_create_ip", r.SpbillCreateIP, 64)
	b.ip("spbill_create_ip", r.SpbillCreateIP)
	b.time("time_start", r.TimeStart)
	b.time("time_expire", r.TimeExpire)
	if !r.TimeStart.IsZero() && !r.TimeExpire.IsZero() && !r.TimeExpire.After(r.TimeStart) {
		b.fail("time_expire", "is not after time_start")
	}
	b.text("goods_tag", r.GoodsTag, 32)
	b.need("notify_url", r.NotifyURL, 256)
	b.notifyURL("notify_url", r.NotifyURL)
	b.need("trade_type", string(r.TradeType), 16)
	b.text("product_id", r.ProductID, 32)
	b.text("limit_pay", r.LimitPay, 32)
	b.text("openid", r.OpenID, 128)
	b.text("sub_openid", r.SubOpenID, 128)
	b.text("receipt", r.Receipt, 8)
	b.text("profit_sharing", r.ProfitSharing, 16)
	b.oneOfValues("profit_sharing", r.ProfitSharing, "Y", "N")
	b.text("scene_info", r.SceneInfo, 256)
	b.json("detail", r.Detail)
	b.json("scene_info", r.SceneInfo)
	switch r.TradeType {
	case TradeTypeJSAPI:
		if r.OpenID == "" && r.SubOpenID == "" {
			b.fail("openid", "is required for JSAPI (or sub_openid)")
		}
	case TradeTypeNative:
		if r.ProductID == "" {
			b.fail("product_id", "is required")
		}
	case TradeTypeMWeb:
		if r.SceneInfo == "" {
			b.fail("scene_info", "is required")
		}
	case TradeTypeAPP, "":
	default:
		b.fail("trade_type", "must be JSAPI, NATIVE, APP or MWEB, not "+string(r.TradeType))
	}
}
