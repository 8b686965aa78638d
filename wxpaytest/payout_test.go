package wxpaytest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestPayoutFieldRules checks the request rules of coupons, customs and
// payouts, each request in its right form accepted and in the wrong one
// refused: merchant field names, sign types, sign_type and nonce_str.
func TestPayoutFieldRules(t *testing.T) {
	srv := newServer(t)
	if err := srv.AddCouponStock(wxpaytest.CouponStock{ID: "s1", Value: 100, Total: 10}); err != nil {
		t.Fatal(err)
	}
	hmacType := wxpay.SignTypeHMACSHA256
	asTransfer := func(p wxpay.Params) {
		p["mch_appid"], p["mchid"] = appID, mchID
		delete(p, "appid")
		delete(p, "mch_id")
	}
	noAppID := func(p wxpay.Params) { delete(p, "appid") }
	noNonce := func(p wxpay.Params) { delete(p, "nonce_str"); p["sign_type"] = "MD5" }
	transfer := wxpay.Params{"partner_trade_no": "t1", "openid": "o", "check_name": "NO_CHECK", "amount": "100", "desc": "d", "spbill_create_ip": "10.0.0.1"}
	customsQuery := wxpay.Params{"out_trade_no": "none", "customs": "NINGBO"}
	tests := []struct {
		name, path string
		p          wxpay.Params
		st         wxpay.SignType
		edit       func(wxpay.Params)
		returnMsg  string // "" for an accepted request
	}{
		{"transfer", "/mmpaymkttransfers/promotion/transfers", transfer, wxpay.SignTypeMD5, asTransfer, ""},
		{"transfer with appid", "/mmpaymkttransfers/promotion/transfers", transfer, wxpay.SignTypeMD5, nil, "缺少参数mch_appid"},
		{"transfer with sign_type", "/mmpaymkttransfers/promotion/transfers", transfer, wxpay.SignTypeMD5,
			func(p wxpay.Params) { asTransfer(p); p["sign_type"] = "MD5" }, "签名错误: 此接口不支持sign_type参数"},
		{"transfer query", "/mmpaymkttransfers/gettransferinfo", wxpay.Params{"partner_trade_no": "t1"}, wxpay.SignTypeMD5, nil, ""},
		{"bank query", "/mmpaysptrans/query_bank", wxpay.Params{"partner_trade_no": "t1"}, wxpay.SignTypeMD5, noAppID, ""},
		{"bank query with appid", "/mmpaysptrans/query_bank", wxpay.Params{"partner_trade_no": "t1"}, wxpay.SignTypeMD5, nil, "签名错误: 此接口不接受appid参数"},
		{"public key, HMAC", "/risk/getpublickey", wxpay.Params{}, hmacType, noAppID, ""},
		{"customs without nonce", "/cgi-bin/mch/customs/customdeclarequery", customsQuery, wxpay.SignTypeMD5, noNonce, ""},
		{"customs with HMAC", "/cgi-bin/mch/customs/customdeclarequery", customsQuery, hmacType, nil, "sign_type参数错误: 此接口只支持MD5"},
		{"coupon stock, HMAC", "/mmpaymkttransfers/query_coupon_stock", wxpay.Params{"coupon_stock_id": "s1"}, hmacType, nil, ""},
		{"comments with MD5", "/billcommentsp/batchquerycomment", wxpay.Params{"begin_time": "20250101000000", "end_time": "20250102000000", "offset": "0"},
			wxpay.SignTypeMD5, nil, "invalid sign_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rawPost(t, srv, tt.path, tt.p, tt.st, tt.edit)
			if tt.returnMsg == "" {
				if r["return_code"] != "SUCCESS" {
					t.Errorf("refused: %v", r)
				}
				return
			}
			if r["return_code"] != "FAIL" || r["return_msg"] != tt.returnMsg {
				t.Errorf("answer %v, want return_msg %q", r, tt.returnMsg)
			}
		})
	}
}

// TestPayoutAnswers checks the answers' shapes: transfers unsigned with
// mch_appid and mchid, a refused bank payout whose fields do not decrypt,
// the comments table.
func TestPayoutAnswers(t *testing.T) {
	srv := newServer(t)
	asTransfer := func(p wxpay.Params) {
		p["mch_appid"], p["mchid"] = appID, mchID
		delete(p, "appid")
		delete(p, "mch_id")
	}
	r := rawPost(t, srv, "/mmpaymkttransfers/promotion/transfers",
		wxpay.Params{"partner_trade_no": "ta1", "openid": "o", "check_name": "NO_CHECK", "amount": "100", "desc": "d"}, wxpay.SignTypeMD5, asTransfer)
	if r["result_code"] != "SUCCESS" || r["sign"] != "" || r["mch_appid"] != appID || r["mchid"] != mchID || r["payment_no"] == "" || r["appid"] != "" {
		t.Errorf("transfer answer %v", r)
	}
	r = rawPost(t, srv, "/mmpaysptrans/pay_bank", wxpay.Params{"partner_trade_no": "ba1", "enc_bank_no": "6222020202020202",
		"enc_true_name": "x", "bank_code": "1002", "amount": "100"}, wxpay.SignTypeMD5, func(p wxpay.Params) { delete(p, "appid") })
	if r["err_code"] != "PARAM_ERROR" || !strings.Contains(r["err_code_des"], "enc_bank_no") {
		t.Errorf("card number in clear: %v", r)
	}

	day := time.Date(2025, 1, 1, 9, 30, 0, 0, wxpay.Beijing())
	srv.AddComment(wxpaytest.Comment{Time: day, TransactionID: "4200001", Stars: 5, Content: "好,很好"})
	q := signed(wxpay.Params{"begin_time": "20250101000000", "end_time": "20250102000000", "offset": "0"}, wxpay.SignTypeHMACSHA256)
	_, data := postRaw(t, certClient(t, srv), srv.URL+"/billcommentsp/batchquerycomment", q.AppendXML(nil))
	if want := "1\r\n`2025-01-01 09:30:00,`4200001,`5,`好,很好\r\n"; string(data) != want {
		t.Errorf("comments %q, want %q", data, want)
	}
	if err := srv.AddComment(wxpaytest.Comment{Time: day, TransactionID: "4200002", Stars: 6}); err == nil {
		t.Error("a comment of 6 stars was added")
	}
}
