package wxpaytest

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/wxpay-go/wxpay"
)

// CodeBehavior is how the payer behind a payment code (auth_code) answers
// a payment-code payment, for SetCodeBehavior. The zero CodeBehavior is
// the default: micropay succeeds at once.
type CodeBehavior struct {
	// ErrCode is micropay's answer; "" pays at once. USERPAYING (the
	// payer must enter a password), SYSTEMERROR and BANKERROR (the outcome
	// is unknown) create the order as USERPAYING, to be ended by Then, by
	// Pay or by a reversal. Any other code (AUTHCODEEXPIRE, NOTENOUGH,
	// NOTSUPORTCARD, BUYER_MISMATCH, …) refuses the payment and creates no
	// order; AUTHCODEEXPIRE, AUTH_CODE_ERROR and AUTH_CODE_INVALID also
	// refuse authcodetoopenid.
	ErrCode string

	// Then is the state a USERPAYING order reaches by itself, seen by the
	// order query after AfterQueries queries that still answered
	// USERPAYING (0: the first query sees it): wxpay.TradeStateSuccess,
	// the payer paid, or wxpay.TradeStatePayError, the payment failed. ""
	// leaves the order USERPAYING until Pay or a reversal.
	Then         wxpay.TradeState
	AfterQueries int

	// Recalls is the number of reversals of the order answered
	// result_code FAIL, SYSTEMERROR with recall=Y before one is done.
	Recalls int

	// Payment is how the payer pays (payer, bank, coupons). The default
	// OpenID (and SubOpenID, under a sub_appid) is the one
	// authcodetoopenid gives for the code; TimeEnd defaults to the time
	// of payment; SkipNotify does not apply (payment codes have no
	// notify).
	Payment Payment
}

// SetCodeBehavior sets how micropay, the order queries and the reversals
// of orders paid with authCode behave. An empty authCode sets the
// behavior of every code without one of its own.
//
// Without a behavior, any payment code pays at once. A code that paid an
// order is spent: micropay with it under another out_trade_no, and
// authcodetoopenid, answer AUTHCODEEXPIRE, as at WeChat, whose codes
// change every minute. A code that is not 18 digits starting with 10 to
// 15 is answered AUTH_CODE_INVALID whatever its behavior, so setting one
// for it is an error; so are a Then other than "", SUCCESS or PAYERROR,
// negative counts and coupons without an ID or a positive Fee.
func (s *Server) SetCodeBehavior(authCode string, b CodeBehavior) error {
	switch {
	case authCode != "" && !validAuthCode(authCode):
		return fmt.Errorf("wxpaytest: SetCodeBehavior: %q is not a payment code (18 digits starting with 10 to 15)", authCode)
	case b.Then != "" && b.Then != wxpay.TradeStateSuccess && b.Then != wxpay.TradeStatePayError:
		return fmt.Errorf("wxpaytest: SetCodeBehavior: Then %q is not SUCCESS or PAYERROR", b.Then)
	case b.AfterQueries < 0 || b.Recalls < 0:
		return fmt.Errorf("wxpaytest: SetCodeBehavior: negative AfterQueries or Recalls")
	}
	if _, err := checkCoupons(b.Payment.Coupons); err != nil {
		return err
	}
	b.Payment.Coupons = append([]wxpay.Coupon(nil), b.Payment.Coupons...)
	s.mu.Lock()
	s.st.codes[authCode] = b
	s.mu.Unlock()
	s.persist()
	return nil
}

// behavior is the CodeBehavior of authCode.
func (s *Server) behavior(authCode string) CodeBehavior {
	if b, ok := negativeBehaviors[s.negative]; ok {
		return b
	}
	if b, ok := s.st.codes[authCode]; ok {
		return b
	}
	return s.st.codes[""]
}

