package api

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/pay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// orderPay pays orders ("77" or "77,88") from the balance; 40000 with the
// shortfall as data when the balance is too low.
func (s *Server) orderPay(c *call) (any, error) {
	ids := c.p.ids("orderId")
	if c.p.err != nil {
		return nil, c.p.err
	}
	if err := s.st.PayOrders(c.ctx, c.user.ID, ids); err != nil {
		return nil, err
	}
	s.announceOrders(c.ctx, ids)
	return nil, nil
}

// wxPay places a WeChat payment of money yuan and returns the
// wx.requestPayment object. With nextAction {type: 0, id: "77,88"} the
// payment notify pays those orders from the balance once the money is in.
func (s *Server) wxPay(c *call) (any, error) {
	amount := c.p.fen("money")
	var next struct {
		Type flexInt    `json:"type"`
		ID   flexString `json:"id"`
	}
	var orderIDs []int64
	if c.p.json("nextAction", &next, false) {
		if next.Type != 0 {
			return nil, errorf(CodeInvalid, "暂不支持 nextAction type %d (only type 0, paying orders, is supported)", next.Type)
		}
		ids := params{v: map[string][]string{"id": {string(next.ID)}}}
		orderIDs = ids.ids("id")
		if ids.err != nil {
			return nil, errorf(CodeInvalid, "nextAction 缺少有效的订单 id (nextAction.id=%q)", next.ID)
		}
	}
	if c.p.err != nil {
		return nil, c.p.err
	}
	remark := c.p.str("remark")
	body := c.p.str("payName")
	if body == "" {
		body = "商城订单支付"
	}
	// payName is the unified order's body: refuse what the SDK would.
	if err := store.CheckText("payName", "支付名称", body, 128); err != nil {
		return nil, err
	}
	if err := store.CheckText("remark", "备注", remark, 200); err != nil {
		return nil, err
	}
	p, err := s.st.CreateWxPayment(c.ctx, c.user.ID, amount, remark, orderIDs)
	if err != nil {
		return nil, err
	}
	var expire time.Time
	if p.DateExpire != "" {
		expire, _ = store.ParseStamp(p.DateExpire)
	}
	prepayID, params, err := s.cfg.Payments.Prepay(c.ctx, pay.Order{
		OutTradeNo: p.OutTradeNo, Body: body, Fee: p.Money, OpenID: c.user.OpenID, ClientIP: clientIP(c), Expire: expire,
	})
	if err != nil {
		s.log.WarnContext(c.ctx, "unified order failed", "out_trade_no", p.OutTradeNo, "err", err)
		if pay.NotSent(err) {
			// Never sent: WeChat has no such payment, so the shop keeps
			// none either (nothing to reconcile, nothing to close).
			if derr := s.st.DropUnsentPayment(context.WithoutCancel(c.ctx), p.OutTradeNo); derr != nil {
				s.log.ErrorContext(c.ctx, "dropping an unsent payment", "out_trade_no", p.OutTradeNo, "err", derr)
			}
			return nil, errorf(CodeInvalid, "%s", pay.Describe(err))
		}
		return nil, errorf(CodeFailed, "%s", pay.Describe(err))
	}
	if err := s.st.SetPrepayID(c.ctx, p.OutTradeNo, prepayID); err != nil {
		return nil, err
	}
	return params, nil
}

// clientIP is the payer's address for spbill_create_ip. Behind a reverse
// proxy it is the proxy's; WeChat accepts that for mini programs.
func clientIP(c *call) string {
	host, _, err := net.SplitHostPort(c.r.RemoteAddr)
	if err != nil || net.ParseIP(host) == nil {
		return "127.0.0.1"
	}
	return host
}

// onPaid handles a verified payment notify.
func (s *Server) onPaid(ctx context.Context, n store.PaidNotice) error {
	res, err := s.st.CompleteWxPayment(ctx, n)
	if err != nil {
		s.log.ErrorContext(ctx, "payment notify not applied; WeChat will retry", "out_trade_no", n.OutTradeNo, "err", err)
		return err
	}
	s.log.InfoContext(ctx, "payment notify", "out_trade_no", n.OutTradeNo, "transaction_id", n.TransactionID,
		"fen", int64(n.TotalFee), "duplicate", res.Duplicate, "paid_orders", res.Paid, "skipped_orders", res.Skipped)
	s.announcePaid(ctx, res)
	return nil
}

