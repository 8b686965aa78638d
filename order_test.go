package wxpay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
	"github.com/wxpay-go/wxpay"
)

// fixture answers with the testdata file name, a message as WeChat sends
// it minus its sign, after applying the old, new replacement pairs: the
// bytes stay as they are in the file, CDATA, indentation and all, and the
// sign is added in the sign type the request declared, as WeChat does.
func fixture(t *testing.T, name string, oldnew ...string) func(wxpay.Params) (*http.Response, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.NewReplacer(oldnew...).Replace(string(data)))
	return func(req wxpay.Params) (*http.Response, error) {
		body, err := signFixture(data, requestSignType(req))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return nil, err
		}
		return httpmock.NewBytesResponse(http.StatusOK, body), nil
	}
}

// signFixture adds the sign to an unsigned message, unless its
// return_code is FAIL: WeChat does not sign those.
func signFixture(data []byte, st wxpay.SignType) ([]byte, error) {
	p, err := wxpay.ParseXML(data)
	if err != nil {
		return nil, err
	}
	if p["return_code"] != "SUCCESS" {
		return data, nil
	}
	sign, err := wxpay.Sign(p, docAPIKey, st)
	if err != nil {
		return nil, err
	}
	end := bytes.LastIndex(data, []byte("</xml>"))
	if end < 0 {
		return nil, errors.New("fixture has no </xml>")
	}
	return slices.Concat(data[:end], []byte("<sign><![CDATA["+sign+"]]></sign>\n"), data[end:]), nil
}

// requestSignType is the sign type a request declares, MD5 when none.
func requestSignType(req wxpay.Params) wxpay.SignType {
	if st := req["sign_type"]; st != "" {
		return wxpay.SignType(st)
	}
	return wxpay.SignTypeMD5
}

// callCase is a row of the endpoint tables: what the fake WeChat
// answers, what the call must send and what it must return.
type callCase[Req, Resp any] struct {
	name   string
	opts   []wxpay.Option
	req    Req
	answer func(wxpay.Params) (*http.Response, error)
	golden string // the request that must be sent, a testdata file; "" is not checked
	want   *Resp  // nil: an error is expected, and check checks it
	check  func(*testing.T, error)

	offline bool // the call must fail without sending anything
	cert    bool // the client has a certificate (the mock transport stands for its mTLS client)
}

