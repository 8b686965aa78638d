package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// goodsItem is one element of goodsJsonStr. Numbers may arrive as JSON
// numbers or strings.
type goodsItem struct {
	GoodsID          flexInt    `json:"goodsId"`
	Number           flexInt    `json:"number"`
	PropertyChildIDs flexString `json:"propertyChildIds"`
}

// orderCreate creates an order, or with calculate=true only prices it.
func (s *Server) orderCreate(c *call) (any, error) {
	var items []goodsItem
	c.p.json("goodsJsonStr", &items, true)
	var ext map[string]any
	c.p.json("extJsonStr", &ext, false)
	in := store.OrderInput{
		UserID:      c.user.ID,
		PeisongType: c.p.str("peisongType"),
		Remark:      c.p.str("remark"),
		CanHX:       c.p.bool("isCanHx"),
		ExtJSON:     c.p.str("extJsonStr"),
		Address: store.Address{
			LinkMan: c.p.str("linkMan"), Mobile: c.p.str("mobile"), Address: c.p.str("address"), Code: c.p.str("code"),
			ProvinceID: c.p.str("provinceId"), CityID: c.p.str("cityId"), DistrictID: c.p.str("districtId"), StreetID: c.p.str("streetId"),
		},
	}
	calculate := c.p.bool("calculate")
	if c.p.err != nil {
		return nil, c.p.err
	}
	for _, it := range items {
		in.Lines = append(in.Lines, store.LineInput{
			GoodsID: int64(it.GoodsID), Number: int64(it.Number), PropertyChildIDs: string(it.PropertyChildIDs),
		})
	}
	if calculate {
		q, err := s.st.Calculate(c.ctx, in)
		if err != nil {
			return nil, err
		}
		// Coupons, points and freight rules are not part of the demo shop:
		// their lists are left out, as WAM tests them for truthiness.
		return map[string]any{
			"amountReal": q.AmountReal, "amountTotle": q.Amount, "amountLogistics": q.AmountLogistics,
			"amountLogistics2": 0, "score": 0, "deductionMoney": 0, "couponAmount": 0,
			"isNeedLogistics": q.NeedLogistics, "goodsNumber": q.GoodsNumber,
		}, nil
	}
	o, err := s.st.CreateOrder(c.ctx, in)
	if err != nil {
		return nil, err
	}
	return viewOrder(o), nil
}

// orderList lists the buyer's orders: {orderList, goodsMap, logisticsMap,
// totalRow, totalPage}, or 700 when there are none.
func (s *Server) orderList(c *call) (any, error) {
	f := store.OrderFilter{
		UserID:      c.user.ID,
		HasRefund:   c.p.bool("hasRefund"),
		RefundOpen:  c.p.str("refundStatus") == "1",
		OrderNumber: c.p.str("orderNumber"),
		DateBegin:   c.p.str("dateAddBegin"),
		DateEnd:     c.p.str("dateAddEnd"),
	}
	f.Page, f.PageSize = c.p.page(50)
	if st := c.p.str("status"); st != "" {
		f.Statuses = []int{int(c.p.int("status", 0))}
	}
	if batch := c.p.str("statusBatch"); batch != "" {
		for _, x := range strings.Split(batch, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, errorf(CodeInvalid, "参数 statusBatch 无效 (statusBatch=%q)", batch)
			}
			f.Statuses = append(f.Statuses, n)
		}
	}
	if c.p.err != nil {
		return nil, c.p.err
	}
	orders, total, err := s.st.ListOrders(c.ctx, f)
	if err != nil {
		return nil, err
	}
	if len(orders) == 0 {
		return nil, noData("订单")
	}
	list := make([]orderView, len(orders))
	goodsMap := map[string][]lineView{}
	logisticsMap := map[string]*logisticsView{}
	for i, o := range orders {
		list[i] = viewOrder(o)
		key := strconv.FormatInt(o.ID, 10)
		goodsMap[key] = s.viewLines(o)
		if l := viewLogistics(o); l != nil {
			logisticsMap[key] = l
		}
	}
	return map[string]any{
		"orderList": list, "goodsMap": goodsMap, "logisticsMap": logisticsMap,
		"totalRow": total, "totalPage": (total + f.PageSize - 1) / f.PageSize,
	}, nil
}

