package wxpay_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

const (
	psAppID  = "wx2421b1c4370ec43b"
	psMchID  = "1900000109"
	psAPIKey = "192006250b4c09247ec02edce69f6a2d"
)

// psServer returns a wxpaytest server and a client with the merchant
// certificate, signing with MD5 unless opts say otherwise.
func psServer(t *testing.T, srvOpts []wxpaytest.Option, opts ...wxpay.Option) (*wxpaytest.Server, *wxpay.Client) {
	t.Helper()
	srv := wxpaytest.NewServer(psAppID, psMchID, psAPIKey, srvOpts...)
	t.Cleanup(srv.Close)
	certPEM, keyPEM := srv.MerchantCertPEM()
	opts = append([]wxpay.Option{wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithCertPEM(certPEM, keyPEM)}, opts...)
	c, err := wxpay.NewClient(psAppID, psMchID, psAPIKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// paidSharingOrder creates and pays an order with profit_sharing=Y and
// returns its transaction id.
func paidSharingOrder(t *testing.T, srv *wxpaytest.Server, c *wxpay.Client, no string, fee int64) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "goods", OutTradeNo: no, TotalFee: fee, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/notify", TradeType: wxpay.TradeTypeNative, ProductID: "p1", ProfitSharing: "Y",
	}); err != nil {
		t.Fatal(err)
	}
	if err := srv.PayWith(no, wxpaytest.Payment{SkipNotify: true}); err != nil {
		t.Fatal(err)
	}
	q, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: no})
	if err != nil {
		t.Fatal(err)
	}
	return q.TransactionID
}

// wire is what a test checks of a request as sent.
type wire struct {
	Cert     bool
	SignType string
	Has      []string // fields present
	Absent   []string // fields that must not be sent
}

func lastRequest(t *testing.T, srv *wxpaytest.Server, path string) wxpaytest.Request {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			return reqs[i]
		}
	}
	t.Fatalf("no request to %s", path)
	return wxpaytest.Request{}
}

func checkWire(t *testing.T, r wxpaytest.Request, w wire) {
	t.Helper()
	if r.ClientCert != w.Cert {
		t.Errorf("%s: client certificate presented %v, want %v", r.Path, r.ClientCert, w.Cert)
	}
	if got := r.Params["sign_type"]; got != w.SignType {
		t.Errorf("%s: sign_type %q, want %q", r.Path, got, w.SignType)
	}
	for _, f := range w.Has {
		if r.Params[f] == "" {
			t.Errorf("%s: field %s missing: %v", r.Path, f, r.Params)
		}
	}
	for _, f := range w.Absent {
		if _, ok := r.Params[f]; ok {
			t.Errorf("%s: field %s sent: %v", r.Path, f, r.Params)
		}
	}
	st := wxpay.SignType(w.SignType)
	if st == "" {
		st = wxpay.SignTypeMD5
	}
	if want, _ := wxpay.Sign(r.Params, psAPIKey, st); r.Params["sign"] != want {
		t.Errorf("%s: sign %s, want the %s sign %s", r.Path, r.Params["sign"], st, want)
	}
}

