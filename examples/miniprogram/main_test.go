package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// backend starts the example on wxpaytest, as main does by default.
func backend(t *testing.T) (*httptest.Server, *wxpaytest.Server) {
	t.Helper()
	srv := wxpaytest.NewServer(devAppID, devMchID, devAPIKey, wxpaytest.WithNotifyDelays(time.Millisecond, time.Millisecond))
	t.Cleanup(srv.Close)
	c, err := wxpay.NewClient(devAppID, devMchID, devAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithCertPEM(srv.MerchantCertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	var a *app
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.routes().ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	a = newApp(c, ts.URL, srv)
	return ts, srv
}

// do sends a JSON request and decodes the JSON answer into out.
func do(t *testing.T, method, url, body string, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, wantStatus, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

func wait(t *testing.T, srv *wxpaytest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitNotifies(ctx); err != nil {
		t.Fatal(err)
	}
}

type orderView struct {
	ID            string `json:"id"`
	Amount        int64  `json:"amount"`
	State         string `json:"state"`
	TransactionID string `json:"transaction_id"`
	Refunds       []struct {
		OutRefundNo string `json:"out_refund_no"`
		RefundID    string `json:"refund_id"`
		Amount      int64  `json:"amount"`
		Status      string `json:"status"`
	} `json:"refunds"`
}

func TestPayAndRefund(t *testing.T) {
	ts, srv := backend(t)
	var created struct {
		ID      string            `json:"id"`
		Payment map[string]string `json:"payment"`
	}
	do(t, "POST", ts.URL+"/orders", `{"amount":2500,"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","description":"一杯咖啡"}`, http.StatusCreated, &created)

	// The object for wx.requestPayment, its paySign recomputed here.
	p := created.Payment
	var keys []string
	for k := range p {
		if k != "paySign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var s strings.Builder
	for _, k := range keys {
		s.WriteString(k + "=" + p[k] + "&")
	}
	sum := md5.Sum([]byte(s.String() + "key=" + devAPIKey))
	if diff := cmp.Diff([]string{"appId", "nonceStr", "package", "signType", "timeStamp"}, keys); diff != "" {
		t.Fatalf("payment object keys (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(p["package"], "prepay_id=wx") || p["paySign"] != strings.ToUpper(hex.EncodeToString(sum[:])) {
		t.Fatalf("payment object %v", p)
	}

	var o orderView
	do(t, "GET", ts.URL+"/orders/"+created.ID, "", http.StatusOK, &o)
	if o.State != "pending" {
		t.Fatalf("before paying: %+v", o)
	}
	do(t, "POST", ts.URL+"/orders/"+created.ID+"/refund", `{"amount":1}`, http.StatusConflict, nil)

	do(t, "POST", ts.URL+"/dev/orders/"+created.ID+"/pay", "", http.StatusNoContent, nil)
	wait(t, srv)
	do(t, "GET", ts.URL+"/orders/"+created.ID, "", http.StatusOK, &o)
	if o.State != "paid" || o.TransactionID == "" {
		t.Fatalf("after paying: %+v", o)
	}

	var rf struct {
		OutRefundNo string `json:"out_refund_no"`
		RefundID    string `json:"refund_id"`
		Status      string `json:"status"`
	}
	do(t, "POST", ts.URL+"/orders/"+created.ID+"/refund", `{"amount":1000,"reason":"少了一份"}`, http.StatusAccepted, &rf)
	if rf.RefundID == "" || rf.OutRefundNo != created.ID+"R01" {
		t.Fatalf("refund %+v", rf)
	}
	do(t, "POST", ts.URL+"/orders/"+created.ID+"/refund", `{"amount":1501}`, http.StatusConflict, nil)
	wait(t, srv)
	do(t, "GET", ts.URL+"/orders/"+created.ID, "", http.StatusOK, &o)
	if len(o.Refunds) != 1 || o.Refunds[0].Status != "SUCCESS" || o.Refunds[0].RefundID != rf.RefundID {
		t.Fatalf("after the refund notify: %+v", o)
	}
	do(t, "POST", ts.URL+"/orders/"+created.ID+"/refund", `{"amount":1500}`, http.StatusAccepted, &rf)

	// Every notify was acknowledged at the first attempt.
	for _, a := range srv.Notifies() {
		if !a.Acknowledged || a.Attempt != 1 {
			t.Errorf("notify %s attempt %d acknowledged %v: %s", a.Kind, a.Attempt, a.Acknowledged, a.Reply)
		}
	}
}

// TestNotifyGuards: forged notifies change nothing, and a repeated
// notify is harmless.
func TestNotifyGuards(t *testing.T) {
	ts, srv := backend(t)
	var created struct{ ID string }
	do(t, "POST", ts.URL+"/orders", `{"amount":100,"openid":"o1","description":"tea"}`, http.StatusCreated, &created)
	for _, f := range []wxpaytest.Forgery{wxpaytest.ForgedSign, wxpaytest.ForgedUnsigned, wxpaytest.ForgedAmount, wxpaytest.ForgedMerchant} {
		a, err := srv.SendForgedNotify(context.Background(), f, ts.URL+"/wxpay/notify/pay", created.ID)
		if err != nil || a.Acknowledged {
			t.Fatalf("forgery %d: %v, acknowledged %v", f, err, a.Acknowledged)
		}
	}
	var o orderView
	do(t, "GET", ts.URL+"/orders/"+created.ID, "", http.StatusOK, &o)
	if o.State != "pending" {
		t.Fatalf("a forged notify changed the order: %+v", o)
	}

	do(t, "POST", ts.URL+"/dev/orders/"+created.ID+"/pay", "", http.StatusNoContent, nil)
	wait(t, srv)
	// WeChat may send the same notify again: replay the genuine one.
	var genuine []byte
	for _, a := range srv.Notifies() {
		if !a.Forged {
			genuine = a.Body
		}
	}
	resp, err := http.Post(ts.URL+"/wxpay/notify/pay", "text/xml", strings.NewReader(string(genuine)))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("replayed notify: %v %v", err, resp)
	}
	resp.Body.Close()
	do(t, "GET", ts.URL+"/orders/"+created.ID, "", http.StatusOK, &o)
	if o.State != "paid" {
		t.Fatalf("after a replay: %+v", o)
	}
}

func TestBadRequests(t *testing.T) {
	ts, _ := backend(t)
	for _, body := range []string{
		`{"amount":0,"openid":"o1","description":"x"}`,
		`{"amount":1,"openid":"","description":"x"}`,
		`{"amount":1,"openid":"o1","description":""}`,
		`{"amount":"1","openid":"o1","description":"x"}`,
		`{"amount":1,"openid":"o1","description":"x","coupon":"FREE"}`,
		`not json`,
	} {
		do(t, "POST", ts.URL+"/orders", body, http.StatusBadRequest, nil)
	}
	do(t, "GET", ts.URL+"/orders/none", "", http.StatusNotFound, nil)
	do(t, "POST", ts.URL+"/orders/none/refund", `{"amount":1}`, http.StatusNotFound, nil)
	do(t, "POST", ts.URL+"/dev/orders/none/pay", "", http.StatusConflict, nil)
}

func TestCheckReal(t *testing.T) {
	full := func() []setting {
		return []setting{{"-appid", "wx1"}, {"-mchid", "1900000109"}, {"-cert", "c.pem"}, {"-key", "k.pem"},
			{"-notify-url", "https://pay.example.com"}, {"WXPAY_APIKEY", "k"}}
	}
	tests := []struct {
		name  string
		blank []string // settings left empty
		url   string   // replaces -notify-url when set
		want  string   // the error, "" for none
	}{
		{"complete", nil, "", ""},
		{"mchid alone", []string{"-appid", "-cert", "-key", "-notify-url", "WXPAY_APIKEY"}, "",
			"given -mchid: the real API also needs -appid, -cert, -key, -notify-url, WXPAY_APIKEY (without -mchid the example runs on wxpaytest)"},
		{"no key", []string{"WXPAY_APIKEY"}, "",
			"given -appid, -mchid, -cert, -key, -notify-url: the real API also needs WXPAY_APIKEY (without -mchid the example runs on wxpaytest)"},
		{"http notify", nil, "http://pay.example.com",
			`-notify-url "http://pay.example.com": the real API needs the public https origin WeChat reaches this server at, e.g. https://pay.example.com`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := full()
			for i := range s {
				for _, b := range tt.blank {
					if s[i].name == b {
						s[i].value = ""
					}
				}
				if s[i].name == "-notify-url" && tt.url != "" {
					s[i].value = tt.url
				}
			}
			got := ""
			if err := checkReal(s); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
