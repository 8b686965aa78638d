package wxpay

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Coupons (代金券, v2) are issued from a stock (批次) created on the
// merchant platform. The v2 calls are still answered for merchants who
// use them; APIv3's /v3/marketing/favor is their successor.
//
// partner_trade_no makes a send idempotent: WeChat issues one coupon per
// number, and the same request sent again returns that coupon. An answer
// that leaves the outcome open, an unverifiable one among them, is a
// *CouponPendingError, never a "not sent".

// SendCouponRequest issues one coupon of a stock to one user (POST
// /mmpaymkttransfers/send_coupon). CouponStockID, PartnerTradeNo and
// OpenID are required.
type SendCouponRequest struct {
	CouponStockID string // the stock (批次) id
	// PartnerTradeNo is the merchant's number for this send, unique per
	// send; WeChat suggests mch_id + yyyymmdd + a serial. It is the
	// idempotency key: keep it for every resend.
	PartnerTradeNo string
	OpenID         string // the user, under the client's app
	OpUserID       string // the operator; WeChat defaults it to mch_id
	DeviceInfo     string
}

func (r *SendCouponRequest) build(b *request) {
	b.need("coupon_stock_id", r.CouponStockID, 32)
	b.set("openid_count", "1") // WeChat sends to one openid a call
	b.need("partner_trade_no", r.PartnerTradeNo, 32)
	b.outNo("partner_trade_no", r.PartnerTradeNo, 1, 32)
	b.need("openid", r.OpenID, 128)
	b.text("op_user_id", r.OpUserID, 32)
	b.text("device_info", r.DeviceInfo, 32)
}

// SendCouponResponse is an issued coupon.
type SendCouponResponse struct {
	CouponStockID string
	CouponID      string // the coupon, for CouponQuery
	OpenID        string
	RespCount     int // openids answered: 1
	SuccessCount  int
	FailedCount   int
	DeviceInfo    string
	Raw           Params
}

// CouponPendingError reports a coupon send whose outcome is unknown:
// WeChat answered SYSTEMERROR, or the answer was lost or failed
// verification (errors.Is(err, ErrInvalidSign) then holds). The coupon
// may have been issued. Send the same request again with the same
// PartnerTradeNo, which WeChat answers with the coupon it issued, if
// any; never send it under a new number. Err is the cause.
type CouponPendingError struct {
	PartnerTradeNo string
	Err            error
}

// Error says the outcome is unknown and what to do.
func (e *CouponPendingError) Error() string {
	return fmt.Sprintf("wxpay: coupon send %s: outcome unknown: query (resend with the same partner_trade_no), never resend with a new number: %v", e.PartnerTradeNo, e.Err)
}

// Unwrap returns the cause.
func (e *CouponPendingError) Unwrap() error { return e.Err }

var (
	endpointSendCoupon = endpoint{
		path: "/mmpaymkttransfers/send_coupon", cert: true, sub: subMchOnly, idempotent: true,
	}
	endpointCouponStockQuery = endpoint{path: "/mmpaymkttransfers/query_coupon_stock", sub: subMchOnly, idempotent: true}
	endpointCouponQuery      = endpoint{path: "/mmpaymkttransfers/querycouponsinfo", sub: subMchOnly, idempotent: true}
)

// SendCoupon issues a coupon (POST /mmpaymkttransfers/send_coupon, with
// the client certificate). A nil error means the coupon was issued. An
// error that proves it was not (a refusal with a final code, the
// per-openid ret_code FAILED) is returned as it is; any other is a
// *CouponPendingError. WithRetry resends the same request, which the same
// PartnerTradeNo makes safe.
func (c *Client) SendCoupon(ctx context.Context, r *SendCouponRequest) (*SendCouponResponse, error) {
	resp, err := send(ctx, c, endpointSendCoupon, r, newSendCouponResponse)
	if err != nil && !outcomeSettled(err) {
		return nil, &CouponPendingError{PartnerTradeNo: r.PartnerTradeNo, Err: err}
	}
	return resp, err
}

