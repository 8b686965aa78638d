package wxpaytest_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// paidOrder creates and pays order no of fee fen (no notify).
func paidOrder(t *testing.T, srv *wxpaytest.Server, no string, fee int64, pm wxpaytest.Payment) {
	t.Helper()
	r := call(t, srv, srv.Client(), "/pay/unifiedorder", jsapiOrder(no, strconv.FormatInt(fee, 10)), wxpay.SignTypeMD5)
	wantResult(t, "unified order "+no, r, "")
	pm.SkipNotify = true
	if err := srv.PayWith(no, pm); err != nil {
		t.Fatal(err)
	}
}

func refundReq(no, refundNo string, total, fee int64) wxpay.Params {
	return wxpay.Params{
		"out_trade_no": no, "out_refund_no": refundNo,
		"total_fee": strconv.FormatInt(total, 10), "refund_fee": strconv.FormatInt(fee, 10),
	}
}

func TestRefundNeedsCertificate(t *testing.T) {
	srv := newServer(t)
	paidOrder(t, srv, "F0000001", 100, wxpaytest.Payment{})
	r := call(t, srv, srv.Client(), "/secapi/pay/refund", refundReq("F0000001", "R1", 100, 1), wxpay.SignTypeMD5)
	if r["return_code"] != "FAIL" || !strings.Contains(r["return_msg"], "client certificate") {
		t.Fatalf("refund without certificate: %v", r)
	}
	reqs := srv.Requests()
	if last := reqs[len(reqs)-1]; last.ClientCert {
		t.Fatal("request recorded as having a client certificate")
	}
	r = call(t, srv, certClient(t, srv), "/secapi/pay/refund", refundReq("F0000001", "R1", 100, 1), wxpay.SignTypeMD5)
	wantResult(t, "refund with certificate", r, "")
	reqs = srv.Requests()
	if last := reqs[len(reqs)-1]; !last.ClientCert {
		t.Fatal("request recorded without its client certificate")
	}
}

func TestRefundRules(t *testing.T) {
	srv := newServer(t)
	hc := certClient(t, srv)
	paidOrder(t, srv, "F0000002", 1000, wxpaytest.Payment{})
	call(t, srv, hc, "/pay/unifiedorder", jsapiOrder("F0000003", "1000"), wxpay.SignTypeMD5) // unpaid
	refund := func(p wxpay.Params) wxpay.Params {
		return call(t, srv, hc, "/secapi/pay/refund", p, wxpay.SignTypeHMACSHA256)
	}

	first := refund(refundReq("F0000002", "R-a", 1000, 300))
	wantResult(t, "first refund", first, "")
	wantFields(t, "first refund", first, wxpay.Params{
		"out_trade_no": "F0000002", "out_refund_no": "R-a", "refund_fee": "300", "total_fee": "1000",
		"cash_fee": "1000", "cash_refund_fee": "300", "coupon_refund_fee": "0", "coupon_refund_count": "0",
	})
	if len(first["refund_id"]) != 29 || len(first["transaction_id"]) != 28 {
		t.Fatalf("refund_id %q, transaction_id %q", first["refund_id"], first["transaction_id"])
	}

	tests := []struct {
		name      string
		req       wxpay.Params
		returnMsg string
		errCode   string
	}{
		{name: "same refund again", req: refundReq("F0000002", "R-a", 1000, 300)},
		{name: "same refund by transaction_id", req: wxpay.Params{"transaction_id": first["transaction_id"], "out_refund_no": "R-a", "total_fee": "1000", "refund_fee": "300"}},
		{name: "same number, other amount", req: refundReq("F0000002", "R-a", 1000, 301), errCode: "REFUND_FEE_MISMATCH"},
		{name: "wrong total_fee", req: refundReq("F0000002", "R-b", 999, 100), errCode: "REFUND_FEE_MISMATCH"},
		{name: "over what is left", req: refundReq("F0000002", "R-b", 1000, 701), errCode: "INVALID_REQUEST"},
		{name: "more than the total", req: refundReq("F0000002", "R-b", 1000, 1001), returnMsg: "invalid refund_fee"},
		{name: "zero", req: refundReq("F0000002", "R-b", 1000, 0), returnMsg: "invalid refund_fee"},
		{name: "unpaid order", req: refundReq("F0000003", "R-c", 1000, 1), errCode: "ORDERNOTEXIST"},
		{name: "unknown order", req: refundReq("F0000009", "R-c", 1000, 1), errCode: "ORDERNOTEXIST"},
		{name: "bad refund number", req: refundReq("F0000002", "R c", 1000, 1), returnMsg: "out_refund_no参数格式错误"},
		{name: "bad refund_account", req: func() wxpay.Params {
			p := refundReq("F0000002", "R-b", 1000, 1)
			p["refund_account"] = "BANK"
			return p
		}(), returnMsg: "refund_account参数格式错误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := refund(tt.req)
			if tt.returnMsg != "" {
				if diff := cmp.Diff(wxpay.Params{"return_code": "FAIL", "return_msg": tt.returnMsg}, r); diff != "" {
					t.Fatalf("(-want +got):\n%s", diff)
				}
				return
			}
			wantResult(t, tt.name, r, tt.errCode)
			if tt.errCode == "" && r["refund_id"] != first["refund_id"] {
				t.Fatalf("repeat made refund %q, want %q", r["refund_id"], first["refund_id"])
			}
		})
	}

	// The rest, then nothing more.
	wantResult(t, "the rest", refund(refundReq("F0000002", "R-b", 1000, 700)), "")
	wantResult(t, "fully refunded", refund(refundReq("F0000002", "R-c", 1000, 1)), "ERROR")
	q := call(t, srv, hc, "/pay/orderquery", wxpay.Params{"out_trade_no": "F0000002"}, wxpay.SignTypeMD5)
	wantFields(t, "query", q, wxpay.Params{"trade_state": "REFUND", "trade_state_desc": "转入退款"})
}

