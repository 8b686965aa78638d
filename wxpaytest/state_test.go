package wxpaytest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestStateFile: a server started again on the state file of one that
// stopped carries on: the same certificates, orders, refunds and notify
// record, and the notify still being delivered resumes.
func TestStateFile(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	m := &merchant{reply: func(int) (int, string) {
		if failing.Load() {
			return http.StatusServiceUnavailable, failXML
		}
		return http.StatusOK, successXML
	}}
	ms := httptestServer(t, m)
	path := filepath.Join(t.TempDir(), "state.json")
	opts := []wxpaytest.Option{wxpaytest.WithStateFile(path), wxpaytest.WithManualRefunds(), wxpaytest.WithNotifyDelays(time.Hour)}

	srv := wxpaytest.NewServer(appID, mchID, apiKey, opts...)
	ca := srv.CACertPEM()
	certPEM, _ := srv.MerchantCertPEM()
	hc := certClient(t, srv)
	payWithNotify(t, srv, "K0000001", ms.URL+"/notify")
	for deadline := time.Now().Add(5 * time.Second); len(srv.Notifies()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no first attempt")
		}
	}
	wantResult(t, "refund", call(t, srv, hc, "/secapi/pay/refund", refundReq("K0000001", "KR1", 100, 30), wxpay.SignTypeMD5), "")
	before := call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "K0000001"}, wxpay.SignTypeMD5)
	srv.Close() // the notify is an hour from its second attempt

	failing.Store(false)
	srv = wxpaytest.NewServer(appID, mchID, apiKey, opts...)
	defer srv.Close()
	if !bytes.Equal(ca, srv.CACertPEM()) {
		t.Fatal("a new CA after the restart: clients would no longer trust the server")
	}
	if c, _ := srv.MerchantCertPEM(); !bytes.Equal(certPEM, c) {
		t.Fatal("a new merchant certificate after the restart")
	}
	hc = certClient(t, srv)
	after := call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "K0000001"}, wxpay.SignTypeMD5)
	for _, f := range []string{"trade_state", "transaction_id", "time_end", "total_fee", "openid"} {
		if before[f] != after[f] {
			t.Errorf("order query %s: %q before the restart, %q after", f, before[f], after[f])
		}
	}
	if err := srv.CompleteRefund("KR1"); err != nil {
		t.Fatalf("the PROCESSING refund after the restart: %v", err)
	}
	rq := call(t, srv, srv.Client(), "/pay/refundquery", wxpay.Params{"out_refund_no": "KR1"}, wxpay.SignTypeMD5)
	if rq["refund_status_0"] != "SUCCESS" {
		t.Fatalf("refund query %v", rq)
	}
	// The pending payment notify resumes: with a short schedule now, its
	// second attempt comes at once and is acknowledged.
	srv.SetNotifyDelays(time.Millisecond)
	waitNotifies(t, srv)
	var got []string
	for _, a := range srv.Notifies() {
		got = append(got, string(a.Kind)+" "+a.OutTradeNo+" "+map[bool]string{true: "ack", false: "nack"}[a.Acknowledged])
	}
	// (The refund has no notify URL: no refund notify.)
	if diff := cmp.Diff([]string{"pay K0000001 nack", "pay K0000001 ack"}, got); diff != "" {
		t.Fatalf("notify record across the restart (-want +got):\n%s", diff)
	}
	wantResult(t, "a new order after the restart", call(t, srv, srv.Client(), "/pay/unifiedorder", jsapiOrder("K0000002", "1"), wxpay.SignTypeMD5), "")
	wantResult(t, "an order number of before the restart", call(t, srv, srv.Client(), "/pay/unifiedorder", jsapiOrder("K0000001", "1"), wxpay.SignTypeMD5), "ORDERPAID")
}

// TestStateFileBroken: a state file that does not read stops NewServer,
// saying which file.
func TestStateFileBroken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), path) {
			t.Fatalf("NewServer on a broken state file: panic %v, want one naming the file", r)
		}
	}()
	wxpaytest.NewServer(appID, mchID, apiKey, wxpaytest.WithStateFile(path)).Close()
}

