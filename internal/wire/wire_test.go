package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzScan holds the fast scanner to its contract: for every input it
// either defers, or returns exactly what the encoding/xml decoder returns.
func FuzzScan(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		root, fast, ok := scan(s)
		if !ok {
			return
		}
		stdRoot, std, err := Decode([]byte(s))
		if err != nil {
			t.Fatalf("scan accepted %q, Decode: %v", s, err)
		}
		if diff := cmp.Diff(std, fast, cmpopts.EquateEmpty()); diff != "" || root != stdRoot {
			t.Fatalf("scan(%q) differs (-Decode +scan), root %q vs %q:\n%s", s, stdRoot, root, diff)
		}
	})
}

// FuzzRoundTrip checks decode∘encode: whatever Parse accepts encodes to
// XML that parses back to the same fields, and re-encodes to the same
// bytes.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, fields, err := Parse([]byte(s))
		if err != nil {
			return
		}
		Sort(fields)
		enc := AppendXML(nil, fields)
		_, back, err := Parse(enc)
		if err != nil {
			t.Fatalf("Parse(AppendXML(%v)) = %v; encoded %q", fields, err, enc)
		}
		Sort(back)
		if diff := cmp.Diff(fields, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
		if again := AppendXML(nil, back); string(again) != string(enc) {
			t.Fatalf("encoding not stable: %q then %q", enc, again)
		}
	})
}

var seeds = []string{
	`<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>1</total_fee></xml>`,
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml>\n  <a><![CDATA[x]]></a>\r\n\t<b>2</b >\n</xml>\n",
	`<xml><a>1<![CDATA[&2]]>&amp;3&lt;</a><b/><c></c></xml>`,
	`<xml><promotion_detail>{&quot;a&quot;:1}</promotion_detail></xml>`,
	`<root><x>腾讯</x></root>`,
	`<xml><a>x&#13;y</a></xml>`,
	`<xml><a x="1">1</a></xml>`,
	`<!DOCTYPE x><xml><a>1</a></xml>`,
	`<xml><a><b>1</b></a></xml>`,
	`<xml><a>1</a><a>2</a></xml>`,
	`<xml><d><![CDATA[x]]]]><![CDATA[>y]]></d></xml>`,
	`<xml><a>1</a><!-- c --></xml>`,
	`<xml><?pi x?><a>1</a></xml>`,
	`<xml><a>&#xD800;</a></xml>`,
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		`<xml><a>1</a><!-- c --><b>2</b></xml>`,
		`<!-- c --><xml><a>1</a></xml>`,
		`<xml><a>1</a></xml><!-- c -->`,
		`<xml><?php echo 1 ?><a>1</a></xml>`,
		` <?xml version="1.0"?><xml><a>1</a></xml>`,
		"\n<?xml version=\"1.0\"?><xml><a>1</a></xml>",
		`<xml><?xml version="1.0"?><a>1</a></xml>`,
		`<xml><a:b>1</a:b></xml>`,
		`<a:xml><b>1</b></a:xml>`,
		`<xml><a>&#xD800;</a></xml>`,
		`<xml><a>&#55296;</a></xml>`,
		`<xml><a>&#0;</a></xml>`,
		`<xml><a>&#x1;</a></xml>`,
		`<xml><a>&#xFFFE;</a></xml>`,
		`<xml><a>&#x110000;</a></xml>`,
		"<xml><a>\uFFFE</a></xml>",
	} {
		if _, fields, err := Parse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, %v; want ErrMalformed", in, fields, err)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []Field
	}{
		{"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<xml><a>1</a></xml>", []Field{{"a", "1"}}},
		{`<xml><a>x&#13;y&#x41;&#x10000;</a></xml>`, []Field{{"a", "x\ryA\U00010000"}}},
		{`<xml><b>2</b><a></a></xml>`, []Field{{"b", "2"}, {"a", ""}}},
	} {
		_, got, err := Parse([]byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCanonicalAndDigest(t *testing.T) {
	// The documented example (spec §2).
	fields := []Field{{"mch_id", "10000100"}, {"appid", "wxd930ea5d5a258f4f"}, {"nonce_str", "ibuaiVcKdpRxkhJA"},
		{"body", "test"}, {"device_info", "1000"}, {"sign", "ignored"}, {"attach", ""}}
	Sort(fields)
	const key = "192006250b4c09247ec02edce69f6a2d"
	msg := AppendCanonical(nil, fields, key)
	if want := "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=" + key; string(msg) != want {
		t.Fatalf("canonical = %s, want %s", msg, want)
	}
	if got := string(AppendMD5(nil, msg)); got != "9A0A8659F005D6984697E2CA0A9CF3B7" {
		t.Errorf("MD5 = %s", got)
	}
}

func TestCheckField(t *testing.T) {
	for _, tt := range []struct {
		name, value string
		ok          bool
	}{
		{"body", "tabs\tnew\nlines\r\nand 腾讯 and emoji 😀", true},
		{"body", "", true},
		{"body", "ctl\x01", false},
		{"body", "\xff", false},
		{"body", "\uFFFE", false},
		{"bad name", "v", false},
		{"a:b", "v", false},
		{"", "v", false},
	} {
		if got := CheckField(tt.name, tt.value); (got == "") != tt.ok {
			t.Errorf("CheckField(%q, %q) = %q, want ok %v", tt.name, tt.value, got, tt.ok)
		}
	}
	if !strings.Contains(CheckField("b", "\x01"), "U+0001") {
		t.Error("CheckField does not name the character")
	}
}
