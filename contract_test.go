package wxpay_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// contractSign is an independent v2 signature over raw values, to check
// the links against.
func contractSign(p map[string]string, key string, st wxpay.SignType) string {
	names := make([]string, 0, len(p))
	for k, v := range p {
		if k != "sign" && v != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k + "=" + p[k] + "&")
	}
	b.WriteString("key=" + key)
	if st == wxpay.SignTypeMD5 {
		sum := md5.Sum([]byte(b.String()))
		return strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

// linkParams splits a link into its URL without the query and its
// decoded parameters, failing on a repeated one.
func linkParams(t *testing.T, link string) (string, map[string]string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	p := map[string]string{}
	for k, vs := range q {
		if len(vs) != 1 {
			t.Fatalf("%s given %d times", k, len(vs))
		}
		p[k] = vs[0]
	}
	u.RawQuery = ""
	return u.String(), p
}

var contractNow = time.Date(2024, 5, 1, 10, 0, 0, 0, wxpay.Beijing())

func contractClient(t *testing.T, opts ...wxpay.Option) *wxpay.Client {
	t.Helper()
	opts = append([]wxpay.Option{
		wxpay.WithBaseURL("https://wechat.example"),
		wxpay.WithClock(func() time.Time { return contractNow }),
	}, opts...)
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func entrust() *wxpay.EntrustRequest {
	return &wxpay.EntrustRequest{
		PlanID: "12535", ContractCode: "c100001", RequestSerial: 1000,
		ContractDisplayAccount: "张三 & 李四+1", NotifyURL: "https://m.example/wxpay/contract",
	}
}

func TestContractLinks(t *testing.T) {
	ts := "1714528800" // contractNow
	base := map[string]string{
		"appid": docAppID, "mch_id": docMchID, "plan_id": "12535", "contract_code": "c100001",
		"request_serial": "1000", "contract_display_account": "张三 & 李四+1",
		"notify_url": "https://m.example/wxpay/contract", "version": "1.0", "timestamp": ts,
	}
	with := func(extra map[string]string) map[string]string {
		p := map[string]string{}
		for k, v := range base {
			p[k] = v
		}
		for k, v := range extra {
			if v == "" {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return p
	}
	h5 := entrust()
	h5.ClientIP, h5.ReturnAppID, h5.OuterID = "203.0.113.7", "wxcbda96de0b165542", "u1"
	web := entrust()
	web.ReturnWeb = true
	for _, tc := range []struct {
		name     string
		opts     []wxpay.Option
		link     func(c *wxpay.Client) (string, error)
		wantURL  string
		wantType wxpay.SignType
		want     map[string]string
	}{
		{
			name:     "entrustweb MD5 even for an HMAC client",
			opts:     []wxpay.Option{wxpay.WithSignType(wxpay.SignTypeHMACSHA256)},
			link:     func(c *wxpay.Client) (string, error) { return c.ContractEntrustWebURL(web) },
			wantURL:  "https://wechat.example/papay/entrustweb",
			wantType: wxpay.SignTypeMD5,
			want:     with(map[string]string{"return_web": "1"}),
		},
		{
			name:     "entrustweb of a service provider",
			opts:     []wxpay.Option{wxpay.WithSubMerchant("wxsub0000000001", "1900000109")},
			link:     func(c *wxpay.Client) (string, error) { return c.ContractEntrustWebURL(entrust()) },
			wantURL:  "https://wechat.example/papay/partner/entrustweb",
			wantType: wxpay.SignTypeMD5,
			want:     with(map[string]string{"sub_mch_id": "1900000109", "sub_appid": "wxsub0000000001"}),
		},
		{
			name:     "h5entrustweb HMAC-SHA256 for an MD5 client",
			link:     func(c *wxpay.Client) (string, error) { return c.ContractH5EntrustWebURL(h5) },
			wantURL:  "https://wechat.example/papay/h5entrustweb",
			wantType: wxpay.SignTypeHMACSHA256,
			want:     with(map[string]string{"clientip": "203.0.113.7", "return_appid": "wxcbda96de0b165542", "outerid": "u1"}),
		},
		{
			name:     "h5entrustweb of a service provider",
			opts:     []wxpay.Option{wxpay.WithSubMerchant("", "1900000109")},
			link:     func(c *wxpay.Client) (string, error) { return c.ContractH5EntrustWebURL(h5) },
			wantURL:  "https://wechat.example/papay/partner/h5entrustweb",
			wantType: wxpay.SignTypeHMACSHA256,
			want: with(map[string]string{"clientip": "203.0.113.7", "return_appid": "wxcbda96de0b165542", "outerid": "u1",
				"sub_mch_id": "1900000109"}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link, err := tc.link(contractClient(t, tc.opts...))
			if err != nil {
				t.Fatal(err)
			}
			gotURL, got := linkParams(t, link)
			if gotURL != tc.wantURL {
				t.Errorf("URL %s, want %s", gotURL, tc.wantURL)
			}
			sign := got["sign"]
			delete(got, "sign")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parameters (-want +got):\n%s", diff)
			}
			if want := contractSign(tc.want, docAPIKey, tc.wantType); sign != want {
				t.Errorf("sign %s, want the %s sign over the raw values %s", sign, tc.wantType, want)
			}
			// Raw values in the sign, encoded values in the link.
			for _, enc := range []string{"notify_url=https%3A%2F%2Fm.example%2Fwxpay%2Fcontract", "%26", "%2B1"} {
				if !strings.Contains(link, enc) {
					t.Errorf("link %s lacks %s", link, enc)
				}
			}
		})
	}
}

func TestContractMiniProgramExtraData(t *testing.T) {
	c := contractClient(t, wxpay.WithSignType(wxpay.SignTypeHMACSHA256))
	got, err := c.ContractMiniProgramExtraData(entrust())
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]string{
		"appid": docAppID, "mch_id": docMchID, "plan_id": "12535", "contract_code": "c100001",
		"request_serial": "1000", "contract_display_account": "张三 & 李四+1",
		"notify_url": "https://m.example/wxpay/contract", "timestamp": "1714528800",
	}
	want := wxpay.Params{}
	for k, v := range raw {
		want[k] = v
	}
	want["notify_url"] = "https%3A%2F%2Fm.example%2Fwxpay%2Fcontract"
	want["sign"] = contractSign(raw, docAPIKey, wxpay.SignTypeMD5)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("extraData (-want +got):\n%s", diff)
	}
}

func TestEntrustValidation(t *testing.T) {
	c := contractClient(t)
	mod := func(f func(r *wxpay.EntrustRequest)) *wxpay.EntrustRequest { r := entrust(); f(r); return r }
	for _, tc := range []struct {
		name  string
		r     *wxpay.EntrustRequest
		h5    bool
		field string
	}{
		{"nil", nil, false, "request"},
		{"no plan", mod(func(r *wxpay.EntrustRequest) { r.PlanID = "" }), false, "plan_id"},
		{"plan not a number", mod(func(r *wxpay.EntrustRequest) { r.PlanID = "12a" }), false, "plan_id"},
		{"no code", mod(func(r *wxpay.EntrustRequest) { r.ContractCode = "" }), false, "contract_code"},
		{"code too long", mod(func(r *wxpay.EntrustRequest) { r.ContractCode = strings.Repeat("c", 33) }), false, "contract_code"},
		{"serial zero", mod(func(r *wxpay.EntrustRequest) { r.RequestSerial = 0 }), false, "request_serial"},
		{"no display account", mod(func(r *wxpay.EntrustRequest) { r.ContractDisplayAccount = "" }), false, "contract_display_account"},
		{"notify with query", mod(func(r *wxpay.EntrustRequest) { r.NotifyURL = "https://m.example/n?a=1" }), false, "notify_url"},
		{"H5 field on the web link", mod(func(r *wxpay.EntrustRequest) { r.ClientIP = "203.0.113.7" }), false, "clientip"},
		{"H5 without clientip", entrust(), true, "clientip"},
		{"H5 bad clientip", mod(func(r *wxpay.EntrustRequest) { r.ClientIP = "localhost" }), true, "clientip"},
		{"return_web on H5", mod(func(r *wxpay.EntrustRequest) { r.ClientIP, r.ReturnWeb = "203.0.113.7", true }), true, "return_web"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.h5 {
				_, err = c.ContractH5EntrustWebURL(tc.r)
			} else {
				_, err = c.ContractEntrustWebURL(tc.r)
			}
			var ve *wxpay.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("err %v, want a ValidationError for %s", err, tc.field)
			}
		})
	}
	var zero wxpay.Client
	if _, err := zero.ContractEntrustWebURL(entrust()); !errors.Is(err, wxpay.ErrNoClient) {
		t.Errorf("zero client: %v", err)
	}
}

