package wxpay

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// SignType names the digest a v2 message is signed with.
type SignType string

// The sign types of the v2 API. MD5 is WeChat's default when a request
// carries no sign_type field.
const (
	SignTypeMD5        SignType = "MD5"
	SignTypeHMACSHA256 SignType = "HMAC-SHA256"
)

// Valid reports whether t is one of the sign types WeChat Pay v2 defines.
func (t SignType) Valid() bool { return t == SignTypeMD5 || t == SignTypeHMACSHA256 }

var (
	// ErrInvalidSign is returned (possibly wrapped) when a message's sign is
	// missing or does not match the message and the API key.
	ErrInvalidSign = errors.New("wxpay: invalid sign")

	// ErrUnknownSignType is returned (possibly wrapped) for a sign type other
	// than SignTypeMD5 and SignTypeHMACSHA256.
	ErrUnknownSignType = errors.New("wxpay: unknown sign type")
)

// Sign returns the v2 signature of p under apiKey: the fields sorted by
// name in byte order, empty values and the "sign" field left out, joined as
// name=value with '&' (values neither URL- nor XML-escaped), "&key=" and the
// key appended, digested with t and written as upper-case hex.
//
// A "sign_type" field in p is an ordinary field here: it is signed when
// present and never consulted, so the caller decides t.
func Sign(p Params, apiKey string, t SignType) (string, error) {
	if !t.Valid() {
		return "", fmt.Errorf("%w: %q", ErrUnknownSignType, string(t))
	}
	var fields [32]wire.Field
	sorted := sortedFields(fields[:0], p)
	var sign [64]byte
	if t == SignTypeMD5 {
		var buf [1024]byte // on the stack: md5.Sum keeps nothing
		return string(wire.AppendMD5(sign[:0], wire.AppendCanonical(buf[:0], sorted, apiKey))), nil
	}
	msg := wire.AppendCanonical(make([]byte, 0, 1024), sorted, apiKey)
	return string(wire.AppendHMAC(sign[:0], hmac.New(sha256.New, []byte(apiKey)), msg)), nil
}

// VerifySign checks the "sign" field of p against every other non-empty
// field of p and apiKey. The sign type is p["sign_type"] when present;
// otherwise it is inferred from the sign's length (32 hex digits for MD5, 64
// for HMAC-SHA256), because WeChat leaves sign_type out of responses and
// payment notifies even for HMAC-SHA256 merchants. The comparison takes
// constant time and p is not modified.
//
// A missing, malformed or wrong sign gives an error for which
// errors.Is(err, ErrInvalidSign) is true.
func VerifySign(p Params, apiKey string) error {
	s := signer{key: apiKey}
	return s.verify(p, sortedFields(nil, p), "")
}

// sortedFields appends p's fields to dst and sorts them by name.
func sortedFields(dst []wire.Field, p Params) []wire.Field {
	fields := slices.Grow(dst, len(p))
	for k, v := range p {
		fields = append(fields, wire.Field{Name: k, Value: v})
	}
	wire.Sort(fields)
	return fields
}
