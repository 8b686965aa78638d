package wxpaytest

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/wxpay-go/wxpay"
)

// Legacy payouts (企业付款): to balance (mch_appid + mchid, unsigned
// answers) and to bank cards (mch_id alone, RSA-encrypted card fields),
// all MD5 without sign_type and with the client certificate;
// getpublickey hands out the key the card fields are encrypted with.
func init() {
	po := func(ep endpoint) endpoint {
		ep.cert, ep.noSignType, ep.noSubAppID = true, true, true
		return ep
	}
	endpoints["/mmpaymkttransfers/promotion/transfers"] = po(endpoint{
		appIDField: "mch_appid", mchIDField: "mchid", unsigned: true,
		required: []string{"partner_trade_no", "openid", "check_name", "amount", "desc"},
		serve:    (*Server).transfer,
	})
	endpoints["/mmpaymkttransfers/gettransferinfo"] = po(endpoint{
		unsigned: true, required: []string{"partner_trade_no"}, serve: (*Server).transferInfo,
	})
	endpoints["/mmpaysptrans/pay_bank"] = po(endpoint{
		appIDField: "-", required: []string{"partner_trade_no", "enc_bank_no", "enc_true_name", "bank_code", "amount"},
		serve: (*Server).payBank,
	})
	endpoints["/mmpaysptrans/query_bank"] = po(endpoint{
		appIDField: "-", unsigned: true, required: []string{"partner_trade_no"}, serve: (*Server).queryBank,
	})
	// getpublickey takes sign_type, MD5 or HMAC-SHA256.
	endpoints["/risk/getpublickey"] = endpoint{cert: true, appIDField: "-", noSubAppID: true, serve: (*Server).publicKey}
}

// transfer is one payout to balance.
type transfer struct {
	req       wxpay.Params
	no        string
	paymentNo string
	mch       string
	openID    string
	amount    int64
	status    wxpay.TransferStatus
	created   time.Time
	paid      time.Time
}

// BankPayout is a payout to a bank card as the server decrypted it, for
// tests to check what the client encrypted.
type BankPayout struct {
	PartnerTradeNo string
	BankNo         string // enc_bank_no, decrypted
	TrueName       string // enc_true_name, decrypted
	BankCode       string
	Amount         int64 // fen
	Fee            int64 // fen, cmms_amt
	Status         wxpay.PayBankStatus
}

// bankPayout is one payout to a bank card.
type bankPayout struct {
	BankPayout
	req       wxpay.Params
	paymentNo string
	mch       string
	created   time.Time
	done      time.Time
}

// The RSA key of the bank payouts: one per process, made when first
// needed, since a 2048-bit key takes a while to generate.
var (
	bankKeyOnce sync.Once
	bankKey     *rsa.PrivateKey
)

func theBankKey() *rsa.PrivateKey {
	bankKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("wxpaytest: generating the bank payout key: " + err.Error())
		}
		bankKey = k
	})
	return bankKey
}

// BankKeyPEM returns the RSA key pair of bank payouts: the public key as
// getpublickey hands it out (PKCS#1, "BEGIN RSA PUBLIC KEY") and the
// private key the server decrypts enc_bank_no and enc_true_name with
// (PKCS#1, "BEGIN RSA PRIVATE KEY").
func (s *Server) BankKeyPEM() (publicPEM, privatePEM []byte) {
	k := theBankKey()
	publicPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
	privatePEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	return publicPEM, privatePEM
}

func (s *Server) publicKey(p wxpay.Params) answer {
	pub, _ := s.BankKeyPEM()
	return success(wxpay.Params{"pub_key": string(pub)})
}

// SetPayoutBalance sets the money mchID has for payouts, in fen: a payout
// (with its fee) that exceeds it is answered NOTENOUGH. Without it a
// merchant's payouts are not limited.
func (s *Server) SetPayoutBalance(mchID string, fen int64) {
	s.mu.Lock()
	s.st.balances[mchID] = fen
	s.mu.Unlock()
}

