package wxpay_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func transferReq(no string) *wxpay.TransferRequest {
	return &wxpay.TransferRequest{PartnerTradeNo: no, OpenID: "oxTWIuGaIt6gTKsQRLau2M0yL16E", Amount: 100,
		Desc: "佣金", SpbillCreateIP: "203.0.113.7"}
}

// decryptOAEP undoes EncryptBankField with the private key in PEM.
func decryptOAEP(t *testing.T, privatePEM []byte, ct string) string {
	t.Helper()
	block, _ := pem.Decode(privatePEM)
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(ct)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := rsa.DecryptOAEP(sha1.New(), nil, k, raw, nil)
	if err != nil {
		t.Fatalf("ciphertext does not decrypt with RSA-OAEP/SHA-1: %v", err)
	}
	return string(pt)
}

// TestPayoutWire checks every payout call on the wire, from an
// HMAC-SHA256 client: MD5 without sign_type (getpublickey: the client's
// type), mch_appid + mchid for transfers, appid + mch_id for the query,
// mch_id alone for the bank calls, the certificate on all, and a card
// number that decrypts under the server's private key.
func TestPayoutWire(t *testing.T) {
	srv, c := psServer(t, nil, wxpay.WithSignType(wxpay.SignTypeHMACSHA256))
	ctx := context.Background()
	req := transferReq("tw1")
	req.CheckName, req.ReUserName = wxpay.ForceCheck, "王小王"
	resp, err := c.Transfer(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "/mmpaymkttransfers/promotion/transfers")
	checkWire(t, r, wire{Cert: true, Has: []string{"mch_appid", "mchid", "nonce_str", "partner_trade_no", "openid", "check_name", "re_user_name", "amount", "desc", "spbill_create_ip"},
		Absent: []string{"appid", "mch_id", "sign_type", "sub_mch_id", "sub_appid"}})
	if r.Params["mch_appid"] != psAppID || r.Params["mchid"] != psMchID || r.Params["check_name"] != "FORCE_CHECK" || r.Params["amount"] != "100" {
		t.Errorf("transfer fields %v", r.Params)
	}
	if r.ResponseParams["sign"] != "" || resp.PaymentNo == "" || resp.PaymentTime.IsZero() || resp.MchID != psMchID {
		t.Errorf("answer %v, typed %+v", r.ResponseParams, resp)
	}

	if _, err := c.TransferInfo(ctx, &wxpay.TransferInfoRequest{PartnerTradeNo: "tw1"}); err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/mmpaymkttransfers/gettransferinfo"), wire{Cert: true, Has: []string{"appid", "mch_id", "partner_trade_no"}, Absent: []string{"mchid", "mch_appid", "sign_type"}})

	key, err := c.RSAPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv := srv.BankKeyPEM()
	if string(key) != string(pub) || !strings.HasPrefix(string(key), "-----BEGIN RSA PUBLIC KEY-----") {
		t.Errorf("public key %q", key)
	}
	checkWire(t, lastRequest(t, srv, "/risk/getpublickey"), wire{Cert: true, SignType: "HMAC-SHA256", Has: []string{"mch_id", "nonce_str"}, Absent: []string{"appid", "sub_appid"}})

	const card = "6222020200112233445"
	encNo, err := wxpay.EncryptBankField(key, card)
	if err != nil {
		t.Fatal(err)
	}
	encName, _ := wxpay.EncryptBankField(key, "王小王")
	bank, err := c.PayBank(ctx, &wxpay.PayBankRequest{PartnerTradeNo: "bw1", EncBankNo: encNo, EncTrueName: encName, BankCode: "1002", Amount: 200000, Desc: "提现"})
	if err != nil {
		t.Fatal(err)
	}
	r = lastRequest(t, srv, "/mmpaysptrans/pay_bank")
	checkWire(t, r, wire{Cert: true, Has: []string{"mch_id", "nonce_str", "enc_bank_no", "enc_true_name", "bank_code", "amount", "desc"}, Absent: []string{"appid", "mch_appid", "sign_type"}})
	if got := decryptOAEP(t, priv, r.Params["enc_bank_no"]); got != card {
		t.Errorf("enc_bank_no decrypts to %q", got)
	}
	if got := decryptOAEP(t, priv, r.Params["enc_true_name"]); got != "王小王" {
		t.Errorf("enc_true_name decrypts to %q", got)
	}
	if bank.Amount != 200000 || bank.CmmsAmt != 200 || bank.PaymentNo == "" {
		t.Errorf("bank answer %+v", bank)
	}
	rec, err := srv.PayBankRecord("bw1")
	if err != nil || rec.BankNo != card || rec.Status != wxpay.PayBankProcessing {
		t.Errorf("server record %+v, %v", rec, err)
	}

	q, err := c.PayBankQuery(ctx, &wxpay.PayBankQueryRequest{PartnerTradeNo: "bw1"})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, lastRequest(t, srv, "/mmpaysptrans/query_bank"), wire{Cert: true, Has: []string{"mch_id", "partner_trade_no"}, Absent: []string{"appid", "sign_type"}})
	if q.Status != wxpay.PayBankProcessing || q.Amount != 200000 || len(q.BankNoMD5) != 32 || q.CreateTime.IsZero() {
		t.Errorf("bank query %+v", q)
	}
}

