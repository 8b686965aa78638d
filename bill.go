package wxpay

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// BillType selects the rows of a trade bill, the bill_type of downloadbill.
type BillType string

// The bill types of downloadbill.
const (
	BillTypeAll            BillType = "ALL"             // payments and refunds (the default)
	BillTypeSuccess        BillType = "SUCCESS"         // successful payments
	BillTypeRefund         BillType = "REFUND"          // refunds
	BillTypeRechargeRefund BillType = "RECHARGE_REFUND" // refunds of recharge coupons
)

// AccountType selects the merchant account of a fund-flow bill, the
// account_type of downloadfundflow.
type AccountType string

// The account types of downloadfundflow.
const (
	AccountTypeBasic     AccountType = "Basic"     // basic account
	AccountTypeOperation AccountType = "Operation" // operation account
	AccountTypeFees      AccountType = "Fees"      // fees account
)

var (
	// ErrNoBill is returned (wrapping the *Error WeChat sent) when there is
	// no bill for the day: "No Bill Exist", error_code 20002. It is the
	// normal answer for a day without trades.
	ErrNoBill = errors.New("wxpay: no bill for that day")

	// ErrBillNotReady is returned (wrapping the *Error WeChat sent) for
	// "Bill Creating": the bill of day D is generated from 09:00 on D+1;
	// ask again later.
	ErrBillNotReady = errors.New("wxpay: bill not generated yet")
)

// BillFormatError reports a bill file that does not have the documented
// shape, or a value in it that does not convert, on line Line (counting
// from 1, the header included).
type BillFormatError struct {
	Line int
	Err  error // a *FieldError for a value that does not convert
}

// Error gives the line and the reason.
func (e *BillFormatError) Error() string {
	return fmt.Sprintf("wxpay: bill line %d: %v", e.Line, e.Err)
}

// Unwrap returns the reason, for errors.Is and errors.As.
func (e *BillFormatError) Unwrap() error { return e.Err }

// MilliFen is an amount in thousandths of a fen (1e-5 yuan), the
// precision of the service fees of a bill, which are written with five
// decimals: "0.04000" yuan is 4000 MilliFen. Fees are kept at this
// precision so that the fees of a month of rows add up exactly to the
// total the bill states; convert with Fen for a whole amount.
type MilliFen int64

// Fen returns m rounded to the nearest fen, halves away from zero.
func (m MilliFen) Fen() int64 {
	if m < 0 {
		return -int64((-m + 500) / 1000)
	}
	return int64((m + 500) / 1000)
}

// String returns m in yuan with five decimals, as a bill writes it.
func (m MilliFen) String() string {
	return formatDecimal(int64(m), 5)
}

// DownloadBillRequest asks for the trade bill of one day.
type DownloadBillRequest struct {
	// BillDate is the day. Only its calendar date in its own location is
	// used: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC) asks for the
	// bill of 1 March, Beijing time. For yesterday in Beijing, use
	// time.Now().In(wxpay.Beijing()).AddDate(0, 0, -1).
	BillDate time.Time
	BillType BillType // "" means BillTypeAll

	// Uncompressed asks WeChat for the plain text file instead of the
	// gzip-compressed one. The answer is decoded either way; compressed
	// transfers are several times smaller, so there is rarely a reason.
	Uncompressed bool
}

func (r *DownloadBillRequest) build(b *request) {
	if r.BillDate.IsZero() {
		b.fail("bill_date", "is required")
	}
	b.set("bill_date", billDate(r.BillDate))
	b.set("bill_type", string(cmp.Or(r.BillType, BillTypeAll)))
	if !r.Uncompressed {
		b.set("tar_type", "GZIP")
	}
}

// DownloadFundFlowRequest asks for the fund-flow bill of one account for
// one day.
type DownloadFundFlowRequest struct {
	BillDate     time.Time   // the day; as in DownloadBillRequest
	AccountType  AccountType // required
	Uncompressed bool        // as in DownloadBillRequest
}

func (r *DownloadFundFlowRequest) build(b *request) {
	if r.BillDate.IsZero() {
		b.fail("bill_date", "is required")
	}
	b.set("bill_date", billDate(r.BillDate))
	b.need("account_type", string(r.AccountType), 32)
	if !r.Uncompressed {
		b.set("tar_type", "GZIP")
	}
}

func billDate(t time.Time) string {
	y, m, d := t.Date()
	return fmt.Sprintf("%04d%02d%02d", y, int(m), d)
}

