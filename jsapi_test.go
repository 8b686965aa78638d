package wxpay_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
)

// payParamsClient is a client whose clock and nonce are those of spec
// Appendix A4–A6.
func payParamsClient(t *testing.T, st wxpay.SignType, unix int64) *wxpay.Client {
	t.Helper()
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey,
		wxpay.WithSignType(st),
		// Nanoseconds and a zone other than UTC must not leak into timeStamp.
		wxpay.WithClock(func() time.Time { return time.Unix(unix, 999_999_999).In(wxpay.Beijing()) }),
		wxpay.WithNonceFunc(func() string { return "5K8264ILTKCH16CQ2502SI8ZNMTM67VS" }),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jsonFields marshals v and returns its JSON object, so that tests see
// the exact keys a browser or app receives.
func jsonFields(t *testing.T, v any) map[string]string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

func TestJSAPIPayParams(t *testing.T) {
	tests := []struct {
		name string
		st   wxpay.SignType
		want map[string]string
	}{
		{"A4 MD5", wxpay.SignTypeMD5, map[string]string{
			"appId": docAppID, "timeStamp": "1490840662", "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
			"package": "prepay_id=wx2017033010242291fcfe0db70013231072", "signType": "MD5",
			"paySign": "A3C4993E71916E54AE93F5D2B1E888AF",
		}},
		{"A5 HMAC-SHA256", wxpay.SignTypeHMACSHA256, map[string]string{
			"appId": docAppID, "timeStamp": "1490840662", "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
			"package": "prepay_id=wx2017033010242291fcfe0db70013231072", "signType": "HMAC-SHA256",
			"paySign": "15FC5558B3F2A6AF14B8C4FEB53F8D822E04051B2C788ECDD0ABA657F9EA5A06",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payParamsClient(t, tt.st, 1490840662).JSAPIPayParams("wx2017033010242291fcfe0db70013231072")
			if err != nil {
				t.Fatal(err)
			}
			m := jsonFields(t, got)
			if diff := cmp.Diff(tt.want, m); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
			// paySign recomputed over everything else the page receives.
			signed := wxpay.Params{}
			for k, v := range m {
				if k != "paySign" {
					signed[k] = v
				}
			}
			sign, err := wxpay.Sign(signed, docAPIKey, tt.st)
			if err != nil {
				t.Fatal(err)
			}
			if sign != got.PaySign {
				t.Errorf("paySign = %s, recomputed %s", got.PaySign, sign)
			}
		})
	}
}

func TestAPPPayParams(t *testing.T) {
	tests := []struct {
		name string
		st   wxpay.SignType
		want map[string]string
	}{
		{"A6 MD5", wxpay.SignTypeMD5, map[string]string{
			"appid": docAppID, "partnerid": docMchID, "prepayid": "wx201410272009395522657a690389285100",
			"package": "Sign=WXPay", "noncestr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "timestamp": "1412000000",
			"sign": "2919569F617B3B20A0A9E632811185FD",
		}},
		{"HMAC-SHA256", wxpay.SignTypeHMACSHA256, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payParamsClient(t, tt.st, 1412000000).APPPayParams("wx201410272009395522657a690389285100")
			if err != nil {
				t.Fatal(err)
			}
			m := jsonFields(t, got)
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, m); diff != "" {
					t.Errorf("JSON (-want +got):\n%s", diff)
				}
			}
			// The app SDK's message is signed with exactly its JSON keys;
			// VerifySign tells the type from the sign's length.
			p := wxpay.Params(m)
			if err := wxpay.VerifySign(p, docAPIKey); err != nil {
				t.Errorf("VerifySign: %v", err)
			}
			if wantLen := map[wxpay.SignType]int{wxpay.SignTypeMD5: 32, wxpay.SignTypeHMACSHA256: 64}[tt.st]; len(got.Sign) != wantLen {
				t.Errorf("sign %q is not a %s sign", got.Sign, tt.st)
			}
		})
	}
}

func TestPayParamsSubMerchant(t *testing.T) {
	tests := []struct {
		name, subAppID string
		wantAppID      string
		wantPartnerID  string
	}{
		{"with sub_appid", "wx8888888888888888", "wx8888888888888888", "1900000109"},
		{"without sub_appid", "", docAppID, "1900000109"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, wxpay.WithSubMerchant(tt.subAppID, "1900000109"))
			if err != nil {
				t.Fatal(err)
			}
			js, err := c.JSAPIPayParams("wx2017033010242291fcfe0db70013231072")
			if err != nil {
				t.Fatal(err)
			}
			app, err := c.APPPayParams("wx2017033010242291fcfe0db70013231072")
			if err != nil {
				t.Fatal(err)
			}
			got := [3]string{js.AppID, app.AppID, app.PartnerID}
			if want := [3]string{tt.wantAppID, tt.wantAppID, tt.wantPartnerID}; got != want {
				t.Errorf("appId, appid, partnerid = %q, want %q", got, want)
			}
			m := jsonFields(t, js)
			delete(m, "paySign")
			if sign, _ := wxpay.Sign(wxpay.Params(m), docAPIKey, wxpay.SignTypeMD5); sign != js.PaySign {
				t.Errorf("paySign %s, recomputed %s", js.PaySign, sign)
			}
			if err := wxpay.VerifySign(wxpay.Params(jsonFields(t, app)), docAPIKey); err != nil {
				t.Errorf("APP sign: %v", err)
			}
		})
	}
}

