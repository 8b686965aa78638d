package wxpay

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay/internal/wire"
)

// fuzzClient is the merchant the notify fuzz targets parse for.
func fuzzClient(tb testing.TB) *Client {
	c, err := NewClient(testAppID, testMchID, docKey)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// genuinePayNotify is a payment notify as WeChat sends it, 27 fields.
func genuinePayNotify() Params {
	return Params{
		"return_code": "SUCCESS", "return_msg": "OK", "appid": testAppID, "mch_id": testMchID,
		"device_info": "WEB", "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c", "result_code": "SUCCESS",
		"openid": "oUpF8uMEb4qRXf22hE3X68TekukE", "is_subscribe": "N", "trade_type": "JSAPI",
		"bank_type": "CMC", "total_fee": "888", "settlement_total_fee": "788", "fee_type": "CNY",
		"cash_fee": "788", "cash_fee_type": "CNY", "coupon_fee": "100", "coupon_count": "2",
		"coupon_type_0": "CASH", "coupon_id_0": "10000", "coupon_fee_0": "60",
		"coupon_type_1": "NO_CASH", "coupon_id_1": "10001", "coupon_fee_1": "40",
		"transaction_id": "4200000123201508061253460001", "out_trade_no": "20150806125346",
		"attach": "门店 A&B", "time_end": "20150806125346",
	}
}

func signed(p Params, key string, st SignType) Params {
	p = maps.Clone(p)
	p["sign"], _ = Sign(p, key, st)
	return p
}

// FuzzVerifySign: a message signed with either type verifies, re-signs to
// the same sign, and stops verifying when any byte of any field, or of the
// sign, changes.
func FuzzVerifySign(f *testing.F) {
	f.Add("body", "腾讯充值中心", "total_fee", "1", "key", false, uint(3))
	f.Add("attach", "a&b=c<d>]]>", "detail", `{"goods_detail":[]}`, "192006250b4c09247ec02edce69f6a2d", true, uint(0))
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, key string, hmacType bool, pos uint) {
		if key == "" || k1 == "" || k2 == "" || k1 == "sign" || k2 == "sign" || k1 == "sign_type" || k2 == "sign_type" {
			return
		}
		st := SignTypeMD5
		if hmacType {
			st = SignTypeHMACSHA256
		}
		p := signed(Params{k1: v1, k2: v2, "nonce_str": "n"}, key, st)
		if err := VerifySign(p, key); err != nil {
			t.Fatalf("VerifySign of a freshly signed %v: %v", p, err)
		}
		if again, _ := Sign(p, key, st); again != p["sign"] {
			t.Fatalf("re-sign %s != %s", again, p["sign"])
		}
		// Flip one byte somewhere in the signed content.
		names := []string{k1, k2, "nonce_str", "sign"}
		name := names[pos%uint(len(names))]
		v := []byte(p[name])
		if len(v) == 0 {
			return
		}
		v[pos%uint(len(v))] ^= 0x01
		tampered := maps.Clone(p)
		tampered[name] = string(v)
		if err := VerifySign(tampered, key); !errors.Is(err, ErrInvalidSign) {
			t.Fatalf("VerifySign accepted %v changed in %s: %v", tampered, name, err)
		}
	})
}

// FuzzSign holds Sign's sort and canonical string to the obvious
// implementation: for any fields, both sign types give referenceSign's
// answer. raw holds name, value, name, value... separated by NUL bytes.
func FuzzSign(f *testing.F) {
	f.Add("body\x00腾讯\x00total_fee\x00888\x00sign\x00x\x00attach\x00", "192006250b4c09247ec02edce69f6a2d")
	f.Add("coupon_fee_1\x0040\x00coupon_fee\x00100\x00coupon_fee_0\x0060\x00cou\x00c\x00coup\x00d", "k")
	f.Add("a\x00\x001\x00a\x002\x00\x00\x003\x00ab\x004\x00\xff\x005", "k")
	f.Fuzz(func(t *testing.T, raw, key string) {
		parts := strings.Split(raw, "\x00")
		p := Params{}
		for i := 0; i+1 < len(parts); i += 2 {
			p[parts[i]] = parts[i+1]
		}
		for _, st := range []SignType{SignTypeMD5, SignTypeHMACSHA256} {
			got, err := Sign(p, key, st)
			if want := referenceSign(p, key, st); err != nil || got != want {
				t.Fatalf("Sign(%q, %s) = %s, %v; want %s", p, st, got, err, want)
			}
		}
	})
}