func newSendCouponResponse(p Params) (*SendCouponResponse, error) {
	if code := p["ret_code"]; code != "" && code != "SUCCESS" {
		return nil, &Error{ReturnCode: "SUCCESS", ResultCode: ResultFail, ErrCode: code, ErrCodeDes: p["ret_msg"], Raw: p}
	}
	// Issued: a count WeChat wrote oddly must not make it look otherwise.
	count := func(f string) int { n, _ := parseCount(p, f); return n }
	return &SendCouponResponse{
		CouponStockID: p["coupon_stock_id"],
		CouponID:      p["coupon_id"],
		OpenID:        p["openid"],
		RespCount:     count("resp_count"),
		SuccessCount:  count("success_count"),
		FailedCount:   count("failed_count"),
		DeviceInfo:    p["device_info"],
		Raw:           p,
	}, nil
}

// CouponStockQueryRequest names a coupon stock.
type CouponStockQueryRequest struct {
	CouponStockID string // required
	OpUserID      string
	DeviceInfo    string
}

func (r *CouponStockQueryRequest) build(b *request) {
	b.need("coupon_stock_id", r.CouponStockID, 32)
	b.text("op_user_id", r.OpUserID, 32)
	b.text("device_info", r.DeviceInfo, 32)
}

// CouponStockStatus is a stock's coupon_stock_status.
type CouponStockStatus int

// The states of a coupon stock.
const (
	CouponStockInactive  CouponStockStatus = 1  // 未激活
	CouponStockReviewing CouponStockStatus = 2  // 审批中
	CouponStockActive    CouponStockStatus = 4  // 已激活
	CouponStockVoided    CouponStockStatus = 8  // 已作废
	CouponStockStopped   CouponStockStatus = 16 // 中止发放
)

// CouponStockQueryResponse is a coupon stock.
type CouponStockQueryResponse struct {
	CouponStockID string
	CouponName    string
	CouponValue   int64 // fen, each coupon
	CouponMinimum int64 // fen, the least order it applies to
	Status        CouponStockStatus
	CouponTotal   int   // coupons in the stock
	MaxQuota      int   // coupons one user may get
	IsSendNum     int   // coupons issued so far
	CouponBudget  int64 // fen
	BeginTime     time.Time
	EndTime       time.Time
	CreateTime    time.Time
	Raw           Params
}

// CouponStockQuery returns a coupon stock (POST
// /mmpaymkttransfers/query_coupon_stock).
func (c *Client) CouponStockQuery(ctx context.Context, r *CouponStockQueryRequest) (*CouponStockQueryResponse, error) {
	return send(ctx, c, endpointCouponStockQuery, r, func(p Params) (*CouponStockQueryResponse, error) {
		rd := fieldReader{p: p}
		resp := &CouponStockQueryResponse{
			CouponStockID: p["coupon_stock_id"],
			CouponName:    p["coupon_name"],
			CouponValue:   rd.fen("coupon_value"),
			// [sic]: WeChat's field is coupon_mininumn.
			CouponMinimum: rd.fen(firstPresent(p, "coupon_mininumn", "coupon_minimum", "coupon_mininum")),
			Status:        CouponStockStatus(rd.int("coupon_stock_status")),
			CouponTotal:   rd.int("coupon_total"),
			MaxQuota:      rd.int("max_quota"),
			IsSendNum:     rd.int("is_send_num"),
			CouponBudget:  rd.fen("coupon_budget"),
			BeginTime:     rd.anyTime("begin_time"),
			EndTime:       rd.anyTime("end_time"),
			CreateTime:    rd.anyTime("create_time"),
			Raw:           p,
		}
		return resp, rd.err
	})
}

