package wxpaytest

import (
	"bytes"
	"compress/gzip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
)

// The columns of the current bill format (spec §4.6): 27 for ALL, 20 for
// SUCCESS, 29 for REFUND and RECHARGE_REFUND.
var (
	billFirst = []string{
		"交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识",
		"交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额",
	}
	billRefundColumns = slices.Concat(billFirst, []string{
		"退款申请时间", "退款成功时间", "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型",
		"退款状态", "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注",
	})
	billHeaders = map[string][]string{
		"ALL": slices.Concat(billFirst, []string{
			"微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态", "商品名称",
			"商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注",
		}),
		"SUCCESS":         slices.Concat(billFirst, []string{"商品名称", "商户数据包", "手续费", "费率", "订单金额", "费率备注"}),
		"REFUND":          billRefundColumns,
		"RECHARGE_REFUND": billRefundColumns,
	}
)

var lineBreaks = strings.NewReplacer("\r", " ", "\n", " ")

const billSummaryHeader = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"

// billRate is the fee rate every row shows: 0.6%, in thousandths.
const billRate = 6

// billRow is one row of a bill: its columns by name, and its amounts in
// fen for the summary.
type billRow struct {
	at   time.Time
	key  string // tie-break, for a stable order
	cols map[string]string

	settle, refund, recharge, fee, total, requested int64
}

func (s *Server) downloadBill(p wxpay.Params) answer {
	if ans, ok := checkBillRequest(p); !ok {
		return ans
	}
	typ := p["bill_type"]
	if typ == "" {
		typ = "ALL"
	}
	header, ok := billHeaders[typ]
	if !ok {
		return reject("invalid bill_type")
	}
	rows := s.billRows(p["bill_date"], typ, p["mch_id"], p["sub_mch_id"])
	if len(rows) == 0 {
		// Normal on a day without trades; WeChat's docs print "NO".
		return noBill
	}
	return billFile(p, renderBill(header, rows))
}

// noBill is the answer for a day without anything to list.
var noBill = answer{returnMsg: "No Bill Exist", billCode: "20002"}

// checkBillRequest checks what the bill downloads share: bill_date and
// tar_type.
func checkBillRequest(p wxpay.Params) (answer, bool) {
	date := p["bill_date"]
	if _, err := time.ParseInLocation("20060102", date, wxpay.Beijing()); err != nil || len(date) != 8 {
		return reject("invalid bill_date"), false
	}
	if t := p["tar_type"]; t != "" && t != "GZIP" {
		return reject("invalid tar_type"), false
	}
	return answer{}, true
}

// billFile answers with a bill, gzipped when the request asks for it.
func billFile(p wxpay.Params, body []byte) answer {
	if p["tar_type"] == "GZIP" {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(body)
		zw.Close()
		body = buf.Bytes()
	}
	return answer{file: body}
}

// onDate reports whether t is on the Beijing day date (yyyyMMdd).
func onDate(t time.Time, date string) bool {
	return !t.IsZero() && t.In(wxpay.Beijing()).Format("20060102") == date
}

