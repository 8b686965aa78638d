package wxpay

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// PayNotify is a verified payment result notify (chapter 9_7): WeChat's
// POST to the unified order's notify_url. ResultCode "SUCCESS" means the
// order was paid; ParsePayNotify returns "FAIL" notifies too, with ErrCode
// and ErrCodeDes, while PayNotifyHandler passes them on only to
// OnPaymentFailed. Fees are in fen; compare TotalFee with your own order.
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

	ResultCode ResultCode // ResultSuccess: paid; ResultFail: the payment failed (ErrCode, ErrCodeDes)
	ErrCode    string
	ErrCodeDes string

	PromotionDetail string // JSON; sent instead of the coupon fields for single-item discounts

	ContractID string // a recurring deduction's (TradeType TradeTypePAP): the contract it was deducted under

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
	p, sorted, err := c.notifyEnvelope(body)
	if err != nil {
		return nil, err
	}
	if err := c.currentSigner().verify(p, sorted, ""); err != nil {
		return nil, fmt.Errorf("pay notify: %w", err)
	}
	if err := c.checkMerchant(p, "appid", "mch_id"); err != nil {
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
		ResultCode:         ResultCode(p["result_code"]),
		ErrCode:            p["err_code"],
		ErrCodeDes:         p["err_code_des"],
		PromotionDetail:    p["promotion_detail"],
		ContractID:         p["contract_id"],
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
	RefundAccount       RefundAccount
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
// before acting on it. And it proves less than a payment notify: req_info
// has no integrity (ECB, no MAC), so blocks of two genuine notifies can be
// spliced, and the envelope's merchant fields are unsigned. Match the
// refund to your own records (order, amounts) and confirm a SUCCESS with
// RefundQuery before money or goods move (see SECURITY.md).
func (c *Client) ParseRefundNotify(body []byte) (*RefundNotify, error) {
	outer, _, err := c.notifyEnvelope(body)
	if err != nil {
		return nil, err
	}
	// Unsigned, so appid and mch_id only steer: they are checked to fail
	// early and clearly; decryption is what proves the notify genuine.
	if err := c.checkMerchant(outer, "appid", "mch_id"); err != nil {
		return nil, err
	}
	p, err := c.currentSigner().openReqInfo(outer["req_info"])
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
		RefundAccount:       RefundAccount(p["refund_account"]),
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
// the appid and mch_id that name the merchant. It also returns the fields
// in name order, for verification.
func (c *Client) notifyEnvelope(body []byte) (Params, []wire.Field, error) {
	if err := c.ready(); err != nil {
		return nil, nil, err
	}
	p, sorted, err := decode(body)
	if err != nil {
		return nil, nil, err
	}
	switch p["return_code"] {
	case "SUCCESS":
	case "":
		return nil, nil, fmt.Errorf("%w: notify has no return_code", ErrMalformedXML)
	default:
		return nil, nil, &Error{ReturnCode: p["return_code"], ReturnMsg: p["return_msg"]}
	}
	// checkMerchant lets absent fields pass; in a notify they are
	// documented, and a message without them names no merchant at all.
	if err := present(p, "appid", "mch_id"); err != nil {
		return nil, nil, err
	}
	// Answers in service-provider mode do not all echo sub_mch_id, so
	// checkMerchant lets it be absent; a notify always names it.
	if c.subMchID != "" && p["sub_mch_id"] == "" {
		return nil, nil, fmt.Errorf("%w: notify names no sub_mch_id, expected %q", ErrMerchantMismatch, c.subMchID)
	}
	return p, sorted, nil
}

// openReqInfo decrypts a refund notify's req_info and decodes the <root>
// message inside. Errors wrap ErrDecrypt.
func (s *signer) openReqInfo(reqInfo string) (Params, error) {
	plain, err := s.decryptReqInfo(reqInfo)
	if err != nil {
		return nil, err
	}
	p, err := ParseXML(plain)
	clear(plain) // a payer's refund: not left in memory longer than needed
	if err != nil {
		return nil, fmt.Errorf("%w: decrypted req_info: %w", ErrDecrypt, err)
	}
	return p, nil
}

// decryptReqInfo returns the plaintext of a refund notify's req_info:
// standard base64, AES-256-ECB under the 32 ASCII bytes of the lower-case
// hex MD5 of the key, PKCS#7 padding. Every error wraps ErrDecrypt.
func (s *signer) decryptReqInfo(reqInfo string) ([]byte, error) {
	if reqInfo == "" {
		return nil, fmt.Errorf("%w: no req_info", ErrDecrypt)
	}
	ct, err := base64.StdEncoding.DecodeString(reqInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: req_info is not base64: %v", ErrDecrypt, err)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes is not a whole number of blocks", ErrDecrypt, len(ct))
	}
	block, err := s.reqInfoCipher()
	if err != nil {
		return nil, err
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
		clear(ct)
		return nil, fmt.Errorf("%w: bad padding (wrong API key?)", ErrDecrypt)
	}
	return ct[:n], nil
}

// reqInfoCipher returns the AES cipher of the signer's req_info key,
// derived once: an AES block is safe for concurrent use.
func (s *signer) reqInfoCipher() (cipher.Block, error) {
	s.aesOnce.Do(func() {
		sum := md5.Sum([]byte(s.key))
		var key [2 * md5.Size]byte
		hex.Encode(key[:], sum[:])
		s.aes, s.aesErr = aes.NewCipher(key[:])
	})
	if s.aesErr != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, s.aesErr)
	}
	return s.aes, nil
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
// context, only for an authentic notify of this merchant that says the
// order was paid (result_code SUCCESS); the handler replies WeChat's
// SUCCESS message (HTTP 200) only when fn returns nil.
//
// A verified notify of a failed payment (result_code FAIL) never reaches
// fn: it is acknowledged, so that WeChat stops sending it, and logged; pass
// OnPaymentFailed to handle it yourself.
//
// Any other outcome is a FAIL reply, which WeChat answers by sending the
// notify again, for about a day (15s, 15s, 30s, 3m, 10m, …): 405 for a
// method other than POST, 413 for an oversized body, 400 for a body that
// is not an authentic notify of this merchant (fn is not called), and 500
// when fn returns an error. Every rejection is logged with its reason, at
// Warn, to the client's logger (WithLogger) or else slog.Default(): a
// wrong API key or merchant id shows up in the logs, not only as orders
// that never get paid.
//
// WeChat resends notifies it thinks were missed and may deliver the same
// notify twice, even at once from two servers: fn must be idempotent by
// OutTradeNo — look the order up, do nothing but return nil if it is
// already paid, and serialize updates with a lock or a transaction. Check
// TotalFee against the order. fn should return quickly; slow replies cause
// resends.
func (c *Client) PayNotifyHandler(fn func(context.Context, *PayNotify) error, opts ...NotifyOption) http.Handler {
	var cfg notifyConfig
	for _, o := range opts {
		o(&cfg)
	}
	deliver := func(ctx context.Context, n *PayNotify) error {
		if n.ResultCode == ResultSuccess {
			return fn(ctx, n)
		}
		if cfg.failed != nil {
			return cfg.failed(ctx, n)
		}
		c.notifyLogger().LogAttrs(ctx, slog.LevelInfo, "wxpay: payment notify with result_code FAIL acknowledged; fn not called",
			slog.String("out_trade_no", n.OutTradeNo), slog.String("err_code", n.ErrCode), slog.String("err_code_des", n.ErrCodeDes))
		return nil
	}
	if fn == nil {
		panic("wxpay: PayNotifyHandler with a nil callback")
	}
	return notifyHandler(c, "pay notify", c.ParsePayNotify, deliver)
}