// PayoutBalance returns what is left of SetPayoutBalance's money, and
// false for a merchant without a limit.
func (s *Server) PayoutBalance(mchID string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.st.balances[mchID]
	return b, ok
}

// spend takes fen from mch's payout balance, reporting false when it
// does not cover it.
func (s *Server) spend(mch string, fen int64) bool {
	b, limited := s.st.balances[mch]
	if !limited {
		return true
	}
	if b < fen {
		return false
	}
	s.st.balances[mch] = b - fen
	return true
}

// HoldPayouts makes new payouts to balance wait in PROCESSING, answered
// SYSTEMERROR (as are repeats of them) until SetTransferStatus settles
// them: the case of a payout whose outcome the merchant must query. hold
// false pays new ones at once again.
func (s *Server) HoldPayouts(hold bool) {
	s.mu.Lock()
	s.st.holdPayouts = hold
	s.mu.Unlock()
}

// onlyAlnum reports whether v is 1 to max letters and digits, the form
// of partner_trade_no.
func onlyAlnum(v string, max int) bool {
	return v != "" && len(v) <= max && strings.TrimFunc(v, func(r rune) bool {
		return '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}) == ""
}

// transfer applies the rules of a payout to balance: a valid
// partner_trade_no, check_name NO_CHECK or FORCE_CHECK (with
// re_user_name), a positive amount the balance covers; the same number
// with the same fields is the same payout, with other fields a refusal.
func (s *Server) transfer(p wxpay.Params) answer {
	no := p["partner_trade_no"]
	if !onlyAlnum(no, 32) {
		return refuse("PARAM_ERROR", "partner_trade_no参数错误: 只能是字母或者数字")
	}
	req := businessFields(p)
	if t := s.st.transfers[no]; t != nil {
		if !maps.Equal(t.req, req) {
			return refuse("PARAM_ERROR", "商户订单号重复, 且与原请求参数不一致")
		}
		return t.answer()
	}
	switch p["check_name"] {
	case "NO_CHECK":
	case "FORCE_CHECK":
		if p["re_user_name"] == "" {
			return refuse("PARAM_ERROR", "FORCE_CHECK时re_user_name必填")
		}
	default:
		return refuse("PARAM_ERROR", "check_name参数错误")
	}
	amount, ok := parsePositive(p["amount"])
	if !ok {
		return refuse("PARAM_ERROR", "amount参数错误")
	}
	if p["spbill_create_ip"] != "" && !validIP(p["spbill_create_ip"]) {
		return refuse("PARAM_ERROR", "spbill_create_ip参数错误")
	}
	if !s.spend(p["mchid"], amount) {
		return refuse("NOTENOUGH", "余额不足")
	}
	now := s.cfg.now()
	t := &transfer{
		req: req, no: no, paymentNo: s.newID("1000018301", now, 32), mch: p["mchid"], openID: p["openid"],
		amount: amount, status: wxpay.TransferSuccess, created: now, paid: now,
	}
	if s.st.holdPayouts {
		t.status, t.paid = wxpay.TransferProcessing, time.Time{}
	}
	s.st.transfers[no] = t
	return t.answer()
}

// answer is a transfer's answer as its state stands.
func (t *transfer) answer() answer {
	switch t.status {
	case wxpay.TransferProcessing:
		return refuse("SYSTEMERROR", "系统繁忙,请稍后再试")
	case wxpay.TransferFailed:
		return refuse("SEND_FAILED", "付款错误")
	}
	a := wxpay.Params{"partner_trade_no": t.no, "payment_no": t.paymentNo, "payment_time": dash(t.paid)}
	setIf(a, "device_info", t.req["device_info"])
	return success(a)
}

func (s *Server) transferInfo(p wxpay.Params) answer {
	t := s.st.transfers[p["partner_trade_no"]]
	if t == nil || t.mch != p["mch_id"] {
		return refuse("NOT_FOUND", "指定单号数据不存在")
	}
	a := wxpay.Params{
		"partner_trade_no": t.no, "detail_id": t.paymentNo, "status": string(t.status), "openid": t.openID,
		"payment_amount": fen(t.amount), "transfer_time": dash(t.created), "desc": t.req["desc"],
	}
	setIf(a, "transfer_name", t.req["re_user_name"])
	if !t.paid.IsZero() {
		a["payment_time"] = dash(t.paid)
	}
	if t.status == wxpay.TransferFailed {
		a["reason"] = "付款失败"
	}
	return success(a)
}

// SetTransferStatus settles a payout to balance that HoldPayouts kept
// PROCESSING: SUCCESS pays it, FAILED returns its money. Any other move
// is ErrState; an unknown payout ErrNotFound.
func (s *Server) SetTransferStatus(partnerTradeNo string, status wxpay.TransferStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.transfers[partnerTradeNo]
	switch {
	case t == nil:
		return fmt.Errorf("%w: payout %q", ErrNotFound, partnerTradeNo)
	case t.status != wxpay.TransferProcessing || status != wxpay.TransferSuccess && status != wxpay.TransferFailed:
		return fmt.Errorf("%w: payout %q is %s, cannot become %s", ErrState, partnerTradeNo, t.status, status)
	}
	t.status = status
	if status == wxpay.TransferSuccess {
		t.paid = s.cfg.now()
	} else if b, ok := s.st.balances[t.mch]; ok {
		s.st.balances[t.mch] = b + t.amount
	}
	return nil
}

// TransferStatus returns the state of the payout to balance
// partnerTradeNo.
func (s *Server) TransferStatus(partnerTradeNo string) (wxpay.TransferStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.transfers[partnerTradeNo]
	if t == nil {
		return "", fmt.Errorf("%w: payout %q", ErrNotFound, partnerTradeNo)
	}
	return t.status, nil
}

// decryptField undoes EncryptBankField: base64, then RSA-OAEP with SHA-1.
func decryptField(v string) (string, bool) {
	ct, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", false
	}
	pt, err := rsa.DecryptOAEP(sha1.New(), nil, theBankKey(), ct, nil)
	if err != nil {
		return "", false
	}
	return string(pt), true
}

// bankFee is WeChat's fee for a bank payout: 0.1%, at least 1 yuan and
// at most 25 yuan.
func bankFee(amount int64) int64 { return min(max(amount/1000, 100), 2500) }

// payBank applies the rules of a payout to a bank card: enc_bank_no and
// enc_true_name decrypt under the bank key, the card number is 8 to 32
// digits, bank_code 4 digits; the same number with the same fields is the
// same payout. An accepted payout is PROCESSING until SetPayBankStatus.
func (s *Server) payBank(p wxpay.Params) answer {
	no := p["partner_trade_no"]
	if !onlyAlnum(no, 32) {
		return refuse("PARAM_ERROR", "partner_trade_no参数错误: 只能是字母或者数字")
	}
	req := businessFields(p)
	if b := s.st.bankPayouts[no]; b != nil {
		// The ciphertexts differ at each encryption: the same payout is
		// told by what they decrypt to.
		bankNo, _ := decryptField(p["enc_bank_no"])
		name, _ := decryptField(p["enc_true_name"])
		if bankNo != b.BankNo || name != b.TrueName || p["bank_code"] != b.BankCode || p["amount"] != fen(b.Amount) || p["desc"] != b.req["desc"] {
			return refuse("PARAM_ERROR", "商户订单号重复, 且与原请求参数不一致")
		}
		return success(b.answer())
	}
	bankNo, ok := decryptField(p["enc_bank_no"])
	if !ok {
		return refuse("PARAM_ERROR", "enc_bank_no解密失败: 请使用RSA公钥以OAEP填充加密")
	}
	name, ok := decryptField(p["enc_true_name"])
	if !ok || name == "" {
		return refuse("PARAM_ERROR", "enc_true_name解密失败: 请使用RSA公钥以OAEP填充加密")
	}
	if len(bankNo) < 8 || len(bankNo) > 32 || strings.Trim(bankNo, "0123456789") != "" {
		return refuse("PARAM_ERROR", "收款方银行卡号格式错误")
	}
	if code := p["bank_code"]; len(code) != 4 || strings.Trim(code, "0123456789") != "" {
		return refuse("PARAM_ERROR", "bank_code参数错误")
	}
	amount, ok := parsePositive(p["amount"])
	if !ok {
		return refuse("PARAM_ERROR", "amount参数错误")
	}
	fee := bankFee(amount)
	if !s.spend(p["mch_id"], amount+fee) {
		return refuse("NOTENOUGH", "余额不足")
	}
	now := s.cfg.now()
	b := &bankPayout{
		BankPayout: BankPayout{PartnerTradeNo: no, BankNo: bankNo, TrueName: name, BankCode: p["bank_code"],
			Amount: amount, Fee: fee, Status: wxpay.PayBankProcessing},
		req: req, paymentNo: s.newID("1000018301", now, 32), mch: p["mch_id"], created: now,
	}
	s.st.bankPayouts[no] = b
	return success(b.answer())
}

func (b *bankPayout) answer() wxpay.Params {
	return wxpay.Params{"partner_trade_no": b.PartnerTradeNo, "amount": fen(b.Amount), "payment_no": b.paymentNo, "cmms_amt": fen(b.Fee)}
}

func (s *Server) queryBank(p wxpay.Params) answer {
	b := s.st.bankPayouts[p["partner_trade_no"]]
	if b == nil || b.mch != p["mch_id"] {
		return refuse("NOT_FOUND", "指定单号数据不存在")
	}
	sum := func(v string) string { h := md5.Sum([]byte(v)); return strings.ToUpper(hex.EncodeToString(h[:])) }
	a := wxpay.Params{
		"partner_trade_no": b.PartnerTradeNo, "payment_no": b.paymentNo, "bank_no_md5": sum(b.BankNo),
		"true_name_md5": sum(b.TrueName), "amount": fen(b.Amount), "status": string(b.Status),
		"cmms_amt": fen(b.Fee), "create_time": dash(b.created),
	}
	switch b.Status {
	case wxpay.PayBankSuccess:
		a["pay_succ_time"] = dash(b.done)
	case wxpay.PayBankFailed, wxpay.PayBankBankFail:
		a["reason"] = "银行退票"
	}
	return success(a)
}

// SetPayBankStatus settles a bank payout, as the bank would: from
// PROCESSING to SUCCESS, FAILED or BANK_FAIL (refunded by the bank; the
// money and the fee go back to the balance). Any other move is ErrState.
func (s *Server) SetPayBankStatus(partnerTradeNo string, status wxpay.PayBankStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.st.bankPayouts[partnerTradeNo]
	switch {
	case b == nil:
		return fmt.Errorf("%w: bank payout %q", ErrNotFound, partnerTradeNo)
	case b.Status != wxpay.PayBankProcessing || status != wxpay.PayBankSuccess && status != wxpay.PayBankFailed && status != wxpay.PayBankBankFail:
		return fmt.Errorf("%w: bank payout %q is %s, cannot become %s", ErrState, partnerTradeNo, b.Status, status)
	}
	b.Status, b.done = status, s.cfg.now()
	if bal, ok := s.st.balances[b.mch]; ok && status != wxpay.PayBankSuccess {
		s.st.balances[b.mch] = bal + b.Amount + b.Fee
	}
	return nil
}

// PayBankRecord returns a bank payout as the server decrypted it.
func (s *Server) PayBankRecord(partnerTradeNo string) (BankPayout, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.st.bankPayouts[partnerTradeNo]
	if b == nil {
		return BankPayout{}, fmt.Errorf("%w: bank payout %q", ErrNotFound, partnerTradeNo)
	}
	return b.BankPayout, nil
}

// dash formats t as yyyy-MM-dd HH:mm:ss in Beijing time.
func dash(t time.Time) string { return t.In(wxpay.Beijing()).Format("2006-01-02 15:04:05") }

func validIP(v string) bool {
	a, err := netip.ParseAddr(v)
	return err == nil && a.Zone() == ""
}
