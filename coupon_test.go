package wxpay_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func couponServer(t *testing.T, opts ...wxpay.Option) (*wxpaytest.Server, *wxpay.Client) {
	t.Helper()
	srv, c := psServer(t, nil, opts...)
	if err := srv.AddCouponStock(wxpaytest.CouponStock{ID: "1757", Name: "满10减1", Value: 100, Minimum: 1000, Total: 2}); err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// TestCouponFlow sends a coupon twice under one number, queries it and
// its stock, and checks the wire: the client's sign type with sign_type,
// appid + mch_id, openid_count 1, the certificate for the send only.
func TestCouponFlow(t *testing.T) {
	srv, c := couponServer(t, wxpay.WithSignType(wxpay.SignTypeHMACSHA256))
	ctx := context.Background()
	req := &wxpay.SendCouponRequest{CouponStockID: "1757", PartnerTradeNo: "190000010920250101", OpenID: "openid1", OpUserID: psMchID}
	sent, err := c.SendCoupon(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "/mmpaymkttransfers/send_coupon")
	checkWire(t, r, wire{Cert: true, SignType: "HMAC-SHA256", Has: []string{"appid", "mch_id", "nonce_str", "coupon_stock_id", "partner_trade_no", "openid", "op_user_id"}})
	if r.Params["openid_count"] != "1" {
		t.Errorf("openid_count %q", r.Params["openid_count"])
	}
	again, err := c.SendCoupon(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if sent.CouponID == "" || again.CouponID != sent.CouponID || sent.SuccessCount != 1 || sent.OpenID != "openid1" {
		t.Errorf("sends %+v, %+v", sent, again)
	}

	got, err := c.CouponQuery(ctx, &wxpay.CouponQueryRequest{CouponID: sent.CouponID, OpenID: "openid1", StockID: "1757"})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/mmpaymkttransfers/querycouponsinfo"), wire{SignType: "HMAC-SHA256", Has: []string{"appid", "mch_id", "coupon_id", "openid", "stock_id"}})
	got.Raw = nil
	want := &wxpay.CouponQueryResponse{CouponStockID: "1757", CouponID: sent.CouponID, CouponName: "满10减1", CouponDesc: "满10减1",
		CouponState: wxpay.CouponSent, CouponValue: 100, CouponMinimum: 1000, CouponRemainValue: 100, SendSource: "NORMAL_SEND",
		BeginTime: got.BeginTime, EndTime: got.EndTime, SendTime: got.SendTime}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("coupon (-want +got):\n%s", diff)
	}
	if got.SendTime.IsZero() || got.EndTime.Sub(got.BeginTime) != 30*24*time.Hour {
		t.Errorf("times %v %v %v", got.BeginTime, got.EndTime, got.SendTime)
	}

	if err := srv.UseCoupon(sent.CouponID); err != nil {
		t.Fatal(err)
	}
	used, _ := c.CouponQuery(ctx, &wxpay.CouponQueryRequest{CouponID: sent.CouponID, OpenID: "openid1", StockID: "1757"})
	if used.CouponState != wxpay.CouponUsed || used.CouponUseValue != 100 {
		t.Errorf("used coupon %+v", used)
	}

	stock, err := c.CouponStockQuery(ctx, &wxpay.CouponStockQueryRequest{CouponStockID: "1757"})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/mmpaymkttransfers/query_coupon_stock"), wire{SignType: "HMAC-SHA256", Has: []string{"appid", "mch_id", "coupon_stock_id"}})
	if stock.Status != wxpay.CouponStockActive || stock.CouponMinimum != 1000 || stock.IsSendNum != 1 || stock.CouponTotal != 2 || stock.MaxQuota != 1 || stock.CouponBudget != 200 {
		t.Errorf("stock %+v", stock)
	}
}

// TestCouponOutcomes checks that a send whose answer cannot be trusted
// is "outcome unknown: query", never "not sent", and that WeChat's
// refusals are final.
func TestCouponOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		fault   wxpaytest.Fault
		pending bool
		invalid bool // errors.Is ErrInvalidSign
	}{
		{"bad sign", wxpaytest.Fault{BadSign: true}, true, true},
		{"SYSTEMERROR", wxpaytest.Fault{ErrCode: "SYSTEMERROR"}, true, false},
		{"hang-up", wxpaytest.Fault{Hangup: true}, true, false},
		{"broken XML", wxpaytest.Fault{Malformed: true}, true, false},
		{"final code", wxpaytest.Fault{ErrCode: "STOCK_IS_NOT_VALID"}, false, false},
		{"request refused", wxpaytest.Fault{ReturnMsg: "参数错误"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := couponServer(t)
			srv.Fail("/mmpaymkttransfers/send_coupon", tt.fault)
			_, err := c.SendCoupon(context.Background(), &wxpay.SendCouponRequest{CouponStockID: "1757", PartnerTradeNo: "co1", OpenID: "o"})
			var pending *wxpay.CouponPendingError
			if got := errors.As(err, &pending); got != tt.pending {
				t.Fatalf("pending = %v, want %v: %v", got, tt.pending, err)
			}
			if got := errors.Is(err, wxpay.ErrInvalidSign); got != tt.invalid {
				t.Errorf("errors.Is(err, ErrInvalidSign) = %v: %v", got, err)
			}
			if tt.pending && !strings.Contains(err.Error(), "outcome unknown: query") {
				t.Errorf("message %q", err)
			}
		})
	}
}

