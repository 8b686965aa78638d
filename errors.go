package wxpay

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a failure WeChat Pay reported in a response: return_code FAIL
// (the request was not accepted; ReturnMsg says why) or result_code FAIL
// (the business operation failed; ErrCode and ErrCodeDes say why). A
// result_code failure is only reported after the response's signature was
// verified. Use errors.As to get at it.
type Error struct {
	ReturnCode string     // "SUCCESS" or "FAIL"
	ReturnMsg  string     // why the request was not accepted, when ReturnCode is "FAIL"
	ResultCode ResultCode // ResultFail for business failures, "" when ReturnCode is "FAIL"
	ErrCode    string     // e.g. ErrCodeOrderPaid, ErrCodeSystemError
	ErrCodeDes string

	// Raw is the verified response of a result_code failure, for fields
	// some calls add to it (reverse's recall, for one); nil for a
	// return_code failure, which is neither signed nor trusted.
	Raw Params
}

// ResultCode is the business layer's verdict, result_code.
type ResultCode string

// The values of result_code.
const (
	ResultSuccess ResultCode = "SUCCESS"
	ResultFail    ResultCode = "FAIL"
)

// The err_code values the package itself acts on, for comparing with
// Error.ErrCode.
const (
	ErrCodeSystemError      = "SYSTEMERROR"       // WeChat's fault: resend the same request
	ErrCodeNeedRetry        = "BIZERR_NEED_RETRY" // refund: resend the same request
	ErrCodeFrequencyLimited = "FREQUENCY_LIMITED" // rate limited: resend later
	ErrCodeFreqLimit        = "FREQ_LIMIT"        // the same, as some endpoints spell it
	ErrCodeUserPaying       = "USERPAYING"        // payment code: the payer is entering the password; query
	ErrCodeBankError        = "BANKERROR"         // payment code: the bank's outcome is unknown; query
	ErrCodeOrderPaid        = "ORDERPAID"         // the order is paid: treat as paid
	ErrCodeOrderClosed      = "ORDERCLOSED"       // the order is closed
	ErrCodeOrderNotExist    = "ORDERNOTEXIST"     // WeChat does not know the order
	ErrCodeSignError        = "SIGNERROR"         // WeChat could not verify the request's sign
	ErrCodeProcessing       = "PROCESSING"        // a payout or red packet is being processed; query
	ErrCodeNotEnough        = "NOTENOUGH"         // the balance does not cover it
	ErrCodeNoAuth           = "NOAUTH"            // no permission: e.g. a profit-sharing receiver that was not added
	ErrCodeNotFound         = "NOT_FOUND"         // red packet or payout query: WeChat has no record of that number
	ErrCodeSendFailed       = "SEND_FAILED"       // payout: the outcome is the query's, never a new number
	ErrCodeCouponSendFailed = "FAILED"            // coupon send: ret_code of a refusal for the openid (final; ErrCodeDes is ret_msg)
)

// ErrSignRefused matches (with errors.Is) an *Error in which WeChat says
// it could not verify our request's sign (签名错误): the API key, the sign
// type or, in sandbox mode, the sandbox key is not the one WeChat has.
var ErrSignRefused = errors.New("wxpay: WeChat refused the request's sign")

// Error says which layer failed and WeChat's code and text.
func (e *Error) Error() string {
	var s string
	switch {
	case e.ReturnCode != "SUCCESS":
		s = fmt.Sprintf("wxpay: return_code %s: %s", e.ReturnCode, e.ReturnMsg)
	case e.ErrCodeDes != "":
		s = fmt.Sprintf("wxpay: %s: %s", e.ErrCode, e.ErrCodeDes)
	default:
		s = "wxpay: result_code FAIL: " + e.ErrCode
	}
	if e.signRefused() {
		s += " (WeChat could not verify the sign: check that the API key is the merchant platform's 32-character v2 key," +
			" that the sign type is one the endpoint takes, and in sandbox mode that the sandbox key is current;" +
			" `wxpay verify` shows how a message is signed)"
	}
	return s
}