// BillRow is one trade of a trade bill. Amounts are converted from the
// bill's yuan to fen exactly; a column the bill's format lacks leaves its
// field zero. The field comments name the column each field is read from
// (legacy names of the older 24-column format in parentheses).
type BillRow struct {
	TradeTime          time.Time  // 交易时间, Beijing time
	AppID              string     // 公众账号ID
	MchID              string     // 商户号
	SubMchID           string     // 特约商户号 (子商户号); "" where the bill writes "0"
	DeviceInfo         string     // 设备号
	TransactionID      string     // 微信订单号
	OutTradeNo         string     // 商户订单号
	OpenID             string     // 用户标识
	TradeType          TradeType  // 交易类型
	TradeState         TradeState // 交易状态; TradeStateRefund on the refund rows of an ALL bill
	BankType           string     // 付款银行
	FeeType            string     // 货币种类
	SettlementTotalFee int64      // 应结订单金额: order amount less non-recharge coupons
	CouponFee          int64      // 代金券金额 (代金券或立减优惠金额, 企业红包金额)

	RefundApplyTime   time.Time    // 退款申请时间 (REFUND bills)
	RefundSuccessTime time.Time    // 退款成功时间 (REFUND bills)
	RefundID          string       // 微信退款单号; "" where the bill writes "0"
	OutRefundNo       string       // 商户退款单号; "" where the bill writes "0"
	RefundFee         int64        // 退款金额
	CouponRefundFee   int64        // 充值券退款金额 (代金券或立减优惠退款金额, 企业红包退款金额)
	RefundType        string       // 退款类型, e.g. "ORIGINAL", "BALANCE"
	RefundStatus      RefundStatus // 退款状态

	Body             string   // 商品名称
	Attach           string   // 商户数据包
	Fee              MilliFen // 手续费, negative on refunds
	Rate             string   // 费率, as written, e.g. "0.60%"
	TotalFee         int64    // 订单金额 (总金额)
	RequestRefundFee int64    // 申请退款金额
	RateRemark       string   // 费率备注

	// Raw holds the row's values, backticks removed, in the order of the
	// bill's Header; Field looks one up by column name.
	Raw []string

	cols *columnIndex
}

// Field returns the value of the column named name (as in the bill's
// header, e.g. "费率备注") and whether the bill has that column.
func (r *BillRow) Field(name string) (string, bool) { return r.cols.field(r.Raw, name) }

// BillSummary is the summary line of a trade bill.
type BillSummary struct {
	TradeCount         int      // 总交易单数
	SettlementTotalFee int64    // 应结订单总金额
	RefundFee          int64    // 退款总金额 (总退款金额)
	CouponRefundFee    int64    // 充值券退款总金额 (总代金券或立减优惠退款金额, 总企业红包退款金额)
	Fee                MilliFen // 手续费总金额
	TotalFee           int64    // 订单总金额 (总交易额)
	RequestRefundFee   int64    // 申请退款总金额

	Header []string // the summary's column names
	Raw    []string // its values, backticks removed
}

// Bill is a whole trade bill in memory. For bills too large for that, use
// OpenBill or NewBillReader.
type Bill struct {
	Header  []string // the column names of the rows
	Rows    []BillRow
	Summary BillSummary
}

// FundFlowRow is one entry of a fund-flow bill.
type FundFlowRow struct {
	Time             time.Time // 记账时间, Beijing time
	BizTransactionID string    // 微信支付业务单号
	FundFlowID       string    // 资金流水单号
	BizName          string    // 业务名称, e.g. 交易, 退款
	BizType          string    // 业务类型
	FinancialType    string    // 收支类型: 收入 (income) or 支出 (expense)
	Amount           int64     // 收支金额(元), in fen, as written (not signed by FinancialType)
	Balance          int64     // 账户结余(元), in fen
	Applicant        string    // 资金变更提交申请人
	Memo             string    // 备注
	BizVoucherID     string    // 业务凭证号

	Raw  []string // the row's values in Header order; see BillRow.Raw
	cols *columnIndex
}

// Field returns the value of the column named name and whether the bill
// has that column.
func (r *FundFlowRow) Field(name string) (string, bool) { return r.cols.field(r.Raw, name) }

// FundFlowSummary is the summary line of a fund-flow bill.
type FundFlowSummary struct {
	Count         int   // 资金流水总笔数
	IncomeCount   int   // 收入笔数
	IncomeAmount  int64 // 收入金额, fen
	ExpenseCount  int   // 支出笔数
	ExpenseAmount int64 // 支出金额, fen

	Header []string
	Raw    []string
}

// FundFlow is a whole fund-flow bill in memory.
type FundFlow struct {
	Header  []string
	Rows    []FundFlowRow
	Summary FundFlowSummary
}

// DownloadBill downloads and parses the trade bill of one day
// (downloadbill). The file and its rows are held in memory, the text once
// and each row's fields and Raw beside it (four and a half times the file
// for lines of 250 bytes): for a month-sized bill use OpenBill. A day without trades gives an error wrapping ErrNoBill; a bill
// not generated yet, one wrapping ErrBillNotReady; other refusals are an
// *Error whose ErrCode is downloadbill's error_code.
func (c *Client) DownloadBill(ctx context.Context, req *DownloadBillRequest) (*Bill, error) {
	t, err := openTable(ctx, c, billEndpoint, req, true)
	if err != nil {
		return nil, err
	}
	br, err := newBillReader(t)
	if err != nil {
		return nil, err
	}
	return br.all()
}

