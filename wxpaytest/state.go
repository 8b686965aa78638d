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
// codes, the profit-sharing receivers, splits and returns, the red
// packets, the short URLs, the contracts and the signing requests not
// signed yet, the record of notify attempts, and the notifies still being
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

	Receivers map[string]map[string]psReceiver `json:"ps_receivers,omitempty"`
	Shares    []savedShare                     `json:"ps_orders,omitempty"`
	Splits    []savedSplit                     `json:"ps_splits,omitempty"`
	Returns   []savedReturn                    `json:"ps_returns,omitempty"`
	RedPacks  []savedRedPack                   `json:"red_packs,omitempty"`
	HoldPacks bool                             `json:"hold_red_packs,omitempty"`
	ShortURLs map[string]string                `json:"short_urls,omitempty"`

	Contracts     []savedContract         `json:"contracts,omitempty"`
	ContractCodes map[string]string       `json:"contract_codes,omitempty"` // contractKey → contract_id
	PreEntrusts   map[string]wxpay.Params `json:"pre_entrusts,omitempty"`
	H5Sessions    map[string]wxpay.Params `json:"h5_sessions,omitempty"`
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
	Scanner       string           `json:"scanner,omitempty"`
	ContractID    string           `json:"contract_id,omitempty"`
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
	ContractID  string     `json:"contract_id,omitempty"`
	Body        []byte     `json:"body"`
	NotBefore   time.Time  `json:"not_before"`
	Attempts    int        `json:"attempts"`
	Last        time.Time  `json:"last"`
	LastIdx     int        `json:"last_idx"`
	Stopped     bool       `json:"stopped,omitempty"`
}

// savedShare is the profit-sharing side of a paid order, named by its
// transaction_id.
type savedShare struct {
	TransactionID string `json:"transaction_id"`
	Unsplit       int64  `json:"unsplit"`
	Requests      int    `json:"requests"`
	Finished      bool   `json:"finished,omitempty"`
}

type savedSplit struct {
	Req           wxpay.Params     `json:"req"`
	TransactionID string           `json:"transaction_id"`
	OutOrderNo    string           `json:"out_order_no"`
	OrderID       string           `json:"order_id"`
	Receivers     []splitReceiver  `json:"receivers,omitempty"`
	Finish        bool             `json:"finish,omitempty"`
	Amount        int64            `json:"amount,omitempty"`
	Desc          string           `json:"desc,omitempty"`
	Returned      map[string]int64 `json:"returned,omitempty"`
	At            string           `json:"at"`
}

// savedReturn is a return, its split named by out_order_no.
type savedReturn struct {
	Req        wxpay.Params `json:"req"`
	OutOrderNo string       `json:"out_order_no"`
	No         string       `json:"out_return_no"`
	ReturnNo   string       `json:"return_no"`
	Account    string       `json:"account"`
	Amount     int64        `json:"amount"`
	Desc       string       `json:"desc"`
	At         string       `json:"at"`
}

type savedRedPack struct {
	Req       wxpay.Params        `json:"req"`
	BillNo    string              `json:"mch_billno"`
	ListID    string              `json:"send_listid"`
	HBType    string              `json:"hb_type"`
	OpenID    string              `json:"openid"`
	Num       int                 `json:"num"`
	Amount    int64               `json:"amount"`
	Status    wxpay.RedPackStatus `json:"status"`
	Sent      time.Time           `json:"sent"`
	Received  time.Time           `json:"received"`
	Refunded  time.Time           `json:"refunded"`
	Package   string              `json:"package,omitempty"`
	MchID     string              `json:"mch_id"`
	SubMchID  string              `json:"sub_mch_id,omitempty"`
	Receivers []RedPackReceipt    `json:"receivers,omitempty"`
}

