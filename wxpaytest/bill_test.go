package wxpaytest_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func TestDownloadBill(t *testing.T) {
	clk, withClock := clockAt(time.Date(2024, 5, 1, 9, 30, 0, 0, wxpay.Beijing()))
	srv := newServer(t, withClock)
	hc := certClient(t, srv)

	paidOrder(t, srv, "B0000001", 600, wxpaytest.Payment{OpenID: "oUser1"})
	clk.Add(time.Hour)
	paidOrder(t, srv, "B0000002", 129, wxpaytest.Payment{OpenID: "oUser2", Coupons: []wxpay.Coupon{{Type: "NO_CASH", ID: "c1", Fee: 29}}})
	r := call(t, srv, hc, "/secapi/pay/refund", refundReq("B0000001", "BR1", 600, 142), wxpay.SignTypeMD5)
	wantResult(t, "refund", r, "")
	clk.Add(24 * time.Hour) // the next day's refund is in the next day's bill
	wantResult(t, "refund", call(t, srv, hc, "/secapi/pay/refund", refundReq("B0000001", "BR2", 600, 1), wxpay.SignTypeMD5), "")
	call(t, srv, hc, "/pay/unifiedorder", jsapiOrder("B0000003", "100"), wxpay.SignTypeMD5) // unpaid: in no bill

	q1 := call(t, srv, hc, "/pay/orderquery", wxpay.Params{"out_trade_no": "B0000001"}, wxpay.SignTypeMD5)
	q2 := call(t, srv, hc, "/pay/orderquery", wxpay.Params{"out_trade_no": "B0000002"}, wxpay.SignTypeMD5)
	body := jsapiOrder("", "")["body"]
	all := "\ufeff" + strings.Join([]string{
		"交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
		"`2024-05-01 09:30:00,`" + appID + ",`" + mchID + ",`0,`,`" + q1["transaction_id"] + ",`B0000001,`oUser1,`JSAPI,`SUCCESS,`CFT,`CNY,`6.00,`0.00,`0,`0,`0.00,`0.00,`,`,`" + body + ",`a&b=<c>,`0.04000,`0.60%,`6.00,`0.00,`",
		"`2024-05-01 10:30:00,`" + appID + ",`" + mchID + ",`0,`,`" + q2["transaction_id"] + ",`B0000002,`oUser2,`JSAPI,`SUCCESS,`CFT,`CNY,`1.00,`0.29,`0,`0,`0.00,`0.00,`,`,`" + body + ",`a&b=<c>,`0.01000,`0.60%,`1.29,`0.00,`",
		"`2024-05-01 10:30:00,`" + appID + ",`" + mchID + ",`0,`,`" + q1["transaction_id"] + ",`B0000001,`oUser1,`JSAPI,`REFUND,`CFT,`CNY,`0.00,`0.00,`" + r["refund_id"] + ",`BR1,`1.42,`0.00,`ORIGINAL,`SUCCESS,`" + body + ",`a&b=<c>,`-0.01000,`0.60%,`0.00,`1.42,`",
		"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
		"`3,`7.00,`1.42,`0.00,`0.04000,`7.29,`1.42",
		"",
	}, "\r\n")

	download := func(p wxpay.Params) (int, []byte) {
		return postRaw(t, srv.Client(), srv.URL+"/pay/downloadbill", signed(p, wxpay.SignTypeMD5).AppendXML(nil))
	}
	status, got := download(wxpay.Params{"bill_date": "20240501"})
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if diff := cmp.Diff(strings.Split(all, "\r\n"), strings.Split(string(got), "\r\n")); diff != "" {
		t.Fatalf("ALL bill (-want +got):\n%s", diff)
	}
	_, gz := download(wxpay.Params{"bill_date": "20240501", "bill_type": "ALL", "tar_type": "GZIP"})
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || string(plain) != all {
		t.Fatalf("gunzipped bill differs from the plain one (%v)", err)
	}

	columns := func(bill []byte) (header, rows []int) {
		lines := strings.Split(strings.TrimSuffix(string(bill), "\r\n"), "\r\n")
		header = append(header, len(strings.Split(lines[0], ",")))
		for _, l := range lines[1 : len(lines)-2] {
			rows = append(rows, len(strings.Split(l, ",`")))
		}
		return header, rows
	}
	for _, tt := range []struct {
		typ    string
		header []int
		rows   []int
	}{
		{"SUCCESS", []int{20}, []int{20, 20}},
		{"REFUND", []int{29}, []int{29}},
	} {
		_, bill := download(wxpay.Params{"bill_date": "20240501", "bill_type": tt.typ})
		header, rows := columns(bill)
		if diff := cmp.Diff([]any{tt.header, tt.rows}, []any{header, rows}); diff != "" {
			t.Errorf("%s bill columns (-want +got):\n%s", tt.typ, diff)
		}
	}

	for _, tt := range []struct {
		name string
		p    wxpay.Params
		want wxpay.Params
	}{
		{"no trades", wxpay.Params{"bill_date": "20240430"}, wxpay.Params{"return_code": "FAIL", "return_msg": "No Bill Exist", "error_code": "20002"}},
		{"no recharge refunds", wxpay.Params{"bill_date": "20240501", "bill_type": "RECHARGE_REFUND"}, wxpay.Params{"return_code": "FAIL", "return_msg": "No Bill Exist", "error_code": "20002"}},
		{"bad type", wxpay.Params{"bill_date": "20240501", "bill_type": "EVERYTHING"}, wxpay.Params{"return_code": "FAIL", "return_msg": "invalid bill_type", "error_code": "20001"}},
		{"bad date", wxpay.Params{"bill_date": "2024-05-01"}, wxpay.Params{"return_code": "FAIL", "return_msg": "invalid bill_date", "error_code": "20001"}},
	} {
		_, data := download(tt.p)
		got, err := wxpay.ParseXML(data)
		if err != nil {
			t.Fatalf("%s: %q: %v", tt.name, data, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	bad := signed(wxpay.Params{"bill_date": "20240501"}, wxpay.SignTypeMD5)
	bad["bill_date"] = "20240502"
	_, data := postRaw(t, srv.Client(), srv.URL+"/pay/downloadbill", bad.AppendXML(nil))
	if got, _ := wxpay.ParseXML(data); got["return_msg"] != "SIGN ERROR" || got["error_code"] != "20001" {
		t.Errorf("bill with a bad sign: %q", data)
	}
}
