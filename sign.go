package wxpay

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sync"
	"sync/atomic"
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

// appendSign appends the upper-case hex signature of p to dst.
//
// The fields are sorted on the stack and the canonical string is built
// once in a pooled buffer, then hashed with md5.Sum or a keyed HMAC state
// reused from a per-key pool, so that signing allocates nothing but its
// result.
func appendSign(dst []byte, p Params, apiKey string, t SignType) ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSignType, string(t))
	}
	var arr [fieldsOnStack]field
	fields, size := sortFields(arr[:0], p, true)
	s := scratchPool.Get().(*scratch)
	defer s.release()
	return s.appendSign(dst, fields, size, apiKey, t, false), nil
}

// appendSign appends the signature of the sorted fields, which take size
// bytes as name=value&, to dst. With filter, it leaves out "sign" and
// empty values, which sortFields has otherwise left out already.
func (s *scratch) appendSign(dst []byte, fields []field, size int, apiKey string, t SignType, filter bool) []byte {
	buf := slices.Grow(s.buf[:0], size+len("key=")+len(apiKey))
	for i := range fields {
		f := &fields[i]
		if filter && (f.v == "" || f.k == "sign") {
			continue
		}
		buf = append(buf, f.k...)
		buf = append(buf, '=')
		buf = append(buf, f.v...)
		buf = append(buf, '&')
	}
	buf = append(buf, "key="...)
	buf = append(buf, apiKey...)
	s.buf = buf

	if t == SignTypeMD5 {
		sum := md5.Sum(buf)
		return appendUpperHex(dst, sum[:])
	}
	h := hmacPool(apiKey)
	m := h.Get().(hash.Hash)
	m.Reset()
	m.Write(buf)
	sum := m.Sum(s.sum[:0]) // into s, so that the sum does not escape to the heap
	h.Put(m)
	return appendUpperHex(dst, sum)
}

// scratch is the reusable heap memory of signing: the canonical string
// goes to hash.Hash.Write, an interface call, so it cannot live on the
// stack.
type scratch struct {
	buf []byte
	sum [sha256.Size]byte
}

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 1024)} }}

// release returns s to the pool, unless an unusually large message made
// it grow: one such message should not pin its memory for good.
func (s *scratch) release() {
	if cap(s.buf) <= 64<<10 {
		scratchPool.Put(s)
	}
}

// fieldsOnStack is how many fields the callers of sortFields sort in an
// array on their stack: more than any v2 message but the largest refund
// queries has, and sorting on the stack costs no GC write barriers.
const fieldsOnStack = 40

// field is one name=value pair of a message, with the first eight bytes
// of its name as a big-endian number to sort by: zero-padding short names
// keeps the numbers' order consistent with the names', and equal prefixes
// fall back to the names.
type field struct {
	pre  uint64
	k, v string
}

func (f *field) less(g *field) bool {
	if f.pre != g.pre {
		return f.pre < g.pre
	}
	return f.k < g.k
}

// namePrefix returns the first eight bytes of k, zero-padded, as a
// big-endian number.
func namePrefix(k string) uint64 {
	if len(k) >= 8 {
		return binary.BigEndian.Uint64([]byte(k[:8]))
	}
	var pre uint64
	for i := 0; i < len(k); i++ {
		pre |= uint64(k[i]) << (56 - 8*i)
	}
	return pre
}

// sortFields appends p's fields to dst in byte order of their names,
// leaving out "sign" and empty values if skipEmpty, and returns them with
// the bytes they take as name=value&.
func sortFields(dst []field, p Params, skipEmpty bool) ([]field, int) {
	size := 0
	for k, v := range p {
		if skipEmpty && (v == "" || k == "sign") {
			continue
		}
		dst = append(dst, field{namePrefix(k), k, v})
		size += len(k) + len(v) + 2
	}
	// Insertion sort: v2 messages have a few dozen fields, where it beats
	// the general sort; the prefixes make most comparisons one instruction.
	for i := 1; i < len(dst); i++ {
		x := dst[i]
		j := i
		for ; j > 0 && x.less(&dst[j-1]); j-- {
			dst[j] = dst[j-1]
		}
		dst[j] = x
	}
	return dst, size
}

// hmacPools holds, per API key, a pool of HMAC-SHA256 states already
// keyed: Reset on a keyed state restores it without rehashing the pads.
// A process signs with a handful of keys; past maxHMACKeys the cache stops
// growing and further keys get a fresh state each time.
var (
	hmacPools   sync.Map // string → *sync.Pool
	hmacKeys    atomic.Int32
	maxHMACKeys = int32(256)
)

// lastHMAC remembers the most recent key's pool: a process nearly always
// signs with one key, and comparing it is cheaper than hashing it.
var lastHMAC atomic.Pointer[hmacEntry]

type hmacEntry struct {
	key  string
	pool *sync.Pool
}

func hmacPool(key string) *sync.Pool {
	if e := lastHMAC.Load(); e != nil && e.key == key {
		return e.pool
	}
	if p, ok := hmacPools.Load(key); ok {
		lastHMAC.Store(&hmacEntry{key, p.(*sync.Pool)})
		return p.(*sync.Pool)
	}
	p := &sync.Pool{New: func() any { return hmac.New(sha256.New, []byte(key)) }}
	if hmacKeys.Load() >= maxHMACKeys {
		return p
	}
	if q, loaded := hmacPools.LoadOrStore(key, p); loaded {
		return q.(*sync.Pool)
	}
	hmacKeys.Add(1)
	return p
}

func appendUpperHex(dst, src []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, b := range src {
		dst = append(dst, digits[b>>4], digits[b&0x0f])
	}
	return dst
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
