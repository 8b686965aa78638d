package api_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wxpay-go/wxpay/wxpaytest"
)

// The console end to end in a real headless Chromium (Debian's chromium
// package), at phone width. It is skipped when no Chromium is found,
// unless SHOP_REQUIRE_BROWSER=1 (CI sets it). SHOP_CHROMIUM names the
// binary; SHOP_SCREENSHOTS a directory to keep the screenshots in.

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SHOP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SHOP_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found (apt-get install chromium), and SHOP_REQUIRE_BROWSER=1")
	}
	t.Skip("no Chromium found; apt-get install chromium to run the console's browser test")
	return ""
}

// browser starts a headless Chromium with a phone-sized window and a
// fresh profile, and returns a context driving one tab of it.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(360, 800),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// run runs browser actions, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		html, _ := chromedp.Run(hctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("%s: %v\npage: %.3000s", what, err, html)
	}
}

// text reads the text of the element sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("SHOP_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleInBrowser: log in, see a paid order appear live, ship it,
// approve a refund and watch WeChat's notify complete it, log out — in
// Chromium at 360 px.
func TestConsoleInBrowser(t *testing.T) {
	sh := newShopWith(t, filepath.Join(t.TempDir(), "shop.db"), func(sh *shop) {
		sh.devOpts = []wxpaytest.Option{wxpaytest.WithManualRefunds()}
		sh.background = true
	})
	ctx := browser(t)
	base := sh.front.URL

	// Login: the console sends an unknown browser to the login page, and
	// a wrong token is refused.
	run(t, ctx, "open the console", 20*time.Second,
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(chromedp.ID("#token")),
		chromedp.SendKeys(chromedp.ID("#token"), "wrong-token"),
		chromedp.Click(chromedp.ID("#login")),
		chromedp.WaitVisible(chromedp.CSS(".flash.err")),
	)
	screenshot(t, ctx, "login")
	run(t, ctx, "log in", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("#token"), adminToken),
		chromedp.Click(chromedp.ID("#login")),
		chromedp.WaitVisible(chromedp.ID("#feed")),
		chromedp.WaitVisible(chromedp.CSS("#live-state.on")), // the live feed is connected
	)

	// A buyer pays; the order appears in the feed without a reload.
	tok, _ := sh.login("browser-buyer")
	o := sh.createOrder(tok, items(item(cup, 1, "")), address...)
	start := time.Now()
	sh.payByWeChat(tok, "129.5", o.ID)
	run(t, ctx, "see the paid order appear live", 2*time.Second,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#feed li.new[data-id="%d"]`, o.ID))),
		chromedp.WaitVisible(chromedp.ID("toast")),
	)
	toast := text(t, ctx, "#toast")
	if d := time.Since(start); d > time.Second {
		t.Errorf("the paid order took %v to appear", d)
	}
	if !strings.Contains(toast, o.OrderNumber) {
		t.Errorf("toast %q does not name order %s", toast, o.OrderNumber)
	}
	if paidToday := text(t, ctx, "#paid-today"); paidToday != "1" {
		t.Errorf("today's paid orders: %q, want 1", paidToday)
	}
	screenshot(t, ctx, "dashboard")

	// Ship it from its page.
	run(t, ctx, "ship the order", 10*time.Second,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#feed li[data-id="%d"] a`, o.ID))),
		chromedp.WaitVisible(chromedp.ID("#ship")),
		chromedp.SendKeys(chromedp.ID("#shipperName"), "SF Express"),
		chromedp.SendKeys(chromedp.ID("#trackingNumber"), "SF1234567890"),
		chromedp.Click(chromedp.ID("#ship-button")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	if status := text(t, ctx, "#order-status"); status != "已发货待确认" {
		t.Errorf("after shipping, the order is %q", status)
	}
	if d := sh.detail(tok, o.ID); d.OrderInfo.Status != 2 || d.Logistics == nil || d.Logistics.TrackingNumber != "SF1234567890" {
		t.Errorf("the buyer sees %+v, logistics %+v", d.OrderInfo, d.Logistics)
	}
	screenshot(t, ctx, "order")

	// The buyer asks for a refund; the merchant approves it and watches
	// WeChat's notify complete it.
	line := sh.detail(tok, o.ID).Goods[0]
	var a applyT
	sh.ok(sh.applyRefund(tok, o.ID, line.ID, "129.5", "reason", "杯子有裂纹"), &a)
	applyID := a.BaseInfo.ID
	row := fmt.Sprintf(`li.apply[data-id="%d"]`, applyID)
	run(t, ctx, "approve the refund", 10*time.Second,
		chromedp.Navigate(base+"/admin/console/aftersales?status=all"),
		chromedp.WaitVisible(chromedp.CSS(row+` button.approve`)),
		chromedp.Click(chromedp.CSS(row+` button.approve`)),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-status="3"]`)),
	)
	screenshot(t, ctx, "aftersales-in-progress")
	var outRefundNo string
	for _, x := range sh.adminApplies() {
		if x.BaseInfo.ID == applyID {
			outRefundNo = x.OutRefundNo
		}
	}
	if err := sh.dev.Server.CompleteRefund(outRefundNo); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "watch the refund complete", 5*time.Second,
		chromedp.WaitVisible(chromedp.CSS(row+`[data-status="4"]`)),
	)
	screenshot(t, ctx, "aftersales")

	// Logout ends the session: the console asks for the token again.
	run(t, ctx, "log out", 10*time.Second,
		chromedp.Click(chromedp.ID("#logout")),
		chromedp.WaitVisible(chromedp.ID("#token")),
		chromedp.Navigate(base+"/admin/console/orders"),
		chromedp.WaitVisible(chromedp.ID("#token")),
	)
}

// adminApplies lists every application through the admin API.
func (sh *shop) adminApplies() []applyT {
	sh.t.Helper()
	_, r := sh.admin("GET", "/admin/refund-applies")
	var list struct{ Applies []applyT }
	sh.ok(r, &list)
	return list.Applies
}
