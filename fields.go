package wxpay

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Beijing is the fixed UTC+8 zone of every time in the v2 API. A fixed
// zone, so that no tzdata is needed and China's lack of DST holds by
// construction.
var Beijing = time.FixedZone("CST", 8*60*60)

// The two time layouts of the v2 API.
const (
	timeLayoutCompact = "20060102150405"      // time_start, time_expire, time_end
	timeLayoutDash    = "2006-01-02 15:04:05" // success_time, refund_success_time_$n
)

var (
	errNotFen  = errors.New("not a whole, non-negative number of fen")
	errTooLong = errors.New("amount overflows int64")
)

// parseFen parses an amount in fen strictly: decimal digits only, no sign,
// no spaces, no overflow. An absent or empty field is 0.
func parseFen(p Params, field string) (int64, error) {
	s := p[field]
	if s == "" {
		return 0, nil
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, &FieldError{Field: field, Value: s, Err: errNotFen}
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return 0, &FieldError{Field: field, Value: s, Err: errTooLong}
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// parseCount parses a *_count field, capped so that a message cannot make
// us allocate more entries than it has fields.
func parseCount(p Params, field string) (int, error) {
	n, err := parseFen(p, field)
	if err != nil {
		return 0, err
	}
	if n > int64(len(p)) {
		n = int64(len(p))
	}
	return int(n), nil
}

// parseTime parses a Beijing time field in layout; absent or empty is the
// zero time.
func parseTime(p Params, field, layout string) (time.Time, error) {
	s := p[field]
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(layout, s, Beijing)
	if err != nil {
		return time.Time{}, &FieldError{Field: field, Value: s, Err: errors.New("not a time in the form " + layout)}
	}
	return t, nil
}

// formatTime writes t in Beijing time as yyyyMMddHHmmss; the zero time is
// the empty string, which leaves the field out of the request.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Beijing).Format(timeLayoutCompact)
}

// formatFen writes an amount in fen; 0 stays "0" because it is a value.
func formatFen(n int64) string { return strconv.FormatInt(n, 10) }

// suffixes are the "_$n" of the first items of an indexed list.
var suffixes = func() (s [20]string) {
	for i := range s {
		s[i] = "_" + strconv.Itoa(i)
	}
	return s
}()

// indexed builds a slice from the fields name_$n (suffix "_$n", n counting
// from 0) of p, with count items as the count field says. An index for
// which none of the probe fields is present is a gap and is skipped, as
// WeChat sometimes leaves one out. Without a count field, indexes are read
// from 0 until the first gap, as in old messages.
func indexed[T any](p Params, countField, prefix string, probe []string, item func(suffix string) (T, error)) ([]T, error) {
	n, err := parseCount(p, countField)
	if err != nil {
		return nil, err
	}
	_, counted := p[countField]
	if !counted {
		n = len(p)
	}
	var out []T
	var buf [24]byte
	for i := 0; i < n; i++ {
		var suffix string
		if prefix == "" && i < len(suffixes) {
			suffix = suffixes[i] // no allocation for the common counts
		} else {
			suffix = string(strconv.AppendInt(append(append(buf[:0], prefix...), '_'), int64(i), 10))
		}
		present := false
		for _, f := range probe {
			if _, ok := p[f+suffix]; ok {
				present = true
				break
			}
		}
		if !present {
			if !counted {
				break
			}
			continue
		}
		v, err := item(suffix)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = make([]T, 0, n-i)
		}
		out = append(out, v)
	}
	return out, nil
}

// fieldReader converts the fields of a verified message into typed
// values, keeping the first error, so that a response type is filled in
// one readable composite literal.
type fieldReader struct {
	p   Params
	err error
}

func (r *fieldReader) fen(field string) int64 {
	n, err := parseFen(r.p, field)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n
}

func (r *fieldReader) time(field, layout string) time.Time {
	t, err := parseTime(r.p, field, layout)
	if err != nil && r.err == nil {
		r.err = err
	}
	return t
}

// Coupon is one coupon or discount used in a payment: the coupon_type_$n,
// coupon_id_$n and coupon_fee_$n fields of a notify or an order query.
type Coupon struct {
	Type string // "CASH" (recharge) or "NO_CASH"; WeChat sometimes leaves it out
	ID   string
	Fee  int64 // fen
}

// parseCoupons reads the coupon_*_$n fields, driven by coupon_count.
func parseCoupons(p Params) ([]Coupon, error) {
	return indexed(p, "coupon_count", "", []string{"coupon_id", "coupon_fee", "coupon_type"}, func(s string) (Coupon, error) {
		r := fieldReader{p: p}
		c := Coupon{Type: p["coupon_type"+s], ID: p["coupon_id"+s], Fee: r.fen("coupon_fee" + s)}
		return c, r.err
	})
}

// required returns a *ValidationError for the first of the named fields of
// p that is empty.
func required(p Params, fields ...string) error {
	for _, f := range fields {
		if p[f] == "" {
			return &ValidationError{Field: f, Reason: "is required"}
		}
	}
	return nil
}

// checkLen returns a *ValidationError when v, the value of field, has
// more than n characters. Limits are the documented String(n), taking the
// larger of the values different pages give.
func checkLen(field, v string, n int) error {
	if len(v) <= n { // never more characters than bytes; small enough to inline
		return nil
	}
	return checkRuneCount(field, v, n)
}

func checkRuneCount(field, v string, n int) error {
	if l := utf8.RuneCountInString(v); l > n {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("has %d characters, at most %d allowed", l, n)}
	}
	return nil
}