// runCalls runs each case through call against a fake WeChat at path.
func runCalls[Req, Resp any](t *testing.T, path string, call func(*wxpay.Client, context.Context, Req) (*Resp, error), tests []callCase[Req, Resp]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWeChat(t, wxpay.DefaultBaseURL+path, tt.answer)
			opts := tt.opts
			if tt.cert {
				opts = append(opts, wxpay.WithCertHTTPClient(&http.Client{Transport: f.mt}))
			}
			got, err := call(f.client(opts...), context.Background(), tt.req)
			sends := 1
			if tt.offline {
				sends = 0
			}
			if n := f.calls(); n != sends {
				t.Fatalf("%d requests sent, want %d (error %v)", n, sends, err)
			}
			if tt.golden != "" {
				compareGolden(t, filepath.Join("testdata", tt.golden), f.raw[0])
			}
			if tt.want == nil {
				if got != nil {
					t.Errorf("got response %+v with error %v", got, err)
				}
				tt.check(t, err)
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			// Raw verifies only if it holds every field WeChat signed.
			raw := reflect.ValueOf(got).Elem().FieldByName("Raw").Interface().(wxpay.Params)
			if err := wxpay.VerifySign(raw, docAPIKey); err != nil {
				t.Errorf("Raw = %v: %v; want the whole signed response", raw, err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreRaw); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func wantFieldError(field string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var fe *wxpay.FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("error = %v, want a *FieldError for %s", err, field)
		}
	}
}

func TestOrderQuery(t *testing.T) {
	runCalls(t, "/pay/orderquery", (*wxpay.Client).OrderQuery, []callCase[*wxpay.OrderQueryRequest, wxpay.OrderQueryResponse]{
		{
			name:   "paid, coupons out of order and one without type",
			req:    &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "order/orderquery_paid.xml"),
			golden: "order/orderquery_out_trade_no.golden.xml",
			want: &wxpay.OrderQueryResponse{
				DeviceInfo:         "WEB",
				OpenID:             "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
				IsSubscribe:        "Y",
				TradeType:          wxpay.TradeTypeJSAPI,
				TradeState:         wxpay.TradeStateSuccess,
				BankType:           "CMB_CREDIT",
				TotalFee:           888,
				SettlementTotalFee: 788,
				FeeType:            "CNY",
				CashFee:            688,
				CashFeeType:        "CNY",
				CouponFee:          200,
				Coupons: []wxpay.Coupon{
					{Type: "NO_CASH", ID: "10000001", Fee: 100},
					{ID: "10000002", Fee: 100},
				},
				TransactionID:  "4200000123201508061234567890",
				OutTradeNo:     "20150806125346",
				TimeEnd:        time.Date(2015, 8, 6, 12, 54, 1, 0, wxpay.Beijing()),
				TradeStateDesc: "支付成功",
			},
		},
		{
			name:   "both ids: transaction_id is sent; HMAC-SHA256",
			opts:   []wxpay.Option{wxpay.WithSignType(wxpay.SignTypeHMACSHA256)},
			req:    &wxpay.OrderQueryRequest{TransactionID: "4200000123201508061234567890", OutTradeNo: "20150806125346"},
			answer: fixture(t, "order/orderquery_notpay.xml"),
			golden: "order/orderquery_transaction_id.golden.xml",
			want: &wxpay.OrderQueryResponse{
				TradeState:     wxpay.TradeStateNotPay,
				TotalFee:       888,
				OutTradeNo:     "20150806125346",
				TradeStateDesc: "订单未支付",
			},
		},
		{
			name:   "unknown trade state is kept",
			req:    &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "order/orderquery_notpay.xml", "NOTPAY", "BRAND_NEW", "订单未支付", ""),
			want:   &wxpay.OrderQueryResponse{TradeState: "BRAND_NEW", TotalFee: 888, OutTradeNo: "20150806125346"},
		},
		{
			name:   "ORDERNOTEXIST",
			req:    &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "order/orderquery_notexist.xml"),
			check: func(t *testing.T, err error) {
				wantError(t, err, &wxpay.Error{ReturnCode: "SUCCESS", ReturnMsg: "OK", ResultCode: "FAIL", ErrCode: "ORDERNOTEXIST", ErrCodeDes: "order not exist"}, false)
			},
		},
		{
			name:   "fee that is not whole fen",
			req:    &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "order/orderquery_badfee.xml"),
			check:  wantFieldError("total_fee"),
		},
		{
			name:   "coupon fee that is not whole fen",
			req:    &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "order/orderquery_paid.xml", "<coupon_fee_1>100<", "<coupon_fee_1>-100<"),
			check:  wantFieldError("coupon_fee_1"),
		},
		{
			name:   "time_end in the wrong layout",
			req:    &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "order/orderquery_paid.xml", "20150806125401", "2015-08-06 12:54:01"),
			check:  wantFieldError("time_end"),
		},
	})
}

