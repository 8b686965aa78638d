package wxpay

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"sync"

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
	var buf [64]byte
	return string((&signer{key: apiKey}).sign(buf[:0], sortedFields(p), t)), nil
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
	return (&signer{key: apiKey}).verify(p, sortedFields(p), "")
}

// sortedFields returns p's fields in name order.
func sortedFields(p Params) []wire.Field {
	fields := make([]wire.Field, 0, len(p))
	for k, v := range p {
		fields = append(fields, wire.Field{Name: k, Value: v})
	}
	wire.Sort(fields)
	return fields
}

// signer signs and verifies with one key. It keeps keyed HMAC-SHA256
// states, which Reset restores without rehashing the key's pads, and the
// buffers canonical strings are built in: both hold key material, so a
// signer belongs to one Client and dies with it. A signer that is not
// made by newSigner has no pools, for the one-off Sign and VerifySign: a
// fresh sync.Pool costs more to set up than it would save.
type signer struct {
	key   string
	hmacs sync.Pool // hash.Hash, keyed with key
	bufs  sync.Pool // *[]byte

	aesOnce sync.Once // the refund notify's req_info cipher, derived from key
	aes     cipher.Block
	aesErr  error
}

func newSigner(key string) *signer {
	s := &signer{key: key}
	s.hmacs.New = func() any { return hmac.New(sha256.New, []byte(key)) }
	s.bufs.New = func() any { b := make([]byte, 0, 1024); return &b }
	return s
}

// sign appends the signature of sorted, in name order, to dst.
func (s *signer) sign(dst []byte, sorted []wire.Field, t SignType) []byte {
	if s.bufs.New == nil {
		msg := wire.AppendCanonical(nil, sorted, s.key)
		if t == SignTypeMD5 {
			dst = wire.AppendMD5(dst, msg)
		} else {
			dst = wire.AppendHMAC(dst, hmac.New(sha256.New, []byte(s.key)), msg)
		}
		clear(msg)
		return dst
	}
	bp := s.bufs.Get().(*[]byte)
	msg := wire.AppendCanonical((*bp)[:0], sorted, s.key)
	if t == SignTypeMD5 {
		dst = wire.AppendMD5(dst, msg)
	} else {
		h := s.hmacs.Get().(hash.Hash)
		dst = wire.AppendHMAC(dst, h, msg)
		s.hmacs.Put(h)
	}
	clear(msg) // the key is in it
	if cap(msg) <= 64<<10 {
		*bp = msg[:0]
		s.bufs.Put(bp)
	}
	return dst
}

// verify checks the sign of p, whose fields sorted holds in name order,
// with t, or when t is "" with the type p's sign_type names or else the
// one the sign's length says.
func (s *signer) verify(p Params, sorted []wire.Field, t SignType) error {
	got := p["sign"]
	if got == "" {
		return fmt.Errorf("%w: no sign field", ErrInvalidSign)
	}
	if st := p["sign_type"]; st != "" {
		if t == "" {
			t = SignType(st)
		}
		if !t.Valid() || SignType(st) != t {
			return fmt.Errorf("%w: sign_type %q, expected %s", ErrInvalidSign, st, t)
		}
	}
	if t == "" {
		switch len(got) {
		case 32:
			t = SignTypeMD5
		case 64:
			t = SignTypeHMACSHA256
		default:
			return fmt.Errorf("%w: sign of length %d is neither MD5 nor HMAC-SHA256", ErrInvalidSign, len(got))
		}
	}
	var buf [64]byte
	if want := s.sign(buf[:0], sorted, t); subtle.ConstantTimeCompare(want, []byte(got)) != 1 {
		return fmt.Errorf("%w: %s sign does not match", ErrInvalidSign, t)
	}
	return nil
}