// TestCouponRefusedForOpenID checks that a per-openid FAILED inside a
// SUCCESS answer is a final *Error.
func TestCouponRefusedForOpenID(t *testing.T) {
	_, c := couponServer(t)
	ctx := context.Background()
	if _, err := c.SendCoupon(ctx, &wxpay.SendCouponRequest{CouponStockID: "1757", PartnerTradeNo: "cr1", OpenID: "o"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.SendCoupon(ctx, &wxpay.SendCouponRequest{CouponStockID: "1757", PartnerTradeNo: "cr2", OpenID: "o"})
	var we *wxpay.Error
	var pending *wxpay.CouponPendingError
	if !errors.As(err, &we) || we.ErrCode != wxpay.ErrCodeCouponSendFailed || we.ErrCodeDes == "" || errors.As(err, &pending) {
		t.Errorf("over the quota: %v", err)
	}
}

// TestCouponValidation checks requests refused before sending.
func TestCouponValidation(t *testing.T) {
	srv, c := couponServer(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"no stock", func() error {
			_, err := c.SendCoupon(ctx, &wxpay.SendCouponRequest{PartnerTradeNo: "v1", OpenID: "o"})
			return err
		}, "coupon_stock_id"},
		{"no number", func() error {
			_, err := c.SendCoupon(ctx, &wxpay.SendCouponRequest{CouponStockID: "1", OpenID: "o"})
			return err
		}, "partner_trade_no"},
		{"nil send", func() error { _, err := c.SendCoupon(ctx, nil); return err }, "request"},
		{"query without stock", func() error {
			_, err := c.CouponQuery(ctx, &wxpay.CouponQueryRequest{CouponID: "1", OpenID: "o"})
			return err
		}, "stock_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve *wxpay.ValidationError
			if err := tt.call(); !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("err %v, want a ValidationError on %s", err, tt.field)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestCouponDefaultStock checks that wxpaytest serves a stock no test
// added, as a default one of the merchant that first names it.
func TestCouponDefaultStock(t *testing.T) {
	_, c := psServer(t, nil)
	ctx := context.Background()
	sent, err := c.SendCoupon(ctx, &wxpay.SendCouponRequest{CouponStockID: "9001", PartnerTradeNo: "cd1", OpenID: "o"})
	if err != nil {
		t.Fatal(err)
	}
	stock, err := c.CouponStockQuery(ctx, &wxpay.CouponStockQueryRequest{CouponStockID: "9001"})
	if err != nil {
		t.Fatal(err)
	}
	if stock.CouponValue != wxpaytest.DefaultCouponValue || stock.CouponTotal != wxpaytest.DefaultCouponTotal || stock.IsSendNum != 1 {
		t.Errorf("default stock %+v", stock)
	}
	got, err := c.CouponQuery(ctx, &wxpay.CouponQueryRequest{CouponID: sent.CouponID, OpenID: "o", StockID: "9001"})
	if err != nil || got.CouponValue != wxpaytest.DefaultCouponValue {
		t.Errorf("coupon %+v, %v", got, err)
	}
}
