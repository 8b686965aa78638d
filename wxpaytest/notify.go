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
	"slices"
	"strings"
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
	// status 200 and an <xml> message with return_code SUCCESS. Delivery
	// stops after an acknowledged attempt.
	Acknowledged bool

	// GaveUp marks the last attempt of a notify given up undelivered: its
	// schedule was over, or StopNotifies stopped it.
	GaveUp bool
}

// delivery is a notify to post until it is acknowledged. Its progress
// fields change with s.mu held.
type delivery struct {
	kind        NotifyKind
	url         string
	outTradeNo  string
	outRefundNo string
	contractID  string
	body        []byte
	notBefore   time.Time // no first attempt before this (Payment.NotifyDelay)

	attempts int       // attempts made so far
	last     time.Time // when the last one was made
	lastIdx  int       // its index in s.notifies
	stopped  bool      // StopNotifies: give up before the next attempt
	dropped  bool      // Reset: forget it
}

// startNotify delivers d in the background, unless the server is closed.
func (s *Server) startNotify(d *delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.pending == 0 {
		s.idle = make(chan struct{})
	}
	s.pending++
	if s.outbox == nil {
		s.outbox = map[*delivery]bool{}
	}
	s.outbox[d] = true
	s.wg.Add(1)
	go s.deliver(d)
}

// deliver posts d (at once, or at d.notBefore), then after each delay of
// the schedule, until an attempt is acknowledged, the schedule is over,
// StopNotifies gives it up or the server closes.
func (s *Server) deliver(d *delivery) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		if s.ctx.Err() == nil {
			// Closing keeps it in the outbox, so that the state file
			// written by Close has it for the next server.
			delete(s.outbox, d)
		}
		s.pending--
		if s.pending == 0 {
			close(s.idle)
		}
		closing := s.ctx.Err() != nil
		s.mu.Unlock()
		if !closing {
			s.persist()
		}
	}()
	for {
		s.mu.Lock()
		if d.dropped {
			s.mu.Unlock()
			return
		}
		if d.stopped || d.attempts > len(s.delays) {
			s.giveUpLocked(d)
			s.mu.Unlock()
			return
		}
		due := d.notBefore
		if d.attempts > 0 {
			due = d.last.Add(s.delays[d.attempts-1])
		}
		wake := s.wake
		s.mu.Unlock()
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-wake: // the schedule changed, or StopNotifies or Reset
				t.Stop()
				continue
			case <-s.ctx.Done():
				t.Stop()
				return
			}
		}
		a := s.post(s.ctx, *d, d.attempts+1)
		if s.ctx.Err() != nil {
			return // canceled by Close: not the merchant's answer
		}
		s.mu.Lock()
		if d.dropped {
			s.mu.Unlock()
			return
		}
		d.attempts++
		d.last = time.Now()
		d.lastIdx = len(s.notifies)
		s.notifies = append(s.notifies, a)
		s.mu.Unlock()
		s.logNotify(a)
		s.persist()
		if a.Acknowledged {
			return
		}
	}
}

// giveUpLocked ends d undelivered, for WaitNotifies to report.
func (s *Server) giveUpLocked(d *delivery) {
	last := NotifyAttempt{Kind: d.kind, OutTradeNo: d.outTradeNo, OutRefundNo: d.outRefundNo, URL: d.url}
	if d.attempts > 0 {
		s.notifies[d.lastIdx].GaveUp = true
		last = s.notifies[d.lastIdx]
	}
	last.GaveUp = true
	s.givenUp = append(s.givenUp, last)
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
		// WeChat reads the reply as an <xml> document: the same fields
		// under another root element are not its success answer.
		p, err := wxpay.ParseXML(a.Reply)
		a.Acknowledged = err == nil && rootIsXML(a.Reply) && p["return_code"] == "SUCCESS"
	}
	return a
}

