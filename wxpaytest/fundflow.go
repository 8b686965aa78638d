package wxpaytest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/wxpay-go/wxpay"
)

// The columns of a fund-flow bill, as the v2 documentation prints them.
var fundFlowHeader = []string{
	"记账时间", "微信支付业务单号", "资金流水单号", "业务名称", "业务类型", "收支类型",
	"收支金额(元)", "账户结余(元)", "资金变更提交申请人", "备注", "业务凭证号",
}

const fundFlowSummaryHeader = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"

// The merchant accounts of downloadfundflow: the basic account receives
// payments and pays refunds; the fees account pays the fees and gets
// back those of refunds. Nothing moves in the operation account here.
const (
	accountBasic     = "Basic"
	accountOperation = "Operation"
	accountFees      = "Fees"
)

// flowEntry is one movement of money in a merchant account.
type flowEntry struct {
	account   string
	at        time.Time
	seq       int    // the event's place among the server's events
	bizID     string // 微信支付业务单号: the transaction or refund id
	biz       string // 业务名称, which is also its 业务类型
	income    bool
	amount    int64 // fen, positive
	applicant string
	memo      string
	voucher   string
}

// with is the event e as a movement of amount in account.
func (e flowEntry) with(account, biz string, income bool, amount int64) flowEntry {
	e.account, e.biz, e.income, e.amount = account, biz, income, amount
	return e
}

func (s *Server) downloadFundFlow(p wxpay.Params) answer {
	if ans, ok := checkBillRequest(p); !ok {
		return ans
	}
	account := p["account_type"]
	if account != accountBasic && account != accountOperation && account != accountFees {
		return reject("invalid account_type")
	}
	entries := s.flowEntries(account, p["mch_id"], p["sub_mch_id"])
	var (
		rows              [][]string
		balance           int64
		incomes, expenses int
		inSum, outSum     int64
	)
	for _, e := range entries {
		kind, sign := "支出", int64(-1)
		if e.income {
			kind, sign = "收入", 1
		}
		balance += sign * e.amount
		if !onDate(e.at, p["bill_date"]) {
			continue // earlier days count for the balance only
		}
		if e.income {
			incomes, inSum = incomes+1, inSum+e.amount
		} else {
			expenses, outSum = expenses+1, outSum+e.amount
		}
		rows = append(rows, []string{
			e.at.In(wxpay.Beijing()).Format("2006-01-02 15:04:05"), e.bizID, flowID(p["mch_id"], e),
			e.biz, e.biz, kind, yuan(e.amount), yuan(balance), e.applicant, e.memo, e.voucher,
		})
	}
	if len(rows) == 0 {
		return noBill
	}
	count := func(n int) string { return strconv.Itoa(n) + ".0" } // as WeChat writes them
	return billFile(p, renderTable(fundFlowHeader, rows, fundFlowSummaryHeader, []string{
		count(len(rows)), count(incomes), yuan(inSum), count(expenses), yuan(outSum),
	}))
}

// flowID is the entry's 资金流水单号: the merchant id, the day, and a
// number unique to the event and account.
func flowID(mch string, e flowEntry) string {
	n := 1
	if e.account == accountFees {
		n = 2
	}
	return fmt.Sprintf("%s%s%09d%d", mch, e.at.In(wxpay.Beijing()).Format("20060102"), e.seq, n)
}

// flowEntries lists, oldest first, every movement of the account of the
// sub-merchant sub (the merchant's own for ""), on any day: for each
// payment, its settlement amount (the total less non-recharge coupons,
// the trade bill's 应结订单金额) into the basic account and its fee out of
// the fees account; for each successful refund, the reverse. Reversed
// orders move nothing, and nothing moves in the operation account.
func (s *Server) flowEntries(account, mch, sub string) []flowEntry {
	var all []flowEntry
	for _, o := range s.st.orders {
		if o.transactionID == "" || o.state == wxpay.TradeStateRevoked || o.req["mch_id"] != mch || o.req["sub_mch_id"] != sub {
			continue
		}
		_, noCash := o.couponFee()
		settle := o.totalFee - noCash
		pay := flowEntry{at: o.pay.TimeEnd, seq: o.paySeq, bizID: o.transactionID, applicant: "system"}
		all = append(all, pay.with(accountBasic, "交易", true, settle), pay.with(accountFees, "扣除交易手续费", false, feeOf(settle)))
		for _, rf := range o.refunds {
			if rf.status != wxpay.RefundStatusSuccess {
				continue
			}
			_, noCash := rf.couponFee()
			amount := rf.fee - noCash
			back := flowEntry{
				at: rf.succeeded, seq: rf.settleSeq, bizID: rf.refundID, applicant: mch + "API",
				memo: rf.desc, voucher: "REF" + o.transactionID,
			}
			all = append(all, back.with(accountBasic, "退款", false, amount), back.with(accountFees, "退还交易手续费", true, feeOf(amount)))
		}
	}
	out := slices.DeleteFunc(all, func(e flowEntry) bool { return e.account != account || e.amount <= 0 })
	slices.SortFunc(out, func(a, b flowEntry) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.seq, b.seq)) })
	return out
}
