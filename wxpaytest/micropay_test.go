package wxpaytest_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// Payment codes: 18 digits starting with 10 to 15.
const (
	code1 = "134567890123456781"
	code2 = "134567890123456782"
	code3 = "104567890123456783"
)

// microPayReq is a valid micropay request.
func microPayReq(no, authCode string, fee int64) wxpay.Params {
	return wxpay.Params{
		"body": "门店消费", "out_trade_no": no, "total_fee": strconv.FormatInt(fee, 10),
		"spbill_create_ip": "10.0.0.8", "auth_code": authCode, "device_info": "POS-1", "attach": "shift=2",
	}
}

// tradeStates queries order no n times and returns each answer's
// trade_state, or its err_code.
func tradeStates(t *testing.T, srv *wxpaytest.Server, no string, n int) []string {
	t.Helper()
	var got []string
	for range n {
		r := call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": no}, wxpay.SignTypeMD5)
		if r["result_code"] == "SUCCESS" {
			got = append(got, r["trade_state"])
		} else {
			got = append(got, r["err_code"])
		}
	}
	return got
}

func TestMicroPayPaysAtOnce(t *testing.T) {
	srv := newServer(t)
	hc := srv.Client()
	openid := call(t, srv, hc, "/tools/authcodetoopenid", wxpay.Params{"auth_code": code1}, wxpay.SignTypeMD5)
	r := call(t, srv, hc, "/pay/micropay", microPayReq("MP000001", code1, 1500), wxpay.SignTypeHMACSHA256)
	wantResult(t, "micropay", r, "")
	wantFields(t, "micropay", r, wxpay.Params{
		"out_trade_no": "MP000001", "trade_type": "MICROPAY", "total_fee": "1500", "cash_fee": "1500",
		"fee_type": "CNY", "bank_type": "CFT", "device_info": "POS-1", "attach": "shift=2",
		"openid": openid["openid"], "is_subscribe": "N", "trade_state": "",
	})
	if len(r["transaction_id"]) != 28 || len(r["time_end"]) != 14 {
		t.Fatalf("micropay answer %v", r)
	}
	q := call(t, srv, hc, "/pay/orderquery", wxpay.Params{"transaction_id": r["transaction_id"]}, wxpay.SignTypeMD5)
	wantFields(t, "query", q, wxpay.Params{
		"trade_state": "SUCCESS", "trade_type": "MICROPAY", "out_trade_no": "MP000001", "openid": openid["openid"],
	})

	wantResult(t, "the same order again", call(t, srv, hc, "/pay/micropay", microPayReq("MP000001", code1, 1500), wxpay.SignTypeMD5), "ORDERPAID")
	wantResult(t, "a spent code", call(t, srv, hc, "/pay/micropay", microPayReq("MP000002", code1, 1500), wxpay.SignTypeMD5), "AUTHCODEEXPIRE")
	wantResult(t, "a spent code to openid", call(t, srv, hc, "/tools/authcodetoopenid", wxpay.Params{"auth_code": code1}, wxpay.SignTypeMD5), "AUTHCODEEXPIRE")
	wantResult(t, "close", call(t, srv, hc, "/pay/closeorder", wxpay.Params{"out_trade_no": "MP000001"}, wxpay.SignTypeMD5), "ORDERPAID")
	if n := len(srv.Notifies()); n != 0 {
		t.Fatalf("%d notifies for a payment-code order", n)
	}
}

