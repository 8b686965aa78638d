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

// quickTime reads s, written in layout, one of the two above, as Beijing
// time when it is exactly in that form and names a date and time that
// exist, as nearly every value is. It reports false for anything else,
// to be left to time.ParseInLocation, which takes several times longer
// on these forms and accepts a few more (fractional seconds).
func quickTime(s, layout string) (time.Time, bool) {
	var at [6]int // where year, month, day, hour, minute and second start
	switch {
	case layout == timeLayoutDash && len(s) == len(layout) &&
		s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':':
		at = [6]int{0, 5, 8, 11, 14, 17}
	case layout == timeLayoutCompact && len(s) == len(layout):
		at = [6]int{0, 4, 6, 8, 10, 12}
	default:
		return time.Time{}, false
	}
	ok := true
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			ok = ok && '0' <= c && c <= '9'
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(at[0], 4), num(at[1], 2), num(at[2], 2), num(at[3], 2), num(at[4], 2), num(at[5], 2)
	if !ok || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, beijing), true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

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