// OpenBill downloads the trade bill of one day and returns a reader that
// parses it row by row as it arrives, so that its size does not matter.
// The caller must Close it. Errors are those of DownloadBill.
func (c *Client) OpenBill(ctx context.Context, req *DownloadBillRequest) (*BillReader, error) {
	t, err := openTable(ctx, c, billEndpoint, req, false)
	if err != nil {
		return nil, err
	}
	return newBillReader(t)
}

var (
	billEndpoint     = endpoint{path: "/pay/downloadbill", idempotent: true}
	fundFlowEndpoint = endpoint{path: "/pay/downloadfundflow", cert: true, signType: SignTypeHMACSHA256, idempotent: true}
)

// DownloadFundFlow downloads and parses the fund-flow bill of one account
// for one day (downloadfundflow). It needs the client certificate and is
// always signed with HMAC-SHA256, the only type WeChat accepts for it.
// Errors are as for DownloadBill.
func (c *Client) DownloadFundFlow(ctx context.Context, req *DownloadFundFlowRequest) (*FundFlow, error) {
	t, err := openTable(ctx, c, fundFlowEndpoint, req, true)
	if err != nil {
		return nil, err
	}
	fr, err := newFundFlowReader(t)
	if err != nil {
		return nil, err
	}
	return fr.all()
}

// OpenFundFlow is DownloadFundFlow returning a streaming reader, as
// OpenBill. The caller must Close it.
func (c *Client) OpenFundFlow(ctx context.Context, req *DownloadFundFlowRequest) (*FundFlowReader, error) {
	t, err := openTable(ctx, c, fundFlowEndpoint, req, false)
	if err != nil {
		return nil, err
	}
	return newFundFlowReader(t)
}

// openTable validates the request, opens the file answer and reads its
// header line; with whole, it reads the whole file first.
func openTable[T any, P interface {
	*T
	builder
}](ctx context.Context, c *Client, ep endpoint, r P, whole bool) (*table, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	fields, err := build(r)
	if err != nil {
		return nil, err
	}
	body, err := c.open(ctx, ep, fields)
	if err != nil {
		return nil, billError(err)
	}
	t, err := newTable(body, body, whole)
	if err != nil {
		body.Close()
		return nil, err
	}
	return t, nil
}

// billError marks downloadbill's two expected failures with their
// sentinels, keeping the *Error for errors.As.
func billError(err error) error {
	var e *Error
	if !errors.As(err, &e) || e.ReturnCode == "SUCCESS" {
		return err
	}
	switch msg := strings.TrimSpace(e.ReturnMsg); {
	case e.ErrCode == "20002" || strings.EqualFold(msg, "No Bill Exist"):
		return fmt.Errorf("%w: %w", ErrNoBill, err)
	case strings.EqualFold(msg, "Bill Creating"):
		return fmt.Errorf("%w: %w", ErrBillNotReady, err)
	}
	return err
}

// ParseBill parses a whole trade bill file, as downloaded by hand or saved
// from OpenBill, plain or gzip-compressed. It holds what DownloadBill
// does; for large files use NewBillReader.
func ParseBill(r io.Reader) (*Bill, error) {
	t, err := newTable(r, nil, true)
	if err != nil {
		return nil, err
	}
	br, err := newBillReader(t)
	if err != nil {
		return nil, err
	}
	return br.all()
}

// ParseFundFlow parses a whole fund-flow bill file, plain or
// gzip-compressed.
func ParseFundFlow(r io.Reader) (*FundFlow, error) {
	t, err := newTable(r, nil, true)
	if err != nil {
		return nil, err
	}
	fr, err := newFundFlowReader(t)
	if err != nil {
		return nil, err
	}
	return fr.all()
}

// BillReader reads a trade bill row by row, in memory that does not grow
// with the file: the rows it returns share 16 KB blocks of text, which go
// once no kept row points into them.
// The file may be plain text or gzip-compressed; the UTF-8 byte-order
// mark, CRLF line ends and the backtick before each value are removed,
// and columns are found by their header names, so the current 20-, 27-
// and 29-column formats and the legacy 24-column one are all read.
type BillReader struct {
	t    *table
	cols columns[BillRow]
	row  BillRow
}

// NewBillReader reads the header of the trade bill in r and returns a
// reader for its rows. A file that is not a trade bill (no 交易时间
// column) is an error.
func NewBillReader(r io.Reader) (*BillReader, error) {
	t, err := newTable(r, nil, false)
	if err != nil {
		return nil, err
	}
	return newBillReader(t)
}

func newBillReader(t *table) (*BillReader, error) {
	cols, err := bindTable(t, billColumns, "trade bill")
	if err != nil {
		return nil, err
	}
	return &BillReader{t: t, cols: cols}, nil
}

// Header returns the column names of the rows.
func (r *BillReader) Header() []string { return r.t.header }

// Next returns the next row, or io.EOF after the last one. A malformed
// row is a *BillFormatError; so is a file that ends without its summary,
// as a cut-off download does.
func (r *BillReader) Next() (BillRow, error) {
	r.row = BillRow{} // filled in the reader, which is on the heap already, not in a row of its own
	err := readRow(r.t, r.cols, &r.row)
	return r.row, err
}

// Summary returns the summary line. It is available once Next has
// returned io.EOF.
func (r *BillReader) Summary() (BillSummary, error) { return readSummary(r.t, billSummaryColumns) }

// Close closes the download the reader reads from, if any.
func (r *BillReader) Close() error { return r.t.Close() }

func (r *BillReader) all() (*Bill, error) {
	defer r.Close()
	b := &Bill{Header: r.Header()}
	var err error
	if b.Rows, b.Summary, err = collect(r.t, r.cols, r.Summary); err != nil {
		return nil, err
	}
	return b, nil
}

// FundFlowReader reads a fund-flow bill row by row, as BillReader does a
// trade bill.
type FundFlowReader struct {
	t    *table
	cols columns[FundFlowRow]
	row  FundFlowRow
}

// NewFundFlowReader reads the header of the fund-flow bill in r and
// returns a reader for its rows. A file that is not a fund-flow bill (no
// 记账时间 column) is an error.
func NewFundFlowReader(r io.Reader) (*FundFlowReader, error) {
	t, err := newTable(r, nil, false)
	if err != nil {
		return nil, err
	}
	return newFundFlowReader(t)
}

func newFundFlowReader(t *table) (*FundFlowReader, error) {
	cols, err := bindTable(t, fundFlowColumns, "fund-flow bill")
	if err != nil {
		return nil, err
	}
	return &FundFlowReader{t: t, cols: cols}, nil
}

// Header returns the column names of the rows.
func (r *FundFlowReader) Header() []string { return r.t.header }

// Next returns the next row, or io.EOF after the last one, as
// BillReader.Next.
func (r *FundFlowReader) Next() (FundFlowRow, error) {
	r.row = FundFlowRow{} // filled in the reader, which is on the heap already, not in a row of its own
	err := readRow(r.t, r.cols, &r.row)
	return r.row, err
}

// Summary returns the summary line once Next has returned io.EOF.
func (r *FundFlowReader) Summary() (FundFlowSummary, error) {
	return readSummary(r.t, fundFlowSummaryColumns)
}

// Close closes the download the reader reads from, if any.
func (r *FundFlowReader) Close() error { return r.t.Close() }

func (r *FundFlowReader) all() (*FundFlow, error) {
	defer r.Close()
	f := &FundFlow{Header: r.Header()}
	var err error
	if f.Rows, f.Summary, err = collect(r.t, r.cols, r.Summary); err != nil {
		return nil, err
	}
	return f, nil
}

// collect reads every row of t and its summary. The rows are allocated
// once, for as many as the file has lines: a slice of rows growing by
// doubling would copy them over and over and, at its last growth, hold
// them three times.
func collect[R any, P rowPtr[R], S any](t *table, c columns[R], summary func() (S, error)) ([]R, S, error) {
	rows := make([]R, 0, t.rows)
	for {
		var zero R
		rows = append(rows, zero)
		err := readRow[R, P](t, c, &rows[len(rows)-1]) // in place: a row is big
		if err == io.EOF {
			rows = rows[:len(rows)-1]
			break
		}
		if err != nil {
			var zero S
			return nil, zero, err
		}
	}
	s, err := summary()
	return rows, s, err
}

// bindTable binds the column list to t's header; the list's first column
// is the one that identifies the kind of bill.
func bindTable[T any](t *table, list []column[T], kind string) (columns[T], error) {
	c := bindColumns(list, t.header)
	if c.pos[0] < 0 {
		t.Close()
		return c, &BillFormatError{Line: t.headerLine, Err: fmt.Errorf("not a %s (no %s column): header %q",
			kind, list[0].names[0], truncate(strings.Join(t.header, ","), 60))}
	}
	return c, nil
}

// A rowPtr is a pointer to a row type that keeps its raw values.
type rowPtr[T any] interface {
	*T
	setRaw(raw []string, ix *columnIndex)
}

func (r *BillRow) setRaw(raw []string, ix *columnIndex)     { r.Raw, r.cols = raw, ix }
func (r *FundFlowRow) setRaw(raw []string, ix *columnIndex) { r.Raw, r.cols = raw, ix }

// readRow reads the next row into *row, which is zero.
func readRow[T any, P rowPtr[T]](t *table, c columns[T], row *T) error {
	raw, err := t.next()
	if err != nil {
		return err
	}
	P(row).setRaw(raw, c.index)
	return t.lineError(c.fill(row, raw))
}

// A summaryPtr is a pointer to a summary type that keeps its raw line.
type summaryPtr[S any] interface {
	*S
	setLine(header, raw []string)
}

func (s *BillSummary) setLine(header, raw []string)     { s.Header, s.Raw = header, raw }
func (s *FundFlowSummary) setLine(header, raw []string) { s.Header, s.Raw = header, raw }

func readSummary[S any, P summaryPtr[S]](t *table, list []column[S]) (S, error) {
	var s S
	if t.err != nil {
		return s, t.err
	}
	if t.state == tableRows {
		return s, errors.New("wxpay: bill summary asked for before the last row was read")
	}
	P(&s).setLine(t.sumHeader, t.sum)
	return s, t.lineError(bindColumns(list, t.sumHeader).fill(&s, t.sum))
}