// NotifyOption configures a notify handler.
type NotifyOption func(*notifyConfig)

type notifyConfig struct {
	failed func(context.Context, *PayNotify) error
}

// OnPaymentFailed makes PayNotifyHandler pass verified notifies of failed
// payments (result_code FAIL, with ErrCode and ErrCodeDes) to fn, replying
// as it replies for the paid ones. Without it they are acknowledged and
// logged.
func OnPaymentFailed(fn func(context.Context, *PayNotify) error) NotifyOption {
	return func(c *notifyConfig) { c.failed = fn }
}

// RefundNotifyHandler is PayNotifyHandler for the refund notify, checked
// with ParseRefundNotify; the replies, status codes and logging are the
// same. fn is called for every refund status (SUCCESS, CHANGE,
// REFUNDCLOSE) and must be idempotent by OutRefundNo. req_info is
// encrypted, not signed: confirm a SUCCESS against your own records (the
// order, the amounts) or with RefundQuery before money moves (see
// SECURITY.md).
func (c *Client) RefundNotifyHandler(fn func(context.Context, *RefundNotify) error) http.Handler {
	if fn == nil {
		panic("wxpay: RefundNotifyHandler with a nil callback")
	}
	return notifyHandler(c, "refund notify", c.ParseRefundNotify, fn)
}

// notifyLogger is where notify handlers report: the client's logger, or
// the default one, as http.Server reports to the log package's.
func (c *Client) notifyLogger() *slog.Logger {
	if c != nil && c.logger != nil {
		return c.logger
	}
	return slog.Default()
}

// notifyHandler is the handler of the notifies: deliver, then reply
// SUCCESS, or FAIL (HTTP 500) when deliver fails, so that WeChat resends.
func notifyHandler[T any](c *Client, kind string, parse func([]byte) (*T, error), deliver func(context.Context, *T) error) http.Handler {
	return inbound(c, kind, parse, func(w http.ResponseWriter, r *http.Request, n *T) error {
		if err := deliver(r.Context(), n); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(notifySuccess))
		return nil
	})
}

// inbound is the one handler of what WeChat posts to a merchant (the
// notifies, the mode-1 callback): POST only, at most MaxBodySize read,
// parsed (which authenticates) and answered; every rejection, answer's
// error included, is logged with its reason and replied FAIL.
func inbound[T any](c *Client, kind string, parse func([]byte) (*T, error), answer func(http.ResponseWriter, *http.Request, *T) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reject := func(status int, reason string, err error) {
			attrs := []slog.Attr{slog.String("reason", reason), slog.Int("status", status), slog.String("remote", r.RemoteAddr)}
			if err != nil {
				attrs = append(attrs, slog.String("error", err.Error()))
			}
			c.notifyLogger().LogAttrs(r.Context(), slog.LevelWarn, "wxpay: "+kind+" rejected", attrs...)
			replyNotify(w, status, reason)
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			reject(http.StatusMethodNotAllowed, "method not allowed", nil)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				reject(http.StatusRequestEntityTooLarge, "body too large", err)
				return
			}
			reject(http.StatusBadRequest, "cannot read body", err)
			return
		}
		n, err := parse(body)
		if err != nil {
			reject(http.StatusBadRequest, rejectReason(err), err)
			return
		}
		if err := answer(w, r, n); err != nil {
			reject(http.StatusInternalServerError, "not processed", err)
		}
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
