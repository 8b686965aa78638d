package wxpay

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// checkAnswer applies WeChat's order of checks to an answer p to a
// request of ep signed with st: envelope, signature, merchant, then
// business result. Nothing but return_code and return_msg is read before
// the signature is verified. sorted holds p's fields in name order.
func (c *Client) checkAnswer(ep endpoint, p Params, sorted []wire.Field, s *signer, st SignType) (Params, error) {
	switch p["return_code"] {
	case "SUCCESS":
	case "":
		return nil, fmt.Errorf("%w: response has no return_code", ErrMalformedXML)
	default:
		// error_code: downloadbill's name for it.
		return nil, &Error{ReturnCode: p["return_code"], ReturnMsg: p["return_msg"], ErrCode: p["error_code"]}
	}
	signed := !ep.unsigned || p["sign"] != ""
	if signed {
		if err := s.verify(p, sorted, st); err != nil {
			return nil, fmt.Errorf("response: %w", err)
		}
	}
	if !ep.anyMerchant {
		if err := c.checkMerchant(p, ep.appID(), ep.mchID()); err != nil {
			return nil, err
		}
	}
	if p["result_code"] == "FAIL" {
		return nil, &Error{
			ReturnCode: "SUCCESS", ReturnMsg: p["return_msg"], ResultCode: ResultFail,
			ErrCode: p["err_code"], ErrCodeDes: p["err_code_des"], Raw: p,
		}
	}
	return p, nil
}

// checkMerchant rejects a message addressed to another app, merchant or
// sub-merchant, read from the fields appField and mchField ("-" for
// none). A field that is absent is not checked, as not every message
// carries every one (the sandbox key answer has no appid, and not every
// answer in service-provider mode echoes sub_mch_id).
func (c *Client) checkMerchant(p Params, appField, mchField string) error {
	for _, f := range [...]struct{ name, want string }{
		{appField, c.appID}, {mchField, c.mchID}, {"sub_mch_id", c.subMchID}, {"sub_appid", c.subAppID},
	} {
		if f.name == "-" || f.want == "" {
			continue
		}
		if v, ok := p[f.name]; ok && v != f.want {
			return fmt.Errorf("%w: %s %q, expected %q", ErrMerchantMismatch, f.name, v, f.want)
		}
	}
	return nil
}

var errFieldMissing = errors.New("missing")

// present returns a *FieldError for the first of the named fields that
// a received message lacks or leaves empty.
func present(p Params, fields ...string) error {
	for _, f := range fields {
		if p[f] == "" {
			return &FieldError{Field: f, Err: errFieldMissing}
		}
	}
	return nil
}

// fieldReader converts the fields of a verified message into typed
// values, keeping the first error, so that a response type is filled in
// one readable composite literal.
type fieldReader struct {
	p   Params
	err error
}

func (r *fieldReader) keep(err error) {
	if err != nil && r.err == nil {
		r.err = err
	}
}

// fen reads an amount in fen; absent or empty is 0.
func (r *fieldReader) fen(field string) int64 {
	n, err := parseFen(r.p, field)
	r.keep(err)
	return n
}

// int reads a count or other whole number; absent or empty is 0.
func (r *fieldReader) int(field string) int {
	n, err := parseFen(r.p, field)
	r.keep(err)
	return int(min(n, 1<<31-1))
}

// time reads a Beijing time in layout; absent or empty is the zero time.
func (r *fieldReader) time(field, layout string) time.Time {
	t, err := parseTime(r.p, field, layout)
	r.keep(err)
	return t
}

// parseFen parses an amount in fen strictly: decimal digits only, no sign,
// no spaces, no overflow. An absent or empty field is 0.
func parseFen(p Params, field string) (int64, error) {
	s := p[field]
	if s == "" {
		return 0, nil
	}
	n, err := parseDigits(s)
	if err != nil {
		return 0, &FieldError{Field: field, Value: s, Err: err}
	}
	return n, nil
}

var (
	errNotFen  = errors.New("not a whole, non-negative number of fen")
	errTooLong = errors.New("amount overflows int64")
)

func parseDigits(s string) (int64, error) {
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, errNotFen
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return 0, errTooLong
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
	return int(min(n, int64(len(p)))), nil
}

// parseTime parses a Beijing time field in layout; absent or empty is the
// zero time.
func parseTime(p Params, field, layout string) (time.Time, error) {
	s := p[field]
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := quickTime(s, layout); ok {
		return t, nil
	}
	t, err := time.ParseInLocation(layout, s, beijing)
	if err != nil {
		return time.Time{}, &FieldError{Field: field, Value: s, Err: errors.New("not a time in the form " + layout)}
	}
	return t, nil
}

// indexed builds a slice from the fields name_$n (suffix "_$n", n counting
// from 0) of p, with as many items as the count field says. An index for
// which none of the probe fields is present is a gap and is skipped, as
// WeChat sometimes leaves one out. Without a count field, indexes are read
// from 0 until the first gap, as in old messages. prefix is put before
// the suffix, for nested lists: "_1" gives coupon_refund_fee_1_$m.
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
	for i := 0; i < n; i++ {
		suffix := prefix + "_" + strconv.Itoa(i)
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
		out = append(out, v)
	}
	return out, nil
}

// Coupon is one coupon or discount used in a payment: the coupon_type_$n,
// coupon_id_$n and coupon_fee_$n fields of a notify or an order query.
type Coupon struct {
	Type CouponType // CouponCash or CouponNoCash; WeChat sometimes leaves it out
	ID   string
	Fee  int64 // fen
}

// CouponType says whether a coupon was funded by the merchant's recharge
// (CASH) or not (NO_CASH).
type CouponType string

// The coupon types.
const (
	CouponCash   CouponType = "CASH"
	CouponNoCash CouponType = "NO_CASH"
)

// parseCoupons reads the coupon_*_$n fields, driven by coupon_count.
func parseCoupons(p Params) ([]Coupon, error) {
	return indexed(p, "coupon_count", "", []string{"coupon_id", "coupon_fee", "coupon_type"}, func(s string) (Coupon, error) {
		r := fieldReader{p: p}
		c := Coupon{Type: CouponType(p["coupon_type"+s]), ID: p["coupon_id"+s], Fee: r.fen("coupon_fee" + s)}
		return c, r.err
	})
}
