package wxpaytest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// fundFlowServer is a server with two days of business: a payment on
// 30 April; on 1 May two payments (one partly by a non-recharge coupon),
// a refund and a reversed payment-code order; on 2 May a refund.
func fundFlowServer(t *testing.T) (srv *wxpaytest.Server, txn1, refund1 string) {
	t.Helper()
	clk, withClock := clockAt(time.Date(2024, 4, 30, 12, 0, 0, 0, wxpay.Beijing()))
	srv = newServer(t, withClock)
	hc := certClient(t, srv)

	paidOrder(t, srv, "FF000000", 1000, wxpaytest.Payment{})
	clk.Set(time.Date(2024, 5, 1, 9, 30, 0, 0, wxpay.Beijing()))
	paidOrder(t, srv, "FF000001", 600, wxpaytest.Payment{})
	clk.Set(time.Date(2024, 5, 1, 10, 30, 0, 0, wxpay.Beijing()))
	paidOrder(t, srv, "FF000002", 129, wxpaytest.Payment{Coupons: []wxpay.Coupon{{Type: "NO_CASH", ID: "c1", Fee: 29}}})
	req := refundReq("FF000001", "FFR00001", 600, 142)
	req["refund_desc"] = "缺货"
	r := call(t, srv, hc, "/secapi/pay/refund", req, wxpay.SignTypeMD5)
	wantResult(t, "refund", r, "")
	wantResult(t, "micropay", call(t, srv, hc, "/pay/micropay", microPayReq("FF000003", code1, 300), wxpay.SignTypeMD5), "")
	wantResult(t, "reverse", call(t, srv, hc, "/secapi/pay/reverse", wxpay.Params{"out_trade_no": "FF000003"}, wxpay.SignTypeMD5), "")
	clk.Set(time.Date(2024, 5, 2, 8, 0, 0, 0, wxpay.Beijing()))
	wantResult(t, "refund", call(t, srv, hc, "/secapi/pay/refund", refundReq("FF000001", "FFR00002", 600, 1), wxpay.SignTypeMD5), "")
	return srv, r["transaction_id"], r["refund_id"]
}

// flowIDs replaces the 资金流水单号 of a fund flow's rows with "*" after
// checking its form, and returns the lines.
func flowIDs(t *testing.T, bill []byte) []string {
	t.Helper()
	form := regexp.MustCompile("^`" + mchID + `2024050[12]\d{10}$`)
	lines := strings.Split(string(bill), "\r\n")
	seen := map[string]bool{}
	for i := 1; i < len(lines)-3; i++ {
		cols := strings.Split(lines[i], ",")
		if !form.MatchString(cols[2]) || seen[cols[2]] {
			t.Fatalf("资金流水单号 %q: malformed or repeated", cols[2])
		}
		seen[cols[2]] = true
		cols[2] = "*"
		lines[i] = strings.Join(cols, ",")
	}
	return lines
}

