package wxpay

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// Legacy payouts (企业付款): to a user's WeChat balance (付款到零钱) and
// to a bank card (付款到银行卡). WeChat closed them to new merchants;
// merchants who hold the permission may still call them, and APIv3's
// 商家转账 (POST /v3/fund-app/mch-transfer/transfer-bills) is their
// successor for everyone else.
//
// The requests are signed with MD5 without sign_type, and need the client
// certificate. Transfer names the merchant mch_appid and mchid; the bank
// calls send mch_id alone. WeChat answers transfers unsigned, so a payout
// WeChat reports as made is taken as made: its merchant fields are not
// checked, and an odd field is left in Raw rather than turned into an
// error.
//
// partner_trade_no is the idempotency key: WeChat pays one number once.
// An answer that leaves the outcome open (SYSTEMERROR, a timeout, an
// answer that cannot be read) is a *TransferPendingError: query with
// TransferInfo (PayBankQuery), or send the very same request again, never
// a new number.

// CheckName is a transfer's check_name: whether WeChat checks the payee's
// real name.
type CheckName string

// The values of check_name.
const (
	NoCheck    CheckName = "NO_CHECK"    // the default
	ForceCheck CheckName = "FORCE_CHECK" // ReUserName must be the payee's real name
)

// TransferRequest pays a user's WeChat balance (POST
// /mmpaymkttransfers/promotion/transfers). PartnerTradeNo, OpenID,
// Amount, Desc and SpbillCreateIP are required, and ReUserName with
// ForceCheck.
type TransferRequest struct {
	// PartnerTradeNo is the merchant's number for the payout, at most 32
	// letters and digits. It is the idempotency key: keep it for every
	// resend.
	PartnerTradeNo string
	OpenID         string    // the payee, under the client's app (mch_appid)
	CheckName      CheckName // "" means NoCheck
	ReUserName     string    // the payee's real name, for ForceCheck
	Amount         int64     // fen
	Desc           string    // shown to the payee, at most 100 characters
	SpbillCreateIP string    // the IP of the machine calling the API
	DeviceInfo     string
}

func (r *TransferRequest) build(b *request) {
	b.need("partner_trade_no", r.PartnerTradeNo, 32)
	b.billNo("partner_trade_no", r.PartnerTradeNo)
	b.need("openid", r.OpenID, 128)
	check := r.CheckName
	if check == "" {
		check = NoCheck
	}
	b.oneOfValues("check_name", string(check), string(NoCheck), string(ForceCheck))
	b.set("check_name", string(check))
	if check == ForceCheck {
		b.need("re_user_name", r.ReUserName, 64)
	} else {
		b.text("re_user_name", r.ReUserName, 64)
	}
	b.fen("amount", r.Amount)
	b.need("desc", r.Desc, 100)
	b.need("spbill_create_ip", r.SpbillCreateIP, 45)
	b.ip("spbill_create_ip", r.SpbillCreateIP)
	b.text("device_info", r.DeviceInfo, 32)
}

// TransferResponse is WeChat's answer that a payout was made.
type TransferResponse struct {
	PartnerTradeNo string
	PaymentNo      string    // WeChat's number for the payout
	PaymentTime    time.Time // zero if WeChat wrote it oddly; see Raw
	MchAppID       string
	MchID          string
	DeviceInfo     string
	Raw            Params // the whole answer, unsigned unless WeChat signed it
}

// TransferPendingError reports a payout whose outcome is unknown: WeChat
// answered SYSTEMERROR, PROCESSING or SEND_FAILED, or the answer was lost
// or could not be trusted. The money may have been paid. Query with
// TransferInfo (PayBankQuery for a bank payout), or send the same request
// again with the same PartnerTradeNo, which WeChat pays at most once;
// never send it under a new number. Err is the cause: errors.As finds the
// *Error inside when WeChat answered.
type TransferPendingError struct {
	PartnerTradeNo string
	Query          string // the method that settles it: "TransferInfo" or "PayBankQuery"
	Err            error
}

// Error says the outcome is unknown and what to do.
func (e *TransferPendingError) Error() string {
	return fmt.Sprintf("wxpay: payout %s: outcome unknown: query with %s, never resend with a new number: %v", e.PartnerTradeNo, e.Query, e.Err)
}

