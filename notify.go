package wxpay

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// PayNotify is a verified payment result notify (chapter 9_7): WeChat's
// POST to the unified order's notify_url. ResultCode "SUCCESS" means the
// order was paid; "FAIL" notifies are passed on too, with ErrCode and
// ErrCodeDes. Fees are in fen; compare TotalFee with your own order.
type PayNotify struct {
	AppID       string
	MchID       string
	DeviceInfo  string
	OpenID      string // the payer under AppID
	IsSubscribe string // "Y" if the payer follows the official account

	// Sub-merchant mode only: the sub-merchant and the payer under its app.
	SubAppID       string
	SubMchID       string
	SubOpenID      string
	SubIsSubscribe string

	TradeType TradeType
	BankType  string // e.g. "CFT" for the change balance

	TotalFee           int64
	SettlementTotalFee int64 // TotalFee less the non-recharge coupons, when sent
	FeeType            string
	CashFee            int64 // what the payer paid in money
	CashFeeType        string

	CouponFee int64    // TotalFee - CashFee
	Coupons   []Coupon // from coupon_count and the coupon_*_$n fields

	TransactionID string // WeChat's order number
	OutTradeNo    string // yours
	Attach        string
	TimeEnd       time.Time // when the payment completed, Beijing time

	ResultCode string // "SUCCESS" or "FAIL"
	ErrCode    string
	ErrCodeDes string

	PromotionDetail string // JSON; sent instead of the coupon fields for single-item discounts

	Raw Params // the whole verified notify
}

// ParsePayNotify decodes and checks the body of a payment notify: its
// return_code must be SUCCESS, its signature must verify with the
// client's key (MD5 or HMAC-SHA256, told apart by the sign's length when
// the notify names no sign_type, as WeChat's HMAC notifies do not), and
// its appid and mch_id must be the client's. Only then are the fields
// read. Errors wrap ErrMalformedXML, ErrBodyTooLarge, ErrInvalidSign or
// ErrMerchantMismatch, or are a *FieldError for a field that is missing
// or malformed, or an *Error for a return_code FAIL notify.
//
// The notify is authentic, but may be a repeat: check TotalFee and your
// order's state before acting on it.
func (c *Client) ParsePayNotify(body []byte) (*PayNotify, error) {
	s := getScratch()
	defer s.release()
	p, err := c.notifyEnvelope(body, s)
	if err != nil {
		return nil, err
	}
	if err := s.verifySign(p, c.signKey(), ""); err != nil {
		return nil, fmt.Errorf("pay notify: %w", err)
	}
	if err := c.checkMerchant(p); err != nil {
		return nil, err
	}
	return newPayNotify(p)
}

