package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
)

// TestFamiliesWalk drives profit sharing, red packets, Native mode 1 and
// recurring deduction through the control API only, as a client of
// another language would, then restarts on the same -state and finds
// them as they were.
func TestFamiliesWalk(t *testing.T) {
	dir := t.TempDir()
	out, state := filepath.Join(dir, "out"), filepath.Join(dir, "state.json")
	const merchantFlag = "wx0000000000000001:1900000001:" + defaultAPIKey

	// The merchant's backend: the mode-1 callback places an order and
	// answers its prepay_id; the contract notifies are collected.
	var c *wxpay.Client
	var mu sync.Mutex
	var changes []string
	backend := httptest.NewServer(http.NotFoundHandler())
	defer backend.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/native", func(w http.ResponseWriter, r *http.Request) {
		c.NativeCallbackHandler(func(ctx context.Context, cb *wxpay.NativeCallback) (string, error) {
			if cb.ProductID == "sold-out" {
				return "", errors.New("已售罄")
			}
			o, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
				Body: "扫码", OutTradeNo: "SCAN0001", TotalFee: 88, SpbillCreateIP: "127.0.0.1",
				NotifyURL: backend.URL + "/pay", TradeType: wxpay.TradeTypeNative, ProductID: cb.ProductID,
			})
			if err != nil {
				return "", err
			}
			return o.PrepayID, nil
		}).ServeHTTP(w, r)
	})
	mux.HandleFunc("/contract", func(w http.ResponseWriter, r *http.Request) {
		c.ContractNotifyHandler(func(_ context.Context, n *wxpay.ContractNotify) error {
			mu.Lock()
			changes = append(changes, string(n.ChangeType)+" "+n.ContractCode)
			mu.Unlock()
			return nil
		}).ServeHTTP(w, r)
	})
	mux.HandleFunc("/pay", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>")
	})
	backend.Config.Handler = mux

	args := []string{"-out", out, "-state", state, "-merchant", merchantFlag, "-native-callback-url", backend.URL + "/native"}
	a := startApp(t, io.Discard, args...)
	var cc clientConfig
	c, cc = clientFromOut(t, out)
	ctx := context.Background()
	call := func(method, path string, in any, wantStatus int) map[string]any {
		t.Helper()
		var got map[string]any
		if st := control(t, a, method, path, in, &got); st != wantStatus {
			t.Fatalf("%s %s: %d %v, want %d", method, path, st, got, wantStatus)
		}
		return got
	}

	// Profit sharing: the frozen amount, less a split.
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "分账", OutTradeNo: "PS000001", TotalFee: 1000, SpbillCreateIP: "127.0.0.1",
		NotifyURL: backend.URL + "/pay", TradeType: wxpay.TradeTypeNative, ProductID: "p1", ProfitSharing: "Y",
	}); err != nil {
		t.Fatal(err)
	}
	call("POST", "/orders/PS000001/pay", map[string]any{"skip_notify": true}, 200)
	if got := call("GET", "/profitsharing/PS000001/unsplit", nil, 200); got["unsplit_amount"] != 1000.0 {
		t.Fatalf("unsplit before the split: %v", got)
	}
	q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "PS000001"})
	if err != nil {
		t.Fatal(err)
	}
	store := wxpay.ProfitSharingReceiver{Type: wxpay.ReceiverMerchant, Account: "1900000109", Name: "门店", RelationType: wxpay.RelationStore}
	if _, err := c.ProfitSharingAddReceiver(ctx, &wxpay.ProfitSharingReceiverRequest{Receiver: store}); err != nil {
		t.Fatal(err)
	}
	store.Amount, store.Description = 300, "门店分成"
	if _, err := c.MultiProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: q.TransactionID, OutOrderNo: "SPLIT1", Receivers: []wxpay.ProfitSharingReceiver{store}}); err != nil {
		t.Fatal(err)
	}
	if got := call("GET", "/profitsharing/PS000001/unsplit", nil, 200); got["unsplit_amount"] != 700.0 {
		t.Fatalf("unsplit after a split of 300: %v", got)
	}
	call("GET", "/profitsharing/NOSUCH/unsplit", nil, 404)

	// Red packets: one received, one held in SENDING then released.
	rp := func(no string) *wxpay.RedPackRequest {
		return &wxpay.RedPackRequest{MchBillNo: no, SendName: "商城", ReOpenID: "oUser0000000000000000000001", TotalAmount: 100,
			Wishing: "恭喜", ClientIP: "127.0.0.1", ActName: "活动", Remark: "备注"}
	}
	if _, err := c.SendRedPack(ctx, rp("RP0001")); err != nil {
		t.Fatal(err)
	}
	call("PUT", "/redpacks/RP0001/status", map[string]string{"status": "RECEIVED"}, 200)
	call("PUT", "/redpacks/RP0001/status", map[string]string{"status": "SENT"}, 409)
	call("PUT", "/redpacks/RP0001/status", map[string]string{"status": "OPENED"}, 400)
	call("PUT", "/redpacks/NOSUCH/status", map[string]string{"status": "SENT"}, 404)
	info, err := c.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: "RP0001"})
	if err != nil || info.Status != wxpay.RedPackReceived || len(info.HBList) != 1 || info.HBList[0].Amount != 100 {
		t.Fatalf("received red packet: %+v, %v", info, err)
	}
	call("PUT", "/redpacks/hold", map[string]any{}, 400)
	call("PUT", "/redpacks/hold", map[string]bool{"hold": true}, 200)
	var ae *wxpay.Error
	if _, err := c.SendRedPack(ctx, rp("RP0002")); !errors.As(err, &ae) || ae.ErrCode != "PROCESSING" {
		t.Fatalf("a held red packet: %v, want PROCESSING", err)
	}
	if got := call("GET", "/redpacks/RP0002", nil, 200); got["status"] != "SENDING" {
		t.Fatalf("held red packet %v", got)
	}
	call("PUT", "/redpacks/hold", map[string]bool{"hold": false}, 200)
	call("PUT", "/redpacks/RP0002/status", map[string]string{"status": "SENT"}, 200)
	if info, err := c.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: "RP0002"}); err != nil || info.Status != wxpay.RedPackSent {
		t.Fatalf("released red packet: %+v, %v", info, err)
	}
	call("GET", "/redpacks/NOSUCH", nil, 404)

	// Native mode 1: the scan places an order the scanner then pays.
	scan := call("POST", "/native/scan", map[string]string{"product_id": "p9", "openid": "oScanner000000000000000001"}, 200)
	if scan["result_code"] != "SUCCESS" || scan["out_trade_no"] != "SCAN0001" || scan["prepay_id"] == "" {
		t.Fatalf("scan %v", scan)
	}
	call("POST", "/orders/SCAN0001/pay", map[string]any{"skip_notify": true}, 200)
	if q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "SCAN0001"}); err != nil || q.OpenID != "oScanner000000000000000001" {
		t.Fatalf("the scanned order: %+v, %v", q, err)
	}
	if got := call("POST", "/native/scan", map[string]string{"product_id": "sold-out"}, 200); got["result_code"] != "FAIL" || got["err_code_des"] != "已售罄" {
		t.Fatalf("scan of a sold-out product: %v", got)
	}
	call("POST", "/native/scan", map[string]string{}, 400)

	// Recurring deduction: a contract signed each way, one terminated.
	entrust := func(code string, serial int64) *wxpay.EntrustRequest {
		return &wxpay.EntrustRequest{PlanID: "12535", ContractCode: code, RequestSerial: serial, ContractDisplayAccount: "张三",
			NotifyURL: backend.URL + "/contract"}
	}
	link, err := c.ContractEntrustWebURL(entrust("C1", 1))
	if err != nil {
		t.Fatal(err)
	}
	c1 := call("POST", "/contracts/sign", map[string]string{"link": link}, 200)["contract_id"].(string)
	call("POST", "/contracts/sign", map[string]string{"link": link}, 409)
	// The same link under another name of the server is its own; under
	// WeChat's it is not.
	call("POST", "/contracts/sign", map[string]string{"link": strings.Replace(link, "127.0.0.1", "localhost", 1)}, 409)
	call("POST", "/contracts/sign", map[string]string{"link": strings.Replace(link, cc.BaseURL, wxpay.DefaultBaseURL, 1)}, 400)
	h5req := entrust("C2", 2)
	h5req.ClientIP = "203.0.113.7"
	h5, err := c.H5EntrustWeb(ctx, h5req)
	if err != nil {
		t.Fatal(err)
	}
	call("POST", "/contracts/sign", map[string]string{"link": h5.RedirectURL}, 200)
	extra, err := c.ContractMiniProgramExtraData(entrust("C3", 3))
	if err != nil {
		t.Fatal(err)
	}
	call("POST", "/contracts/sign-miniprogram", map[string]any{"extra_data": extra}, 200)
	pre, err := c.PreEntrustWeb(ctx, entrust("C4", 4))
	if err != nil {
		t.Fatal(err)
	}
	call("POST", "/contracts/sign-preentrust", map[string]string{"pre_entrustweb_id": pre.PreEntrustWebID}, 200)
	call("POST", "/contracts/sign-preentrust", map[string]string{"pre_entrustweb_id": pre.PreEntrustWebID}, 404)
	call("POST", "/contracts/"+c1+"/terminate", nil, 200)
	call("POST", "/contracts/"+c1+"/terminate", nil, 409)
	call("POST", "/contracts/NOSUCH/terminate", nil, 404)
	if st := control(t, a, "POST", "/notifies/wait", map[string]int{"timeout_ms": 10000}, nil); st != 200 {
		t.Fatalf("wait: %d", st)
	}
	mu.Lock()
	if diff := cmp.Diff([]string{"ADD C1", "ADD C2", "ADD C3", "ADD C4", "DELETE C1"}, changes); diff != "" {
		t.Errorf("contract notifies (-want +got):\n%s", diff)
	}
	mu.Unlock()
	var contracts []contractJSON
	control(t, a, "GET", "/contracts", nil, &contracts)
	var got []string
	for _, k := range contracts {
		got = append(got, k.ContractCode+map[bool]string{true: " terminated", false: " signed"}[k.Terminated])
	}
	if diff := cmp.Diff([]string{"C1 terminated", "C2 signed", "C3 signed", "C4 signed"}, got); diff != "" {
		t.Errorf("GET /contracts (-want +got):\n%s", diff)
	}
	var notifies []attemptJSON
	control(t, a, "GET", "/notifies", nil, &notifies)
	kinds := map[string]int{}
	for _, n := range notifies {
		kinds[n.Kind]++
		if n.Kind == "contract" && n.ContractID == "" {
			t.Errorf("contract notify without contract_id: %+v", n)
		}
	}
	if diff := cmp.Diff(map[string]int{"native": 2, "contract": 5}, kinds); diff != "" {
		t.Errorf("notify kinds (-want +got):\n%s", diff)
	}

	// Across a restart, the same answers.
	before := map[string]map[string]any{
		"unsplit": call("GET", "/profitsharing/PS000001/unsplit", nil, 200),
		"RP0001":  call("GET", "/redpacks/RP0001", nil, 200),
		"RP0002":  call("GET", "/redpacks/RP0002", nil, 200),
	}
	a.close()
	a = startApp(t, io.Discard, args...)
	defer a.close()
	c, _ = clientFromOut(t, out) // a new port
	after := map[string]map[string]any{
		"unsplit": call("GET", "/profitsharing/PS000001/unsplit", nil, 200),
		"RP0001":  call("GET", "/redpacks/RP0001", nil, 200),
		"RP0002":  call("GET", "/redpacks/RP0002", nil, 200),
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("across the restart (-before +after):\n%s", diff)
	}
	var contractsAfter []contractJSON
	control(t, a, "GET", "/contracts", nil, &contractsAfter)
	if diff := cmp.Diff(contracts, contractsAfter); diff != "" {
		t.Errorf("GET /contracts across the restart (-before +after):\n%s", diff)
	}
	// The signed contract code is still taken; the terminated one is free.
	link, _ = c.ContractEntrustWebURL(entrust("C2", 5))
	call("POST", "/contracts/sign", map[string]string{"link": link}, 409)
	link, _ = c.ContractEntrustWebURL(entrust("C1", 6))
	call("POST", "/contracts/sign", map[string]string{"link": link}, 200)
	if info, err := c.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: "RP0001"}); err != nil || len(info.HBList) != 1 {
		t.Errorf("received red packet after the restart: %+v, %v", info, err)
	}
	if st := control(t, a, "POST", "/notifies/wait", map[string]int{"timeout_ms": 10000}, nil); st != 200 {
		t.Fatalf("wait: %d", st)
	}
}