// Unwrap returns the cause.
func (e *TransferPendingError) Unwrap() error { return e.Err }

var (
	endpointTransfer = endpoint{
		path: "/mmpaymkttransfers/promotion/transfers", cert: true, noSignType: true, unsigned: true, anyMerchant: true,
		appIDField: "mch_appid", mchIDField: "mchid", sub: subNone, idempotent: true,
	}
	endpointTransferInfo = endpoint{
		path: "/mmpaymkttransfers/gettransferinfo", cert: true, noSignType: true, unsigned: true, sub: subNone, idempotent: true,
	}
	endpointPayBank = endpoint{
		path: "/mmpaysptrans/pay_bank", cert: true, noSignType: true, unsigned: true, anyMerchant: true,
		appIDField: "-", sub: subNone, idempotent: true,
	}
	endpointPayBankQuery = endpoint{
		path: "/mmpaysptrans/query_bank", cert: true, noSignType: true, unsigned: true, appIDField: "-", sub: subNone, idempotent: true,
	}
	// getpublickey takes sign_type (MD5 or HMAC-SHA256) and lives on
	// WeChat's risk-control host.
	endpointRSAPublicKey = endpoint{
		path: "/risk/getpublickey", host: "https://fraud.mch.weixin.qq.com", cert: true, unsigned: true,
		appIDField: "-", sub: subNone, idempotent: true,
	}
)

// payoutOutcome wraps a payout's error as a *TransferPendingError unless
// it proves nothing was paid.
func payoutOutcome(r interface{ tradeNo() string }, query string, err error) error {
	if outcomeSettled(err, ErrCodeSendFailed) {
		return err
	}
	return &TransferPendingError{PartnerTradeNo: r.tradeNo(), Query: query, Err: err}
}

func (r *TransferRequest) tradeNo() string { return r.PartnerTradeNo }
func (r *PayBankRequest) tradeNo() string  { return r.PartnerTradeNo }

// Transfer pays a user's WeChat balance (POST
// /mmpaymkttransfers/promotion/transfers, with the client certificate).
// A nil error means WeChat paid. An error that proves nothing was paid
// (NOTENOUGH, NAME_MISMATCH, a refused request) is returned as it is;
// any other is a *TransferPendingError. WithRetry resends the same
// request, which the same PartnerTradeNo makes safe.
func (c *Client) Transfer(ctx context.Context, r *TransferRequest) (*TransferResponse, error) {
	resp, err := send(ctx, c, endpointTransfer, r, func(p Params) (*TransferResponse, error) {
		t, _ := parseTime(p, "payment_time", timeLayoutDash)
		return &TransferResponse{
			PartnerTradeNo: p["partner_trade_no"], PaymentNo: p["payment_no"], PaymentTime: t,
			MchAppID: p["mch_appid"], MchID: p["mchid"], DeviceInfo: p["device_info"], Raw: p,
		}, nil
	})
	if err != nil {
		return nil, payoutOutcome(r, "TransferInfo", err)
	}
	return resp, nil
}

// TransferInfoRequest names the payout to query.
type TransferInfoRequest struct {
	PartnerTradeNo string // required
}

func (r *TransferInfoRequest) build(b *request) { b.need("partner_trade_no", r.PartnerTradeNo, 32) }

// TransferStatus is the state of a payout.
type TransferStatus string

// The states of a payout to balance.
const (
	TransferSuccess    TransferStatus = "SUCCESS"
	TransferFailed     TransferStatus = "FAILED"
	TransferProcessing TransferStatus = "PROCESSING"
)

// TransferInfoResponse is a payout's record.
type TransferInfoResponse struct {
	PartnerTradeNo string
	AppID          string
	MchID          string
	DetailID       string // WeChat's number for the payout
	Status         TransferStatus
	Reason         string // why it FAILED
	OpenID         string
	TransferName   string // the payee's name, when checked
	PaymentAmount  int64  // fen
	TransferTime   time.Time
	PaymentTime    time.Time
	Desc           string
	Raw            Params
}

