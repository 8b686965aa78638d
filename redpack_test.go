package wxpay_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func redPack(no string) *wxpay.RedPackRequest {
	return &wxpay.RedPackRequest{
		MchBillNo: no, SendName: "商城", ReOpenID: "oxTWIuGaIt6gTKsQRLau2M0yL16E", TotalAmount: 100,
		Wishing: "恭喜", ClientIP: "203.0.113.7", ActName: "活动", Remark: "备注",
	}
}

// TestRedPackWire checks the three sends and the query on the wire:
// MD5, no sign_type, wxappid (appid for gethbinfo), the certificate.
func TestRedPackWire(t *testing.T) {
	srv, c := psServer(t, nil, wxpay.WithSignType(wxpay.SignTypeHMACSHA256))
	ctx := context.Background()
	if _, err := c.SendRedPack(ctx, redPack("rp1")); err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/mmpaymkttransfers/sendredpack"), wire{Cert: true, Has: []string{"wxappid", "mch_id", "mch_billno", "total_num", "client_ip"}, Absent: []string{"appid", "sign_type", "amt_type"}})
	group := redPack("rp2")
	group.TotalNum, group.TotalAmount, group.ClientIP = 3, 300, ""
	if _, err := c.SendGroupRedPack(ctx, group); err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "/mmpaymkttransfers/sendgroupredpack")
	checkWire(t, r, wire{Cert: true, Has: []string{"wxappid", "amt_type"}, Absent: []string{"appid", "sign_type", "client_ip"}})
	if r.Params["amt_type"] != "ALL_RAND" || r.Params["total_num"] != "3" {
		t.Errorf("group packet %v", r.Params)
	}
	if _, err := c.SendMiniProgramRedPack(ctx, redPack("rp3")); err != nil {
		t.Fatal(err)
	}
	r = lastRequest(t, srv, "/mmpaymkttransfers/sendminiprogramhb")
	checkWire(t, r, wire{Cert: true, Has: []string{"wxappid", "notify_way"}, Absent: []string{"appid", "sign_type"}})
	if _, err := c.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: "rp1"}); err != nil {
		t.Fatal(err)
	}
	r = lastRequest(t, srv, "/mmpaymkttransfers/gethbinfo")
	checkWire(t, r, wire{Cert: true, Has: []string{"appid", "mch_id", "mch_billno"}, Absent: []string{"wxappid", "sign_type"}})
	if r.Params["bill_type"] != "MCHT" {
		t.Errorf("bill_type %q", r.Params["bill_type"])
	}
	if r.ResponseParams["sign"] != "" {
		t.Errorf("wxpaytest signed a red-packet answer")
	}
}

// TestRedPackOutcomes checks which failures are pending (query, never a
// new number) and which are final.
func TestRedPackOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		fault   wxpaytest.Fault
		pending bool
		code    string // the *Error's err_code, "" for none
	}{
		{"SYSTEMERROR", wxpaytest.Fault{ErrCode: "SYSTEMERROR"}, true, "SYSTEMERROR"},
		{"PROCESSING", wxpaytest.Fault{ErrCode: "PROCESSING"}, true, "PROCESSING"},
		{"hang-up", wxpaytest.Fault{Hangup: true}, true, ""},
		{"HTTP 502", wxpaytest.Fault{StatusCode: 502}, true, ""},
		{"broken XML", wxpaytest.Fault{Malformed: true}, true, ""},
		{"NOTENOUGH", wxpaytest.Fault{ErrCode: "NOTENOUGH"}, false, "NOTENOUGH"},
		{"return_code FAIL", wxpaytest.Fault{ReturnMsg: "参数错误"}, false, ""},
		{"return_code FAIL, busy", wxpaytest.Fault{ReturnMsg: "系统繁忙,请稍后再试"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := psServer(t, nil)
			srv.Fail("/mmpaymkttransfers/sendredpack", tt.fault)
			_, err := c.SendRedPack(context.Background(), redPack("rp"+strings.ReplaceAll(tt.name, " ", "")[:3]))
			var pe *wxpay.RedPackPendingError
			if got := errors.As(err, &pe); got != tt.pending {
				t.Fatalf("error %v: pending %v, want %v", err, got, tt.pending)
			}
			if tt.pending && !strings.Contains(err.Error(), "query with RedPackInfo, never resend with a new number") {
				t.Errorf("error %q does not say what to do", err)
			}
			var we *wxpay.Error
			if tt.code != "" && (!errors.As(err, &we) || we.ErrCode != tt.code) {
				t.Errorf("error %v does not unwrap to an *Error with %s", err, tt.code)
			}
		})
	}
}