type savedContract struct {
	ID             string         `json:"contract_id"`
	PlanID         string         `json:"plan_id"`
	Code           string         `json:"contract_code"`
	Display        string         `json:"contract_display_account"`
	RequestSerial  string         `json:"request_serial"`
	AppID          string         `json:"appid"`
	MchID          string         `json:"mch_id"`
	SubMchID       string         `json:"sub_mch_id,omitempty"`
	SubAppID       string         `json:"sub_appid,omitempty"`
	OpenID         string         `json:"openid"`
	NotifyURL      string         `json:"notify_url"`
	SignType       wxpay.SignType `json:"sign_type"`
	Terminated     bool           `json:"terminated,omitempty"`
	SignedAt       time.Time      `json:"signed_at"`
	ExpiresAt      time.Time      `json:"expires_at"`
	TerminatedAt   time.Time      `json:"terminated_at"`
	Mode           int            `json:"mode,omitempty"`
	Remark         string         `json:"remark,omitempty"`
	SignedFromPath string         `json:"signed_from_path,omitempty"`
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
			Queries: o.queries, Reversals: o.reversals, Scanner: o.scanner, ContractID: o.contractID,
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
			Kind: d.kind, URL: d.url, OutTradeNo: d.outTradeNo, OutRefundNo: d.outRefundNo, ContractID: d.contractID, Body: d.body,
			NotBefore: d.notBefore, Attempts: d.attempts, Last: d.last, LastIdx: d.lastIdx, Stopped: d.stopped,
		})
	}
	s.snapshotFamiliesLocked(&st)
	return st
}

// snapshotFamiliesLocked adds the state of the API families beyond
// orders and refunds: profit sharing, red packets, short URLs and
// contracts. The maps are shared with s.st: st is marshaled before s.mu
// is released. s.mu must be held.
func (s *Server) snapshotFamiliesLocked(st *savedState) {
	st.Receivers, st.HoldPacks, st.ShortURLs = s.st.receivers, s.st.holdPacks, s.st.shortURLs
	st.PreEntrusts, st.H5Sessions = s.st.preEntrusts, s.st.h5Sessions
	for txn, sh := range s.st.shares {
		st.Shares = append(st.Shares, savedShare{TransactionID: txn, Unsplit: sh.unsplit, Requests: sh.requests, Finished: sh.finished})
	}
	for _, sp := range s.st.splits {
		st.Splits = append(st.Splits, savedSplit{
			Req: sp.req, TransactionID: sp.share.order.transactionID, OutOrderNo: sp.outOrderNo, OrderID: sp.orderID,
			Receivers: sp.receivers, Finish: sp.finish, Amount: sp.amount, Desc: sp.desc, Returned: sp.returned, At: sp.at,
		})
	}
	for _, rt := range s.st.returns {
		st.Returns = append(st.Returns, savedReturn{
			Req: rt.req, OutOrderNo: rt.split.outOrderNo, No: rt.no, ReturnNo: rt.returnNo, Account: rt.account,
			Amount: rt.amount, Desc: rt.desc, At: rt.at,
		})
	}
	for _, rp := range s.st.redPacks {
		st.RedPacks = append(st.RedPacks, savedRedPack{
			Req: rp.req, BillNo: rp.billNo, ListID: rp.listID, HBType: rp.hbType, OpenID: rp.openID, Num: rp.num,
			Amount: rp.amount, Status: rp.status, Sent: rp.sent, Received: rp.received, Refunded: rp.refunded,
			Package: rp.pkg, MchID: rp.mch, SubMchID: rp.sub, Receivers: rp.receivers,
		})
	}
	for _, c := range s.st.contracts {
		st.Contracts = append(st.Contracts, savedContract{
			ID: c.id, PlanID: c.planID, Code: c.code, Display: c.display, RequestSerial: c.requestSerial, AppID: c.appID,
			MchID: c.mchID, SubMchID: c.subMchID, SubAppID: c.subAppID, OpenID: c.openID, NotifyURL: c.notifyURL,
			SignType: c.signType, Terminated: c.terminated, SignedAt: c.signedAt, ExpiresAt: c.expiresAt,
			TerminatedAt: c.terminatedAt, Mode: c.mode, Remark: c.remark, SignedFromPath: c.signedFromPath,
		})
	}
	if len(s.st.contractCodes) > 0 {
		st.ContractCodes = map[string]string{}
		for key, c := range s.st.contractCodes {
			st.ContractCodes[key] = c.id
		}
	}
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
			queries: so.Queries, reversals: so.Reversals, scanner: so.Scanner, contractID: so.ContractID,
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
			kind: sd.Kind, url: sd.URL, outTradeNo: sd.OutTradeNo, outRefundNo: sd.OutRefundNo, contractID: sd.ContractID, body: sd.Body,
			notBefore: sd.NotBefore, attempts: sd.Attempts, last: sd.Last, lastIdx: sd.LastIdx, stopped: sd.Stopped,
		})
	}
	if err := s.loadFamilies(&st); err != nil {
		return nil, err
	}
	return resume, nil
}

