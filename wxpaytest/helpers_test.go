package wxpaytest_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// The merchant of the documented signing example (spec §2).
const (
	appID  = "wxd930ea5d5a258f4f"
	mchID  = "10000100"
	apiKey = "192006250b4c09247ec02edce69f6a2d"
)

func newServer(t *testing.T, opts ...wxpaytest.Option) *wxpaytest.Server {
	t.Helper()
	srv := wxpaytest.NewServer(appID, mchID, apiKey, opts...)
	t.Cleanup(srv.Close)
	return srv
}

// refSign is an independent implementation of the v2 signature (spec §2),
// so that the server's checks are not only tested against wxpay.Sign.
func refSign(p wxpay.Params, key string, t wxpay.SignType) string {
	var keys []string
	for k, v := range p {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + p[k] + "&")
	}
	b.WriteString("key=" + key)
	if t == wxpay.SignTypeHMACSHA256 {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(b.String()))
		return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
	}
	sum := md5.Sum([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// signed completes p as a client would (appid, mch_id, nonce_str, and
// sign_type unless t is MD5) and signs it with refSign.
func signed(p wxpay.Params, t wxpay.SignType) wxpay.Params {
	q := wxpay.Params{"appid": appID, "mch_id": mchID, "nonce_str": wxpay.NonceStr()}
	if t != wxpay.SignTypeMD5 {
		q["sign_type"] = string(t)
	}
	for k, v := range p {
		q[k] = v
	}
	q["sign"] = refSign(q, apiKey, t)
	return q
}

// postRaw POSTs body to path with hc and returns the status and body.
func postRaw(t *testing.T, hc *http.Client, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := hc.Post(url, "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading answer of %s: %v", url, err)
	}
	return resp.StatusCode, data
}

// call signs p with st, posts it to path and returns the decoded,
// checked answer.
func call(t *testing.T, srv *wxpaytest.Server, hc *http.Client, path string, p wxpay.Params, st wxpay.SignType) wxpay.Params {
	t.Helper()
	return callBody(t, srv, hc, path, signed(p, st).AppendXML(nil), st)
}

func callBody(t *testing.T, srv *wxpaytest.Server, hc *http.Client, path string, body []byte, st wxpay.SignType) wxpay.Params {
	t.Helper()
	status, data := postRaw(t, hc, srv.URL+path, body)
	if status != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, status, data)
	}
	return checkAnswer(t, path, data, st)
}

// checkAnswer decodes an answer: SUCCESS must carry the envelope and a
// sign of type st (checked with refSign) and no sign_type; FAIL no sign.
func checkAnswer(t *testing.T, path string, data []byte, st wxpay.SignType) wxpay.Params {
	t.Helper()
	r, err := wxpay.ParseXML(data)
	if err != nil {
		t.Fatalf("%s: answer %q: %v", path, data, err)
	}
	if r["return_code"] == "SUCCESS" {
		if want := refSign(r, apiKey, st); r["sign"] != want {
			t.Fatalf("%s: answer sign %q, want %s sign %q", path, r["sign"], st, want)
		}
		// appid is the request's: the server's, but for APPID_MCHID_NOT_MATCH.
		if r["appid"] == "" || r["mch_id"] != mchID || r["nonce_str"] == "" {
			t.Fatalf("%s: answer envelope %v", path, r)
		}
		if _, ok := r["sign_type"]; ok {
			t.Fatalf("%s: answer has sign_type, WeChat sends none", path)
		}
	} else if _, ok := r["sign"]; ok {
		t.Fatalf("%s: FAIL answer is signed: %v", path, r)
	}
	return r
}

func httptestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// certClient is srv.Client() presenting the merchant certificate.
func certClient(t *testing.T, srv *wxpaytest.Server) *http.Client {
	t.Helper()
	certPEM, keyPEM := srv.MerchantCertPEM()
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	hc := &http.Client{Transport: tr}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// jsapiOrder is a valid unified order request for out_trade_no no.
func jsapiOrder(no string, fee string) wxpay.Params {
	return wxpay.Params{
		"body": "腾讯充值中心-QQ会员充值", "out_trade_no": no, "total_fee": fee,
		"spbill_create_ip": "123.12.12.123", "notify_url": "http://127.0.0.1:9/notify", // the discard port: refused at once
		"trade_type": "JSAPI", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "attach": "a&b=<c>",
	}
}

// wantResult fails unless r is a result of result_code FAIL with errCode,
// or SUCCESS when errCode is "".
func wantResult(t *testing.T, what string, r wxpay.Params, errCode string) {
	t.Helper()
	if r["return_code"] != "SUCCESS" {
		t.Fatalf("%s: return_code %s %q, want SUCCESS", what, r["return_code"], r["return_msg"])
	}
	if errCode == "" && r["result_code"] != "SUCCESS" {
		t.Fatalf("%s: %s %s %q, want SUCCESS", what, r["result_code"], r["err_code"], r["err_code_des"])
	}
	if errCode != "" && (r["result_code"] != "FAIL" || r["err_code"] != errCode) {
		t.Fatalf("%s: result_code %s err_code %q, want FAIL %s", what, r["result_code"], r["err_code"], errCode)
	}
}

// merchant is a notify endpoint that answers with reply(n) to its n-th
// notify (from 1) and keeps the bodies.
type merchant struct {
	mu     sync.Mutex
	bodies [][]byte
	reply  func(n int) (int, string)
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.bodies = append(m.bodies, body)
	n := len(m.bodies)
	m.mu.Unlock()
	status, text := http.StatusOK, successXML
	if m.reply != nil {
		status, text = m.reply(n)
	}
	w.WriteHeader(status)
	io.WriteString(w, text)
}

func (m *merchant) received() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.bodies...)
}

const (
	successXML = "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
	failXML    = "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[busy]]></return_msg></xml>"
)

// fastNotifies is a short retry schedule for tests.
var fastNotifies = wxpaytest.WithNotifyDelays(time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond)

// withChanges returns a copy of p with the changes made; an empty value
// deletes the field.
func withChanges(p, changes wxpay.Params) wxpay.Params {
	q := wxpay.Params{}
	for k, v := range p {
		q[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(q, k)
		} else {
			q[k] = v
		}
	}
	return q
}

// wantAnswer fails unless r is exactly return_code FAIL with returnMsg,
// or, when returnMsg is "", a result as wantResult wants it.
func wantAnswer(t *testing.T, what string, r wxpay.Params, returnMsg, errCode string) {
	t.Helper()
	if returnMsg == "" {
		wantResult(t, what, r, errCode)
		return
	}
	if diff := cmp.Diff(returnFail(returnMsg), r); diff != "" {
		t.Fatalf("%s: answer (-want +got):\n%s", what, diff)
	}
}

func returnFail(msg string) wxpay.Params {
	return wxpay.Params{"return_code": "FAIL", "return_msg": msg}
}

// wantPaySign fails unless the JSAPI pay parameters are signed with key
// (MD5), and returns them as the JSON object a page gets.
func wantPaySign(t *testing.T, js *wxpay.JSAPIPayParams, key string) map[string]string {
	t.Helper()
	var obj map[string]string
	data, _ := json.Marshal(js)
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	signedPart := wxpay.Params{}
	for k, v := range obj {
		if k != "paySign" {
			signedPart[k] = v
		}
	}
	if want := refSign(signedPart, key, wxpay.SignTypeMD5); obj["paySign"] != want {
		t.Fatalf("wx.requestPayment object %s: paySign, want %s", data, want)
	}
	return obj
}

// changeCase is a request made from a valid one by changes, and the
// answer it must get.
type changeCase struct {
	name      string
	change    wxpay.Params // an empty value deletes the field
	returnMsg string       // return_code FAIL with this, or "" for a result
	errCode   string       // result_code FAIL with this, or "" for SUCCESS
}

// runChangeCases posts base(i), changed as case i says, to path, and
// checks each answer.
func runChangeCases(t *testing.T, srv *wxpaytest.Server, path string, base func(i int) wxpay.Params, cases []changeCase) {
	t.Helper()
	for i, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, srv.Client(), path, withChanges(base(i), tt.change), wxpay.SignTypeMD5)
			wantAnswer(t, tt.name, r, tt.returnMsg, tt.errCode)
		})
	}
}

// clock is a server clock the test sets, for WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// clockAt returns a clock showing t and the option that gives it to a server.
func clockAt(t time.Time) (*clock, wxpaytest.Option) {
	c := &clock{now: t}
	return c, wxpaytest.WithClock(c.Now)
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }
