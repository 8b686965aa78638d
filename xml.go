package wxpay

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Params is one flat v2 message: field name to value, as signed and as
// carried in the children of an <xml> element. Values stay strings until the
// message's signature is verified; the typed request and response structs
// of this package convert to and from Params.
type Params map[string]string

// MaxBodySize is the largest XML message, in bytes, that ParseXML, the
// client and the notify handlers accept. Real v2 messages are a few
// kilobytes; the limit keeps a hostile peer from making us buffer more.
const MaxBodySize = 1 << 20

var (
	// ErrMalformedXML is returned (wrapped, with the detail) for a body that
	// is not one flat v2 XML message.
	ErrMalformedXML = errors.New("wxpay: malformed XML")

	// ErrBodyTooLarge is returned (possibly wrapped) for a body larger than
	// MaxBodySize.
	ErrBodyTooLarge = errors.New("wxpay: body too large")
)

// AppendXML appends p to b as an <xml> document with one child per field,
// in field-name order, each value in CDATA. A value containing "]]>" is
// split across CDATA sections and a carriage return is written as a
// character reference, so that ParseXML returns the value unchanged.
// Field names must be XML names and values valid XML text; the client's
// request pipeline checks both before it encodes.
func (p Params) AppendXML(b []byte) []byte {
	s := getScratch()
	defer s.release()
	s.sortFields(p)
	b = slices.Grow(b, s.xmlSize())
	b = append(b, "<xml>"...)
	for _, o := range s.order {
		f := &s.fields[o&s.mask]
		b = appendField(b, f.k, f.v)
	}
	return append(b, "</xml>"...)
}

// appendSignedXML appends the request of fields and extra, signed with
// key and t, as AppendXML would write it: the request pipeline's encoder,
// sorting the fields once for both the signature and the XML. extra is
// how the pipeline adds its own fields; a name in both is an error. Empty
// values and a "sign" field are left out, and a field that XML cannot
// carry is a *ValidationError.
func appendSignedXML(b []byte, fields, extra []field, key string, t SignType) ([]byte, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: %q", ErrUnknownSignType, string(t))
	}
	s := getScratch()
	defer s.release()
	s.fields = append(append(s.fields[:0], fields...), extra...)
	s.sort()
	prev := ""
	for _, o := range s.order {
		f := &s.fields[o&s.mask]
		if err := checkText(f.k, f.v); err != nil {
			return nil, err
		}
		if f.k == prev { // a field of p that extra has too: a bug of ours
			return nil, fmt.Errorf("wxpay: request field %s set twice", f.k)
		}
		prev = f.k
	}
	var signBuf [sha256.Size * 2]byte
	sign := s.appendSign(signBuf[:0], key, t)
	b = slices.Grow(b, s.xmlSize()+len("<sign><![CDATA[]]></sign>")+len(sign))
	b = append(b, "<xml>"...)
	signed := false
	for _, o := range s.order {
		f := &s.fields[o&s.mask]
		if !signed && f.k > "sign" {
			b, signed = appendSignField(b, sign), true
		}
		b = appendField(b, f.k, f.v)
	}
	if !signed {
		b = appendSignField(b, sign)
	}
	return append(b, "</xml>"...), nil
}

// appendSignField appends the sign element as appendField would; hex
// needs no escaping.
func appendSignField(b, sign []byte) []byte {
	b = append(b, "<sign><![CDATA["...)
	b = append(b, sign...)
	return append(b, "]]></sign>"...)
}

// xmlSize is the size of the XML of the fields sortFields left in s.
func (s *scratch) xmlSize() int {
	size := s.size
	for _, o := range s.order {
		size += len(s.fields[o&s.mask].k)
	}
	return size + len("<xml></xml>") + len(s.order)*len("<></><![CDATA[]]>")
}

func appendField(b []byte, k, v string) []byte {
	b = append(b, '<')
	b = append(b, k...)
	b = append(b, '>')
	b = appendCDATA(b, v)
	b = append(b, "</"...)
	b = append(b, k...)
	return append(b, '>')
}