func TestCloseOrder(t *testing.T) {
	tests := []struct {
		name   string
		answer func(wxpay.Params) (*http.Response, error)
		want   *wxpay.Error // nil: success
		retry  bool
	}{
		{name: "closed", answer: fixture(t, "order/closeorder_ok.xml")},
		{
			name:   "ORDERPAID",
			answer: fixture(t, "order/closeorder_orderpaid.xml"),
			want:   &wxpay.Error{ReturnCode: "SUCCESS", ReturnMsg: "OK", ResultCode: "FAIL", ErrCode: "ORDERPAID", ErrCodeDes: "订单已支付"},
		},
		{
			name:   "SYSTEMERROR",
			answer: fixture(t, "order/closeorder_orderpaid.xml", "ORDERPAID", "SYSTEMERROR", "订单已支付", "系统错误"),
			want:   &wxpay.Error{ReturnCode: "SUCCESS", ReturnMsg: "OK", ResultCode: "FAIL", ErrCode: "SYSTEMERROR", ErrCodeDes: "系统错误"},
			retry:  true,
		},
		{
			name:   "return_code FAIL",
			answer: fixture(t, "order/closeorder_signerror.xml"),
			want:   &wxpay.Error{ReturnCode: "FAIL", ReturnMsg: "签名错误"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWeChat(t, wxpay.DefaultBaseURL+"/pay/closeorder", tt.answer)
			_, err := f.client().CloseOrder(context.Background(), &wxpay.CloseOrderRequest{OutTradeNo: "20150806125346"})
			compareGolden(t, filepath.Join("testdata", "order/closeorder.golden.xml"), f.raw[0])
			if tt.want == nil {
				if err != nil {
					t.Errorf("CloseOrder: %v", err)
				}
				return
			}
			wantError(t, err, tt.want, tt.retry)
		})
	}
}

// TestValidation checks that a request the client refuses is a
// *ValidationError naming the field and that nothing is sent.
func TestValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("1", n) }
	refund := func(edit func(r *wxpay.RefundRequest)) func(c *wxpay.Client) error {
		return func(c *wxpay.Client) error {
			r := *refundRequest
			edit(&r)
			_, err := c.Refund(context.Background(), &r)
			return err
		}
	}
	orderQuery := func(r *wxpay.OrderQueryRequest) func(c *wxpay.Client) error {
		return func(c *wxpay.Client) error { _, err := c.OrderQuery(context.Background(), r); return err }
	}
	refundQuery := func(r *wxpay.RefundQueryRequest) func(c *wxpay.Client) error {
		return func(c *wxpay.Client) error { _, err := c.RefundQuery(context.Background(), r); return err }
	}
	closeOrder := func(no string) func(c *wxpay.Client) error {
		return func(c *wxpay.Client) error {
			_, err := c.CloseOrder(context.Background(), &wxpay.CloseOrderRequest{OutTradeNo: no})
			return err
		}
	}
	tests := []struct {
		name  string
		call  func(c *wxpay.Client) error
		field string
	}{
		{"OrderQuery nil", orderQuery(nil), "request"},
		{"OrderQuery no id", orderQuery(&wxpay.OrderQueryRequest{}), "transaction_id or out_trade_no"},
		{"OrderQuery long out_trade_no", orderQuery(&wxpay.OrderQueryRequest{OutTradeNo: long(33)}), "out_trade_no"},
		{"OrderQuery long transaction_id", orderQuery(&wxpay.OrderQueryRequest{TransactionID: long(33), OutTradeNo: "1"}), "transaction_id"},

		{"CloseOrder no id", closeOrder(""), "out_trade_no"},
		{"CloseOrder long id", closeOrder(long(33)), "out_trade_no"},

		{"Refund nil", func(c *wxpay.Client) error { _, err := c.Refund(context.Background(), nil); return err }, "request"},
		{"Refund no order id", refund(func(r *wxpay.RefundRequest) { r.OutTradeNo = "" }), "transaction_id or out_trade_no"},
		{"Refund no out_refund_no", refund(func(r *wxpay.RefundRequest) { r.OutRefundNo = "" }), "out_refund_no"},
		{"Refund long out_refund_no", refund(func(r *wxpay.RefundRequest) { r.OutRefundNo = long(65) }), "out_refund_no"},
		{"Refund out_refund_no with a space", refund(func(r *wxpay.RefundRequest) { r.OutRefundNo = "R 1" }), "out_refund_no"},
		{"Refund zero total_fee", refund(func(r *wxpay.RefundRequest) { r.TotalFee = 0 }), "total_fee"},
		{"Refund negative total_fee", refund(func(r *wxpay.RefundRequest) { r.TotalFee = -888 }), "total_fee"},
		{"Refund zero refund_fee", refund(func(r *wxpay.RefundRequest) { r.RefundFee = 0 }), "refund_fee"},
		{"Refund negative refund_fee", refund(func(r *wxpay.RefundRequest) { r.RefundFee = -1 }), "refund_fee"},
		{"Refund more than the total", refund(func(r *wxpay.RefundRequest) { r.RefundFee = r.TotalFee + 1 }), "refund_fee"},
		{"Refund long refund_desc", refund(func(r *wxpay.RefundRequest) { r.RefundDesc = strings.Repeat("退", 81) }), "refund_desc"},
		{"Refund long refund_fee_type", refund(func(r *wxpay.RefundRequest) { r.RefundFeeType = "CNYCNYCNY" }), "refund_fee_type"},
		{"Refund long refund_account", refund(func(r *wxpay.RefundRequest) { r.RefundAccount = wxpay.RefundAccount(long(31)) }), "refund_account"},
		{"Refund notify_url with a query", refund(func(r *wxpay.RefundRequest) { r.NotifyURL = "https://example.com/n?id=1" }), "notify_url"},
		{"Refund relative notify_url", refund(func(r *wxpay.RefundRequest) { r.NotifyURL = "/notify" }), "notify_url"},

		{"RefundQuery nil", refundQuery(nil), "request"},
		{"RefundQuery no id", refundQuery(&wxpay.RefundQueryRequest{Offset: 10}), "refund_id or out_refund_no or transaction_id or out_trade_no"},
		{"RefundQuery negative offset", refundQuery(&wxpay.RefundQueryRequest{OutTradeNo: "1", Offset: -10}), "offset"},
		{"RefundQuery long out_refund_no", refundQuery(&wxpay.RefundQueryRequest{OutRefundNo: long(65)}), "out_refund_no"},
		{"RefundQuery long refund_id", refundQuery(&wxpay.RefundQueryRequest{RefundID: long(33), OutRefundNo: "1"}), "refund_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWeChat(t, wxpay.DefaultBaseURL+"/", func(wxpay.Params) (*http.Response, error) {
				return nil, errors.New("unexpected request")
			})
			f.mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				t.Errorf("request sent to %s", r.URL)
				return nil, errors.New("unexpected request")
			})
			pki := testPKI()
			err := tt.call(f.client(wxpay.WithCertPEM(pki.merchant.certPEM, pki.merchant.keyPEM), wxpay.WithCertHTTPClient(&http.Client{Transport: f.mt})))
			var ve *wxpay.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("error = %v, want a *ValidationError for %q", err, tt.field)
			}
			if n := f.calls(); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