// TransferInfo returns the record of a payout to balance (POST
// /mmpaymkttransfers/gettransferinfo, with the client certificate): how
// to settle a *TransferPendingError. A payout WeChat does not know is an
// *Error with ErrCode ErrCodeNotFound; if that follows a pending
// Transfer, nothing was paid and the same request may be sent again.
func (c *Client) TransferInfo(ctx context.Context, r *TransferInfoRequest) (*TransferInfoResponse, error) {
	return send(ctx, c, endpointTransferInfo, r, func(p Params) (*TransferInfoResponse, error) {
		rd := fieldReader{p: p}
		resp := &TransferInfoResponse{
			PartnerTradeNo: p["partner_trade_no"],
			AppID:          p["appid"],
			MchID:          p["mch_id"],
			DetailID:       p["detail_id"],
			Status:         TransferStatus(p["status"]),
			Reason:         p["reason"],
			OpenID:         p["openid"],
			TransferName:   p["transfer_name"],
			PaymentAmount:  rd.fen("payment_amount"),
			TransferTime:   rd.anyTime("transfer_time"),
			PaymentTime:    rd.anyTime("payment_time"),
			Desc:           p["desc"],
			Raw:            p,
		}
		return resp, rd.err
	})
}

// PayBankRequest pays a bank card (POST /mmpaysptrans/pay_bank). Every
// field but Desc is required. EncBankNo and EncTrueName are the card
// number and the holder's name encrypted with EncryptBankField under the
// key RSAPublicKey returns.
type PayBankRequest struct {
	// PartnerTradeNo is the merchant's number for the payout, at most 32
	// letters and digits, and its idempotency key.
	PartnerTradeNo string
	EncBankNo      string // EncryptBankField(key, card number)
	EncTrueName    string // EncryptBankField(key, holder's name)
	BankCode       string // WeChat's code of the bank, e.g. "1002" (ICBC)
	Amount         int64  // fen
	Desc           string // at most 100 characters
}

func (r *PayBankRequest) build(b *request) {
	b.need("partner_trade_no", r.PartnerTradeNo, 32)
	b.billNo("partner_trade_no", r.PartnerTradeNo)
	b.encrypted("enc_bank_no", r.EncBankNo)
	b.encrypted("enc_true_name", r.EncTrueName)
	b.need("bank_code", r.BankCode, 64)
	b.fen("amount", r.Amount)
	b.text("desc", r.Desc, 100)
}

// PayBankResponse is WeChat's answer that a bank payout was accepted; the
// bank pays within days, and PayBankQuery follows it.
type PayBankResponse struct {
	PartnerTradeNo string
	PaymentNo      string // WeChat's number for the payout
	Amount         int64  // fen
	CmmsAmt        int64  // fen: WeChat's fee
	MchID          string
	Raw            Params
}

// PayBank pays a bank card (POST /mmpaysptrans/pay_bank, with the client
// certificate). A nil error means WeChat accepted the payout. Errors are
// as Transfer's, with PayBankQuery to settle a *TransferPendingError.
func (c *Client) PayBank(ctx context.Context, r *PayBankRequest) (*PayBankResponse, error) {
	resp, err := send(ctx, c, endpointPayBank, r, func(p Params) (*PayBankResponse, error) {
		amount, _ := parseFen(p, "amount")
		fee, _ := parseFen(p, "cmms_amt")
		return &PayBankResponse{
			PartnerTradeNo: p["partner_trade_no"], PaymentNo: p["payment_no"], Amount: amount, CmmsAmt: fee,
			MchID: p["mch_id"], Raw: p,
		}, nil
	})
	if err != nil {
		return nil, payoutOutcome(r, "PayBankQuery", err)
	}
	return resp, nil
}

// PayBankQueryRequest names the bank payout to query.
type PayBankQueryRequest struct {
	PartnerTradeNo string // required
}

func (r *PayBankQueryRequest) build(b *request) { b.need("partner_trade_no", r.PartnerTradeNo, 32) }

// PayBankStatus is the state of a bank payout.
type PayBankStatus string

// The states of a bank payout.
const (
	PayBankProcessing PayBankStatus = "PROCESSING"
	PayBankSuccess    PayBankStatus = "SUCCESS"
	PayBankFailed     PayBankStatus = "FAILED"
	PayBankBankFail   PayBankStatus = "BANK_FAIL" // the bank refunded it
)