// TestProfitSharingFlow runs every profit-sharing call against
// wxpaytest, with an MD5 client, and checks each request's wire.
func TestProfitSharingFlow(t *testing.T) {
	srv, c := psServer(t, nil)
	ctx := context.Background()
	txn := paidSharingOrder(t, srv, c, "psflow001", 10000)
	const hmac = "HMAC-SHA256"

	store := wxpay.ProfitSharingReceiver{Type: wxpay.ReceiverMerchant, Account: "1900000110", Name: "门店", RelationType: wxpay.RelationStore}
	added, err := c.ProfitSharingAddReceiver(ctx, &wxpay.ProfitSharingReceiverRequest{Receiver: store})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store, added.Receiver); diff != "" {
		t.Errorf("added receiver (-want +got):\n%s", diff)
	}
	r := lastRequest(t, srv, "/pay/profitsharingaddreceiver")
	checkWire(t, r, wire{SignType: hmac, Has: []string{"appid", "mch_id", "receiver"}})
	if got, want := r.Params["receiver"], `{"type":"MERCHANT_ID","account":"1900000110","name":"门店","relation_type":"STORE"}`; got != want {
		t.Errorf("receiver JSON %s, want %s", got, want)
	}

	share := store
	share.Amount, share.Description = 2500, "分成"
	resp, err := c.MultiProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: txn, OutOrderNo: "s1", Receivers: []wxpay.ProfitSharingReceiver{share}})
	if err != nil {
		t.Fatal(err)
	}
	r = lastRequest(t, srv, "/secapi/pay/multiprofitsharing")
	checkWire(t, r, wire{Cert: true, SignType: hmac, Has: []string{"appid", "mch_id", "transaction_id", "out_order_no"}})
	if got, want := r.Params["receivers"], `[{"type":"MERCHANT_ID","account":"1900000110","amount":2500,"description":"分成"}]`; got != want {
		t.Errorf("receivers JSON %s, want %s", got, want)
	}

	q, err := c.ProfitSharingQuery(ctx, &wxpay.ProfitSharingQueryRequest{TransactionID: txn, OutOrderNo: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/pay/profitsharingquery"), wire{SignType: hmac, Has: []string{"mch_id"}, Absent: []string{"appid"}})
	if q.OrderID != resp.OrderID || q.Status != wxpay.ProfitSharingFinished || len(q.Receivers) != 1 || q.Receivers[0].Amount != 2500 || q.Receivers[0].FinishTime.IsZero() {
		t.Errorf("query %+v, split %+v", q, resp)
	}

	ret, err := c.ProfitSharingReturn(ctx, &wxpay.ProfitSharingReturnRequest{OrderID: resp.OrderID, OutOrderNo: "s1", OutReturnNo: "r1", ReturnAccount: "1900000110", ReturnAmount: 1000, Description: "回退"})
	if err != nil {
		t.Fatal(err)
	}
	r = lastRequest(t, srv, "/secapi/pay/profitsharingreturn")
	checkWire(t, r, wire{Cert: true, SignType: hmac, Has: []string{"appid", "order_id", "return_account_type"}, Absent: []string{"out_order_no"}})
	rq, err := c.ProfitSharingReturnQuery(ctx, &wxpay.ProfitSharingReturnQueryRequest{OutOrderNo: "s1", OutReturnNo: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/pay/profitsharingreturnquery"), wire{SignType: hmac, Has: []string{"appid", "out_order_no", "out_return_no"}})
	if diff := cmp.Diff(ret, rq, cmpopts.IgnoreFields(wxpay.ProfitSharingReturnResponse{}, "Raw")); diff != "" || rq.ReturnAmount != 1000 || rq.Result != "SUCCESS" {
		t.Errorf("return query (-return +query):\n%s", diff)
	}
	// More than the receiver got is refused.
	_, err = c.ProfitSharingReturn(ctx, &wxpay.ProfitSharingReturnRequest{OutOrderNo: "s1", OutReturnNo: "r2", ReturnAccount: "1900000110", ReturnAmount: 1501, Description: "回退"})
	wantErrCode(t, err, "NOTENOUGH")

	amount, err := c.ProfitSharingOrderAmountQuery(ctx, &wxpay.ProfitSharingOrderAmountQueryRequest{TransactionID: txn})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/pay/profitsharingorderamountquery"), wire{SignType: hmac, Has: []string{"mch_id", "transaction_id"}, Absent: []string{"appid"}})
	if amount.UnsplitAmount != 7500 {
		t.Errorf("unsplit %d, want 7500", amount.UnsplitAmount)
	}

	if _, err := c.ProfitSharingFinish(ctx, &wxpay.ProfitSharingFinishRequest{TransactionID: txn, OutOrderNo: "f1", Description: "完结"}); err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/secapi/pay/profitsharingfinish"), wire{Cert: true, SignType: hmac, Has: []string{"appid", "description", "amount"}})
	if n, err := srv.UnsplitAmount("psflow001"); err != nil || n != 0 {
		t.Errorf("after finish: unsplit %d, %v", n, err)
	}
	// A finished order takes no more splits.
	_, err = c.MultiProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: txn, OutOrderNo: "s2", Receivers: []wxpay.ProfitSharingReceiver{share}})
	wantErrCode(t, err, "ORDER_NOT_READY")

	if _, err := c.ProfitSharingRemoveReceiver(ctx, &wxpay.ProfitSharingReceiverRequest{Receiver: store}); err != nil {
		t.Fatal(err)
	}
	r = lastRequest(t, srv, "/pay/profitsharingremovereceiver")
	if got, want := r.Params["receiver"], `{"type":"MERCHANT_ID","account":"1900000110"}`; got != want {
		t.Errorf("remove receiver JSON %s, want %s", got, want)
	}
}

func wantErrCode(t *testing.T, err error, code string) {
	t.Helper()
	var we *wxpay.Error
	if !errors.As(err, &we) || we.ErrCode != code {
		t.Errorf("error %v, want an *Error with err_code %s", err, code)
	}
}

// TestProfitSharingRules checks WeChat's refusals as wxpaytest models
// them: an unbound receiver, more than the order holds, an order paid
// without profit sharing, a single split releasing the rest.
func TestProfitSharingRules(t *testing.T) {
	srv, c := psServer(t, nil, wxpay.WithSignType(wxpay.SignTypeHMACSHA256))
	ctx := context.Background()
	txn := paidSharingOrder(t, srv, c, "psrules01", 1000)
	rc := wxpay.ProfitSharingReceiver{Type: wxpay.ReceiverPersonalOpenID, Account: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", Amount: 100, Description: "返利"}
	split := func(no string, rs ...wxpay.ProfitSharingReceiver) error {
		_, err := c.MultiProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: txn, OutOrderNo: no, Receivers: rs})
		return err
	}
	wantErrCode(t, split("a1", rc), "NOAUTH")
	if _, err := c.ProfitSharingAddReceiver(ctx, &wxpay.ProfitSharingReceiverRequest{Receiver: wxpay.ProfitSharingReceiver{Type: rc.Type, Account: rc.Account, RelationType: wxpay.RelationUser}}); err != nil {
		t.Fatal(err)
	}
	big := rc
	big.Amount = 1001
	wantErrCode(t, split("a2", big), "PARAM_ERROR")
	if err := split("a3", rc); err != nil {
		t.Fatal(err)
	}
	if err := split("a3", rc); err != nil { // the same split again: idempotent
		t.Errorf("repeated split: %v", err)
	}
	other := rc
	other.Amount = 200
	wantErrCode(t, split("a3", other), "INVALID_REQUEST")
	if n, _ := srv.UnsplitAmount("psrules01"); n != 900 {
		t.Errorf("unsplit %d, want 900", n)
	}
	if _, err := c.ProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: txn, OutOrderNo: "a4", Receivers: []wxpay.ProfitSharingReceiver{rc}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := srv.UnsplitAmount("psrules01"); n != 0 {
		t.Errorf("after a single split: unsplit %d, want 0", n)
	}

	// An order paid without profit_sharing=Y cannot be split.
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "g", OutTradeNo: "psrules02", TotalFee: 100, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/notify", TradeType: wxpay.TradeTypeNative, ProductID: "p"}); err != nil {
		t.Fatal(err)
	}
	srv.PayWith("psrules02", wxpaytest.Payment{SkipNotify: true})
	q, _ := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "psrules02"})
	_, err := c.ProfitSharingOrderAmountQuery(ctx, &wxpay.ProfitSharingOrderAmountQueryRequest{TransactionID: q.TransactionID})
	wantErrCode(t, err, "NOT_SHARE_ORDER")
}

