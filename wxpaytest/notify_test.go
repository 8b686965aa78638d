package wxpaytest_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// payWithNotify creates order no with notify_url url and pays it.
func payWithNotify(t *testing.T, srv *wxpaytest.Server, no, url string) {
	t.Helper()
	p := jsapiOrder(no, "100")
	p["notify_url"] = url
	wantResult(t, "unified order", call(t, srv, srv.Client(), "/pay/unifiedorder", p, wxpay.SignTypeMD5), "")
	if err := srv.Pay(no); err != nil {
		t.Fatal(err)
	}
}

func waitNotifies(t *testing.T, srv *wxpaytest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.WaitNotifies(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitGivenUp waits for the notifies and wants WaitNotifies to report
// those about the orders outTradeNos given up, in that order.
func waitGivenUp(t *testing.T, srv *wxpaytest.Server, outTradeNos ...string) *wxpaytest.NotifyError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := srv.WaitNotifies(ctx)
	var ne *wxpaytest.NotifyError
	if !errors.As(err, &ne) {
		t.Fatalf("WaitNotifies = %v, want a *NotifyError", err)
	}
	var got []string
	for _, a := range ne.GivenUp {
		got = append(got, a.OutTradeNo)
		if !a.GaveUp || !strings.Contains(err.Error(), a.URL) {
			t.Errorf("given up %+v: GaveUp false, or its URL not in %q", a, err)
		}
	}
	if diff := cmp.Diff(outTradeNos, got); diff != "" {
		t.Fatalf("given up (-want +got):\n%s", diff)
	}
	if err := srv.WaitNotifies(ctx); err != nil {
		t.Fatalf("WaitNotifies again = %v, want nil: a given-up notify is reported once", err)
	}
	return ne
}

// TestNotifyRetries: a notify is posted again until the reply is
// exactly WeChat's success answer, and never after it.
func TestNotifyRetries(t *testing.T) {
	tests := []struct {
		name    string
		replies []func() (int, string) // reply to attempt n; the last repeats
		want    int                    // attempts made
		acked   bool
	}{
		{name: "success at once", replies: replies(ok), want: 1, acked: true},
		{name: "FAIL twice", replies: replies(fail, fail, ok), want: 3, acked: true},
		{name: "plain text success", replies: replies(text("success"), ok), want: 2, acked: true},
		{name: "SUCCESS with status 500", replies: replies(status500, ok), want: 2, acked: true},
		{name: "empty reply", replies: replies(text(""), ok), want: 2, acked: true},
		{name: "JSON", replies: replies(text(`{"code":"SUCCESS"}`), ok), want: 2, acked: true},
		{name: "never", replies: replies(fail), want: 5, acked: false}, // 1 + 4 retries of fastNotifies
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &merchant{reply: func(n int) (int, string) {
				return tt.replies[min(n, len(tt.replies))-1]()
			}}
			ms := httptestServer(t, m)
			srv := newServer(t, fastNotifies)
			payWithNotify(t, srv, "P0000001", ms.URL+"/notify")
			if tt.acked {
				waitNotifies(t, srv)
			} else {
				waitGivenUp(t, srv, "P0000001")
			}
			time.Sleep(10 * time.Millisecond) // a retry after the acknowledgement would show now

			attempts := srv.Notifies()
			if len(attempts) != tt.want || len(m.received()) != tt.want {
				t.Fatalf("%d attempts recorded, %d received, want %d", len(attempts), len(m.received()), tt.want)
			}
			for i, a := range attempts {
				if a.Attempt != i+1 || a.Kind != wxpaytest.PayNotify || a.OutTradeNo != "P0000001" || a.URL != ms.URL+"/notify" {
					t.Fatalf("attempt %d: %+v", i, a)
				}
				if last := i == len(attempts)-1; a.Acknowledged != (last && tt.acked) {
					t.Fatalf("attempt %d acknowledged %v", i+1, a.Acknowledged)
				}
				if string(a.Body) != string(m.received()[i]) {
					t.Fatalf("attempt %d: recorded body differs from the one received", i+1)
				}
			}
		})
	}
}

func replies(r ...func() (int, string)) []func() (int, string) { return r }

func ok() (int, string)        { return http.StatusOK, successXML }
func fail() (int, string)      { return http.StatusOK, failXML }
func status500() (int, string) { return http.StatusInternalServerError, successXML }
func text(s string) func() (int, string) {
	return func() (int, string) { return http.StatusOK, s }
}

// TestNotifySchedule checks the spacing of the retries against the
// schedule scaled by WithNotifyScale.
func TestNotifySchedule(t *testing.T) {
	m := &merchant{reply: func(n int) (int, string) {
		if n < 4 {
			return fail()
		}
		return ok()
	}}
	ms := httptestServer(t, m)
	srv := newServer(t, wxpaytest.WithNotifyScale(time.Millisecond))
	payWithNotify(t, srv, "S0000001", ms.URL+"/notify")
	waitNotifies(t, srv)
	a := srv.Notifies()
	if len(a) != 4 {
		t.Fatalf("%d attempts, want 4", len(a))
	}
	// 15s, 15s, 30s at a millisecond per second.
	for i, want := range []time.Duration{15 * time.Millisecond, 15 * time.Millisecond, 30 * time.Millisecond} {
		if gap := a[i+1].Time.Sub(a[i].Time); gap < want {
			t.Fatalf("retry %d came %v after the attempt before it, want at least %v", i+1, gap, want)
		}
	}
}

