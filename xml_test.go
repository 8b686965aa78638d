package wxpay

import (
	"bytes"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseXML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Params
	}{
		{"cdata", `<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>1</total_fee></xml>`,
			Params{"return_code": "SUCCESS", "total_fee": "1"}},
		{"declaration and pretty print", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<xml>\n  <a><![CDATA[x]]></a>\r\n\t<b>2</b >\n</xml>\n",
			Params{"a": "x", "b": "2"}},
		{"values kept exactly", `<xml><a> x </a><b><![CDATA[ y]]></b><c>` + "\n" + `</c></xml>`,
			Params{"a": " x ", "b": " y", "c": "\n"}},
		{"mixed cdata and text", `<xml><a>1<![CDATA[&2]]>&amp;3&lt;</a></xml>`, Params{"a": "1&2&3<"}},
		{"json with quot", `<xml><promotion_detail>{&quot;a&quot;:1}</promotion_detail></xml>`, Params{"promotion_detail": `{"a":1}`}},
		{"empty values", `<xml><a></a><b><![CDATA[]]></b><c/><d /></xml>`, Params{"a": "", "b": "", "c": "", "d": ""}},
		{"zero is a value", `<xml><coupon_fee>0</coupon_fee></xml>`, Params{"coupon_fee": "0"}},
		{"chinese", `<xml><body><![CDATA[腾讯充值中心-QQ会员充值]]></body></xml>`, Params{"body": "腾讯充值中心-QQ会员充值"}},
		{"root is any name", `<root><out_refund_no>R1</out_refund_no></root>`, Params{"out_refund_no": "R1"}},
		{"character reference", `<xml><a>x&#13;y&#x41;</a></xml>`, Params{"a": "x\ryA"}},
		{"comment between fields", `<xml><a>1</a><!-- c --><b>2</b></xml>`, Params{"a": "1", "b": "2"}},
		{"empty root", `<xml></xml>`, Params{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseXML([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseXML (-want +got):\n%s", diff)
			}
			std, err := decodeStd([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeStd: %v", err)
			}
			if diff := cmp.Diff(std, got); diff != "" {
				t.Errorf("ParseXML differs from decodeStd (-std +fast):\n%s", diff)
			}
		})
	}
}

func TestParseXMLHostile(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ``},
		{"not xml", `return_code=SUCCESS`},
		{"doctype", `<!DOCTYPE xml [<!ENTITY x "y">]><xml><a>&x;</a></xml>`},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><a>&xxe;</a></xml>`},
		{"billion laughs", `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml><a>&lol2;</a></xml>`},
		{"undefined entity", `<xml><a>&nbsp;</a></xml>`},
		{"nested", `<xml><a><b>1</b></a></xml>`},
		{"repeated key", `<xml><total_fee>1</total_fee><total_fee>100</total_fee></xml>`},
		{"repeated key, one empty", `<xml><attach></attach><attach>x</attach></xml>`},
		{"attribute", `<xml><a x="1">1</a></xml>`},
		{"namespace", `<xml><w:a>1</w:a></xml>`},
		{"two roots", `<xml><a>1</a></xml><xml><a>2</a></xml>`},
		{"text in root", `<xml>junk<a>1</a></xml>`},
		{"unclosed", `<xml><a>1</a>`},
		{"mismatched end", `<xml><a>1</b></xml>`},
		{"non-UTF-8", "<xml><a>\xff\xfe</a></xml>"},
		{"control character", "<xml><a>\x01</a></xml>"},
		{"GBK declaration", `<?xml version="1.0" encoding="GBK"?><xml><a>1</a></xml>`},
		{"html page", `<html><body><h1>502 Bad Gateway</h1></body></html>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseXML([]byte(tt.in))
			if !errors.Is(err, ErrMalformedXML) {
				t.Errorf("ParseXML = %v, %v; want ErrMalformedXML", p, err)
			}
		})
	}
}

func TestParseXMLTooLarge(t *testing.T) {
	body := "<xml><a>" + strings.Repeat("x", MaxBodySize) + "</a></xml>"
	if _, err := ParseXML([]byte(body)); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("ParseXML of %d bytes: %v, want ErrBodyTooLarge", len(body), err)
	}
}