// loadFamilies reads what snapshotFamiliesLocked saved, after the orders:
// splits name their order by transaction_id, returns their split by
// out_order_no.
func (s *Server) loadFamilies(st *savedState) error {
	for sub, rs := range st.Receivers {
		s.st.receivers[sub] = rs
	}
	for long, short := range st.ShortURLs {
		s.st.shortURLs[long] = short
	}
	for id, p := range st.PreEntrusts {
		s.st.preEntrusts[id] = p
	}
	for id, p := range st.H5Sessions {
		s.st.h5Sessions[id] = p
	}
	s.st.holdPacks = st.HoldPacks
	for _, ss := range st.Shares {
		o := s.st.byTxn[ss.TransactionID]
		if o == nil {
			return fmt.Errorf("profit sharing of transaction %s: no such order", ss.TransactionID)
		}
		s.st.shares[ss.TransactionID] = &shareOrder{order: o, unsplit: ss.Unsplit, requests: ss.Requests, finished: ss.Finished}
	}
	for _, ss := range st.Splits {
		sh := s.st.shares[ss.TransactionID]
		if sh == nil {
			return fmt.Errorf("split %s: transaction %s has no profit sharing", ss.OutOrderNo, ss.TransactionID)
		}
		if ss.Returned == nil {
			ss.Returned = map[string]int64{}
		}
		s.st.splits[ss.OutOrderNo] = &split{
			req: ss.Req, share: sh, outOrderNo: ss.OutOrderNo, orderID: ss.OrderID, receivers: ss.Receivers,
			finish: ss.Finish, amount: ss.Amount, desc: ss.Desc, returned: ss.Returned, at: ss.At,
		}
	}
	for _, sr := range st.Returns {
		sp := s.st.splits[sr.OutOrderNo]
		if sp == nil {
			return fmt.Errorf("return %s: no split %s", sr.No, sr.OutOrderNo)
		}
		s.st.returns[sr.No] = &shareReturn{
			req: sr.Req, split: sp, no: sr.No, returnNo: sr.ReturnNo, account: sr.Account, amount: sr.Amount, desc: sr.Desc, at: sr.At,
		}
	}
	for _, sr := range st.RedPacks {
		s.st.redPacks[sr.BillNo] = &redPack{
			req: sr.Req, billNo: sr.BillNo, listID: sr.ListID, hbType: sr.HBType, openID: sr.OpenID, num: sr.Num,
			amount: sr.Amount, status: sr.Status, sent: sr.Sent, received: sr.Received, refunded: sr.Refunded,
			pkg: sr.Package, mch: sr.MchID, sub: sr.SubMchID, receivers: sr.Receivers,
		}
	}
	for _, sc := range st.Contracts {
		s.st.contracts[sc.ID] = &contract{
			id: sc.ID, planID: sc.PlanID, code: sc.Code, display: sc.Display, requestSerial: sc.RequestSerial, appID: sc.AppID,
			mchID: sc.MchID, subMchID: sc.SubMchID, subAppID: sc.SubAppID, openID: sc.OpenID, notifyURL: sc.NotifyURL,
			signType: sc.SignType, terminated: sc.Terminated, signedAt: sc.SignedAt, expiresAt: sc.ExpiresAt,
			terminatedAt: sc.TerminatedAt, mode: sc.Mode, remark: sc.Remark, signedFromPath: sc.SignedFromPath,
		}
	}
	for key, id := range st.ContractCodes {
		c := s.st.contracts[id]
		if c == nil {
			return fmt.Errorf("contract code %s: no contract %s", key, id)
		}
		s.st.contractCodes[key] = c
	}
	return nil
}