// TestLogger: one line per request and notify attempt, saying why a
// request was refused and what the sign should have been computed over.
func TestLogger(t *testing.T) {
	var buf syncBuffer
	srv := newServer(t, wxpaytest.WithLogger(newTextLogger(&buf)), wxpaytest.WithNotifyDelays())
	bad := signed(jsapiOrder("L0000001", "1"), wxpay.SignTypeMD5)
	bad["sign"] = strings.Repeat("0", 32)
	callBody(t, srv, srv.Client(), "/pay/unifiedorder", bad.AppendXML(nil), wxpay.SignTypeMD5)
	payWithNotify(t, srv, "L0000002", "http://127.0.0.1:9/notify")
	srv.WaitNotifies(context.Background())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 { // the refused order, the order, its notify attempt
		t.Fatalf("%d log lines, want 3:\n%s", len(lines), buf.String())
	}
	for _, want := range []string{"path=/pay/unifiedorder", "签名错误", "signed_string=", "appid=" + appID + "&attach=", "&key=<API key>"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("refusal line lacks %q: %s", want, lines[0])
		}
	}
	if strings.Contains(buf.String(), apiKey) {
		t.Error("the log shows the API key")
	}
	if !strings.Contains(lines[2], "msg=notify") || !strings.Contains(lines[2], "connection refused") {
		t.Errorf("notify line: %s", lines[2])
	}
}

