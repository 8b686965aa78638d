// Package wire is the codec of WeChat Pay v2 messages: flat <xml>
// documents, their canonical string and its digest. It knows nothing of
// endpoints, keys' owners or HTTP. Each function does one thing: Parse
// returns fields, Sign reads fields, AppendXML writes fields; no state
// passes from one to another.
package wire

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Field is one name=value pair of a message.
type Field struct{ Name, Value string }

// MaxBodySize is the largest message, in bytes, Parse accepts.
const MaxBodySize = 1 << 20

var (
	// ErrMalformed is returned (wrapped, with the detail) for a body that
	// is not one flat v2 XML message.
	ErrMalformed = errors.New("wxpay: malformed XML")

	// ErrTooLarge is returned (possibly wrapped) for a body larger than
	// MaxBodySize.
	ErrTooLarge = errors.New("wxpay: body too large")
)

// Sort puts fields in byte order of their names, the order of the
// canonical string and of the XML this package writes. slices.SortFunc is
// n log n, so a hostile message of 50,000 fields costs what it should.
func Sort(fields []Field) {
	slices.SortFunc(fields, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
}

// AppendCanonical appends the v2 canonical string of sorted fields to dst:
// name=value joined with '&', values raw, the "sign" field and empty
// values left out, then "key=" and key.
func AppendCanonical(dst []byte, sorted []Field, key string) []byte {
	for _, f := range sorted {
		if f.Value == "" || f.Name == "sign" {
			continue
		}
		dst = append(dst, f.Name...)
		dst = append(dst, '=')
		dst = append(dst, f.Value...)
		dst = append(dst, '&')
	}
	dst = append(dst, "key="...)
	return append(dst, key...)
}

// AppendMD5 appends the upper-case hex MD5 digest of msg to dst.
func AppendMD5(dst, msg []byte) []byte {
	sum := md5.Sum(msg)
	return appendUpperHex(dst, sum[:])
}

// AppendHMAC appends the upper-case hex digest of msg under h, a keyed
// HMAC-SHA256 state, to dst. h is reset first.
func AppendHMAC(dst []byte, h hash.Hash, msg []byte) []byte {
	h.Reset()
	h.Write(msg)
	var sum [64]byte
	return appendUpperHex(dst, h.Sum(sum[:0]))
}

func appendUpperHex(dst, src []byte) []byte {
	n := len(dst)
	dst = hex.AppendEncode(dst, src)
	for i := n; i < len(dst); i++ {
		if c := dst[i]; c >= 'a' {
			dst[i] = c - 'a' + 'A'
		}
	}
	return dst
}

// CheckField returns why a request field cannot be written as XML and
// read back unchanged, or "" if it can: a value with bytes XML cannot
// carry would be lost or changed on the way and then fail WeChat's
// signature check with no clue why.
func CheckField(name, value string) string {
	if n, _ := scanName(name, 0); n != name || name == "" {
		return "is not a valid field name"
	}
	i := 0
	for i < len(value) && value[i] >= 0x20 && value[i] < utf8.RuneSelf {
		i++
	}
	if i == len(value) { // printable ASCII, most values: no rune to decode
		return ""
	}
	if !utf8.ValidString(value) {
		return "is not valid UTF-8"
	}
	for _, r := range value {
		if !isXMLChar(r) {
			return fmt.Sprintf("contains the character %U, which XML cannot carry", r)
		}
	}
	return ""
}

// isXMLChar reports whether r is a Char of XML 1.0.
func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// AppendXML appends sorted fields to b as an <xml> document, each value
// in CDATA (an empty one as an empty element). A value containing "]]>" is split
// across CDATA sections and a carriage return is written as a character
// reference, so that Parse returns every value unchanged. The fields must
// pass CheckField.
func AppendXML(b []byte, sorted []Field) []byte {
	n := len("<xml></xml>")
	for _, f := range sorted {
		n += 2*len(f.Name) + len(f.Value) + len("<></><![CDATA[]]>")
	}
	b = slices.Grow(b, n) // values to escape may still grow it
	b = append(b, "<xml>"...)
	for _, f := range sorted {
		b = append(b, '<')
		b = append(b, f.Name...)
		b = append(b, '>')
		b = appendCDATA(b, f.Value)
		b = append(b, "</"...)
		b = append(b, f.Name...)
		b = append(b, '>')
	}
	return append(b, "</xml>"...)
}

func appendCDATA(b []byte, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, "<![CDATA["...)
	start := 0
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\r':
			b = append(b, v[start:i]...)
			b = append(b, "]]>&#13;<![CDATA["...)
			start = i + 1
		case v[i] == ']' && strings.HasPrefix(v[i:], "]]>"):
			b = append(b, v[start:i+2]...)
			b = append(b, "]]><![CDATA["...) // the '>' opens the next section
			start = i + 2
		}
	}
	b = append(b, v[start:]...)
	return append(b, "]]>"...)
}