func newPayNotify(p Params) (*PayNotify, error) {
	if err := present(p, "result_code", "out_trade_no", "total_fee"); err != nil {
		return nil, err
	}
	if p["result_code"] == "SUCCESS" {
		if err := present(p, "transaction_id"); err != nil {
			return nil, err
		}
	}
	coupons, err := parseCoupons(p)
	if err != nil {
		return nil, err
	}
	r := fieldReader{p: p}
	n := &PayNotify{
		AppID:              p["appid"],
		MchID:              p["mch_id"],
		DeviceInfo:         p["device_info"],
		OpenID:             p["openid"],
		IsSubscribe:        p["is_subscribe"],
		SubAppID:           p["sub_appid"],
		SubMchID:           p["sub_mch_id"],
		SubOpenID:          p["sub_openid"],
		SubIsSubscribe:     p["sub_is_subscribe"],
		TradeType:          TradeType(p["trade_type"]),
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
		ResultCode:         p["result_code"],
		ErrCode:            p["err_code"],
		ErrCodeDes:         p["err_code_des"],
		PromotionDetail:    p["promotion_detail"],
		Raw:                p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return n, nil
}

// RefundNotify is a refund result notify (chapter 9_16), decrypted. Its
// authenticity rests on req_info decrypting under the client's key: the
// message carries no signature. Fees are in fen.
type RefundNotify struct {
	AppID    string
	MchID    string
	SubAppID string // sub-merchant mode only
	SubMchID string // sub-merchant mode only

	TransactionID string
	OutTradeNo    string
	RefundID      string // WeChat's refund number
	OutRefundNo   string // yours

	TotalFee            int64
	SettlementTotalFee  int64
	RefundFee           int64
	SettlementRefundFee int64

	RefundStatus RefundStatus // SUCCESS, CHANGE (needs manual handling) or REFUNDCLOSE
	SuccessTime  time.Time    // Beijing time; zero unless the refund succeeded

	RefundRecvAccount   string // where the money went, e.g. a bank card or 支付用户零钱 (the change balance)
	RefundAccount       string // REFUND_SOURCE_RECHARGE_FUNDS or REFUND_SOURCE_UNSETTLED_FUNDS
	RefundRequestSource string // API or VENDOR_PLATFORM

	Raw Params // the decrypted <root> message
}

// ParseRefundNotify decodes and checks the body of a refund notify: its
// return_code must be SUCCESS and its appid and mch_id the client's; then
// req_info is decrypted (AES-256-ECB under the lower-case hex MD5 of the
// client's key) and decoded. A req_info that does not decrypt, as one
// made with another key, gives an error wrapping ErrDecrypt.
//
// The notify may be a repeat: check the refund's state in your records
// before acting on it.
func (c *Client) ParseRefundNotify(body []byte) (*RefundNotify, error) {
	outer, err := c.notifyEnvelope(body, nil)
	if err != nil {
		return nil, err
	}
	// Unsigned, so appid and mch_id only steer: they are checked to fail
	// early and clearly; decryption is what proves the notify genuine.
	if err := c.checkMerchant(outer); err != nil {
		return nil, err
	}
	p, err := openReqInfo(outer["req_info"], c.signKey())
	if err != nil {
		return nil, err
	}
	if err := present(p, "out_trade_no", "out_refund_no", "refund_status"); err != nil {
		return nil, err
	}
	recv := p["refund_recv_accout"] // [sic], WeChat's spelling
	if recv == "" {
		recv = p["refund_recv_account"]
	}
	r := fieldReader{p: p}
	n := &RefundNotify{
		AppID:               outer["appid"],
		MchID:               outer["mch_id"],
		SubAppID:            outer["sub_appid"],
		SubMchID:            outer["sub_mch_id"],
		TransactionID:       p["transaction_id"],
		OutTradeNo:          p["out_trade_no"],
		RefundID:            p["refund_id"],
		OutRefundNo:         p["out_refund_no"],
		TotalFee:            r.fen("total_fee"),
		SettlementTotalFee:  r.fen("settlement_total_fee"),
		RefundFee:           r.fen("refund_fee"),
		SettlementRefundFee: r.fen("settlement_refund_fee"),
		RefundStatus:        RefundStatus(p["refund_status"]),
		SuccessTime:         r.time("success_time", timeLayoutDash),
		RefundRecvAccount:   recv,
		RefundAccount:       p["refund_account"],
		RefundRequestSource: p["refund_request_source"],
		Raw:                 p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return n, nil
}

// notifyEnvelope decodes a notify body and checks what every notify has:
// return_code SUCCESS (a FAIL notify carries neither sign nor data) and
// the appid and mch_id that name the merchant. It leaves the fields in s
// as parseXML does.
func (c *Client) notifyEnvelope(body []byte, s *scratch) (Params, error) {
	p, err := parseXML(body, s)
	if err != nil {
		return nil, err
	}
	switch p["return_code"] {
	case "SUCCESS":
	case "":
		return nil, fmt.Errorf("%w: notify has no return_code", ErrMalformedXML)
	default:
		return nil, &Error{ReturnCode: p["return_code"], ReturnMsg: p["return_msg"]}
	}
	// checkMerchant lets absent fields pass; in a notify they are
	// documented, and a message without them names no merchant at all.
	if err := present(p, "appid", "mch_id"); err != nil {
		return nil, err
	}
	// Answers in service-provider mode do not all echo sub_mch_id, so
	// checkMerchant lets it be absent; a notify always names it.
	if c.subMchID != "" && p["sub_mch_id"] == "" {
		return nil, fmt.Errorf("%w: notify names no sub_mch_id, expected %q", ErrMerchantMismatch, c.subMchID)
	}
	return p, nil
}

var errFieldMissing = errors.New("missing")

// present returns a *FieldError for the first of the named fields that
// a received message lacks or leaves empty.
func present(p Params, fields ...string) error {
	for _, f := range fields {
		if p[f] == "" {
			return &FieldError{Field: f, Err: errFieldMissing}
		}
	}
	return nil
}

// openReqInfo decrypts a refund notify's req_info and decodes the <root>
// message inside. Errors wrap ErrDecrypt.
func openReqInfo(reqInfo, apiKey string) (Params, error) {
	bp := plainPool.Get().(*[]byte)
	plain, err := decryptReqInfo((*bp)[:0], reqInfo, apiKey)
	var p Params
	if err == nil {
		// ParseXML copies what it keeps, so the buffer can be reused.
		if p, err = ParseXML(plain); err != nil {
			err = fmt.Errorf("%w: decrypted req_info: %w", ErrDecrypt, err)
		}
	}
	if cap(plain) > cap(*bp) {
		*bp = plain[:0] // grown for a large notify: keep the larger buffer
	}
	// The plaintext is a payer's refund; wipe it before the buffer is reused.
	clear((*bp)[:cap(*bp)])
	if cap(*bp) <= 64<<10 {
		plainPool.Put(bp)
	}
	return p, err
}

// plainPool holds buffers for req_info plaintexts, which ParseXML copies
// from: a notify decrypts without allocating one.
var plainPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// decryptReqInfo appends the plaintext of a refund notify's req_info to
// dst and returns it: standard base64, AES-256-ECB under the 32 ASCII bytes
// of the lower-case hex MD5 of apiKey, PKCS#7 padding. The ciphertext is
// decoded into dst and decrypted in place. On error it returns what it
// wrote to dst, for the caller to wipe; every error wraps ErrDecrypt.
func decryptReqInfo(dst []byte, reqInfo, apiKey string) ([]byte, error) {
	if reqInfo == "" {
		return dst, fmt.Errorf("%w: no req_info", ErrDecrypt)
	}
	buf, err := base64.StdEncoding.AppendDecode(dst, []byte(reqInfo))
	if err != nil {
		return buf, fmt.Errorf("%w: req_info is not base64: %v", ErrDecrypt, err)
	}
	ct := buf[len(dst):]
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return buf, fmt.Errorf("%w: ciphertext of %d bytes is not a whole number of blocks", ErrDecrypt, len(ct))
	}
	block, err := reqInfoBlock(apiKey)
	if err != nil {
		return buf, err
	}
	// ECB: each block on its own. The standard library has no ECB mode,
	// rightly, but this is the scheme WeChat chose.
	for i := 0; i < len(ct); i += aes.BlockSize {
		block.Decrypt(ct[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	n, ok := unpadPKCS7(ct)
	if !ok {
		// A wrong key gives random bytes, which almost never end in a
		// valid pad.
		return buf, fmt.Errorf("%w: bad padding (wrong API key?)", ErrDecrypt)
	}
	return buf[:len(dst)+n], nil
}

// lastReqInfoKey caches the AES key schedule of the last API key used:
// deriving it (MD5, hex, key expansion) costs a third of decrypting a
// notify, and a server has one key, two with the sandbox. Another key
// just replaces it. An AES block is safe for concurrent use: it holds
// only the expanded key.
var lastReqInfoKey atomic.Pointer[reqInfoKey]

type reqInfoKey struct {
	apiKey string
	block  cipher.Block
}

// reqInfoBlock returns the cipher for apiKey's req_info key.
func reqInfoBlock(apiKey string) (cipher.Block, error) {
	if k := lastReqInfoKey.Load(); k != nil && k.apiKey == apiKey {
		return k.block, nil
	}
	sum := md5.Sum([]byte(apiKey))
	var key [2 * md5.Size]byte
	hex.Encode(key[:], sum[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	lastReqInfoKey.Store(&reqInfoKey{apiKey: apiKey, block: block})
	return block, nil
}

// unpadPKCS7 returns the length of b without its PKCS#7 padding, checking
// that the pad is 1 to aes.BlockSize bytes that all hold its length. b is
// a non-empty whole number of blocks.
func unpadPKCS7(b []byte) (int, bool) {
	pad := int(b[len(b)-1])
	if pad == 0 || pad > aes.BlockSize {
		return 0, false
	}
	var diff byte
	for _, c := range b[len(b)-pad:] {
		diff |= c ^ byte(pad)
	}
	return len(b) - pad, diff == 0
}

// notifySuccess is the one reply that stops WeChat from resending a
// notify.
const notifySuccess = `<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>`

// PayNotifyHandler returns an http.Handler for the notify_url of your
// orders. It accepts POST only, reads at most MaxBodySize bytes, and
// checks the notify with ParsePayNotify. fn is called, with the request's
// context, only for an authentic notify of this merchant; the handler
// replies WeChat's SUCCESS message (HTTP 200) only when fn returns nil.
//
// Any other outcome is a FAIL reply, which WeChat answers by sending the
// notify again, for about a day (15s, 15s, 30s, 3m, 10m, …): 405 for a
// method other than POST, 413 for an oversized body, 400 for a body that
// is not an authentic notify of this merchant (fn is not called), and 500
// when fn returns an error.
//
// WeChat resends notifies it thinks were missed and may deliver the same
// notify twice, even at once from two servers: fn must be idempotent by
// OutTradeNo — look the order up, do nothing but return nil if it is
// already paid, and serialize updates with a lock or a transaction. Check
// TotalFee against the order. fn should return quickly; slow replies cause
// resends. To log rejected notifies, write your own handler around
// ParsePayNotify.
func (c *Client) PayNotifyHandler(fn func(context.Context, *PayNotify) error) http.Handler {
	return notifyHandler(c.ParsePayNotify, fn)
}

// RefundNotifyHandler is PayNotifyHandler for the refund notify, checked
// with ParseRefundNotify; the replies and status codes are the same. fn
// must be idempotent by OutRefundNo.
func (c *Client) RefundNotifyHandler(fn func(context.Context, *RefundNotify) error) http.Handler {
	return notifyHandler(c.ParseRefundNotify, fn)
}

// notifyHandler is the one notify handler: read, parse (which
// authenticates), call fn, reply.
func notifyHandler[T any](parse func([]byte) (*T, error), fn func(context.Context, *T) error) http.Handler {
	if fn == nil {
		panic("wxpay: notify handler with a nil callback")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			replyNotify(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		buf := bodyPool.Get().(*bytes.Buffer)
		defer putBody(buf)
		buf.Reset()
		// ParseXML copies what it keeps, so the pooled buffer can go back.
		if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodySize)); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				replyNotify(w, http.StatusRequestEntityTooLarge, "body too large")
				return
			}
			replyNotify(w, http.StatusBadRequest, "cannot read body")
			return
		}
		n, err := parse(buf.Bytes())
		if err != nil {
			replyNotify(w, http.StatusBadRequest, rejectReason(err))
			return
		}
		if err := fn(r.Context(), n); err != nil {
			replyNotify(w, http.StatusInternalServerError, "not processed")
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(notifySuccess))
	})
}

// rejectReason names the check a notify failed, for return_msg: short,
// and never the details, which are the sender's to know already.
func rejectReason(err error) string {
	for _, e := range [...]struct {
		err    error
		reason string
	}{
		{ErrInvalidSign, "invalid sign"},
		{ErrMerchantMismatch, "wrong merchant"},
		{ErrDecrypt, "req_info does not decrypt"},
		{ErrMalformedXML, "malformed XML"},
		{ErrBodyTooLarge, "body too large"},
	} {
		if errors.Is(err, e.err) {
			return e.reason
		}
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return "bad field " + fe.Field
	}
	return "invalid notify"
}

// replyNotify writes a FAIL reply, which makes WeChat resend the notify.
func replyNotify(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(Params{"return_code": "FAIL", "return_msg": reason}.AppendXML(nil))
}
