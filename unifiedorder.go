package wxpay

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"
)

// TradeType is how the payer pays: the trade_type of an order.
type TradeType string

// The trade types of unified order, and MICROPAY, which appears in
// queries and bills for payment-code orders.
const (
	TradeTypeJSAPI    TradeType = "JSAPI"  // official-account web page or mini program; needs OpenID
	TradeTypeNative   TradeType = "NATIVE" // QR code; needs ProductID
	TradeTypeApp      TradeType = "APP"    // native app
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
	ProfitSharing string // "Y" if the payment will be shared (profit sharing)
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
	params := func() ([]field, error) {
		req, err := r.params()
		if err == nil && r.SubOpenID != "" && c.subAppID == "" {
			return nil, &ValidationError{Field: "sub_openid", Reason: "needs a client in sub-merchant mode with a sub_appid (WithSubMerchant)"}
		}
		return req, err
	}
	return send(ctx, c, endpoint{path: "/pay/unifiedorder", retry: true}, params, newUnifiedOrderResponse)
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

// params validates r and returns its wire fields. The length limits are
// the documented String(n), the larger where pages disagree (body
// 127/128, spbill_create_ip 16/64, detail 6000/6144/8192, attach 127 here
// and 128 in the notify): a value WeChat might still accept is not
// refused here.
func (r *UnifiedOrderRequest) params() ([]field, error) {
	if r == nil {
		return nil, &ValidationError{Field: "request", Reason: "is nil"}
	}
	fields := [...]textField{
		{"device_info", r.DeviceInfo, 32}, {"body", r.Body, 128}, {"detail", r.Detail, 8192}, {"attach", r.Attach, 128},
		{"out_trade_no", r.OutTradeNo, 32}, {"fee_type", r.FeeType, 16}, {"spbill_create_ip", r.SpbillCreateIP, 64},
		{"time_start", formatTime(r.TimeStart), 14}, {"time_expire", formatTime(r.TimeExpire), 14},
		{"goods_tag", r.GoodsTag, 32}, {"notify_url", r.NotifyURL, 256}, {"trade_type", string(r.TradeType), 16},
		{"product_id", r.ProductID, 32}, {"limit_pay", r.LimitPay, 32}, {"openid", r.OpenID, 128},
		{"sub_openid", r.SubOpenID, 128}, {"receipt", r.Receipt, 8}, {"profit_sharing", r.ProfitSharing, 16},
		{"scene_info", r.SceneInfo, 256},
	}
	for _, f := range [...]struct{ name, value string }{
		{"body", r.Body}, {"out_trade_no", r.OutTradeNo}, {"spbill_create_ip", r.SpbillCreateIP},
		{"notify_url", r.NotifyURL}, {"trade_type", string(r.TradeType)},
	} {
		if f.value == "" {
			return nil, &ValidationError{Field: f.name, Reason: "is required"}
		}
	}
	if r.TotalFee <= 0 {
		return nil, &ValidationError{Field: "total_fee", Reason: "must be a positive number of fen"}
	}
	switch r.TradeType {
	case TradeTypeJSAPI:
		if r.OpenID == "" && r.SubOpenID == "" {
			return nil, &ValidationError{Field: "openid", Reason: "is required for JSAPI (or sub_openid)"}
		}
	case TradeTypeNative:
		if r.ProductID == "" {
			return nil, &ValidationError{Field: "product_id", Reason: "is required"}
		}
	case TradeTypeMWeb:
		if r.SceneInfo == "" {
			return nil, &ValidationError{Field: "scene_info", Reason: "is required"}
		}
	case TradeTypeApp:
	default:
		return nil, &ValidationError{Field: "trade_type", Reason: "must be JSAPI, NATIVE, APP or MWEB, not " + string(r.TradeType)}
	}
	if err := checkOutNo("out_trade_no", r.OutTradeNo, 6, 32); err != nil {
		return nil, err
	}
	for _, f := range fields {
		if err := checkLen(f.name, f.value, f.max); err != nil {
			return nil, err
		}
	}
	if err := checkNotifyURL("notify_url", r.NotifyURL); err != nil {
		return nil, err
	}
	if err := checkIP("spbill_create_ip", r.SpbillCreateIP); err != nil {
		return nil, err
	}
	if err := checkJSON(textField{"detail", r.Detail, 0}, textField{"scene_info", r.SceneInfo, 0}); err != nil {
		return nil, err
	}
	if !r.TimeStart.IsZero() && !r.TimeExpire.IsZero() && !r.TimeExpire.After(r.TimeStart) {
		return nil, &ValidationError{Field: "time_expire", Reason: "is not after time_start"}
	}
	return wireFields(fields[:], field{"total_fee", formatFen(r.TotalFee)}), nil
}

// checkOutNo checks a merchant-chosen number (out_trade_no, out_refund_no):
// min to max characters of [0-9A-Za-z_-|*@], the set WeChat documents.
func checkOutNo(field, v string, min, max int) error {
	if len(v) < min || len(v) > max {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("must have %d to %d characters, not %d", min, max, len(v))}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			c == '_' || c == '-' || c == '|' || c == '*' || c == '@') {
			return &ValidationError{Field: field, Reason: "may hold only 0-9, A-Z, a-z and _-|*@"}
		}
	}
	return nil
}

// checkNotifyURL checks that a notify URL, if one is set, can work:
// WeChat needs an absolute http(s) URL and drops notifies for one with a
// query string.
func checkNotifyURL(field, v string) error {
	if v == "" {
		return nil
	}
	// A shop's notify URL seldom changes: remember the last good one
	// rather than parse it for every order.
	if last := lastNotifyURL.Load(); last != nil && *last == v {
		return nil
	}
	if err := validNotifyURL(v, field); err != nil {
		return err
	}
	good := v // not &v: that would move v to the heap on every call, hits included
	lastNotifyURL.Store(&good)
	return nil
}

var lastNotifyURL atomic.Pointer[string]

func validNotifyURL(v, field string) error {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "" || u.User != nil:
		return &ValidationError{Field: field, Reason: "is not an absolute URL with a host"}
	case u.Scheme != "https" && u.Scheme != "http":
		return &ValidationError{Field: field, Reason: "must be an http or https URL"}
	case u.RawQuery != "" || u.ForceQuery:
		return &ValidationError{Field: field, Reason: "must not have a query string"}
	case u.Fragment != "" || u.RawFragment != "":
		return &ValidationError{Field: field, Reason: "must not have a fragment"}
	}
	return nil
}
