package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/pay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/printer"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// Run does the shop's background work until ctx is done: it closes
// unpaid orders whose time ran out (at WeChat first), reconciles payments
// and refunds whose notify is late or lost, and delivers receipts.
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	loop := func(every time.Duration, wake <-chan struct{}, fn func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				fn(ctx)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				case <-wake:
				}
			}
		}()
	}
	loop(s.cfg.SweepEvery, nil, s.ExpireOrders)
	loop(min(s.cfg.ReconcileEvery, s.cfg.ReconcileAfter), nil, s.Reconcile)
	if s.cfg.Printer != nil {
		loop(min(s.cfg.SweepEvery, time.Second), s.poke, s.PrintDue)
	}
	wg.Wait()
}

// batch bounds the work of one round of a background loop.
const batch = 50

// ExpireOrders closes the unpaid orders whose time ran out. A payment of
// such an order still open at WeChat is closed there first; one that
// turns out paid is applied as its notify would be, and the order is
// not closed.
func (s *Server) ExpireOrders(ctx context.Context) {
	ids, err := s.st.ExpiredOrders(ctx, time.Now(), batch)
	if err != nil {
		s.logBackground(ctx, "listing expired orders", err)
		return
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		if err := s.expire(ctx, id); err != nil {
			s.logBackground(ctx, fmt.Sprintf("expiring order %d", id), err)
		}
	}
}

func (s *Server) expire(ctx context.Context, id int64) error {
	ps, err := s.st.OpenPaymentsOf(ctx, id)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := s.closePayment(ctx, p); err != nil {
			if errors.Is(err, pay.ErrPaid) {
				return nil // paid after all: the order lives
			}
			return err
		}
	}
	closed, err := s.st.ExpireOrder(ctx, id)
	if err == nil && closed {
		s.log.InfoContext(ctx, "unpaid order expired; stock restored", "order", id)
		s.hub.publish(event{Type: "closed", OrderID: id})
	}
	return err
}

// closePayment closes an open payment at WeChat and then in the store.
// One that WeChat says was paid meanwhile is applied as its notify would
// be, and the error wraps pay.ErrPaid.
func (s *Server) closePayment(ctx context.Context, p *store.WxPayment) error {
	err := s.cfg.Payments.CloseOrder(ctx, p.OutTradeNo)
	switch {
	case err == nil, errors.Is(err, pay.ErrUnknown):
		return s.st.ClosePayment(ctx, p.OutTradeNo)
	case errors.Is(err, pay.ErrPaid):
		if err := s.reconcilePayment(ctx, p); err != nil {
			return err
		}
		return &apiError{code: CodeConflict, msg: "订单刚刚已支付 (the order was paid meanwhile)", status: http.StatusConflict,
			data: nil, wrapped: pay.ErrPaid}
	}
	return fmt.Errorf("closing payment %s at WeChat: %w", p.OutTradeNo, err)
}

// Reconcile asks WeChat about payments left unpaid and refunds left in
// progress past ReconcileAfter, and applies what it says exactly as the
// notifies would have.
func (s *Server) Reconcile(ctx context.Context) {
	now := time.Now()
	ps, err := s.st.PaymentsToReconcile(ctx, now.Add(-s.cfg.ReconcileAfter), now.Add(-s.cfg.ReconcileEvery), batch)
	if err != nil {
		s.logBackground(ctx, "listing payments to reconcile", err)
	}
	for _, p := range ps {
		if ctx.Err() != nil {
			return
		}
		if err := s.reconcilePayment(ctx, p); err != nil {
			s.logBackground(ctx, "reconciling payment "+p.OutTradeNo, err)
		}
	}
	as, err := s.st.RefundsToReconcile(ctx, now.Add(-s.cfg.ReconcileAfter), now.Add(-s.cfg.ReconcileEvery), batch)
	if err != nil {
		s.logBackground(ctx, "listing refunds to reconcile", err)
	}
	for _, a := range as {
		if ctx.Err() != nil {
			return
		}
		if err := s.reconcileRefund(ctx, a); err != nil {
			s.logBackground(ctx, "reconciling refund "+a.OutRefundNo, err)
		}
	}
}

