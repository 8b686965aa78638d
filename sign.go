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
	"math/bits"
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
	s := getScratch()
	defer s.release()
	s.collect(p)
	return s.verifySign(p, apiKey, "")
}

// verifySign checks p's sign against the fields of p that s holds, as
// collect or parseXML left them there: verifying right after parsing so
// spares iterating the map. t is the sign type to expect; "" means the
// one p names, or else the one the sign's length says.
func (s *scratch) verifySign(p Params, apiKey string, t SignType) error {
	got := p["sign"]
	if t == "" {
		var err error
		if t, err = namedSignType(p, got); err != nil {
			return err
		}
	}
	if got == "" {
		return fmt.Errorf("%w: no sign field", ErrInvalidSign)
	}
	if st := p["sign_type"]; st != "" && SignType(st) != t {
		return fmt.Errorf("%w: sign_type %q, expected %s", ErrInvalidSign, st, t)
	}
	s.sort()
	var buf [sha256.Size * 2]byte
	if !equalConstantTime(s.appendSign(buf[:0], apiKey, t), got) {
		return fmt.Errorf("%w: %s sign does not match", ErrInvalidSign, t)
	}
	return nil
}

// namedSignType returns the sign type of p, whose sign is got: the one
// p's sign_type names, or else the one the sign's length says.
func namedSignType(p Params, got string) (SignType, error) {
	if st := p["sign_type"]; st != "" {
		if t := SignType(st); t.Valid() {
			return t, nil
		}
		return "", fmt.Errorf("%w: sign_type %q is not MD5 or HMAC-SHA256", ErrInvalidSign, st)
	}
	switch len(got) {
	case md5.Size * 2:
		return SignTypeMD5, nil
	case sha256.Size * 2:
		return SignTypeHMACSHA256, nil
	case 0:
		return "", fmt.Errorf("%w: no sign field", ErrInvalidSign)
	}
	return "", fmt.Errorf("%w: sign of length %d is neither MD5 nor HMAC-SHA256", ErrInvalidSign, len(got))
}

// appendSign appends the upper-case hex signature of p to dst.
//
// The canonical string is built once in pooled scratch memory, then
// hashed with md5.Sum or a keyed HMAC state reused from a per-key pool,
// so that signing allocates nothing but its result.
func appendSign(dst []byte, p Params, apiKey string, t SignType) ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSignType, string(t))
	}
	s := getScratch()
	defer s.release()
	return s.appendMapSign(dst, p, apiKey, t), nil
}

// appendMapSign appends the signature of p to dst.
func (s *scratch) appendMapSign(dst []byte, p Params, apiKey string, t SignType) []byte {
	if !s.appendPairsByNames(p) {
		s.sortFields(p)
		s.keepNames()
		s.appendPairs()
	}
	return s.appendDigest(dst, apiKey, t)
}

// appendSign appends the signature of the fields sort left in s to dst.
func (s *scratch) appendSign(dst []byte, apiKey string, t SignType) []byte {
	s.appendPairs()
	return s.appendDigest(dst, apiKey, t)
}

// appendPairs puts the fields sortFields or sort left in s into s.buf as
// name=value&, leaving out "sign" and empty values.
func (s *scratch) appendPairs() {
	buf := slices.Grow(s.buf[:0], s.size)
	for _, o := range s.order {
		f := &s.fields[o&s.mask]
		buf = appendPair(buf, f.k, f.v)
	}
	s.buf = buf
}

// appendPair appends k=v& to buf, unless k is "sign" or v is empty.
func appendPair(buf []byte, k, v string) []byte {
	if v == "" || k == "sign" {
		return buf
	}
	buf = append(buf, k...)
	buf = append(buf, '=')
	buf = append(buf, v...)
	return append(buf, '&')
}

// maxNames is the most names keepNames keeps: messages are smaller, and a
// hostile one should not stay in the pool.
const maxNames = 64

// keepNames remembers the names of the map sortFields left in s, in
// order, for appendPairsByNames. Only Sign keeps names, not AppendXML: a
// caller signs a map and then encodes it with its sign added, and the
// two shapes would displace each other.
func (s *scratch) keepNames() {
	s.names = s.names[:0]
	if len(s.order) > maxNames {
		return
	}
	for _, o := range s.order {
		s.names = append(s.names, s.fields[o&s.mask].k)
	}
}

