package wxpaytest_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
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
