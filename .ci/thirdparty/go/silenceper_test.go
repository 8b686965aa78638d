// Package thirdparty walks cmd/wxpaytest with silenceper/wechat/v2's pay
// package, a Go WeChat Pay v2 client nobody here wrote: its signing, its
// notify verification, its .p12 loading (golang.org/x/crypto/pkcs12) and
// its req_info decryption. Its own module, so that the library's go.mod
// gains no dependency. Run by .ci/thirdparty.sh with WXPAYTEST_OUT (the
// binary's -out directory) and SSL_CERT_FILE (its ca.pem: silenceper's
// certificate client trusts the system roots only).
package thirdparty

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/pay"
	"github.com/silenceper/wechat/v2/pay/config"
	"github.com/silenceper/wechat/v2/pay/notify"
	"github.com/silenceper/wechat/v2/pay/order"
	"github.com/silenceper/wechat/v2/pay/refund"
	"github.com/silenceper/wechat/v2/util"
)

type wxconf struct {
	BaseURL    string `json:"base_url"`
	ControlURL string `json:"control_url"`
	Merchants  []struct {
		AppID  string `json:"appid"`
		MchID  string `json:"mch_id"`
		APIKey string `json:"api_key"`
		P12    string `json:"p12"`
	} `json:"merchants"`
}

