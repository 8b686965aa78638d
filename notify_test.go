package wxpay_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
)

const notifySuccessXML = `<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>`

func readNotifyFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "notify", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func docClient(t testing.TB, opts ...wxpay.Option) *wxpay.Client {
	t.Helper()
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// payNotifyPaid is what testdata/notify/pay_md5.xml and pay_hmac.xml
// hold (their signs were computed with Python's hashlib and hmac).
var payNotifyPaid = &wxpay.PayNotify{
	AppID:              docAppID,
	MchID:              docMchID,
	OpenID:             "oUpF8uMEb4qRXf22hE3X68TekukE",
	IsSubscribe:        "Y",
	TradeType:          wxpay.TradeTypeJSAPI,
	BankType:           "CMC",
	TotalFee:           888,
	SettlementTotalFee: 848,
	FeeType:            "CNY",
	CashFee:            788,
	CashFeeType:        "CNY",
	CouponFee:          100,
	Coupons:            []wxpay.Coupon{{Type: "CASH", ID: "10001", Fee: 60}, {ID: "10000", Fee: 40}},
	TransactionID:      "1004400740201409030005092168",
	OutTradeNo:         "1409811653",
	Attach:             "store=深圳&table=7",
	TimeEnd:            time.Date(2014, 9, 3, 13, 15, 40, 0, wxpay.Beijing()),
	ResultCode:         "SUCCESS",
}

func TestParsePayNotify(t *testing.T) {
	tests := []struct {
		fixture string
		opts    []wxpay.Option
		want    *wxpay.PayNotify
	}{
		{"pay_md5.xml", nil, payNotifyPaid},
		// WeChat's HMAC notifies carry no sign_type; the client's own type
		// does not matter either.
		{"pay_hmac.xml", nil, payNotifyPaid},
		{"pay_hmac.xml", []wxpay.Option{wxpay.WithSignType(wxpay.SignTypeHMACSHA256)}, payNotifyPaid},
		{"pay_result_fail.xml", nil, &wxpay.PayNotify{
			AppID: docAppID, MchID: docMchID, OpenID: "oUpF8uMEb4qRXf22hE3X68TekukE",
			TradeType: wxpay.TradeTypeNative, TotalFee: 888, OutTradeNo: "1409811653",
			ResultCode: "FAIL", ErrCode: "NOTENOUGH", ErrCodeDes: "余额不足",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			body := readNotifyFixture(t, tt.fixture)
			got, err := docClient(t, tt.opts...).ParsePayNotify(body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreRaw); diff != "" {
				t.Errorf("notify mismatch (-want +got):\n%s", diff)
			}
			want, err := wxpay.ParseXML(body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got.Raw); diff != "" {
				t.Errorf("Raw is not the whole notify (-want +got):\n%s", diff)
			}
		})
	}
}

// resigned returns the pay_md5.xml notify edited by edit and signed again
// with key: a notify WeChat could have sent, had it held those values.
func resigned(t *testing.T, key string, edit func(wxpay.Params)) []byte {
	t.Helper()
	p, err := wxpay.ParseXML(readNotifyFixture(t, "pay_md5.xml"))
	if err != nil {
		t.Fatal(err)
	}
	delete(p, "sign")
	edit(p)
	return []byte(signedXML(t, p, key, wxpay.SignTypeMD5))
}

// badPayNotifies are bodies ParsePayNotify and PayNotifyHandler must
// refuse, with the error each must produce.
func badPayNotifies(t *testing.T) []badBody {
	fixture := string(readNotifyFixture(t, "pay_md5.xml"))
	set := func(k, v string) func(wxpay.Params) { return func(p wxpay.Params) { p[k] = v } }
	del := func(k string) func(wxpay.Params) { return func(p wxpay.Params) { delete(p, k) } }
	return []badBody{
		{"forged sign", []byte(strings.Replace(fixture, "904EAD06927245B7BFA4C3BE63E41759", "904EAD06927245B7BFA4C3BE63E41758", 1)), wantIs(wxpay.ErrInvalidSign)},
		{"one byte changed", []byte(strings.Replace(fixture, "<total_fee>888<", "<total_fee>889<", 1)), wantIs(wxpay.ErrInvalidSign)},
		{"field added", []byte(strings.Replace(fixture, "</xml>", "<refund_fee>1</refund_fee></xml>", 1)), wantIs(wxpay.ErrInvalidSign)},
		{"sign removed", []byte(strings.Replace(fixture, "<sign><![CDATA[904EAD06927245B7BFA4C3BE63E41759]]></sign>", "", 1)), wantIs(wxpay.ErrInvalidSign)},
		{"signed with another key", resigned(t, "00000000000000000000000000000000", func(wxpay.Params) {}), wantIs(wxpay.ErrInvalidSign)},
		{"sign_type HMAC-SHA256 over an MD5 sign", resigned(t, docAPIKey, set("sign_type", "HMAC-SHA256")), wantIs(wxpay.ErrInvalidSign)},
		{"foreign appid", resigned(t, docAPIKey, set("appid", "wx0000000000000000")), wantIs(wxpay.ErrMerchantMismatch)},
		{"foreign mch_id", resigned(t, docAPIKey, set("mch_id", "10000101")), wantIs(wxpay.ErrMerchantMismatch)},
		{"no appid", resigned(t, docAPIKey, del("appid")), wantFieldError("appid")},
		{"no mch_id", resigned(t, docAPIKey, del("mch_id")), wantFieldError("mch_id")},
		{"no out_trade_no", resigned(t, docAPIKey, del("out_trade_no")), wantFieldError("out_trade_no")},
		{"no total_fee", resigned(t, docAPIKey, del("total_fee")), wantFieldError("total_fee")},
		{"no result_code", resigned(t, docAPIKey, del("result_code")), wantFieldError("result_code")},
		{"paid without transaction_id", resigned(t, docAPIKey, del("transaction_id")), wantFieldError("transaction_id")},
		{"total_fee in yuan", resigned(t, docAPIKey, set("total_fee", "8.88")), wantFieldError("total_fee")},
		{"total_fee negative", resigned(t, docAPIKey, set("total_fee", "-888")), wantFieldError("total_fee")},
		{"total_fee with a space", resigned(t, docAPIKey, set("total_fee", " 888")), wantFieldError("total_fee")},
		{"total_fee overflows", resigned(t, docAPIKey, set("total_fee", "9223372036854775808")), wantFieldError("total_fee")},
		{"cash_fee not a number", resigned(t, docAPIKey, set("cash_fee", "abc")), wantFieldError("cash_fee")},
		{"coupon_fee_0 bad", resigned(t, docAPIKey, set("coupon_fee_0", "6O")), wantFieldError("coupon_fee_0")},
		{"coupon_count bad", resigned(t, docAPIKey, set("coupon_count", "two")), wantFieldError("coupon_count")},
		{"time_end bad", resigned(t, docAPIKey, set("time_end", "2014-09-03 13:15:40")), wantFieldError("time_end")},
		{"return_code FAIL", []byte(failXML("参数格式校验错误")), func(t *testing.T, err error) {
			var we *wxpay.Error
			if !errors.As(err, &we) || we.ReturnCode != "FAIL" || we.ReturnMsg != "参数格式校验错误" {
				t.Errorf("error = %v, want *Error with return_code FAIL", err)
			}
		}},
		{"no return_code", resigned(t, docAPIKey, del("return_code")), wantIs(wxpay.ErrMalformedXML)},
		{"malformed", []byte(fixture[:len(fixture)/2]), wantIs(wxpay.ErrMalformedXML)},
		{"JSON", []byte(`{"return_code":"SUCCESS"}`), wantIs(wxpay.ErrMalformedXML)},
		{"DOCTYPE", []byte(`<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + fixture[strings.Index(fixture, "<xml>"):]), wantIs(wxpay.ErrMalformedXML)},
		{"oversized", []byte(strings.Replace(fixture, "</xml>", "<pad>"+strings.Repeat("x", wxpay.MaxBodySize)+"</pad></xml>", 1)), wantIs(wxpay.ErrBodyTooLarge)},
	}
}

// badBody is a notify body a parser must refuse, and the error it must
// refuse it with.
type badBody struct {
	name  string
	body  []byte
	check func(*testing.T, error)
}

func testRejects[T any](t *testing.T, parse func([]byte) (*T, error), bad []badBody) {
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.body)
			if got != nil {
				t.Errorf("accepted: %+v", got)
			}
			tt.check(t, err)
		})
	}
}

func TestParsePayNotifyRejects(t *testing.T) {
	testRejects(t, docClient(t).ParsePayNotify, badPayNotifies(t))
}

func TestParsePayNotifyOldCouponFields(t *testing.T) {
	// Old notifies: unindexed coupon fields and no coupon_count. They are
	// kept in Raw; Coupons holds indexed entries only.
	body := resigned(t, docAPIKey, func(p wxpay.Params) {
		for _, k := range []string{"coupon_count", "coupon_id_0", "coupon_id_1", "coupon_fee_0", "coupon_fee_1", "coupon_type_0"} {
			delete(p, k)
		}
		p["coupon_id"], p["coupon_type"] = "20001", "NO_CASH"
	})
	got, err := docClient(t).ParsePayNotify(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Coupons) != 0 || got.Raw["coupon_id"] != "20001" || got.CouponFee != 100 {
		t.Errorf("Coupons %v, Raw coupon_id %q, CouponFee %d", got.Coupons, got.Raw["coupon_id"], got.CouponFee)
	}
}

func TestNotifySubMerchant(t *testing.T) {
	sub := docClient(t, wxpay.WithSubMerchant("wx8888888888888888", "1900000109"))
	subFields := func(p wxpay.Params) {
		p["sub_appid"], p["sub_mch_id"], p["sub_openid"], p["sub_is_subscribe"] = "wx8888888888888888", "1900000109", "oSub", "N"
	}
	t.Run("pay", func(t *testing.T) {
		got, err := sub.ParsePayNotify(resigned(t, docAPIKey, subFields))
		if err != nil {
			t.Fatal(err)
		}
		want := *payNotifyPaid
		want.SubAppID, want.SubMchID, want.SubOpenID, want.SubIsSubscribe = "wx8888888888888888", "1900000109", "oSub", "N"
		if diff := cmp.Diff(&want, got, ignoreRaw); diff != "" {
			t.Errorf("notify mismatch (-want +got):\n%s", diff)
		}
	})
	for name, body := range map[string][]byte{
		"pay without sub_mch_id":     readNotifyFixture(t, "pay_md5.xml"),
		"pay for another sub_mch_id": resigned(t, docAPIKey, func(p wxpay.Params) { subFields(p); p["sub_mch_id"] = "1900000110" }),
		"pay for another sub_appid":  resigned(t, docAPIKey, func(p wxpay.Params) { subFields(p); p["sub_appid"] = "wx9999999999999999" }),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := sub.ParsePayNotify(body); !errors.Is(err, wxpay.ErrMerchantMismatch) {
				t.Errorf("error = %v, want ErrMerchantMismatch", err)
			}
		})
	}
	outer := func(subMchID string) []byte {
		p := wxpay.Params{
			"return_code": "SUCCESS", "appid": docAppID, "mch_id": docMchID, "nonce_str": "n",
			"req_info": encryptReqInfo(t, docAPIKey, []byte(a9Plain), nil),
		}
		if subMchID != "" {
			p["sub_appid"], p["sub_mch_id"] = "wx8888888888888888", subMchID
		}
		return p.AppendXML(nil)
	}
	t.Run("refund", func(t *testing.T) {
		got, err := sub.ParseRefundNotify(outer("1900000109"))
		if err != nil {
			t.Fatal(err)
		}
		want := *refundA9
		want.SubAppID, want.SubMchID = "wx8888888888888888", "1900000109"
		if diff := cmp.Diff(&want, got, ignoreRaw); diff != "" {
			t.Errorf("notify mismatch (-want +got):\n%s", diff)
		}
	})
	for name, body := range map[string][]byte{"refund without sub_mch_id": outer(""), "refund for another sub_mch_id": outer("1900000110")} {
		t.Run(name, func(t *testing.T) {
			if _, err := sub.ParseRefundNotify(body); !errors.Is(err, wxpay.ErrMerchantMismatch) {
				t.Errorf("error = %v, want ErrMerchantMismatch", err)
			}
		})
	}
}

type ctxKey struct{}

// handlerResult is what a notify handler did with one request.
type handlerResult struct {
	status      int
	contentType string
	returnCode  string
	body        string
	calls       int
}

// handlerCase is one request to a notify handler, and what fn returns.
type handlerCase struct {
	name   string
	method string
	body   []byte
	fnErr  error
	want   handlerResult
}

var (
	handlerSuccess = handlerResult{status: 200, contentType: "text/xml", returnCode: "SUCCESS", body: notifySuccessXML, calls: 1}
	handlerBadBody = handlerResult{status: 400, contentType: "text/xml", returnCode: "FAIL"}
	// handlerAcked: answered SUCCESS, so that WeChat stops, without fn.
	handlerAcked = handlerResult{status: 200, contentType: "text/xml", returnCode: "SUCCESS", body: notifySuccessXML}
)

// testNotifyHandler sends each case, and each bad body, to the handler
// newHandler returns and compares what it did; a notify that reaches fn
// must satisfy ok.
func testNotifyHandler[T any](t *testing.T, newHandler func(func(context.Context, *T) error) http.Handler, cases []handlerCase, bad []badBody, ok func(*T) bool) {
	fail := func(status, calls int) handlerResult {
		return handlerResult{status: status, contentType: "text/xml", returnCode: "FAIL", calls: calls}
	}
	cases = append(cases,
		handlerCase{"fn fails", http.MethodPost, cases[0].body, errors.New("database down"), fail(500, 1)},
		handlerCase{"GET", http.MethodGet, nil, nil, fail(405, 0)},
		handlerCase{"PUT", http.MethodPut, cases[0].body, nil, fail(405, 0)},
		handlerCase{"empty", http.MethodPost, nil, nil, fail(400, 0)},
	)
	for _, b := range bad {
		want := fail(400, 0)
		if b.name == "oversized" {
			want = fail(413, 0)
		}
		cases = append(cases, handlerCase{b.name, http.MethodPost, b.body, nil, want})
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			handler := newHandler(func(ctx context.Context, n *T) error {
				calls.Add(1)
				if ctx.Value(ctxKey{}) != "request" {
					t.Error("callback did not get the request's context")
				}
				if !ok(n) {
					t.Errorf("fn got %+v", n)
				}
				return tt.fnErr
			})
			req := httptest.NewRequest(tt.method, "https://shop.example.com/wxpay/notify", bytes.NewReader(tt.body))
			req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, "request"))
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			reply, err := wxpay.ParseXML(rec.Body.Bytes())
			if err != nil {
				t.Errorf("reply %q is not XML: %v", rec.Body.String(), err)
			}
			got := handlerResult{
				status:      rec.Code,
				contentType: rec.Header().Get("Content-Type"),
				returnCode:  reply["return_code"],
				calls:       int(calls.Load()),
			}
			if got.returnCode != "FAIL" { // a FAIL reply's reason is free text
				got.body = rec.Body.String()
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(handlerResult{})); diff != "" {
				t.Errorf("handler result (-want +got):\n%s", diff)
			}
			if tt.method != http.MethodPost && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", rec.Header().Get("Allow"))
			}
		})
	}
}

func TestPayNotifyHandler(t *testing.T) {
	c := docClient(t)
	handler := func(fn func(context.Context, *wxpay.PayNotify) error) http.Handler { return c.PayNotifyHandler(fn) }
	testNotifyHandler(t, handler, []handlerCase{
		{"valid MD5", http.MethodPost, readNotifyFixture(t, "pay_md5.xml"), nil, handlerSuccess},
		{"valid HMAC without sign_type", http.MethodPost, readNotifyFixture(t, "pay_hmac.xml"), nil, handlerSuccess},
		{"result_code FAIL acknowledged, fn not called", http.MethodPost, readNotifyFixture(t, "pay_result_fail.xml"), nil, handlerAcked},
		{"a refund notify", http.MethodPost, readNotifyFixture(t, "refund_a9.xml"), nil, handlerBadBody},
	}, badPayNotifies(t), func(n *wxpay.PayNotify) bool { return n.OutTradeNo == "1409811653" })
}

func TestNotifyHandlerNilCallback(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("PayNotifyHandler(nil) did not panic")
		}
	}()
	docClient(t).PayNotifyHandler(nil)
}

// encryptReqInfo is WeChat's side of req_info, written independently of
// the package: AES-256-ECB, one crypto/aes block at a time, under the hex
// MD5 of apiKey, PKCS#7 padded unless pad says otherwise.
func encryptReqInfo(t testing.TB, apiKey string, plain []byte, pad func([]byte) []byte) string {
	t.Helper()
	if pad == nil {
		pad = func(b []byte) []byte {
			n := aes.BlockSize - len(b)%aes.BlockSize
			return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
		}
	}
	key := fmt.Sprintf("%x", md5.Sum([]byte(apiKey)))
	block, err := aes.NewCipher([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	data := pad(append([]byte(nil), plain...))
	out := make([]byte, len(data))
	for i := 0; i+aes.BlockSize <= len(data); i += aes.BlockSize {
		block.Encrypt(out[i:i+aes.BlockSize], data[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(out[:len(data)/aes.BlockSize*aes.BlockSize])
}

func refundNotifyXML(reqInfo string) []byte {
	return wxpay.Params{
		"return_code": "SUCCESS", "appid": docAppID, "mch_id": docMchID,
		"nonce_str": "TeqClE3i0mvn3DrK", "req_info": reqInfo,
	}.AppendXML(nil)
}

const a9Plain = `<root><out_refund_no><![CDATA[R001]]></out_refund_no><out_trade_no><![CDATA[20150806125346]]></out_trade_no><refund_fee><![CDATA[888]]></refund_fee><refund_status><![CDATA[SUCCESS]]></refund_status><success_time><![CDATA[2015-08-06 12:55:01]]></success_time><total_fee><![CDATA[888]]></total_fee></root>`

var refundA9 = &wxpay.RefundNotify{
	AppID: docAppID, MchID: docMchID,
	OutTradeNo: "20150806125346", OutRefundNo: "R001",
	TotalFee: 888, RefundFee: 888,
	RefundStatus: wxpay.RefundStatusSuccess,
	SuccessTime:  time.Date(2015, 8, 6, 12, 55, 1, 0, wxpay.Beijing()),
}

func TestParseRefundNotify(t *testing.T) {
	full := &wxpay.RefundNotify{
		AppID: docAppID, MchID: docMchID,
		TransactionID: "4200000215201811190261405420", OutTradeNo: "71106718111915575302817",
		RefundID: "50000408942018111907145868882", OutRefundNo: "131811191610442717309",
		TotalFee: 3960, SettlementTotalFee: 3960, RefundFee: 3960, SettlementRefundFee: 3960,
		RefundStatus: wxpay.RefundStatusSuccess, SuccessTime: time.Date(2018, 11, 19, 16, 24, 13, 0, wxpay.Beijing()),
		RefundRecvAccount: "支付用户零钱", RefundAccount: "REFUND_SOURCE_RECHARGE_FUNDS", RefundRequestSource: "API",
	}
	// A plaintext whose length is a multiple of 16 gets a whole block of
	// padding.
	aligned := `<root><out_refund_no>R2</out_refund_no><out_trade_no>T2</out_trade_no><refund_status>CHANGE</refund_status></root>`
	aligned += strings.Repeat(" ", 16-len(aligned)%16)
	tests := []struct {
		name      string
		body      []byte
		want      *wxpay.RefundNotify
		wantPlain string // the decrypted message; "" to skip
	}{
		{"spec A9", readNotifyFixture(t, "refund_a9.xml"), refundA9, a9Plain},
		{"all fields, encrypted by openssl", readNotifyFixture(t, "refund_full.xml"), full, ""},
		{"A9 plaintext encrypted here", refundNotifyXML(encryptReqInfo(t, docAPIKey, []byte(a9Plain), nil)), refundA9, a9Plain},
		{"whole block of padding", refundNotifyXML(encryptReqInfo(t, docAPIKey, []byte(aligned), nil)), &wxpay.RefundNotify{
			AppID: docAppID, MchID: docMchID, OutTradeNo: "T2", OutRefundNo: "R2", RefundStatus: wxpay.RefundStatusChange,
		}, aligned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := docClient(t).ParseRefundNotify(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreRaw); diff != "" {
				t.Errorf("notify mismatch (-want +got):\n%s", diff)
			}
			if tt.wantPlain != "" {
				want, err := wxpay.ParseXML([]byte(tt.wantPlain))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got.Raw); diff != "" {
					t.Errorf("Raw is not the decrypted message (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestParseRefundNotifyConcurrentKeys parses notifies for two merchants
// at once (run it with -race): no key or buffer may leak from one parse
// into another.
func TestParseRefundNotifyConcurrentKeys(t *testing.T) {
	const otherKey = "0123456789abcdef0123456789ABCDEF"
	clients := []*wxpay.Client{docClient(t), nil}
	var err error
	if clients[1], err = wxpay.NewClient(docAppID, docMchID, otherKey); err != nil {
		t.Fatal(err)
	}
	bodies := [][]byte{
		refundNotifyXML(encryptReqInfo(t, docAPIKey, []byte(a9Plain), nil)),
		refundNotifyXML(encryptReqInfo(t, otherKey, []byte(a9Plain), nil)),
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				c, k := g%2, (g+i)%2
				n, err := clients[c].ParseRefundNotify(bodies[k])
				switch {
				case c == k && err != nil:
					t.Errorf("own key: %v", err)
					return
				case c == k && n.OutRefundNo != "R001":
					t.Errorf("own key: got %+v", n)
					return
				case c != k && !errors.Is(err, wxpay.ErrDecrypt):
					t.Errorf("other key: error = %v, want ErrDecrypt", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestParseRefundNotifyKeepsRaw checks that a notify's Raw does not
// share memory with buffers the next parse reuses.
func TestParseRefundNotifyKeepsRaw(t *testing.T) {
	c := docClient(t)
	first, err := c.ParseRefundNotify(readNotifyFixture(t, "refund_a9.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := wxpay.ParseXML([]byte(a9Plain))
	for range 10 {
		if _, err := c.ParseRefundNotify(readNotifyFixture(t, "refund_full.xml")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ParseRefundNotify(refundNotifyXML(encryptReqInfo(t, "00000000000000000000000000000000", []byte(a9Plain), nil))); err == nil {
			t.Fatal("wrong key accepted")
		}
	}
	if diff := cmp.Diff(want, first.Raw); diff != "" {
		t.Errorf("first notify's Raw changed (-want +got):\n%s", diff)
	}
}

// badRefundNotifies are bodies ParseRefundNotify must refuse.
func badRefundNotifies(t *testing.T) []badBody {
	plain := []byte(a9Plain)
	withPad := func(last ...byte) func([]byte) []byte {
		return func(b []byte) []byte {
			n := aes.BlockSize - (len(b)+len(last))%aes.BlockSize
			if n == aes.BlockSize {
				n = 0
			}
			return append(append(b, bytes.Repeat([]byte{' '}, n)...), last...)
		}
	}
	good := encryptReqInfo(t, docAPIKey, plain, nil)
	raw, _ := base64.StdEncoding.DecodeString(good)
	decrypt := wantIs(wxpay.ErrDecrypt)
	// Bad padding must be caught as such, not later as malformed XML.
	badPad := func(t *testing.T, err error) {
		t.Helper()
		decrypt(t, err)
		if errors.Is(err, wxpay.ErrMalformedXML) {
			t.Errorf("error = %v: bad padding taken for plaintext", err)
		}
	}
	return []badBody{
		{"wrong key", refundNotifyXML(encryptReqInfo(t, "00000000000000000000000000000000", plain, nil)), decrypt},
		{"pad byte 0", refundNotifyXML(encryptReqInfo(t, docAPIKey, plain, withPad(0))), badPad},
		{"pad byte 17", refundNotifyXML(encryptReqInfo(t, docAPIKey, plain, withPad(17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17))), badPad},
		{"pad bytes differ", refundNotifyXML(encryptReqInfo(t, docAPIKey, plain, withPad(3, 2, 3))), badPad},
		{"pad of 2 over a space", refundNotifyXML(encryptReqInfo(t, docAPIKey, plain, withPad(' ', 2))), badPad},
		{"truncated by a block", refundNotifyXML(base64.StdEncoding.EncodeToString(raw[:len(raw)-aes.BlockSize])), decrypt},
		{"truncated inside a block", refundNotifyXML(base64.StdEncoding.EncodeToString(raw[:len(raw)-3])), decrypt},
		{"truncated base64", refundNotifyXML(good[:len(good)-2]), decrypt},
		{"non-base64", refundNotifyXML("not base64!"), decrypt},
		{"URL-safe base64", refundNotifyXML(base64.URLEncoding.EncodeToString(raw)), func(t *testing.T, err error) {
			// Only when the ciphertext happens to contain '+' or '/'.
			if strings.ContainsAny(good, "+/") {
				decrypt(t, err)
			}
		}},
		{"empty req_info", refundNotifyXML(""), decrypt},
		{"one block of padding only", refundNotifyXML(encryptReqInfo(t, docAPIKey, nil, nil)), decrypt},
		{"garbage plaintext", refundNotifyXML(encryptReqInfo(t, docAPIKey, []byte("refund_status=SUCCESS"), nil)), func(t *testing.T, err error) {
			decrypt(t, err)
			wantIs(wxpay.ErrMalformedXML)(t, err)
		}},
		{"no out_refund_no", refundNotifyXML(encryptReqInfo(t, docAPIKey, []byte(`<root><out_trade_no>1</out_trade_no><refund_status>SUCCESS</refund_status></root>`), nil)), wantFieldError("out_refund_no")},
		{"no refund_status", refundNotifyXML(encryptReqInfo(t, docAPIKey, []byte(`<root><out_trade_no>1</out_trade_no><out_refund_no>2</out_refund_no></root>`), nil)), wantFieldError("refund_status")},
		{"refund_fee in yuan", refundNotifyXML(encryptReqInfo(t, docAPIKey, []byte(strings.Replace(a9Plain, "[888]]></refund_fee>", "[8.88]]></refund_fee>", 1)), nil)), wantFieldError("refund_fee")},
		{"success_time compact", refundNotifyXML(encryptReqInfo(t, docAPIKey, []byte(strings.Replace(a9Plain, "2015-08-06 12:55:01", "20150806125501", 1)), nil)), wantFieldError("success_time")},
		{"foreign appid", bytes.Replace(readNotifyFixture(t, "refund_a9.xml"), []byte(docAppID), []byte("wx0000000000000000"), 1), wantIs(wxpay.ErrMerchantMismatch)},
		{"foreign mch_id", bytes.Replace(readNotifyFixture(t, "refund_a9.xml"), []byte(docMchID), []byte("10000101"), 1), wantIs(wxpay.ErrMerchantMismatch)},
		{"no mch_id", []byte(strings.Replace(string(refundNotifyXML(good)), "<mch_id><![CDATA[10000100]]></mch_id>", "", 1)), wantFieldError("mch_id")},
		{"return_code FAIL", []byte(failXML("系统繁忙")), func(t *testing.T, err error) {
			var we *wxpay.Error
			if !errors.As(err, &we) || we.ReturnCode != "FAIL" {
				t.Errorf("error = %v, want *Error with return_code FAIL", err)
			}
		}},
		{"malformed", []byte("<xml><req_info>"), wantIs(wxpay.ErrMalformedXML)},
		{"oversized", refundNotifyXML(strings.Repeat("A", wxpay.MaxBodySize)), wantIs(wxpay.ErrBodyTooLarge)},
	}
}

func TestParseRefundNotifyRejects(t *testing.T) {
	testRejects(t, docClient(t).ParseRefundNotify, badRefundNotifies(t))
}

func TestRefundNotifyHandler(t *testing.T) {
	testNotifyHandler(t, docClient(t).RefundNotifyHandler, []handlerCase{
		{"valid", http.MethodPost, readNotifyFixture(t, "refund_a9.xml"), nil, handlerSuccess},
		{"a pay notify", http.MethodPost, readNotifyFixture(t, "pay_md5.xml"), nil, handlerBadBody},
	}, badRefundNotifies(t), func(n *wxpay.RefundNotify) bool { return n.OutRefundNo == "R001" })
}

func ExampleClient_PayNotifyHandler() {
	client, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	if err != nil {
		log.Fatal(err)
	}
	// Serve this at the NotifyURL of your orders, e.g.
	// http.Handle("/wxpay/notify", handler).
	handler := client.PayNotifyHandler(func(ctx context.Context, n *wxpay.PayNotify) error {
		// Only verified notifies of paid orders get here: see
		// ExampleClient_PayNotifyHandler_failedPayment. WeChat may send
		// the same notify more than once: mark the order paid in one
		// transaction that does nothing if it already is, and compare the
		// amount with the order's.
		fmt.Printf("order %s paid: %d fen, transaction %s\n", n.OutTradeNo, n.TotalFee, n.TransactionID)
		return nil // a non-nil error makes WeChat send the notify again later
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	// WeChat's side, played here: a notify signed with the merchant's key.
	notify := wxpay.Params{
		"return_code": "SUCCESS", "result_code": "SUCCESS",
		"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c",
		"out_trade_no": "20150806125346", "transaction_id": "1004400740201409030005092168",
		"total_fee": "888", "cash_fee": "888", "trade_type": "JSAPI", "time_end": "20150806125501",
	}
	notify["sign"], _ = wxpay.Sign(notify, "192006250b4c09247ec02edce69f6a2d", wxpay.SignTypeMD5)
	resp, err := http.Post(srv.URL, "text/xml", bytes.NewReader(notify.AppendXML(nil)))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(reply))
	// Output:
	// order 20150806125346 paid: 888 fen, transaction 1004400740201409030005092168
	// 200 <xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>
}

func ExampleClient_ParseRefundNotify() {
	client, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	if err != nil {
		log.Fatal(err)
	}
	// The body WeChat POSTs to the refund notify URL (spec Appendix A9).
	body := []byte(`<xml><return_code>SUCCESS</return_code><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id>` +
		`<nonce_str>TeqClE3i0mvn3DrK</nonce_str><req_info><![CDATA[` +
		`WBzGpzQuNpcFxIlFjUUD9O1INQe1sr+wMG6wUR3vMtLc2oYUq/rZkvAzKWesMRgtDXXTmvwp6zzYLUD7V6zTHJ/VAboSB9P5YlRpsR9C7OjtHmdKaOfdNRsENuLsrufm6NTNo8J68Rlma1meV/He63zclJ9PUmK8v5LA1IWB/Coe9a2S0xhPoWcwzWjsosuxOoVnSIkA3MZsaEVHiFrFpkvHsN1Eha5L6GTG2Jz3xyTeakaK726IGU1OhiSDhHSLmmWGFx9kevi9nDIz11siFd4bkBWQeHdtuES+XZS9wITfCmudp1mJUFz6zWc1f+tReIVgW84XStyaniaekKdo/UjLE0OwfeK7ZuPK3nsMmiJNqKHr5X/xOzdFrxPXxbZFzXyp/dTdFPK+uRBH9fFq2A==` +
		`]]></req_info></xml>`)
	n, err := client.ParseRefundNotify(body)
	if err != nil {
		log.Fatal(err) // in a handler: reply FAIL so that WeChat sends it again
	}
	fmt.Println(n.OutRefundNo, n.OutTradeNo, n.RefundStatus, n.RefundFee, n.SuccessTime.Format(time.DateTime))
	// Output: R001 20150806125346 SUCCESS 888 2015-08-06 12:55:01
}

func ExampleClient_RefundNotifyHandler() {
	client, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d")
	if err != nil {
		log.Fatal(err)
	}
	// Serve this at the refunds' NotifyURL, e.g.
	// http.Handle("/wxpay/refund-notify", handler).
	handler := client.RefundNotifyHandler(func(ctx context.Context, n *wxpay.RefundNotify) error {
		// Idempotent by OutRefundNo: WeChat may deliver a notify twice.
		// req_info is encrypted, not signed: match the refund with your
		// own records, or confirm it with RefundQuery, before money or
		// goods move on it.
		switch n.RefundStatus {
		case wxpay.RefundStatusSuccess:
			fmt.Printf("refund %s of order %s done: %d fen\n", n.OutRefundNo, n.OutTradeNo, n.RefundFee)
		case wxpay.RefundStatusChange:
			fmt.Printf("refund %s failed abnormally: transfer the money by hand\n", n.OutRefundNo)
		}
		return nil
	})

	// WeChat's side, played here: the refund notify of spec Appendix A9.
	body := `<xml><return_code>SUCCESS</return_code><appid>wxd930ea5d5a258f4f</appid><mch_id>10000100</mch_id>` +
		`<nonce_str>TeqClE3i0mvn3DrK</nonce_str><req_info><![CDATA[` +
		`WBzGpzQuNpcFxIlFjUUD9O1INQe1sr+wMG6wUR3vMtLc2oYUq/rZkvAzKWesMRgtDXXTmvwp6zzYLUD7V6zTHJ/VAboSB9P5YlRpsR9C7OjtHmdKaOfdNRsENuLsrufm6NTNo8J68Rlma1meV/He63zclJ9PUmK8v5LA1IWB/Coe9a2S0xhPoWcwzWjsosuxOoVnSIkA3MZsaEVHiFrFpkvHsN1Eha5L6GTG2Jz3xyTeakaK726IGU1OhiSDhHSLmmWGFx9kevi9nDIz11siFd4bkBWQeHdtuES+XZS9wITfCmudp1mJUFz6zWc1f+tReIVgW84XStyaniaekKdo/UjLE0OwfeK7ZuPK3nsMmiJNqKHr5X/xOzdFrxPXxbZFzXyp/dTdFPK+uRBH9fFq2A==` +
		`]]></req_info></xml>`
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/wxpay/refund-notify", strings.NewReader(body)))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// refund R001 of order 20150806125346 done: 888 fen
	// 200 <xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>
}