// papayFixture is a wxpaytest server, a client of it and a backend whose
// contract and payment notifies arrive on channels.
type papayFixture struct {
	srv       *wxpaytest.Server
	c         *wxpay.Client
	backend   *httptest.Server
	contracts chan *wxpay.ContractNotify
	payments  chan *wxpay.PayNotify
}

func newPapay(t *testing.T, srvOpts []wxpaytest.Option, opts ...wxpay.Option) *papayFixture {
	t.Helper()
	f := &papayFixture{contracts: make(chan *wxpay.ContractNotify, 8), payments: make(chan *wxpay.PayNotify, 8)}
	f.srv = wxpaytest.NewServer(docAppID, docMchID, docAPIKey, srvOpts...)
	t.Cleanup(f.srv.Close)
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey,
		append([]wxpay.Option{wxpay.WithBaseURL(f.srv.URL), wxpay.WithHTTPClient(f.srv.Client())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	mux := http.NewServeMux()
	mux.Handle("/contract", c.ContractNotifyHandler(func(_ context.Context, n *wxpay.ContractNotify) error { f.contracts <- n; return nil }))
	mux.Handle("/paid", c.PayNotifyHandler(func(_ context.Context, n *wxpay.PayNotify) error { f.payments <- n; return nil }))
	f.backend = httptest.NewServer(mux)
	t.Cleanup(f.backend.Close)
	return f
}

func (f *papayFixture) entrust() *wxpay.EntrustRequest {
	r := entrust()
	r.NotifyURL = f.backend.URL + "/contract"
	return r
}

func receive[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("no notify")
		panic("unreachable")
	}
}

// The whole flow as a service provider: partner paths, sub-merchant
// fields on every request, and in the notifies.
func TestPapayServiceProvider(t *testing.T) {
	f := newPapay(t, []wxpaytest.Option{wxpaytest.WithSubMerchants(wxpaytest.SubMerchant{MchID: "1900000109", AppIDs: []string{"wxsub0000000001"}})},
		wxpay.WithSubMerchant("wxsub0000000001", "1900000109"), wxpay.WithSignType(wxpay.SignTypeHMACSHA256))
	ctx := context.Background()
	link, err := f.c.ContractEntrustWebURL(f.entrust())
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.srv.SignContract(link)
	if err != nil {
		t.Fatal(err)
	}
	n := receive(t, f.contracts)
	if n.ContractID != id || n.SubMchID != "1900000109" || n.ChangeType != wxpay.ContractAdded || n.PlanID != "12535" || n.RequestSerial != 1000 {
		t.Errorf("contract notify %+v", n)
	}
	if n.OperateTime.IsZero() || n.ContractExpiredTime.Before(n.OperateTime) {
		t.Errorf("times %v, %v", n.OperateTime, n.ContractExpiredTime)
	}
	if _, err := f.c.PapPayApply(ctx, &wxpay.PapPayApplyRequest{
		ContractID: id, Body: "月费", OutTradeNo: "pap0001", TotalFee: 990, SpbillCreateIP: "203.0.113.7", NotifyURL: f.backend.URL + "/paid",
	}); err != nil {
		t.Fatal(err)
	}
	paid := receive(t, f.payments)
	if paid.TradeType != wxpay.TradeTypePAP || paid.ContractID != id || paid.TotalFee != 990 || paid.SubMchID != "1900000109" {
		t.Errorf("payment notify %+v", paid)
	}
	q, err := f.c.PapOrderQuery(ctx, &wxpay.PapOrderQueryRequest{OutTradeNo: "pap0001"})
	if err != nil {
		t.Fatal(err)
	}
	if q.TradeState != wxpay.TradeStateSuccess || q.ContractID != id || q.TransactionID != paid.TransactionID {
		t.Errorf("paporderquery %+v", q)
	}
	if _, err := f.c.DeleteContract(ctx, &wxpay.DeleteContractRequest{ContractRef: wxpay.ContractRef{PlanID: "12535", ContractCode: "c100001"}, ContractTerminationRemark: "退订"}); err != nil {
		t.Fatal(err)
	}
	if n := receive(t, f.contracts); n.ChangeType != wxpay.ContractDeleted || n.TerminationMode != wxpay.TerminationByAPI {
		t.Errorf("termination notify %+v", n)
	}
	got, err := f.c.QueryContract(ctx, &wxpay.QueryContractRequest{ContractRef: wxpay.ContractRef{ContractID: id}})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != wxpay.ContractTerminated || got.TerminationRemark != "退订" || got.TerminatedTime.IsZero() {
		t.Errorf("query %+v", got)
	}

	var paths []string
	for _, r := range f.srv.Requests() {
		paths = append(paths, r.Path)
		if r.Params["sub_mch_id"] != "1900000109" || r.Params["sign_type"] != "HMAC-SHA256" {
			t.Errorf("%s: sub_mch_id %q sign_type %q", r.Path, r.Params["sub_mch_id"], r.Params["sign_type"])
		}
		if strings.Contains(r.Path, "contract") && r.Params["version"] != "1.0" {
			t.Errorf("%s: version %q", r.Path, r.Params["version"])
		}
	}
	want := []string{"/pay/partner/pappayapply", "/pay/paporderquery", "/papay/partner/deletecontract", "/papay/partner/querycontract"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func TestPapPayApplyWire(t *testing.T) {
	f := newPapay(t, nil)
	link, _ := f.c.ContractEntrustWebURL(f.entrust())
	id, err := f.srv.SignContract(link)
	if err != nil {
		t.Fatal(err)
	}
	receive(t, f.contracts)
	_, err = f.c.PapPayApply(context.Background(), &wxpay.PapPayApplyRequest{
		ContractID: id, Body: "月费", OutTradeNo: "pap0002", TotalFee: 1, SpbillCreateIP: "203.0.113.7",
		NotifyURL: f.backend.URL + "/paid", Attach: "m=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	receive(t, f.payments)
	rs := f.srv.Requests()
	got := rs[len(rs)-1].Params
	for _, k := range []string{"nonce_str", "sign"} {
		if got[k] == "" {
			t.Errorf("no %s", k)
		}
		delete(got, k)
	}
	want := wxpay.Params{
		"appid": docAppID, "mch_id": docMchID, "sign_type": "MD5", "contract_id": id, "body": "月费", "out_trade_no": "pap0002",
		"total_fee": "1", "spbill_create_ip": "203.0.113.7", "notify_url": f.backend.URL + "/paid", "trade_type": "PAP", "attach": "m=1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}

	// A terminated contract cannot be deducted from.
	if err := f.srv.TerminateContract(id); err != nil {
		t.Fatal(err)
	}
	if n := receive(t, f.contracts); n.TerminationMode != wxpay.TerminationByPayer {
		t.Errorf("termination mode %d", n.TerminationMode)
	}
	_, err = f.c.PapPayApply(context.Background(), &wxpay.PapPayApplyRequest{
		ContractID: id, Body: "月费", OutTradeNo: "pap0003", TotalFee: 1, SpbillCreateIP: "203.0.113.7", NotifyURL: f.backend.URL + "/paid",
	})
	var apiErr *wxpay.Error
	if !errors.As(err, &apiErr) || apiErr.ErrCode != "CONTRACT_NOT_EXIST" {
		t.Errorf("deduction from a terminated contract: %v", err)
	}
}

func TestH5EntrustWebAndPreEntrust(t *testing.T) {
	f := newPapay(t, nil)
	ctx := context.Background()
	r := f.entrust()
	r.ClientIP = "203.0.113.7"
	h5, err := f.c.H5EntrustWeb(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h5.RedirectURL, f.srv.URL) {
		t.Fatalf("redirect_url %q", h5.RedirectURL)
	}
	id, err := f.srv.SignContract(h5.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	if n := receive(t, f.contracts); n.ContractID != id || len(n.Raw["sign"]) != 64 {
		t.Errorf("H5 contract notify %v", n.Raw)
	}
	if _, err := f.srv.SignContract(h5.RedirectURL); !errors.Is(err, wxpaytest.ErrInvalidLink) {
		t.Errorf("redirect_url used twice: %v", err)
	}

	r2 := f.entrust()
	r2.ContractCode, r2.RequestSerial = "app2", 1001
	pre, err := f.c.PreEntrustWeb(ctx, r2)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := f.srv.SignPreEntrust(pre.PreEntrustWebID)
	if err != nil {
		t.Fatal(err)
	}
	if n := receive(t, f.contracts); n.ContractID != id2 || n.ContractCode != "app2" {
		t.Errorf("APP contract notify %+v", n)
	}

	r3 := f.entrust()
	r3.ContractCode = "mini3"
	extra, err := f.c.ContractMiniProgramExtraData(r3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.SignMiniProgramContract(extra); err != nil {
		t.Fatal(err)
	}
	if n := receive(t, f.contracts); n.ContractCode != "mini3" {
		t.Errorf("mini-program contract notify %+v", n)
	}
}

func TestContractOrder(t *testing.T) {
	f := newPapay(t, nil)
	resp, err := f.c.ContractOrder(context.Background(), &wxpay.ContractOrderRequest{
		UnifiedOrderRequest: wxpay.UnifiedOrderRequest{
			Body: "首月", OutTradeNo: "co0001", TotalFee: 100, SpbillCreateIP: "203.0.113.7",
			NotifyURL: f.backend.URL + "/paid", TradeType: wxpay.TradeTypeJSAPI, OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		},
		PlanID: "12535", ContractCode: "co1", RequestSerial: 7, ContractDisplayAccount: "会员", ContractNotifyURL: f.backend.URL + "/contract",
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.PrepayID == "" || resp.ContractResultCode != wxpay.ResultSuccess || resp.ContractCode != "co1" || resp.RequestSerial != 7 {
		t.Errorf("answer %+v", resp)
	}
	req := f.srv.Requests()[0].Params
	if req["contract_mchid"] != docMchID || req["contract_appid"] != docAppID {
		t.Errorf("contract_mchid %q contract_appid %q", req["contract_mchid"], req["contract_appid"])
	}
	if err := f.srv.Pay("co0001"); err != nil {
		t.Fatal(err)
	}
	receive(t, f.payments)
	if n := receive(t, f.contracts); n.ContractCode != "co1" || n.OpenID != "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" {
		t.Errorf("contract notify %+v", n)
	}
}

// contractNotifyBody is a contract notify as WeChat sends it: no appid,
// no nonce_str, signed with st.
func contractNotifyBody(t *testing.T, st wxpay.SignType, change func(wxpay.Params)) []byte {
	t.Helper()
	p := wxpay.Params{
		"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS", "mch_id": docMchID,
		"contract_code": "c100001", "plan_id": "12535", "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"change_type": "ADD", "operate_time": "2024-05-01 10:00:00", "contract_id": "Wx15463511252015071056489715",
		"contract_expired_time": "2034-05-01 10:00:00", "request_serial": "1000",
	}
	p["sign"] = contractSign(p, docAPIKey, st)
	if change != nil {
		change(p)
	}
	return p.AppendXML(nil)
}

func TestParseContractNotify(t *testing.T) {
	c := contractClient(t)
	ok, err := c.ParseContractNotify(contractNotifyBody(t, wxpay.SignTypeHMACSHA256, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &wxpay.ContractNotify{
		MchID: docMchID, ChangeType: wxpay.ContractAdded, ContractID: "Wx15463511252015071056489715", ContractCode: "c100001",
		PlanID: "12535", OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", RequestSerial: 1000,
		OperateTime: contractNow, ContractExpiredTime: contractNow.AddDate(10, 0, 0), ResultCode: wxpay.ResultSuccess,
	}
	ok.Raw = nil
	if diff := cmp.Diff(want, ok); diff != "" {
		t.Errorf("notify (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		target error
	}{
		{"forged sign", contractNotifyBody(t, wxpay.SignTypeMD5, func(p wxpay.Params) { p["contract_id"] = "Wx0" }), wxpay.ErrInvalidSign},
		{"unsigned", contractNotifyBody(t, wxpay.SignTypeMD5, func(p wxpay.Params) { delete(p, "sign") }), wxpay.ErrInvalidSign},
		{"other merchant", func() []byte {
			p, _ := wxpay.ParseXML(contractNotifyBody(t, wxpay.SignTypeMD5, nil))
			p["mch_id"] = "1000000001"
			p["sign"] = contractSign(p, docAPIKey, wxpay.SignTypeMD5)
			return p.AppendXML(nil)
		}(), wxpay.ErrMerchantMismatch},
		{"other app", func() []byte {
			p, _ := wxpay.ParseXML(contractNotifyBody(t, wxpay.SignTypeMD5, nil))
			p["appid"] = "wx0000000000other"
			p["sign"] = contractSign(p, docAPIKey, wxpay.SignTypeMD5)
			return p.AppendXML(nil)
		}(), wxpay.ErrMerchantMismatch},
		{"not XML", []byte("hello"), wxpay.ErrMalformedXML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.ParseContractNotify(tc.body); !errors.Is(err, tc.target) {
				t.Errorf("err %v, want %v", err, tc.target)
			}
		})
	}
	var fe *wxpay.FieldError
	if _, err := c.ParseContractNotify(contractNotifyBody(t, wxpay.SignTypeMD5, func(p wxpay.Params) {
		delete(p, "mch_id")
	})); !errors.As(err, &fe) || fe.Field != "mch_id" {
		t.Errorf("no mch_id: %v", err)
	}
}

func TestContractNotifyHandler(t *testing.T) {
	var logs bytes.Buffer
	c := contractClient(t, wxpay.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	var got []string
	h := c.ContractNotifyHandler(func(_ context.Context, n *wxpay.ContractNotify) error {
		got = append(got, n.ContractID)
		return nil
	})
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		calls  int
	}{
		{"genuine", contractNotifyBody(t, wxpay.SignTypeMD5, nil), http.StatusOK, 1},
		{"forged", contractNotifyBody(t, wxpay.SignTypeMD5, func(p wxpay.Params) { p["change_type"] = "DELETE" }), http.StatusBadRequest, 1},
		{"result FAIL acknowledged", contractNotifyBody(t, wxpay.SignTypeMD5, func(p wxpay.Params) {
			p["result_code"], p["err_code"] = "FAIL", "SYSTEMERROR"
			delete(p, "sign")
			p["sign"] = contractSign(p, docAPIKey, wxpay.SignTypeMD5)
		}), http.StatusOK, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/contract", bytes.NewReader(tc.body)))
			if rec.Code != tc.status || len(got) != tc.calls {
				t.Errorf("status %d, %d calls; want %d, %d", rec.Code, len(got), tc.status, tc.calls)
			}
			p, err := wxpay.ParseXML(rec.Body.Bytes())
			if wantCode := map[bool]string{true: "SUCCESS", false: "FAIL"}[tc.status == http.StatusOK]; err != nil || p["return_code"] != wantCode {
				t.Errorf("reply %q", rec.Body.String())
			}
		})
	}
	if !strings.Contains(logs.String(), "contract notify rejected") || !strings.Contains(logs.String(), "invalid sign") {
		t.Errorf("rejection not logged: %s", logs.String())
	}
}
