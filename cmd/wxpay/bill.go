package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/wxpay-go/wxpay"
)

// cmdBill summarises a trade or fund-flow bill file, plain or gzip, read
// as a stream: month-sized files are fine.
func cmdBill(e *env, args []string) int {
	fs := e.flags("[file]")
	file, err := e.parse(fs, args)
	if err != nil {
		return e.exit(err)
	}
	in, err := e.open(file)
	if err != nil {
		return e.fail(err)
	}
	defer in.Close()
	r, fundFlow, err := billInput(in)
	if err != nil {
		return e.fail(err)
	}
	if fundFlow {
		err = summariseFundFlow(e.stdout, r)
	} else {
		err = summariseBill(e.stdout, r)
	}
	if err != nil {
		return e.fail(err)
	}
	return exitOK
}

// billInput decompresses the file if needed and tells a fund-flow bill
// (记账时间 first) from a trade bill.
func billInput(in io.Reader) (io.Reader, bool, error) {
	br := bufio.NewReaderSize(in, 8192)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, false, err
		}
		br = bufio.NewReaderSize(zr, 8192)
	}
	head, _ := br.Peek(4096)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	return br, bytes.Contains(head, []byte("记账时间")), nil
}

// yuanFen writes an amount as "6.00 yuan (600 fen)".
func yuanFen(fen int64) string { return fmt.Sprintf("%s yuan (%d fen)", wxpay.FormatYuan(fen), fen) }

// stateTotal is what the rows of one trade state add up to.
type stateTotal struct {
	rows                               int
	settlement, total, refund, request int64
	fee                                wxpay.MilliFen
}

func (s *stateTotal) add(r *wxpay.BillRow) {
	s.rows++
	s.settlement += r.SettlementTotalFee
	s.total += r.TotalFee
	s.refund += r.RefundFee
	s.request += r.RequestRefundFee
	s.fee += r.Fee
}

func summariseBill(w io.Writer, in io.Reader) error {
	br, err := wxpay.NewBillReader(in)
	if err != nil {
		return err
	}
	var all stateTotal
	var couponRefund int64
	byState := map[wxpay.TradeState]*stateTotal{}
	for {
		row, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		s := byState[row.TradeState]
		if s == nil {
			s = &stateTotal{}
			byState[row.TradeState] = s
		}
		s.add(&row)
		all.add(&row)
		couponRefund += row.CouponRefundFee
	}
	sum, err := br.Summary()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "trade bill: %d columns, %d rows\n\n", len(br.Header()), all.rows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "state\trows\tsettlement\torder amount\trefunds\tfees")
	states := make([]wxpay.TradeState, 0, len(byState))
	for st := range byState {
		states = append(states, st)
	}
	slices.Sort(states)
	for _, st := range states {
		s := byState[st]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s yuan\n", st, s.rows, yuanFen(s.settlement), yuanFen(s.total), yuanFen(s.refund), s.fee)
	}
	fmt.Fprintf(tw, "all\t%d\t%s\t%s\t%s\t%s yuan\n", all.rows, yuanFen(all.settlement), yuanFen(all.total), yuanFen(all.refund), all.fee)
	tw.Flush()

	fmt.Fprintln(w, "\nsummary line:")
	checks := []struct {
		label     string
		names     []string // the summary's column, current and legacy names
		rows, sum int64
		fee       bool
	}{
		{"trades", []string{"总交易单数", "总交易笔数"}, int64(all.rows), int64(sum.TradeCount), false},
		{"settlement", []string{"应结订单总金额"}, all.settlement, sum.SettlementTotalFee, false},
		{"order amount", []string{"订单总金额", "总交易额"}, all.total, sum.TotalFee, false},
		{"refunds", []string{"退款总金额", "总退款金额"}, all.refund, sum.RefundFee, false},
		{"coupon refunds", []string{"充值券退款总金额", "总代金券或立减优惠退款金额", "总企业红包退款金额"}, couponRefund, sum.CouponRefundFee, false},
		{"requested refunds", []string{"申请退款总金额"}, all.request, sum.RequestRefundFee, false},
		{"fees", []string{"手续费总金额"}, int64(all.fee), int64(sum.Fee), true},
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range checks {
		if !slices.ContainsFunc(c.names, func(n string) bool { return slices.Contains(sum.Header, n) }) {
			continue
		}
		var v string
		switch {
		case c.label == "trades":
			v = fmt.Sprint(c.sum)
		case c.fee:
			v = fmt.Sprintf("%s yuan (%d fen rounded)", wxpay.MilliFen(c.sum), wxpay.MilliFen(c.sum).Fen())
		default:
			v = yuanFen(c.sum)
		}
		agree := "= sum of the rows"
		if c.rows != c.sum {
			agree = "differs from the sum of the rows: " + fmt.Sprint(c.rows)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.label, v, agree)
	}
	return tw.Flush()
}

func summariseFundFlow(w io.Writer, in io.Reader) error {
	fr, err := wxpay.NewFundFlowReader(in)
	if err != nil {
		return err
	}
	type total struct {
		rows   int
		amount int64
	}
	byType := map[string]*total{}
	rows := 0
	for {
		row, err := fr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		rows++
		t := byType[row.FinancialType]
		if t == nil {
			t = &total{}
			byType[row.FinancialType] = t
		}
		t.rows++
		t.amount += row.Amount
	}
	sum, err := fr.Summary()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "fund-flow bill: %d columns, %d rows\n\n", len(fr.Header()), rows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "type\trows\tamount")
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", t, byType[t].rows, yuanFen(byType[t].amount))
	}
	tw.Flush()
	income, out := byType["收入"], byType["支出"]
	if income == nil {
		income = &total{}
	}
	if out == nil {
		out = &total{}
	}
	fmt.Fprintf(w, "\nsummary line: %d entries; income %d, %s; expense %d, %s\n",
		sum.Count, sum.IncomeCount, yuanFen(sum.IncomeAmount), sum.ExpenseCount, yuanFen(sum.ExpenseAmount))
	if sum.Count == rows && sum.IncomeCount == income.rows && sum.IncomeAmount == income.amount &&
		sum.ExpenseCount == out.rows && sum.ExpenseAmount == out.amount {
		fmt.Fprintln(w, "the rows add up to the summary line")
	} else {
		fmt.Fprintln(w, "the rows do NOT add up to the summary line")
	}
	return nil
}