func TestRefundQuery(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, wxpay.Beijing())
	srv := newServer(t, wxpaytest.WithClock(func() time.Time { return now }))
	hc := certClient(t, srv)
	paidOrder(t, srv, "Q0000001", 10000, wxpaytest.Payment{})
	var ids []string
	for i := 0; i < 12; i++ {
		p := refundReq("Q0000001", fmt.Sprintf("QR%02d", i), 10000, int64(100+i))
		if i == 1 {
			p["refund_account"] = "REFUND_SOURCE_RECHARGE_FUNDS"
		}
		r := call(t, srv, hc, "/secapi/pay/refund", p, wxpay.SignTypeMD5)
		wantResult(t, "refund", r, "")
		ids = append(ids, r["refund_id"])
	}
	query := func(p wxpay.Params) wxpay.Params {
		return call(t, srv, hc, "/pay/refundquery", p, wxpay.SignTypeMD5)
	}

	// By order: the newest first, ten per page.
	r := query(wxpay.Params{"out_trade_no": "Q0000001"})
	wantResult(t, "by order", r, "")
	wantFields(t, "by order", r, wxpay.Params{
		"out_trade_no": "Q0000001", "total_fee": "10000", "cash_fee": "10000", "refund_count": "10",
		"out_refund_no_0": "QR11", "refund_id_0": ids[11], "refund_fee_0": "111", "refund_status_0": "SUCCESS",
		"refund_success_time_0": "2024-05-01 12:00:00", "refund_recv_accout_0": "支付用户零钱",
		"refund_account_0": "REFUND_SOURCE_UNSETTLED_FUNDS", "refund_channel_0": "ORIGINAL",
		"settlement_refund_fee_0": "111", "coupon_refund_fee_0": "0", "coupon_refund_count_0": "0",
		"out_refund_no_9": "QR02", "total_refund_count": "",
	})
	r = query(wxpay.Params{"transaction_id": r["transaction_id"], "offset": "10"})
	wantFields(t, "second page", r, wxpay.Params{
		"refund_count": "2", "total_refund_count": "12", "out_refund_no_0": "QR01", "out_refund_no_1": "QR00",
		"refund_account_0": "REFUND_SOURCE_RECHARGE_FUNDS", "out_refund_no_2": "",
	})
	wantResult(t, "offset past the end", query(wxpay.Params{"out_trade_no": "Q0000001", "offset": "12"}), "PARAM_ERROR")

	// By refund: that refund only.
	for _, p := range []wxpay.Params{{"out_refund_no": "QR05"}, {"refund_id": ids[5], "out_refund_no": "QR06"}} {
		r = query(p)
		wantFields(t, "one refund", r, wxpay.Params{"refund_count": "1", "out_refund_no_0": "QR05", "refund_fee_0": "105", "out_refund_no_1": ""})
	}

	paidOrder(t, srv, "Q0000002", 100, wxpaytest.Payment{})
	for _, p := range []wxpay.Params{{"out_refund_no": "nope"}, {"refund_id": "50300000000000000000000000000"}, {"out_trade_no": "Q0000002"}, {"out_trade_no": "Q0000404"}} {
		wantResult(t, fmt.Sprint(p), query(p), "REFUNDNOTEXIST")
	}
}