// maxBillLine bounds one line of a bill; real lines are a few hundred
// bytes, and the bound keeps a broken file from making us buffer it whole.
const maxBillLine = 64 << 10

// streamChunk is the size of the blocks a streaming reader copies lines
// into, and streamRows the number of rows whose values share one block of
// Raw slices: one allocation serves many rows, and a row the caller keeps
// holds on to no more than one block of each.
const (
	streamChunk = 16 << 10
	streamRows  = 32
)

var errNoSummary = errors.New("file ends before the summary lines: incomplete download?")

// table splits a bill file into its header, its rows and its summary.
// The shape, for trade and fund-flow bills alike: a header line of
// comma-separated names, rows whose values each start with a backtick
// (so values are separated by ",`", and a comma inside a value is kept),
// a summary header, and one summary row.
//
// The values it returns are strings into memory that is never written
// again, so that a row keeps them without a copy of its own. A table
// reads either the whole file into one string at once (ParseBill,
// DownloadBill), so that every value points into it and the rows and
// their Raw slices are allocated once at their final size, or (for the
// readers) a line at a time, copying each into a block shared with the
// next lines.
type table struct {
	sc    *bufio.Scanner // streaming; nil when text holds the whole file
	chunk strings.Builder
	text  string // the rest of the file, when read whole
	rows  int    // the rows to make room for at once, when read whole

	raws       []string // room for the Raw slices of the next rows
	closer     io.Closer
	header     []string
	headerLine int
	line       int

	sumHeader, sum []string
	state          int // tableRows, tableSummary, tableDone
	err            error
}

const (
	tableRows = iota
	tableSummary
	tableDone
)

// newTable reads the header; closer, when not nil, is closed by Close.
// With whole, the file is read into memory at once.
func newTable(r io.Reader, closer io.Closer, whole bool) (*table, error) {
	size := -1
	if whole {
		size = sizeOf(r)
	}
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("wxpay: bill: %w", err)
		}
		br, size = bufio.NewReader(zr), -1
	}
	if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
		br.Discard(3)
	}
	t := &table{closer: closer}
	if whole {
		var text strings.Builder
		text.Grow(size + 1)
		if _, err := io.Copy(&text, br); err != nil {
			return nil, fmt.Errorf("wxpay: reading bill: %w", err)
		}
		t.text = text.String()
	} else {
		t.sc = bufio.NewScanner(br)
		t.sc.Buffer(make([]byte, 0, 4096), maxBillLine)
	}
	line, err := t.nextLine()
	if err == io.EOF {
		return nil, &BillFormatError{Line: t.line, Err: errors.New("empty file")}
	}
	if err != nil {
		return nil, err
	}
	if len(line) > 0 && line[0] == '<' {
		return nil, &BillFormatError{Line: t.line, Err: fmt.Errorf("an XML message, not a bill: %q", truncate(line, 80))}
	}
	t.header, t.headerLine = splitHeader(line), t.line
	if whole {
		// A row is a line that starts with a backtick and holds a value
		// for each column, at least two bytes each: a file of blank or
		// short lines does not make room for rows it cannot have.
		t.rows = min(strings.Count(t.text, "\n`"), len(t.text)/(2*len(t.header))) + 1
	}
	return t, nil
}

// sizeOf returns the number of bytes left in r when r says so cheaply, as
// readers of memory and files do, or -1. It is only a hint for the first
// allocation, so a size beyond any bill's is ignored.
func sizeOf(r io.Reader) int {
	n := int64(-1)
	switch r := r.(type) {
	case interface{ Len() int }:
		n = int64(r.Len())
	case *os.File:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			if off, err := r.Seek(0, io.SeekCurrent); err == nil && off <= fi.Size() {
				n = fi.Size() - off
			}
		}
	}
	if n < 0 || n > 1<<30 {
		return -1
	}
	return int(n)
}

// nextLine returns the next non-blank line without its line end.
func (t *table) nextLine() (string, error) {
	if t.sc == nil {
		for t.text != "" {
			line, rest, _ := strings.Cut(t.text, "\n")
			if len(line) >= maxBillLine {
				return "", &BillFormatError{Line: t.line + 1, Err: fmt.Errorf("line longer than %d bytes", maxBillLine)}
			}
			t.text = rest
			t.line++
			line = strings.TrimRight(line, "\r")
			if len(strings.TrimSpace(line)) > 0 {
				return strings.TrimLeft(line, " \t"), nil
			}
		}
		return "", io.EOF
	}
	for t.sc.Scan() {
		t.line++
		line := bytes.TrimRight(t.sc.Bytes(), "\r")
		if len(bytes.TrimSpace(line)) > 0 {
			return t.keep(bytes.TrimLeft(line, " \t")), nil
		}
	}
	if err := t.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return "", &BillFormatError{Line: t.line + 1, Err: fmt.Errorf("line longer than %d bytes", maxBillLine)}
		}
		return "", fmt.Errorf("wxpay: reading bill: %w", err)
	}
	return "", io.EOF
}

