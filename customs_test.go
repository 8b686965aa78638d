package wxpay_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wxpay-go/wxpay"
)

// TestCustomsFlow declares a split order in two sub-orders, queries the
// records as slices, and pushes one again, checking the wire: MD5 with
// sign_type even from an HMAC-SHA256 client, no nonce_str, appid and
// mch_id, no certificate.
func TestCustomsFlow(t *testing.T) {
	srv, c := psServer(t, nil, wxpay.WithSignType(wxpay.SignTypeHMACSHA256))
	ctx := context.Background()
	paid, err := c.MicroPay(ctx, &wxpay.MicroPayRequest{Body: "奶粉", OutTradeNo: "cus001", TotalFee: 30000, SpbillCreateIP: "203.0.113.7", AuthCode: "134567890123456789"})
	if err != nil {
		t.Fatal(err)
	}
	txn := paid.TransactionID
	for i, sub := range []struct {
		no                string
		order, ship, prod int64
	}{{"cus001a", 20000, 1000, 19000}, {"cus001b", 10000, 0, 10000}} {
		decl, err := c.CustomsDeclare(ctx, &wxpay.CustomsDeclareRequest{
			OutTradeNo: "cus001", TransactionID: txn, Customs: wxpay.CustomsHangzhouZS, MchCustomsNo: "3301960000",
			SubOrderNo: sub.no, FeeType: "CNY", OrderFee: sub.order, TransportFee: sub.ship, ProductFee: sub.prod, Duty: 100,
		})
		if err != nil {
			t.Fatal(err)
		}
		if decl.State != wxpay.CustomsSubmitted || decl.SubOrderNo != sub.no || decl.SubOrderID == "" || decl.ModifyTime.IsZero() || decl.CertCheckResult != "UNCHECKED" {
			t.Errorf("declaration %d: %+v", i, decl)
		}
		r := lastRequest(t, srv, "/cgi-bin/mch/customs/customdeclareorder")
		checkWire(t, r, wire{SignType: "MD5", Has: []string{"appid", "mch_id", "out_trade_no", "transaction_id", "customs", "mch_customs_no",
			"sub_order_no", "fee_type", "order_fee", "transport_fee", "product_fee", "duty"}, Absent: []string{"nonce_str"}})
	}
	if err := srv.SetCustomsState(txn, "HANGZHOU_ZS", "cus001b", wxpay.CustomsFail, "订购人身份信息不符"); err != nil {
		t.Fatal(err)
	}

	q, err := c.CustomsDeclareQuery(ctx, &wxpay.CustomsDeclareQueryRequest{OutTradeNo: "cus001", Customs: wxpay.CustomsHangzhouZS})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/cgi-bin/mch/customs/customdeclarequery"), wire{SignType: "MD5", Has: []string{"appid", "mch_id", "out_trade_no", "customs"}, Absent: []string{"nonce_str", "transaction_id"}})
	want := []wxpay.CustomsRecord{
		{SubOrderNo: "cus001a", MchCustomsNo: "3301960000", Customs: wxpay.CustomsHangzhouZS, FeeType: "CNY", OrderFee: 20000, Duty: 100,
			TransportFee: 1000, ProductFee: 19000, State: wxpay.CustomsSubmitted, CertCheckResult: "UNCHECKED"},
		{SubOrderNo: "cus001b", MchCustomsNo: "3301960000", Customs: wxpay.CustomsHangzhouZS, FeeType: "CNY", OrderFee: 10000, Duty: 100,
			ProductFee: 10000, State: wxpay.CustomsFail, Explanation: "订购人身份信息不符", CertCheckResult: "UNCHECKED"},
	}
	if diff := cmp.Diff(want, q.Records, cmpopts.IgnoreFields(wxpay.CustomsRecord{}, "SubOrderID", "ModifyTime")); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if q.TransactionID != txn || len(q.Records) != 2 || q.Records[0].SubOrderID == "" || q.Records[0].ModifyTime.IsZero() {
		t.Errorf("query %+v", q)
	}

	again, err := c.CustomsRedeclare(ctx, &wxpay.CustomsRedeclareRequest{SubOrderNo: "cus001b", Customs: wxpay.CustomsHangzhouZS, MchCustomsNo: "3301960000"})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/cgi-bin/mch/newcustoms/customdeclareredeclare"), wire{SignType: "MD5", Has: []string{"appid", "mch_id", "sub_order_no", "customs", "mch_customs_no"}, Absent: []string{"nonce_str"}})
	if again.State != wxpay.CustomsSubmitted || again.SubOrderNo != "cus001b" || again.TransactionID != txn {
		t.Errorf("redeclare %+v", again)
	}

	// A second ADD of the same sub-order is refused; MODIFY replaces it.
	dup := &wxpay.CustomsDeclareRequest{OutTradeNo: "cus001", TransactionID: txn, Customs: wxpay.CustomsHangzhouZS, MchCustomsNo: "3301960000",
		SubOrderNo: "cus001a", FeeType: "CNY", OrderFee: 20000, TransportFee: 1000, ProductFee: 19000}
	var we *wxpay.Error
	if _, err := c.CustomsDeclare(ctx, dup); !errors.As(err, &we) || we.ErrCode != "PARAM_ERROR" {
		t.Errorf("second ADD: %v", err)
	}
	dup.ActionType = "MODIFY"
	if _, err := c.CustomsDeclare(ctx, dup); err != nil {
		t.Errorf("MODIFY: %v", err)
	}
}

// TestCustomsValidation checks requests refused before sending.
func TestCustomsValidation(t *testing.T) {
	srv, c := psServer(t, nil)
	ctx := context.Background()
	base := func(edit func(*wxpay.CustomsDeclareRequest)) *wxpay.CustomsDeclareRequest {
		r := &wxpay.CustomsDeclareRequest{OutTradeNo: "o", TransactionID: "t", Customs: wxpay.CustomsNingbo, MchCustomsNo: "m"}
		edit(r)
		return r
	}
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"no customs", func() error {
			_, err := c.CustomsDeclare(ctx, base(func(r *wxpay.CustomsDeclareRequest) { r.Customs = "" }))
			return err
		}, "customs"},
		{"split without fees", func() error {
			_, err := c.CustomsDeclare(ctx, base(func(r *wxpay.CustomsDeclareRequest) { r.SubOrderNo = "s" }))
			return err
		}, "fee_type"},
		{"fees without a sub-order", func() error {
			_, err := c.CustomsDeclare(ctx, base(func(r *wxpay.CustomsDeclareRequest) { r.OrderFee = 1 }))
			return err
		}, "sub_order_no"},
		{"name without id", func() error {
			_, err := c.CustomsDeclare(ctx, base(func(r *wxpay.CustomsDeclareRequest) { r.Name = "张三" }))
			return err
		}, "cert_type"},
		{"unknown action", func() error {
			_, err := c.CustomsDeclare(ctx, base(func(r *wxpay.CustomsDeclareRequest) { r.ActionType = "DELETE" }))
			return err
		}, "action_type"},
		{"query without an id", func() error {
			_, err := c.CustomsDeclareQuery(ctx, &wxpay.CustomsDeclareQueryRequest{Customs: wxpay.CustomsNingbo})
			return err
		}, "transaction_id or out_trade_no or sub_order_id or sub_order_no"},
		{"redeclare without the registration", func() error {
			_, err := c.CustomsRedeclare(ctx, &wxpay.CustomsRedeclareRequest{TransactionID: "t", Customs: wxpay.CustomsNingbo})
			return err
		}, "mch_customs_no"},
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