// orderDetail shows one order to its buyer, or, by hxNumber, to staff
// about to write it off.
func (s *Server) orderDetail(c *call) (any, error) {
	u, err := s.st.UserByToken(c.ctx, c.p.str("token"))
	if err != nil {
		return nil, err
	}
	var o *store.Order
	if hx := c.p.str("hxNumber"); hx != "" {
		o, err = s.st.OrderByHXNumber(c.ctx, hx)
		if err == nil && o.UserID != u.ID && !s.isStaff(u) {
			return nil, errorf(CodeForbidden, "无权查看该订单 (not your order, and not staff)")
		}
	} else {
		id := c.p.id("id")
		if c.p.err != nil {
			return nil, c.p.err
		}
		o, err = s.st.Order(c.ctx, u.ID, id)
	}
	if err != nil {
		return nil, err
	}
	logs, err := s.st.OrderLogs(c.ctx, o.ID)
	if err != nil {
		return nil, err
	}
	type logView struct {
		ID      int64  `json:"id"`
		Type    int    `json:"type"`
		TypeStr string `json:"typeStr"`
		DateAdd string `json:"dateAdd"`
	}
	type trace struct {
		AcceptStation string `json:"AcceptStation"`
		AcceptTime    string `json:"AcceptTime"`
	}
	logViews := []logView{}
	traces := []trace{}
	for _, l := range logs {
		logViews = append(logViews, logView{ID: l.ID, Type: l.Type, TypeStr: store.LogText(l.Type), DateAdd: l.DateAdd})
		if l.Type == store.LogShip {
			traces = append(traces, trace{AcceptStation: "商家已发货：" + o.ShipperName + " " + o.TrackingNumber, AcceptTime: l.DateAdd})
		}
		if l.Type == store.LogReceive {
			traces = append(traces, trace{AcceptStation: "已签收", AcceptTime: l.DateAdd})
		}
	}
	return map[string]any{
		"orderInfo":       viewOrder(o),
		"goods":           s.viewLines(o),
		"logistics":       viewLogistics(o),
		"logisticsTraces": traces,
		"logs":            logViews,
		"extJson":         extJSON(o.ExtJSON),
	}, nil
}

// orderAction is the shape of the calls that take (token, orderId) and
// answer only a code: close, delete, confirm receipt.
func orderAction(do func(ctx context.Context, userID, orderID int64) error) handlerFunc {
	return func(c *call) (any, error) {
		id := c.p.id("orderId")
		if c.p.err != nil {
			return nil, c.p.err
		}
		return nil, do(c.ctx, c.user.ID, id)
	}
}

// orderHX writes off an order by its code. Only staff may (the uids of
// config order_hx_uids), with their token: orderHX(hxNumber) sends none
// and gets 2000, orderHXV2 sends it.
func (s *Server) orderHX(c *call) (any, error) {
	hx := c.p.required("hxNumber")
	if c.p.err != nil {
		return nil, c.p.err
	}
	u, err := s.st.UserByToken(c.ctx, c.p.str("token"))
	if err != nil {
		return nil, err
	}
	if !s.isStaff(u) {
		return nil, errorf(CodeForbidden, "您没有核销权限 (uid %d is not staff)", u.ID)
	}
	o, err := s.st.WriteOff(c.ctx, hx)
	if err != nil {
		return nil, err
	}
	return viewOrder(o), nil
}

func (s *Server) orderStatistics(c *call) (any, error) {
	m, err := s.st.Statistics(c.ctx, c.user.ID)
	if err != nil {
		return nil, err
	}
	return map[string]int{
		"count_id_no_pay":        m[store.StatusUnpaid],
		"count_id_no_transfer":   m[store.StatusPaid],
		"count_id_no_confirm":    m[store.StatusShipped],
		"count_id_no_reputation": m[store.StatusReceived],
		"count_id_success":       m[store.StatusDone],
		"count_id_close":         m[store.StatusClosed],
	}, nil
}

// orderReputation reviews a received order. Its only parameter is
// postJsonString, which carries the token too.
func (s *Server) orderReputation(c *call) (any, error) {
	var post struct {
		Token       string  `json:"token"`
		OrderID     flexInt `json:"orderId"`
		Reputations []struct {
			ID               flexInt         `json:"id"`
			Reputation       flexInt         `json:"reputation"`
			ReputationNumber flexInt         `json:"reputationNumber"`
			Remark           string          `json:"remark"`
			Pics             json.RawMessage `json:"pics"`
		} `json:"reputations"`
	}
	if !c.p.json("postJsonString", &post, true) {
		return nil, c.p.err
	}
	u, err := s.st.UserByToken(c.ctx, post.Token)
	if err != nil {
		return nil, err
	}
	if post.OrderID <= 0 {
		return nil, errorf(CodeInvalid, "缺少参数 orderId (missing orderId)")
	}
	var reviews []store.ReviewInput
	for _, r := range post.Reputations {
		stars := int(r.ReputationNumber)
		if stars == 0 { // not sent: stars follow the verdict
			stars = []int{1, 3, 5}[min(max(int(r.Reputation), 0), 2)]
		}
		reviews = append(reviews, store.ReviewInput{
			OrderGoodsID: int64(r.ID), Reputation: int(r.Reputation), ReputationNumber: stars,
			Remark: r.Remark, Pics: picList(r.Pics),
		})
	}
	return nil, s.st.Review(c.ctx, u.ID, int64(post.OrderID), reviews)
}

// picList reads review pictures: ["url", …] or [{"pic": "url"}, …].
func picList(raw json.RawMessage) []string {
	var urls []string
	if json.Unmarshal(raw, &urls) == nil {
		return urls
	}
	var objs []struct {
		Pic string `json:"pic"`
		URL string `json:"url"`
	}
	json.Unmarshal(raw, &objs)
	for _, o := range objs {
		if o.Pic != "" {
			urls = append(urls, o.Pic)
		} else if o.URL != "" {
			urls = append(urls, o.URL)
		}
	}
	return urls
}
