package wxpay_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// These tests run the retry policy and the domain failover against
// wxpaytest, whose faults are answered by a server that keeps real order
// state: a retried order must not become two orders.

const (
	rAppID  = "wxd930ea5d5a258f4f"
	rMchID  = "10000100"
	rAPIKey = "192006250b4c09247ec02edce69f6a2d"
)

func resilienceOrder(no string) *wxpay.UnifiedOrderRequest {
	return &wxpay.UnifiedOrderRequest{
		Body: "retry test", OutTradeNo: no, TotalFee: 101, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/notify", TradeType: wxpay.TradeTypeNative, ProductID: "P1",
	}
}

var fastRetry = wxpay.WithRetry(wxpay.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})

func TestRetryAgainstFakeServer(t *testing.T) {
	tests := []struct {
		name   string
		faults []wxpaytest.Fault
		ok     bool
	}{
		{"SYSTEMERROR, then served", []wxpaytest.Fault{{ErrCode: "SYSTEMERROR"}}, true},
		{"gateway 502 twice, then served", []wxpaytest.Fault{{StatusCode: 502}, {StatusCode: 503}}, true},
		{"connection dropped after processing, then served", []wxpaytest.Fault{{Hangup: true}}, true},
		{"more faults than attempts", []wxpaytest.Fault{{ErrCode: "SYSTEMERROR"}, {ErrCode: "SYSTEMERROR"}, {ErrCode: "SYSTEMERROR"}, {ErrCode: "SYSTEMERROR"}}, false},
		{"a bad sign is not retried", []wxpaytest.Fault{{BadSign: true}}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := wxpaytest.NewServer(rAppID, rMchID, rAPIKey)
			defer srv.Close()
			c, err := wxpay.NewClient(rAppID, rMchID, rAPIKey, wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), fastRetry)
			if err != nil {
				t.Fatal(err)
			}
			srv.Fail("/pay/unifiedorder", tt.faults...)
			no := "RETRY00" + string(rune('0'+i))
			resp, err := c.UnifiedOrder(context.Background(), resilienceOrder(no))
			if tt.ok != (err == nil) {
				t.Fatalf("UnifiedOrder = %v, %v; want success %v", resp, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			// The same order again gives the same prepay_id: the retries made one order.
			again, err := c.UnifiedOrder(context.Background(), resilienceOrder(no))
			if err != nil || again.PrepayID != resp.PrepayID {
				t.Errorf("repeat: %v, %v; want prepay_id %s", again, err, resp.PrepayID)
			}
			var nonces = map[string]bool{}
			for _, r := range srv.Requests() {
				if r.Params == nil {
					continue // a gateway fault answered before the body was read
				}
				if nonces[r.Params["nonce_str"]] {
					t.Errorf("nonce_str %s sent twice", r.Params["nonce_str"])
				}
				nonces[r.Params["nonce_str"]] = true
			}
		})
	}
}

func TestFailoverToBackupAgainstFakeServer(t *testing.T) {
	srv := wxpaytest.NewServer(rAppID, rMchID, rAPIKey)
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + l.Addr().String()
	l.Close() // nothing listens there now: a network-level failure

	c, err := wxpay.NewClient(rAppID, rMchID, rAPIKey, wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithBaseURL(dead), wxpay.WithBackupBaseURL(srv.URL), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.UnifiedOrder(context.Background(), resilienceOrder("FAILOVER1"))
	if err != nil {
		t.Fatalf("UnifiedOrder with the primary down: %v", err)
	}
	if _, err := c.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: "FAILOVER1"}); err != nil {
		t.Errorf("OrderQuery on the backup: %v", err)
	}
	if n := len(srv.Requests()); n != 2 || resp.PrepayID == "" {
		t.Errorf("backup served %d requests, prepay %q", n, resp.PrepayID)
	}

	// Without retries there is no second attempt, and so no failover.
	plain, _ := wxpay.NewClient(rAppID, rMchID, rAPIKey, wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithBaseURL(dead), wxpay.WithBackupBaseURL(srv.URL))
	if _, err := plain.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: "FAILOVER1"}); err == nil {
		t.Error("OrderQuery without retries reached the backup")
	}

	// A timeout that the caller's deadline imposes is not retried past it.
	srv.Fail("/pay/orderquery", wxpaytest.Fault{Delay: time.Second})
	onSrv, _ := wxpay.NewClient(rAppID, rMchID, rAPIKey, wxpay.WithHTTPClient(srv.Client()), wxpay.WithBaseURL(srv.URL), fastRetry)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := onSrv.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "FAILOVER1"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("OrderQuery past its deadline: %v, want context.DeadlineExceeded", err)
	}
}
