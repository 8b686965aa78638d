package wxpay

import (
	"errors"
	"strings"
	"testing"
)

// TestHostileNotifies names each hostile payment notify and the error it
// must meet. The client signs with MD5; WeChat may sign notifies either way.
func TestHostileNotifies(t *testing.T) {
	c := fuzzClient(t)
	with := func(edit func(Params)) Params {
		p := genuinePayNotify()
		edit(p)
		return p
	}
	md5Body := func(p Params) string { return string(signed(p, docKey, SignTypeMD5).AppendXML(nil)) }
	genuine := md5Body(genuinePayNotify())
	// sign_type says HMAC-SHA256 but the sign is an MD5 one.
	mislabelled := genuinePayNotify()
	mislabelled["sign_type"] = "HMAC-SHA256"
	mislabelled["sign"], _ = Sign(mislabelled, docKey, SignTypeMD5)
	// The reverse: says MD5, signed with HMAC-SHA256.
	mislabelled2 := genuinePayNotify()
	mislabelled2["sign_type"] = "MD5"
	mislabelled2["sign"], _ = Sign(mislabelled2, docKey, SignTypeHMACSHA256)

	tests := []struct {
		name string
		body string
		want error // nil: accepted
	}{
		{"genuine MD5", genuine, nil},
		{"authentic, other sign type than the client's", string(signed(genuinePayNotify(), docKey, SignTypeHMACSHA256).AppendXML(nil)), nil},
		{"authentic HMAC with sign_type", string(signed(with(func(p Params) { p["sign_type"] = "HMAC-SHA256" }), docKey, SignTypeHMACSHA256).AppendXML(nil)), nil},
		{"sign_type HMAC, signed MD5", string(mislabelled.AppendXML(nil)), ErrInvalidSign},
		{"sign_type MD5, signed HMAC", string(mislabelled2.AppendXML(nil)), ErrInvalidSign},
		{"valid sign, another appid", md5Body(with(func(p Params) { p["appid"] = "wx1111111111111111" })), ErrMerchantMismatch},
		{"valid sign, another mch_id", md5Body(with(func(p Params) { p["mch_id"] = "1900000109" })), ErrMerchantMismatch},
		{"no sign", string(genuinePayNotify().AppendXML(nil)), ErrInvalidSign},
		{"wrong key", string(signed(genuinePayNotify(), "0123456789abcdef0123456789abcdef", SignTypeMD5).AppendXML(nil)), ErrInvalidSign},
		{"repeated total_fee, signed value first", strings.Replace(genuine, "</xml>", "<total_fee>1</total_fee></xml>", 1), ErrMalformedXML},
		{"repeated total_fee, attacker value first", strings.Replace(genuine, "<xml>", "<xml><total_fee>1</total_fee>", 1), ErrMalformedXML},
		{"doctype with entities", `<!DOCTYPE xml [<!ENTITY fee "888">]>` + genuine, ErrMalformedXML},
		{"external entity", strings.Replace(genuine, "<xml>", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>`, 1), ErrMalformedXML},
		{"nested element", strings.Replace(genuine, "<attach>", "<attach><x>1</x>", 1), ErrMalformedXML},
		{"non-UTF-8", strings.Replace(genuine, "门店", "\xc3\x28", 1), ErrMalformedXML},
		{"huge", "<xml><a>" + strings.Repeat("a", MaxBodySize) + "</a></xml>", ErrBodyTooLarge},
		{"fee not an integer", md5Body(with(func(p Params) { p["total_fee"] = "8.88" })), errNotFen},
		{"fee negative", md5Body(with(func(p Params) { p["total_fee"] = "-888" })), errNotFen},
		{"fee with plus sign", md5Body(with(func(p Params) { p["total_fee"] = "+888" })), errNotFen},
		{"fee with spaces", md5Body(with(func(p Params) { p["total_fee"] = " 888" })), errNotFen},
		{"fee overflows int64", md5Body(with(func(p Params) { p["total_fee"] = "9223372036854775808" })), errTooLong},
		{"coupon fee overflows", md5Body(with(func(p Params) { p["coupon_fee_1"] = "99999999999999999999" })), errTooLong},
		{"coupon_count absurd", md5Body(with(func(p Params) { p["coupon_count"] = "99999999999" })), nil},
		{"time_end malformed", md5Body(with(func(p Params) { p["time_end"] = "2015-08-06" })), &FieldError{}},
		{"return_code FAIL", `<xml><return_code>FAIL</return_code><return_msg>x</return_msg></xml>`, &Error{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := c.ParsePayNotify([]byte(tt.body))
			switch want := tt.want.(type) {
			case nil:
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if n.TotalFee != 888 || len(n.Coupons) != 2 {
					t.Errorf("parsed %+v", n)
				}
			case *FieldError:
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Errorf("err = %v, want a *FieldError", err)
				}
			case *Error:
				var we *Error
				if !errors.As(err, &we) {
					t.Errorf("err = %v, want an *Error", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want %v", err, want)
				}
			}
		})
	}
}
