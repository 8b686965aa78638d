package wxpaytest_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// entrustLink is a signing link for srv with the changes made after
// signing when late, before otherwise.
func entrustLink(srv *wxpaytest.Server, path string, st wxpay.SignType, before, late wxpay.Params) string {
	p := wxpay.Params{
		"appid": appID, "mch_id": mchID, "plan_id": "12535", "contract_code": "c1", "request_serial": "1",
		"contract_display_account": "张三", "notify_url": "http://127.0.0.1:9/contract", "version": "1.0",
		"timestamp": strconv.FormatInt(time.Now().Unix(), 10),
	}
	if st == wxpay.SignTypeHMACSHA256 {
		p["clientip"] = "203.0.113.7"
	}
	p = withChanges(p, before)
	p["sign"] = refSign(p, apiKey, st)
	p = withChanges(p, late)
	q := url.Values{}
	for k, v := range p {
		q.Set(k, v)
	}
	return srv.URL + path + "?" + q.Encode()
}

func TestSignContractChecksTheLink(t *testing.T) {
	srv := newServer(t)
	for _, tc := range []struct {
		name string
		link string
	}{
		{"another host", "https://api.mch.weixin.qq.com/papay/entrustweb?appid=" + appID},
		{"not a signing path", entrustLink(srv, "/pay/orderquery", wxpay.SignTypeMD5, nil, nil)},
		{"tampered after signing", entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, nil, wxpay.Params{"contract_display_account": "李四"})},
		{"HMAC on the MD5 link", entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeHMACSHA256, wxpay.Params{"clientip": ""}, nil)},
		{"MD5 on the H5 link", entrustLink(srv, "/papay/h5entrustweb", wxpay.SignTypeMD5, wxpay.Params{"clientip": "203.0.113.7"}, nil)},
		{"sign_type on the MD5 link", entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"sign_type": "MD5"}, nil)},
		{"nonce_str", entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"nonce_str": "abc"}, nil)},
		{"another merchant", entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"mch_id": "1000000001"}, nil)},
		{"no contract_code", entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"contract_code": ""}, nil)},
		{"H5 without clientip", entrustLink(srv, "/papay/h5entrustweb", wxpay.SignTypeHMACSHA256, wxpay.Params{"clientip": ""}, nil)},
		{"partner path of a merchant", entrustLink(srv, "/papay/partner/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"sub_mch_id": "1900000109"}, nil)},
		{"notify_url with a query", entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"notify_url": "http://127.0.0.1:9/c?x=1"}, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := srv.SignContract(tc.link); !errors.Is(err, wxpaytest.ErrInvalidLink) {
				t.Errorf("err %v, want ErrInvalidLink", err)
			}
		})
	}
	if n := len(srv.Contracts()); n != 0 {
		t.Errorf("%d contracts after refused links", n)
	}
}

