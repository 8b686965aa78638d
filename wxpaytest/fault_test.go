package wxpaytest_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   wxpaytest.Fault
		created bool          // the order exists afterwards
		timeout time.Duration // the client's; 10s when 0
		check   func(t *testing.T, status int, body []byte, err error)
	}{
		{name: "500", fault: wxpaytest.Fault{StatusCode: 500}, check: func(t *testing.T, status int, body []byte, err error) {
			if err != nil || status != 500 || !bytes.Contains(body, []byte("<html>")) {
				t.Fatalf("status %d, %v: %q", status, err, body)
			}
		}},
		{name: "SYSTEMERROR", fault: wxpaytest.Fault{ErrCode: "SYSTEMERROR", ErrCodeDes: "System Error"}, check: func(t *testing.T, status int, body []byte, err error) {
			r := checkAnswer(t, "SYSTEMERROR", body, wxpay.SignTypeMD5)
			wantResult(t, "SYSTEMERROR", r, "SYSTEMERROR")
			if r["err_code_des"] != "System Error" {
				t.Fatalf("err_code_des %q", r["err_code_des"])
			}
		}},
		{name: "return FAIL", fault: wxpaytest.Fault{ReturnMsg: "系统繁忙"}, check: func(t *testing.T, status int, body []byte, err error) {
			r := checkAnswer(t, "return FAIL", body, wxpay.SignTypeMD5)
			if r["return_code"] != "FAIL" || r["return_msg"] != "系统繁忙" {
				t.Fatalf("answer %v", r)
			}
		}},
		{name: "bad sign", fault: wxpaytest.Fault{BadSign: true}, created: true, check: func(t *testing.T, status int, body []byte, err error) {
			r, perr := wxpay.ParseXML(body)
			if perr != nil || r["prepay_id"] == "" || r["sign"] == "" || r["sign"] == refSign(r, apiKey, wxpay.SignTypeMD5) {
				t.Fatalf("answer %v (%v): want a well-formed answer with a wrong sign", r, perr)
			}
		}},
		{name: "malformed", fault: wxpaytest.Fault{Malformed: true}, created: true, check: func(t *testing.T, status int, body []byte, err error) {
			if _, perr := wxpay.ParseXML(body); status != 200 || perr == nil || !bytes.HasPrefix(body, []byte("<xml>")) {
				t.Fatalf("status %d, %q parsed: %v", status, body, perr)
			}
		}},
		{name: "hangup", fault: wxpaytest.Fault{Hangup: true}, created: true, check: func(t *testing.T, status int, body []byte, err error) {
			if err == nil {
				t.Fatalf("no error; status %d", status)
			}
		}},
		{name: "timeout", fault: wxpaytest.Fault{Delay: time.Minute}, timeout: 100 * time.Millisecond, created: true, check: func(t *testing.T, status int, body []byte, err error) {
			if err == nil || !strings.Contains(err.Error(), "Timeout") {
				t.Fatalf("error %v, want a client timeout; status %d %q", err, status, body)
			}
		}},
		{name: "delay", fault: wxpaytest.Fault{Delay: 20 * time.Millisecond}, created: true, check: func(t *testing.T, status int, body []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantResult(t, "delayed", checkAnswer(t, "delayed", body, wxpay.SignTypeMD5), "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			hc := &http.Client{Transport: srv.Client().Transport, Timeout: 10 * time.Second}
			if tt.timeout > 0 {
				hc.Timeout = tt.timeout
			}
			srv.Fail("/pay/unifiedorder", tt.fault)
			body := signed(jsapiOrder("F1000001", "100"), wxpay.SignTypeMD5).AppendXML(nil)
			start := time.Now()
			var status int
			var data []byte
			resp, err := hc.Post(srv.URL+"/pay/unifiedorder", "text/xml", bytes.NewReader(body))
			if err == nil {
				status = resp.StatusCode
				data = readAll(t, resp)
			}
			tt.check(t, status, data, err)
			if d := time.Since(start); tt.fault.Delay > 0 && err == nil && d < tt.fault.Delay {
				t.Fatalf("answered after %v, before the delay", d)
			}

			// The fault was used up: the next request is answered normally,
			// and tells whether the faulty one was processed.
			var r wxpay.Params
			deadline := time.Now().Add(5 * time.Second)
			for {
				r = call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "F1000001"}, wxpay.SignTypeMD5)
				// A delayed request still being processed shows up shortly.
				if !tt.created || r["result_code"] == "SUCCESS" || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if created := r["result_code"] == "SUCCESS"; created != tt.created {
				t.Fatalf("order created: %v, want %v (%v)", created, tt.created, r)
			}
			reqs := srv.Requests()
			if reqs[0].Fault == nil || *reqs[0].Fault != tt.fault {
				t.Fatalf("first request's recorded fault %+v, want %+v", reqs[0].Fault, tt.fault)
			}
			if reqs[len(reqs)-1].Fault != nil {
				t.Fatal("fault applied twice")
			}
		})
	}
}

func TestFaultQueue(t *testing.T) {
	srv := newServer(t)
	srv.Fail("/pay/orderquery", wxpaytest.Fault{ErrCode: "SYSTEMERROR"}, wxpaytest.Fault{ErrCode: "BIZERR_NEED_RETRY"})
	srv.Fail("/pay/orderquery", wxpaytest.Fault{StatusCode: http.StatusBadGateway})
	q := wxpay.Params{"out_trade_no": "F2000001"}
	wantResult(t, "first", call(t, srv, srv.Client(), "/pay/orderquery", q, wxpay.SignTypeHMACSHA256), "SYSTEMERROR")
	wantResult(t, "second", call(t, srv, srv.Client(), "/pay/orderquery", q, wxpay.SignTypeHMACSHA256), "BIZERR_NEED_RETRY")
	if status, _ := postRaw(t, srv.Client(), srv.URL+"/pay/orderquery", signed(q, wxpay.SignTypeMD5).AppendXML(nil)); status != http.StatusBadGateway {
		t.Fatalf("third: status %d, want 502", status)
	}
	wantResult(t, "fourth", call(t, srv, srv.Client(), "/pay/orderquery", q, wxpay.SignTypeMD5), "ORDERNOTEXIST")
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