// TestCloseStopsDeliveries: Close cancels pending retries and returns
// promptly, and nothing is delivered afterwards.
func TestCloseStopsDeliveries(t *testing.T) {
	m := &merchant{reply: func(int) (int, string) { return fail() }}
	ms := httptestServer(t, m)
	before := runtime.NumGoroutine()
	srv := wxpaytest.NewServer(appID, mchID, apiKey, wxpaytest.WithNotifyDelays(time.Hour))
	payWithNotify(t, srv, "Z0000001", ms.URL+"/notify")
	deadline := time.Now().Add(5 * time.Second)
	for len(m.received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	srv.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v with a retry pending an hour away", d)
	}
	if err := srv.WaitNotifies(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Pay("Z0000001"); err == nil {
		t.Fatal("paying twice after Close succeeded")
	}
	srv.Close() // twice is harmless
	if n := len(m.received()); n != 1 {
		t.Fatalf("%d notifies received, want 1", n)
	}
	// The server's goroutines are gone: its listener, connections and
	// deliveries. The merchant's side may keep a connection a moment.
	ms.CloseClientConnections()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWaitNotifiesHonoursContext(t *testing.T) {
	m := &merchant{reply: func(int) (int, string) { return fail() }}
	ms := httptestServer(t, m)
	srv := newServer(t, wxpaytest.WithNotifyDelays(time.Hour))
	payWithNotify(t, srv, "W0000001", ms.URL+"/notify")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := srv.WaitNotifies(ctx); err != context.DeadlineExceeded {
		t.Fatalf("WaitNotifies = %v, want DeadlineExceeded", err)
	}
}

func TestNotifyUnreachable(t *testing.T) {
	srv := newServer(t, wxpaytest.WithNotifyDelays(time.Millisecond))
	payWithNotify(t, srv, "U0000001", "http://127.0.0.1:9/notify")
	if ne := waitGivenUp(t, srv, "U0000001"); !strings.Contains(ne.Error(), "connection refused") {
		t.Errorf("error %q does not say why", ne)
	}
	a := srv.Notifies()
	if len(a) != 2 || a[0].Err == nil || a[0].StatusCode != 0 || a[1].Acknowledged {
		t.Fatalf("attempts %+v", a)
	}
}

// TestForgedNotifies checks that each forgery is what it claims: a body
// that a correct merchant must reject.
func TestForgedNotifies(t *testing.T) {
	m := &merchant{reply: func(int) (int, string) { return fail() }}
	ms := httptestServer(t, m)
	srv := newServer(t)
	call(t, srv, srv.Client(), "/pay/unifiedorder", jsapiOrder("G0000001", "888"), wxpay.SignTypeHMACSHA256) // unpaid

	check := map[wxpaytest.Forgery]func(p wxpay.Params) bool{
		wxpaytest.ForgedSign:     func(p wxpay.Params) bool { return p["sign"] != "" && wxpay.VerifySign(p, apiKey) != nil },
		wxpaytest.ForgedUnsigned: func(p wxpay.Params) bool { _, ok := p["sign"]; return !ok },
		wxpaytest.ForgedAmount: func(p wxpay.Params) bool {
			return p["total_fee"] == "1" && wxpay.VerifySign(p, apiKey) != nil && len(p["sign"]) == 64
		},
		wxpaytest.ForgedMerchant: func(p wxpay.Params) bool {
			return wxpay.VerifySign(p, apiKey) == nil && p["appid"] != appID && p["mch_id"] != mchID
		},
		wxpaytest.ForgedRefundKey: func(p wxpay.Params) bool {
			return p["req_info"] != "" && decrypts(p["req_info"], "forged-"+apiKey) && !decrypts(p["req_info"], apiKey)
		},
		wxpaytest.ForgedRefundGarbage: func(p wxpay.Params) bool { return p["req_info"] != "" && !decrypts(p["req_info"], apiKey) },
	}
	for f, forged := range check {
		a, err := srv.SendForgedNotify(context.Background(), f, ms.URL+"/notify", "G0000001")
		if err != nil {
			t.Fatalf("forgery %d: %v", f, err)
		}
		p, err := wxpay.ParseXML(a.Body)
		if err != nil {
			t.Fatalf("forgery %d: %v", f, err)
		}
		if !forged(p) {
			t.Errorf("forgery %d is not the forgery it claims: %v", f, p)
		}
		if p["req_info"] == "" && (p["out_trade_no"] != "G0000001" || p["result_code"] != "SUCCESS") {
			t.Errorf("forgery %d does not claim the order was paid: %v", f, p)
		}
		if !a.Forged || a.Acknowledged || a.StatusCode != http.StatusOK || a.Attempt != 1 {
			t.Errorf("forgery %d attempt %+v", f, a)
		}
	}
	if _, err := srv.SendForgedNotify(context.Background(), wxpaytest.Forgery(99), ms.URL, "G0000001"); err == nil {
		t.Error("unknown forgery accepted")
	}
	if n := len(srv.Notifies()); n != len(check) {
		t.Errorf("%d attempts recorded, want %d (forgeries are not retried)", n, len(check))
	}
}

// decrypts reports whether req_info decrypts under key.
func decrypts(reqInfo, key string) bool {
	_, err := openReqInfo(reqInfo, key)
	return err == nil
}