func TestContractLifecycle(t *testing.T) {
	m := &merchant{}
	backend := httptestServer(t, m)
	srv := newServer(t)
	hc := srv.Client()
	link := entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"notify_url": backend.URL + "/c"}, nil)
	id, err := srv.SignContract(link)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SignContract(link); !errors.Is(err, wxpaytest.ErrState) {
		t.Errorf("signing a signed contract again: %v", err)
	}
	waitNotifies(t, srv)
	bodies := m.received()
	if len(bodies) != 1 {
		t.Fatalf("%d contract notifies", len(bodies))
	}
	n, _ := wxpay.ParseXML(bodies[0])
	if n["change_type"] != "ADD" || n["contract_id"] != id || len(n["sign"]) != 32 || wxpay.VerifySign(n, apiKey) != nil {
		t.Errorf("contract notify %v", n)
	}
	if _, ok := n["appid"]; ok {
		t.Errorf("contract notify has appid; WeChat's names the merchant by mch_id: %v", n)
	}

	q := call(t, srv, hc, "/papay/querycontract", wxpay.Params{"plan_id": "12535", "contract_code": "c1", "version": "1.0"}, wxpay.SignTypeMD5)
	wantResult(t, "querycontract", q, "")
	if q["contract_id"] != id || q["contract_state"] != "0" {
		t.Errorf("query %v", q)
	}
	wantResult(t, "querycontract unknown", call(t, srv, hc, "/papay/querycontract",
		wxpay.Params{"contract_id": "Wx0", "version": "1.0"}, wxpay.SignTypeMD5), "CONTRACT_NOT_EXIST")

	apply := wxpay.Params{
		"contract_id": id, "body": "月费", "out_trade_no": "pap1001", "total_fee": "300", "spbill_create_ip": "203.0.113.7",
		"notify_url": backend.URL + "/p", "trade_type": "PAP",
	}
	wantResult(t, "pappayapply", call(t, srv, hc, "/pay/pappayapply", apply, wxpay.SignTypeMD5), "")
	wantResult(t, "pappayapply again", call(t, srv, hc, "/pay/pappayapply", apply, wxpay.SignTypeMD5), "")
	wantResult(t, "pappayapply other amount", call(t, srv, hc, "/pay/pappayapply", withChanges(apply, wxpay.Params{"total_fee": "301"}), wxpay.SignTypeMD5), "OUT_TRADE_NO_USED")
	if r := call(t, srv, hc, "/pay/pappayapply", withChanges(apply, wxpay.Params{"out_trade_no": "pap1002", "trade_type": "JSAPI"}), wxpay.SignTypeMD5); r["return_code"] != "FAIL" {
		t.Errorf("trade_type JSAPI: %v", r)
	}
	if r := call(t, srv, hc, "/pay/partner/pappayapply", apply, wxpay.SignTypeMD5); r["return_code"] != "FAIL" {
		t.Errorf("partner path without sub_mch_id: %v", r)
	}
	waitNotifies(t, srv)
	if got := len(m.received()); got != 2 {
		t.Errorf("%d notifies, want the contract's and one deduction's", got)
	}
	pay, _ := wxpay.ParseXML(m.received()[1])
	if pay["trade_type"] != "PAP" || pay["contract_id"] != id || pay["result_code"] != "SUCCESS" || wxpay.VerifySign(pay, apiKey) != nil {
		t.Errorf("deduction notify %v", pay)
	}
	pq := call(t, srv, hc, "/pay/paporderquery", wxpay.Params{"out_trade_no": "pap1001"}, wxpay.SignTypeHMACSHA256)
	wantResult(t, "paporderquery", pq, "")
	if pq["trade_state"] != "SUCCESS" || pq["contract_id"] != id || pq["transaction_id"] != pay["transaction_id"] {
		t.Errorf("paporderquery %v", pq)
	}

	del := wxpay.Params{"contract_id": id, "contract_termination_remark": "退订", "version": "1.0"}
	wantResult(t, "deletecontract", call(t, srv, hc, "/papay/deletecontract", del, wxpay.SignTypeMD5), "")
	wantResult(t, "deletecontract again", call(t, srv, hc, "/papay/deletecontract", del, wxpay.SignTypeMD5), "CONTRACT_NOT_EXIST")
	wantResult(t, "pappayapply after termination", call(t, srv, hc, "/pay/pappayapply",
		withChanges(apply, wxpay.Params{"out_trade_no": "pap1003"}), wxpay.SignTypeMD5), "CONTRACT_NOT_EXIST")
	if err := srv.TerminateContract(id); !errors.Is(err, wxpaytest.ErrState) {
		t.Errorf("terminating a terminated contract: %v", err)
	}
	waitNotifies(t, srv)
	end, _ := wxpay.ParseXML(m.received()[2])
	if end["change_type"] != "DELETE" || end["contract_termination_mode"] != "3" {
		t.Errorf("termination notify %v", end)
	}
	cs := srv.Contracts()
	if len(cs) != 1 || !cs[0].Terminated || cs[0].TerminationRemark != "退订" {
		t.Errorf("contracts %+v", cs)
	}
	// Terminated, the contract code can be signed anew.
	if id2, err := srv.SignContract(link); err != nil || id2 == id {
		t.Errorf("signing anew: %q, %v", id2, err)
	}
}

// The partner paths need sub_mch_id; the merchant paths refuse it.
func TestContractPartnerPaths(t *testing.T) {
	srv := newServer(t, wxpaytest.WithSubMerchants(wxpaytest.SubMerchant{MchID: "1900000109"}))
	hc := srv.Client()
	q := wxpay.Params{"contract_id": "Wx0", "version": "1.0"}
	if r := call(t, srv, hc, "/papay/partner/querycontract", q, wxpay.SignTypeMD5); r["return_code"] != "FAIL" {
		t.Errorf("partner path without sub_mch_id: %v", r)
	}
	sub := withChanges(q, wxpay.Params{"sub_mch_id": "1900000109"})
	wantResult(t, "merchant path with sub_mch_id", call(t, srv, hc, "/papay/querycontract", sub, wxpay.SignTypeMD5), "NOAUTH")
	wantResult(t, "partner path", call(t, srv, hc, "/papay/partner/querycontract", sub, wxpay.SignTypeMD5), "CONTRACT_NOT_EXIST")
}

func TestH5EntrustWebGet(t *testing.T) {
	srv := newServer(t)
	get := func(link string) wxpay.Params {
		t.Helper()
		resp, err := srv.Client().Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		p, err := wxpay.ParseXML(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := get(entrustLink(srv, "/papay/h5entrustweb", wxpay.SignTypeHMACSHA256, nil, nil))
	if ok["return_code"] != "SUCCESS" || ok["redirect_url"] == "" || ok["sign"] != "" {
		t.Errorf("answer %v", ok)
	}
	if bad := get(entrustLink(srv, "/papay/h5entrustweb", wxpay.SignTypeHMACSHA256, nil, wxpay.Params{"plan_id": "1"})); bad["return_code"] != "FAIL" {
		t.Errorf("tampered link answered %v", bad)
	}
	if _, err := srv.SignContract(ok["redirect_url"]); err != nil {
		t.Errorf("signing at the redirect_url: %v", err)
	}
}
