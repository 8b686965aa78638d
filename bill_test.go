package wxpay

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jarcoal/httpmock"
)

const billTestKey = "192006250b4c09247ec02edce69f6a2d"

var ignoreBillCols = cmpopts.IgnoreUnexported(BillRow{}, FundFlowRow{})

func billFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/bill/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bj(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, Beijing())
}

func TestParseBillAll(t *testing.T) {
	b, err := ParseBill(bytes.NewReader(billFixture(t, "all.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Header) != 27 || b.Header[0] != "交易时间" || b.Header[26] != "费率备注" {
		t.Fatalf("header: %q", b.Header)
	}
	want := []BillRow{{
		TradeTime: bj(2019, 7, 25, 8, 35, 41), AppID: "wx2421b1c4370ec43b", MchID: "1900000109",
		TransactionID: "4200000392201907250123456789", OutTradeNo: "order001", OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		TradeType: TradeTypeJSAPI, TradeState: TradeStateSuccess, BankType: "CFT", FeeType: "CNY",
		SettlementTotalFee: 600, Body: "goods, large", Attach: "attach", Fee: 4000, Rate: "0.60%", TotalFee: 600,
	}, {
		TradeTime: bj(2019, 7, 25, 9, 12, 3), AppID: "wx2421b1c4370ec43b", MchID: "1900000109", DeviceInfo: "POS-1",
		TransactionID: "4200000392201907250123450000", OutTradeNo: "order002", OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		TradeType: TradeTypeMicroPay, TradeState: TradeStateSuccess, BankType: "CMB_CREDIT", FeeType: "CNY",
		SettlementTotalFee: 1, CouponFee: 100, Body: "咖啡", Rate: "0.60%", TotalFee: 101,
	}, {
		TradeTime: bj(2019, 7, 25, 10, 0, 0), AppID: "wx2421b1c4370ec43b", MchID: "1900000109",
		TransactionID: "4200000392201907250123456789", OutTradeNo: "order001", OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		TradeType: TradeTypeJSAPI, TradeState: TradeStateRefund, BankType: "CFT", FeeType: "CNY",
		RefundID: "50000301452019072500123456789", OutRefundNo: "R001", RefundFee: 142, RefundType: "ORIGINAL",
		RefundStatus: RefundStatusSuccess, Body: "goods, large", Attach: "attach", Fee: -852, Rate: "0.60%", RequestRefundFee: 142,
	}}
	if diff := cmp.Diff(want, b.Rows, ignoreBillCols, cmpopts.IgnoreFields(BillRow{}, "Raw")); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	wantSum := BillSummary{TradeCount: 3, SettlementTotalFee: 601, RefundFee: 142, Fee: 3148, TotalFee: 701, RequestRefundFee: 142}
	if diff := cmp.Diff(wantSum, b.Summary, cmpopts.IgnoreFields(BillSummary{}, "Header", "Raw")); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	// Raw keeps what the bill wrote, "0" ids included; Field finds it by name.
	r := b.Rows[0]
	if len(r.Raw) != 27 || r.Raw[3] != "0" || r.Raw[26] != "" {
		t.Errorf("Raw = %q", r.Raw)
	}
	for _, tc := range []struct{ name, want string }{{"特约商户号", "0"}, {"手续费", "0.04000"}, {"费率备注", ""}, {"商品名称", "goods, large"}} {
		if got, ok := r.Field(tc.name); !ok || got != tc.want {
			t.Errorf("Field(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
	if _, ok := r.Field("no such column"); ok {
		t.Error("Field of an unknown column reports ok")
	}
	// The rows add up to the summary, fee included, to the thousandth of a fen.
	var fee MilliFen
	var settle int64
	for _, r := range b.Rows {
		fee += r.Fee
		settle += r.SettlementTotalFee
	}
	if fee != b.Summary.Fee || settle != b.Summary.SettlementTotalFee {
		t.Errorf("rows add up to fee %v settlement %d; summary %v %d", fee, settle, b.Summary.Fee, b.Summary.SettlementTotalFee)
	}
}

func TestParseBillFormats(t *testing.T) {
	tests := []struct {
		file    string
		columns int
		row     BillRow // the fields of the first row checked
		check   func(BillRow) BillRow
		summary BillSummary
	}{{
		file: "success.csv", columns: 20,
		row: BillRow{TradeTime: bj(2024, 2, 29, 23, 59, 59), OutTradeNo: "S-1", SettlementTotalFee: 12345678999, TotalFee: 12345678999, Fee: 74074073994},
		check: func(r BillRow) BillRow {
			return BillRow{TradeTime: r.TradeTime, OutTradeNo: r.OutTradeNo, SettlementTotalFee: r.SettlementTotalFee, TotalFee: r.TotalFee, Fee: r.Fee}
		},
		summary: BillSummary{TradeCount: 1, SettlementTotalFee: 12345678999, Fee: 74074073994, TotalFee: 12345678999},
	}, {
		file: "refund.csv", columns: 29,
		row: BillRow{SubMchID: "1900000200", RefundApplyTime: bj(2019, 7, 26, 10, 0, 0), RefundSuccessTime: bj(2019, 7, 26, 10, 0, 5),
			RefundID: "50000301452019072600000000001", OutRefundNo: "R002", RefundFee: 250, RequestRefundFee: 250, Fee: -1500, RefundStatus: RefundStatusSuccess},
		check: func(r BillRow) BillRow {
			return BillRow{SubMchID: r.SubMchID, RefundApplyTime: r.RefundApplyTime, RefundSuccessTime: r.RefundSuccessTime, RefundID: r.RefundID,
				OutRefundNo: r.OutRefundNo, RefundFee: r.RefundFee, RequestRefundFee: r.RequestRefundFee, Fee: r.Fee, RefundStatus: r.RefundStatus}
		},
		summary: BillSummary{TradeCount: 1, RefundFee: 250, Fee: -1500, RequestRefundFee: 250},
	}, {
		file: "legacy.csv", columns: 24,
		row: BillRow{TradeTime: bj(2014, 11, 10, 16, 33, 45), DeviceInfo: "1000", TradeType: TradeTypeMicroPay, TotalFee: 1, Body: "被扫支付测试", Rate: "0.60%"},
		check: func(r BillRow) BillRow {
			return BillRow{TradeTime: r.TradeTime, DeviceInfo: r.DeviceInfo, TradeType: r.TradeType, TotalFee: r.TotalFee, Body: r.Body, Rate: r.Rate}
		},
		summary: BillSummary{TradeCount: 2, TotalFee: 2},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := ParseBill(bytes.NewReader(billFixture(t, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Header) != tt.columns || len(b.Rows) == 0 || len(b.Rows[0].Raw) != tt.columns {
				t.Fatalf("%d columns, %d rows; want %d columns", len(b.Header), len(b.Rows), tt.columns)
			}
			if diff := cmp.Diff(tt.row, tt.check(b.Rows[0]), ignoreBillCols); diff != "" {
				t.Errorf("first row (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.summary, b.Summary, cmpopts.IgnoreFields(BillSummary{}, "Header", "Raw")); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFundFlow(t *testing.T) {
	f, err := ParseFundFlow(bytes.NewReader(billFixture(t, "fundflow.csv")))
	if err != nil {
		t.Fatal(err)
	}
	want := FundFlowRow{
		Time: bj(2021, 2, 1, 13, 54, 1), BizTransactionID: "50300806962021020105978994968", FundFlowID: "4200000920202101197964319284",
		BizName: "退款", BizType: "退款", FinancialType: "支出", Amount: 1, Balance: 22, Applicant: "1601959334API",
		Memo: "退款总金额0.01元;含手续费0.00元", BizVoucherID: "S20210201135356381941",
	}
	if len(f.Rows) != 3 {
		t.Fatalf("%d rows", len(f.Rows))
	}
	if diff := cmp.Diff(want, f.Rows[0], ignoreBillCols, cmpopts.IgnoreFields(FundFlowRow{}, "Raw")); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}
	if v, ok := f.Rows[2].Field("收支金额（元）"); !ok || v != "100.00" || f.Rows[2].Amount != 10000 {
		t.Errorf("row 3 amount: %q %v %d", v, ok, f.Rows[2].Amount)
	}
	wantSum := FundFlowSummary{Count: 3, IncomeCount: 1, IncomeAmount: 10000, ExpenseCount: 2, ExpenseAmount: 2}
	if diff := cmp.Diff(wantSum, f.Summary, cmpopts.IgnoreFields(FundFlowSummary{}, "Header", "Raw")); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in    string
		scale int
		want  int64
		err   error
	}{
		{"6.00", 2, 600, nil},
		{"0.01", 2, 1, nil},
		{"0.29", 2, 29, nil}, // 0.29*100 is 28.999999999999996 in float64
		{"-1.42", 2, -142, nil},
		{"+1.42", 2, 142, nil},
		{"6", 2, 600, nil},
		{"6.0", 2, 600, nil},
		{".5", 2, 50, nil},
		{"7.", 2, 700, nil},
		{"1.230", 2, 123, nil},
		{" 1.23 ", 2, 123, nil},
		{"", 2, 0, nil},
		{"0.04000", 5, 4000, nil},
		{"-0.00852", 5, -852, nil},
		{"0", 5, 0, nil},
		{"92233720368547758.07", 2, 1<<63 - 1, nil},
		{"-92233720368547758.07", 2, -(1<<63 - 1), nil},
		{"92233720368547758.08", 2, 0, errTooLong},
		{"1.234", 2, 0, errTooPrecise},
		{"0.000001", 5, 0, errTooPrecise},
		{"1e2", 2, 0, errNotYuan},
		{"1,000.00", 2, 0, errNotYuan},
		{"-", 2, 0, errNotYuan},
		{".", 2, 0, errNotYuan},
		{"--1", 2, 0, errNotYuan},
		{"¥1.00", 2, 0, errNotYuan},
		{"1.0.0", 2, 0, errNotYuan},
	}
	for _, tt := range tests {
		got, err := parseDecimal(tt.in, tt.scale)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("parseDecimal(%q, %d) = %d, %v; want %d, %v", tt.in, tt.scale, got, err, tt.want, tt.err)
		}
	}
}

func TestMilliFen(t *testing.T) {
	tests := []struct {
		m    MilliFen
		fen  int64
		yuan string
	}{
		{4000, 4, "0.04000"},
		{3148, 3, "0.03148"},
		{3500, 4, "0.03500"},
		{3499, 3, "0.03499"},
		{-852, -1, "-0.00852"},
		{-500, -1, "-0.00500"},
		{-499, 0, "-0.00499"},
		{0, 0, "0.00000"},
		{74074073994, 74074074, "740740.73994"},
	}
	for _, tt := range tests {
		if got := tt.m.Fen(); got != tt.fen {
			t.Errorf("MilliFen(%d).Fen() = %d, want %d", tt.m, got, tt.fen)
		}
		if got := tt.m.String(); got != tt.yuan {
			t.Errorf("MilliFen(%d).String() = %q, want %q", tt.m, got, tt.yuan)
		}
	}
	for fen, want := range map[int64]string{0: "0.00", 1: "0.01", 600: "6.00", -142: "-1.42", 12345678999: "123456789.99"} {
		if got := FormatYuan(fen); got != want {
			t.Errorf("FormatYuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestParseBillMalformed(t *testing.T) {
	all := string(billFixture(t, "all.csv"))
	lines := strings.Split(strings.TrimSuffix(all, "\r\n"), "\r\n")
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	tests := []struct {
		name string
		in   string
		line int
		want string // in the error text
	}{
		{"empty", "", 0, "empty file"},
		{"only a BOM and blank lines", "\uFEFF\r\n\r\n", 2, "empty file"},
		{"XML", string(billFixture(t, "no_bill.xml")), 1, "XML message"},
		{"fund flow", string(billFixture(t, "fundflow.csv")), 1, "not a trade bill"},
		{"cut before the summary", join(lines[0], lines[1], lines[2]), 3, "ends before the summary"},
		{"summary header only", join(lines[0], lines[1], lines[4]), 3, "without a summary row"},
		{"short row", join(lines[0], "`2019-07-25 08:35:41,`wx", lines[4], lines[5]), 2, "2 values for 27 columns"},
		{"bad amount", join(lines[0], strings.Replace(lines[1], "`6.00", "`6,00", 1), lines[4], lines[5]), 2, "应结订单金额"},
		{"float amount", join(lines[0], strings.Replace(lines[1], "`0.04000", "`4e-2", 1), lines[4], lines[5]), 2, "手续费"},
		{"bad time", join(lines[0], strings.Replace(lines[1], "2019-07-25 08:35:41", "2019/07/25 08:35:41", 1), lines[4], lines[5]), 2, "交易时间"},
		{"bad summary", join(lines[0], lines[1], lines[4], "`x,`6.01,`1.42,`0.00,`0.03148,`7.01,`1.42"), 4, "总交易单数"},
		{"line after summary", join(lines[0], lines[1], lines[4], lines[5], "`junk"), 5, "after the summary"},
		{"huge line", join(lines[0], "`"+strings.Repeat("x", maxBillLine+1)), 2, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBill(strings.NewReader(tt.in))
			var fe *BillFormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *BillFormatError", err)
			}
			if fe.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v (line %d); want line %d and %q", err, fe.Line, tt.line, tt.want)
			}
		})
	}
	// A conversion error is also a *FieldError naming the column.
	_, err := ParseBill(strings.NewReader(join(lines[0], strings.Replace(lines[1], "`6.00", "`6,00", 1), lines[4], lines[5])))
	var field *FieldError
	if !errors.As(err, &field) || field.Field != "应结订单金额" || !errors.Is(err, errNotYuan) {
		t.Errorf("err = %v, want a *FieldError for 应结订单金额", err)
	}
}

func TestBillReaderProtocol(t *testing.T) {
	br, err := NewBillReader(bytes.NewReader(billFixture(t, "all.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := br.Summary(); err == nil {
		t.Error("Summary before the last row: no error")
	}
	n := 0
	for {
		_, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if _, err := br.Next(); err != io.EOF {
		t.Errorf("Next after the end = %v, want io.EOF", err)
	}
	s, err := br.Summary()
	if err != nil || s.TradeCount != n {
		t.Errorf("Summary = %+v, %v; want %d trades", s, err, n)
	}
	if err := br.Close(); err != nil {
		t.Error(err)
	}
	if _, err := br.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
}

// billGen writes a trade bill of n generated rows on demand, never holding
// more than one row, and keeps the totals the parser must arrive at.
type billGen struct {
	rng       *mrand.Rand
	n, i      int
	buf       []byte
	summary   bool
	done      bool
	settle    int64
	refund    int64
	fee       MilliFen
	total     int64
	reqRefund int64
	byState   map[TradeState]int64
}

func newBillGen(n int) *billGen {
	g := &billGen{rng: mrand.New(mrand.NewPCG(1, 2)), n: n, byState: map[TradeState]int64{}}
	g.buf = append(g.buf, "\uFEFF交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n"...)
	return g
}

func (g *billGen) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.done {
			return 0, io.EOF
		}
		g.fill()
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

func (g *billGen) fill() {
	g.buf = g.buf[:0]
	if g.i == g.n {
		g.buf = fmt.Appendf(g.buf, "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`%d,`%s,`%s,`0.00,`%s,`%s,`%s\r\n",
			g.n, FormatYuan(g.settle), FormatYuan(g.refund), g.fee, FormatYuan(g.total), FormatYuan(g.reqRefund))
		g.done = true
		return
	}
	g.i++
	// Amounts up to a million yuan, fees with five decimals, a tenth of
	// the rows refunds with negative fees.
	amount := g.rng.Int64N(100_000_000) + 1
	fee := MilliFen(amount * 6) // 0.6% of the amount, in thousandths of a fen
	ts := bj(2024, 1, 31, 0, 0, 0).Add(time.Duration(g.i) * 250 * time.Millisecond)
	if g.i%10 == 0 {
		fee = -fee
		g.refund += amount
		g.reqRefund += amount
		g.fee += fee
		g.byState[TradeStateRefund] += amount
		g.buf = fmt.Appendf(g.buf, "`%s,`wx2421b1c4370ec43b,`1900000109,`0,`,`42%026d,`o%d,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REFUND,`CFT,`CNY,`0.00,`0.00,`50%027d,`r%d,`%s,`0.00,`ORIGINAL,`SUCCESS,`商品, %d,`,`%s,`0.60%%,`0.00,`%s,`\r\n",
			ts.Format(timeLayoutDash), g.i, g.i, g.i, g.i, FormatYuan(amount), g.i, fee, FormatYuan(amount))
		return
	}
	g.settle += amount
	g.total += amount
	g.fee += fee
	g.byState[TradeStateSuccess] += amount
	g.buf = fmt.Appendf(g.buf, "`%s,`wx2421b1c4370ec43b,`1900000109,`0,`,`42%026d,`o%d,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CFT,`CNY,`%s,`0.00,`0,`0,`0.00,`0.00,`,`,`商品, %d,`attach,`%s,`0.60%%,`%s,`0.00,`\r\n",
		ts.Format(timeLayoutDash), g.i, g.i, FormatYuan(amount), g.i, fee, FormatYuan(amount))
}

// TestBillStreamLarge parses a month-sized bill that is generated while it
// is read, plain and gzip-compressed, and checks that every amount adds up
// to the fen and that the heap stays small although the file is tens of
// megabytes.
func TestBillStreamLarge(t *testing.T) {
	const rows = 300_000
	for _, compressed := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", compressed), func(t *testing.T) {
			gen := newBillGen(rows)
			var src io.Reader = gen
			var size countingReader
			if compressed {
				pr, pw := io.Pipe()
				go func() {
					// BestSpeed: the decoder does the same work and the test
					// spends less time compressing under -race.
					zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
					_, err := io.Copy(zw, gen)
					if err == nil {
						err = zw.Close()
					}
					pw.CloseWithError(err)
				}()
				src = pr
			}
			size.r = src
			br, err := NewBillReader(&size)
			if err != nil {
				t.Fatal(err)
			}
			var (
				n                                int
				settle, refund, total, reqRefund int64
				fee                              MilliFen
				byState                          = map[TradeState]int64{}
				maxHeap                          uint64
				ms                               runtime.MemStats
			)
			for {
				row, err := br.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
				settle += row.SettlementTotalFee
				refund += row.RefundFee
				total += row.TotalFee
				reqRefund += row.RequestRefundFee
				fee += row.Fee
				byState[row.TradeState] += row.SettlementTotalFee + row.RefundFee
				if n%50_000 == 0 {
					runtime.GC()
					runtime.ReadMemStats(&ms)
					maxHeap = max(maxHeap, ms.HeapAlloc)
				}
			}
			sum, err := br.Summary()
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{int64(n), settle, refund, total, reqRefund, int64(fee)}
			if diff := cmp.Diff([]int64{rows, gen.settle, gen.refund, gen.total, gen.reqRefund, int64(gen.fee)}, got); diff != "" {
				t.Errorf("row totals (-generated +parsed):\n%s", diff)
			}
			if diff := cmp.Diff([]int64{rows, gen.settle, gen.refund, gen.total, gen.reqRefund, int64(gen.fee)},
				[]int64{int64(sum.TradeCount), sum.SettlementTotalFee, sum.RefundFee, sum.TotalFee, sum.RequestRefundFee, int64(sum.Fee)}); diff != "" {
				t.Errorf("summary (-generated +parsed):\n%s", diff)
			}
			if diff := cmp.Diff(gen.byState, byState); diff != "" {
				t.Errorf("per state (-generated +parsed):\n%s", diff)
			}
			const limit = 32 << 20
			if size.n < 40<<20 && !compressed {
				t.Errorf("generated only %d bytes; the test is meant to exceed the heap limit", size.n)
			}
			if maxHeap > limit {
				t.Errorf("heap reached %d bytes while streaming %d bytes, want < %d", maxHeap, size.n, limit)
			}
			t.Logf("%d rows, %d bytes read, max heap %d KiB", n, size.n, maxHeap>>10)
		})
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// billTestClient returns a client whose requests go to a fresh httpmock
// transport, with a client certificate when cert is set.
func billTestClient(t *testing.T, cert bool, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	opts = append([]Option{WithHTTPClient(&http.Client{Transport: mt})}, opts...)
	if cert {
		certPEM, keyPEM := billTestCertPEM(t)
		// A mock transport does no TLS: it stands for a client that
		// presents the certificate.
		opts = append(opts, WithCertPEM(certPEM, keyPEM), WithCertHTTPClient(&http.Client{Transport: mt}))
	}
	c, err := NewClient("wx2421b1c4370ec43b", "1900000109", billTestKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

// billTestCertPEM makes a throwaway self-signed client certificate.
func billTestCertPEM(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "1900000109"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// billResponder checks the request's signature (with the sign type it
// must have) and fields, then answers with body.
func billResponder(t *testing.T, st SignType, want Params, status int, body []byte) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		p, err := ParseXML(data)
		if err != nil {
			t.Errorf("request: %v", err)
			return httpmock.NewStringResponse(400, ""), nil
		}
		if err := VerifySign(p, billTestKey); err != nil || p["sign_type"] != string(st) {
			t.Errorf("request sign as %s: %v, sign_type %q", st, err, p["sign_type"])
		}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("request %s = %q, want %q", k, p[k], v)
			}
		}
		for k := range p {
			if _, ok := want[k]; !ok && !strings.Contains(" appid mch_id nonce_str sign sign_type ", " "+k+" ") {
				t.Errorf("request has unexpected field %s=%q", k, p[k])
			}
		}
		return httpmock.NewBytesResponse(status, body), nil
	}
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDownloadBill(t *testing.T) {
	all := billFixture(t, "all.csv")
	day := time.Date(2019, 7, 25, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		req     DownloadBillRequest
		want    Params // request fields besides the common ones
		status  int
		body    []byte
		rows    int
		errIs   error
		errCode string // of the *Error
	}{
		{"gzip by default", DownloadBillRequest{BillDate: day}, Params{"bill_date": "20190725", "bill_type": "ALL", "tar_type": "GZIP"}, 200, gzipBytes(t, all), 3, nil, ""},
		{"uncompressed", DownloadBillRequest{BillDate: day, BillType: BillTypeSuccess, Uncompressed: true}, Params{"bill_date": "20190725", "bill_type": "SUCCESS"}, 200, all, 3, nil, ""},
		{"plain answer to a gzip request", DownloadBillRequest{BillDate: day, BillType: BillTypeRefund}, Params{"bill_date": "20190725", "bill_type": "REFUND", "tar_type": "GZIP"}, 200, billFixture(t, "refund.csv"), 1, nil, ""},
		{"calendar date of the given zone", DownloadBillRequest{BillDate: time.Date(2019, 7, 25, 23, 30, 0, 0, time.FixedZone("PST", -8*3600))}, Params{"bill_date": "20190725", "bill_type": "ALL", "tar_type": "GZIP"}, 200, all, 3, nil, ""},
		{"no bill", DownloadBillRequest{BillDate: day}, Params{"bill_date": "20190725", "bill_type": "ALL", "tar_type": "GZIP"}, 200, billFixture(t, "no_bill.xml"), 0, ErrNoBill, "20002"},
		{"no bill, upper case, no code", DownloadBillRequest{BillDate: day}, Params{"bill_date": "20190725", "bill_type": "ALL", "tar_type": "GZIP"}, 200,
			[]byte("<xml><return_code>FAIL</return_code><return_msg>NO Bill Exist</return_msg></xml>"), 0, ErrNoBill, ""},
		{"bill creating", DownloadBillRequest{BillDate: day}, Params{"bill_date": "20190725", "bill_type": "ALL", "tar_type": "GZIP"}, 200, billFixture(t, "bill_creating.xml"), 0, ErrBillNotReady, "20003"},
		{"invalid date", DownloadBillRequest{BillDate: day}, Params{"bill_date": "20190725", "bill_type": "ALL", "tar_type": "GZIP"}, 200, billFixture(t, "invalid_date.xml"), 0, nil, "20001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mt := billTestClient(t, false)
			mt.RegisterResponder("POST", DefaultBaseURL+"/pay/downloadbill", billResponder(t, SignTypeMD5, tt.want, tt.status, tt.body))
			b, err := c.DownloadBill(context.Background(), &tt.req)
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Fatalf("err = %v, want %v", err, tt.errIs)
			}
			if tt.errCode != "" || tt.errIs != nil {
				var e *Error
				if !errors.As(err, &e) || e.ErrCode != tt.errCode || e.ReturnCode != "FAIL" {
					t.Fatalf("err = %#v, want an *Error with error_code %q", err, tt.errCode)
				}
				if tt.errIs == nil && (errors.Is(err, ErrNoBill) || errors.Is(err, ErrBillNotReady)) {
					t.Errorf("err = %v is marked as an expected failure", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Rows) != tt.rows || b.Summary.TradeCount != tt.rows {
				t.Errorf("%d rows, summary %d; want %d", len(b.Rows), b.Summary.TradeCount, tt.rows)
			}
			if mt.GetTotalCallCount() != 1 {
				t.Errorf("%d calls", mt.GetTotalCallCount())
			}
		})
	}
}

func TestDownloadBillFailures(t *testing.T) {
	c, mt := billTestClient(t, false)
	_, err := c.DownloadBill(context.Background(), &DownloadBillRequest{})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "bill_date" {
		t.Errorf("no date: err = %v, want a *ValidationError for bill_date", err)
	}
	_, err = c.DownloadFundFlow(context.Background(), &DownloadFundFlowRequest{BillDate: time.Now()})
	if !errors.As(err, &ve) || ve.Field != "account_type" {
		t.Errorf("no account type: err = %v, want a *ValidationError for account_type", err)
	}
	_, err = c.DownloadFundFlow(context.Background(), &DownloadFundFlowRequest{BillDate: time.Now(), AccountType: AccountTypeBasic})
	if !errors.Is(err, ErrNoCertificate) {
		t.Errorf("fund flow without a certificate: err = %v, want ErrNoCertificate", err)
	}
	if _, err := c.DownloadBill(context.Background(), nil); !errors.As(err, &ve) {
		t.Errorf("nil request: err = %v", err)
	}
	if _, err := c.OpenFundFlow(context.Background(), nil); !errors.As(err, &ve) {
		t.Errorf("nil request: err = %v", err)
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent for invalid calls", n)
	}

	mt.RegisterResponder("POST", DefaultBaseURL+"/pay/downloadbill", httpmock.NewStringResponder(502, "<html>bad gateway</html>"))
	_, err = c.DownloadBill(context.Background(), &DownloadBillRequest{BillDate: time.Now()})
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 502 {
		t.Errorf("502: err = %v, want an *HTTPError", err)
	}

	// A cut-off gzip stream is an error, not a short bill.
	z := gzipBytes(t, billFixture(t, "all.csv"))
	mt.RegisterResponder("POST", DefaultBaseURL+"/pay/downloadbill", httpmock.NewBytesResponder(200, z[:len(z)/2]))
	if _, err := c.DownloadBill(context.Background(), &DownloadBillRequest{BillDate: time.Now()}); err == nil {
		t.Error("truncated gzip: no error")
	}
}

func TestOpenBillStreams(t *testing.T) {
	c, mt := billTestClient(t, false)
	body := &closeTracker{Reader: bytes.NewReader(gzipBytes(t, billFixture(t, "all.csv")))}
	mt.RegisterResponder("POST", DefaultBaseURL+"/pay/downloadbill", func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: body, Header: http.Header{}}, nil
	})
	br, err := c.OpenBill(context.Background(), &DownloadBillRequest{BillDate: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	row, err := br.Next()
	if err != nil || row.OutTradeNo != "order001" {
		t.Fatalf("first row %+v, %v", row, err)
	}
	if body.closed {
		t.Error("body closed while rows remain")
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	if !body.closed {
		t.Error("Close did not close the download")
	}
}

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestDownloadFundFlow(t *testing.T) {
	// The client signs with MD5; downloadfundflow must still be HMAC-SHA256.
	c, mt := billTestClient(t, true)
	want := Params{"bill_date": "20210201", "account_type": "Operation", "tar_type": "GZIP"}
	mt.RegisterResponder("POST", DefaultBaseURL+"/pay/downloadfundflow",
		billResponder(t, SignTypeHMACSHA256, want, 200, gzipBytes(t, billFixture(t, "fundflow.csv"))))
	f, err := c.DownloadFundFlow(context.Background(), &DownloadFundFlowRequest{BillDate: bj(2021, 2, 1, 0, 0, 0), AccountType: AccountTypeOperation})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 3 || f.Summary.IncomeAmount != 10000 || f.Rows[1].Balance != 21 {
		t.Errorf("fund flow: %d rows, summary %+v", len(f.Rows), f.Summary)
	}

	// Its error answers are typed as downloadbill's.
	mt.RegisterResponder("POST", DefaultBaseURL+"/pay/downloadfundflow",
		billResponder(t, SignTypeHMACSHA256, Params{"bill_date": "20210202", "account_type": "Basic"}, 200, billFixture(t, "no_bill.xml")))
	_, err = c.DownloadFundFlow(context.Background(), &DownloadFundFlowRequest{BillDate: bj(2021, 2, 2, 0, 0, 0), AccountType: AccountTypeBasic, Uncompressed: true})
	if !errors.Is(err, ErrNoBill) {
		t.Errorf("err = %v, want ErrNoBill", err)
	}
	// A trade bill is not a fund flow.
	mt.RegisterResponder("POST", DefaultBaseURL+"/pay/downloadfundflow", httpmock.NewBytesResponder(200, billFixture(t, "all.csv")))
	_, err = c.DownloadFundFlow(context.Background(), &DownloadFundFlowRequest{BillDate: bj(2021, 2, 2, 0, 0, 0), AccountType: AccountTypeBasic})
	var fe *BillFormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "not a fund-flow bill") {
		t.Errorf("err = %v, want a *BillFormatError", err)
	}
}

// benchBillRows is the size of the generated bill the bill benchmarks
// read: about 26 MB, a busy merchant's month.
const benchBillRows = 100_000

// splitAndParseBill is the baseline ParseBill is judged against: what a
// user of an SDK that returns the bill as a string writes (gopay's
// DownloadBill does), with the column positions of the generated bill's
// 27-column header written in, into the same typed rows.
func splitAndParseBill(r io.Reader) (*Bill, error) {
	all, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimPrefix(string(all), "\uFEFF"), "\n")
	b := &Bill{Header: strings.Split(strings.TrimSuffix(lines[0], "\r"), ",")}
	b.Rows = make([]BillRow, 0, len(lines))
	amount := func(v []string, i int, dst *int64) {
		if err == nil {
			*dst, err = parseDecimal(v[i], 2)
		}
	}
	id := func(v string) string {
		if v == "0" {
			return ""
		}
		return v
	}
	for n, line := range lines[1:] {
		line = strings.TrimSuffix(line, "\r")
		if !strings.HasPrefix(line, "`") {
			v := strings.Split(strings.TrimSuffix(lines[n+2], "\r")[1:], ",`")
			b.Summary = BillSummary{Header: strings.Split(line, ","), Raw: v}
			b.Summary.TradeCount, err = strconv.Atoi(v[0])
			amount(v, 1, &b.Summary.SettlementTotalFee)
			amount(v, 2, &b.Summary.RefundFee)
			amount(v, 3, &b.Summary.CouponRefundFee)
			var fee int64
			if err == nil {
				fee, err = parseDecimal(v[4], 5)
			}
			b.Summary.Fee = MilliFen(fee)
			amount(v, 5, &b.Summary.TotalFee)
			amount(v, 6, &b.Summary.RequestRefundFee)
			return b, err
		}
		v := strings.Split(line[1:], ",`")
		if len(v) != len(b.Header) {
			return nil, fmt.Errorf("line %d: %d values", n+2, len(v))
		}
		row := BillRow{
			AppID: v[1], MchID: v[2], SubMchID: id(v[3]), DeviceInfo: v[4], TransactionID: v[5], OutTradeNo: v[6],
			OpenID: v[7], TradeType: TradeType(v[8]), TradeState: TradeState(v[9]), BankType: v[10], FeeType: v[11],
			RefundID: id(v[14]), OutRefundNo: id(v[15]), RefundType: v[18], RefundStatus: RefundStatus(v[19]),
			Body: v[20], Attach: v[21], Rate: v[23], RateRemark: v[26], Raw: v,
		}
		row.TradeTime, err = time.ParseInLocation(timeLayoutDash, v[0], beijing)
		amount(v, 12, &row.SettlementTotalFee)
		amount(v, 13, &row.CouponFee)
		amount(v, 16, &row.RefundFee)
		amount(v, 17, &row.CouponRefundFee)
		var fee int64
		if err == nil {
			fee, err = parseDecimal(v[22], 5)
		}
		row.Fee = MilliFen(fee)
		amount(v, 24, &row.TotalFee)
		amount(v, 25, &row.RequestRefundFee)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+2, err)
		}
		b.Rows = append(b.Rows, row)
	}
	return nil, errors.New("no summary")
}

// TestSplitAndParseBill checks that the baseline of BenchmarkParseBill
// does the same work: the same rows and summary as ParseBill.
func TestSplitAndParseBill(t *testing.T) {
	data, err := io.ReadAll(newBillGen(500))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseBill(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	got, err := splitAndParseBill(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, ignoreBillCols); diff != "" {
		t.Errorf("baseline (-ParseBill +baseline):\n%s", diff)
	}
}

// BenchmarkParseBill reads a generated bill of benchBillRows rows whole,
// beside the plain split-and-parse of the same bytes, and row by row
// with BillReader. Besides ns/op it reports ns/row, and for the readers
// that keep every row, alloc/file (bytes allocated per byte of the
// file: a bound on the peak heap, which cannot exceed what was
// allocated) and retained/file (the heap the result holds).
func BenchmarkParseBill(b *testing.B) {
	data, err := io.ReadAll(newBillGen(benchBillRows))
	if err != nil {
		b.Fatal(err)
	}
	whole := func(parse func(io.Reader) (*Bill, error)) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			var before, after runtime.MemStats
			var bill *Bill
			for i := range b.N {
				if i == b.N-1 {
					b.StopTimer()
					bill = nil
					runtime.GC()
					runtime.ReadMemStats(&before)
					b.StartTimer()
				}
				if bill, err = parse(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			if len(bill.Rows) != benchBillRows {
				b.Fatalf("%d rows", len(bill.Rows))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBillRows), "ns/row")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(len(data)), "alloc/file")
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(data)), "retained/file")
			runtime.KeepAlive(bill)
		}
	}
	b.Run("ParseBill", whole(ParseBill))
	b.Run("baseline=split-and-parse", whole(splitAndParseBill))
	b.Run("BillReader.Next", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			br, err := NewBillReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for {
				if _, err := br.Next(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != benchBillRows {
				b.Fatalf("%d rows", n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBillRows), "ns/row")
	})
}

// TestQuickTime holds the fast path of the API's two time layouts to what
// time.ParseInLocation says of the same text.
func TestQuickTime(t *testing.T) {
	for _, tt := range []struct{ layout, s string }{
		{timeLayoutDash, "2019-07-25 08:35:41"}, {timeLayoutDash, "2024-02-29 23:59:59"}, {timeLayoutDash, "2023-02-29 10:00:00"},
		{timeLayoutDash, "1900-02-29 00:00:00"}, {timeLayoutDash, "2000-02-29 00:00:00"}, {timeLayoutDash, "2019-04-31 00:00:00"},
		{timeLayoutDash, "2019-12-31 24:00:00"}, {timeLayoutDash, "2019-12-31 23:60:00"}, {timeLayoutDash, "2019-12-31 23:00:60"},
		{timeLayoutDash, "2019-00-10 00:00:00"}, {timeLayoutDash, "2019-13-10 00:00:00"}, {timeLayoutDash, "2019-07-00 08:35:41"},
		{timeLayoutDash, "2019-7-25 08:35:41"}, {timeLayoutDash, "2019/07/25 08:35:41"}, {timeLayoutDash, "2019-07-25T08:35:41"},
		{timeLayoutDash, "2019-07-25 08:35:4x"}, {timeLayoutDash, "+019-07-25 08:35:41"}, {timeLayoutDash, "2019-07-25 08:35:41.5"},
		{timeLayoutDash, "0000-01-01 00:00:00"}, {timeLayoutDash, "9999-12-31 23:59:59"},
		{timeLayoutCompact, "20150806125346"}, {timeLayoutCompact, "20240229235959"}, {timeLayoutCompact, "20230229000000"},
		{timeLayoutCompact, "20151306125346"}, {timeLayoutCompact, "2015080612534"}, {timeLayoutCompact, "2015080612534x"},
		{timeLayoutCompact, "20150806246000"}, {timeLayoutCompact, "-0150806125346"}, {timeLayoutCompact, "2015-08-06 12:53"},
	} {
		want, err := time.ParseInLocation(tt.layout, tt.s, beijing)
		got, ok := quickTime(tt.s, tt.layout)
		if ok && (err != nil || !got.Equal(want) || got.Location() != want.Location()) {
			t.Errorf("quickTime(%q) = %v; time.ParseInLocation says %v, %v", tt.s, got, want, err)
		}
		if !ok && err == nil && len(tt.s) == len(tt.layout) {
			t.Errorf("quickTime(%q) refused a time of the exact form: %v", tt.s, want)
		}
	}
}

// TestBillReaderMemoryFlat reads a bill ten times the size of another and
// checks that the heap the reader holds does not grow with the rows: a
// reader keeps no row once the caller has dropped it, and reuses nothing
// a kept row points into.
func TestBillReaderMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 55,000 generated rows")
	}
	maxHeap := func(rows int) uint64 {
		br, err := NewBillReader(newBillGen(rows))
		if err != nil {
			t.Fatal(err)
		}
		defer br.Close()
		var peak uint64
		var ms runtime.MemStats
		for n := 1; ; n++ {
			if _, err := br.Next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if n%2_500 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
		return peak
	}
	maxHeap(1_000) // the runtime's and the test's own first allocations
	small, large := maxHeap(5_000), maxHeap(50_000)
	t.Logf("heap after GC: %d KiB at most over 5,000 rows, %d KiB over 50,000", small>>10, large>>10)
	if large > small+1<<20 {
		t.Errorf("heap grew from %d to %d bytes with ten times the rows", small, large)
	}
}

// TestBillRowsIndependent checks that rows share memory only in ways a
// caller cannot see: growing one row's Raw leaves the next row's alone.
func TestBillRowsIndependent(t *testing.T) {
	data := billFixture(t, "all.csv")
	b, err := ParseBill(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	br, err := NewBillReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	first, err := br.Next()
	if err != nil {
		t.Fatal(err)
	}
	second, err := br.Next()
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][]BillRow{b.Rows, {first, second}} {
		want := slices.Clone(rows[1].Raw)
		_ = append(rows[0].Raw, "extra")
		if diff := cmp.Diff(want, rows[1].Raw); diff != "" {
			t.Errorf("appending to a row's Raw changed the next row's (-want +got):\n%s", diff)
		}
	}
}

// TestParseBillSources reads the same bill from memory, from a file (whose
// size ParseBill takes as a hint) and gzip-compressed from a reader that
// tells no size, and expects the same Bill.
func TestParseBillSources(t *testing.T) {
	data := billFixture(t, "all.csv")
	want, err := ParseBill(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/bill/all.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fromFile, err := ParseBill(f)
	if err != nil {
		t.Fatal(err)
	}
	fromGzip, err := ParseBill(io.MultiReader(bytes.NewReader(gzipBytes(t, data))))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]*Bill{"file": fromFile, "gzip": fromGzip} {
		if diff := cmp.Diff(want, got, ignoreBillCols); diff != "" {
			t.Errorf("%s (-memory +%s):\n%s", name, name, diff)
		}
	}
}

// TestParseBillRoomForRows checks that ParseBill makes room for the rows a
// file can have, not for its lines: a megabyte of newlines and short rows
// allocates about what it holds.
func TestParseBillRoomForRows(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(string(billFixture(t, "all.csv")), "\r\n"), "\r\n")
	in := lines[0] + "\n" + strings.Repeat("\n", 1<<20) + strings.Repeat("`\n", 1<<10) + lines[1] + "\n" + lines[4] + "\n" + lines[5] + "\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ParseBill(strings.NewReader(in))
	runtime.ReadMemStats(&after)
	var fe *BillFormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "1 values for 27 columns") {
		t.Fatalf("err = %v, want the short row refused", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16*uint64(len(in)) {
		t.Errorf("allocated %d bytes for a file of %d", got, len(in))
	}
}