// TestNativeScanNeedsURL: without -native-callback-url the scan says
// which flag it needs.
func TestNativeScanNeedsURL(t *testing.T) {
	a := startApp(t, io.Discard)
	defer a.close()
	var e map[string]string
	if st := control(t, a, "POST", "/native/scan", map[string]string{"product_id": "p1"}, &e); st != 400 || !strings.Contains(e["error"], "-native-callback-url") {
		t.Fatalf("scan without a callback URL: %d %v", st, e)
	}
}

// TestEndpoints: PUT /endpoints/{path} makes the server answer a path it
// does not model, with the checks of Handle, as wxpay.Client.Call sees it.
func TestEndpoints(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, io.Discard, "-out", dir)
	defer a.close()
	c, _ := clientFromOut(t, dir)
	ctx := context.Background()
	if st := control(t, a, "PUT", "/endpoints/pay/queryexchagerate", map[string]any{
		"answer": map[string]string{"rate": "646180000"}, "echo": []string{"fee_type", "date"}}, nil); st != 200 {
		t.Fatalf("PUT /endpoints: %d", st)
	}
	if st := control(t, a, "PUT", "/endpoints/secapi/mch/fancy", map[string]any{"cert": true, "err_code": "NOAUTH", "err_code_des": "无权限"}, nil); st != 200 {
		t.Fatalf("PUT /endpoints: %d", st)
	}
	if st := control(t, a, "PUT", "/endpoints/pay/broken", map[string]any{"err_code_des": "x"}, nil); st != 400 {
		t.Fatalf("err_code_des alone: %d, want 400", st)
	}

	got, err := c.Call(ctx, "/pay/queryexchagerate", wxpay.Params{"fee_type": "USD", "date": "20250101"}, wxpay.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got["rate"] != "646180000" || got["fee_type"] != "USD" || got["date"] != "20250101" {
		t.Errorf("answer %v", got)
	}
	_, err = c.Call(ctx, "/secapi/mch/fancy", wxpay.Params{}, wxpay.CallOptions{Cert: true})
	var we *wxpay.Error
	if !errors.As(err, &we) || we.ErrCode != "NOAUTH" || we.ErrCodeDes != "无权限" {
		t.Errorf("the canned failure: %v", err)
	}
	_, err = c.Call(ctx, "/secapi/mch/fancy", wxpay.Params{}, wxpay.CallOptions{})
	if !errors.As(err, &we) || we.ReturnCode != "FAIL" || !strings.Contains(we.ReturnMsg, "证书") {
		t.Errorf("without the certificate: %v", err)
	}
}