// TestTransferOutcomes checks which failures leave a payout pending
// (query with TransferInfo, never a new number) and which are final.
func TestTransferOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		fault   wxpaytest.Fault
		pending bool
		code    string
	}{
		{"SYSTEMERROR", wxpaytest.Fault{ErrCode: "SYSTEMERROR"}, true, "SYSTEMERROR"},
		{"SEND_FAILED", wxpaytest.Fault{ErrCode: "SEND_FAILED"}, true, "SEND_FAILED"},
		{"hang-up", wxpaytest.Fault{Hangup: true}, true, ""},
		{"HTTP 502", wxpaytest.Fault{StatusCode: 502}, true, ""},
		{"broken XML", wxpaytest.Fault{Malformed: true}, true, ""},
		{"NOTENOUGH", wxpaytest.Fault{ErrCode: "NOTENOUGH"}, false, "NOTENOUGH"},
		{"NAME_MISMATCH", wxpaytest.Fault{ErrCode: "NAME_MISMATCH"}, false, "NAME_MISMATCH"},
		{"return_code FAIL", wxpaytest.Fault{ReturnMsg: "参数错误"}, false, ""},
		{"return_code FAIL, busy", wxpaytest.Fault{ReturnMsg: "系统繁忙,请稍后再试"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := psServer(t, nil)
			srv.Fail("/mmpaymkttransfers/promotion/transfers", tt.fault)
			_, err := c.Transfer(context.Background(), transferReq("to1"))
			var pending *wxpay.TransferPendingError
			if got := errors.As(err, &pending); got != tt.pending {
				t.Fatalf("pending = %v, want %v: %v", got, tt.pending, err)
			}
			if tt.pending && (pending.PartnerTradeNo != "to1" || pending.Query != "TransferInfo" ||
				!strings.Contains(err.Error(), "query with TransferInfo, never resend with a new number")) {
				t.Errorf("pending error %v", err)
			}
			var we *wxpay.Error
			if errors.As(err, &we) != (tt.code != "" || tt.fault.ReturnMsg != "") || tt.code != "" && we.ErrCode != tt.code {
				t.Errorf("*Error %+v, want code %q", we, tt.code)
			}
		})
	}
}

