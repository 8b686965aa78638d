package wxpay

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
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
	var out [sha256.Size * 2]byte
	n, err := appendSign(out[:0], p, apiKey, t)
	if err != nil {
		return "", err
	}
	return string(n), nil
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
	got := p["sign"]
	var t SignType
	if st, ok := p["sign_type"]; ok && st != "" {
		t = SignType(st)
		if !t.Valid() {
			return fmt.Errorf("%w: sign_type %q is not MD5 or HMAC-SHA256", ErrInvalidSign, st)
		}
	} else {
		switch len(got) {
		case md5.Size * 2:
			t = SignTypeMD5
		case sha256.Size * 2:
			t = SignTypeHMACSHA256
		case 0:
			return fmt.Errorf("%w: no sign field", ErrInvalidSign)
		default:
			return fmt.Errorf("%w: sign of length %d is neither MD5 nor HMAC-SHA256", ErrInvalidSign, len(got))
		}
	}
	return verifySignAs(p, apiKey, t)
}

// verifySignAs checks p's sign as a t signature, whatever p's sign_type
// says; the request pipeline uses it because WeChat signs a response with
// the type its request named.
func verifySignAs(p Params, apiKey string, t SignType) error {
	got := p["sign"]
	if got == "" {
		return fmt.Errorf("%w: no sign field", ErrInvalidSign)
	}
	if st := p["sign_type"]; st != "" && SignType(st) != t {
		return fmt.Errorf("%w: sign_type %q, expected %s", ErrInvalidSign, st, t)
	}
	var buf [sha256.Size * 2]byte
	want, err := appendSign(buf[:0], p, apiKey, t)
	if err != nil {
		return err
	}
	if !equalConstantTime(want, got) {
		return fmt.Errorf("%w: %s sign does not match", ErrInvalidSign, t)
	}
	return nil
}

// hmacBlock is the block size of SHA-256, and so of its HMAC pads.
const hmacBlock = 64

// appendSign appends the upper-case hex signature of p to dst.
//
// The canonical string is built once in a buffer whose first hmacBlock
// bytes are left free: HMAC-SHA256 puts the inner pad there and hashes
// buffer and pads with sha256.Sum256, so neither digest allocates or needs
// pooled state. For the small messages of the v2 API the key list and the
// buffer live on the stack.
func appendSign(dst []byte, p Params, apiKey string, t SignType) ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSignType, string(t))
	}
	var keyArr [48]string
	keys := keyArr[:0]
	size := hmacBlock + len("&key=") + len(apiKey)
	for k, v := range p {
		if v == "" || k == "sign" {
			continue
		}
		keys = append(keys, k)
		size += len(k) + len(v) + 2
	}
	slices.Sort(keys)

	var bufArr [2048]byte
	buf := bufArr[:0]
	if size > len(bufArr) {
		buf = make([]byte, 0, size)
	}
	buf = buf[:hmacBlock]
	for _, k := range keys {
		buf = append(buf, k...)
		buf = append(buf, '=')
		buf = append(buf, p[k]...)
		buf = append(buf, '&')
	}
	buf = append(buf, "key="...)
	buf = append(buf, apiKey...)

	if t == SignTypeMD5 {
		sum := md5.Sum(buf[hmacBlock:])
		return appendUpperHex(dst, sum[:]), nil
	}
	sum := hmacSHA256(buf, apiKey)
	return appendUpperHex(dst, sum[:]), nil
}

// equalConstantTime reports whether a and b are equal, in time that depends
// on their lengths only.
func equalConstantTime(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}

// hmacSHA256 returns HMAC-SHA256(key, msg[hmacBlock:]), using msg's first
// hmacBlock bytes as scratch space for the inner pad.
func hmacSHA256(msg []byte, key string) [sha256.Size]byte {
	var k [hmacBlock]byte
	if len(key) > hmacBlock {
		sum := sha256.Sum256([]byte(key))
		copy(k[:], sum[:])
	} else {
		copy(k[:], key)
	}
	for i := range hmacBlock {
		msg[i] = k[i] ^ 0x36
	}
	inner := sha256.Sum256(msg)
	var outer [hmacBlock + sha256.Size]byte
	for i := range hmacBlock {
		outer[i] = k[i] ^ 0x5c
	}
	copy(outer[hmacBlock:], inner[:])
	return sha256.Sum256(outer[:])
}

func appendUpperHex(dst, src []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, b := range src {
		dst = append(dst, digits[b>>4], digits[b&0x0f])
	}
	return dst
}