// TestRefundCoupons checks the split of refunds over cash and coupons,
// and the settlement fields of non-recharge coupons.
func TestRefundCoupons(t *testing.T) {
	srv := newServer(t)
	hc := certClient(t, srv)
	paidOrder(t, srv, "K0000001", 1000, wxpaytest.Payment{Coupons: []wxpay.Coupon{
		{Type: "NO_CASH", ID: "c1", Fee: 100}, {Type: "CASH", ID: "c2", Fee: 100},
	}})
	q := call(t, srv, hc, "/pay/orderquery", wxpay.Params{"out_trade_no": "K0000001"}, wxpay.SignTypeMD5)
	wantFields(t, "query", q, wxpay.Params{
		"total_fee": "1000", "cash_fee": "800", "coupon_fee": "200", "coupon_count": "2", "settlement_total_fee": "900",
		"coupon_type_0": "NO_CASH", "coupon_id_0": "c1", "coupon_fee_0": "100", "coupon_id_1": "c2", "coupon_fee_1": "100",
	})
	r := call(t, srv, hc, "/secapi/pay/refund", refundReq("K0000001", "KR1", 1000, 500), wxpay.SignTypeMD5)
	wantFields(t, "half", r, wxpay.Params{
		"cash_refund_fee": "400", "coupon_refund_fee": "100", "coupon_refund_count": "1",
		"coupon_type_0": "NO_CASH", "coupon_refund_id_0": "c1", "coupon_refund_fee_0": "100",
		"settlement_total_fee": "900", "settlement_refund_fee": "400",
	})
	r = call(t, srv, hc, "/secapi/pay/refund", refundReq("K0000001", "KR2", 1000, 500), wxpay.SignTypeMD5)
	wantFields(t, "rest", r, wxpay.Params{
		"cash_refund_fee": "400", "coupon_refund_fee": "100", "coupon_refund_count": "1",
		"coupon_type_0": "CASH", "coupon_refund_id_0": "c2", "coupon_refund_fee_0": "100", "settlement_refund_fee": "500",
	})
	r = call(t, srv, hc, "/pay/refundquery", wxpay.Params{"out_trade_no": "K0000001"}, wxpay.SignTypeMD5)
	wantFields(t, "query", r, wxpay.Params{
		"refund_count": "2", "out_refund_no_0": "KR2", "coupon_refund_count_0": "1", "coupon_refund_id_0_0": "c2",
		"coupon_refund_fee_0_0": "100", "coupon_type_0_0": "CASH", "coupon_refund_id_1_0": "c1", "coupon_type_1_0": "NO_CASH",
	})
	if err := srv.PayWith("K0000001", wxpaytest.Payment{}); !errors.Is(err, wxpaytest.ErrState) {
		t.Fatal(err)
	}
	call(t, srv, hc, "/pay/unifiedorder", jsapiOrder("K0000002", "100"), wxpay.SignTypeMD5)
	if err := srv.PayWith("K0000002", wxpaytest.Payment{Coupons: []wxpay.Coupon{{ID: "c", Fee: 101}}}); err == nil {
		t.Fatal("coupons over the total accepted")
	}
}

