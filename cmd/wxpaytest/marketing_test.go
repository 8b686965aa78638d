package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
)

// TestMarketingWalk drives coupons, customs declarations, payouts to
// balance and to bank cards, comments and reports through the control
// API only, with the SDK as the merchant's client, then restarts on the
// same -state and finds them as they were.
func TestMarketingWalk(t *testing.T) {
	dir := t.TempDir()
	out, state := filepath.Join(dir, "out"), filepath.Join(dir, "state.json")
	args := []string{"-out", out, "-state", state}
	a := startApp(t, io.Discard, args...)
	c, cc := clientFromOut(t, out)
	mch := cc.Merchants[0].MchID
	ctx := context.Background()
	call := func(method, path string, in any, wantStatus int) map[string]any {
		t.Helper()
		var got map[string]any
		if st := control(t, a, method, path, in, &got); st != wantStatus {
			t.Fatalf("%s %s: %d %v, want %d", method, path, st, got, wantStatus)
		}
		return got
	}
	const openID = "oUser0000000000000000000001"

	// Coupons: a stock the test creates, a coupon sent from it and used.
	stock := map[string]any{"coupon_stock_id": "1757", "coupon_name": "满100减10", "coupon_value": 1000, "coupon_minimum": 10000, "coupon_total": 2}
	call("POST", "/coupons/stocks", stock, 200)
	call("POST", "/coupons/stocks", stock, 409)
	call("POST", "/coupons/stocks", map[string]any{"coupon_stock_id": "1758", "coupon_value": 0, "coupon_total": 1}, 400)
	call("POST", "/coupons/stocks", map[string]any{"coupon_stock_id": "1759", "coupon_value": 1, "coupon_total": 1, "mch_id": "1999999999"}, 404)
	call("POST", "/coupons/stocks", map[string]any{"coupon_stock_id": "1760", "coupon_value": 1, "coupon_total": 1, "end_time": "tomorrow"}, 400)
	sq, err := c.CouponStockQuery(ctx, &wxpay.CouponStockQueryRequest{CouponStockID: "1757"})
	if err != nil || sq.CouponValue != 1000 || sq.CouponTotal != 2 || sq.CouponName != "满100减10" {
		t.Fatalf("the created stock: %+v, %v", sq, err)
	}
	sent, err := c.SendCoupon(ctx, &wxpay.SendCouponRequest{CouponStockID: "1757", PartnerTradeNo: "CP0001", OpenID: openID})
	if err != nil {
		t.Fatal(err)
	}
	couponQuery := &wxpay.CouponQueryRequest{CouponID: sent.CouponID, OpenID: openID, StockID: "1757"}
	if q, err := c.CouponQuery(ctx, couponQuery); err != nil || q.CouponState != wxpay.CouponSent {
		t.Fatalf("the sent coupon: %+v, %v", q, err)
	}
	call("POST", "/coupons/"+sent.CouponID+"/use", nil, 200)
	call("POST", "/coupons/"+sent.CouponID+"/use", nil, 409)
	call("POST", "/coupons/NOSUCH/use", nil, 404)
	if q, err := c.CouponQuery(ctx, couponQuery); err != nil || q.CouponState != wxpay.CouponUsed || q.CouponUseValue != 1000 {
		t.Fatalf("the used coupon: %+v, %v", q, err)
	}

	// Customs: a paid order declared, failed by the customs office.
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "奶粉", OutTradeNo: "CU000001", TotalFee: 30000,
		SpbillCreateIP: "127.0.0.1", NotifyURL: "https://shop.example.com/pay", TradeType: wxpay.TradeTypeNative, ProductID: "p1"}); err != nil {
		t.Fatal(err)
	}
	call("POST", "/orders/CU000001/pay", map[string]any{"skip_notify": true}, 200)
	oq, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "CU000001"})
	if err != nil {
		t.Fatal(err)
	}
	txn := oq.TransactionID
	if _, err := c.CustomsDeclare(ctx, &wxpay.CustomsDeclareRequest{OutTradeNo: "CU000001", TransactionID: txn,
		Customs: wxpay.CustomsHangzhouZS, MchCustomsNo: "3301960000"}); err != nil {
		t.Fatal(err)
	}
	customsPath := "/customs/" + txn + "/state"
	call("PUT", customsPath, map[string]string{"customs": "HANGZHOU_ZS", "state": "FAIL", "explanation": "订购人身份信息不符"}, 200)
	call("PUT", customsPath, map[string]string{"customs": "HANGZHOU_ZS", "state": "SUBMITTED"}, 400)
	call("PUT", customsPath, map[string]string{"state": "SUCCESS"}, 400)
	call("PUT", customsPath, map[string]string{"customs": "NINGBO", "state": "SUCCESS"}, 404)
	call("PUT", "/customs/NOSUCH/state", map[string]string{"customs": "HANGZHOU_ZS", "state": "SUCCESS"}, 404)
	customsQuery := &wxpay.CustomsDeclareQueryRequest{OutTradeNo: "CU000001", Customs: wxpay.CustomsHangzhouZS}
	if q, err := c.CustomsDeclareQuery(ctx, customsQuery); err != nil || len(q.Records) != 1 ||
		q.Records[0].State != wxpay.CustomsFail || q.Records[0].Explanation != "订购人身份信息不符" {
		t.Fatalf("the failed declaration: %+v, %v", q, err)
	}

	// Payouts to balance: a balance, a held payout settled.
	if got := call("GET", "/payouts/balances/"+mch, nil, 200); got["limited"] != false {
		t.Fatalf("balance before any limit: %v", got)
	}
	call("PUT", "/payouts/balances/"+mch, map[string]any{}, 400)
	call("PUT", "/payouts/balances/"+mch, map[string]int64{"balance": 100000}, 200)
	call("PUT", "/transfers/hold", map[string]any{}, 400)
	call("PUT", "/transfers/hold", map[string]bool{"hold": true}, 200)
	transfer := func(no string) *wxpay.TransferRequest {
		return &wxpay.TransferRequest{PartnerTradeNo: no, OpenID: openID, Amount: 1000, Desc: "佣金", SpbillCreateIP: "127.0.0.1"}
	}
	var pending *wxpay.TransferPendingError
	if _, err := c.Transfer(ctx, transfer("TR0001")); !errors.As(err, &pending) {
		t.Fatalf("a held payout: %v, want TransferPendingError", err)
	}
	if got := call("GET", "/transfers/TR0001", nil, 200); got["status"] != "PROCESSING" {
		t.Fatalf("held payout %v", got)
	}
	call("PUT", "/transfers/TR0001/status", map[string]string{"status": "SUCCESS"}, 200)
	call("PUT", "/transfers/TR0001/status", map[string]string{"status": "FAILED"}, 409)
	call("PUT", "/transfers/NOSUCH/status", map[string]string{"status": "SUCCESS"}, 404)
	call("GET", "/transfers/NOSUCH", nil, 404)
	if info, err := c.TransferInfo(ctx, &wxpay.TransferInfoRequest{PartnerTradeNo: "TR0001"}); err != nil || info.Status != wxpay.TransferSuccess {
		t.Fatalf("the settled payout: %+v, %v", info, err)
	}
	if _, err := c.Transfer(ctx, transfer("TR0002")); !errors.As(err, &pending) {
		t.Fatalf("a second held payout: %v", err) // settled after the restart
	}

	// Payouts to bank cards: the key the client fetches is the control's,
	// and the server decrypts what the client encrypted.
	keys := call("GET", "/payouts/bank-key", nil, 200)
	pub, err := c.RSAPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(pub) != keys["public_key_pem"] || !strings.Contains(keys["private_key_pem"].(string), "RSA PRIVATE KEY") {
		t.Fatalf("getpublickey %q, the control's %v", pub, keys)
	}
	bank := func(no string) *wxpay.PayBankRequest {
		encNo, err1 := wxpay.EncryptBankField(pub, "6222020202020202")
		encName, err2 := wxpay.EncryptBankField(pub, "张三")
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		return &wxpay.PayBankRequest{PartnerTradeNo: no, EncBankNo: encNo, EncTrueName: encName, BankCode: "1002", Amount: 5000, Desc: "货款"}
	}
	if _, err := c.PayBank(ctx, bank("PB0001")); err != nil {
		t.Fatal(err)
	}
	wantRecord := map[string]any{"partner_trade_no": "PB0001", "bank_no": "6222020202020202", "true_name": "张三", "bank_code": "1002",
		"amount": 5000.0, "cmms_amt": 100.0, "status": "PROCESSING"}
	if diff := cmp.Diff(wantRecord, call("GET", "/paybank/PB0001", nil, 200)); diff != "" {
		t.Errorf("the decrypted bank payout (-want +got):\n%s", diff)
	}
	if got := call("GET", "/payouts/balances/"+mch, nil, 200); got["balance"] != 100000.0-1000-1000-5000-100 {
		t.Errorf("balance after the payouts: %v", got)
	}
	call("PUT", "/paybank/PB0001/status", map[string]string{"status": "BANK_FAIL"}, 200)
	call("PUT", "/paybank/PB0001/status", map[string]string{"status": "SUCCESS"}, 409)
	call("PUT", "/paybank/NOSUCH/status", map[string]string{"status": "SUCCESS"}, 404)
	call("GET", "/paybank/NOSUCH", nil, 404)
	if q, err := c.PayBankQuery(ctx, &wxpay.PayBankQueryRequest{PartnerTradeNo: "PB0001"}); err != nil || q.Status != wxpay.PayBankBankFail {
		t.Fatalf("the refunded bank payout: %+v, %v", q, err)
	}
	if got := call("GET", "/payouts/balances/"+mch, nil, 200); got["balance"] != 98000.0 {
		t.Errorf("balance after the bank refunded the payout and its fee: %v", got)
	}
	later := bank("PB0002") // encrypted under the key of before the restart

	// Comments and reports.
	day := time.Date(2025, 1, 1, 9, 30, 0, 0, wxpay.Beijing())
	call("POST", "/comments", map[string]any{"time": "20250101093000", "transaction_id": txn, "stars": 5, "content": "发货快"}, 200)
	call("POST", "/comments", map[string]any{"time": "2025-01-01T10:00:00+08:00", "transaction_id": txn, "stars": 6}, 400)
	call("POST", "/comments", map[string]any{"transaction_id": txn, "stars": 3}, 400)
	commentQuery := &wxpay.BatchQueryCommentRequest{BeginTime: day.Add(-time.Hour), EndTime: day.Add(time.Hour)}
	comments, err := c.BatchQueryComment(ctx, commentQuery)
	if err != nil || len(comments.Comments) != 1 || comments.Comments[0].Content != "发货快" || !comments.Comments[0].Time.Equal(day) {
		t.Fatalf("comments: %+v, %v", comments, err)
	}
	if err := c.Report(ctx, &wxpay.ReportRequest{InterfaceURL: "https://api.mch.weixin.qq.com/pay/unifiedorder", ExecuteTime: 120 * time.Millisecond,
		ReturnCode: "SUCCESS", ResultCode: "SUCCESS", UserIP: "127.0.0.1", Time: day}); err != nil {
		t.Fatal(err)
	}
	var reports []requestJSON
	control(t, a, "GET", "/requests?path=/payitil/report", nil, &reports)
	if len(reports) != 1 || reports[0].Params["execute_time_"] != "120" || reports[0].Params["interface_url"] != "https://api.mch.weixin.qq.com/pay/unifiedorder" {
		t.Errorf("GET /requests?path=/payitil/report: %+v", reports)
	}

	// Across a restart, the same answers.
	queries := func() map[string]string {
		t.Helper()
		got := map[string]string{}
		for _, p := range []string{"/transfers/TR0001", "/transfers/TR0002", "/paybank/PB0001", "/payouts/balances/" + mch, "/payouts/bank-key"} {
			got[p] = fmt.Sprint(call("GET", p, nil, 200)) // maps print sorted
		}
		cq, err := c.CouponQuery(ctx, couponQuery)
		if err != nil {
			t.Fatal(err)
		}
		got["coupon"] = string(cq.CouponState) + " " + cq.SendTime.String()
		cu, err := c.CustomsDeclareQuery(ctx, customsQuery)
		if err != nil {
			t.Fatal(err)
		}
		got["customs"] = fmt.Sprintf("%+v", cu.Records)
		cm, err := c.BatchQueryComment(ctx, commentQuery)
		if err != nil {
			t.Fatal(err)
		}
		got["comments"] = fmt.Sprintf("%+v", cm)
		return got
	}
	before := queries()
	a.close()
	a = startApp(t, io.Discard, args...)
	defer a.close()
	c, _ = clientFromOut(t, out) // a new port
	if diff := cmp.Diff(before, queries()); diff != "" {
		t.Errorf("across the restart (-before +after):\n%s", diff)
	}
	// The controls carry on where they stopped.
	call("PUT", "/transfers/TR0002/status", map[string]string{"status": "FAILED"}, 200)
	if got := call("GET", "/payouts/balances/"+mch, nil, 200); got["balance"] != 99000.0 {
		t.Errorf("balance after the held payout failed: %v", got)
	}
	if _, err := c.Transfer(ctx, transfer("TR0003")); !errors.As(err, &pending) {
		t.Errorf("a payout after the restart, still held: %v", err)
	}
	if _, err := c.PayBank(ctx, later); err != nil {
		t.Errorf("a bank payout encrypted under the key of before the restart: %v", err)
	}
	call("POST", "/coupons/"+sent.CouponID+"/use", nil, 409)
	call("POST", "/coupons/stocks", stock, 409)
}