// FuzzParsePayNotify: arbitrary bodies never panic and are only accepted
// when genuinely signed; a signed notify with any single byte changed is
// rejected, or parses to exactly the original message.
func FuzzParsePayNotify(f *testing.F) {
	genuine := signed(genuinePayNotify(), docKey, SignTypeMD5).AppendXML(nil)
	genuineHMAC := signed(genuinePayNotify(), docKey, SignTypeHMACSHA256).AppendXML(nil)
	f.Add(genuine, uint(0), byte(0))
	f.Add(genuineHMAC, uint(100), byte(1))
	f.Add([]byte(`<xml><return_code>FAIL</return_code></xml>`), uint(0), byte(0))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte, pos uint, flip byte) {
		n, err := c.ParsePayNotify(body)
		if err == nil {
			// Accepted: it must carry a valid sign over what it says.
			if VerifySign(n.Raw, docKey) != nil || n.AppID != testAppID || n.MchID != testMchID {
				t.Fatalf("accepted a notify that does not verify: %v", n.Raw)
			}
		}
		if flip == 0 {
			return
		}
		for _, base := range [][]byte{genuine, genuineHMAC} {
			orig, err := c.ParsePayNotify(base)
			if err != nil {
				t.Fatal(err)
			}
			changed := bytes.Clone(base)
			changed[pos%uint(len(changed))] ^= flip
			n, err := c.ParsePayNotify(changed)
			if err == nil && !cmp.Equal(n.Raw, orig.Raw) {
				t.Fatalf("byte %d changed by %#x was accepted:\n%s", pos%uint(len(changed)), flip, changed)
			}
		}
	})
}

// encryptReqInfo is an independent encryption of a refund notify's
// req_info: AES-256-ECB, block by block, under md5hex(key), PKCS#7.
func encryptReqInfo(plain []byte, key string) string {
	sum := md5.Sum([]byte(key))
	block, _ := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(buf)
}

func refundNotifyBody(reqInfo string) []byte {
	return Params{"return_code": "SUCCESS", "appid": testAppID, "mch_id": testMchID,
		"nonce_str": "n", "req_info": reqInfo}.AppendXML(nil)
}

// FuzzParseRefundNotify: random req_info, as ciphertext or as plaintext
// encrypted with the right key, never panics; what is accepted decrypted
// to a well-formed refund message.
func FuzzParseRefundNotify(f *testing.F) {
	f.Add([]byte(`<root><out_refund_no>R1</out_refund_no><out_trade_no>T1</out_trade_no><refund_status>SUCCESS</refund_status><refund_fee>1</refund_fee></root>`), false)
	f.Add([]byte("WBzGpzQuNpcFxIlFjUUD9O1INQe1sr+wMG6wUR3vMtLc2oYUq/rZkvAzKWesMRgt"), true)
	f.Add([]byte{}, true)
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		reqInfo := encryptReqInfo(data, docKey)
		if raw {
			reqInfo = string(data)
		}
		n, err := c.ParseRefundNotify(refundNotifyBody(reqInfo))
		if err != nil {
			return
		}
		if n.OutRefundNo == "" || n.OutTradeNo == "" || n.RefundStatus == "" {
			t.Fatalf("accepted a refund notify without its ids: %+v", n)
		}
		if !raw {
			want, err := ParseXML(data)
			if err != nil || !cmp.Equal(want, n.Raw) {
				t.Fatalf("decrypted %v, want %v (%v)", n.Raw, want, err)
			}
		}
	})
}