func TestMicroPayValidation(t *testing.T) {
	srv := newServer(t)
	call(t, srv, srv.Client(), "/pay/unifiedorder", jsapiOrder("MV000009", "100"), wxpay.SignTypeMD5)
	runChangeCases(t, srv, "/pay/micropay", func(i int) wxpay.Params {
		return microPayReq("MV00000"+strconv.Itoa(i), code1, 100)
	}, []changeCase{
		{name: "short code", change: wxpay.Params{"auth_code": "13456789012345678"}, errCode: "AUTH_CODE_INVALID"},
		{name: "prefix 16", change: wxpay.Params{"auth_code": "164567890123456789"}, errCode: "AUTH_CODE_INVALID"},
		{name: "prefix 09", change: wxpay.Params{"auth_code": "094567890123456789"}, errCode: "AUTH_CODE_INVALID"},
		{name: "letters", change: wxpay.Params{"auth_code": "13456789012345678x"}, errCode: "AUTH_CODE_INVALID"},
		{name: "fee in yuan", change: wxpay.Params{"total_fee": "15.00"}, returnMsg: "invalid total_fee"},
		{name: "bad out_trade_no", change: wxpay.Params{"out_trade_no": "MP 1"}, returnMsg: "out_trade_no参数格式错误"},
		{name: "bad IP", change: wxpay.Params{"spbill_create_ip": "pos"}, returnMsg: "spbill_create_ip参数格式错误"},
		{name: "number of a unified order", change: wxpay.Params{"out_trade_no": "MV000009"}, errCode: "OUT_TRADE_NO_USED"},
		{name: "no auth_code", change: wxpay.Params{"auth_code": ""}, returnMsg: "缺少参数auth_code"},
		{name: "no body", change: wxpay.Params{"body": ""}, returnMsg: "缺少参数body"},
		{name: "prefix 10", change: wxpay.Params{"auth_code": code3}},
	})
}

// TestCodeBehaviors: how an order answers micropay and the queries that
// follow, for each kind of payer.
func TestCodeBehaviors(t *testing.T) {
	tests := []struct {
		name    string
		b       wxpaytest.CodeBehavior
		errCode string   // micropay's
		states  []string // of the queries that follow
	}{
		{name: "default", states: []string{"SUCCESS", "SUCCESS"}},
		{name: "password, paid at the third query",
			b:       wxpaytest.CodeBehavior{ErrCode: "USERPAYING", Then: wxpay.TradeStateSuccess, AfterQueries: 2},
			errCode: "USERPAYING", states: []string{"USERPAYING", "USERPAYING", "SUCCESS", "SUCCESS"}},
		{name: "system error, paid all along",
			b:       wxpaytest.CodeBehavior{ErrCode: "SYSTEMERROR", Then: wxpay.TradeStateSuccess},
			errCode: "SYSTEMERROR", states: []string{"SUCCESS"}},
		{name: "bank error, then failed",
			b:       wxpaytest.CodeBehavior{ErrCode: "BANKERROR", Then: wxpay.TradeStatePayError, AfterQueries: 1},
			errCode: "BANKERROR", states: []string{"USERPAYING", "PAYERROR", "PAYERROR"}},
		{name: "the payer walks away",
			b:       wxpaytest.CodeBehavior{ErrCode: "USERPAYING"},
			errCode: "USERPAYING", states: []string{"USERPAYING", "USERPAYING", "USERPAYING"}},
		{name: "not enough money", b: wxpaytest.CodeBehavior{ErrCode: "NOTENOUGH"}, errCode: "NOTENOUGH", states: []string{"ORDERNOTEXIST"}},
		{name: "expired code", b: wxpaytest.CodeBehavior{ErrCode: "AUTHCODEEXPIRE"}, errCode: "AUTHCODEEXPIRE", states: []string{"ORDERNOTEXIST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			if err := srv.SetCodeBehavior(code1, tt.b); err != nil {
				t.Fatal(err)
			}
			r := call(t, srv, srv.Client(), "/pay/micropay", microPayReq("MB000001", code1, 100), wxpay.SignTypeMD5)
			wantResult(t, "micropay", r, tt.errCode)
			if diff := cmp.Diff(tt.states, tradeStates(t, srv, "MB000001", len(tt.states))); diff != "" {
				t.Fatalf("query trade_state (-want +got):\n%s", diff)
			}
			// Another code keeps the default.
			wantResult(t, "another code", call(t, srv, srv.Client(), "/pay/micropay", microPayReq("MB000002", code2, 100), wxpay.SignTypeMD5), "")
		})
	}
}