// keep copies a line out of the scanner's buffer into the current block.
// A strings.Builder only ever appends, so the strings it returned before
// stay as they were.
func (t *table) keep(line []byte) string {
	if t.chunk.Cap()-t.chunk.Len() < len(line) {
		t.chunk = strings.Builder{}
		t.chunk.Grow(max(streamChunk, len(line)))
	}
	n := t.chunk.Len()
	t.chunk.Write(line)
	return t.chunk.String()[n:]
}

// values returns room for the n values of the next row.
func (t *table) values(n int) []string {
	if len(t.raws) < n {
		rows := streamRows
		if t.sc == nil {
			rows = t.rows // a whole file: all its rows at once
		}
		t.raws = make([]string, n*max(rows, 1))
	}
	v := t.raws[:n:n] // so that an append to a row's Raw does not reach the next
	t.raws = t.raws[n:]
	return v
}

// next returns the values of the next row, or io.EOF once the summary
// has been read.
func (t *table) next() ([]string, error) {
	if t.err != nil {
		return nil, t.err
	}
	if t.state != tableRows {
		return nil, io.EOF
	}
	line, err := t.nextLine()
	if err == io.EOF {
		err = &BillFormatError{Line: t.line, Err: errNoSummary}
	}
	if err != nil {
		t.err = err
		return nil, err
	}
	if line[0] != '`' {
		t.err = t.readSummary(line)
		if t.err == nil {
			t.state = tableSummary
			return nil, io.EOF
		}
		return nil, t.err
	}
	raw := t.values(len(t.header))
	if n := splitValues(raw, line); n != len(raw) {
		t.err = &BillFormatError{Line: t.line, Err: fmt.Errorf("%d values for %d columns", n, len(t.header))}
		return nil, t.err
	}
	return raw, nil
}

func (t *table) readSummary(header string) error {
	t.sumHeader = splitHeader(header)
	line, err := t.nextLine()
	if err == io.EOF {
		return &BillFormatError{Line: t.line, Err: errors.New("summary header without a summary row")}
	}
	if err != nil {
		return err
	}
	t.sum = make([]string, strings.Count(line, ",`")+1)
	splitValues(t.sum, line)
	if len(t.sum) != len(t.sumHeader) {
		return &BillFormatError{Line: t.line, Err: fmt.Errorf("summary has %d values for %d columns", len(t.sum), len(t.sumHeader))}
	}
	if extra, err := t.nextLine(); err != io.EOF {
		if err != nil {
			return err
		}
		return &BillFormatError{Line: t.line, Err: fmt.Errorf("unexpected line after the summary: %q", truncate(extra, 40))}
	}
	return nil
}

// lineError places a conversion error on the current line.
func (t *table) lineError(err error) error {
	if err == nil {
		return nil
	}
	return &BillFormatError{Line: t.line, Err: err}
}

// Close closes the underlying download, if any.
func (t *table) Close() error {
	t.state = tableDone
	if t.err == nil {
		t.err = errors.New("wxpay: bill reader closed")
	}
	t.text = "" // a whole file is no longer needed once its rows are read
	if t.closer == nil {
		return nil
	}
	c := t.closer
	t.closer = nil
	return c.Close()
}

func splitHeader(line string) []string {
	names := strings.Split(line, ",")
	for i, n := range names {
		names[i] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(n), "`"))
	}
	return names
}

// splitValues stores the values of a backtick-prefixed line in dst, as
// many as fit, and returns how many the line has. One pass, no
// allocation: strings.Split would count the separators first and allocate
// the slice. A plain loop beats strings.Index here: values are a few
// bytes long, shorter than what a call to it costs.
func splitValues(dst []string, line string) int {
	s := line[1:]
	n, start := 0, 0
	for i := 1; i < len(s); i++ {
		if s[i] != '`' || s[i-1] != ',' {
			continue
		}
		if n < len(dst) {
			dst[n] = s[start : i-1]
		}
		n++
		start = i + 1
	}
	if n < len(dst) {
		dst[n] = s[start:]
	}
	return n + 1
}

// columnIndex maps a bill's column names to positions.
type columnIndex map[string]int

func (ix *columnIndex) field(raw []string, name string) (string, bool) {
	if ix == nil {
		return "", false
	}
	i, ok := (*ix)[name]
	if !ok || i >= len(raw) {
		return "", false
	}
	return raw[i], true
}

// column describes one typed field: the header names it is read from
// (current name first, then legacy ones), and a pointer to the field of
// the row. The pointer's type says how the value converts.
type column[T any] struct {
	names []string
	field func(*T) any
	// zeroIsEmpty: the bill writes "0" for "none" in this id column.
	zeroIsEmpty bool
}

// columns is a column list bound to one bill's header.
type columns[T any] struct {
	list  []column[T]
	pos   []int // pos[i] is list[i]'s position in the header, or -1
	index *columnIndex
}

