// Package printer renders order receipts for thermal printers, as plain
// text of 32 or 48 columns (58 mm and 80 mm paper) and as ESC/POS bytes,
// and delivers them to a printer webhook with an HMAC-SHA256 signature.
package printer

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/width"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// Widths of the paper the receipt is laid out for, in columns of the
// printer's ASCII font (a Chinese character takes two).
const (
	Width58mm = 32
	Width80mm = 48
)

// Receipt is an order's receipt, ready to print.
type Receipt struct {
	Text   string // plain text, lines of at most Width columns
	ESCPOS []byte // the same for an ESC/POS printer: GB18030 text, bold title, cut
	Width  int
}

// Render lays out the receipt of a paid order.
func Render(shop string, o *store.Order, w int) (*Receipt, error) {
	if w != Width58mm && w != Width80mm {
		return nil, fmt.Errorf("printer: width %d, want %d or %d", w, Width58mm, Width80mm)
	}
	var lines []string
	rule := strings.Repeat("-", w)
	add := func(s ...string) { lines = append(lines, s...) }
	add(center(shop, w), rule)
	add(wrap("订单号 "+o.OrderNumber, w)...)
	add(wrap("下单 "+o.DateAdd, w)...)
	if o.DatePay != "" {
		add(wrap("支付 "+o.DatePay, w)...)
	}
	add(rule)
	for _, l := range o.Lines {
		name := l.GoodsName
		if l.Property != "" {
			name += " (" + l.Property + ")"
		}
		add(wrap(name, w)...)
		add(spread(fmt.Sprintf("  %s × %d", yuan(int64(l.AmountSingle)), l.Number), yuan(int64(l.Amount)), w))
	}
	add(rule)
	if o.AmountLogistics > 0 {
		add(spread("运费", yuan(int64(o.AmountLogistics)), w))
	}
	add(spread("合计 "+fmt.Sprintf("%d 件", o.GoodsNumber), yuan(int64(o.AmountReal)), w))
	if o.WxPaid > 0 {
		add(spread("微信支付", yuan(int64(o.WxPaid)), w))
	}
	if bal := o.AmountReal - o.WxPaid; bal > 0 {
		add(spread("余额支付", yuan(int64(bal)), w))
	}
	if o.PeisongType == "zq" {
		add(rule, "到店自取")
		if o.HXNumber != "" {
			add(wrap("核销码 "+o.HXNumber, w)...)
		}
	} else if o.Address.LinkMan != "" || o.Address.Address != "" {
		add(rule)
		add(wrap(o.Address.LinkMan+" "+o.Address.Mobile, w)...)
		add(wrap(o.Address.Address, w)...)
	}
	if o.Remark != "" {
		add(rule)
		add(wrap("备注 "+o.Remark, w)...)
	}
	text := strings.Join(lines, "\n") + "\n"

	var b bytes.Buffer
	b.Write([]byte{0x1b, 0x40})       // ESC @: initialise
	b.Write([]byte{0x1c, 0x26})       // FS &: Chinese character mode
	b.Write([]byte{0x1b, 0x61, 0x01}) // ESC a 1: centre
	b.Write([]byte{0x1b, 0x45, 0x01}) // ESC E 1: bold
	if err := gb(&b, strings.TrimSpace(lines[0])+"\n"); err != nil {
		return nil, err
	}
	b.Write([]byte{0x1b, 0x45, 0x00}) // bold off
	b.Write([]byte{0x1b, 0x61, 0x00}) // left
	if err := gb(&b, strings.Join(lines[1:], "\n")+"\n"); err != nil {
		return nil, err
	}
	b.Write([]byte{0x1b, 0x64, 0x04})       // ESC d 4: feed four lines
	b.Write([]byte{0x1d, 0x56, 0x42, 0x00}) // GS V 66 0: partial cut
	return &Receipt{Text: text, ESCPOS: b.Bytes(), Width: w}, nil
}

// gb writes s in GB18030, the encoding of Chinese ESC/POS printers.
// Characters that cannot be printed become '?'.
func gb(b *bytes.Buffer, s string) error {
	enc := simplifiedchinese.GB18030.NewEncoder()
	out, err := enc.String(printable(s))
	if err != nil {
		return fmt.Errorf("printer: encoding: %w", err)
	}
	b.WriteString(out)
	return nil
}

// printable keeps newlines and replaces other control characters, which
// a printer would take for commands.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

// yuan formats fen as yuan with two decimals, "¥12.50".
func yuan(fen int64) string { return "¥" + wxpay.FormatYuan(fen) }

// cols is the printed width of s: wide (East Asian) characters take two
// columns.
func cols(s string) int {
	n := 0
	for _, r := range s {
		n += runeCols(r)
	}
	return n
}

func runeCols(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	if unicode.IsControl(r) {
		return 0
	}
	return 1
}

// wrap breaks s into lines of at most w columns.
func wrap(s string, w int) []string {
	s = strings.TrimSpace(strings.ReplaceAll(printable(s), "\n", " "))
	var out []string
	var cur strings.Builder
	n := 0
	for _, r := range s {
		c := runeCols(r)
		if n+c > w {
			out = append(out, cur.String())
			cur.Reset()
			n = 0
		}
		cur.WriteRune(r)
		n += c
	}
	if cur.Len() > 0 || len(out) == 0 {
		out = append(out, cur.String())
	}
	return out
}

// spread puts left and right on one line of w columns, right-aligned;
// on two when they do not fit together.
func spread(left, right string, w int) string {
	gap := w - cols(left) - cols(right)
	if gap < 1 {
		return strings.Join(wrap(left, w), "\n") + "\n" + strings.Repeat(" ", max(0, w-cols(right))) + right
	}
	return left + strings.Repeat(" ", gap) + right
}

// center centres s on a line of w columns (cut to w).
func center(s string, w int) string {
	s = wrap(s, w)[0]
	pad := (w - cols(s)) / 2
	return strings.Repeat(" ", pad) + s
}