// CouponQueryRequest names one user's coupon. CouponID, OpenID and
// StockID are required.
type CouponQueryRequest struct {
	CouponID   string
	OpenID     string
	StockID    string // the coupon's stock
	OpUserID   string
	DeviceInfo string
}

func (r *CouponQueryRequest) build(b *request) {
	b.need("coupon_id", r.CouponID, 32)
	b.need("openid", r.OpenID, 128)
	b.need("stock_id", r.StockID, 32)
	b.text("op_user_id", r.OpUserID, 32)
	b.text("device_info", r.DeviceInfo, 32)
}

// CouponState is a coupon's coupon_state.
type CouponState string

// The states of a coupon.
const (
	CouponSent    CouponState = "SENDED" // [sic]: issued, usable
	CouponUsed    CouponState = "USED"
	CouponExpired CouponState = "EXPIRED"
)

// CouponQueryResponse is one coupon.
type CouponQueryResponse struct {
	CouponStockID     string
	CouponID          string
	CouponName        string
	CouponDesc        string
	CouponState       CouponState
	CouponValue       int64 // fen
	CouponMinimum     int64 // fen
	CouponUseValue    int64 // fen used
	CouponRemainValue int64 // fen left
	IsPartialUse      bool  // whether it may be used in part
	SendSource        string
	ConsumerMchID     string // the merchant it was used at
	BeginTime         time.Time
	EndTime           time.Time
	SendTime          time.Time
	Raw               Params
}

// CouponQuery returns one coupon (POST /mmpaymkttransfers/querycouponsinfo).
func (c *Client) CouponQuery(ctx context.Context, r *CouponQueryRequest) (*CouponQueryResponse, error) {
	return send(ctx, c, endpointCouponQuery, r, func(p Params) (*CouponQueryResponse, error) {
		rd := fieldReader{p: p}
		resp := &CouponQueryResponse{
			CouponStockID:     p["coupon_stock_id"],
			CouponID:          p["coupon_id"],
			CouponName:        p["coupon_name"],
			CouponDesc:        p["coupon_desc"],
			CouponState:       CouponState(p["coupon_state"]),
			CouponValue:       rd.fen("coupon_value"),
			CouponMinimum:     rd.fen(firstPresent(p, "coupon_mininum", "coupon_minimum", "coupon_mininumn")),
			CouponUseValue:    rd.fen("coupon_use_value"),
			CouponRemainValue: rd.fen("coupon_remain_value"),
			IsPartialUse:      p["is_partial_use"] == "1",
			SendSource:        p["send_source"],
			ConsumerMchID:     p["consumer_mch_id"],
			BeginTime:         rd.anyTime("begin_time"),
			EndTime:           rd.anyTime("end_time"),
			SendTime:          rd.anyTime("send_time"),
			Raw:               p,
		}
		return resp, rd.err
	})
}

// firstPresent returns the first of names that p has, or the first name:
// for fields WeChat spells more than one way.
func firstPresent(p Params, names ...string) string {
	for _, n := range names {
		if _, ok := p[n]; ok {
			return n
		}
	}
	return names[0]
}

// anyTime reads a Beijing time written as yyyyMMddHHmmss, as
// yyyy-MM-dd HH:mm:ss, or as Unix seconds: the coupon pages show all
// three. Absent or empty is the zero time.
func (r *fieldReader) anyTime(field string) time.Time {
	s := r.p[field]
	switch {
	case s == "":
		return time.Time{}
	case len(s) == len(timeLayoutCompact):
		return r.time(field, timeLayoutCompact)
	case len(s) == len(timeLayoutDash):
		return r.time(field, timeLayoutDash)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) <= 10 {
		return time.Unix(n, 0).In(beijing)
	}
	r.keep(&FieldError{Field: field, Value: s, Err: errNotTime})
	return time.Time{}
}

var errNotTime = fmt.Errorf("not a time in the form %s, %s or Unix seconds", timeLayoutCompact, timeLayoutDash)