// decryptReqInfo decrypts req_info with openReqInfo or fails the test.
func decryptReqInfo(t *testing.T, reqInfo, key string) wxpay.Params {
	t.Helper()
	p, err := openReqInfo(reqInfo, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// openReqInfo is an independent AES-256-ECB decryption of req_info
// (spec §6) that checks every padding byte and the <root> element.
func openReqInfo(reqInfo, key string) (wxpay.Params, error) {
	ct, err := base64.StdEncoding.DecodeString(reqInfo)
	if err != nil || len(ct) == 0 || len(ct)%16 != 0 {
		return nil, fmt.Errorf("req_info is not base64 of whole blocks (%d bytes): %v", len(ct), err)
	}
	sum := md5.Sum([]byte(key))
	block, err := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	if err != nil {
		return nil, err
	}
	pt := make([]byte, len(ct))
	for i := 0; i < len(ct); i += 16 {
		block.Decrypt(pt[i:i+16], ct[i:i+16])
	}
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > 16 || !bytes.Equal(pt[len(pt)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, fmt.Errorf("bad padding %d", pad)
	}
	pt = pt[:len(pt)-pad]
	if !bytes.HasPrefix(pt, []byte("<root>")) {
		return nil, fmt.Errorf("plaintext root is not <root>: %.20q", pt)
	}
	return wxpay.ParseXML(pt)
}

// TestEncryptReqInfoVector checks the encryption against the vector of
// spec Appendix A9.
func TestEncryptReqInfoVector(t *testing.T) {
	plain := "<root><out_refund_no><![CDATA[R001]]></out_refund_no><out_trade_no><![CDATA[20150806125346]]></out_trade_no><refund_fee><![CDATA[888]]></refund_fee><refund_status><![CDATA[SUCCESS]]></refund_status><success_time><![CDATA[2015-08-06 12:55:01]]></success_time><total_fee><![CDATA[888]]></total_fee></root>"
	want := "WBzGpzQuNpcFxIlFjUUD9O1INQe1sr+wMG6wUR3vMtLc2oYUq/rZkvAzKWesMRgtDXXTmvwp6zzYLUD7V6zTHJ/VAboSB9P5YlRpsR9C7OjtHmdKaOfdNRsENuLsrufm6NTNo8J68Rlma1meV/He63zclJ9PUmK8v5LA1IWB/Coe9a2S0xhPoWcwzWjsosuxOoVnSIkA3MZsaEVHiFrFpkvHsN1Eha5L6GTG2Jz3xyTeakaK726IGU1OhiSDhHSLmmWGFx9kevi9nDIz11siFd4bkBWQeHdtuES+XZS9wITfCmudp1mJUFz6zWc1f+tReIVgW84XStyaniaekKdo/UjLE0OwfeK7ZuPK3nsMmiJNqKHr5X/xOzdFrxPXxbZFzXyp/dTdFPK+uRBH9fFq2A=="
	if got := wxpaytest.EncryptReqInfo([]byte(plain), apiKey); got != want {
		t.Fatalf("EncryptReqInfo = %s\nwant %s", got, want)
	}
	// A plaintext of whole blocks gets a whole block of padding.
	full := wxpaytest.EncryptReqInfo([]byte("<root></root>..."), apiKey)
	if ct, _ := base64.StdEncoding.DecodeString(full); len(ct) != 32 {
		t.Fatalf("16-byte plaintext encrypted to %d bytes, want 32", len(ct))
	}
}

func TestRefundNotify(t *testing.T) {
	m := &merchant{}
	ms := httptestServer(t, m)
	now := time.Date(2024, 5, 1, 12, 30, 0, 0, wxpay.Beijing())
	srv := newServer(t, fastNotifies, wxpaytest.WithClock(func() time.Time { return now }),
		wxpaytest.WithRefundNotifyURL(ms.URL+"/platform"), wxpaytest.WithManualRefunds())
	hc := certClient(t, srv)
	paidOrder(t, srv, "N0000001", 1000, wxpaytest.Payment{BankType: "CMB_CREDIT"})
	withURL := refundReq("N0000001", "NR1", 1000, 100)
	withURL["notify_url"] = ms.URL + "/refund"
	r1 := call(t, srv, hc, "/secapi/pay/refund", withURL, wxpay.SignTypeMD5)
	r2 := call(t, srv, hc, "/secapi/pay/refund", refundReq("N0000001", "NR2", 1000, 200), wxpay.SignTypeMD5)
	q := call(t, srv, hc, "/pay/refundquery", wxpay.Params{"out_refund_no": "NR1"}, wxpay.SignTypeMD5)
	wantFields(t, "processing", q, wxpay.Params{"refund_status_0": "PROCESSING", "refund_success_time_0": ""})
	if len(m.received()) != 0 {
		t.Fatal("notified before the refund was settled")
	}

	if err := srv.CompleteRefund("NR1"); err != nil {
		t.Fatal(err)
	}
	if err := srv.FailRefund("NR2", wxpay.RefundStatusClosed); err != nil {
		t.Fatal(err)
	}
	if err := srv.CompleteRefund("NR1"); !errors.Is(err, wxpaytest.ErrState) {
		t.Fatalf("completing twice: %v", err)
	}
	if err := srv.CompleteRefund("NR9"); !errors.Is(err, wxpaytest.ErrNotFound) {
		t.Fatalf("completing an unknown refund: %v", err)
	}
	if err := srv.FailRefund("NR1", wxpay.RefundStatusSuccess); err == nil {
		t.Fatal("FailRefund accepted SUCCESS")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitNotifies(ctx); err != nil {
		t.Fatal(err)
	}

	byURL := map[string]wxpay.Params{}
	for _, a := range srv.Notifies() {
		if a.Kind != wxpaytest.RefundNotify || !a.Acknowledged || a.Attempt != 1 {
			t.Fatalf("attempt %+v", a)
		}
		outer, err := wxpay.ParseXML(a.Body)
		if err != nil {
			t.Fatal(err)
		}
		if outer["return_code"] != "SUCCESS" || outer["appid"] != appID || outer["mch_id"] != mchID || outer["sign"] != "" {
			t.Fatalf("refund notify envelope %v", outer)
		}
		byURL[a.URL] = decryptReqInfo(t, outer["req_info"], apiKey)
	}
	want := map[string]wxpay.Params{
		ms.URL + "/refund": {
			"transaction_id": r1["transaction_id"], "out_trade_no": "N0000001", "refund_id": r1["refund_id"],
			"out_refund_no": "NR1", "total_fee": "1000", "settlement_total_fee": "1000", "refund_fee": "100", "settlement_refund_fee": "100",
			"refund_status": "SUCCESS", "success_time": "2024-05-01 12:30:00", "refund_recv_accout": "支付用户银行卡",
			"refund_account": "REFUND_SOURCE_UNSETTLED_FUNDS", "refund_request_source": "API",
		},
		ms.URL + "/platform": {
			"transaction_id": r2["transaction_id"], "out_trade_no": "N0000001", "refund_id": r2["refund_id"],
			"out_refund_no": "NR2", "total_fee": "1000", "settlement_total_fee": "1000", "refund_fee": "200", "settlement_refund_fee": "200",
			"refund_status": "REFUNDCLOSE", "refund_recv_accout": "支付用户银行卡",
			"refund_account": "REFUND_SOURCE_UNSETTLED_FUNDS", "refund_request_source": "API",
		},
	}
	if diff := cmp.Diff(want, byURL); diff != "" {
		t.Fatalf("decrypted refund notifies (-want +got):\n%s", diff)
	}
	// A closed refund gives its amount back.
	r := call(t, srv, hc, "/secapi/pay/refund", refundReq("N0000001", "NR3", 1000, 900), wxpay.SignTypeMD5)
	wantResult(t, "refund after a closed one", r, "")
}
