package wxpaytest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wxpay-go/wxpay"
)

// NotifyKind tells a payment notify from a refund notify.
type NotifyKind string

// The kinds of notify the server sends.
const (
	PayNotify    NotifyKind = "pay"    // payment result notify, signed (spec §5)
	RefundNotify NotifyKind = "refund" // refund result notify, req_info encrypted (spec §6)
)

// NotifyAttempt is the record of one POST of a notify to the merchant.
type NotifyAttempt struct {
	Kind        NotifyKind
	Forged      bool   // sent by SendForgedNotify
	OutTradeNo  string // the order notified about
	OutRefundNo string // the refund, for refund notifies
	ContractID  string // the contract, for contract notifies
	Attempt     int    // 1 for the first delivery, 2 for the first retry, …
	Time        time.Time
	URL         string
	Body        []byte

	StatusCode int    // the merchant's HTTP status; 0 when none arrived
	Reply      []byte // the merchant's reply body, up to 64 KiB
	Err        error  // why no reply arrived, if none did

	// Acknowledged reports whether the reply was WeChat's success answer:
	// status 200 and an XML message with return_code SUCCESS. Delivery
	// stops after an acknowledged attempt.
	Acknowledged bool
}

// delivery is a notify to post until it is acknowledged.
type delivery struct {
	kind        NotifyKind
	url         string
	outTradeNo  string
	outRefundNo string
	contractID  string
	body        []byte
}

// startNotify delivers d in the background, unless the server is closed.
func (s *Server) startNotify(d delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.pending == 0 {
		s.idle = make(chan struct{})
	}
	s.pending++
	s.wg.Add(1)
	go s.deliver(d)
}

// deliver posts d at once, then after each delay of the schedule, until
// an attempt is acknowledged, the schedule is over or the server closes.
func (s *Server) deliver(d delivery) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.pending--
		if s.pending == 0 {
			close(s.idle)
		}
		s.mu.Unlock()
	}()
	for n := 0; ; n++ {
		if n > 0 && (n > len(s.cfg.delays) || !s.sleep(s.ctx, s.cfg.delays[n-1])) {
			return
		}
		a := s.post(s.ctx, d, n+1)
		if s.ctx.Err() != nil {
			return // canceled by Close: not the merchant's answer
		}
		s.recordNotify(a)
		if a.Acknowledged {
			return
		}
	}
}

// post sends one attempt of d.
func (s *Server) post(ctx context.Context, d delivery, attempt int) NotifyAttempt {
	a := NotifyAttempt{
		Kind: d.kind, OutTradeNo: d.outTradeNo, OutRefundNo: d.outRefundNo, ContractID: d.contractID,
		Attempt: attempt, Time: s.cfg.now(), URL: d.url, Body: d.body,
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		a.Err = err
		return a
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0 (wxpaytest)")
	resp, err := s.cfg.notifyClient.Do(req)
	if err != nil {
		a.Err = err
		return a
	}
	defer resp.Body.Close()
	a.StatusCode = resp.StatusCode
	a.Reply, a.Err = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if a.Err == nil && resp.StatusCode == http.StatusOK {
		p, err := wxpay.ParseXML(a.Reply)
		a.Acknowledged = err == nil && p["return_code"] == "SUCCESS"
	}
	return a
}

func (s *Server) recordNotify(a NotifyAttempt) {
	s.mu.Lock()
	s.notifies = append(s.notifies, a)
	s.mu.Unlock()
}

// Notifies returns a copy of the record of every notify attempt so far,
// in the order they were made.
func (s *Server) Notifies() []NotifyAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]NotifyAttempt, len(s.notifies))
	for i, a := range s.notifies {
		a.Body = bytes.Clone(a.Body)
		a.Reply = bytes.Clone(a.Reply)
		out[i] = a
	}
	return out
}

