package wxpay

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzScanFlat holds the fast scanner to its contract: for every input it
// either defers, or returns exactly what the encoding/xml decoder returns.
func FuzzScanFlat(f *testing.F) {
	for _, s := range xmlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc := getScratch()
		defer sc.release()
		sc.fields = sc.fields[:0]
		fast, ok := scanFlat(s, sc)
		if !ok {
			return
		}
		std, err := decodeStd([]byte(s))
		if err != nil {
			t.Fatalf("scanFlat accepted %q, decodeStd: %v", s, err)
		}
		if diff := cmp.Diff(std, fast); diff != "" {
			t.Fatalf("scanFlat(%q) differs (-std +fast):\n%s", s, diff)
		}
		// The fields it collects for verification are the map's.
		collected := Params{}
		for _, f := range sc.fields {
			collected[f.k] = f.v
		}
		if diff := cmp.Diff(std, collected); diff != "" || len(sc.fields) != len(std) {
			t.Fatalf("scanFlat(%q) collected %d fields (-std +collected):\n%s", s, len(sc.fields), diff)
		}
	})
}

// FuzzXMLRoundTrip checks decode∘encode: whatever ParseXML accepts encodes
// to XML that parses back to the same message, and re-encodes to the same
// bytes.
func FuzzXMLRoundTrip(f *testing.F) {
	for _, s := range xmlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseXML([]byte(s))
		if err != nil {
			return
		}
		enc := p.AppendXML(nil)
		back, err := ParseXML(enc)
		if err != nil {
			t.Fatalf("ParseXML(AppendXML(%v)) = %v; encoded %q", p, err, enc)
		}
		if diff := cmp.Diff(p, back); diff != "" {
			t.Fatalf("round trip of %q (-first +second):\n%s", s, diff)
		}
		if again := back.AppendXML(nil); string(again) != string(enc) {
			t.Fatalf("encoding not stable: %q then %q", enc, again)
		}
	})
}

var xmlSeeds = []string{
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
}
