package wxpaytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/wxpay-go/wxpay"
)

// WithStateFile keeps the server's state in the file path, so that a
// server started again with the same file carries on where the last one
// stopped: the certificate authority and every certificate (clients keep
// trusting the server), the sandbox key, the orders, refunds and payment
// codes, the record of notify attempts, and the notifies still being
// delivered, which resume their schedule. The file is written after every
// change, so that a server killed at any moment loses at most the change
// in progress; the record of requests and the queued faults are not kept.
// A file that exists but cannot be read makes NewServer panic.
func WithStateFile(path string) Option { return func(c *config) { c.stateFile = path } }

// stateVersion is the format of the state file.
const stateVersion = 1

type savedState struct {
	Version    int                     `json:"version"`
	Saved      time.Time               `json:"saved"`
	PKI        pkiState                `json:"pki"`
	SandboxKey string                  `json:"sandbox_key,omitempty"`
	Seq        int                     `json:"seq"`
	Orders     []savedOrder            `json:"orders"`
	Codes      map[string]CodeBehavior `json:"codes,omitempty"`
	Spent      []string                `json:"spent_codes,omitempty"`
	Notifies   []savedAttempt          `json:"notifies"`
	Pending    []savedDelivery         `json:"pending_notifies"`
}

type savedOrder struct {
	Req           wxpay.Params     `json:"req"`
	SignType      wxpay.SignType   `json:"sign_type"`
	TotalFee      int64            `json:"total_fee"`
	Created       time.Time        `json:"created"`
	PrepayID      string           `json:"prepay_id"`
	PrepayAt      time.Time        `json:"prepay_at"`
	CodeURL       string           `json:"code_url,omitempty"`
	MWebURL       string           `json:"mweb_url,omitempty"`
	State         wxpay.TradeState `json:"state"`
	TransactionID string           `json:"transaction_id,omitempty"`
	Pay           Payment          `json:"pay"`
	CashFee       int64            `json:"cash_fee"`
	PaySeq        int              `json:"pay_seq"`
	Refunds       []savedRefund    `json:"refunds,omitempty"`
	AuthCode      string           `json:"auth_code,omitempty"`
	Code          CodeBehavior     `json:"code"`
	Queries       int              `json:"queries,omitempty"`
	Reversals     int              `json:"reversals,omitempty"`
}

type savedRefund struct {
	OutRefundNo string               `json:"out_refund_no"`
	RefundID    string               `json:"refund_id"`
	Fee         int64                `json:"fee"`
	CashFee     int64                `json:"cash_fee"`
	Coupons     []wxpay.CouponRefund `json:"coupons,omitempty"`
	Account     string               `json:"account"`
	Desc        string               `json:"desc,omitempty"`
	NotifyURL   string               `json:"notify_url,omitempty"`
	Status      wxpay.RefundStatus   `json:"status"`
	Created     time.Time            `json:"created"`
	Succeeded   time.Time            `json:"succeeded"`
	SettleSeq   int                  `json:"settle_seq"`
}

// savedAttempt is a NotifyAttempt with its error as text.
type savedAttempt struct {
	NotifyAttempt
	Err string `json:"err,omitempty"`
}

type savedDelivery struct {
	Kind        NotifyKind `json:"kind"`
	URL         string     `json:"url"`
	OutTradeNo  string     `json:"out_trade_no"`
	OutRefundNo string     `json:"out_refund_no,omitempty"`
	Body        []byte     `json:"body"`
	NotBefore   time.Time  `json:"not_before"`
	Attempts    int        `json:"attempts"`
	Last        time.Time  `json:"last"`
	LastIdx     int        `json:"last_idx"`
	Stopped     bool       `json:"stopped,omitempty"`
}