func TestDownloadFundFlow(t *testing.T) {
	srv, txn1, refund1 := fundFlowServer(t)
	hc := certClient(t, srv)
	download := func(p wxpay.Params, st wxpay.SignType, hc2 ...*http.Client) []byte {
		c := hc
		if len(hc2) > 0 {
			c = hc2[0]
		}
		_, body := postRaw(t, c, srv.URL+"/pay/downloadfundflow", signed(p, st).AppendXML(nil))
		return body
	}
	q2 := call(t, srv, hc, "/pay/orderquery", wxpay.Params{"out_trade_no": "FF000002"}, wxpay.SignTypeMD5)
	const header = "\ufeff记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号"
	const sumHeader = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"
	tests := []struct {
		account string
		want    []string
	}{
		{"Basic", []string{
			header,
			"`2024-05-01 09:30:00,`" + txn1 + ",*,`交易,`交易,`收入,`6.00,`16.00,`system,`,`",
			"`2024-05-01 10:30:00,`" + q2["transaction_id"] + ",*,`交易,`交易,`收入,`1.00,`17.00,`system,`,`",
			"`2024-05-01 10:30:00,`" + refund1 + ",*,`退款,`退款,`支出,`1.42,`15.58,`" + mchID + "API,`缺货,`REF" + txn1,
			sumHeader, "`3.0,`2.0,`7.00,`1.0,`1.42", "",
		}},
		{"Fees", []string{
			header,
			"`2024-05-01 09:30:00,`" + txn1 + ",*,`扣除交易手续费,`扣除交易手续费,`支出,`0.04,`-0.10,`system,`,`",
			"`2024-05-01 10:30:00,`" + q2["transaction_id"] + ",*,`扣除交易手续费,`扣除交易手续费,`支出,`0.01,`-0.11,`system,`,`",
			"`2024-05-01 10:30:00,`" + refund1 + ",*,`退还交易手续费,`退还交易手续费,`收入,`0.01,`-0.10,`" + mchID + "API,`缺货,`REF" + txn1,
			sumHeader, "`3.0,`1.0,`0.01,`2.0,`0.05", "",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.account, func(t *testing.T) {
			plain := download(wxpay.Params{"bill_date": "20240501", "account_type": tt.account}, wxpay.SignTypeHMACSHA256)
			if diff := cmp.Diff(tt.want, flowIDs(t, plain)); diff != "" {
				t.Fatalf("fund flow (-want +got):\n%s", diff)
			}
			gz := download(wxpay.Params{"bill_date": "20240501", "account_type": tt.account, "tar_type": "GZIP"}, wxpay.SignTypeHMACSHA256)
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("gunzipped fund flow differs from the plain one (%v)", err)
			}
		})
	}

	noBill := wxpay.Params{"return_code": "FAIL", "return_msg": "No Bill Exist", "error_code": "20002"}
	for _, tt := range []struct {
		name string
		p    wxpay.Params
		st   wxpay.SignType
		hc   *http.Client
		want wxpay.Params
	}{
		{"operation account", wxpay.Params{"bill_date": "20240501", "account_type": "Operation"}, wxpay.SignTypeHMACSHA256, nil, noBill},
		{"day without business", wxpay.Params{"bill_date": "20240429", "account_type": "Basic"}, wxpay.SignTypeHMACSHA256, nil, noBill},
		{"MD5", wxpay.Params{"bill_date": "20240501", "account_type": "Basic"}, wxpay.SignTypeMD5, nil,
			wxpay.Params{"return_code": "FAIL", "return_msg": "invalid sign_type", "error_code": "20001"}},
		{"lower-case account", wxpay.Params{"bill_date": "20240501", "account_type": "basic"}, wxpay.SignTypeHMACSHA256, nil,
			wxpay.Params{"return_code": "FAIL", "return_msg": "invalid account_type", "error_code": "20001"}},
		{"no account", wxpay.Params{"bill_date": "20240501"}, wxpay.SignTypeHMACSHA256, nil,
			wxpay.Params{"return_code": "FAIL", "return_msg": "missing parameter", "error_code": "20001"}},
		{"bad tar_type", wxpay.Params{"bill_date": "20240501", "account_type": "Basic", "tar_type": "ZIP"}, wxpay.SignTypeHMACSHA256, nil,
			wxpay.Params{"return_code": "FAIL", "return_msg": "invalid tar_type", "error_code": "20001"}},
	} {
		c := hc
		if tt.hc != nil {
			c = tt.hc
		}
		got, err := wxpay.ParseXML(download(tt.p, tt.st, c))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	got, _ := wxpay.ParseXML(download(wxpay.Params{"bill_date": "20240501", "account_type": "Basic"}, wxpay.SignTypeHMACSHA256, srv.Client()))
	if got["return_code"] != "FAIL" || !strings.Contains(got["return_msg"], "client certificate") {
		t.Errorf("fund flow without a certificate: %v", got)
	}
}

// TestSDKDownloadFundFlow: the SDK reads the server's fund flow, and
// every amount and balance is right to the fen.
func TestSDKDownloadFundFlow(t *testing.T) {
	ctx := context.Background()
	srv, txn1, refund1 := fundFlowServer(t)
	c := newClient(t, srv, withCert(srv)) // MD5 client; fund flow goes HMAC-SHA256 anyway
	f, err := c.DownloadFundFlow(ctx, &wxpay.DownloadFundFlowRequest{BillDate: time.Date(2024, 5, 1, 0, 0, 0, 0, wxpay.Beijing()), AccountType: wxpay.AccountTypeBasic})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Time                     time.Time
		BizID, Biz, Kind         string
		Amount, Balance          int64
		Applicant, Memo, Voucher string
	}
	var got []row
	for _, r := range f.Rows {
		got = append(got, row{r.Time, r.BizTransactionID, r.BizName, r.FinancialType, r.Amount, r.Balance, r.Applicant, r.Memo, r.BizVoucherID})
	}
	at := func(h, m int) time.Time { return time.Date(2024, 5, 1, h, m, 0, 0, wxpay.Beijing()) }
	want := []row{
		{at(9, 30), txn1, "交易", "收入", 600, 1600, "system", "", ""},
		{at(10, 30), got[1].BizID, "交易", "收入", 100, 1700, "system", "", ""},
		{at(10, 30), refund1, "退款", "支出", 142, 1558, mchID + "API", "缺货", "REF" + txn1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	s := f.Summary
	if diff := cmp.Diff([]int64{3, 2, 700, 1, 142}, []int64{int64(s.Count), int64(s.IncomeCount), s.IncomeAmount, int64(s.ExpenseCount), s.ExpenseAmount}); diff != "" {
		t.Fatalf("summary (-want +got):\n%s", diff)
	}
	for _, r := range srv.Requests() {
		if r.Path == "/pay/downloadfundflow" && (r.Params["sign_type"] != "HMAC-SHA256" || !r.ClientCert) {
			t.Errorf("fund flow request %v, certificate %v", r.Params, r.ClientCert)
		}
	}

	_, err = c.DownloadFundFlow(ctx, &wxpay.DownloadFundFlowRequest{BillDate: time.Date(2024, 5, 1, 0, 0, 0, 0, wxpay.Beijing()), AccountType: wxpay.AccountTypeOperation})
	if !errors.Is(err, wxpay.ErrNoBill) {
		t.Fatalf("operation account: %v, want ErrNoBill", err)
	}
}
