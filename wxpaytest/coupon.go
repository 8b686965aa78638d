package wxpaytest

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/wxpay-go/wxpay"
)

// Coupons (代金券, v2): stocks the test creates with AddCouponStock,
// coupons issued from them once per partner_trade_no.
func init() {
	endpoints["/mmpaymkttransfers/send_coupon"] = endpoint{
		cert: true, noSubAppID: true, required: []string{"coupon_stock_id", "openid_count", "partner_trade_no", "openid"},
		serve: (*Server).sendCoupon,
	}
	endpoints["/mmpaymkttransfers/query_coupon_stock"] = endpoint{
		noSubAppID: true, required: []string{"coupon_stock_id"}, serve: (*Server).queryCouponStock,
	}
	endpoints["/mmpaymkttransfers/querycouponsinfo"] = endpoint{
		noSubAppID: true, required: []string{"coupon_id", "openid", "stock_id"}, serve: (*Server).queryCoupon,
	}
}

// CouponStock is a coupon stock (批次), as AddCouponStock creates it.
type CouponStock struct {
	ID       string // coupon_stock_id; required
	Name     string
	Value    int64 // fen, each coupon; required
	Minimum  int64 // fen, the least order it applies to
	Total    int   // coupons in the stock; required
	MaxQuota int   // coupons one openid may get; 0 means 1
	Begin    time.Time
	End      time.Time // zero: 30 days after the stock is added
}

// couponStock is a stock and what was issued from it.
type couponStock struct {
	CouponStock
	mch     string
	created time.Time
	sent    int
}

// coupon is one issued coupon.
type coupon struct {
	id, stock, openID string
	req               wxpay.Params // the send's business fields, for repeats
	state             wxpay.CouponState
	sent              time.Time
}

