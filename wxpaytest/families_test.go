package wxpaytest_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// rawPost signs p as signed does, lets edit change the signed message,
// and posts it, returning the decoded answer.
func rawPost(t *testing.T, srv *wxpaytest.Server, path string, p wxpay.Params, st wxpay.SignType, edit func(wxpay.Params)) wxpay.Params {
	t.Helper()
	q := signed(p, st)
	if edit != nil {
		edit(q)
		q["sign"] = refSign(q, apiKey, st)
	}
	_, data := postRaw(t, certClient(t, srv), srv.URL+path, q.AppendXML(nil))
	r, err := wxpay.ParseXML(data)
	if err != nil {
		t.Fatalf("%s: %q: %v", path, data, err)
	}
	return r
}

// TestMerchantFieldRules checks the per-endpoint merchant-field rules of
// profit sharing and red packets: each request in its right form is
// accepted, and in the wrong one refused at the request layer.
func TestMerchantFieldRules(t *testing.T) {
	srv := newServer(t)
	hmacType := wxpay.SignTypeHMACSHA256
	tests := []struct {
		name, path string
		p          wxpay.Params
		st         wxpay.SignType
		edit       func(wxpay.Params)
		returnMsg  string // "" for an accepted request
	}{
		{"split query without appid", "/pay/profitsharingquery", wxpay.Params{"transaction_id": "t", "out_order_no": "o"}, hmacType,
			func(p wxpay.Params) { delete(p, "appid") }, ""},
		{"split query with appid", "/pay/profitsharingquery", wxpay.Params{"transaction_id": "t", "out_order_no": "o"}, hmacType, nil,
			"签名错误: 此接口不接受appid参数"},
		{"split query with MD5", "/pay/profitsharingquery", wxpay.Params{"transaction_id": "t", "out_order_no": "o"}, wxpay.SignTypeMD5,
			func(p wxpay.Params) { delete(p, "appid") }, "invalid sign_type"},
		{"red packet with sign_type", "/mmpaymkttransfers/sendredpack", redPackParams("rp1"), wxpay.SignTypeMD5,
			func(p wxpay.Params) { p["wxappid"], p["sign_type"] = appID, "MD5"; delete(p, "appid") }, "签名错误: 此接口不支持sign_type参数"},
		{"red packet with appid", "/mmpaymkttransfers/sendredpack", redPackParams("rp2"), wxpay.SignTypeMD5, nil, "缺少参数wxappid"},
		{"red packet", "/mmpaymkttransfers/sendredpack", redPackParams("rp3"), wxpay.SignTypeMD5,
			func(p wxpay.Params) { p["wxappid"] = appID; delete(p, "appid") }, ""},
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

func redPackParams(no string) wxpay.Params {
	return wxpay.Params{"mch_billno": no, "send_name": "s", "re_openid": "o", "total_amount": "100", "total_num": "1",
		"wishing": "w", "client_ip": "127.0.0.1", "act_name": "a", "remark": "r"}
}

// TestRedPackAnswers checks that red-packet answers are unsigned, name
// wxappid, and that gethbinfo nests hblist.
func TestRedPackAnswers(t *testing.T) {
	srv := newServer(t)
	asRedPack := func(p wxpay.Params) { p["wxappid"] = appID; delete(p, "appid") }
	r := rawPost(t, srv, "/mmpaymkttransfers/sendredpack", redPackParams("rpa1"), wxpay.SignTypeMD5, asRedPack)
	if r["result_code"] != "SUCCESS" || r["wxappid"] != appID || r["sign"] != "" || r["send_listid"] == "" {
		t.Fatalf("send answer %v", r)
	}
	if err := srv.SetRedPackStatus("rpa1", wxpay.RedPackReceived); err != nil {
		t.Fatal(err)
	}
	q := signed(wxpay.Params{"mch_billno": "rpa1", "bill_type": "MCHT"}, wxpay.SignTypeMD5)
	_, data := postRaw(t, certClient(t, srv), srv.URL+"/mmpaymkttransfers/gethbinfo", q.AppendXML(nil))
	if !strings.Contains(string(data), "<hblist><hbinfo><openid><![CDATA[o]]></openid><amount>100</amount>") || !strings.HasSuffix(string(data), "</hblist></xml>") {
		t.Errorf("gethbinfo answer %s", data)
	}
	// Without the certificate, refused.
	_, data = postRaw(t, srv.Client(), srv.URL+"/mmpaymkttransfers/gethbinfo", q.AppendXML(nil))
	if !strings.Contains(string(data), "FAIL") {
		t.Errorf("no certificate: %s", data)
	}
}

// TestShortURLDecodes checks that the server verifies long_url decoded
// and refuses a sign over the encoded form.
func TestShortURLDecodes(t *testing.T) {
	srv := newServer(t)
	long := "weixin://wxpay/bizpayurl?pr=abc&x=1"
	q := signed(wxpay.Params{"long_url": long}, wxpay.SignTypeMD5)
	q["long_url"] = url.QueryEscape(long)
	_, data := postRaw(t, srv.Client(), srv.URL+"/tools/shorturl", q.AppendXML(nil))
	r, _ := wxpay.ParseXML(data)
	if r["return_code"] != "SUCCESS" || !strings.HasPrefix(r["short_url"], "weixin://wxpay/s/") {
		t.Fatalf("answer %s", data)
	}
	again := signed(wxpay.Params{"long_url": url.QueryEscape(long)}, wxpay.SignTypeMD5)
	_, data = postRaw(t, srv.Client(), srv.URL+"/tools/shorturl", again.AppendXML(nil))
	if r, _ := wxpay.ParseXML(data); r["return_msg"] != "签名错误" {
		t.Errorf("sign over the encoded long_url: %s", data)
	}
}

// TestScanProductNoURL checks the control's preconditions.
func TestScanProductNoURL(t *testing.T) {
	srv := newServer(t)
	if _, err := srv.ScanProduct(context.Background(), "p", ""); err == nil {
		t.Error("ScanProduct without WithNativeCallbackURL")
	}
	if _, err := srv.UnsplitAmount("nosuchorder"); err == nil {
		t.Error("UnsplitAmount of no order")
	}
	if st, err := srv.RedPackStatus("nosuch"); !errors.Is(err, wxpaytest.ErrNotFound) {
		t.Errorf("RedPackStatus of no packet = %q, %v", st, err)
	}
	if err := srv.SetRedPackStatus("nosuch", wxpay.RedPackSent); !errors.Is(err, wxpaytest.ErrNotFound) {
		t.Errorf("SetRedPackStatus of no packet: %v", err)
	}
}
