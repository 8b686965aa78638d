package wxpay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Native mode 1 (扫码支付模式一) is a fixed QR code per product, made
// without placing an order. When a payer scans it, WeChat posts the
// product and the payer to the merchant's 扫码回调URL (set in the
// merchant platform); the merchant places a NATIVE order with
// UnifiedOrder and answers with its prepay id, and the payer pays in
// WeChat. Only v2 has it: v3 Native has code_url alone, which
// UnifiedOrder returns here too (mode 2).

// NativeModeOneURL returns the content of a mode-1 QR code for productID:
// weixin://wxpay/bizpayurl?sign=…&appid=…&mch_id=…&product_id=…&time_stamp=…&nonce_str=…,
// signed with MD5 over appid, mch_id, nonce_str, product_id and
// time_stamp, whatever the client's sign type (the link has no
// sign_type, so WeChat reads it as MD5). Values are signed raw and
// URL-encoded in the link. In service-provider mode the link names the
// provider, as WeChat's link has no sub-merchant: the callback's fn
// places the order for the sub-merchant. ShortURL makes the link short
// enough for a small QR code.
func (c *Client) NativeModeOneURL(productID string) (string, error) {
	if err := c.ready(); err != nil {
		return "", err
	}
	switch n := utf8.RuneCountInString(productID); {
	case n == 0:
		return "", &ValidationError{Field: "product_id", Reason: "is required"}
	case n > 32:
		return "", &ValidationError{Field: "product_id", Reason: fmt.Sprintf("has %d characters, at most 32 allowed", n)}
	}
	p := Params{
		"appid":      c.appID,
		"mch_id":     c.mchID,
		"product_id": productID,
		"time_stamp": strconv.FormatInt(c.now().Unix(), 10),
		"nonce_str":  c.nonce(),
	}
	sign := c.signParams(p, SignTypeMD5)
	var b strings.Builder
	b.WriteString("weixin://wxpay/bizpayurl?sign=")
	b.WriteString(sign)
	for _, k := range [...]string{"appid", "mch_id", "product_id", "time_stamp", "nonce_str"} {
		b.WriteByte('&')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p[k]))
	}
	return b.String(), nil
}

// ShortURLRequest is a long link to shorten, such as a mode-1 link.
type ShortURLRequest struct {
	LongURL string // required, at most 512 characters
}

func (r *ShortURLRequest) build(b *request) {
	b.need("long_url", r.LongURL, 512)
}

// ShortURLResponse is the short form of a link.
type ShortURLResponse struct {
	ShortURL string // weixin://wxpay/s/…
	Raw      Params // the whole verified response
}

// endpointShortURL signs long_url as it is and sends it URL-encoded, as
// WeChat's page says (签名用原串，传输需URLencode).
var endpointShortURL = endpoint{path: "/tools/shorturl", urlEncoded: "long_url", idempotent: true}

// ShortURL shortens a link (POST /tools/shorturl), typically a mode-1
// link from NativeModeOneURL, to weixin://wxpay/s/…, for a QR code that
// scans more easily.
func (c *Client) ShortURL(ctx context.Context, r *ShortURLRequest) (*ShortURLResponse, error) {
	return send(ctx, c, endpointShortURL, r, func(p Params) (*ShortURLResponse, error) {
		if err := present(p, "short_url"); err != nil {
			return nil, err
		}
		return &ShortURLResponse{ShortURL: p["short_url"], Raw: p}, nil
	})
}

// NativeCallback is a verified mode-1 product callback: a payer scanned
// the QR code of ProductID.
type NativeCallback struct {
	AppID       string
	MchID       string
	OpenID      string // the payer, under AppID
	IsSubscribe string // "Y" if the payer follows the official account
	ProductID   string
	NonceStr    string
	Raw         Params // the whole verified callback
}