func TestCodeBehaviorDefaultAndPayment(t *testing.T) {
	srv := newServer(t)
	coupons := []wxpay.Coupon{{Type: "CASH", ID: "cp1", Fee: 30}}
	if err := srv.SetCodeBehavior("", wxpaytest.CodeBehavior{Payment: wxpaytest.Payment{
		OpenID: "oPayer01", BankType: "CMB_CREDIT", IsSubscribe: true, Coupons: coupons,
	}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetCodeBehavior(code2, wxpaytest.CodeBehavior{ErrCode: "NOTSUPORTCARD"}); err != nil {
		t.Fatal(err)
	}
	r := call(t, srv, srv.Client(), "/pay/micropay", microPayReq("MD000001", code1, 100), wxpay.SignTypeMD5)
	wantResult(t, "micropay", r, "")
	wantFields(t, "micropay", r, wxpay.Params{
		"openid": "oPayer01", "bank_type": "CMB_CREDIT", "is_subscribe": "Y", "cash_fee": "70", "coupon_fee": "30",
		"coupon_count": "1", "coupon_id_0": "cp1", "coupon_fee_0": "30",
	})
	wantFields(t, "openid", call(t, srv, srv.Client(), "/tools/authcodetoopenid", wxpay.Params{"auth_code": code3}, wxpay.SignTypeMD5),
		wxpay.Params{"openid": "oPayer01"})
	wantResult(t, "own behavior", call(t, srv, srv.Client(), "/pay/micropay", microPayReq("MD000002", code2, 100), wxpay.SignTypeMD5), "NOTSUPORTCARD")

	// Coupons larger than the order: the test's mistake, said plainly.
	r = call(t, srv, srv.Client(), "/pay/micropay", microPayReq("MD000003", code3, 20), wxpay.SignTypeMD5)
	if r["return_code"] != "FAIL" || r["return_msg"] == "" {
		t.Fatalf("coupons over the total: %v", r)
	}
}

func TestSetCodeBehaviorErrors(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name string
		code string
		b    wxpaytest.CodeBehavior
	}{
		{"not a payment code", "12345", wxpaytest.CodeBehavior{}},
		{"Then CLOSED", code1, wxpaytest.CodeBehavior{ErrCode: "USERPAYING", Then: wxpay.TradeStateClosed}},
		{"negative AfterQueries", code1, wxpaytest.CodeBehavior{AfterQueries: -1}},
		{"negative Recalls", code1, wxpaytest.CodeBehavior{Recalls: -1}},
		{"coupon without ID", code1, wxpaytest.CodeBehavior{Payment: wxpaytest.Payment{Coupons: []wxpay.Coupon{{Fee: 1}}}}},
	}
	for _, tt := range tests {
		if err := srv.SetCodeBehavior(tt.code, tt.b); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// TestPayEndsUserPaying: Pay is the payer entering the password.
func TestPayEndsUserPaying(t *testing.T) {
	srv := newServer(t)
	if err := srv.SetCodeBehavior(code1, wxpaytest.CodeBehavior{ErrCode: "USERPAYING"}); err != nil {
		t.Fatal(err)
	}
	wantResult(t, "micropay", call(t, srv, srv.Client(), "/pay/micropay", microPayReq("MU000001", code1, 100), wxpay.SignTypeMD5), "USERPAYING")
	wantResult(t, "micropay again", call(t, srv, srv.Client(), "/pay/micropay", microPayReq("MU000001", code1, 100), wxpay.SignTypeMD5), "USERPAYING")
	wantResult(t, "close", call(t, srv, srv.Client(), "/pay/closeorder", wxpay.Params{"out_trade_no": "MU000001"}, wxpay.SignTypeMD5), "TRADE_STATE_ERROR")
	if err := srv.PayWith("MU000001", wxpaytest.Payment{OpenID: "oPayer02"}); err != nil {
		t.Fatal(err)
	}
	q := call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "MU000001"}, wxpay.SignTypeMD5)
	wantFields(t, "query", q, wxpay.Params{"trade_state": "SUCCESS", "openid": "oPayer02", "trade_type": "MICROPAY"})
	if n := len(srv.Notifies()); n != 0 {
		t.Fatalf("%d notifies for a payment-code order", n)
	}
	if err := srv.Pay("MU000001"); !errors.Is(err, wxpaytest.ErrState) {
		t.Fatalf("paying twice: %v", err)
	}
}

func TestReverse(t *testing.T) {
	clk, withClock := clockAt(time.Date(2024, 5, 1, 10, 0, 0, 0, wxpay.Beijing()))
	srv := newServer(t, withClock)
	hc := certClient(t, srv)
	reverse := func(p wxpay.Params) wxpay.Params {
		return call(t, srv, hc, "/secapi/pay/reverse", p, wxpay.SignTypeMD5)
	}
	micro := func(no, code string) wxpay.Params {
		return call(t, srv, hc, "/pay/micropay", microPayReq(no, code, 500), wxpay.SignTypeMD5)
	}
	if err := srv.SetCodeBehavior(code1, wxpaytest.CodeBehavior{ErrCode: "USERPAYING", Recalls: 2}); err != nil {
		t.Fatal(err)
	}

	// An open order: reversed after two recall=Y answers, then closed for good.
	micro("MR000001", code1)
	for i, want := range []wxpay.Params{
		{"result_code": "FAIL", "err_code": "SYSTEMERROR", "recall": "Y"},
		{"result_code": "FAIL", "err_code": "SYSTEMERROR", "recall": "Y"},
		{"result_code": "SUCCESS", "err_code": "", "recall": "N"},
		{"result_code": "SUCCESS", "err_code": "", "recall": "N"}, // again: done already
	} {
		wantFields(t, "reverse "+strconv.Itoa(i+1), reverse(wxpay.Params{"out_trade_no": "MR000001"}), want)
	}
	if diff := cmp.Diff([]string{"REVOKED"}, tradeStates(t, srv, "MR000001", 1)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	wantResult(t, "micropay of a reversed order", micro("MR000001", code2), "ORDERREVERSED")
	if err := srv.Pay("MR000001"); !errors.Is(err, wxpaytest.ErrState) {
		t.Fatalf("paying a reversed order: %v", err)
	}

	// A paid order: reversed, the money goes back, it is in no bill.
	r := micro("MR000002", code2)
	wantResult(t, "micropay", r, "")
	wantResult(t, "reverse a paid order", reverse(wxpay.Params{"transaction_id": r["transaction_id"]}), "")
	q := call(t, srv, hc, "/pay/orderquery", wxpay.Params{"out_trade_no": "MR000002"}, wxpay.SignTypeMD5)
	wantFields(t, "query", q, wxpay.Params{"trade_state": "REVOKED", "transaction_id": r["transaction_id"]})
	wantResult(t, "refund a reversed order", call(t, srv, hc, "/secapi/pay/refund", refundReq("MR000002", "MRR00001", 500, 1), wxpay.SignTypeMD5), "INVALID_REQUEST")
	bill := call(t, srv, hc, "/pay/downloadbill", wxpay.Params{"bill_date": "20240501"}, wxpay.SignTypeMD5)
	if bill["return_msg"] != "No Bill Exist" {
		t.Fatalf("bill with only a reversed order: %v", bill)
	}

	// A paid and refunded order cannot be reversed; refund it instead.
	wantResult(t, "micropay", micro("MR000003", code3), "")
	wantResult(t, "refund", call(t, srv, hc, "/secapi/pay/refund", refundReq("MR000003", "MRR00003", 500, 100), wxpay.SignTypeMD5), "")
	wantResult(t, "reverse a refunded order", reverse(wxpay.Params{"out_trade_no": "MR000003"}), "INVALID_REQUEST")

	call(t, srv, hc, "/pay/unifiedorder", jsapiOrder("MR000004", "100"), wxpay.SignTypeMD5)
	wantResult(t, "reverse a JSAPI order", reverse(wxpay.Params{"out_trade_no": "MR000004"}), "INVALID_REQUEST")
	wantResult(t, "reverse an unknown order", reverse(wxpay.Params{"out_trade_no": "MR000404"}), "ORDERNOTEXIST")

	if err := srv.SetCodeBehavior("114567890123456789", wxpaytest.CodeBehavior{ErrCode: "USERPAYING"}); err != nil {
		t.Fatal(err)
	}
	micro("MR000005", "114567890123456789")
	clk.Add(7*24*time.Hour + time.Second)
	wantResult(t, "reverse after 7 days", reverse(wxpay.Params{"out_trade_no": "MR000005"}), "REVERSE_EXPIRE")

	r = call(t, srv, srv.Client(), "/secapi/pay/reverse", wxpay.Params{"out_trade_no": "MR000005"}, wxpay.SignTypeMD5)
	if r["return_code"] != "FAIL" {
		t.Fatalf("reverse without a certificate: %v", r)
	}
}

func TestAuthCodeToOpenID(t *testing.T) {
	srv := newServer(t)
	if err := srv.SetCodeBehavior(code2, wxpaytest.CodeBehavior{ErrCode: "AUTHCODEEXPIRE"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetCodeBehavior(code3, wxpaytest.CodeBehavior{ErrCode: "NOTENOUGH", Payment: wxpaytest.Payment{OpenID: "oKnown01"}}); err != nil {
		t.Fatal(err)
	}
	openid := func(code string) wxpay.Params {
		return call(t, srv, srv.Client(), "/tools/authcodetoopenid", wxpay.Params{"auth_code": code}, wxpay.SignTypeHMACSHA256)
	}
	first, again := openid(code1), openid(code1)
	wantResult(t, "openid", first, "")
	if first["openid"] == "" || first["openid"] != again["openid"] {
		t.Fatalf("openid %q, then %q", first["openid"], again["openid"])
	}
	if other := openid("134567890123456789"); other["openid"] == first["openid"] {
		t.Fatal("two codes, one payer")
	}
	wantFields(t, "a known payer", openid(code3), wxpay.Params{"openid": "oKnown01"}) // NOTENOUGH is micropay's business
	wantResult(t, "expired", openid(code2), "AUTHCODEEXPIRE")
	wantResult(t, "not a code", openid("abc"), "AUTH_CODE_INVALID")
	r := call(t, srv, srv.Client(), "/tools/authcodetoopenid", wxpay.Params{}, wxpay.SignTypeMD5)
	wantAnswer(t, "no auth_code", r, "缺少参数auth_code", "")
}

// noWait is a PayByCode schedule that runs without waiting.
func noWait(polls int) wxpay.CodePayPolicy {
	return wxpay.CodePayPolicy{
		Poll:         make([]time.Duration, polls),
		ReverseRetry: make([]time.Duration, 4),
		Sleep:        func(context.Context, time.Duration) error { return nil },
	}
}

// paths lists the API paths the server was asked, in order.
func paths(srv *wxpaytest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Path)
	}
	return out
}

// TestSDKPayByCode runs the SDK's payment-code helper against each kind
// of payer: the requests it makes and its outcome.
func TestSDKPayByCode(t *testing.T) {
	const (
		micro = "/pay/micropay"
		query = "/pay/orderquery"
		rev   = "/secapi/pay/reverse"
	)
	tests := []struct {
		name     string
		b        wxpaytest.CodeBehavior
		fault    *wxpaytest.Fault // on micropay
		paid     bool
		reversed bool
		errCode  string // of the *wxpay.Error inside the CodePayError
		paths    []string
		state    string // of the order afterwards
	}{
		{name: "paid at once", paid: true, paths: []string{micro}, state: "SUCCESS"},
		{name: "password entered at the second query", b: wxpaytest.CodeBehavior{ErrCode: "USERPAYING", Then: wxpay.TradeStateSuccess, AfterQueries: 1},
			paid: true, paths: []string{micro, query, query}, state: "SUCCESS"},
		{name: "system error, paid", b: wxpaytest.CodeBehavior{ErrCode: "SYSTEMERROR", Then: wxpay.TradeStateSuccess},
			paid: true, paths: []string{micro, query}, state: "SUCCESS"},
		{name: "answer lost, paid", fault: &wxpaytest.Fault{Hangup: true}, paid: true, paths: []string{micro, query}, state: "SUCCESS"},
		{name: "never paid: reversed", b: wxpaytest.CodeBehavior{ErrCode: "USERPAYING"},
			reversed: true, paths: []string{micro, query, query, query, rev}, state: "REVOKED"},
		{name: "reversed on the third try", b: wxpaytest.CodeBehavior{ErrCode: "USERPAYING", Recalls: 2},
			reversed: true, paths: []string{micro, query, query, query, rev, rev, rev}, state: "REVOKED"},
		{name: "bank failure: reversed", b: wxpaytest.CodeBehavior{ErrCode: "BANKERROR", Then: wxpay.TradeStatePayError},
			reversed: true, paths: []string{micro, query, rev}, state: "REVOKED"},
		{name: "not enough money", b: wxpaytest.CodeBehavior{ErrCode: "NOTENOUGH"}, errCode: "NOTENOUGH",
			paths: []string{micro}, state: "ORDERNOTEXIST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			if err := srv.SetCodeBehavior(code1, tt.b); err != nil {
				t.Fatal(err)
			}
			if tt.fault != nil {
				srv.Fail("/pay/micropay", *tt.fault)
			}
			c := newClient(t, srv, withCert(srv))
			resp, err := c.PayByCode(context.Background(), &wxpay.MicroPayRequest{
				Body: "门店消费", OutTradeNo: "SC000001", TotalFee: 880, SpbillCreateIP: "10.0.0.8", AuthCode: code1,
			}, noWait(3))
			if tt.paid {
				if err != nil {
					t.Fatal(err)
				}
				if resp.TradeState != wxpay.TradeStateSuccess || resp.TotalFee != 880 || resp.TradeType != wxpay.TradeTypeMicroPay || resp.TransactionID == "" {
					t.Fatalf("response %+v", resp)
				}
			} else {
				var ce *wxpay.CodePayError
				if !errors.As(err, &ce) || ce.Reversed != tt.reversed || ce.Unresolved {
					t.Fatalf("err = %v, want a CodePayError, reversed %v", err, tt.reversed)
				}
				var we *wxpay.Error
				if tt.errCode != "" && (!errors.As(err, &we) || we.ErrCode != tt.errCode) {
					t.Fatalf("err = %v, want %s", err, tt.errCode)
				}
			}
			if diff := cmp.Diff(tt.paths, paths(srv)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.state}, tradeStates(t, srv, "SC000001", 1)); diff != "" {
				t.Errorf("order afterwards (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSDKMicroPayAndOpenID(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := newClient(t, srv, wxpay.WithSignType(wxpay.SignTypeHMACSHA256), withCert(srv))
	ao, err := c.AuthCodeToOpenID(ctx, &wxpay.AuthCodeToOpenIDRequest{AuthCode: code1})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.MicroPay(ctx, &wxpay.MicroPayRequest{
		Body: "门店消费", OutTradeNo: "SM000001", TotalFee: 2000, SpbillCreateIP: "10.0.0.8", AuthCode: code1, Attach: "a",
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(
		[]any{wxpay.TradeStateSuccess, wxpay.TradeTypeMicroPay, int64(2000), int64(2000), ao.OpenID, "a"},
		[]any{resp.TradeState, resp.TradeType, resp.TotalFee, resp.CashFee, resp.OpenID, resp.Attach}); diff != "" {
		t.Fatalf("micropay (-want +got):\n%s", diff)
	}
	_, err = c.AuthCodeToOpenID(ctx, &wxpay.AuthCodeToOpenIDRequest{AuthCode: code1})
	var we *wxpay.Error
	if !errors.As(err, &we) || we.ErrCode != "AUTHCODEEXPIRE" {
		t.Fatalf("openid of a spent code: %v", err)
	}
	rr, err := c.Reverse(ctx, &wxpay.ReverseRequest{TransactionID: resp.TransactionID})
	if err != nil || rr.Recall {
		t.Fatalf("reverse: %v, %+v", err, rr)
	}
	q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "SM000001"})
	if err != nil || q.TradeState != wxpay.TradeStateRevoked {
		t.Fatalf("query: %v, %+v", err, q)
	}
	// Every request went to its path with the certificate where needed.
	var cert []bool
	for _, r := range srv.Requests() {
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", r.Path, r.StatusCode)
		}
		cert = append(cert, r.Path == "/secapi/pay/reverse" && r.ClientCert)
	}
	if diff := cmp.Diff([]bool{false, false, false, true, false}, cert); diff != "" {
		t.Errorf("certificate on reverse only (-want +got):\n%s", diff)
	}
}