func bindColumns[T any](list []column[T], header []string) columns[T] {
	ix := make(columnIndex, len(header))
	for i, name := range header {
		if _, dup := ix[name]; !dup {
			ix[name] = i
		}
	}
	c := columns[T]{list: list, pos: make([]int, len(list)), index: &ix}
	for i, col := range list {
		c.pos[i] = -1
		for _, name := range col.names {
			if p, ok := ix[name]; ok {
				c.pos[i] = p
				break
			}
		}
	}
	return c
}

func (c columns[T]) fill(dst *T, raw []string) error {
	for i := range c.list {
		col, p := &c.list[i], c.pos[i] // a pointer: a column is five words to copy, for every value of every row
		if p < 0 || p >= len(raw) {
			continue
		}
		v := raw[p]
		if col.zeroIsEmpty && v == "0" {
			continue
		}
		if err := setValue(col.field(dst), v); err != nil {
			return &FieldError{Field: col.names[0], Value: v, Err: err}
		}
	}
	return nil
}

var (
	errNotYuan    = errors.New("not an amount in yuan")
	errTooPrecise = errors.New("more decimals than the amount's unit can hold")
	errNotCount   = errors.New("not a count")
)

// setValue converts v into the field dst points to.
func setValue(dst any, v string) error {
	switch d := dst.(type) {
	case *string:
		*d = v
	case *TradeType:
		*d = TradeType(v)
	case *TradeState:
		*d = TradeState(v)
	case *RefundStatus:
		*d = RefundStatus(v)
	case *int64: // an amount in yuan, stored in fen
		n, err := parseDecimal(v, 2)
		*d = n
		return err
	case *MilliFen:
		n, err := parseDecimal(v, 5)
		*d = MilliFen(n)
		return err
	case *int:
		n, err := parseCountValue(v)
		*d = n
		return err
	case *time.Time:
		s := strings.TrimSpace(v)
		if s == "" {
			return nil
		}
		t, ok := quickTime(s, timeLayoutDash)
		if !ok {
			var err error
			if t, err = time.ParseInLocation(timeLayoutDash, s, beijing); err != nil {
				return errors.New("not a time in the form " + timeLayoutDash)
			}
		}
		*d = t
	default:
		panic(fmt.Sprintf("wxpay: bill column of type %T", dst)) // a bug in the column tables
	}
	return nil
}

