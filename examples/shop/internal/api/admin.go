package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
	"github.com/wxpay-go/wxpay/examples/shop/internal/pay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// The admin API is the merchant's: JSON with the same {code, msg, data}
// envelope, but with meaningful HTTP statuses, since its clients are
// scripts and back-office tools rather than the unchangeable mini-program
// pages.

type adminFunc func(r *http.Request, p *params) (any, error)

// admin registers an admin endpoint behind the bearer token.
func (s *Server) admin(pattern string, h adminFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !s.adminAuthorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="shop admin"`)
			writeJSON(w, http.StatusUnauthorized, envelope{Code: CodeNotLoggedIn, Msg: "admin token required (Authorization: Bearer …)"})
			return
		}
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, envelope{Code: CodeInvalid, Msg: "malformed form: " + err.Error()})
			return
		}
		p := &params{v: r.Form}
		data, err := h(r, p)
		if err == nil {
			err = p.err
		}
		if err != nil {
			e := envelopeOf(err, s.log, r)
			if e.Data == nil {
				e.Data = data // an approval that WeChat refused still shows the application
			}
			writeJSON(w, httpStatus(err, e.Code), e)
			return
		}
		writeJSON(w, http.StatusOK, envelope{Code: CodeOK, Msg: "success", Data: data})
	})
}

func httpStatus(err error, code int) int {
	if ae, ok := err.(*apiError); ok && ae.status != 0 {
		return ae.status
	}
	switch code {
	case CodeInvalid:
		return http.StatusBadRequest
	case CodeNoData:
		return http.StatusNotFound
	case CodeConflict, CodeAfterSaleOpen, CodeBalanceTooLow:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// pathID reads the {id} of an admin path.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(CodeInvalid, "bad id %q", r.PathValue("id"))
	}
	return id, nil
}

// adminOrder is an order as the merchant sees it.
type adminOrder struct {
	orderView
	Deleted      bool           `json:"deleted"`
	WxOutTradeNo string         `json:"wxOutTradeNo,omitempty"`
	WxPaid       money.Fen      `json:"wxPaid"`
	Goods        []lineView     `json:"goods"`
	Logistics    *logisticsView `json:"logistics,omitempty"`
}

// adminOrders lists every order, deleted ones included, newest first;
// ?status= filters by status, ?page= and ?pageSize= page.
func (s *Server) adminOrders(r *http.Request, p *params) (any, error) {
	f := store.OrderFilter{IncludeDeleted: true}
	f.Page, f.PageSize = p.page(50)
	if p.str("status") != "" {
		f.Statuses = []int{int(p.int("status", 0))}
	}
	if p.err != nil {
		return nil, p.err
	}
	orders, total, err := s.st.ListOrders(r.Context(), f)
	if err != nil {
		return nil, err
	}
	out := make([]adminOrder, len(orders))
	for i, o := range orders {
		out[i] = adminOrder{orderView: viewOrder(o), Deleted: o.Deleted, WxOutTradeNo: o.WxOutTradeNo, WxPaid: o.WxPaid,
			Goods: s.viewLines(o), Logistics: viewLogistics(o)}
	}
	return map[string]any{"orders": out, "totalRow": total}, nil
}

// adminShip ships a paid order: form shipperName, trackingNumber.
func (s *Server) adminShip(r *http.Request, p *params) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	o, err := s.st.Ship(r.Context(), id, p.str("shipperName"), p.str("trackingNumber"))
	if err != nil {
		return nil, err
	}
	return adminOrder{orderView: viewOrder(o), Goods: s.viewLines(o), Logistics: viewLogistics(o)}, nil
}

// refundAmounts is where an approved application's money goes, for the
// merchant.
type refundAmounts struct {
	OutRefundNo   string    `json:"outRefundNo,omitempty"`
	WxOutTradeNo  string    `json:"wxOutTradeNo,omitempty"`
	WxAmount      money.Fen `json:"wxAmount"`
	BalanceAmount money.Fen `json:"balanceAmount"`
	RefundID      string    `json:"refundId,omitempty"`
	RefundStatus  string    `json:"refundStatus,omitempty"`
}

// adminApply is an after-sale application as the merchant sees it.
type adminApply struct {
	applyView
	refundAmounts
}

func viewAdminApply(a *store.RefundApply) adminApply {
	return adminApply{applyView: viewApply(a), refundAmounts: refundAmounts{
		OutRefundNo: a.OutRefundNo, WxOutTradeNo: a.WxOutTradeNo, WxAmount: a.WxAmount, BalanceAmount: a.BalanceAmount,
		RefundID: a.RefundID, RefundStatus: a.RefundStatus,
	}}
}

// adminRefundApplies lists applications, newest first; ?status= filters.
func (s *Server) adminRefundApplies(r *http.Request, p *params) (any, error) {
	page, size := p.page(50)
	status := int(p.int("status", -1))
	if p.err != nil {
		return nil, p.err
	}
	as, total, err := s.st.ListRefundApplies(r.Context(), status, page, size)
	if err != nil {
		return nil, err
	}
	out := make([]adminApply, len(as))
	for i, a := range as {
		out[i] = viewAdminApply(a)
	}
	return map[string]any{"applies": out, "totalRow": total}, nil
}

// adminApprove approves an application. The part paid through WeChat is
// refunded through WeChat with the merchant certificate and the
// application stays "in progress" (3) until the refund notify completes
// it (4); what came from the balance goes back to it then. With nothing
// to refund through WeChat it completes at once. If WeChat refuses or
// cannot be reached, the answer is 502 with WeChat's reason and the
// application stays in progress: approving it again retries with the
// same out_refund_no, which WeChat refunds at most once. A refund the
// SDK refused to send is 422, with the field it refused.
func (s *Server) adminApprove(r *http.Request, _ *params) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	a, err := s.approve(r.Context(), id)
	if a != nil {
		return viewAdminApply(a), err
	}
	return nil, err
}

// adminRefuse refuses an open application, or one in progress whose
// refund WeChat never accepted: form remark.
func (s *Server) adminRefuse(r *http.Request, p *params) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	a, err := s.refuse(r.Context(), id, p.str("remark"))
	if err != nil {
		return nil, err
	}
	return viewAdminApply(a), nil
}

// approve approves an application and sends its refund to WeChat. On a
// failed refund it returns the application with the error.
func (s *Server) approve(ctx context.Context, id int64) (*store.RefundApply, error) {
	plan, err := s.st.ApproveRefund(ctx, id)
	if err != nil {
		return nil, err
	}
	if !plan.Done {
		err = s.cfg.Payments.Refund(ctx, pay.Refund{
			OutTradeNo: plan.OutTradeNo, OutRefundNo: plan.Apply.OutRefundNo,
			TotalFee: plan.TotalFee, RefundFee: plan.RefundFee, Reason: plan.Apply.Reason,
		})
		accepted, msg := 1, ""
		if err != nil {
			accepted, msg = 0, pay.Describe(err)
			if pay.Refused(err) {
				accepted = -1
			}
			s.log.WarnContext(ctx, "refund failed", "out_refund_no", plan.Apply.OutRefundNo, "refused", accepted == -1, "err", err)
		}
		if e := s.st.RefundSent(ctx, id, accepted, msg); e != nil && err == nil {
			err = e
		}
		if err != nil {
			a, _ := s.st.RefundApply(ctx, id)
			status := http.StatusBadGateway
			if pay.NotSent(err) {
				status = http.StatusUnprocessableEntity
			}
			if a == nil {
				a = plan.Apply
			}
			return a, &apiError{code: CodeFailed, msg: msg, status: status}
		}
	}
	return s.st.RefundApply(ctx, id)
}

// refuse refuses an application. One in progress whose refund's fate is
// unknown (the answer to the refund request was lost) is refused only if
// WeChat confirms it has no such refund.
func (s *Server) refuse(ctx context.Context, id int64, remark string) (*store.RefundApply, error) {
	a, err := s.st.RefundApply(ctx, id)
	if err != nil {
		return nil, err
	}
	absent := false
	if a.Status == store.ApplyInProgress && a.RefundAccepted == 0 && a.OutRefundNo != "" {
		_, qerr := s.cfg.Payments.QueryRefund(ctx, a.OutRefundNo)
		switch {
		case errors.Is(qerr, pay.ErrUnknown):
			absent = true
		case qerr == nil:
			if err := s.st.RefundSent(ctx, id, 1, ""); err != nil {
				return nil, err
			}
			return nil, errorf(CodeConflict, "微信支付已受理该退款，不能再拒绝 (WeChat has the refund %s)", a.OutRefundNo)
		default:
			return nil, &apiError{code: CodeFailed, status: http.StatusBadGateway,
				msg: "无法向微信支付确认退款状态，请稍后再试 (" + pay.Describe(qerr) + ")"}
		}
	}
	return s.st.RefuseRefund(ctx, id, remark, absent)
}