// TestProfitSharingValidation checks that invalid requests are refused
// before anything is sent.
func TestProfitSharingValidation(t *testing.T) {
	srv, c := psServer(t, nil)
	ctx := context.Background()
	ok := wxpay.ProfitSharingReceiver{Type: wxpay.ReceiverMerchant, Account: "1900000110", Amount: 1, Description: "d"}
	many := make([]wxpay.ProfitSharingReceiver, 51)
	for i := range many {
		many[i] = ok
	}
	with := func(f func(*wxpay.ProfitSharingReceiver)) []wxpay.ProfitSharingReceiver {
		r := ok
		f(&r)
		return []wxpay.ProfitSharingReceiver{r}
	}
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"51 receivers", func() error {
			_, err := c.MultiProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: "t", OutOrderNo: "o", Receivers: many})
			return err
		}, "receivers"},
		{"no receivers", func() error {
			_, err := c.ProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: "t", OutOrderNo: "o"})
			return err
		}, "receivers"},
		{"zero amount", func() error {
			_, err := c.ProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: "t", OutOrderNo: "o", Receivers: with(func(r *wxpay.ProfitSharingReceiver) { r.Amount = 0 })})
			return err
		}, "receivers[0]"},
		{"no description", func() error {
			_, err := c.ProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: "t", OutOrderNo: "o", Receivers: with(func(r *wxpay.ProfitSharingReceiver) { r.Description = "" })})
			return err
		}, "receivers[0]"},
		{"bad type", func() error {
			_, err := c.ProfitSharing(ctx, &wxpay.ProfitSharingRequest{TransactionID: "t", OutOrderNo: "o", Receivers: with(func(r *wxpay.ProfitSharingReceiver) { r.Type = "BANK" })})
			return err
		}, "receivers[0]"},
		{"no transaction", func() error {
			_, err := c.ProfitSharing(ctx, &wxpay.ProfitSharingRequest{OutOrderNo: "o", Receivers: with(func(*wxpay.ProfitSharingReceiver) {})})
			return err
		}, "transaction_id"},
		{"add without relation", func() error {
			_, err := c.ProfitSharingAddReceiver(ctx, &wxpay.ProfitSharingReceiverRequest{Receiver: wxpay.ProfitSharingReceiver{Type: wxpay.ReceiverPersonalOpenID, Account: "o"}})
			return err
		}, "receiver"},
		{"add merchant without name", func() error {
			_, err := c.ProfitSharingAddReceiver(ctx, &wxpay.ProfitSharingReceiverRequest{Receiver: wxpay.ProfitSharingReceiver{Type: wxpay.ReceiverMerchant, Account: "1", RelationType: wxpay.RelationBrand}})
			return err
		}, "receiver"},
		{"nil add", func() error { _, err := c.ProfitSharingAddReceiver(ctx, nil); return err }, "request"},
		{"finish without description", func() error {
			_, err := c.ProfitSharingFinish(ctx, &wxpay.ProfitSharingFinishRequest{TransactionID: "t", OutOrderNo: "o"})
			return err
		}, "description"},
		{"return of a personal receiver", func() error {
			_, err := c.ProfitSharingReturn(ctx, &wxpay.ProfitSharingReturnRequest{OutOrderNo: "o", OutReturnNo: "r", ReturnAccountType: wxpay.ReceiverPersonalOpenID, ReturnAccount: "x", ReturnAmount: 1, Description: "d"})
			return err
		}, "return_account_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve *wxpay.ValidationError
			if err := tt.call(); !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("error %v, want a *ValidationError for %s", err, tt.field)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestProfitSharingServiceProvider checks the sub-merchant fields: no
// sub_appid on finish and the query, sub_mch_id on the ratio query.
func TestProfitSharingServiceProvider(t *testing.T) {
	srv, c := psServer(t, []wxpaytest.Option{wxpaytest.WithSubMerchants(wxpaytest.SubMerchant{MchID: "1900000111", AppIDs: []string{"wx8888888888888888"}})},
		wxpay.WithSubMerchant("wx8888888888888888", "1900000111"))
	ctx := context.Background()
	txn := paidSharingOrder(t, srv, c, "pssub0001", 1000)
	if _, err := c.ProfitSharingFinish(ctx, &wxpay.ProfitSharingFinishRequest{TransactionID: txn, OutOrderNo: "f1", Description: "完结"}); err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/secapi/pay/profitsharingfinish"), wire{Cert: true, SignType: "HMAC-SHA256", Has: []string{"sub_mch_id", "appid"}, Absent: []string{"sub_appid"}})
	if _, err := c.ProfitSharingQuery(ctx, &wxpay.ProfitSharingQueryRequest{TransactionID: txn, OutOrderNo: "f1"}); err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/pay/profitsharingquery"), wire{SignType: "HMAC-SHA256", Has: []string{"sub_mch_id"}, Absent: []string{"sub_appid", "appid"}})
	ratio, err := c.ProfitSharingMerchantRatioQuery(ctx, &wxpay.ProfitSharingMerchantRatioQueryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/pay/profitsharingmerchantratioquery"), wire{SignType: "HMAC-SHA256", Has: []string{"sub_mch_id"}, Absent: []string{"sub_appid", "appid"}})
	if ratio.MaxRatio != wxpaytest.MaxRatio {
		t.Errorf("max ratio %d", ratio.MaxRatio)
	}
	if _, err := c.ProfitSharingOrderAmountQuery(ctx, &wxpay.ProfitSharingOrderAmountQueryRequest{TransactionID: txn}); err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/pay/profitsharingorderamountquery"), wire{SignType: "HMAC-SHA256", Absent: []string{"sub_appid", "appid", "sub_mch_id"}})
	// profit sharing needs the certificate on its /secapi/ paths only.
	for _, r := range srv.Requests() {
		if want := strings.HasPrefix(r.Path, "/secapi/"); r.ClientCert != want {
			t.Errorf("%s: certificate %v", r.Path, r.ClientCert)
		}
	}
}

// TestUnifiedOrderProfitSharing checks profit_sharing on the wire and its
// validation.
func TestUnifiedOrderProfitSharing(t *testing.T) {
	srv, c := psServer(t, nil)
	paidSharingOrder(t, srv, c, "psuo00001", 100)
	if got := lastRequest(t, srv, "/pay/unifiedorder").Params["profit_sharing"]; got != "Y" {
		t.Errorf("profit_sharing %q", got)
	}
	_, err := c.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{Body: "g", OutTradeNo: "psuo00002", TotalFee: 1, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/notify", TradeType: wxpay.TradeTypeNative, ProductID: "p", ProfitSharing: "yes"})
	var ve *wxpay.ValidationError
	if !errors.As(err, &ve) || ve.Field != "profit_sharing" {
		t.Errorf("ProfitSharing \"yes\": %v", err)
	}
}