// snapshotLocked is the state to save. s.mu must be held.
func (s *Server) snapshotLocked() savedState {
	st := savedState{
		Version: stateVersion, Saved: time.Now(), PKI: s.pki.state(), SandboxKey: s.sandboxKey,
		Seq: s.st.seq, Codes: s.st.codes, Orders: []savedOrder{}, Notifies: []savedAttempt{}, Pending: []savedDelivery{},
	}
	for _, o := range s.st.orders {
		so := savedOrder{
			Req: o.req, SignType: o.signType, TotalFee: o.totalFee, Created: o.created, PrepayID: o.prepayID,
			PrepayAt: o.prepayAt, CodeURL: o.codeURL, MWebURL: o.mwebURL, State: o.state, TransactionID: o.transactionID,
			Pay: o.pay, CashFee: o.cashFee, PaySeq: o.paySeq, AuthCode: o.authCode, Code: o.code,
			Queries: o.queries, Reversals: o.reversals,
		}
		for _, rf := range o.refunds {
			so.Refunds = append(so.Refunds, savedRefund{
				OutRefundNo: rf.outRefundNo, RefundID: rf.refundID, Fee: rf.fee, CashFee: rf.cashFee, Coupons: rf.coupons,
				Account: rf.account, Desc: rf.desc, NotifyURL: rf.notifyURL, Status: rf.status, Created: rf.created,
				Succeeded: rf.succeeded, SettleSeq: rf.settleSeq,
			})
		}
		st.Orders = append(st.Orders, so)
	}
	for code := range s.st.spent {
		st.Spent = append(st.Spent, code)
	}
	for _, a := range s.notifies {
		sa := savedAttempt{NotifyAttempt: a}
		if a.Err != nil {
			sa.Err = a.Err.Error()
		}
		sa.NotifyAttempt.Err = nil
		st.Notifies = append(st.Notifies, sa)
	}
	for d := range s.outbox {
		if d.dropped {
			continue
		}
		st.Pending = append(st.Pending, savedDelivery{
			Kind: d.kind, URL: d.url, OutTradeNo: d.outTradeNo, OutRefundNo: d.outRefundNo, Body: d.body,
			NotBefore: d.notBefore, Attempts: d.attempts, Last: d.last, LastIdx: d.lastIdx, Stopped: d.stopped,
		})
	}
	return st
}

// persist writes the state file, if the server has one. A failure to
// write is logged, not fatal: the server goes on serving.
func (s *Server) persist() {
	if s.cfg.stateFile == "" {
		return
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	st := s.snapshotLocked()
	b, err := json.Marshal(st)
	s.mu.Unlock()
	if err == nil {
		err = writeFileAtomic(s.cfg.stateFile, b)
	}
	if err != nil {
		s.logf("writing the state file failed", "file", s.cfg.stateFile, "err", err)
	}
}

// writeFileAtomic replaces path with data, so that a reader (or a server
// killed while writing) sees the old file or the new one, never half.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// loadState reads the state file into s, before the server starts, and
// returns the deliveries to resume. A file that does not exist is a
// fresh start.
func (s *Server) loadState(path string) ([]*delivery, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st savedState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("format version %d, want %d", st.Version, stateVersion)
	}
	if s.pki, err = loadPKI(st.PKI, s.cfg.hosts); err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	s.sandboxKey = st.SandboxKey
	s.st.seq = st.Seq
	for code, b := range st.Codes {
		s.st.codes[code] = b
	}
	for _, code := range st.Spent {
		s.st.spent[code] = true
	}
	for _, so := range st.Orders {
		o := &order{
			req: so.Req, signType: so.SignType, totalFee: so.TotalFee, created: so.Created, prepayID: so.PrepayID,
			prepayAt: so.PrepayAt, codeURL: so.CodeURL, mwebURL: so.MWebURL, state: so.State, transactionID: so.TransactionID,
			pay: so.Pay, cashFee: so.CashFee, paySeq: so.PaySeq, authCode: so.AuthCode, code: so.Code,
			queries: so.Queries, reversals: so.Reversals,
		}
		if o.req == nil {
			o.req = wxpay.Params{}
		}
		s.st.orders[o.req["out_trade_no"]] = o
		if o.transactionID != "" {
			s.st.byTxn[o.transactionID] = o
		}
		for _, sr := range so.Refunds {
			rf := &refund{
				order: o, outRefundNo: sr.OutRefundNo, refundID: sr.RefundID, fee: sr.Fee, cashFee: sr.CashFee,
				coupons: sr.Coupons, account: sr.Account, desc: sr.Desc, notifyURL: sr.NotifyURL, status: sr.Status,
				created: sr.Created, succeeded: sr.Succeeded, settleSeq: sr.SettleSeq,
			}
			o.refunds = append(o.refunds, rf)
			s.st.refunds[rf.outRefundNo] = rf
			s.st.byRefundID[rf.refundID] = rf
		}
	}
	for _, sa := range st.Notifies {
		a := sa.NotifyAttempt
		if sa.Err != "" {
			a.Err = errors.New(sa.Err)
		}
		s.notifies = append(s.notifies, a)
	}
	var resume []*delivery
	for _, sd := range st.Pending {
		if sd.LastIdx >= len(s.notifies) {
			sd.LastIdx, sd.Attempts = 0, 0 // a record that does not fit: start over
		}
		resume = append(resume, &delivery{
			kind: sd.Kind, url: sd.URL, outTradeNo: sd.OutTradeNo, outRefundNo: sd.OutRefundNo, body: sd.Body,
			notBefore: sd.NotBefore, attempts: sd.Attempts, last: sd.Last, lastIdx: sd.LastIdx, stopped: sd.Stopped,
		})
	}
	return resume, nil
}