func TestAppendXML(t *testing.T) {
	p := Params{"total_fee": "1", "body": "a&b<c>", "detail": `x]]>y`, "attach": "", "note": "a\r\nb"}
	got := string(p.AppendXML(nil))
	want := `<xml><attach></attach><body><![CDATA[a&b<c>]]></body><detail><![CDATA[x]]]]><![CDATA[>y]]></detail>` +
		`<note><![CDATA[a]]>&#13;<![CDATA[` + "\n" + `b]]></note><total_fee><![CDATA[1]]></total_fee></xml>`
	if got != want {
		t.Errorf("AppendXML =\n%s\nwant\n%s", got, want)
	}
	back, err := ParseXML([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("round trip (-sent +parsed):\n%s", diff)
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		k, v string
		ok   bool
	}{
		{"body", "plain ascii, longer than one eight-byte word", true},
		{"body", "tabs\tnew\nlines\r\nand 腾讯 and emoji 😀", true},
		{"body", "", true},
		{"body", "eightASC\x01", false},         // found past the word-at-a-time path
		{"body", "0123456789abcdef\x1f", false}, // two whole words first
		{"body", "腾讯\x00", false},
		{"body", "\xff\xfe invalid UTF-8 after a word", false},
		{"body", "U+FFFE \uFFFE", false},
		{"bad name", "v", false},
		{"ns:name", "v", false},
		{"", "v", false},
	}
	for _, tt := range tests {
		err := checkText(tt.k, tt.v)
		var ve *ValidationError
		if tt.ok != (err == nil) || err != nil && (!errors.As(err, &ve) || ve.Field != tt.k) {
			t.Errorf("checkText(%q, %q) = %v, want ok %v", tt.k, tt.v, err, tt.ok)
		}
	}
}

func TestHasCDATABreak(t *testing.T) {
	for _, v := range []string{"", "a", "]", "\r", "abcdefg]", "abcdefgh]", "abcdefgh\r", "]]>", "腾讯充值中心-QQ会员充值",
		"0123456789abcdef", "0123456789abcde]", "\x00\x80\xff\x5c\x5e\x0c\x0e\x8d\xdd", "\x5d\x00\x00\x00\x00\x00\x00\x00"} {
		want := strings.ContainsAny(v, "]\r")
		if got := hasCDATABreak(v); got != want {
			t.Errorf("hasCDATABreak(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestAppendSignedXML(t *testing.T) {
	p := Params{"body": "b", "total_fee": "1", "attach": "", "sign": "stale"}
	before := maps.Clone(p)
	extra := []field{{"appid", "wx1"}, {"nonce_str", "n"}, {"sign_type", "MD5"}}
	got, err := appendSignedXML(nil, fieldsOf(p), extra, docKey, SignTypeMD5)
	if err != nil {
		t.Fatal(err)
	}
	want := Params{"appid": "wx1", "body": "b", "nonce_str": "n", "sign_type": "MD5", "total_fee": "1"}
	want["sign"] = mustSign(t, want)
	if string(got) != string(want.AppendXML(nil)) {
		t.Errorf("appendSignedXML =\n%s\nwant (empty and stale sign left out, extra merged in order)\n%s", got, want.AppendXML(nil))
	}
	if diff := cmp.Diff(before, p); diff != "" {
		t.Errorf("appendSignedXML modified its map (-before +after):\n%s", diff)
	}

	if _, err := appendSignedXML(nil, []field{{"appid", "wx2"}}, extra, docKey, SignTypeMD5); err == nil {
		t.Error("appendSignedXML with a field both in the map and in extra: no error")
	}
	if _, err := appendSignedXML(nil, fieldsOf(p), extra, docKey, "SHA1"); !errors.Is(err, ErrUnknownSignType) {
		t.Errorf("appendSignedXML with sign type SHA1: %v, want ErrUnknownSignType", err)
	}
}

func mustSign(t *testing.T, p Params) string {
	t.Helper()
	s, err := Sign(p, docKey, SignTypeMD5)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPrintableASCII(t *testing.T) {
	ref := func(s string, cdata bool) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x80 || c == '>' && !cdata {
				return false
			}
		}
		return true
	}
	// Bytes at each boundary of the checks, placed at every position.
	edges := []byte{0x00, 0x1f, 0x20, '=', '>', '?', 0x7e, 0x7f, 0x80, 0xff}
	base := []byte(strings.Repeat("aZ09+/=_", 4))
	for pos := 0; pos < 32; pos++ {
		for _, e := range edges {
			b := bytes.Clone(base)
			b[pos] = e
			s := string(b)
			for _, cdata := range []bool{false, true} {
				if got, want := printableASCII32(s, cdata), ref(s, cdata); got != want {
					t.Errorf("printableASCII32(%q, %v) = %v, want %v", s, cdata, got, want)
				}
				if got, want := printableASCII8(s[pos/8*8:pos/8*8+8], cdata), ref(s[pos/8*8:pos/8*8+8], cdata); got != want {
					t.Errorf("printableASCII8(%q, %v) = %v, want %v", s[pos/8*8:pos/8*8+8], cdata, got, want)
				}
			}
		}
	}
}