// appendPairsByNames is appendPairs for p when p's names are the ones
// keepNames last kept, and reports whether they were. A server signs
// maps of one shape, order after order: a lookup per name then replaces
// iterating the map and sorting, a third of signing. p has the kept
// names when it has as many names and each kept name is one of them, as
// the kept names are distinct.
func (s *scratch) appendPairsByNames(p Params) bool {
	if len(p) != len(s.names) {
		return false
	}
	buf := s.buf[:0]
	for _, k := range s.names {
		v, ok := p[k]
		if !ok {
			return false
		}
		buf = appendPair(buf, k, v)
	}
	s.buf = buf
	return true
}

// appendDigest appends to dst the signature of the pairs in s.buf under
// apiKey.
func (s *scratch) appendDigest(dst []byte, apiKey string, t SignType) []byte {
	buf := append(s.buf, "key="...)
	buf = append(buf, apiKey...)
	s.buf = buf

	if t == SignTypeMD5 {
		sum := md5.Sum(buf)
		return appendUpperHex(dst, sum[:])
	}
	if s.hmac == nil || s.hmacKey != apiKey {
		// A process nearly always signs with one key: the scratch keeps
		// the keyed state it last used, trading it with the per-key pools
		// only when the key changes.
		if s.hmac != nil {
			hmacPool(s.hmacKey).Put(s.hmac)
		}
		s.hmac, s.hmacKey = hmacPool(apiKey).Get().(hash.Hash), apiKey
	}
	s.hmac.Reset()
	s.hmac.Write(buf)
	sum := s.hmac.Sum(s.sum[:0]) // into s, so that the sum does not escape to the heap
	return appendUpperHex(dst, sum)
}

// scratch is the reusable memory of signing and encoding: a message's
// fields and their order, the canonical string (which goes to
// hash.Hash.Write, an interface call, so it cannot live on the stack) and
// the digest.
type scratch struct {
	fields []field  // a message's fields, in the map's order
	order  []uint64 // the fields by name: name prefix | index into fields
	mask   uint64   // the index bits of order's elements
	size   int      // the bytes the fields take as name=value&
	buf    []byte
	names  []string // the names of the map last signed, sorted: see keepNames
	sum    [sha256.Size]byte

	hmacKey string    // the key hmac is keyed with
	hmac    hash.Hash // an HMAC-SHA256 state from hmacPool(hmacKey), or nil
}

// field is one name=value pair of a message.
type field struct{ k, v string }

var scratchPool = sync.Pool{New: func() any {
	return &scratch{fields: make([]field, 0, 32), order: make([]uint64, 0, 32), buf: make([]byte, 0, 1024), names: make([]string, 0, 32)}
}}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// release returns s to the pool without the fields it holds, but with
// the names Sign kept, unless an unusually large message made it grow:
// one such message should not pin its memory for good.
func (s *scratch) release() {
	clear(s.fields)
	if cap(s.buf) <= 64<<10 && cap(s.fields) <= 1024 {
		scratchPool.Put(s)
	}
}

// sortFields collects p's fields into s in byte order of their names.
//
// It sorts integers rather than strings: each field is represented by the
// first bytes of its name as a big-endian number, with the field's index
// in the low bits. Most comparisons are then one instruction and
// insertion sort moves eight bytes; only names whose first bytes agree
// are compared as strings.
func (s *scratch) sortFields(p Params) {
	mask := uint64(1)<<bits.Len(uint(len(p))) - 1
	fields, order := slices.Grow(s.fields[:0], len(p))[:len(p)], slices.Grow(s.order[:0], len(p))[:len(p)]
	n, size := 0, 0
	// One loop collects and numbers the fields, unlike collect and sort.
	for k, v := range p {
		order[n] = namePrefix(k)&^mask | uint64(n)
		fields[n] = field{k, v}
		n++
		size += len(k) + len(v) + 2
	}
	s.fields, s.order, s.mask, s.size = fields, order, mask, size
	s.sortOrder()
}

// collect puts p's fields into s, for sort.
func (s *scratch) collect(p Params) { s.fields = appendFields(s.fields[:0], p) }

// fieldsOf returns p's fields, in no particular order.
func fieldsOf(p Params) []field { return appendFields(make([]field, 0, len(p)), p) }

func appendFields(dst []field, p Params) []field {
	dst = slices.Grow(dst, len(p))
	for k, v := range p {
		dst = append(dst, field{k, v})
	}
	return dst
}