// Parse decodes one flat v2 message: an optional XML declaration at the
// very start, a single root element (<xml> for API messages, <root>
// inside a refund notify's req_info) whose children are fields holding
// text or CDATA. Whitespace between elements is ignored; a value is kept
// exactly, never trimmed. The fields come in document order, and the root
// element's name with them.
//
// What genuine messages never have is refused, not repaired: a DOCTYPE,
// comments, processing instructions, attributes, names with a colon,
// nested elements, character references to non-characters, invalid UTF-8
// and bodies over MaxBodySize. A message an attacker could read two ways
// must not reach signature verification. A repeated field is not refused
// here: whoever builds a map from the fields must.
//
// Errors wrap ErrMalformed or ErrTooLarge.
func Parse(data []byte) (root string, fields []Field, err error) {
	if len(data) > MaxBodySize {
		return "", nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxBodySize)
	}
	if root, fields, ok := scan(string(data)); ok {
		return root, fields, nil
	}
	return Decode(data)
}

// Decode is the reference decoder Parse falls back to, built on
// encoding/xml: the fast scanner must agree with it on every input it
// accepts (FuzzScan holds it to that).
func Decode(data []byte) (root string, fields []Field, err error) {
	failed := func(format string, args ...any) (string, []Field, error) {
		return "", nil, fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
	if len(data) > MaxBodySize {
		return "", nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxBodySize)
	}
	if err := checkCharRefs(data); err != nil {
		return failed("%v", err)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var (
		depth int
		key   string
		val   []byte
	)
	for {
		offset := d.InputOffset()
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
			if t.Name.Space != "" || strings.Contains(t.Name.Local, ":") {
				return failed("name with a colon <%s:%s>", t.Name.Space, t.Name.Local)
			}
			switch depth {
			case 0:
				if root != "" {
					return failed("second root element <%s>", t.Name.Local)
				}
				root = t.Name.Local
			case 1:
				key, val = t.Name.Local, val[:0]
			default:
				return failed("nested element <%s> in <%s>", t.Name.Local, key)
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 1 {
				fields = append(fields, Field{key, string(val)})
			}
		case xml.CharData:
			if depth == 2 {
				val = append(val, t...)
			} else if !isSpace(string(t)) {
				return failed("text outside a field: %q", truncate(string(t), 32))
			}
		case xml.Directive:
			return failed("directive <!%s> not allowed", truncate(string(t), 32))
		case xml.Comment:
			return failed("comment not allowed")
		case xml.ProcInst:
			// encoding/xml has already refused a declaration with another
			// version or encoding; one anywhere but at the start is no
			// declaration at all.
			if t.Target != "xml" || offset != 0 {
				return failed("processing instruction <?%s?> not allowed", t.Target)
			}
		}
	}
	if root == "" {
		return failed("no root element")
	}
	return root, fields, nil
}

// checkCharRefs refuses a numeric character reference to a code point
// that is not an XML character: encoding/xml would quietly make it
// U+FFFD, a value no sender wrote.
func checkCharRefs(data []byte) error {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("&#"))
		if j < 0 {
			return nil
		}
		i += j + 2
		end := bytes.IndexByte(data[i:], ';')
		if end < 0 {
			return nil // encoding/xml refuses it
		}
		ref := string(data[i : i+end])
		base := 10
		if strings.HasPrefix(ref, "x") {
			ref, base = ref[1:], 16
		}
		n, err := strconv.ParseUint(ref, base, 32)
		if err != nil || !isXMLChar(rune(n)) {
			return fmt.Errorf("character reference &#%s; is not an XML character", data[i:i+end])
		}
	}
}