func (s *Server) reconcilePayment(ctx context.Context, p *store.WxPayment) error {
	st, err := s.cfg.Payments.QueryOrder(ctx, p.OutTradeNo)
	if errors.Is(err, pay.ErrUnknown) {
		s.log.WarnContext(ctx, "WeChat does not know the payment; closing it", "out_trade_no", p.OutTradeNo)
		return s.st.ClosePayment(ctx, p.OutTradeNo)
	}
	if err != nil {
		s.st.MarkPaymentChecked(ctx, p.OutTradeNo)
		return err
	}
	switch st.State {
	case "SUCCESS", "REFUND":
		s.log.InfoContext(ctx, "reconciliation: WeChat says paid", "out_trade_no", p.OutTradeNo, "transaction_id", st.TransactionID)
		return s.onPaid(ctx, store.PaidNotice{OutTradeNo: p.OutTradeNo, TransactionID: st.TransactionID, TotalFee: st.TotalFee})
	case "CLOSED", "REVOKED", "PAYERROR":
		return s.st.ClosePayment(ctx, p.OutTradeNo)
	}
	// NOTPAY, USERPAYING: ask again later. Past its time_expire WeChat no
	// longer takes it: close it there and here.
	if p.DateExpire != "" {
		if exp, err := store.ParseStamp(p.DateExpire); err == nil && time.Now().After(exp.Add(pay.MinExpiry)) {
			err := s.cfg.Payments.CloseOrder(ctx, p.OutTradeNo)
			switch {
			case err == nil, errors.Is(err, pay.ErrUnknown):
				return s.st.ClosePayment(ctx, p.OutTradeNo)
			case errors.Is(err, pay.ErrPaid):
				return s.reconcilePayment(ctx, p)
			}
		}
	}
	return s.st.MarkPaymentChecked(ctx, p.OutTradeNo)
}

func (s *Server) reconcileRefund(ctx context.Context, a *store.RefundApply) error {
	defer s.st.MarkRefundChecked(ctx, a.ID)
	st, err := s.cfg.Payments.QueryRefund(ctx, a.OutRefundNo)
	if errors.Is(err, pay.ErrUnknown) {
		if a.RefundAccepted == 0 {
			// The refund request's answer was lost and WeChat has no such
			// refund: it never arrived. The merchant may retry or refuse.
			return s.st.RefundSent(ctx, a.ID, -1, "微信支付没有这笔退款，请重试或拒绝 (WeChat has no such refund)")
		}
		return err
	}
	if err != nil {
		return err
	}
	if a.RefundAccepted != 1 {
		if err := s.st.RefundSent(ctx, a.ID, 1, ""); err != nil {
			return err
		}
	}
	switch st.Status {
	case "SUCCESS", "CHANGE", "REFUNDCLOSE":
		s.log.InfoContext(ctx, "reconciliation: refund settled", "out_refund_no", a.OutRefundNo, "refund_status", st.Status)
		return s.applyRefund(ctx, store.RefundNotice{OutTradeNo: st.OutTradeNo, TotalFee: st.TotalFee,
			OutRefundNo: a.OutRefundNo, RefundID: st.RefundID, RefundFee: st.RefundFee, RefundStatus: st.Status})
	}
	return nil
}

// PrintDue delivers the receipts that are due.
func (s *Server) PrintDue(ctx context.Context) {
	if s.cfg.Printer == nil {
		return
	}
	jobs, err := s.st.DuePrintJobs(ctx, time.Now(), batch)
	if err != nil {
		s.logBackground(ctx, "listing print jobs", err)
		return
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		err := s.print(ctx, j)
		if err == nil {
			if err := s.st.PrintDelivered(ctx, j.ID); err != nil {
				s.logBackground(ctx, "recording a print", err)
			}
			s.hub.publish(event{Type: "printed", OrderID: j.OrderID})
			continue
		}
		giveUp := j.Attempts+1 >= maxPrintAttempts
		next := time.Now().Add(printer.Backoff(j.Attempts + 1))
		s.log.WarnContext(ctx, "receipt not delivered", "job", j.ID, "order", j.OrderID, "attempt", j.Attempts+1, "give_up", giveUp, "err", err)
		if err := s.st.PrintFailed(ctx, j.ID, err.Error(), next, giveUp); err != nil {
			s.logBackground(ctx, "recording a failed print", err)
		}
	}
}

// maxPrintAttempts bounds a receipt's retries: with the backoff, about
// two hours of trying.
const maxPrintAttempts = 30

func (s *Server) print(ctx context.Context, j store.PrintJob) error {
	o, err := s.st.Order(ctx, 0, j.OrderID)
	if err != nil {
		return err
	}
	r, err := printer.Render(s.cfg.ShopName, o, s.cfg.PrinterWidth)
	if err != nil {
		return err
	}
	return s.cfg.Printer.Deliver(ctx, printer.Payload{
		Delivery: fmt.Sprintf("print-%d", j.ID), OrderID: o.ID, OrderNumber: o.OrderNumber,
		Width: r.Width, Text: r.Text, ESCPOS: r.ESCPOS,
	})
}

// wakePrinter makes the printer loop look for due receipts now.
func (s *Server) wakePrinter() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (s *Server) logBackground(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	s.log.WarnContext(ctx, what, "err", err)
}

// announcePaid tells the console of orders a payment paid, and wakes
// the printer.
func (s *Server) announcePaid(ctx context.Context, res *store.PaidResult) {
	if res == nil || res.Duplicate {
		return
	}
	s.announceOrders(ctx, res.Paid)
}

func (s *Server) announceOrders(ctx context.Context, ids []int64) {
	for _, id := range ids {
		o, err := s.st.Order(ctx, 0, id)
		if err != nil {
			continue
		}
		s.hub.publish(paidEvent(o))
	}
	if len(ids) > 0 {
		s.wakePrinter()
	}
}