func (s *Server) recordNotify(a NotifyAttempt) {
	s.mu.Lock()
	s.notifies = append(s.notifies, a)
	s.mu.Unlock()
	s.logNotify(a)
	s.persist()
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
// acknowledged, or given up at the end of its retry schedule or by
// StopNotifies. It returns ctx.Err() if ctx is done first, and a
// *NotifyError if some notify was given up since the last time
// WaitNotifies said so, so that a test cannot take a notify its handler
// kept refusing for a delivered one. A notify started later (by another
// Pay) is not waited for once WaitNotifies has returned; nor are the
// deliveries Close cancels reported.
func (s *Server) WaitNotifies(ctx context.Context) error {
	s.mu.Lock()
	idle := s.idle
	pending := s.pending
	s.mu.Unlock()
	if pending > 0 {
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.givenUp) == 0 {
		return nil
	}
	err := &NotifyError{GivenUp: s.givenUp}
	s.givenUp = nil
	return err
}

// NotifyError is WaitNotifies' report of the notifies the server gave up
// delivering.
type NotifyError struct {
	// GivenUp holds the last attempt of each notify given up, oldest
	// first; one that StopNotifies gave up before its first attempt has
	// Attempt 0 and no reply.
	GivenUp []NotifyAttempt
}

// Error names each notify given up, with its URL and last reply.
func (e *NotifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wxpaytest: %d notify(s) given up undelivered", len(e.GivenUp))
	for _, a := range e.GivenUp {
		b.WriteString("; ")
		b.WriteString(a.describe())
	}
	return b.String()
}

// describe says which notify a is, where it went and what came back, on
// one line, for errors and the log.
func (a NotifyAttempt) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s notify of order %s", a.Kind, a.OutTradeNo)
	if a.OutRefundNo != "" {
		fmt.Fprintf(&b, " refund %s", a.OutRefundNo)
	}
	fmt.Fprintf(&b, " to %s, attempt %d: ", a.URL, a.Attempt)
	switch {
	case a.Attempt == 0:
		b.WriteString("never attempted")
	case a.Err != nil && a.StatusCode == 0:
		fmt.Fprintf(&b, "no reply (%v)", a.Err)
	default:
		reply := a.Reply
		if len(reply) > 200 {
			reply = reply[:200]
		}
		fmt.Fprintf(&b, "HTTP %d %q", a.StatusCode, reply)
		if a.Acknowledged {
			b.WriteString(", acknowledged")
		} else if a.StatusCode == http.StatusOK {
			b.WriteString(", not the <xml> return_code SUCCESS answer")
		}
	}
	return b.String()
}

// StopNotifies gives up delivering the pending notifies about the order
// outTradeNo (every pending notify when outTradeNo is ""), as WeChat gives
// up at the end of its schedule: no further attempt is made, and
// WaitNotifies reports them. It returns how many it gave up. With a
// handler that always fails, it spares a test the rest of the schedule.
func (s *Server) StopNotifies(outTradeNo string) int {
	s.mu.Lock()
	n := 0
	for d := range s.outbox {
		if !d.stopped && (outTradeNo == "" || d.outTradeNo == outTradeNo) {
			d.stopped = true
			n++
		}
	}
	s.wakeLocked()
	s.mu.Unlock()
	return n
}

// SetNotifyDelays replaces the retry schedule, as WithNotifyDelays does,
// for the notifies being delivered too: each next retry comes the new
// delay after the attempt before it, and a notify that already made more
// attempts than the new schedule allows is given up.
func (s *Server) SetNotifyDelays(delays ...time.Duration) {
	s.mu.Lock()
	s.delays = slices.Clone(delays)
	s.wakeLocked()
	s.mu.Unlock()
}

// wakeLocked makes the waiting deliveries look at their schedule again.
func (s *Server) wakeLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// refundNotifyBody is the refund notify of rf (spec §6): an unsigned
// envelope whose req_info holds its fields, encrypted with key.
func (s *Server) refundNotifyBody(rf *refund, key string) []byte {
	inner := rf.notifyFields().AppendXML(nil)
	// The plaintext's root is <root>, not <xml>; AppendXML writes <xml>.
	inner = append(append([]byte("<root>"), inner[len("<xml>"):len(inner)-len("</xml>")]...), "</root>"...)
	p := wxpay.Params{
		"return_code": "SUCCESS",
		"nonce_str":   wxpay.NonceStr(),
		"req_info":    EncryptReqInfo(inner, key),
	}
	s.stamp(p, rf.order)
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
	key := s.notifyKeyLocked(s.merchantOf(&o))
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
			p := wxpay.Params{"return_code": "SUCCESS", "nonce_str": wxpay.NonceStr(), "req_info": base64.StdEncoding.EncodeToString(garbage)}
			s.stamp(p, &o)
			d.body = p.AppendXML(nil)
		}
		return d, nil
	default:
		return delivery{}, fmt.Errorf("wxpaytest: unknown Forgery %d", f)
	}
	d.body = p.AppendXML(nil)
	return d, nil
}
