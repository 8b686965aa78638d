package wxpay

import (
	"strconv"
	"strings"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// JSAPIPayParams is what a web page in WeChat passes to
// WeixinJSBridge.invoke('getBrandWCPayRequest', …) and a mini program to
// wx.requestPayment to pay a JSAPI order. Marshaled to JSON it has exactly
// the keys those calls take; wx.requestPayment ignores appId, which is
// signed all the same.
type JSAPIPayParams struct {
	AppID     string   `json:"appId"`
	TimeStamp string   `json:"timeStamp"` // Unix seconds
	NonceStr  string   `json:"nonceStr"`
	Package   string   `json:"package"` // "prepay_id=" and the prepay id
	SignType  SignType `json:"signType"`
	PaySign   string   `json:"paySign"`
}

// JSAPIPayParams signs the parameters a web page or mini program needs to
// pay the JSAPI order prepayID (from UnifiedOrder), with the client's sign
// type, which must be the one the order was created with. In
// sub-merchant mode with a sub_appid, appId is the sub_appid: the page or
// mini program is the sub-merchant's.
func (c *Client) JSAPIPayParams(prepayID string) (*JSAPIPayParams, error) {
	ts, nonce, err := c.payParamsStamp(prepayID)
	if err != nil {
		return nil, err
	}
	out := &JSAPIPayParams{
		AppID:     c.payAppID(),
		TimeStamp: ts,
		NonceStr:  nonce,
		Package:   "prepay_id=" + prepayID,
		SignType:  c.signType,
	}
	out.PaySign = c.signParams(Params{
		"appId":     out.AppID,
		"timeStamp": out.TimeStamp,
		"nonceStr":  out.NonceStr,
		"package":   out.Package,
		"signType":  string(out.SignType),
	}, c.signType)
	return out, nil
}

// APPPayParams is what a native app passes to the WeChat Open SDK
// (PayReq) to pay an APP order. Marshaled to JSON it has exactly the
// signed wire keys.
type APPPayParams struct {
	AppID     string `json:"appid"`
	PartnerID string `json:"partnerid"` // the merchant id
	PrepayID  string `json:"prepayid"`
	Package   string `json:"package"` // always "Sign=WXPay"
	NonceStr  string `json:"noncestr"`
	TimeStamp string `json:"timestamp"` // Unix seconds
	Sign      string `json:"sign"`
}

// APPPayParams signs the parameters a native app needs to pay the APP
// order prepayID (from UnifiedOrder), with the client's sign type, which
// must be the one the order was created with. In sub-merchant mode the
// app and the partner id are the sub-merchant's: appid is the sub_appid
// when set, partnerid the sub_mch_id.
func (c *Client) APPPayParams(prepayID string) (*APPPayParams, error) {
	ts, nonce, err := c.payParamsStamp(prepayID)
	if err != nil {
		return nil, err
	}
	out := &APPPayParams{
		AppID:     c.payAppID(),
		PartnerID: c.mchID,
		PrepayID:  prepayID,
		Package:   "Sign=WXPay",
		NonceStr:  nonce,
		TimeStamp: ts,
	}
	if c.subMchID != "" {
		out.PartnerID = c.subMchID
	}
	out.Sign = c.signParams(Params{
		"appid":     out.AppID,
		"partnerid": out.PartnerID,
		"prepayid":  out.PrepayID,
		"package":   out.Package,
		"noncestr":  out.NonceStr,
		"timestamp": out.TimeStamp,
	}, c.signType)
	return out, nil
}

// payAppID is the app that takes the pay parameters: the sub-merchant's
// when there is one.
func (c *Client) payAppID() string {
	if c.subAppID != "" {
		return c.subAppID
	}
	return c.appID
}

// payParamsStamp checks prepayID and returns the timestamp (Unix
// seconds, not milliseconds) and nonce of a new set of client pay
// parameters.
func (c *Client) payParamsStamp(prepayID string) (timeStamp, nonce string, err error) {
	if err := c.ready(); err != nil {
		return "", "", err
	}
	if prepayID == "" {
		return "", "", &ValidationError{Field: "prepay_id", Reason: "is required"}
	}
	// prepay_id is String(64) of ASCII letters and digits; JSAPI's
	// package, String(128), carries it.
	if len(prepayID) > 64 {
		return "", "", &ValidationError{Field: "prepay_id", Reason: "has more than 64 characters"}
	}
	for i := 0; i < len(prepayID); i++ {
		if c := prepayID[i]; c <= ' ' || c > '~' {
			return "", "", &ValidationError{Field: "prepay_id", Reason: "holds a space, control or non-ASCII character"}
		}
	}
	if strings.HasPrefix(prepayID, "prepay_id=") {
		return "", "", &ValidationError{Field: "prepay_id", Reason: `is the whole package: pass the id without "prepay_id="`}
	}
	return strconv.FormatInt(c.now().Unix(), 10), c.nonce(), nil
}

// signParams signs client-side parameters with the key the client signs
// with now (the sandbox key in sandbox mode, once fetched).
func (c *Client) signParams(p Params, t SignType) string {
	var fields [8]wire.Field
	return string(c.currentSigner().sign(nil, sortedFields(fields[:0], p), t))
}