// ParseNativeCallback decodes and checks the body of a mode-1 product
// callback: appid, mch_id, openid and product_id must be present, the
// sign must verify with the client's key (MD5, or HMAC-SHA256 told by the
// sign's length), and appid and mch_id must be the client's.
func (c *Client) ParseNativeCallback(body []byte) (*NativeCallback, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	p, sorted, err := decode(body)
	if err != nil {
		return nil, err
	}
	if err := present(p, "appid", "mch_id"); err != nil {
		return nil, err
	}
	if err := c.currentSigner().verify(p, sorted, ""); err != nil {
		return nil, fmt.Errorf("native callback: %w", err)
	}
	if err := c.checkMerchant(p, "appid", "mch_id"); err != nil {
		return nil, err
	}
	if err := present(p, "openid", "product_id"); err != nil {
		return nil, err
	}
	return &NativeCallback{
		AppID: p["appid"], MchID: p["mch_id"], OpenID: p["openid"], IsSubscribe: p["is_subscribe"],
		ProductID: p["product_id"], NonceStr: p["nonce_str"], Raw: p,
	}, nil
}

// NativeCallbackHandler returns an http.Handler for the mode-1 callback
// URL. It accepts POST only, reads at most MaxBodySize bytes and checks
// the callback with ParseNativeCallback; then it calls fn, which places
// the order (UnifiedOrder with TradeTypeNative and the callback's
// ProductID and OpenID) and returns its prepay id. The handler answers
// WeChat with a reply signed with MD5: return_code SUCCESS, appid,
// mch_id, nonce_str, prepay_id and result_code SUCCESS; or, when fn
// returns an error, result_code FAIL with the error's text as
// err_code_des, which WeChat shows to the payer: return an error worded
// for them ("商品已售完").
//
// A callback that is not authentic or not for this merchant is answered
// return_code FAIL (HTTP 400) and logged at Warn to the client's logger,
// as the notify handlers log; fn is not called.
func (c *Client) NativeCallbackHandler(fn func(context.Context, *NativeCallback) (prepayID string, err error)) http.Handler {
	if fn == nil {
		panic("wxpay: NativeCallbackHandler with a nil callback")
	}
	return inbound(c, "native callback", c.ParseNativeCallback, func(w http.ResponseWriter, r *http.Request, cb *NativeCallback) error {
		reply := Params{"return_code": "SUCCESS", "appid": c.appID, "mch_id": c.mchID, "nonce_str": c.nonce(), "result_code": "SUCCESS"}
		prepayID, err := fn(r.Context(), cb)
		if err == nil {
			err = checkPrepayID(prepayID)
		}
		if err != nil {
			c.notifyLogger().LogAttrs(r.Context(), slog.LevelInfo, "wxpay: native callback answered FAIL",
				slog.String("product_id", cb.ProductID), slog.String("error", err.Error()))
			reply["result_code"] = "FAIL"
			reply["err_code_des"] = errCodeDes(err)
		} else {
			reply["prepay_id"] = prepayID
		}
		reply["sign"] = c.signParams(reply, SignTypeMD5)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(reply.AppendXML(nil))
		return nil
	})
}

// checkPrepayID checks the prepay id fn returned: what UnifiedOrder
// answered, not a whole package.
func checkPrepayID(id string) error {
	switch {
	case id == "":
		return errors.New("no prepay_id")
	case len(id) > 64 || strings.HasPrefix(id, "prepay_id="):
		return fmt.Errorf("prepay_id %q is not a prepay id", truncate(id, 70))
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return errors.New("prepay_id holds a space, control or non-ASCII character")
		}
	}
	return nil
}

// errCodeDes is the err_code_des of a FAIL reply: the error's text, cut
// to the 128 characters WeChat shows, and valid in XML.
func errCodeDes(err error) string {
	s := strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(err.Error(), "?"))
	if utf8.RuneCountInString(s) > 128 {
		s = string([]rune(s)[:128])
	}
	return s
}
