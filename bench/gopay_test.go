package bench_test

// The same unified order and the same payment notify, handled by this SDK
// and by gopay's wechat v2 package, through the same http.RoundTripper:
// `go test -run '^$' -bench . -benchmem`. Every benchmark reports, beside
// ns/op, cpu-ns/op: the process's user+system CPU time per call, which
// on a loopback round trip includes the test server's share.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-pay/gopay"
	"github.com/go-pay/gopay/pkg/xhttp"
	"github.com/go-pay/gopay/wechat"
	"github.com/go-pay/util"

	"github.com/wxpay-go/wxpay"
)

const (
	appID  = "wx2421b1c4370ec43b"
	mchID  = "10000100"
	apiKey = "192006250b4c09247ec02edce69f6a2d"
)

// order is the unified order both clients send.
var order = wxpay.UnifiedOrderRequest{
	Body: "腾讯充值中心-QQ会员充值", OutTradeNo: "20150806125346", TotalFee: 888, SpbillCreateIP: "123.12.12.123",
	NotifyURL: "https://example.com/wxpay/notify", TradeType: wxpay.TradeTypeJSAPI, OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
}

// signedXML is p signed with apiKey and encoded, as WeChat would send it.
func signedXML(tb testing.TB, p wxpay.Params) []byte {
	sign, err := wxpay.Sign(p, apiKey, wxpay.SignTypeMD5)
	if err != nil {
		tb.Fatal(err)
	}
	p["sign"] = sign
	return p.AppendXML(nil)
}

func unifiedOrderAnswer(tb testing.TB) []byte {
	return signedXML(tb, wxpay.Params{"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS",
		"appid": appID, "mch_id": mchID, "nonce_str": "IITRi8Iabbblz1Jc", "trade_type": "JSAPI",
		"prepay_id": "wx201411101639507cbf6ffd8b0779950874"})
}

// answerTransport answers every request with its bytes, without a network.
type answerTransport []byte

func (a answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(bytes.NewReader(a)), Request: r}, nil
}

// clients returns a unified order through each SDK, both sending through
// rt to baseURL. gopay gets rt through xhttp.Client.SetTransport, which
// replaces the transport xhttp.NewClient makes (one that skips TLS
// verification): no TLS setting of gopay's is used here.
func clients(tb testing.TB, rt http.RoundTripper, baseURL string) (ours, theirs, theirsVerified func() error) {
	c, err := wxpay.NewClient(appID, mchID, apiKey, wxpay.WithHTTPClient(&http.Client{Transport: rt}), wxpay.WithBaseURL(baseURL))
	if err != nil {
		tb.Fatal(err)
	}
	ours = func() error {
		_, err := c.UnifiedOrder(context.Background(), &order)
		return err
	}
	g := wechat.NewClient(appID, mchID, apiKey, true)
	g.SetHttpClient(xhttp.NewClient().SetTransport(rt))
	g.BaseURL = baseURL
	gopayOrder := func() (*wechat.UnifiedOrderResponse, error) {
		// What a gopay user writes: a fresh BodyMap per call, since the
		// call adds appid, mch_id and sign to it.
		bm := make(gopay.BodyMap)
		bm.Set("nonce_str", util.RandomString(32)).
			Set("body", order.Body).
			Set("out_trade_no", order.OutTradeNo).
			Set("total_fee", order.TotalFee).
			Set("spbill_create_ip", order.SpbillCreateIP).
			Set("notify_url", order.NotifyURL).
			Set("trade_type", wechat.TradeType_JsApi).
			Set("openid", order.OpenID).
			Set("sign_type", wechat.SignType_MD5)
		return g.UnifiedOrder(context.Background(), bm)
	}
	theirs = func() error {
		_, err := gopayOrder()
		return err
	}
	// gopay returns the answer unverified; a user who checks it as
	// UnifiedOrder does calls VerifySign, which goes through JSON.
	theirsVerified = func() error {
		rsp, err := gopayOrder()
		if err != nil {
			return err
		}
		if ok, err := wechat.VerifySign(apiKey, wechat.SignType_MD5, rsp); !ok {
			return errorf("gopay: answer does not verify: %v", err)
		}
		return nil
	}
	return ours, theirs, theirsVerified
}