// PayBankQueryResponse is a bank payout's record.
type PayBankQueryResponse struct {
	PartnerTradeNo string
	PaymentNo      string
	MchID          string
	BankNoMD5      string // MD5 of the card number
	TrueNameMD5    string // MD5 of the holder's name
	Amount         int64  // fen
	CmmsAmt        int64  // fen
	Status         PayBankStatus
	Reason         string
	CreateTime     time.Time
	PaySuccTime    time.Time
	Raw            Params
}

// PayBankQuery returns the record of a bank payout (POST
// /mmpaysptrans/query_bank, with the client certificate).
func (c *Client) PayBankQuery(ctx context.Context, r *PayBankQueryRequest) (*PayBankQueryResponse, error) {
	return send(ctx, c, endpointPayBankQuery, r, func(p Params) (*PayBankQueryResponse, error) {
		rd := fieldReader{p: p}
		resp := &PayBankQueryResponse{
			PartnerTradeNo: p["partner_trade_no"],
			PaymentNo:      p["payment_no"],
			MchID:          p["mch_id"],
			BankNoMD5:      p["bank_no_md5"],
			TrueNameMD5:    p["true_name_md5"],
			Amount:         rd.fen("amount"),
			CmmsAmt:        rd.fen("cmms_amt"),
			Status:         PayBankStatus(p["status"]),
			Reason:         p["reason"],
			CreateTime:     rd.anyTime("create_time"),
			PaySuccTime:    rd.anyTime("pay_succ_time"),
			Raw:            p,
		}
		return resp, rd.err
	})
}

type noFields struct{}

func (*noFields) build(*request) {}

// RSAPublicKey fetches the RSA public key bank payouts are encrypted
// with (POST https://fraud.mch.weixin.qq.com/risk/getpublickey, with the
// client certificate, mch_id alone), as the PEM WeChat returns: PKCS#1,
// "BEGIN RSA PUBLIC KEY". The key changes rarely: fetch it once and keep
// it. Under a base URL other than WeChat's (wxpaytest, a proxy) the path
// goes to that base URL.
func (c *Client) RSAPublicKey(ctx context.Context) ([]byte, error) {
	return send(ctx, c, endpointRSAPublicKey, &noFields{}, func(p Params) ([]byte, error) {
		if err := present(p, "pub_key"); err != nil {
			return nil, err
		}
		key := []byte(p["pub_key"])
		if _, err := parseRSAPublicKey(key); err != nil {
			return nil, &FieldError{Field: "pub_key", Value: p["pub_key"], Err: err}
		}
		return key, nil
	})
}

// ErrBadPublicKey is returned (wrapped) by EncryptBankField for a key
// that is not an RSA public key in PEM.
var ErrBadPublicKey = errors.New("wxpay: not an RSA public key in PEM")

func parseRSAPublicKey(publicKeyPEM []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(publicKeyPEM)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrBadPublicKey)
	}
	switch block.Type {
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
		}
		return k, nil
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPublicKey, err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: a %T key", ErrBadPublicKey, k)
		}
		return rk, nil
	}
	return nil, fmt.Errorf("%w: PEM block %q", ErrBadPublicKey, block.Type)
}

// EncryptBankField encrypts a bank payout's card number or holder's name
// for PayBank, as WeChat requires: RSA/ECB/OAEPWithSHA-1AndMGF1Padding
// under publicKeyPEM, the PKCS#1 key RSAPublicKey returns (a PKIX
// "BEGIN PUBLIC KEY" one is accepted too), in standard base64. OAEP is
// randomized: each call gives another ciphertext of the same value.
func EncryptBankField(publicKeyPEM []byte, s string) (string, error) {
	if s == "" {
		return "", errors.New("wxpay: EncryptBankField: empty value")
	}
	k, err := parseRSAPublicKey(publicKeyPEM)
	if err != nil {
		return "", err
	}
	out, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, k, []byte(s), nil)
	if err != nil {
		return "", fmt.Errorf("wxpay: EncryptBankField: %w", err)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