// Is reports whether target is ErrSignRefused and e is WeChat's refusal
// of the request's sign.
func (e *Error) Is(target error) bool { return target == ErrSignRefused && e.signRefused() }

func (e *Error) signRefused() bool {
	if e.ErrCode == ErrCodeSignError {
		return true
	}
	msg := strings.ToLower(e.ReturnMsg)
	return e.ReturnCode != "SUCCESS" && (strings.Contains(msg, "签名") || strings.Contains(msg, "sign"))
}

// Retryable reports whether WeChat documents e's code as transient:
// either Resend or OutcomeUnknown reports true. Codes such as ORDERPAID,
// ORDERCLOSED, OUT_TRADE_NO_USED, NOTENOUGH or SIGNERROR are final, and so
// is every return_code FAIL: the request itself was wrong.
func (e *Error) Retryable() bool { return e.Resend() || e.OutcomeUnknown() }

// Resend reports whether WeChat asks for the very same request again
// (same out_trade_no or out_refund_no, same parameters), now or after a
// pause: SYSTEMERROR, BIZERR_NEED_RETRY, FREQUENCY_LIMITED. WithRetry
// resends these for the calls that are safe to repeat. MicroPay is not one:
// after its SYSTEMERROR the payment is open and is settled by querying,
// never by paying again (PayByCode does it).
func (e *Error) Resend() bool {
	if e.ReturnCode != "SUCCESS" {
		return false
	}
	switch e.ErrCode {
	case ErrCodeSystemError, ErrCodeNeedRetry, ErrCodeFrequencyLimited, ErrCodeFreqLimit:
		return true
	}
	return false
}

// OutcomeUnknown reports whether the operation may or may not have
// happened, so that it must be followed with a query before anything is
// sent again: USERPAYING and BANKERROR (payment codes), PROCESSING
// (payouts, red packets).
func (e *Error) OutcomeUnknown() bool {
	if e.ReturnCode != "SUCCESS" {
		return false
	}
	switch e.ErrCode {
	case ErrCodeUserPaying, ErrCodeBankError, ErrCodeProcessing:
		return true
	}
	return false
}

// ValidationError reports a request the client refused to send because a
// field is missing or malformed. No network call was made.
type ValidationError struct {
	Field  string // wire name of the field, e.g. "out_trade_no"
	Reason string
}

// Error names the field and what is wrong with it.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("wxpay: invalid request: %s %s", e.Field, e.Reason)
}

// HTTPError reports an HTTP answer that is not a v2 XML message: a status
// other than 200, or a gateway's HTML page.
type HTTPError struct {
	StatusCode  int
	ContentType string
	Location    string // the target of a redirect, which is never followed
	Body        []byte // the start of the body, for logs
}

// Error gives the status, the content type and the start of the body.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("wxpay: unexpected HTTP response: status %d, %s: %q",
		e.StatusCode, e.ContentType, truncate(strings.TrimSpace(string(e.Body)), 64))
}

// FieldError reports a field of a verified message whose value does not
// have the documented form, such as a fee that is not a whole number of fen.
type FieldError struct {
	Field string
	Value string
	Err   error
}

// Error names the field, its value and why it was refused.
func (e *FieldError) Error() string {
	return fmt.Sprintf("wxpay: field %s=%q: %v", e.Field, truncate(e.Value, 40), e.Err)
}

// Unwrap returns the reason, for errors.Is.
func (e *FieldError) Unwrap() error { return e.Err }

var (
	// ErrNoCertificate is returned, before any network call, by calls that
	// need the merchant's client certificate (refund, reverse, fund flow)
	// on a Client created without WithCertPEM, WithCertFiles or WithCertP12.
	ErrNoCertificate = errors.New("wxpay: this call needs the merchant client certificate (WithCertPEM, WithCertFiles or WithCertP12)")

	// ErrMerchantMismatch is returned (wrapped) for a signed message whose
	// appid or mch_id is not the client's.
	ErrMerchantMismatch = errors.New("wxpay: message is for another merchant")

	// ErrDecrypt is returned (wrapped) when a refund notify's req_info does
	// not decrypt with the client's API key.
	ErrDecrypt = errors.New("wxpay: req_info does not decrypt")
)

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