// hasCDATABreak reports whether v holds ']' or '\r', the bytes appendCDATA
// must look at. It reads eight bytes at a time: values are short and most
// hold neither, where two strings.IndexByte calls cost more than the scan.
func hasCDATABreak(v string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := binary.LittleEndian.Uint64([]byte(v[i : i+8]))
		a, b := w^']'*ones, w^'\r'*ones
		if ((a-ones)&^a|(b-ones)&^b)&highs != 0 {
			return true
		}
	}
	for ; i < len(v); i++ {
		if v[i] == ']' || v[i] == '\r' {
			return true
		}
	}
	return false
}

// appendCDATA writes v as CDATA, breaking the section where v holds "]]>"
// (which would end it) or '\r' (which XML parsers turn into '\n').
func appendCDATA(b []byte, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, "<![CDATA["...)
	if !hasCDATABreak(v) {
		b = append(b, v...)
		return append(b, "]]>"...)
	}
	for {
		i := strings.IndexAny(v, "]\r")
		if i < 0 {
			break
		}
		switch {
		case v[i] == '\r':
			b = append(b, v[:i]...)
			b = append(b, "]]>&#13;<![CDATA["...)
			v = v[i+1:]
		case strings.HasPrefix(v[i:], "]]>"):
			b = append(b, v[:i+2]...)
			b = append(b, "]]><![CDATA["...)
			v = v[i+2:]
		default:
			b = append(b, v[:i+1]...)
			v = v[i+1:]
		}
	}
	b = append(b, v...)
	return append(b, "]]>"...)
}

// ParseXML decodes one flat v2 message: a single root element (<xml> for
// API messages, <root> inside a refund notify's req_info) whose children
// are fields holding text or CDATA. Whitespace between elements is ignored;
// a value is kept exactly, never trimmed. A DOCTYPE or other directive,
// attributes, namespaces, nested or repeated fields, invalid UTF-8 and
// bodies over MaxBodySize are errors, never silently repaired: a message an
// attacker could read two ways must not reach signature verification.
//
// Errors wrap ErrMalformedXML or ErrBodyTooLarge.
func ParseXML(data []byte) (Params, error) { return parseXML(data, nil) }

// parseXML is ParseXML that also leaves the message's fields in s, if s
// is not nil, for scratch.verifySign.
func parseXML(data []byte, s *scratch) (Params, error) {
	if len(data) > MaxBodySize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, len(data), MaxBodySize)
	}
	if s != nil {
		s.fields = s.fields[:0]
	}
	if p, ok := scanFlat(string(data), s); ok {
		return p, nil
	}
	p, err := decodeStd(data)
	if err == nil && s != nil {
		s.collect(p)
	}
	return p, err
}

// decodeStd is the reference decoder, built on encoding/xml. scanFlat is
// a fast path that must agree with it on every input it accepts.
func decodeStd(data []byte) (Params, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	p := Params{}
	var (
		depth  int
		root   bool
		key    string
		val    []byte
		failed = func(format string, args ...any) (Params, error) {
			return nil, fmt.Errorf("%w: "+format, append([]any{ErrMalformedXML}, args...)...)
		}
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return failed("%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(t.Attr) > 0 {
				return failed("attribute on <%s>", t.Name.Local)
			}
			if t.Name.Space != "" {
				return failed("namespaced element <%s:%s>", t.Name.Space, t.Name.Local)
			}
			switch depth {
			case 0:
				if root {
					return failed("second root element <%s>", t.Name.Local)
				}
				root = true
			case 1:
				key, val = t.Name.Local, val[:0]
			default:
				return failed("nested element <%s> in <%s>", t.Name.Local, key)
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 1 {
				if _, dup := p[key]; dup {
					return failed("field %q repeated", key)
				}
				p[key] = string(val)
			}
		case xml.CharData:
			if depth == 2 {
				val = append(val, t...)
			} else if !isXMLSpace(string(t)) {
				return failed("text outside a field: %q", truncate(string(t), 32))
			}
		case xml.Directive:
			return failed("directive <!%s> not allowed", truncate(string(t), 32))
		case xml.Comment, xml.ProcInst:
			// Ignored, as any XML reader does; encoding/xml has already
			// rejected a declaration with another encoding or version.
		}
	}
	if !root {
		return failed("no root element")
	}
	return p, nil
}

func isXMLSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// scanFlat decodes the plain shape every genuine v2 message has, keys and
// values sharing s's memory. It reports false for anything outside that
// shape, from odd entities to errors of any kind, and ParseXML then asks
// decodeStd, whose answer is the reference; FuzzScanFlat holds the two to
// that contract.
//
// When sc is not nil, the fields are also appended to sc.fields in the
// order of s; they are the map's, as the map refuses a repeated name.
func scanFlat(s string, sc *scratch) (Params, bool) {
	i := skipSpace(s, 0)
	if strings.HasPrefix(s[i:], "<?") {
		end := strings.Index(s[i+2:], "?>")
		if end < 0 || !plainDeclaration(s[i+2:i+2+end]) {
			return nil, false
		}
		i = skipSpace(s, i+2+end+2)
	}
	if i >= len(s) || s[i] != '<' {
		return nil, false
	}
	root, i := scanName(s, i+1)
	if root == "" {
		return nil, false
	}
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != '>' {
		return nil, false
	}
	i++
	// A size hint cheap to count: a '/' per end tag, the root's included,
	// plus those in values (base64 and URLs have many), and no more than
	// two '<' per field.
	p := make(Params, max(min(strings.Count(s, "/"), strings.Count(s, "<")/2)-1, 0))
	for {
		i = skipSpace(s, i)
		if i+1 >= len(s) || s[i] != '<' {
			return nil, false
		}
		if s[i+1] == '/' {
			name, j := scanName(s, i+2)
			if name != root {
				return nil, false
			}
			j = skipSpace(s, j)
			if j >= len(s) || s[j] != '>' || skipSpace(s, j+1) != len(s) {
				return nil, false
			}
			return p, true
		}
		key, j := scanName(s, i+1)
		if key == "" {
			return nil, false
		}
		j = skipSpace(s, j)
		if j >= len(s) {
			return nil, false
		}
		var val string
		switch {
		case strings.HasPrefix(s[j:], "/>"):
			i = j + 2
		case s[j] == '>':
			var ok bool
			if val, i, ok = scanValue(s, j+1, key); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
		// A repeated field leaves the count unchanged: cheaper to see than
		// a lookup before each insert.
		n := len(p)
		if p[key] = val; len(p) == n {
			return nil, false
		}
		if sc != nil {
			sc.fields = append(sc.fields, field{key, val})
		}
	}
}

// scanValue reads a field's content from s[i:] through its end tag
// </key>, returning the value and the offset after the end tag.
func scanValue(s string, i int, key string) (string, int, bool) {
	var (
		first string // the only piece, while there is one
		many  []byte // all pieces, once there are more
		n     int    // pieces so far
	)
	add := func(piece string) {
		switch n {
		case 0:
			first = piece
		case 1:
			many = append(append(many, first...), piece...)
		default:
			many = append(many, piece...)
		}
		n++
	}
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "<![CDATA["):
			end := cdataEnd(s[i+9:])
			if end < 0 || !plainText(s[i+9:i+9+end], true) {
				return "", 0, false
			}
			add(s[i+9 : i+9+end])
			i += 9 + end + 3
		case strings.HasPrefix(s[i:], "</"):
			// The end tag names key, and no longer name that starts with it.
			j := i + 2 + len(key)
			if !strings.HasPrefix(s[i+2:], key) || j < len(s) && isNameChar(s[j]) {
				return "", 0, false
			}
			j = skipSpace(s, j)
			if j >= len(s) || s[j] != '>' {
				return "", 0, false
			}
			switch n {
			case 0:
				return "", j + 1, true
			case 1:
				return first, j + 1, true
			}
			return string(many), j + 1, true
		case s[i] == '<':
			return "", 0, false
		case s[i] == '&':
			r, w := namedEntity(s[i:])
			if w == 0 {
				return "", 0, false
			}
			add(r)
			i += w
		default:
			end := strings.IndexAny(s[i:], "<&")
			if end < 0 || !plainText(s[i:i+end], false) {
				return "", 0, false
			}
			add(s[i : i+end])
			i += end
		}
	}
	return "", 0, false
}