// onRefunded handles a decrypted refund notify.
func (s *Server) onRefunded(ctx context.Context, n store.RefundNotice) error {
	if n.RefundStatus == "SUCCESS" {
		// The notify's req_info is AES-ECB without integrity and its
		// envelope is unsigned: before money moves, WeChat confirms the
		// refund over the signed, verified refund query.
		st, err := s.cfg.Payments.QueryRefund(ctx, n.OutRefundNo)
		if err != nil {
			s.log.WarnContext(ctx, "refund notify not confirmed; WeChat will retry", "out_refund_no", n.OutRefundNo, "err", err)
			return err
		}
		if st.Status != "SUCCESS" || st.RefundFee != n.RefundFee || st.OutTradeNo != n.OutTradeNo || st.TotalFee != n.TotalFee {
			s.log.ErrorContext(ctx, "refund notify contradicts WeChat's refund query", "out_refund_no", n.OutRefundNo,
				"notify_status", n.RefundStatus, "query_status", st.Status, "notify_fen", int64(n.RefundFee), "query_fen", int64(st.RefundFee))
			return errors.New("refund notify contradicts the refund query")
		}
		n.RefundID = st.RefundID
	}
	return s.applyRefund(ctx, n)
}

// applyRefund applies a confirmed refund outcome, from the notify or
// from the reconciliation loop.
func (s *Server) applyRefund(ctx context.Context, n store.RefundNotice) error {
	a, err := s.st.CompleteRefund(ctx, n)
	if err != nil {
		s.log.ErrorContext(ctx, "refund notify not applied; WeChat will retry", "out_refund_no", n.OutRefundNo, "err", err)
		return err
	}
	level := s.log.InfoContext
	if n.RefundStatus != "SUCCESS" {
		level = s.log.WarnContext // CHANGE or REFUNDCLOSE: the merchant must act
	}
	level(ctx, "refund notify", "out_refund_no", n.OutRefundNo, "refund_status", n.RefundStatus,
		"fen", int64(n.RefundFee), "after_sale", a.ID, "after_sale_status", a.Status)
	s.hub.publish(event{Type: "refund", ApplyID: a.ID, OrderID: a.OrderID, Status: store.ApplyStatusText(a.Status)})
	return nil
}

// devConfirm plays the buyer confirming a payment in WeChat (development
// mode only): the in-process WeChat Pay server marks the payment paid and
// posts the notify, as WeChat would. It answers once the notify has been
// applied, so a client can go on at once.
func (s *Server) devConfirm(c *call) (any, error) {
	prepayID := c.p.required("prepayId")
	if c.p.err != nil {
		return nil, c.p.err
	}
	prepayID = strings.TrimPrefix(prepayID, "prepay_id=") // the package field works too
	silent := c.p.str("notify") == "0"
	p, err := s.st.WxPaymentByPrepayID(c.ctx, prepayID)
	if err != nil {
		return nil, err
	}
	if silent {
		if s.cfg.DevConfirmSilently == nil {
			return nil, errorf(CodeInvalid, "notify=0 is not available")
		}
		if err := s.cfg.DevConfirmSilently(p.OutTradeNo); err != nil {
			return nil, errorf(CodeConflict, "支付确认失败 (confirm failed): %v", err)
		}
		return map[string]any{"outTradeNo": p.OutTradeNo, "notify": false}, nil
	}
	if !p.Paid {
		if err := s.cfg.DevConfirm(p.OutTradeNo); err != nil {
			return nil, errorf(CodeConflict, "支付确认失败 (confirm failed): %v", err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !p.Paid {
		if time.Now().After(deadline) {
			return nil, errorf(CodeFailed, "支付通知尚未到达 (the payment notify has not been applied yet)")
		}
		select {
		case <-c.ctx.Done():
			return nil, c.ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if p, err = s.st.WxPayment(c.ctx, p.OutTradeNo); err != nil {
			return nil, err
		}
	}
	orders := make([]string, len(p.OrderIDs))
	for i, id := range p.OrderIDs {
		orders[i] = strconv.FormatInt(id, 10)
	}
	return map[string]any{"outTradeNo": p.OutTradeNo, "transactionId": p.TransactionID, "money": p.Money,
		"orderIds": strings.Join(orders, ",")}, nil
}