// validAuthCode reports whether code has the form of a WeChat payment
// code: 18 digits, starting with 10 to 15.
func validAuthCode(code string) bool {
	if len(code) != 18 || code[0] != '1' || code[1] > '5' {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// codeErrDes are the err_code_des of the payment-code refusals, as WeChat
// words them.
var codeErrDes = map[string]string{
	"USERPAYING":        "需要用户输入支付密码",
	"SYSTEMERROR":       "系统超时",
	"BANKERROR":         "银行系统异常",
	"AUTHCODEEXPIRE":    "二维码已过期，请用户在微信上刷新后再试",
	"AUTH_CODE_INVALID": "请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)",
	"AUTH_CODE_ERROR":   "授权码参数错误",
	"NOTENOUGH":         "余额不足",
	"NOTSUPORTCARD":     "不支持卡类型",
	"BUYER_MISMATCH":    "支付帐号错误",
	"TRADE_ERROR":       "交易错误",
	"ORDERREVERSED":     "订单已撤销",
}

// codeRefusal is a payment-code refusal with its usual description.
func codeRefusal(code string) answer {
	des := codeErrDes[code]
	if des == "" {
		des = code
	}
	return refuse(code, des)
}

// codeOpenID is the openid under app of the payer of code: stable, so
// that authcodetoopenid and micropay agree.
func codeOpenID(app, code string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
	sum := sha256.Sum256([]byte(app + "\x00" + code))
	b := []byte("oUpF8u")
	for _, c := range sum[:22] {
		b = append(b, alphabet[c&63])
	}
	return string(b)
}

func (s *Server) microPay(p wxpay.Params) answer {
	fee, ans, ok := checkOrder(p)
	if !ok {
		return ans
	}
	code := p["auth_code"]
	if !validAuthCode(code) {
		return codeRefusal("AUTH_CODE_INVALID")
	}
	no := p["out_trade_no"]
	if o := s.st.orders[no]; o != nil {
		if !o.ownedBy(p) || o.authCode == "" {
			return refuse("OUT_TRADE_NO_USED", "商户订单号重复")
		}
		switch o.state {
		case wxpay.TradeStateSuccess, wxpay.TradeStateRefund:
			return refuse("ORDERPAID", "订单已支付")
		case wxpay.TradeStateRevoked:
			return codeRefusal("ORDERREVERSED")
		case wxpay.TradeStateClosed:
			return refuse("ORDERCLOSED", "订单已关闭")
		case wxpay.TradeStateUserPaying:
			return codeRefusal("USERPAYING")
		}
		// PAYERROR: the payment failed and may be tried again, with
		// another code.
	}
	if s.st.spent[code] {
		return codeRefusal("AUTHCODEEXPIRE")
	}

	b := s.behavior(code)
	req := businessFields(p)
	req["trade_type"] = string(wxpay.TradeTypeMicroPay)
	o := &order{req: req, signType: signTypeOf(p), totalFee: fee, created: s.cfg.now(), authCode: code, code: b}
	pm := &o.code.Payment
	if pm.OpenID == "" {
		pm.OpenID = codeOpenID(p["appid"], code)
	}
	if pm.SubOpenID == "" && p["sub_appid"] != "" {
		pm.SubOpenID = codeOpenID(p["sub_appid"], code)
	}
	if err := o.checkPayment(*pm); err != nil {
		return reject(err.Error()) // the test's CodeBehavior does not fit the order
	}
	switch b.ErrCode {
	case "":
		s.st.orders[no] = o
		s.completePayment(o, *pm, o.created)
		return success(o.paymentFields())
	case "USERPAYING", "SYSTEMERROR", "BANKERROR":
		o.state = wxpay.TradeStateUserPaying
		s.st.orders[no] = o
	}
	return codeRefusal(b.ErrCode)
}

// advanceCode moves a USERPAYING order on at an order query, as its
// CodeBehavior says.
func (s *Server) advanceCode(o *order) {
	if o.code.Then == "" {
		return
	}
	if o.queries < o.code.AfterQueries {
		o.queries++
		return
	}
	if o.code.Then == wxpay.TradeStatePayError {
		o.state = wxpay.TradeStatePayError
		return
	}
	s.completePayment(o, o.code.Payment, s.cfg.now())
}

// reverseWindow is how long after its creation a payment-code order can
// be reversed.
const reverseWindow = 7 * 24 * time.Hour

func (s *Server) reverse(p wxpay.Params) answer {
	o := s.findOrder(p)
	switch {
	case o == nil:
		return refuse("ORDERNOTEXIST", "订单不存在")
	case o.authCode == "":
		return refuse("INVALID_REQUEST", "订单支付场景不正确，拒绝请求: 只能撤销付款码支付的订单")
	case s.cfg.now().Sub(o.created) > reverseWindow:
		return refuse("REVERSE_EXPIRE", "订单已超过7天的撤销有效期, 请调用申请退款")
	case o.reversals < o.code.Recalls:
		o.reversals++
		ans := refuse("SYSTEMERROR", "系统繁忙, 请再次调用撤销")
		ans.fields = wxpay.Params{"recall": "Y"}
		return ans
	case o.state == wxpay.TradeStateRefund:
		return refuse("INVALID_REQUEST", "订单已发生退款, 不能撤销, 请调用申请退款")
	}
	// Unpaid, it is closed; paid, the payer gets the money back. Either
	// way WeChat calls it REVOKED, and it is in no bill.
	o.reversals++
	o.state = wxpay.TradeStateRevoked
	return success(wxpay.Params{"recall": "N"})
}

func (s *Server) authCodeToOpenID(p wxpay.Params) answer {
	code := p["auth_code"]
	if !validAuthCode(code) {
		return codeRefusal("AUTH_CODE_INVALID")
	}
	b := s.behavior(code)
	switch {
	case s.st.spent[code]:
		return codeRefusal("AUTHCODEEXPIRE")
	case b.ErrCode == "AUTHCODEEXPIRE", b.ErrCode == "AUTH_CODE_ERROR", b.ErrCode == "AUTH_CODE_INVALID":
		return codeRefusal(b.ErrCode)
	}
	q := wxpay.Params{"openid": b.Payment.OpenID}
	if q["openid"] == "" {
		q["openid"] = codeOpenID(p["appid"], code)
	}
	if app := p["sub_appid"]; app != "" {
		q["sub_openid"] = b.Payment.SubOpenID
		if q["sub_openid"] == "" {
			q["sub_openid"] = codeOpenID(app, code)
		}
	}
	return success(q)
}