// TestRedPackIdempotent checks that WithRetry resends a SYSTEMERROR with
// the same mch_billno, that a repeat is the same packet, and that a
// repeat with other fields is refused.
func TestRedPackIdempotent(t *testing.T) {
	srv, c := psServer(t, nil, wxpay.WithRetry(wxpay.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	ctx := context.Background()
	srv.Fail("/mmpaymkttransfers/sendredpack", wxpaytest.Fault{ErrCode: "SYSTEMERROR"})
	first, err := c.SendRedPack(ctx, redPack("rpidem1"))
	if err != nil {
		t.Fatal(err)
	}
	var nos []string
	for _, r := range srv.Requests() {
		nos = append(nos, r.Params["mch_billno"])
	}
	if diff := cmp.Diff([]string{"rpidem1", "rpidem1"}, nos); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	again, err := c.SendRedPack(ctx, redPack("rpidem1"))
	if err != nil || again.SendListID != first.SendListID {
		t.Errorf("repeat: %+v, %v; first %+v", again, err, first)
	}
	changed := redPack("rpidem1")
	changed.TotalAmount = 200
	_, err = c.SendRedPack(ctx, changed)
	wantErrCode(t, err, "FATAL_ERROR")
	var pe *wxpay.RedPackPendingError
	if errors.As(err, &pe) {
		t.Errorf("FATAL_ERROR reported as pending")
	}
}

// TestRedPackStates follows a packet held in SENDING through gethbinfo.
func TestRedPackStates(t *testing.T) {
	srv, c := psServer(t, nil)
	ctx := context.Background()
	srv.HoldRedPacks(true)
	_, err := c.SendRedPack(ctx, redPack("rpstate1"))
	var pe *wxpay.RedPackPendingError
	if !errors.As(err, &pe) || pe.MchBillNo != "rpstate1" {
		t.Fatalf("held packet: %v", err)
	}
	status := func() wxpay.RedPackStatus {
		info, err := c.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: "rpstate1"})
		if err != nil {
			t.Fatal(err)
		}
		return info.Status
	}
	if got := status(); got != wxpay.RedPackSending {
		t.Errorf("status %s", got)
	}
	if err := srv.SetRedPackStatus("rpstate1", wxpay.RedPackReceived); !errors.Is(err, wxpaytest.ErrState) {
		t.Errorf("SENDING → RECEIVED: %v", err)
	}
	for _, st := range []wxpay.RedPackStatus{wxpay.RedPackSent, wxpay.RedPackRefunding, wxpay.RedPackRefund} {
		if err := srv.SetRedPackStatus("rpstate1", st); err != nil {
			t.Fatal(err)
		}
		if got := status(); got != st {
			t.Errorf("status %s, want %s", got, st)
		}
	}
	info, _ := c.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: "rpstate1"})
	if info.RefundAmount != 100 || info.RefundTime.IsZero() {
		t.Errorf("refund %+v", info)
	}

	srv.HoldRedPacks(false)
	g := redPack("rpstate2")
	g.TotalNum, g.TotalAmount = 4, 1000
	if _, err := c.SendGroupRedPack(ctx, g); err != nil {
		t.Fatal(err)
	}
	srv.SetRedPackStatus("rpstate2", wxpay.RedPackReceived)
	info, err = c.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: "rpstate2"})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, hb := range info.HBList {
		sum += hb.Amount
		if hb.RcvTime.IsZero() || hb.OpenID == "" {
			t.Errorf("hbinfo %+v", hb)
		}
	}
	if len(info.HBList) != 4 || sum != 1000 || info.HBType != "GROUP" || info.HBList[0].OpenID != g.ReOpenID {
		t.Errorf("group packet %+v", info)
	}
	_, err = c.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: "rpnone"})
	wantErrCode(t, err, wxpay.ErrCodeNotFound)
}