// fieldValue returns the value of the field named k, or "".
func fieldValue(fields []field, k string) string {
	for _, f := range fields {
		if f.k == k {
			return f.v
		}
	}
	return ""
}

// sort puts the fields s holds in byte order of their names, as
// sortFields does, but leaves out "sign" and empty values: what is
// signed and sent.
// The fields parseXML collects come in document order, which in WeChat's
// messages is already sorted: insertion sort then makes one pass.
func (s *scratch) sort() {
	fields := s.fields
	mask := uint64(1)<<bits.Len(uint(len(fields))) - 1
	order := slices.Grow(s.order[:0], len(fields))[:len(fields)]
	n, size := 0, 0
	for i := range fields {
		f := &fields[i]
		if f.v == "" || f.k == "sign" {
			continue
		}
		order[n] = namePrefix(f.k)&^mask | uint64(i)
		n++
		size += len(f.k) + len(f.v) + 2
	}
	s.order, s.mask, s.size = order[:n], mask, size
	s.sortOrder()
}

// sortOrder sorts s.order.
func (s *scratch) sortOrder() {
	order, mask, fields := s.order, s.mask, s.fields
	if len(order) > 32 {
		slices.SortFunc(order, s.compare) // n log n: a hostile message may have 50,000 fields
		return
	}
	// Insertion sort by the whole numbers: prefix, then index. Names with
	// equal prefixes are adjacent by then, and are put in order by a
	// second pass with less, when there are any: most messages have none.
	for i := 1; i < len(order); i++ {
		x := order[i]
		j := i
		for ; j > 0 && x < order[j-1]; j-- {
			order[j] = order[j-1]
		}
		order[j] = x
	}
	tie := 1
	for tie < len(order) && (order[tie]^order[tie-1]) > mask {
		tie++
	}
	for i := tie; i < len(order); i++ {
		x := order[i]
		j := i
		for ; j > 0 && less(x, order[j-1], mask, fields); j-- {
			order[j] = order[j-1]
		}
		order[j] = x
	}
}

// less orders two elements of an order by their fields' names: by the
// name prefixes, which mostly differ, else by the whole names.
func less(a, b, mask uint64, fields []field) bool {
	if a&^mask != b&^mask {
		return a < b
	}
	return fields[a&mask].k < fields[b&mask].k
}

// compare is less for slices.SortFunc. Elements are distinct, as their
// indexes are.
func (s *scratch) compare(a, b uint64) int {
	switch {
	case a == b:
		return 0
	case less(a, b, s.mask, s.fields):
		return -1
	}
	return 1
}

// namePrefix returns the first four bytes of k, zero-padded, as a
// big-endian number in the high half of the result: zero-padding keeps
// the numbers' order consistent with the names'. Four bytes tell most
// field names apart, load in one instruction, and keep namePrefix small
// enough to inline; eight took three times the instructions, more than
// the string comparisons they spared.
func namePrefix(k string) uint64 {
	if len(k) >= 4 {
		return uint64(k[0])<<56 | uint64(k[1])<<48 | uint64(k[2])<<40 | uint64(k[3])<<32
	}
	var pre uint64
	for i := range len(k) {
		pre |= uint64(k[i]) << (56 - 8*i)
	}
	return pre
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
	n := len(dst)
	dst = slices.Grow(dst, 2*len(src))[:n+2*len(src)]
	out := dst[n:]
	// Four bytes at a time, as one 8-byte store: digests are 16 or 32
	// bytes long. The loop conditions let the compiler drop the bounds
	// checks.
	for len(src) >= 4 && len(out) >= 8 {
		binary.BigEndian.PutUint64(out, uint64(upperHexPairs[src[0]])<<48|uint64(upperHexPairs[src[1]])<<32|
			uint64(upperHexPairs[src[2]])<<16|uint64(upperHexPairs[src[3]]))
		src, out = src[4:], out[8:]
	}
	for len(src) >= 1 && len(out) >= 2 {
		binary.BigEndian.PutUint16(out, upperHexPairs[src[0]])
		src, out = src[1:], out[2:]
	}
	return dst
}

// upperHexPairs holds the two upper-case hex digits of each byte, the
// first in the high byte.
var upperHexPairs = func() (t [256]uint16) {
	const digits = "0123456789ABCDEF"
	for i := range t {
		t[i] = uint16(digits[i>>4])<<8 | uint16(digits[i&0x0f])
	}
	return t
}()

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