// TestTransferHeld runs a payout WeChat holds: pending, queried as
// PROCESSING, then resent with the same number once WeChat settled it:
// paid once.
func TestTransferHeld(t *testing.T) {
	srv, c := psServer(t, nil)
	ctx := context.Background()
	srv.SetPayoutBalance(psMchID, 1000)
	srv.HoldPayouts(true)
	_, err := c.Transfer(ctx, transferReq("th1"))
	var pending *wxpay.TransferPendingError
	if !errors.As(err, &pending) {
		t.Fatalf("held payout: %v", err)
	}
	info, err := c.TransferInfo(ctx, &wxpay.TransferInfoRequest{PartnerTradeNo: "th1"})
	if err != nil || info.Status != wxpay.TransferProcessing {
		t.Fatalf("query %+v, %v", info, err)
	}
	if err := srv.SetTransferStatus("th1", wxpay.TransferSuccess); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.Transfer(ctx, transferReq("th1")); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := srv.PayoutBalance(psMchID); left != 900 {
		t.Errorf("balance %d, want 900: paid more than once", left)
	}
	big := transferReq("th2")
	big.Amount = 1000
	var we *wxpay.Error
	if _, err := c.Transfer(ctx, big); !errors.As(err, &we) || we.ErrCode != wxpay.ErrCodeNotEnough || errors.As(err, &pending) {
		t.Errorf("over the balance: %v", err)
	}
	changed := transferReq("th1")
	changed.Amount = 101
	if _, err := c.Transfer(ctx, changed); !errors.As(err, &we) || we.ErrCode != "PARAM_ERROR" {
		t.Errorf("same number, other amount: %v", err)
	}
}