// BenchmarkUnifiedOrder runs one caller's unified orders, in memory (CPU
// is all there is) and over loopback HTTP to a server that answers the
// same signed bytes, beside a plain POST of a signed order there.
func BenchmarkUnifiedOrder(b *testing.B) {
	answer := unifiedOrderAnswer(b)
	ours, theirs, theirsVerified := clients(b, answerTransport(answer), "https://wxpay.test")
	b.Run("in-memory/wxpay", sequential(ours))
	b.Run("in-memory/gopay", sequential(theirs))
	b.Run("in-memory/gopay+VerifySign", sequential(theirsVerified))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write(answer)
	}))
	defer srv.Close()
	hc := srv.Client()
	ours, theirs, _ = clients(b, hc.Transport, srv.URL)
	body := signedXML(b, wxpay.Params{"appid": appID, "mch_id": mchID, "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
		"body": order.Body, "out_trade_no": order.OutTradeNo, "total_fee": "888", "spbill_create_ip": order.SpbillCreateIP,
		"notify_url": order.NotifyURL, "trade_type": "JSAPI", "openid": order.OpenID, "sign_type": "MD5"})
	post := func() error {
		resp, err := hc.Post(srv.URL+"/pay/unifiedorder", "text/xml", bytes.NewReader(body))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	b.Run("loopback/wxpay", sequential(ours))
	b.Run("loopback/gopay", sequential(theirs))
	b.Run("loopback/baseline=net/http-POST", sequential(post))
}

// BenchmarkPayNotify delivers the same signed payment notify to a handler
// of each SDK, from GOMAXPROCS goroutines at once: this SDK's
// PayNotifyHandler, and the handler a gopay user writes around
// ParseNotifyToBodyMap and VerifySign.
func BenchmarkPayNotify(b *testing.B) {
	body := signedXML(b, wxpay.Params{
		"return_code": "SUCCESS", "return_msg": "OK", "appid": appID, "mch_id": mchID,
		"device_info": "WEB", "nonce_str": "5d2b6c2a8db53831f7eda20af46e531c", "result_code": "SUCCESS",
		"openid": "oUpF8uMEb4qRXf22hE3X68TekukE", "is_subscribe": "N", "trade_type": "JSAPI",
		"bank_type": "CMC", "total_fee": "888", "settlement_total_fee": "788", "fee_type": "CNY",
		"cash_fee": "788", "cash_fee_type": "CNY", "coupon_fee": "100", "coupon_count": "2",
		"coupon_type_0": "CASH", "coupon_id_0": "10000", "coupon_fee_0": "60",
		"coupon_type_1": "NO_CASH", "coupon_id_1": "10001", "coupon_fee_1": "40",
		"transaction_id": "4200000123201508061253460001", "out_trade_no": "20150806125346",
		"attach": "门店 A&B", "time_end": "20150806125346",
	})
	c, err := wxpay.NewClient(appID, mchID, apiKey)
	if err != nil {
		b.Fatal(err)
	}
	ours := c.PayNotifyHandler(func(_ context.Context, n *wxpay.PayNotify) error {
		if n.TotalFee != 888 {
			return errorf("total_fee %d", n.TotalFee)
		}
		return nil
	})
	theirs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bm, err := wechat.ParseNotifyToBodyMap(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if ok, _ := wechat.VerifySign(apiKey, wechat.SignType_MD5, bm); !ok || bm.GetString("total_fee") != "888" {
			http.Error(w, "bad notify", http.StatusBadRequest)
			return
		}
		rsp := new(wechat.NotifyResponse)
		rsp.ReturnCode = gopay.SUCCESS
		rsp.ReturnMsg = gopay.OK
		w.Write([]byte(rsp.ToXmlString()))
	})
	b.Run("wxpay-PayNotifyHandler", serve(ours, body))
	b.Run("gopay-ParseNotifyToBodyMap+VerifySign", serve(theirs, body))
}

func serve(h http.Handler, body []byte) func(*testing.B) {
	return func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		parallel(func() error {
			r := httptest.NewRequest(http.MethodPost, "/notify", bytes.NewReader(body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "SUCCESS") {
				return errorf("answer %d %q", w.Code, w.Body.String())
			}
			return nil
		})(b)
	}
}