// FuzzResponse: whatever the server answers, the pipeline returns either
// an error or a response that verifies and names this merchant.
func FuzzResponse(f *testing.F) {
	okAnswer := signed(Params{"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": testAppID,
		"mch_id": testMchID, "nonce_str": "x", "trade_state": "SUCCESS", "sign_type": "MD5"}, docKey, SignTypeMD5)
	f.Add(okAnswer.AppendXML(nil), 200)
	f.Add([]byte(`<xml><return_code>FAIL</return_code><return_msg>签名错误</return_msg></xml>`), 200)
	f.Add([]byte(`<html><body>502</body></html>`), 502)
	c, err := NewClient(testAppID, testMchID, docKey, WithNonceFunc(func() string { return "n" }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		if status < 100 || status > 999 {
			status = 200
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: ioNopCloser(body)}
		p, sorted, err := c.readMessage(resp)
		if err == nil {
			p, err = c.checkAnswer(endpoint{path: "/pay/orderquery"}, p, sorted, c.signer, SignTypeMD5)
		}
		if err != nil {
			return
		}
		if VerifySign(p, docKey) != nil || p["appid"] != testAppID && p["appid"] != "" || p["return_code"] != "SUCCESS" || p["result_code"] == "FAIL" {
			t.Fatalf("accepted an answer that should fail: %v", p)
		}
	})
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func ioNopCloser(b []byte) nopCloser { return nopCloser{strings.NewReader(string(b))} }

// FuzzSignedRequest: the request pipeline's encoder either refuses a
// field XML cannot carry, naming it, or writes a document that parses
// back to exactly the non-empty fields of the request and the pipeline's,
// with a sign that verifies; the request is never modified.
func FuzzSignedRequest(f *testing.F) {
	f.Add("body\x00腾讯充值中心-QQ会员充值\x00total_fee\x00888\x00attach\x00", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", false)
	f.Add("detail\x00a]]>b\r\nc\x00sign\x00stale\x00a\x00\x00zz\x00<&>", "n", true)
	f.Add("bad name\x00x\x00body\x00\x01", "n", false)
	f.Fuzz(func(t *testing.T, raw, nonce string, hmacType bool) {
		parts := strings.Split(raw, "\x00")
		p := Params{}
		for i := 0; i+1 < len(parts); i += 2 {
			p[parts[i]] = parts[i+1]
		}
		st := SignTypeMD5
		if hmacType {
			st = SignTypeHMACSHA256
		}
		c := plainClient(t, WithNonceFunc(func() string { return nonce }), WithSignType(st))
		extra := Params{"appid": testAppID, "mch_id": testMchID, "nonce_str": nonce, "sign_type": string(st)}
		want := Params{}
		for k, v := range p {
			if v != "" && k != "sign" {
				want[k] = v
			}
		}
		for k, v := range extra {
			if _, dup := want[k]; dup || v == "" {
				return // not a request the pipeline makes
			}
			want[k] = v
		}
		req := sortedFields(nil, p)
		before := slices.Clone(req)
		sr, err := c.prepare(context.Background(), endpoint{path: "/p"}, req)
		if diff := cmp.Diff(before, req); diff != "" {
			t.Fatalf("the request changed (-before +after):\n%s", diff)
		}
		bad := ""
		for k, v := range want {
			if bad = wire.CheckField(k, v); bad != "" {
				break
			}
		}
		if err != nil {
			var ve *ValidationError
			if bad == "" || !errors.As(err, &ve) {
				t.Fatalf("prepare: %v, though every field can be written", err)
			}
			return
		}
		if bad != "" {
			t.Fatalf("prepare wrote a field CheckField refuses (%s):\n%q", bad, sr.body)
		}
		got, err := ParseXML(sr.body)
		if err != nil {
			t.Fatalf("the request does not parse: %v\n%q", err, sr.body)
		}
		if err := VerifySign(got, docKey); err != nil {
			t.Fatalf("the request's sign: %v\n%q", err, sr.body)
		}
		delete(got, "sign")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("the request carries (-want +got):\n%s", diff)
		}
	})
}