// parseDecimal parses a decimal amount such as "6.00", "-0.01" or "0" into
// an integer number of 10^-scale units, exactly: no floating point, no
// rounding. An empty value is 0; more decimals than scale is an error.
func parseDecimal(s string, scale int) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	// Amounts are a few bytes long: a loop finds the dot sooner than a
	// call to strings.Cut.
	intPart, frac, hasDot := s, "", false
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac, hasDot = s[:i], s[i+1:], true
			break
		}
	}
	if intPart == "" && (!hasDot || frac == "") {
		return 0, errNotYuan
	}
	if len(frac) > scale {
		// Trailing zeros beyond the scale carry no value.
		if strings.TrimRight(frac[scale:], "0") != "" {
			return 0, errTooPrecise
		}
		frac = frac[:scale]
	}
	var n int64
	for i := 0; i < len(intPart)+scale; i++ {
		c := byte('0')
		switch {
		case i < len(intPart):
			c = intPart[i]
		case i-len(intPart) < len(frac):
			c = frac[i-len(intPart)]
		}
		if c < '0' || c > '9' {
			return 0, errNotYuan
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return 0, errTooLong
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// parseCountValue parses a count; some bills write counts as "20.0".
func parseCountValue(s string) (int, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 && strings.Trim(s[i+1:], "0") == "" {
		s = s[:i]
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, errNotCount
	}
	return int(n), nil
}

// formatDecimal writes n units of 10^-scale with scale decimals.
func formatDecimal(n int64, scale int) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign, u = "-", uint64(-n)
	}
	digits := strconv.FormatUint(u, 10)
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// The columns of the trade bills: current names first, then those of the
// legacy format.
var billColumns = []column[BillRow]{
	{names: []string{"交易时间"}, field: func(r *BillRow) any { return &r.TradeTime }},
	{names: []string{"公众账号ID"}, field: func(r *BillRow) any { return &r.AppID }},
	{names: []string{"商户号"}, field: func(r *BillRow) any { return &r.MchID }},
	{names: []string{"特约商户号", "子商户号"}, field: func(r *BillRow) any { return &r.SubMchID }, zeroIsEmpty: true},
	{names: []string{"设备号"}, field: func(r *BillRow) any { return &r.DeviceInfo }},
	{names: []string{"微信订单号"}, field: func(r *BillRow) any { return &r.TransactionID }},
	{names: []string{"商户订单号"}, field: func(r *BillRow) any { return &r.OutTradeNo }},
	{names: []string{"用户标识"}, field: func(r *BillRow) any { return &r.OpenID }},
	{names: []string{"交易类型"}, field: func(r *BillRow) any { return &r.TradeType }},
	{names: []string{"交易状态"}, field: func(r *BillRow) any { return &r.TradeState }},
	{names: []string{"付款银行"}, field: func(r *BillRow) any { return &r.BankType }},
	{names: []string{"货币种类"}, field: func(r *BillRow) any { return &r.FeeType }},
	{names: []string{"应结订单金额"}, field: func(r *BillRow) any { return &r.SettlementTotalFee }},
	{names: []string{"代金券金额", "代金券或立减优惠金额", "企业红包金额"}, field: func(r *BillRow) any { return &r.CouponFee }},
	{names: []string{"退款申请时间"}, field: func(r *BillRow) any { return &r.RefundApplyTime }},
	{names: []string{"退款成功时间"}, field: func(r *BillRow) any { return &r.RefundSuccessTime }},
	{names: []string{"微信退款单号"}, field: func(r *BillRow) any { return &r.RefundID }, zeroIsEmpty: true},
	{names: []string{"商户退款单号"}, field: func(r *BillRow) any { return &r.OutRefundNo }, zeroIsEmpty: true},
	{names: []string{"退款金额"}, field: func(r *BillRow) any { return &r.RefundFee }},
	{names: []string{"充值券退款金额", "代金券或立减优惠退款金额", "企业红包退款金额"}, field: func(r *BillRow) any { return &r.CouponRefundFee }},
	{names: []string{"退款类型"}, field: func(r *BillRow) any { return &r.RefundType }},
	{names: []string{"退款状态"}, field: func(r *BillRow) any { return &r.RefundStatus }},
	{names: []string{"商品名称"}, field: func(r *BillRow) any { return &r.Body }},
	{names: []string{"商户数据包"}, field: func(r *BillRow) any { return &r.Attach }},
	{names: []string{"手续费"}, field: func(r *BillRow) any { return &r.Fee }},
	{names: []string{"费率"}, field: func(r *BillRow) any { return &r.Rate }},
	{names: []string{"订单金额", "总金额"}, field: func(r *BillRow) any { return &r.TotalFee }},
	{names: []string{"申请退款金额"}, field: func(r *BillRow) any { return &r.RequestRefundFee }},
	{names: []string{"费率备注"}, field: func(r *BillRow) any { return &r.RateRemark }},
}

var billSummaryColumns = []column[BillSummary]{
	{names: []string{"总交易单数", "总交易笔数"}, field: func(s *BillSummary) any { return &s.TradeCount }},
	{names: []string{"应结订单总金额"}, field: func(s *BillSummary) any { return &s.SettlementTotalFee }},
	{names: []string{"退款总金额", "总退款金额"}, field: func(s *BillSummary) any { return &s.RefundFee }},
	{names: []string{"充值券退款总金额", "总代金券或立减优惠退款金额", "总企业红包退款金额"}, field: func(s *BillSummary) any { return &s.CouponRefundFee }},
	{names: []string{"手续费总金额"}, field: func(s *BillSummary) any { return &s.Fee }},
	{names: []string{"订单总金额", "总交易额"}, field: func(s *BillSummary) any { return &s.TotalFee }},
	{names: []string{"申请退款总金额"}, field: func(s *BillSummary) any { return &s.RequestRefundFee }},
}

// Fund-flow headers are seen with ASCII and with full-width parentheses.
var fundFlowColumns = []column[FundFlowRow]{
	{names: []string{"记账时间"}, field: func(r *FundFlowRow) any { return &r.Time }},
	{names: []string{"微信支付业务单号"}, field: func(r *FundFlowRow) any { return &r.BizTransactionID }},
	{names: []string{"资金流水单号"}, field: func(r *FundFlowRow) any { return &r.FundFlowID }},
	{names: []string{"业务名称"}, field: func(r *FundFlowRow) any { return &r.BizName }},
	{names: []string{"业务类型"}, field: func(r *FundFlowRow) any { return &r.BizType }},
	{names: []string{"收支类型"}, field: func(r *FundFlowRow) any { return &r.FinancialType }},
	{names: []string{"收支金额(元)", "收支金额（元）", "收支金额"}, field: func(r *FundFlowRow) any { return &r.Amount }},
	{names: []string{"账户结余(元)", "账户结余（元）", "账户结余"}, field: func(r *FundFlowRow) any { return &r.Balance }},
	{names: []string{"资金变更提交申请人"}, field: func(r *FundFlowRow) any { return &r.Applicant }},
	{names: []string{"备注"}, field: func(r *FundFlowRow) any { return &r.Memo }},
	{names: []string{"业务凭证号"}, field: func(r *FundFlowRow) any { return &r.BizVoucherID }},
}

var fundFlowSummaryColumns = []column[FundFlowSummary]{
	{names: []string{"资金流水总笔数"}, field: func(s *FundFlowSummary) any { return &s.Count }},
	{names: []string{"收入笔数"}, field: func(s *FundFlowSummary) any { return &s.IncomeCount }},
	{names: []string{"收入金额"}, field: func(s *FundFlowSummary) any { return &s.IncomeAmount }},
	{names: []string{"支出笔数"}, field: func(s *FundFlowSummary) any { return &s.ExpenseCount }},
	{names: []string{"支出金额"}, field: func(s *FundFlowSummary) any { return &s.ExpenseAmount }},
}
