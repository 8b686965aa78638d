package wxpaytest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/wxpay-go/wxpay"
)

// NegativeTestHeader is the request header with which WeChat's XDC
// sandbox picks a failure case (异常用例); wxpay.NegativeTest sends it.
const NegativeTestHeader = "Wechatpay-Negative-Test"

// NegativeTests are the failure cases a WithSandbox server plays when a
// request under a sandbox prefix carries NegativeTestHeader, those of
// WeChat's payment-code sandbox (付款码支付异常用例集):
//
//   - MICROPAY_USERPAYING: the payer has not finished paying. micropay
//     answers USERPAYING and the order stays USERPAYING, to be settled by
//     Pay or by a reversal.
//   - MICROPAY_TIMEOUT: the payer paid, but micropay's answer never
//     comes (the connection is closed); the order query shows SUCCESS.
//   - MICROPAY_PAYERROR: the payment failed, and micropay's answer never
//     comes; the order query shows PAYERROR.
//   - MICROPAY_PAY_QUERY_TIMEOUT: micropay's answer never comes and the
//     order stays USERPAYING; the order queries made with the header get
//     no answer either, so the cashier must reverse.
//
// The cases apply to /pay/micropay and, for MICROPAY_PAY_QUERY_TIMEOUT,
// /pay/orderquery; other paths ignore a known case. A name not listed is
// refused with return_code FAIL, so that a misspelt case fails the test
// instead of passing quietly. Outside sandbox mode the header is ignored,
// as at WeChat's production API.
var NegativeTests = []string{"MICROPAY_USERPAYING", "MICROPAY_TIMEOUT", "MICROPAY_PAYERROR", "MICROPAY_PAY_QUERY_TIMEOUT"}

// negativeBehaviors are how the payer behaves in each case's micropay.
var negativeBehaviors = map[string]CodeBehavior{
	"MICROPAY_USERPAYING":        {ErrCode: "USERPAYING"},
	"MICROPAY_TIMEOUT":           {},
	"MICROPAY_PAYERROR":          {ErrCode: "USERPAYING", Then: wxpay.TradeStatePayError},
	"MICROPAY_PAY_QUERY_TIMEOUT": {ErrCode: "USERPAYING"},
}

// negativeCase is the case a sandbox request asks for, or "".
func negativeCase(rt *route, r *http.Request) string {
	if !rt.sandbox {
		return ""
	}
	return strings.TrimSpace(r.Header.Get(NegativeTestHeader))
}

// negativeFault is how the answer of the case a request asks for is
// spoilt: a hang-up where WeChat's answer times out, a refusal for an
// unknown case, nil otherwise.
func negativeFault(rt *route, r *http.Request) *Fault {
	name := negativeCase(rt, r)
	switch {
	case name == "" || rt.keyFetch:
		return nil
	case !slices.Contains(NegativeTests, name):
		return &Fault{ReturnMsg: NegativeTestHeader + ": 未知的异常用例 " + name + " (known: " + strings.Join(NegativeTests, ", ") + ")"}
	case rt.path == "/pay/micropay" && name != "MICROPAY_USERPAYING",
		rt.path == "/pay/orderquery" && name == "MICROPAY_PAY_QUERY_TIMEOUT":
		return &Fault{Hangup: true}
	}
	return nil
}
