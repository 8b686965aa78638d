package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
)

// TestLoad: buyers creating orders and paying them from their balance,
// 16 at once and then 64 at once, for a few seconds each, each as fast
// as the shop answers. At 64 the throughput must not fall below that at
// 16 (within 15%: on two shared cores both phases saturate the CPU, and
// the noise of other processes is that large), the 99th percentile of a request must stay under 250 ms, no
// request may fail, and afterwards stock and every balance must be
// exact. SHOP_LOAD_THINK_MS makes each buyer pause between orders.
// SHOP_LOAD_SECONDS sets the seconds of each phase (default 3); -short
// skips it. Run it alone: other tests running beside it take its CPU.
//
// Failures and wrong balances always fail the test. The speed targets
// fail it only with SHOP_LOAD_STRICT=1, on a machine of its own: a timed
// check on a shared CI machine measures the neighbours, so there it is
// reported and not enforced.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped with -short")
	}
	secs, thinkMS := 3, 0
	if s := os.Getenv("SHOP_LOAD_SECONDS"); s != "" {
		fmt.Sscan(s, &secs)
	}
	if s := os.Getenv("SHOP_LOAD_THINK_MS"); s != "" {
		fmt.Sscan(s, &thinkMS)
	}
	think := time.Duration(thinkMS) * time.Millisecond
	eachBackendWith(t, func(sh *shop) {
		p := store.DefaultPolicy
		p.MaxUnpaidPerGoods = 0
		sh.policy = &p
		sh.quiet = true
	}, func(t *testing.T, sh *shop) {
		ctx := context.Background()
		const initialStock = 1_000_000
		g, _ := sh.st.GoodsDetail(ctx, beans)
		if err := sh.st.UpdateSKU(ctx, g.SKUs[0].ID, g.SKUs[0].Price, initialStock); err != nil {
			t.Fatal(err)
		}
		const buyers = 64
		const topUp = "100000" // yuan each, the largest single payment
		toks := make([]string, buyers)
		for i := range toks {
			toks[i], _ = sh.login(fmt.Sprintf("load-%d", i))
			prepay := sh.wxPay(toks[i], topUp, "")
			sh.ok(sh.post("/dev/wxpay/confirm", "prepayId", prepay), nil)
		}
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * buyers, MaxConnsPerHost: 2 * buyers}, Timeout: 30 * time.Second}
		orders := make([]int, buyers) // per buyer
		var results []phaseResult
		for _, n := range []int{16, 64} {
			r := loadPhase(hc, sh.front.URL, toks[:n], orders[:n], time.Duration(secs)*time.Second, think)
			t.Logf("%s %2d buyers: %5d orders in %v, %6.1f orders/s, requests p50 %v p99 %v max %v, %d errors",
				sh.st.Dialect(), n, r.orders, r.elapsed.Round(time.Millisecond), r.throughput(),
				r.pct(50), r.pct(99), r.pct(100), len(r.errors))
			for i, e := range r.errors {
				if i < 5 {
					t.Errorf("error: %s", e)
				}
			}
			results = append(results, r)
		}
		missed := t.Logf
		if os.Getenv("SHOP_LOAD_STRICT") == "1" {
			missed = t.Errorf
		}
		r16, r64 := results[0], results[1]
		if r64.throughput() < 0.85*r16.throughput() {
			missed("target missed: throughput fell from %.1f orders/s at 16 buyers to %.1f at 64", r16.throughput(), r64.throughput())
		}
		for _, r := range results {
			if p := r.pct(99); p > 250*time.Millisecond {
				missed("target missed: p99 %v at %d buyers; want ≤ 250ms", p, r.buyers)
			}
		}

		// Exact books: stock, and each balance and consumption.
		total := 0
		price := money.Fen(6800)
		for i, tok := range toks {
			total += orders[i]
			a := sh.amount(tok)
			wantBal, _ := money.Parse(topUp)
			wantBal -= price * money.Fen(orders[i])
			if got, _ := money.Parse(a.Balance.String()); got != wantBal {
				t.Errorf("buyer %d: balance %s, want %s after %d orders", i, a.Balance, wantBal, orders[i])
			}
			if got, _ := money.Parse(a.TotleConsumed.String()); got != price*money.Fen(orders[i]) {
				t.Errorf("buyer %d: consumed %s after %d orders", i, a.TotleConsumed, orders[i])
			}
		}
		want(sh, "stock", sh.stock(beans, ""), int64(initialStock-total))
	})
}

type phaseResult struct {
	buyers    int
	orders    int
	elapsed   time.Duration
	latencies []time.Duration
	errors    []string
}

func (r phaseResult) throughput() float64 { return float64(r.orders) / r.elapsed.Seconds() }

// pct is the p-th percentile of the request latencies.
func (r phaseResult) pct(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := (len(r.latencies)*p + 99) / 100
	return r.latencies[min(max(i-1, 0), len(r.latencies)-1)]
}

// loadPhase runs one buyer per token for d: create an order of one bag
// of beans, pay it from the balance, again. orders counts each buyer's
// paid orders.
func loadPhase(hc *http.Client, base string, toks []string, orders []int, d, think time.Duration) phaseResult {
	var mu sync.Mutex
	res := phaseResult{buyers: len(toks)}
	call := func(path string, form url.Values) (int, string, error) {
		resp, err := hc.PostForm(base+"/tz"+path, form)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var env struct {
			Code int
			Msg  string
			Data json.RawMessage
		}
		if err := json.Unmarshal(b, &env); err != nil {
			return 0, "", fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
		}
		if env.Code != 0 {
			return env.Code, env.Msg, nil
		}
		return 0, string(env.Data), nil
	}
	timed := func(path string, form url.Values) (string, bool) {
		start := time.Now()
		code, data, err := call(path, form)
		lat := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		res.latencies = append(res.latencies, lat)
		if err != nil || code != 0 {
			res.errors = append(res.errors, fmt.Sprintf("%s: code %d %s %v", path, code, data, err))
			return "", false
		}
		return data, true
	}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, tok := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				form := url.Values{"token": {tok}, "goodsJsonStr": {items(item(beans, 1, ""))}}
				for j := 0; j+1 < len(address); j += 2 {
					form.Set(address[j], address[j+1])
				}
				data, ok := timed("/order/create", form)
				if !ok {
					continue
				}
				var o struct{ ID int64 }
				json.Unmarshal([]byte(data), &o)
				if _, ok := timed("/order/pay", url.Values{"token": {tok}, "orderId": {fmt.Sprint(o.ID)}}); ok {
					mu.Lock()
					orders[i]++
					res.orders++
					mu.Unlock()
				}
				time.Sleep(think)
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}