// TestNegativeTestsControl: GET /sandbox/negative-tests lists the cases a
// -sandbox server plays, and the request record shows the case a client
// asked for.
func TestNegativeTestsControl(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, io.Discard, "-out", dir, "-sandbox")
	defer a.close()
	var got struct {
		Header  string   `json:"header"`
		Cases   []string `json:"cases"`
		Sandbox bool     `json:"sandbox"`
	}
	if st := control(t, a, "GET", "/sandbox/negative-tests", nil, &got); st != 200 || got.Header != "Wechatpay-Negative-Test" ||
		!got.Sandbox || !cmp.Equal(got.Cases, []string{"MICROPAY_USERPAYING", "MICROPAY_TIMEOUT", "MICROPAY_PAYERROR", "MICROPAY_PAY_QUERY_TIMEOUT"}) {
		t.Fatalf("GET /sandbox/negative-tests: %d %+v", st, got)
	}
	c, _ := clientFromOut(t, dir, wxpay.WithSandbox(wxpay.SandboxXDC))
	ctx := wxpay.NegativeTest(context.Background(), "MICROPAY_USERPAYING")
	_, err := c.MicroPay(ctx, &wxpay.MicroPayRequest{Body: "咖啡", OutTradeNo: "NEG0001", TotalFee: 101, SpbillCreateIP: "127.0.0.1", AuthCode: "134567890123456789"})
	var we *wxpay.Error
	if !errors.As(err, &we) || we.ErrCode != "USERPAYING" {
		t.Fatalf("micropay under MICROPAY_USERPAYING: %v", err)
	}
	var reqs []requestJSON
	control(t, a, "GET", "/requests?path=/xdc/apiv2sandbox/pay/micropay", nil, &reqs)
	if len(reqs) != 1 || reqs[0].NegativeTest != "MICROPAY_USERPAYING" {
		t.Errorf("the micropay's record: %+v", reqs)
	}
}