// WaitNotifies waits until no notify is being delivered: every notify was
// acknowledged or its retry schedule is over. It returns ctx.Err() if ctx
// is done first. A notify started later (by another Pay) is not waited for
// once WaitNotifies has returned.
func (s *Server) WaitNotifies(ctx context.Context) error {
	s.mu.Lock()
	if s.pending == 0 {
		s.mu.Unlock()
		return nil
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refundNotifyBody is the refund notify of rf (spec §6): an unsigned
// envelope whose req_info holds its fields, encrypted with key.
func (s *Server) refundNotifyBody(rf *refund, key string) []byte {
	inner := rf.notifyFields().AppendXML(nil)
	// The plaintext's root is <root>, not <xml>; AppendXML writes <xml>.
	inner = append(append([]byte("<root>"), inner[len("<xml>"):len(inner)-len("</xml>")]...), "</root>"...)
	p := wxpay.Params{
		"return_code": "SUCCESS",
		"appid":       s.appID,
		"mch_id":      s.mchID,
		"nonce_str":   wxpay.NonceStr(),
		"req_info":    EncryptReqInfo(inner, key),
	}
	rf.order.subFields(p)
	return p.AppendXML(nil)
}

// EncryptReqInfo encrypts plaintext as WeChat encrypts a refund notify's
// req_info: PKCS#7 padding, AES-256-ECB with the lower-case hex MD5 of
// apiKey as the key, standard base64. Tests can use it to build refund
// notifies of their own.
func EncryptReqInfo(plaintext []byte, apiKey string) string {
	sum := md5.Sum([]byte(apiKey))
	block, err := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	if err != nil {
		panic("wxpaytest: AES with a 32-byte key: " + err.Error()) // cannot happen
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := append(bytes.Clone(plaintext), bytes.Repeat([]byte{byte(pad)}, pad)...)
	// ECB: each block on its own. crypto/cipher has no ECB mode, on
	// purpose; WeChat's format needs it.
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// Forgery is a way an attacker forges a notify, for SendForgedNotify.
type Forgery int

// The forgeries SendForgedNotify can send. A merchant's notify handler
// must refuse each of them (reply FAIL, or at least not act on it).
const (
	// ForgedSign is a payment notify claiming the order was paid, signed
	// with a key other than the merchant's.
	ForgedSign Forgery = iota + 1
	// ForgedUnsigned is that notify without a sign.
	ForgedUnsigned
	// ForgedAmount is a genuinely signed payment notify whose total_fee
	// was changed after signing.
	ForgedAmount
	// ForgedMerchant is a payment notify signed with the merchant's key
	// but addressed to another appid and mch_id.
	ForgedMerchant
	// ForgedRefundKey is a refund notify whose req_info is encrypted with
	// another key.
	ForgedRefundKey
	// ForgedRefundGarbage is a refund notify whose req_info is random
	// bytes, not ciphertext of any key.
	ForgedRefundGarbage
)

// SendForgedNotify posts one forged notify about the order outTradeNo to
// url, once, without retrying, and returns the attempt (also recorded by
// Notifies, with Forged set). The order need not exist or be paid: a
// forged "paid" notify for an unpaid order is the classic attack. The
// error is a transport error, or an unknown Forgery.
func (s *Server) SendForgedNotify(ctx context.Context, f Forgery, url, outTradeNo string) (NotifyAttempt, error) {
	d, err := s.forge(f, url, outTradeNo)
	if err != nil {
		return NotifyAttempt{}, err
	}
	a := s.post(ctx, d, 1)
	a.Forged = true
	s.recordNotify(a)
	return a, a.Err
}

// forge builds the forged notify from the order as it would look paid
// (or invented, for an unknown order).
func (s *Server) forge(f Forgery, url, outTradeNo string) (delivery, error) {
	now := s.cfg.now()
	s.mu.Lock()
	var o order
	if real := s.st.orders[outTradeNo]; real != nil {
		o = *real // a copy: the fields read below do not change once set
	}
	key := s.notifyKeyLocked()
	s.mu.Unlock()
	if o.req == nil {
		o.req, o.totalFee = wxpay.Params{"out_trade_no": outTradeNo, "trade_type": "JSAPI"}, 1
	}
	if o.signType == "" {
		o.signType = wxpay.SignTypeMD5
	}
	if o.transactionID == "" {
		// What an attacker can know: the order number and amount, not
		// WeChat's ids.
		o.transactionID = "4200000000" + now.In(wxpay.Beijing()).Format("20060102") + "0000000000"
		o.pay = Payment{OpenID: "oUpF8u" + randomAlnum(22), BankType: "CFT", TimeEnd: now}
		o.cashFee = o.totalFee
	}

	d := delivery{kind: PayNotify, url: url, outTradeNo: outTradeNo}
	p := s.payNotifyParams(&o)
	switch f {
	case ForgedSign:
		p["sign"] = s.mustSign(p, "forged-"+key, o.signType)
	case ForgedUnsigned:
	case ForgedAmount:
		p["sign"] = s.mustSign(p, key, o.signType)
		p["total_fee"], p["cash_fee"] = "1", "1"
		if o.totalFee == 1 {
			p["total_fee"], p["cash_fee"] = "2", "2"
		}
	case ForgedMerchant:
		p["appid"], p["mch_id"] = "wx0000000000forged", "1000000001"
		p["sign"] = s.mustSign(p, key, o.signType)
	case ForgedRefundKey, ForgedRefundGarbage:
		rf := &refund{
			order: &o, outRefundNo: "forged" + randomAlnum(10), refundID: "50300000000000000000000000000",
			fee: o.totalFee, account: refundAccountUnsettled, status: wxpay.RefundStatusSuccess, succeeded: now,
		}
		d.kind, d.outRefundNo = RefundNotify, rf.outRefundNo
		if f == ForgedRefundKey {
			d.body = s.refundNotifyBody(rf, "forged-"+key)
		} else {
			garbage := []byte(randomAlnum(96))
			d.body = wxpay.Params{
				"return_code": "SUCCESS", "appid": s.appID, "mch_id": s.mchID,
				"nonce_str": wxpay.NonceStr(), "req_info": base64.StdEncoding.EncodeToString(garbage),
			}.AppendXML(nil)
		}
		return d, nil
	default:
		return delivery{}, fmt.Errorf("wxpaytest: unknown Forgery %d", f)
	}
	d.body = p.AppendXML(nil)
	return d, nil
}
