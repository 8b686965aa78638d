package wxpay

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// request is the business fields of a request as an endpoint method
// builds them, validated as they are added: the first invalid field
// sticks as err, and nothing is sent.
type request struct {
	fields []wire.Field
	err    error
}

// builder is a typed request: build adds its fields to b. It is called
// on a non-nil receiver.
type builder interface{ build(b *request) }

// send is what a typed endpoint method does: validate its request into
// wire fields, run the pipeline, type the verified answer.
func send[T any, P interface {
	*T
	builder
}, A any](ctx context.Context, c *Client, ep endpoint, r P, answer func(Params) (A, error)) (A, error) {
	var zero A
	if err := c.ready(); err != nil {
		return zero, err
	}
	fields, err := build[T](r)
	if err != nil {
		return zero, err
	}
	p, err := c.call(ctx, ep, fields)
	if err != nil {
		return zero, err
	}
	return answer(p)
}

// build validates r and returns its fields; a nil r is a *ValidationError.
func build[T any, P interface {
	*T
	builder
}](r P) ([]wire.Field, error) {
	if r == nil {
		return nil, &ValidationError{Field: "request", Reason: "is nil"}
	}
	b := request{fields: make([]wire.Field, 0, 16)} // room for most requests' fields
	r.build(&b)
	return b.fields, b.err
}

// fail records the first invalid field.
func (b *request) fail(field, reason string) {
	if b.err == nil {
		b.err = &ValidationError{Field: field, Reason: reason}
	}
}

// set adds a field as it is; an empty value is not sent.
func (b *request) set(name, value string) {
	if value != "" {
		b.fields = append(b.fields, wire.Field{Name: name, Value: value})
	}
}

// text adds an optional field of at most max characters.
func (b *request) text(name, value string, max int) {
	if n := utf8.RuneCountInString(value); n > max {
		b.fail(name, fmt.Sprintf("has %d characters, at most %d allowed", n, max))
	}
	b.set(name, value)
}

// need adds a required field of at most max characters.
func (b *request) need(name, value string, max int) {
	if value == "" {
		b.fail(name, "is required")
	}
	b.text(name, value, max)
}

// fen adds a required amount in fen, which must be positive.
func (b *request) fen(name string, fen int64) {
	if fen <= 0 {
		b.fail(name, fmt.Sprintf("is %d fen, must be positive", fen))
	}
	b.set(name, strconv.FormatInt(fen, 10))
}

// number adds a whole number that is sent when it is not 0.
func (b *request) number(name string, n int64) {
	if n < 0 {
		b.fail(name, fmt.Sprintf("is %d, must not be negative", n))
	}
	if n != 0 {
		b.set(name, strconv.FormatInt(n, 10))
	}
}

// time adds a Beijing time as yyyyMMddHHmmss; the zero time is not sent.
func (b *request) time(name string, t time.Time) { b.set(name, formatTime(t)) }

// oneOf adds the first of the given ids that is set, with its documented
// length: the ids are listed in WeChat's order of precedence, so the one
// sent is the one WeChat would have used. None set is an error naming
// them all.
func (b *request) oneOf(ids ...textField) {
	for _, id := range ids {
		if id.value != "" {
			b.text(id.name, id.value, id.max)
			return
		}
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.name
	}
	b.fail(strings.Join(names, " or "), "is required")
}

// textField is a request field with its documented String(max) length.
type textField struct {
	name  string // wire name
	value string
	max   int
}

// orderIDs are the two ids of an order, in WeChat's order of preference.
func orderIDs(transactionID, outTradeNo string) []textField {
	return []textField{{"transaction_id", transactionID, 32}, {"out_trade_no", outTradeNo, 32}}
}

// outNo checks a merchant-chosen number (out_trade_no, out_refund_no,
// mch_billno, ...): min to max characters of [0-9A-Za-z_-|*@], the set
// WeChat documents. The field must have been added.
func (b *request) outNo(name, v string, min, max int) {
	if v == "" {
		return // need reported it
	}
	if len(v) < min || len(v) > max {
		b.fail(name, fmt.Sprintf("must have %d to %d characters, not %d", min, max, len(v)))
		return
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			c == '_' || c == '-' || c == '|' || c == '*' || c == '@') {
			b.fail(name, "may hold only 0-9, A-Z, a-z and _-|*@")
			return
		}
	}
}

// notifyURL checks that a notify URL, if one is set, can work: WeChat
// needs an absolute http(s) URL and drops notifies for one with a query.
func (b *request) notifyURL(name, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "" || u.User != nil:
		b.fail(name, "is not an absolute URL with a host")
	case u.Scheme != "https" && u.Scheme != "http":
		b.fail(name, "must be an http or https URL")
	case u.RawQuery != "" || u.ForceQuery:
		b.fail(name, "must not have a query string")
	case u.Fragment != "" || u.RawFragment != "":
		b.fail(name, "must not have a fragment")
	}
}

// ip checks that v is an IPv4 or IPv6 address without a zone.
func (b *request) ip(name, v string) {
	if v == "" {
		return
	}
	if a, err := netip.ParseAddr(v); err != nil || a.Zone() != "" {
		b.fail(name, "is not an IPv4 or IPv6 address")
	}
}

// json checks that v, if set, is valid JSON.
func (b *request) json(name, v string) {
	if v != "" && !json.Valid([]byte(v)) {
		b.fail(name, "is not valid JSON")
	}
}

// marshal adds v encoded as JSON, for the JSON-in-XML fields.
func (b *request) marshal(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		b.fail(name, "cannot be encoded as JSON: "+err.Error())
		return
	}
	b.set(name, string(data))
}

// oneOfValues checks that v, if set, is one of the allowed values.
func (b *request) oneOfValues(name, v string, allowed ...string) {
	if v == "" {
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	b.fail(name, fmt.Sprintf("is %q, must be one of %s", v, strings.Join(allowed, ", ")))
}

// encrypted checks that v looks like EncryptBankField's output (base64 of
// at least a 1024-bit RSA block), so that a card number sent in clear is
// refused before it leaves.
func (b *request) encrypted(name, v string) {
	b.need(name, v, 1024)
	if v == "" {
		return
	}
	if raw, err := base64.StdEncoding.DecodeString(v); err != nil || len(raw) < 128 {
		b.fail(name, "is not RSA ciphertext in base64: encrypt the value with EncryptBankField")
	}
}

// digits checks that v, if set, is a decimal number.
func (b *request) digits(name, v string) {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			b.fail(name, "must be a number")
			return
		}
	}
}
