package wxpay

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// TestNotifyLoad sends thousands of payment notifies, valid, duplicated,
// forged, foreign and malformed, through PayNotifyHandler on loopback from
// many goroutines, and checks that every valid delivery reached the
// callback, none of the others did, and each got the right reply.
func TestNotifyLoad(t *testing.T) {
	const (
		valid      = 1500
		duplicates = 500 // repeats of valid ones, as WeChat sends them
		forged     = 500 // sign made with another key
		foreign    = 250 // validly signed, for another merchant
		tampered   = 250 // valid notify, total_fee changed after signing
		malformed  = 250
		workers    = 32
	)
	if testing.Short() {
		t.Skip("load test")
	}
	c := fuzzClient(t)
	var (
		mu       sync.Mutex
		received = map[string]int{} // out_trade_no → callback calls
	)
	srv := httptest.NewServer(c.PayNotifyHandler(func(_ context.Context, n *PayNotify) error {
		mu.Lock()
		received[n.OutTradeNo]++
		mu.Unlock()
		return nil
	}))
	defer srv.Close()

	type delivery struct {
		kind string
		body []byte
	}
	notify := func(i int, key, appID string) Params {
		p := genuinePayNotify()
		p["out_trade_no"] = fmt.Sprintf("LOAD%06d", i)
		p["appid"] = appID
		st := SignTypeMD5
		if i%2 == 1 {
			st = SignTypeHMACSHA256 // HMAC notifies carry no sign_type
		}
		return signed(p, key, st)
	}
	var work []delivery
	for i := range valid {
		work = append(work, delivery{"valid", notify(i, docKey, testAppID).AppendXML(nil)})
	}
	for i := range duplicates {
		work = append(work, delivery{"duplicate", notify(i, docKey, testAppID).AppendXML(nil)})
	}
	for i := range forged {
		work = append(work, delivery{"forged", notify(valid+i, "0123456789abcdef0123456789abcdef", testAppID).AppendXML(nil)})
	}
	for i := range foreign {
		work = append(work, delivery{"foreign", notify(valid+forged+i, docKey, "wx0000000000000000").AppendXML(nil)})
	}
	for i := range tampered {
		p := notify(valid+forged+foreign+i, docKey, testAppID)
		p["total_fee"] = "1"
		work = append(work, delivery{"tampered", p.AppendXML(nil)})
	}
	for i := range malformed {
		body := notify(i, docKey, testAppID).AppendXML(nil)
		switch i % 5 {
		case 0:
			body = body[:len(body)/2]
		case 1:
			body = append([]byte(`<!DOCTYPE x [<!ENTITY e "e">]>`), body...)
		case 2:
			body = bytes.Replace(body, []byte("</xml>"), []byte("<total_fee>1</total_fee></xml>"), 1)
		case 3:
			body = []byte(strings.Repeat("<", MaxBodySize+1))
		case 4:
			body = []byte("return_code=SUCCESS")
		}
		work = append(work, delivery{"malformed", body})
	}

	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		replies sync.Map // kind → *[2]atomic.Int64{success, fail}
	)
	hc := srv.Client()
	hc.Timeout = 30 * time.Second
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(work) {
					return
				}
				d := work[i]
				resp, err := hc.Post(srv.URL, "text/xml", bytes.NewReader(d.body))
				if err != nil {
					t.Errorf("%s: %v", d.kind, err)
					return
				}
				reply, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				v, _ := replies.LoadOrStore(d.kind, new([2]atomic.Int64))
				if resp.StatusCode == http.StatusOK && string(reply) == notifySuccess {
					v.(*[2]atomic.Int64)[0].Add(1)
				} else {
					v.(*[2]atomic.Int64)[1].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	for _, k := range []struct {
		kind string
		w    [2]int64
	}{
		{"valid", [2]int64{valid, 0}}, {"duplicate", [2]int64{duplicates, 0}}, {"forged", [2]int64{0, forged}},
		{"foreign", [2]int64{0, foreign}}, {"tampered", [2]int64{0, tampered}}, {"malformed", [2]int64{0, malformed}},
	} {
		kind, w := k.kind, k.w
		v, _ := replies.Load(kind)
		got := [2]int64{v.(*[2]atomic.Int64)[0].Load(), v.(*[2]atomic.Int64)[1].Load()}
		t.Logf("%-9s sent %4d: %4d answered SUCCESS, %4d answered FAIL", kind, w[0]+w[1], got[0], got[1])
		if got != w {
			t.Errorf("%s: SUCCESS/FAIL replies = %v, want %v", kind, got, w)
		}
	}
	calls := 0
	for i := range valid + forged + foreign + tampered {
		n := received[fmt.Sprintf("LOAD%06d", i)]
		calls += n
		switch {
		case i < duplicates && n != 2, i >= duplicates && i < valid && n != 1:
			t.Errorf("LOAD%06d reached the callback %d times", i, n)
		case i >= valid && n != 0:
			t.Errorf("forged or foreign LOAD%06d reached the callback", i)
		}
	}
	t.Logf("%d deliveries in %v (%.0f/s); callback ran %d times: %d valid notifies, %d repeats, 0 lost, 0 forged accepted",
		len(work), elapsed.Round(time.Millisecond), float64(len(work))/elapsed.Seconds(), calls, valid, duplicates)
}

// TestClientConcurrent shares one Client among many goroutines making
// calls, pay parameters and signatures at once; run it with -race.
func TestClientConcurrent(t *testing.T) {
	var calls atomic.Int64
	f := newFakeAPI(t, docKey, func(_ string, req Params) (int, Params) {
		calls.Add(1)
		return 200, ok(req, "trade_state", "SUCCESS", "out_trade_no", req["out_trade_no"])
	})
	c := newTestClient(t, f, WithSignType(SignTypeHMACSHA256))
	const goroutines, each = 32, 20
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				no := fmt.Sprintf("C%03d%03d", g, i)
				p, err := c.call(context.Background(), queryEP, []wire.Field{{Name: "out_trade_no", Value: no}})
				if err != nil || p["out_trade_no"] != no {
					t.Errorf("call %s: %v, %v", no, p, err)
					return
				}
				if _, err := c.JSAPIPayParams("wx" + no); err != nil {
					t.Error(err)
				}
				if err := VerifySign(signed(Params{"n": no}, docKey, SignTypeHMACSHA256), docKey); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if got := calls.Load(); got != goroutines*each {
		t.Errorf("server saw %d calls, want %d", got, goroutines*each)
	}
}