func control(t *testing.T, c wxconf, path string, body any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(c.ControlURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// refundRequest is silenceper's refund request as WeChat reads it: under
// <xml>. silenceper's own Refund marshals the struct under <request>,
// which WeChat (and wxpaytest) refuse; see TestWalk.
type refundRequest struct {
	XMLName     struct{} `xml:"xml"`
	AppID       string   `xml:"appid"`
	MchID       string   `xml:"mch_id"`
	NonceStr    string   `xml:"nonce_str"`
	Sign        string   `xml:"sign"`
	SignType    string   `xml:"sign_type"`
	OutTradeNo  string   `xml:"out_trade_no"`
	OutRefundNo string   `xml:"out_refund_no"`
	TotalFee    string   `xml:"total_fee"`
	RefundFee   string   `xml:"refund_fee"`
	NotifyURL   string   `xml:"notify_url"`
}

func TestWalk(t *testing.T) {
	dir := os.Getenv("WXPAYTEST_OUT")
	if dir == "" || os.Getenv("SSL_CERT_FILE") == "" {
		t.Fatal("WXPAYTEST_OUT and SSL_CERT_FILE must name the binary's -out directory and its ca.pem")
	}
	b, err := os.ReadFile(filepath.Join(dir, "wxpaytest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c wxconf
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	m := c.Merchants[0]
	p12 := filepath.Join(dir, m.P12)
	util.SetURIModifier(func(uri string) string { return strings.Replace(uri, "https://api.mch.weixin.qq.com", c.BaseURL, 1) })

	var mu sync.Mutex
	var paid []notify.PaidResult
	var refunded []*notify.RefundedReqInfo
	var wp *pay.Pay
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		ok := false
		if strings.HasSuffix(r.URL.Path, "/refund") {
			var rr notify.RefundedResult
			if xml.Unmarshal(body, &rr) == nil {
				if info, err := wp.GetNotify().DecryptReqInfo(&rr); err == nil {
					refunded = append(refunded, info)
					ok = true
				}
			}
		} else {
			var pr notify.PaidResult
			if xml.Unmarshal(body, &pr) == nil && wp.GetNotify().PaidVerifySign(pr) {
				paid = append(paid, pr)
				ok = true
			}
		}
		if ok {
			io.WriteString(w, "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>")
		} else {
			io.WriteString(w, "<xml><return_code><![CDATA[FAIL]]></return_code></xml>")
		}
	}))
	defer merchant.Close()
	wp = pay.NewPay(&config.Config{AppID: m.AppID, MchID: m.MchID, Key: m.APIKey, NotifyURL: merchant.URL + "/pay"})

	no := fmt.Sprintf("SP%d", time.Now().UnixNano())
	pre, err := wp.GetOrder().PrePayOrder(&order.Params{
		TotalFee: "888", CreateIP: "127.0.0.1", Body: "silenceper walk", OutTradeNo: no,
		OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", TradeType: "JSAPI",
	})
	if err != nil {
		t.Fatalf("unified order: %v", err)
	}
	if !strings.HasPrefix(pre.PrePayID, "wx") {
		t.Fatalf("prepay_id %q", pre.PrePayID)
	}

	if st, body := control(t, c, "/orders/"+no+"/pay", map[string]any{}); st != 200 {
		t.Fatalf("pay: %d %s", st, body)
	}
	if st, body := control(t, c, "/notifies/wait", map[string]int{"timeout_ms": 20000}); st != 200 {
		t.Fatalf("wait: %d %s", st, body)
	}
	mu.Lock()
	if len(paid) != 1 || *paid[0].OutTradeNo != no || *paid[0].TotalFee != 888 {
		t.Fatalf("verified payment notifies: %d", len(paid))
	}
	txn := *paid[0].TransactionID
	mu.Unlock()

	// silenceper's QueryOrder marshals its request under <queryRequest>,
	// not <xml>: WeChat finds no field in it and refuses it, and so does
	// the fake. (The query works with a client that sends <xml>.)
	if _, err := wp.GetOrder().QueryOrder(&order.QueryParams{OutTradeNo: no}); err == nil || !strings.Contains(err.Error(), "mch_id参数格式错误") {
		t.Fatalf("QueryOrder with a <queryRequest> root: %v, want WeChat's mch_id参数格式错误", err)
	}
	// Its Refund likewise (<request>); the answer shows that the .p12
	// was read and presented: without a certificate the refusal would be
	// the certificate's.
	_, err = wp.GetRefund().Refund(&refund.Params{OutTradeNo: no, OutRefundNo: no + "R", TotalFee: "888", RefundFee: "88", RootCa: p12})
	if err == nil || !strings.Contains(err.Error(), "mch_id参数格式错误") {
		t.Fatalf("Refund with a <request> root: %v, want WeChat's mch_id参数格式错误", err)
	}

	// The refund as WeChat reads it, signed by silenceper and sent over
	// mutual TLS with its .p12 loading; silenceper decrypts the notify.
	params := map[string]string{
		"appid": m.AppID, "mch_id": m.MchID, "nonce_str": util.RandomStr(32), "sign_type": util.SignTypeMD5,
		"out_trade_no": no, "out_refund_no": no + "R", "total_fee": "888", "refund_fee": "88", "notify_url": merchant.URL + "/refund",
	}
	sign, err := util.ParamSign(params, m.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := util.PostXMLWithTLS("https://api.mch.weixin.qq.com/secapi/pay/refund", refundRequest{
		AppID: m.AppID, MchID: m.MchID, NonceStr: params["nonce_str"], Sign: sign, SignType: util.SignTypeMD5,
		OutTradeNo: no, OutRefundNo: no + "R", TotalFee: "888", RefundFee: "88", NotifyURL: params["notify_url"],
	}, p12, m.MchID)
	if err != nil {
		t.Fatal(err)
	}
	var rsp refund.Response
	if err := xml.Unmarshal(raw, &rsp); err != nil || rsp.ResultCode != "SUCCESS" || rsp.RefundFee != "88" {
		t.Fatalf("refund answer %s (%v)", raw, err)
	}
	if st, body := control(t, c, "/notifies/wait", map[string]int{"timeout_ms": 20000}); st != 200 {
		t.Fatalf("wait: %d %s", st, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(refunded) != 1 {
		t.Fatalf("%d decrypted refund notifies", len(refunded))
	}
	info := refunded[0]
	if *info.OutRefundNO != no+"R" || *info.RefundFee != 88 || *info.TransactionID != txn || info.SettlementTotalFee == nil || *info.SettlementTotalFee != 888 {
		t.Fatalf("refund notify %+v", info)
	}
}