func ExampleClient_OrderQuery() {
	client, stop := exampleClient(allReplies) // a client of a stand-in for WeChat, made as in ExampleClient_Refund
	defer stop()

	resp, err := client.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if resp.TradeState != wxpay.TradeStateSuccess {
		fmt.Println("not paid:", resp.TradeState, resp.TradeStateDesc)
		return
	}
	fmt.Println("paid", resp.TotalFee, "fen at", resp.TimeEnd.Format(time.DateTime))
	for _, c := range resp.Coupons {
		fmt.Printf("coupon %s: %d fen\n", c.ID, c.Fee)
	}
	// Output:
	// paid 888 fen at 2015-08-06 12:54:01
	// coupon 10000001: 100 fen
	// coupon 10000002: 100 fen
}

func ExampleClient_CloseOrder() {
	client, stop := exampleClient(map[string]string{"/pay/closeorder": "order/closeorder_orderpaid.xml"})
	defer stop()

	_, err := client.CloseOrder(context.Background(), &wxpay.CloseOrderRequest{OutTradeNo: "20150806125346"})
	var werr *wxpay.Error
	switch {
	case err == nil:
		fmt.Println("closed")
	case errors.As(err, &werr) && werr.ErrCode == "ORDERPAID":
		fmt.Println("paid in the meantime: deliver instead")
	case errors.As(err, &werr) && werr.ErrCode == "ORDERCLOSED":
		fmt.Println("already closed")
	default:
		fmt.Println("try again later:", err)
	}
	// Output: paid in the meantime: deliver instead
}