func isSpace(s string) bool { return skipSpace(s, 0) == len(s) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// scan decodes the plain shape every genuine v2 message has, keys and
// values sharing s's memory. It reports false for anything outside that
// shape, from character references to errors of any kind, and Parse then
// asks Decode, whose answer is the reference. It is the one speed trick of
// the codec: a notify is parsed in a fraction of the time encoding/xml
// takes to tokenize it.
func scan(s string) (string, []Field, bool) {
	i := 0
	if strings.HasPrefix(s, "<?") {
		end := strings.Index(s[2:], "?>")
		if end < 0 || !plainDeclaration(s[2:2+end]) {
			return "", nil, false
		}
		i = 2 + end + 2
	}
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != '<' {
		return "", nil, false
	}
	root, i := scanName(s, i+1)
	if root == "" {
		return "", nil, false
	}
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != '>' {
		return "", nil, false
	}
	i++
	// Room for the fields: no more than two '<' per field.
	fields := make([]Field, 0, strings.Count(s, "<")/2)
	for {
		i = skipSpace(s, i)
		if i+1 >= len(s) || s[i] != '<' {
			return "", nil, false
		}
		if s[i+1] == '/' {
			name, j := scanName(s, i+2)
			if name != root {
				return "", nil, false
			}
			j = skipSpace(s, j)
			if j >= len(s) || s[j] != '>' || skipSpace(s, j+1) != len(s) {
				return "", nil, false
			}
			return root, fields, true
		}
		key, j := scanName(s, i+1)
		if key == "" {
			return "", nil, false
		}
		j = skipSpace(s, j)
		if j >= len(s) {
			return "", nil, false
		}
		var val string
		switch {
		case strings.HasPrefix(s[j:], "/>"):
			i = j + 2
		case s[j] == '>':
			var ok bool
			if val, i, ok = scanValue(s, j+1, key); !ok {
				return "", nil, false
			}
		default:
			return "", nil, false
		}
		fields = append(fields, Field{key, val})
	}
}

// scanValue reads a field's content from s[i:] through its end tag
// </key>, returning the value and the offset after the end tag.
func scanValue(s string, i int, key string) (string, int, bool) {
	var pieces []string
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "<![CDATA["):
			end := strings.Index(s[i+9:], "]]>")
			if end < 0 || !plainText(s[i+9:i+9+end], true) {
				return "", 0, false
			}
			pieces = append(pieces, s[i+9:i+9+end])
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
			if len(pieces) == 1 {
				return pieces[0], j + 1, true // the common case: no copy
			}
			return strings.Join(pieces, ""), j + 1, true
		case s[i] == '<':
			return "", 0, false
		case s[i] == '&':
			r, w := namedEntity(s[i:])
			if w == 0 {
				return "", 0, false
			}
			pieces = append(pieces, r)
			i += w
		default:
			end := strings.IndexAny(s[i:], "<&")
			if end < 0 || !plainText(s[i:i+end], false) {
				return "", 0, false
			}
			pieces = append(pieces, s[i:i+end])
			i += end
		}
	}
	return "", 0, false
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
	mask := uint8(2)
	if cdata {
		mask = 1
	}
	for i := 0; i < len(t); {
		c := t[i]
		if plainASCII[c]&mask != 0 { // one load and test a byte: most of a message is ASCII
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return false
		}
		r, w := utf8.DecodeRuneInString(t[i:])
		if r == utf8.RuneError && w == 1 || !isXMLChar(r) {
			return false
		}
		i += w
	}
	return true
}

// plainASCII has, for each byte, bit 1 set if it is an ASCII character
// plainText lets through in CDATA, bit 2 if outside it.
var plainASCII = func() (t [256]uint8) {
	for c := range utf8.RuneSelf {
		if c >= 0x20 || c == '\t' || c == '\n' {
			t[c] = 3
		}
	}
	t['>'] = 1
	return t
}()

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
	if i < len(s) && isNameStart(s[i]) {
		for i++; i < len(s) && isNameChar(s[i]); i++ {
		}
	}
	return s[start:i], i
}

func isNameStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

func isNameChar(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '-' || c == '.'
}