// cdataEnd returns the index of the first "]]>" in s, or -1: a search
// for ']' finds it faster than strings.Index does in the short values of
// a message.
func cdataEnd(s string) int {
	for i := 0; ; {
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return -1
		}
		i += j
		if i+2 < len(s) && s[i+1] == ']' && s[i+2] == '>' {
			return i
		}
		i++
	}
}

func namedEntity(s string) (string, int) {
	for _, e := range [...]struct{ ref, r string }{
		{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", `"`}, {"&apos;", "'"},
	} {
		if strings.HasPrefix(s, e.ref) {
			return e.r, len(e.ref)
		}
	}
	return "", 0
}

// plainText reports whether t is text that encoding/xml would return
// unchanged: valid UTF-8 of XML characters, no carriage return (which it
// rewrites) and, outside CDATA, no '>' (which keeps "]]>" out of reach).
func plainText(t string, cdata bool) bool {
	for i := 0; i < len(t); {
		if i+32 <= len(t) && printableASCII32(t[i:i+32], cdata) {
			i += 32 // long values: req_info's kilobyte of base64, URLs, JSON
			continue
		}
		if i+8 <= len(t) && printableASCII8(t[i:i+8], cdata) {
			i += 8
			continue
		}
		c := t[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == '>' && !cdata {
				return false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(t[i:])
		if r == utf8.RuneError && w == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += w
	}
	return true
}

// printableASCII8 reports whether the 8 bytes of s are all in 0x20..0x7f
// and, outside CDATA, none is '>': the common case, checked a word at a
// time with the usual SWAR tricks.
func printableASCII8(s string, cdata bool) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	w := binary.LittleEndian.Uint64([]byte(s[:8]))
	bad := w&highs | (w-0x20*ones)&^w&highs // a byte >= 0x80 or < 0x20
	if !cdata {
		g := w ^ '>'*ones
		bad |= (g - ones) &^ g & highs // a '>'
	}
	return bad == 0
}

// printableASCII32 is printableASCII8 for 32 bytes, with one branch.
func printableASCII32(s string, cdata bool) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	b := []byte(s[:32])
	w0, w1 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	w2, w3 := binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint64(b[24:])
	const c = 0x20 * ones
	bad := (w0|w1|w2|w3)&highs | ((w0-c)&^w0|(w1-c)&^w1|(w2-c)&^w2|(w3-c)&^w3)&highs
	if !cdata {
		const gt = '>' * ones
		g0, g1, g2, g3 := w0^gt, w1^gt, w2^gt, w3^gt
		bad |= ((g0-ones)&^g0 | (g1-ones)&^g1 | (g2-ones)&^g2 | (g3-ones)&^g3) & highs
	}
	return bad == 0
}

// plainDeclaration reports whether d, the inside of "<?" … "?>", is an XML
// declaration encoding/xml accepts and ignores.
func plainDeclaration(d string) bool {
	switch d {
	case `xml version="1.0"`, `xml version="1.0" encoding="UTF-8"`, `xml version="1.0" encoding="utf-8"`,
		`xml version="1.0" encoding="UTF-8" standalone="yes"`, `xml version="1.0" encoding="utf-8" standalone="yes"`,
		`xml version="1.0" encoding="UTF-8" `, `xml version="1.0" `:
		return true
	}
	return false
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// scanName reads an ASCII XML name without a colon at s[i:]; wider names
// are left to encoding/xml.
func scanName(s string, i int) (string, int) {
	start := i
	if i < len(s) && nameBytes[s[i]] == nameStart {
		for i++; i < len(s) && nameBytes[s[i]] != 0; i++ {
		}
	}
	return s[start:i], i
}

// isNameChar reports whether c may follow the first character of a name
// that scanName accepts.
func isNameChar(c byte) bool { return nameBytes[c] != 0 }

// nameBytes classifies the bytes of the names scanName accepts: a table
// lookup per byte instead of a chain of range tests.
var nameBytes = func() (t [256]uint8) {
	for c := range t {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
			t[c] = nameStart
		case '0' <= c && c <= '9', c == '-', c == '.':
			t[c] = nameMore
		}
	}
	return t
}()

// The classes of nameBytes.
const (
	nameMore  = 1 // may follow a name's first byte
	nameStart = 2 // may also start a name
)