func TestPayParamsFreshEachTime(t *testing.T) {
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Unix()
	a, errA := c.JSAPIPayParams("wx2017033010242291fcfe0db70013231072")
	b, errB := c.JSAPIPayParams("wx2017033010242291fcfe0db70013231072")
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a.NonceStr == b.NonceStr || len(a.NonceStr) != 32 {
		t.Errorf("nonces %q and %q: want two different random 32-character nonces", a.NonceStr, b.NonceStr)
	}
	var ts int64
	if _, err := fmt.Sscan(a.TimeStamp, &ts); err != nil || ts < before || ts > time.Now().Unix() {
		t.Errorf("timeStamp %q is not the current Unix time in seconds", a.TimeStamp)
	}
}

func TestPayParamsInvalidPrepayID(t *testing.T) {
	c := payParamsClient(t, wxpay.SignTypeMD5, 1412000000)
	for _, id := range []string{
		"",
		"prepay_id=wx2017033010242291fcfe0db70013231072",
		"wx2017 0330",
		"wx2017\n",
		"wx预支付",
		"wx" + fmt.Sprintf("%063d", 0),
	} {
		for name, call := range map[string]func(string) (any, error){
			"JSAPI": func(id string) (any, error) { return c.JSAPIPayParams(id) },
			"APP":   func(id string) (any, error) { return c.APPPayParams(id) },
		} {
			_, err := call(id)
			var ve *wxpay.ValidationError
			if !errors.As(err, &ve) || ve.Field != "prepay_id" {
				t.Errorf("%s(%q) error = %v, want a *ValidationError for prepay_id", name, id, err)
			}
		}
	}
}

func ExampleClient_JSAPIPayParams() {
	client, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		// Fixed only to make the output below reproducible; leave both out.
		wxpay.WithClock(func() time.Time { return time.Unix(1490840662, 0) }),
		wxpay.WithNonceFunc(func() string { return "5K8264ILTKCH16CQ2502SI8ZNMTM67VS" }),
	)
	if err != nil {
		log.Fatal(err)
	}
	// prepayID comes from UnifiedOrder with TradeTypeJSAPI.
	params, err := client.JSAPIPayParams("wx2017033010242291fcfe0db70013231072")
	if err != nil {
		log.Fatal(err)
	}
	// Send this to the page or mini program, which passes it to
	// wx.requestPayment or WeixinJSBridge.invoke('getBrandWCPayRequest', …).
	b, _ := json.MarshalIndent(params, "", "  ")
	fmt.Println(string(b))
	// Output:
	// {
	//   "appId": "wxd930ea5d5a258f4f",
	//   "timeStamp": "1490840662",
	//   "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
	//   "package": "prepay_id=wx2017033010242291fcfe0db70013231072",
	//   "signType": "MD5",
	//   "paySign": "A3C4993E71916E54AE93F5D2B1E888AF"
	// }
}

func ExampleClient_APPPayParams() {
	client, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		// Fixed only to make the output below reproducible; leave both out.
		wxpay.WithClock(func() time.Time { return time.Unix(1412000000, 0) }),
		wxpay.WithNonceFunc(func() string { return "5K8264ILTKCH16CQ2502SI8ZNMTM67VS" }),
	)
	if err != nil {
		log.Fatal(err)
	}
	// prepayID comes from UnifiedOrder with TradeTypeAPP.
	params, err := client.APPPayParams("wx201410272009395522657a690389285100")
	if err != nil {
		log.Fatal(err)
	}
	b, _ := json.Marshal(params) // the app fills the SDK's PayReq from it
	fmt.Println(string(b))
	// Output:
	// {"appid":"wxd930ea5d5a258f4f","partnerid":"10000100","prepayid":"wx201410272009395522657a690389285100","package":"Sign=WXPay","noncestr":"5K8264ILTKCH16CQ2502SI8ZNMTM67VS","timestamp":"1412000000","sign":"2919569F617B3B20A0A9E632811185FD"}
}
