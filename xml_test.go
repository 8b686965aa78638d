package wxpay

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wxpay-go/wxpay/internal/wire"
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
			_, std, err := wire.Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("wire.Decode: %v", err)
			}
			if diff := cmp.Diff(got, paramsOf(std)); diff != "" {
				t.Errorf("ParseXML differs from wire.Decode (-ParseXML +Decode):\n%s", diff)
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
		{"comment between fields", `<xml><a>1</a><!-- c --><b>2</b></xml>`},
		{"comment before the root", `<!-- c --><xml><a>1</a></xml>`},
		{"processing instruction", `<xml><?php echo 1 ?><a>1</a></xml>`},
		{"declaration after a space", ` <?xml version="1.0"?><xml><a>1</a></xml>`},
		{"declaration inside the root", `<xml><?xml version="1.0"?><a>1</a></xml>`},
		{"colon name", `<xml><a:b>1</a:b></xml>`},
		{"leading colon name", `<xml><:a>1</:a></xml>`},
		{"surrogate reference", `<xml><a>&#xD800;</a></xml>`},
		{"NUL reference", `<xml><a>&#0;</a></xml>`},
		{"FFFE reference", `<xml><a>&#xFFFE;</a></xml>`},
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

func TestPrepareRefuses(t *testing.T) {
	c := plainClient(t)
	for _, tt := range []struct{ k, v string }{
		{"body", "eightASC\x01"}, {"body", "腾讯\x00"}, {"body", "\xff\xfe invalid UTF-8"},
		{"body", "U+FFFE \uFFFE"}, {"bad name", "v"}, {"ns:name", "v"},
	} {
		_, err := c.prepare(context.Background(), endpoint{path: "/p"}, []wire.Field{{Name: tt.k, Value: tt.v}})
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.k {
			t.Errorf("prepare(%q=%q) = %v, want a *ValidationError naming it", tt.k, tt.v, err)
		}
	}
}

func TestPrepare(t *testing.T) {
	c := plainClient(t, WithNonceFunc(func() string { return "n" }))
	req := []wire.Field{{Name: "body", Value: "b\r\n腾讯 😀"}, {Name: "total_fee", Value: "1"}, {Name: "attach", Value: ""}, {Name: "sign", Value: "stale"}}
	sr, err := c.prepare(context.Background(), endpoint{path: "/p"}, req)
	if err != nil {
		t.Fatal(err)
	}
	want := Params{"appid": testAppID, "mch_id": testMchID, "body": "b\r\n腾讯 😀", "nonce_str": "n", "sign_type": "MD5", "total_fee": "1"}
	want["sign"] = mustSign(t, want)
	if string(sr.body) != string(want.AppendXML(nil)) {
		t.Errorf("prepare =\n%s\nwant (empty and stale sign left out, pipeline fields merged in order)\n%s", sr.body, want.AppendXML(nil))
	}
	if _, err := c.prepare(context.Background(), endpoint{path: "/p"}, []wire.Field{{Name: "appid", Value: "wx2"}}); err == nil {
		t.Error("prepare with a field the pipeline adds too: no error")
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

// paramsOf is the map of fields.
func paramsOf(fields []wire.Field) Params {
	p := Params{}
	for _, f := range fields {
		p[f.Name] = f.Value
	}
	return p
}

// built is a request's fields as build makes them, as a map.
func built[T any, P interface {
	*T
	builder
}](r P) (Params, error) {
	fields, err := build(r)
	if err != nil {
		return nil, err
	}
	return paramsOf(fields), nil
}

// plainClient is a client that is not meant to send anything.
func plainClient(t testing.TB, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(testAppID, testMchID, docKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
