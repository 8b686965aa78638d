package wxpay

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docKey is the API key of the v2 documentation's signing example.
const docKey = "192006250b4c09247ec02edce69f6a2d"

func TestSignDocumentedVectors(t *testing.T) {
	a2 := Params{
		"appid": "wxd930ea5d5a258f4f", "body": "腾讯充值中心-QQ会员充值", "mch_id": "10000100",
		"nonce_str": "ibuaiVcKdpRxkhJA", "notify_url": "https://example.com/wxpay/notify",
		"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "out_trade_no": "20150806125346",
		"sign_type": "HMAC-SHA256", "spbill_create_ip": "123.12.12.123", "total_fee": "888",
		"trade_type": "JSAPI", "attach": "",
	}
	a3 := maps.Clone(a2)
	a3["sign_type"] = "MD5"
	jsapi := Params{
		"appId": "wxd930ea5d5a258f4f", "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
		"package": "prepay_id=wx2017033010242291fcfe0db70013231072", "signType": "MD5", "timeStamp": "1490840662",
	}
	jsapiHMAC := maps.Clone(jsapi)
	jsapiHMAC["signType"] = "HMAC-SHA256"
	tests := []struct {
		name string
		p    Params
		key  string
		t    SignType
		want string
	}{
		{"A1 MD5", Params{"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"}, docKey, SignTypeMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{"A1 HMAC", Params{"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"}, docKey, SignTypeHMACSHA256, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"},
		{"A1 sign field ignored", Params{"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA", "sign": "X"}, docKey, SignTypeMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{"A2", a2, docKey, SignTypeHMACSHA256, "01C393F92506BD93544B4E140D4497C682F8BDAEC1EB65461520657C4A5F680A"},
		{"A3", a3, docKey, SignTypeMD5, "C0E837B66E5850517F4D3336CBAA0775"},
		{"A4", jsapi, docKey, SignTypeMD5, "A3C4993E71916E54AE93F5D2B1E888AF"},
		{"A5", jsapiHMAC, docKey, SignTypeHMACSHA256, "15FC5558B3F2A6AF14B8C4FEB53F8D822E04051B2C788ECDD0ABA657F9EA5A06"},
		{"A6 APP", Params{"appid": "wxd930ea5d5a258f4f", "noncestr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "package": "Sign=WXPay", "partnerid": "10000100", "prepayid": "wx201410272009395522657a690389285100", "timestamp": "1412000000"}, docKey, SignTypeMD5, "2919569F617B3B20A0A9E632811185FD"},
		{"A7 getsignkey", Params{"mch_id": "10000100", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"}, docKey, SignTypeMD5, "663F5D1546FE61FA6E1E4502C475CF5A"},
		{"A8 mini program doc", Params{"appId": "wxd678efh567hg6787", "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "package": "prepay_id=wx2017033010242291fcfe0db70013231072", "signType": "MD5", "timeStamp": "1490840662"}, "qazwsxedcrfvtgbyhnujmikolp111111", SignTypeMD5, "22D9B4E54AB1950F51E0649E8810ACD6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sign(tt.p, tt.key, tt.t)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSignUnknownType(t *testing.T) {
	for _, st := range []SignType{"", "md5", "SHA256", "HMAC-SHA1"} {
		if _, err := Sign(Params{"a": "b"}, docKey, st); !errors.Is(err, ErrUnknownSignType) {
			t.Errorf("Sign(%q) error = %v, want ErrUnknownSignType", st, err)
		}
	}
}

// referenceCanonical is the v2 canonical string written the obvious way.
func referenceCanonical(p Params, key string) string {
	var names []string
	for k, v := range p {
		if k != "sign" && v != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k + "=" + p[k] + "&")
	}
	b.WriteString("key=" + key)
	return b.String()
}

// referenceSign signs the reference canonical string with the standard
// library's digests, to check the fast Sign against.
func referenceSign(p Params, key string, t SignType) string {
	msg := []byte(referenceCanonical(p, key))
	if t == SignTypeMD5 {
		sum := md5.Sum(msg)
		return strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

func randomParams(r *rand.Rand) Params {
	pieces := []string{"a", "Z", "0", "_", "腾讯", "😀", "&", "=", `"`, "'", " ", "<", "]]>", "\n", "%20", "sign", ""}
	// Names share prefixes of lengths up to and past the four bytes the
	// sort compares as numbers; some counts pass where the sort changes
	// method.
	prefixes := []string{"", "", "cou", "coup", "coupon_", "coupon_fee_", "a\x00", "a\x00\x00"}
	p := Params{}
	for range r.IntN(80) {
		var k, v strings.Builder
		k.WriteString(prefixes[r.IntN(len(prefixes))])
		for range 1 + r.IntN(8) {
			k.WriteByte("abcxyzABC_09"[r.IntN(12)])
		}
		for range r.IntN(12) {
			v.WriteString(pieces[r.IntN(len(pieces))])
		}
		p[k.String()] = v.String()
	}
	if r.IntN(3) == 0 {
		p["sign"] = "SOMETHING"
	}
	return p
}

func TestSignMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		p := randomParams(r)
		key := docKey
		if i%7 == 0 {
			key = strings.Repeat("k", 65+i%40) // longer than an HMAC block
		}
		for _, st := range []SignType{SignTypeMD5, SignTypeHMACSHA256} {
			got, err := Sign(p, key, st)
			if err != nil {
				t.Fatal(err)
			}
			if want := referenceSign(p, key, st); got != want {
				t.Fatalf("Sign(%v, %s) = %s, want %s", p, st, got, want)
			}
		}
	}
}

func TestVerifySign(t *testing.T) {
	base := Params{"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"}
	with := func(kv ...string) Params {
		p := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
		return p
	}
	const md5Sign = "9A0A8659F005D6984697E2CA0A9CF3B7"
	const hmacSign = "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
	hmacTyped := with("sign_type", "HMAC-SHA256")
	hmacTyped["sign"], _ = Sign(hmacTyped, docKey, SignTypeHMACSHA256)
	md5Typed := with("sign_type", "MD5")
	md5Typed["sign"], _ = Sign(md5Typed, docKey, SignTypeMD5)
	// sign_type names HMAC but the sign is an MD5 one over the same fields.
	mislabelled := with("sign_type", "HMAC-SHA256")
	mislabelled["sign"], _ = Sign(mislabelled, docKey, SignTypeMD5)

	tests := []struct {
		name string
		p    Params
		ok   bool
	}{
		{"MD5 by length", with("sign", md5Sign), true},
		{"HMAC by length, no sign_type", with("sign", hmacSign), true},
		{"HMAC with sign_type", hmacTyped, true},
		{"MD5 with sign_type", md5Typed, true},
		{"sign_type names the other type", mislabelled, false},
		{"unknown sign_type", with("sign_type", "SHA1", "sign", md5Sign), false},
		{"lower-case sign", with("sign", strings.ToLower(md5Sign)), false},
		{"missing sign", with(), false},
		{"empty sign", with("sign", ""), false},
		{"odd length", with("sign", md5Sign[:31]), false},
		{"field changed", with("sign", md5Sign, "body", "test2"), false},
		{"field added", with("sign", md5Sign, "attach", "x"), false},
		{"empty field added", with("sign", md5Sign, "attach", ""), true},
		{"wrong key shape", with("sign", hmacSign[:32]), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := maps.Clone(tt.p)
			err := VerifySign(tt.p, docKey)
			if tt.ok && err != nil {
				t.Errorf("VerifySign = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidSign) {
				t.Errorf("VerifySign = %v, want ErrInvalidSign", err)
			}
			if diff := cmp.Diff(before, tt.p); diff != "" {
				t.Errorf("VerifySign modified p (-before +after):\n%s", diff)
			}
		})
	}
	if err := VerifySign(with("sign", md5Sign), "wrongkey"); !errors.Is(err, ErrInvalidSign) {
		t.Errorf("wrong key: %v", err)
	}
}

// TestSignManyFields covers messages larger than the fields sorted on the
// stack, such as a refund query with many refunds and coupons.
func TestSignManyFields(t *testing.T) {
	p := Params{}
	for i := range 200 {
		p[fmt.Sprintf("coupon_refund_fee_%d_%d", i%7, i)] = strconv.Itoa(i * 31)
	}
	for _, st := range []SignType{SignTypeMD5, SignTypeHMACSHA256} {
		got, err := Sign(p, docKey, st)
		if err != nil || got != referenceSign(p, docKey, st) {
			t.Errorf("Sign of %d fields with %s = %s, %v; want %s", len(p), st, got, err, referenceSign(p, docKey, st))
		}
	}
	back, err := ParseXML(p.AppendXML(nil))
	if diff := cmp.Diff(p, back); err != nil || diff != "" {
		t.Errorf("round trip of %d fields: %v (-sent +parsed):\n%s", len(p), err, diff)
	}
}

// TestSignKeyChange signs with two keys in turn: no keyed state may
// outlive the key it was made for.
func TestSignKeyChange(t *testing.T) {
	p := Params{"a": "1"}
	keys := []string{docKey, "another key of 32 characters!!!!"}
	for i := range 20 {
		key := keys[i%2]
		got, err := Sign(p, key, SignTypeHMACSHA256)
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte("a=1&key=" + key))
		if want := strings.ToUpper(hex.EncodeToString(m.Sum(nil))); got != want {
			t.Fatalf("sign %d with key %q = %s, want %s", i, key, got, want)
		}
	}
}