// syncBuffer is a bytes.Buffer for a logger written from several
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTextLogger(w *syncBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestStateFileFamilies: profit sharing, red packets, short URLs,
// contracts and mode-1 scans survive a restart: every query answers as
// before it, and the controls carry on from where they were.
func TestStateFileFamilies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	hmacType := wxpay.SignTypeHMACSHA256
	noAppID := func(p wxpay.Params) { delete(p, "appid") }
	asRedPack := func(p wxpay.Params) { p["wxappid"] = appID; delete(p, "appid") }

	// The merchant's mode-1 callback handler answers with the prepay id of
	// the order it places, as NativeCallbackHandler would.
	var srv *wxpaytest.Server
	var prepayID atomic.Value
	callback := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply := wxpay.Params{"return_code": "SUCCESS", "appid": appID, "mch_id": mchID, "nonce_str": wxpay.NonceStr(),
			"prepay_id": prepayID.Load().(string), "result_code": "SUCCESS"}
		reply["sign"] = refSign(reply, apiKey, wxpay.SignTypeMD5)
		w.Write(reply.AppendXML(nil))
	}))
	opts := []wxpaytest.Option{wxpaytest.WithStateFile(path), wxpaytest.WithNotifyDelays(), wxpaytest.WithNativeCallbackURL(callback.URL)}
	srv = wxpaytest.NewServer(appID, mchID, apiKey, opts...)

	// Profit sharing: a paid order, a receiver, a split and a return.
	order := jsapiOrder("S0000001", "1000")
	order["profit_sharing"] = "Y"
	wantResult(t, "unified order", call(t, srv, srv.Client(), "/pay/unifiedorder", order, wxpay.SignTypeMD5), "")
	if err := srv.PayWith("S0000001", wxpaytest.Payment{SkipNotify: true}); err != nil {
		t.Fatal(err)
	}
	txn := call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "S0000001"}, wxpay.SignTypeMD5)["transaction_id"]
	receiver := `{"type":"MERCHANT_ID","account":"1900000109","name":"示例商户","relation_type":"STORE"}`
	wantResult(t, "add receiver", rawPost(t, srv, "/pay/profitsharingaddreceiver", wxpay.Params{"receiver": receiver}, hmacType, nil), "")
	split := wxpay.Params{"transaction_id": txn, "out_order_no": "P1",
		"receivers": `[{"type":"MERCHANT_ID","account":"1900000109","amount":300,"description":"分给门店"}]`}
	wantResult(t, "split", rawPost(t, srv, "/secapi/pay/multiprofitsharing", split, hmacType, nil), "")
	ret := wxpay.Params{"out_order_no": "P1", "out_return_no": "R1", "return_account_type": "MERCHANT_ID",
		"return_account": "1900000109", "return_amount": "100", "description": "退回"}
	wantResult(t, "return", rawPost(t, srv, "/secapi/pay/profitsharingreturn", ret, hmacType, nil), "")

	// Red packets: one received, one held in SENDING.
	wantResult(t, "red packet", rawPost(t, srv, "/mmpaymkttransfers/sendredpack", redPackParams("rp1"), wxpay.SignTypeMD5, asRedPack), "")
	if err := srv.SetRedPackStatus("rp1", wxpay.RedPackReceived); err != nil {
		t.Fatal(err)
	}
	srv.HoldRedPacks(true)
	wantResult(t, "held red packet", rawPost(t, srv, "/mmpaymkttransfers/sendredpack", redPackParams("rp2"), wxpay.SignTypeMD5, asRedPack), "PROCESSING")

	// A short URL, a signed contract and a pre-entrust id not used yet.
	short := call(t, srv, srv.Client(), "/tools/shorturl", wxpay.Params{"long_url": "weixin://wxpay/bizpayurl?pr=abc"}, wxpay.SignTypeMD5)["short_url"]
	backend := httptestServer(t, &merchant{})
	link := entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"notify_url": backend.URL + "/c"}, nil)
	contractID, err := srv.SignContract(link)
	if err != nil {
		t.Fatal(err)
	}
	pre := call(t, srv, srv.Client(), "/papay/preentrustweb", wxpay.Params{"plan_id": "12535", "contract_code": "c2", "request_serial": "2",
		"contract_display_account": "李四", "notify_url": backend.URL + "/c", "version": "1.0", "timestamp": "1700000000"}, wxpay.SignTypeMD5)
	wantResult(t, "preentrustweb", pre, "")

	// A mode-1 scan: the order belongs to the scanner, paid after the restart.
	native := jsapiOrder("S0000002", "10")
	native["trade_type"], native["product_id"] = "NATIVE", "p1"
	delete(native, "openid")
	uo := call(t, srv, srv.Client(), "/pay/unifiedorder", native, wxpay.SignTypeMD5)
	wantResult(t, "native order", uo, "")
	prepayID.Store(uo["prepay_id"])
	scan, err := srv.ScanProduct(context.Background(), "p1", "oScanner0000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	waitNotifies(t, srv) // the contract notify

	queries := func(srv *wxpaytest.Server) map[string]string {
		out := map[string]wxpay.Params{
			"split query":      rawPost(t, srv, "/pay/profitsharingquery", wxpay.Params{"transaction_id": txn, "out_order_no": "P1"}, hmacType, noAppID),
			"return query":     rawPost(t, srv, "/pay/profitsharingreturnquery", wxpay.Params{"out_order_no": "P1", "out_return_no": "R1"}, hmacType, nil),
			"amount query":     rawPost(t, srv, "/pay/profitsharingorderamountquery", wxpay.Params{"transaction_id": txn}, hmacType, noAppID),
			"return again":     rawPost(t, srv, "/secapi/pay/profitsharingreturn", ret, hmacType, nil),
			"split again":      rawPost(t, srv, "/secapi/pay/multiprofitsharing", split, hmacType, nil),
			"short url":        call(t, srv, srv.Client(), "/tools/shorturl", wxpay.Params{"long_url": "weixin://wxpay/bizpayurl?pr=abc"}, wxpay.SignTypeMD5),
			"contract by id":   call(t, srv, srv.Client(), "/papay/querycontract", wxpay.Params{"contract_id": contractID, "version": "1.0"}, wxpay.SignTypeMD5),
			"contract by code": call(t, srv, srv.Client(), "/papay/querycontract", wxpay.Params{"plan_id": "12535", "contract_code": "c1", "version": "1.0"}, wxpay.SignTypeMD5),
			"scanned order":    call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "S0000002"}, wxpay.SignTypeMD5),
		}
		got := map[string]string{}
		for what, p := range out {
			delete(p, "nonce_str")
			delete(p, "sign")
			got[what] = fmt.Sprint(p)
		}
		// gethbinfo nests hblist, which ParseXML refuses: its body, less
		// the nonce.
		nonce := regexp.MustCompile(`<nonce_str>.*?</nonce_str>`)
		for _, no := range []string{"rp1", "rp2"} {
			q := signed(wxpay.Params{"mch_billno": no, "bill_type": "MCHT"}, wxpay.SignTypeMD5)
			_, data := postRaw(t, certClient(t, srv), srv.URL+"/mmpaymkttransfers/gethbinfo", q.AppendXML(nil))
			got["red packet "+no] = nonce.ReplaceAllString(string(data), "")
		}
		return got
	}
	before := queries(srv)
	contracts := srv.Contracts()
	srv.Close()

	srv = wxpaytest.NewServer(appID, mchID, apiKey, opts...)
	defer srv.Close()
	if diff := cmp.Diff(before, queries(srv)); diff != "" {
		t.Fatalf("answers across the restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(contracts, srv.Contracts()); diff != "" {
		t.Errorf("Contracts across the restart (-before +after):\n%s", diff)
	}
	for what, a := range before {
		if !strings.Contains(a, "result_code:SUCCESS") && !strings.Contains(a, "<result_code><![CDATA[SUCCESS]]>") {
			t.Errorf("%s before the restart: %s", what, a)
		}
	}
	if !strings.Contains(before["short url"], short) {
		t.Errorf("short URL %q, then %s", short, before["short url"])
	}
	if !strings.Contains(before["red packet rp1"], "<hblist>") || !strings.Contains(before["red packet rp2"], "SENDING") {
		t.Errorf("red packets before the restart: %q", before)
	}
	if n, err := srv.UnsplitAmount("S0000001"); err != nil || n != 700 {
		t.Errorf("UnsplitAmount after the restart = %d, %v; want 700", n, err)
	}
	// The controls carry on.
	if st, err := srv.RedPackStatus("rp2"); err != nil || st != wxpay.RedPackSending {
		t.Errorf("held red packet after the restart: %q, %v", st, err)
	}
	wantResult(t, "still holding", rawPost(t, srv, "/mmpaymkttransfers/sendredpack", redPackParams("rp3"), wxpay.SignTypeMD5, asRedPack), "PROCESSING")
	if err := srv.SetRedPackStatus("rp2", wxpay.RedPackSent); err != nil {
		t.Errorf("releasing the held packet: %v", err)
	}
	link = entrustLink(srv, "/papay/entrustweb", wxpay.SignTypeMD5, wxpay.Params{"notify_url": backend.URL + "/c"}, nil) // the new port
	if _, err := srv.SignContract(link); !errors.Is(err, wxpaytest.ErrState) {
		t.Errorf("signing the signed contract code again after the restart: %v, want ErrState", err)
	}
	if _, err := srv.SignPreEntrust(pre["pre_entrustweb_id"]); err != nil {
		t.Errorf("the pre-entrust id of before the restart: %v", err)
	}
	if err := srv.TerminateContract(contractID); err != nil {
		t.Errorf("terminating the contract after the restart: %v", err)
	}
	if err := srv.PayWith(scan.OutTradeNo, wxpaytest.Payment{SkipNotify: true}); err != nil {
		t.Fatal(err)
	}
	if q := call(t, srv, srv.Client(), "/pay/orderquery", wxpay.Params{"out_trade_no": "S0000002"}, wxpay.SignTypeMD5); q["openid"] != scan.OpenID {
		t.Errorf("the scanned order paid after the restart by %q, want the scanner %q", q["openid"], scan.OpenID)
	}
	waitNotifies(t, srv)
}
