package wxpaytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/wxpay-go/wxpay"
)

// /tools/shorturl: long_url is sent URL-encoded and signed decoded.
func init() {
	endpoints["/tools/shorturl"] = endpoint{urlEncoded: "long_url", required: []string{"long_url"}, serve: (*Server).shortURL}
}

// NativeCallback is the kind of a mode-1 product callback in Notifies.
const NativeCallback NotifyKind = "native"

// WithNativeCallbackURL sets the merchant platform's 扫码回调URL, where
// ScanProduct posts mode-1 product callbacks.
func WithNativeCallbackURL(url string) Option { return func(c *config) { c.nativeURL = url } }

func (s *Server) shortURL(p wxpay.Params) answer {
	long := p["long_url"]
	if len(long) > 512 {
		return reject("long_url参数长度有误")
	}
	short := s.st.shortURLs[long]
	if short == "" {
		short = "weixin://wxpay/s/" + randomAlnum(7)
		s.st.shortURLs[long] = short
	}
	return success(wxpay.Params{"short_url": short})
}

// ScanResult is the merchant's reply to a mode-1 product callback.
type ScanResult struct {
	ResultCode string // SUCCESS: PrepayID names an order to pay; FAIL: ErrCodeDes says why
	ErrCodeDes string
	PrepayID   string
	OutTradeNo string // the order of PrepayID, for Pay
	OpenID     string // the payer who scanned
	Reply      []byte // the reply as received
}

// ScanProduct plays a payer scanning the mode-1 QR code of productID
// (from wxpay's NativeModeOneURL): it posts the signed product callback
// (appid, mch_id, openid, is_subscribe, nonce_str, product_id, sign: MD5)
// to WithNativeCallbackURL's URL, once, and reads the merchant's reply,
// which must be signed with the API key and name this merchant. A reply
// with result_code SUCCESS must carry the prepay_id of an unpaid NATIVE
// order the merchant placed with unified order; the order then belongs to
// this payer (openID, or a generated one when empty), and the test pays
// it with Pay(result.OutTradeNo). A reply with result_code FAIL is
// returned with a nil error. The attempt is recorded in Notifies, of kind
// NativeCallback.
func (s *Server) ScanProduct(ctx context.Context, productID, openID string) (*ScanResult, error) {
	if s.cfg.nativeURL == "" {
		return nil, errors.New("wxpaytest: ScanProduct needs WithNativeCallbackURL")
	}
	if productID == "" {
		return nil, errors.New("wxpaytest: ScanProduct: empty product id")
	}
	if openID == "" {
		openID = "oUpF8u" + randomAlnum(22)
	}
	s.mu.Lock()
	key := s.notifyKeyLocked(s.merchants[s.mchID])
	s.mu.Unlock()
	cb := wxpay.Params{
		"appid": s.appID, "mch_id": s.mchID, "openid": openID, "is_subscribe": "N",
		"nonce_str": wxpay.NonceStr(), "product_id": productID,
	}
	cb["sign"] = s.mustSign(cb, key, wxpay.SignTypeMD5)
	a := s.postCallback(ctx, cb.AppendXML(nil))
	s.recordNotify(a)
	if a.Err != nil {
		return nil, fmt.Errorf("wxpaytest: ScanProduct: %w", a.Err)
	}
	if a.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wxpaytest: ScanProduct: the merchant answered HTTP %d: %q", a.StatusCode, a.Reply)
	}
	reply, err := wxpay.ParseXML(a.Reply)
	switch {
	case err != nil:
		return nil, fmt.Errorf("wxpaytest: ScanProduct: reply: %w", err)
	case reply["return_code"] != "SUCCESS":
		return nil, fmt.Errorf("wxpaytest: ScanProduct: reply return_code %q: %s", reply["return_code"], reply["return_msg"])
	case !verifies(reply, key):
		return nil, errors.New("wxpaytest: ScanProduct: the reply's sign does not verify (MD5 with the API key)")
	case reply["appid"] != s.appID || reply["mch_id"] != s.mchID:
		return nil, fmt.Errorf("wxpaytest: ScanProduct: the reply names appid %q, mch_id %q", reply["appid"], reply["mch_id"])
	}
	res := &ScanResult{ResultCode: reply["result_code"], ErrCodeDes: reply["err_code_des"], PrepayID: reply["prepay_id"], OpenID: openID, Reply: a.Reply}
	switch res.ResultCode {
	case "FAIL":
		return res, nil
	case "SUCCESS":
	default:
		return nil, fmt.Errorf("wxpaytest: ScanProduct: reply result_code %q", res.ResultCode)
	}
	defer s.persist() // the order's payer
	s.mu.Lock()
	defer s.mu.Unlock()
	for no, o := range s.st.orders {
		if o.prepayID != res.PrepayID || res.PrepayID == "" {
			continue
		}
		if wxpay.TradeType(o.req["trade_type"]) != wxpay.TradeTypeNative || o.state != wxpay.TradeStateNotPay {
			return nil, fmt.Errorf("%w: prepay_id %s is a %s order in state %s, not an unpaid NATIVE one", ErrState, res.PrepayID, o.req["trade_type"], o.state)
		}
		o.scanner = openID
		res.OutTradeNo = no
		return res, nil
	}
	return nil, fmt.Errorf("%w: the reply's prepay_id %q is no order's", ErrNotFound, res.PrepayID)
}

// postCallback posts a mode-1 callback body to the merchant.
func (s *Server) postCallback(ctx context.Context, body []byte) NotifyAttempt {
	a := NotifyAttempt{Kind: NativeCallback, Attempt: 1, Time: s.cfg.now(), URL: s.cfg.nativeURL, Body: body}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.nativeURL, bytes.NewReader(body))
	if err != nil {
		a.Err = err
		return a
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := s.cfg.notifyClient.Do(req)
	if err != nil {
		a.Err = err
		return a
	}
	defer resp.Body.Close()
	a.StatusCode = resp.StatusCode
	a.Reply, a.Err = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	a.Acknowledged = a.Err == nil && resp.StatusCode == http.StatusOK
	return a
}