// unsignedPayouts answers every request with body, as an independent
// stand-in for WeChat's unsigned payout answers.
func unsignedPayouts(t *testing.T, body string) *wxpay.Client {
	t.Helper()
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(body))
	}))
	t.Cleanup(hs.Close)
	srv := wxpaytest.NewServer(psAppID, psMchID, psAPIKey)
	t.Cleanup(srv.Close)
	certPEM, keyPEM := srv.MerchantCertPEM()
	c, err := wxpay.NewClient(psAppID, psMchID, psAPIKey, wxpay.WithBaseURL(hs.URL), wxpay.WithHTTPClient(hs.Client()), wxpay.WithCertPEM(certPEM, keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTransferUnsignedAnswer checks that a payout WeChat reports as made
// is taken as made whatever its merchant fields say, and that a sign
// that is present and wrong leaves it pending.
func TestTransferUnsignedAnswer(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    *wxpay.TransferResponse
		invalid bool // pending on ErrInvalidSign
	}{
		{"other merchant, odd time",
			`<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><mch_appid>wxother</mch_appid><mchid>1234</mchid>` +
				`<partner_trade_no>tu1</partner_trade_no><payment_no>pn1</payment_no><payment_time>yesterday</payment_time></xml>`,
			&wxpay.TransferResponse{PartnerTradeNo: "tu1", PaymentNo: "pn1", MchAppID: "wxother", MchID: "1234"}, false},
		{"no merchant fields",
			`<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><partner_trade_no>tu1</partner_trade_no><payment_no>pn2</payment_no></xml>`,
			&wxpay.TransferResponse{PartnerTradeNo: "tu1", PaymentNo: "pn2"}, false},
		{"wrong sign",
			`<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><partner_trade_no>tu1</partner_trade_no><sign>0123456789ABCDEF0123456789ABCDEF</sign></xml>`,
			nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := unsignedPayouts(t, tt.body).Transfer(context.Background(), transferReq("tu1"))
			if tt.invalid {
				var pending *wxpay.TransferPendingError
				if !errors.As(err, &pending) || !errors.Is(err, wxpay.ErrInvalidSign) {
					t.Fatalf("err %v, want pending on ErrInvalidSign", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Raw = nil
			if diff := cmp.Diff(tt.want, resp); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPayoutValidation checks requests refused before sending.
func TestPayoutValidation(t *testing.T) {
	srv, c := psServer(t, nil)
	ctx := context.Background()
	key, _ := srv.BankKeyPEM()
	enc, _ := wxpay.EncryptBankField(key, "6222020200112233445")
	bank := func(edit func(*wxpay.PayBankRequest)) *wxpay.PayBankRequest {
		r := &wxpay.PayBankRequest{PartnerTradeNo: "pv1", EncBankNo: enc, EncTrueName: enc, BankCode: "1002", Amount: 100}
		edit(r)
		return r
	}
	transfer := func(edit func(*wxpay.TransferRequest)) *wxpay.TransferRequest {
		r := transferReq("pv1")
		edit(r)
		return r
	}
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"no number", func() error {
			_, err := c.Transfer(ctx, transfer(func(r *wxpay.TransferRequest) { r.PartnerTradeNo = "" }))
			return err
		}, "partner_trade_no"},
		{"number with a dash", func() error {
			_, err := c.Transfer(ctx, transfer(func(r *wxpay.TransferRequest) { r.PartnerTradeNo = "a-1" }))
			return err
		}, "partner_trade_no"},
		{"force check without name", func() error {
			_, err := c.Transfer(ctx, transfer(func(r *wxpay.TransferRequest) { r.CheckName = wxpay.ForceCheck }))
			return err
		}, "re_user_name"},
		{"unknown check", func() error {
			_, err := c.Transfer(ctx, transfer(func(r *wxpay.TransferRequest) { r.CheckName = "OPTION_CHECK" }))
			return err
		}, "check_name"},
		{"zero amount", func() error {
			_, err := c.Transfer(ctx, transfer(func(r *wxpay.TransferRequest) { r.Amount = 0 }))
			return err
		}, "amount"},
		{"bad IP", func() error {
			_, err := c.Transfer(ctx, transfer(func(r *wxpay.TransferRequest) { r.SpbillCreateIP = "localhost" }))
			return err
		}, "spbill_create_ip"},
		{"card number in clear", func() error {
			_, err := c.PayBank(ctx, bank(func(r *wxpay.PayBankRequest) { r.EncBankNo = "6222020202020202" }))
			return err
		}, "enc_bank_no"},
		{"no bank code", func() error {
			_, err := c.PayBank(ctx, bank(func(r *wxpay.PayBankRequest) { r.BankCode = "" }))
			return err
		}, "bank_code"},
		{"nil transfer", func() error { _, err := c.Transfer(ctx, nil); return err }, "request"},
		{"nil bank payout", func() error { _, err := c.PayBank(ctx, nil); return err }, "request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve *wxpay.ValidationError
			if err := tt.call(); !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("err %v, want a ValidationError on %s", err, tt.field)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestEncryptBankField checks the OAEP/SHA-1 ciphertext under PKCS#1 and
// PKIX keys, and refuses what is not an RSA public key.
func TestEncryptBankField(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkix, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	tests := []struct {
		name string
		key  []byte
		ok   bool
	}{
		{"PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)}), true},
		{"PKIX", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}), true},
		{"private key", privPEM, false},
		{"not PEM", []byte("MIIBCgKCAQEA"), false},
		{"broken PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: []byte{1, 2, 3}}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, err := wxpay.EncryptBankField(tt.key, "6222020200112233445")
			if !tt.ok {
				if !errors.Is(err, wxpay.ErrBadPublicKey) {
					t.Errorf("err %v, want ErrBadPublicKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := decryptOAEP(t, privPEM, ct); got != "6222020200112233445" {
				t.Errorf("decrypts to %q", got)
			}
			again, _ := wxpay.EncryptBankField(tt.key, "6222020200112233445")
			if again == ct {
				t.Error("two encryptions gave the same ciphertext: OAEP is randomized")
			}
		})
	}
	if _, err := wxpay.EncryptBankField(tests[0].key, ""); err == nil {
		t.Error("empty value encrypted")
	}
}

// urlRecorder records the URL of each request and fails it.
type urlRecorder struct{ urls []string }

func (u *urlRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	u.urls = append(u.urls, r.URL.String())
	return nil, errors.New("recorded")
}

// TestRSAPublicKeyHost checks that getpublickey goes to WeChat's risk
// host under the default base URL.
func TestRSAPublicKeyHost(t *testing.T) {
	rec := &urlRecorder{}
	c, err := wxpay.NewClient(psAppID, psMchID, psAPIKey, wxpay.WithCertHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	c.RSAPublicKey(context.Background())
	if diff := cmp.Diff([]string{"https://fraud.mch.weixin.qq.com/risk/getpublickey"}, rec.urls); diff != "" {
		t.Errorf("URLs (-want +got):\n%s", diff)
	}
}
