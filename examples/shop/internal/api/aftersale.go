package api

import (
	"encoding/json"
	"strings"

	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// refundApply applies for an after-sale on one order line; 20000 when the
// line already has an open one.
func (s *Server) refundApply(c *call) (any, error) {
	in := store.ApplyInput{
		UserID:          c.user.ID,
		OrderID:         c.p.id("orderId"),
		OrderGoodsID:    c.p.id("orderGoodsId"),
		Type:            int(c.p.int("type", 0)),
		LogisticsStatus: int(c.p.int("logisticsStatus", 0)),
		Reason:          c.p.str("reason"),
		Remark:          c.p.str("remark"),
		Number:          c.p.int("number", 0),
	}
	if pics := c.p.str("pic"); pics != "" {
		in.Pics = strings.Split(pics, ",")
	}
	if c.p.str("amount") != "" {
		in.Amount = c.p.fen("amount")
	}
	if c.p.err != nil {
		return nil, c.p.err
	}
	a, err := s.st.ApplyRefund(c.ctx, in)
	if err != nil {
		return nil, err
	}
	return viewApply(a), nil
}

// refundApplyInfo lists an order's applications (one line's with
// orderGoodsId), oldest first; 700 when there are none. /order/refund,
// "all after-sale records of an order", answers the same.
func (s *Server) refundApplyInfo(c *call) (any, error) {
	orderID, lineID, err := orderLine(c)
	if err != nil {
		return nil, err
	}
	as, err := s.st.RefundApplies(c.ctx, c.user.ID, orderID, lineID)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, noData("售后记录")
	}
	out := make([]applyView, len(as))
	for i, a := range as {
		out[i] = viewApply(a)
	}
	return out, nil
}

// refundApplyCancel withdraws the open applications of an order (of one
// line with orderGoodsId).
func (s *Server) refundApplyCancel(c *call) (any, error) {
	orderID, lineID, err := orderLine(c)
	if err != nil {
		return nil, err
	}
	_, err = s.st.CancelRefund(c.ctx, c.user.ID, orderID, lineID)
	return nil, err
}

// orderLine reads the orderId and the optional orderGoodsId (” or 0: the
// whole order) of the after-sale calls.
func orderLine(c *call) (orderID, lineID int64, err error) {
	orderID, lineID = c.p.id("orderId"), c.p.int("orderGoodsId", 0)
	return orderID, lineID, c.p.err
}

// refundApplySetBackLogistics records the waybill of returned goods.
func (s *Server) refundApplySetBackLogistics(c *call) (any, error) {
	orderID, applyID := c.p.id("orderId"), c.p.id("applyId")
	content, _ := json.Marshal(map[string]string{
		"shipperName": c.p.required("shipperName"), "trackingNumber": c.p.required("trackingNumber"),
		"linkMan": c.p.str("linkMan"), "mobile": c.p.str("mobile"), "address": c.p.str("address"),
	})
	if c.p.err != nil {
		return nil, c.p.err
	}
	return nil, s.st.SetBackLogistics(c.ctx, c.user.ID, orderID, applyID, string(content))
}