// billRows lists the day's events of the merchant mch and its
// sub-merchant sub (all its sub-merchants, when ""): payments by their time_end, and refunds by the time they
// succeeded (refunds still PROCESSING or failed are in no bill). The
// payment of a refunded order stays a SUCCESS row; a reversed order is in
// no bill.
func (s *Server) billRows(date, typ, mch, sub string) []billRow {
	var rows []billRow
	for _, o := range s.st.orders {
		if o.transactionID == "" || o.state == wxpay.TradeStateRevoked || o.req["mch_id"] != mch || sub != "" && o.req["sub_mch_id"] != sub {
			continue
		}
		if (typ == "ALL" || typ == "SUCCESS") && onDate(o.pay.TimeEnd, date) {
			rows = append(rows, s.paymentRow(o))
		}
		if typ == "SUCCESS" {
			continue
		}
		for _, rf := range o.refunds {
			if rf.status == wxpay.RefundStatusSuccess && onDate(rf.succeeded, date) &&
				(typ != "RECHARGE_REFUND" || rf.account == refundAccountRecharge) {
				rows = append(rows, s.refundRow(rf))
			}
		}
	}
	slices.SortFunc(rows, func(a, b billRow) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	return rows
}

// baseRow fills the columns every row of the order has.
func (s *Server) baseRow(o *order, at time.Time, state string) map[string]string {
	return map[string]string{
		"交易时间": at.In(wxpay.Beijing()).Format("2006-01-02 15:04:05"), "公众账号ID": o.req["appid"], "商户号": o.req["mch_id"],
		"特约商户号": o.subMchColumn(), "设备号": o.req["device_info"], "微信订单号": o.transactionID, "商户订单号": o.req["out_trade_no"],
		"用户标识": o.pay.OpenID, "交易类型": o.req["trade_type"], "交易状态": state, "付款银行": o.pay.BankType,
		"货币种类": o.feeType(), "商品名称": o.req["body"], "商户数据包": o.req["attach"], "费率": "0.60%", "费率备注": "",
	}
}

func (s *Server) paymentRow(o *order) billRow {
	_, noCash := o.couponFee()
	r := billRow{at: o.pay.TimeEnd, key: o.transactionID, settle: o.totalFee - noCash, total: o.totalFee}
	r.fee = feeOf(r.settle)
	r.cols = s.baseRow(o, o.pay.TimeEnd, "SUCCESS")
	for k, v := range map[string]string{
		"应结订单金额": yuan(r.settle), "代金券金额": yuan(noCash), "微信退款单号": "0", "商户退款单号": "0",
		"退款金额": "0.00", "充值券退款金额": "0.00", "退款类型": "", "退款状态": "",
		"手续费": feeYuan(r.fee), "订单金额": yuan(r.total), "申请退款金额": "0.00",
	} {
		r.cols[k] = v
	}
	return r
}

// refundRow is a refund: its amounts in the refund columns, the order
// amounts zero (they were counted on the payment's row), the fee
// returned as a negative amount.
func (s *Server) refundRow(rf *refund) billRow {
	all, noCash := rf.couponFee()
	r := billRow{at: rf.succeeded, key: rf.refundID, refund: rf.fee - noCash, recharge: all - noCash, requested: rf.fee}
	r.fee = -feeOf(r.refund)
	r.cols = s.baseRow(rf.order, rf.succeeded, "REFUND")
	for k, v := range map[string]string{
		"应结订单金额": "0.00", "代金券金额": "0.00",
		"退款申请时间": rf.created.In(wxpay.Beijing()).Format("2006-01-02 15:04:05"),
		"退款成功时间": rf.succeeded.In(wxpay.Beijing()).Format("2006-01-02 15:04:05"),
		"微信退款单号": rf.refundID, "商户退款单号": rf.outRefundNo, "退款金额": yuan(r.refund),
		"充值券退款金额": yuan(r.recharge), "退款类型": "ORIGINAL", "退款状态": "SUCCESS",
		"手续费": feeYuan(r.fee), "订单金额": "0.00", "申请退款金额": yuan(r.requested),
	} {
		r.cols[k] = v
	}
	return r
}

// renderBill writes a trade bill: its rows, then the summary of their
// amounts.
func renderBill(header []string, rows []billRow) []byte {
	lines := make([][]string, len(rows))
	var sum billRow
	for i, r := range rows {
		vals := make([]string, len(header))
		for j, h := range header {
			vals[j] = r.cols[h]
		}
		lines[i] = vals
		sum.settle += r.settle
		sum.refund += r.refund
		sum.recharge += r.recharge
		sum.fee += r.fee
		sum.total += r.total
		sum.requested += r.requested
	}
	return renderTable(header, lines, billSummaryHeader, []string{
		strconv.Itoa(len(rows)), yuan(sum.settle), yuan(sum.refund), yuan(sum.recharge),
		feeYuan(sum.fee), yuan(sum.total), yuan(sum.requested),
	})
}

// renderTable writes a bill file as WeChat does, trade bills and fund
// flows alike: a byte-order mark, the header, one line per row with every
// value prefixed by a backtick, the summary header and the summary row;
// lines end in CRLF.
func renderTable(header []string, rows [][]string, sumHeader string, sum []string) []byte {
	var b strings.Builder
	b.WriteString("\ufeff")
	b.WriteString(strings.Join(header, ","))
	b.WriteString("\r\n")
	for _, r := range rows {
		writeBillLine(&b, r)
	}
	b.WriteString(sumHeader)
	b.WriteString("\r\n")
	writeBillLine(&b, sum)
	return []byte(b.String())
}

func writeBillLine(b *strings.Builder, vals []string) {
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('`')
		// A line break inside a value would end the row.
		b.WriteString(lineBreaks.Replace(v))
	}
	b.WriteString("\r\n")
}

// feeOf is the fee on an amount at billRate, rounded half up to the fen.
func feeOf(amount int64) int64 { return (amount*billRate + 500) / 1000 }

// yuan writes fen as yuan with two decimals: 600 → "6.00", -5 → "-0.05".
func yuan(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return sign + strconv.FormatInt(n/100, 10) + "." + strconv.FormatInt(100+n%100, 10)[1:]
}

// feeYuan writes a fee in fen as yuan with the five decimals bills use.
func feeYuan(n int64) string { return yuan(n) + "000" }