// AddCouponStock creates an active coupon stock of the first merchant
// (NewServer's); mchID, when given, names another one (WithMerchant). A
// stock without an ID, a positive Value or Total, or whose ID is taken
// (by AddCouponStock or by a default stock already used) is an error.
// Without it, a stock id is a default stock: DefaultCouponValue each,
// DefaultCouponTotal coupons, DefaultCouponMaxQuota an openid, valid for
// 30 days from its first use.
func (s *Server) AddCouponStock(stock CouponStock, mchID ...string) error {
	if stock.ID == "" || stock.Value <= 0 || stock.Total <= 0 || stock.Minimum < 0 || stock.MaxQuota < 0 {
		return fmt.Errorf("wxpaytest: AddCouponStock: a stock needs an ID and a positive Value and Total")
	}
	mch := s.mchList[0].mchID
	if len(mchID) > 0 {
		mch = mchID[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.couponStocks[stock.ID] != nil {
		return fmt.Errorf("%w: coupon stock %q exists", ErrState, stock.ID)
	}
	now := s.cfg.now()
	if stock.MaxQuota == 0 {
		stock.MaxQuota = 1
	}
	if stock.Begin.IsZero() {
		stock.Begin = now
	}
	if stock.End.IsZero() {
		stock.End = now.Add(30 * 24 * time.Hour)
	}
	s.st.couponStocks[stock.ID] = &couponStock{CouponStock: stock, mch: mch, created: now}
	return nil
}

// Default stocks: a stock id no AddCouponStock named is a stock of the
// merchant that first uses it, so that a test can send coupons without
// setting one up.
const (
	DefaultCouponValue    = 500  // fen
	DefaultCouponTotal    = 1000 // coupons
	DefaultCouponMaxQuota = 10   // coupons an openid may get
)

// stockFor returns the stock a request names, creating a default one for
// an id not seen before; nil for another merchant's stock.
func (s *Server) stockFor(p wxpay.Params) *couponStock {
	id := p["coupon_stock_id"]
	st := s.st.couponStocks[id]
	if st == nil {
		now := s.cfg.now()
		st = &couponStock{CouponStock: CouponStock{ID: id, Name: "代金券" + id, Value: DefaultCouponValue,
			Total: DefaultCouponTotal, MaxQuota: DefaultCouponMaxQuota, Begin: now, End: now.Add(30 * 24 * time.Hour)},
			mch: p["mch_id"], created: now}
		s.st.couponStocks[id] = st
	}
	if st.mch != p["mch_id"] {
		return nil
	}
	return st
}

// UseCoupon marks an issued coupon used, as a payment that spends it
// would: CouponQuery then shows USED.
func (s *Server) UseCoupon(couponID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.coupons[couponID]
	switch {
	case c == nil:
		return fmt.Errorf("%w: coupon %q", ErrNotFound, couponID)
	case c.state != wxpay.CouponSent:
		return fmt.Errorf("%w: coupon %q is %s", ErrState, couponID, c.state)
	}
	c.state = wxpay.CouponUsed
	return nil
}

func (s *Server) sendCoupon(p wxpay.Params) answer {
	if p["openid_count"] != "1" {
		return refuse("PARAM_ERROR", "openid_count目前只支持1")
	}
	no := p["partner_trade_no"]
	req := businessFields(p)
	if c := s.st.couponSends[no]; c != nil {
		if !maps.Equal(c.req, req) {
			return refuse("PARAM_ERROR", "商户单据号重复,且参数与原请求不一致")
		}
		return success(c.sendAnswer(p))
	}
	st := s.stockFor(p)
	if st == nil {
		return refuse("NOT_FOUND", "批次不存在")
	}
	now := s.cfg.now()
	switch {
	case now.Before(st.Begin) || now.After(st.End):
		return refuse("STOCK_IS_NOT_VALID", "批次不在有效期内")
	case st.sent >= st.Total:
		return refuse("STOCK_AMOUNT_NOT_ENOUGH", "批次已发完")
	}
	held := 0
	for _, c := range s.st.coupons {
		if c.stock == st.ID && c.openID == p["openid"] {
			held++
		}
	}
	if held >= st.MaxQuota {
		// WeChat answers a refusal for the openid inside a SUCCESS.
		return success(wxpay.Params{
			"coupon_stock_id": st.ID, "resp_count": "1", "success_count": "0", "failed_count": "1",
			"openid": p["openid"], "ret_code": "FAILED", "ret_msg": "用户已达领取上限",
		})
	}
	st.sent++
	c := &coupon{id: s.newID("", now, 10), stock: st.ID, openID: p["openid"], req: req, state: wxpay.CouponSent, sent: now}
	s.st.coupons[c.id] = c
	s.st.couponSends[no] = c
	return success(c.sendAnswer(p))
}

func (c *coupon) sendAnswer(p wxpay.Params) wxpay.Params {
	a := wxpay.Params{
		"coupon_stock_id": c.stock, "resp_count": "1", "success_count": "1", "failed_count": "0",
		"openid": c.openID, "ret_code": "SUCCESS", "coupon_id": c.id, "ret_msg": "",
	}
	setIf(a, "device_info", p["device_info"])
	return a
}

func (s *Server) queryCouponStock(p wxpay.Params) answer {
	st := s.stockFor(p)
	if st == nil {
		return refuse("NOT_FOUND", "批次不存在")
	}
	status := wxpay.CouponStockActive
	if s.cfg.now().After(st.End) {
		status = wxpay.CouponStockStopped
	}
	return success(wxpay.Params{
		"coupon_stock_id": st.ID, "coupon_name": st.Name, "coupon_value": fen(st.Value),
		"coupon_mininumn":     fen(st.Minimum), // [sic], as WeChat spells it
		"coupon_stock_status": strconv.Itoa(int(status)), "coupon_total": strconv.Itoa(st.Total),
		"max_quota": strconv.Itoa(st.MaxQuota), "is_send_num": strconv.Itoa(st.sent),
		"coupon_budget": fen(st.Value * int64(st.Total)),
		"begin_time":    compact(st.Begin), "end_time": compact(st.End), "create_time": compact(st.created),
	})
}

func (s *Server) queryCoupon(p wxpay.Params) answer {
	c := s.st.coupons[p["coupon_id"]]
	if c == nil || c.openID != p["openid"] || c.stock != p["stock_id"] || s.st.couponStocks[c.stock].mch != p["mch_id"] {
		return refuse("NOT_FOUND", "代金券不存在")
	}
	st := s.st.couponStocks[c.stock]
	state := c.state
	if state == wxpay.CouponSent && s.cfg.now().After(st.End) {
		state = wxpay.CouponExpired
	}
	used := int64(0)
	if state == wxpay.CouponUsed {
		used = st.Value
	}
	return success(wxpay.Params{
		"coupon_stock_id": c.stock, "coupon_id": c.id, "coupon_value": fen(st.Value), "coupon_mininum": fen(st.Minimum),
		"coupon_name": st.Name, "coupon_state": string(state), "coupon_desc": st.Name,
		"coupon_use_value": fen(used), "coupon_remain_value": fen(st.Value - used),
		"begin_time": compact(st.Begin), "end_time": compact(st.End), "send_time": compact(c.sent),
		"send_source": "NORMAL_SEND", "is_partial_use": "0",
	})
}

// compact formats t as yyyyMMddHHmmss in Beijing time.
func compact(t time.Time) string { return t.In(wxpay.Beijing()).Format("20060102150405") }