// TestRedPackValidation checks the amount rules and the fields, before
// anything is sent.
func TestRedPackValidation(t *testing.T) {
	srv, c := psServer(t, nil)
	ctx := context.Background()
	change := func(f func(*wxpay.RedPackRequest)) *wxpay.RedPackRequest { r := redPack("rpval1"); f(r); return r }
	tests := []struct {
		name  string
		send  func(context.Context, *wxpay.RedPackRequest) (*wxpay.RedPackResponse, error)
		r     *wxpay.RedPackRequest
		field string
	}{
		{"under 1 yuan", c.SendRedPack, change(func(r *wxpay.RedPackRequest) { r.TotalAmount = 99 }), "scene_id"},
		{"over 200 yuan", c.SendRedPack, change(func(r *wxpay.RedPackRequest) { r.TotalAmount = 20001 }), "scene_id"},
		{"bill number", c.SendRedPack, change(func(r *wxpay.RedPackRequest) { r.MchBillNo = "rp-1" }), "mch_billno"},
		{"long bill number", c.SendRedPack, change(func(r *wxpay.RedPackRequest) { r.MchBillNo = strings.Repeat("1", 29) }), "mch_billno"},
		{"no client ip", c.SendRedPack, change(func(r *wxpay.RedPackRequest) { r.ClientIP = "" }), "client_ip"},
		{"two people", c.SendRedPack, change(func(r *wxpay.RedPackRequest) { r.TotalNum = 2 }), "total_num"},
		{"group of 2", c.SendGroupRedPack, change(func(r *wxpay.RedPackRequest) { r.TotalNum, r.TotalAmount = 2, 200 }), "total_num"},
		{"group under 1 yuan each", c.SendGroupRedPack, change(func(r *wxpay.RedPackRequest) { r.TotalNum, r.TotalAmount = 3, 299 }), "total_amount"},
		{"no wishing", c.SendRedPack, change(func(r *wxpay.RedPackRequest) { r.Wishing = "" }), "wishing"},
		{"nil", c.SendRedPack, nil, "request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve *wxpay.ValidationError
			if _, err := tt.send(ctx, tt.r); !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("error %v, want a *ValidationError for %s", err, tt.field)
			}
		})
	}
	// With a scene, amounts outside 1–200 yuan are WeChat's to judge.
	withScene := change(func(r *wxpay.RedPackRequest) { r.TotalAmount, r.SceneID = 50, wxpay.RedPackSceneLottery })
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	if _, err := c.SendRedPack(ctx, withScene); err != nil {
		t.Errorf("with scene_id: %v", err)
	}
}

// TestMiniProgramRedPackParams checks the wx.sendBizRedPacket signature:
// lower-case MD5 of appId, nonceStr, package URL-encoded and timeStamp,
// without signType.
func TestMiniProgramRedPackParams(t *testing.T) {
	srv, c := psServer(t, nil, wxpay.WithClock(func() time.Time { return time.Unix(1514363815, 0) }), wxpay.WithNonceFunc(func() string { return "Ww213sdad" }))
	resp, err := c.SendMiniProgramRedPack(context.Background(), redPack("rpmini1"))
	if err != nil {
		t.Fatal(err)
	}
	_ = srv
	pp := resp.PayParams
	if pp.Package != url.QueryEscape(resp.Package) || strings.ContainsAny(pp.Package, "=&") {
		t.Errorf("package %q not the URL-encoded %q", pp.Package, resp.Package)
	}
	s := "appId=" + psAppID + "&nonceStr=Ww213sdad&package=" + pp.Package + "&timeStamp=1514363815&key=" + psAPIKey
	sum := md5.Sum([]byte(s))
	want := &wxpay.BizRedPacketParams{TimeStamp: "1514363815", NonceStr: "Ww213sdad", Package: pp.Package, SignType: wxpay.SignTypeMD5, PaySign: hex.EncodeToString(sum[:])}
	if diff := cmp.Diff(want, pp); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	again, err := c.BizRedPacketParams(resp.Package)
	if err != nil || again.PaySign != pp.PaySign {
		t.Errorf("BizRedPacketParams: %+v, %v", again, err)
	}
}

// TestRedPackServiceProvider checks the provider's fields: sub_mch_id and
// msgappid, never sub_appid.
func TestRedPackServiceProvider(t *testing.T) {
	srv, c := psServer(t, []wxpaytest.Option{wxpaytest.WithSubMerchants(wxpaytest.SubMerchant{MchID: "1900000111", AppIDs: []string{"wx8888888888888888"}})},
		wxpay.WithSubMerchant("wx8888888888888888", "1900000111"))
	if _, err := c.SendRedPack(context.Background(), redPack("rpsub1")); err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "/mmpaymkttransfers/sendredpack")
	checkWire(t, r, wire{Cert: true, Has: []string{"sub_mch_id", "msgappid", "wxappid"}, Absent: []string{"sub_appid", "sign_type"}})
	if r.Params["msgappid"] != "wx8888888888888888" {
		t.Errorf("msgappid %q", r.Params["msgappid"])
	}
	if _, err := c.RedPackInfo(context.Background(), &wxpay.RedPackInfoRequest{MchBillNo: "rpsub1"}); err != nil {
		t.Fatal(err)
	}
}
