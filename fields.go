package wxpay

import (
	"fmt"
	"strings"
	"time"
)

// beijing is the fixed UTC+8 zone of every time in the v2 API: a fixed
// zone, so that no tzdata is needed and China's lack of DST holds by
// construction.
var beijing = time.FixedZone("CST", 8*60*60)

// Beijing returns the fixed UTC+8 zone every time of the v2 API is in.
// Times this package returns are in it; times it is given may be in any
// zone and are converted.
func Beijing() *time.Location { return beijing }

// The two time layouts of the v2 API.
const (
	timeLayoutCompact = "20060102150405"      // time_start, time_expire, time_end
	timeLayoutDash    = "2006-01-02 15:04:05" // success_time, refund_success_time_$n
)

// formatTime writes t in Beijing time as yyyyMMddHHmmss; the zero time is
// the empty string, which leaves the field out of the request.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(beijing).Format(timeLayoutCompact)
}

// ParseYuan parses an amount in yuan, as bills and people write it
// ("6.00", "0.5", "-0.01", "12"), into fen exactly: decimal arithmetic,
// never floating point, so "0.29" is 29 fen. More than two decimals
// (other than trailing zeros), anything but digits, one point and a
// leading sign, and amounts that overflow int64 are errors.
func ParseYuan(s string) (int64, error) {
	if s == "" || strings.TrimSpace(s) != s {
		return 0, fmt.Errorf("wxpay: ParseYuan(%q): %w", s, errNotYuan)
	}
	n, err := parseDecimal(s, 2)
	if err != nil {
		return 0, fmt.Errorf("wxpay: ParseYuan(%q): %w", s, err)
	}
	return n, nil
}

// FormatYuan writes an amount in fen as yuan with two decimals, the way
// bills write amounts: 600 is "6.00", -1 is "-0.01". ParseYuan reads it
// back exactly.
func FormatYuan(fen int64) string { return formatDecimal(fen, 2) }
