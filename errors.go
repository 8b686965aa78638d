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
	ReturnCode string // "SUCCESS" or "FAIL"
	ReturnMsg  string
	ResultCode string // "FAIL" for business failures, "" when ReturnCode is "FAIL"
	ErrCode    string // e.g. "ORDERPAID", "SYSTEMERROR"
	ErrCodeDes string

	// Raw is the verified response of a result_code failure, for fields
	// some calls add to it (reverse's recall, for one); nil for a
	// return_code failure, which is neither signed nor trusted.
	Raw Params
}

// Error says which layer failed and WeChat's code and text.
func (e *Error) Error() string {
	if e.ReturnCode != "SUCCESS" {
		return fmt.Sprintf("wxpay: return_code %s: %s", e.ReturnCode, e.ReturnMsg)
	}
	if e.ErrCodeDes != "" {
		return fmt.Sprintf("wxpay: %s: %s", e.ErrCode, e.ErrCodeDes)
	}
	return "wxpay: result_code FAIL: " + e.ErrCode
}

// Retryable reports whether WeChat documents e's code as transient: the
// same request (same out_trade_no or out_refund_no, same parameters) may
// succeed later, or, for USERPAYING and BANKERROR, the outcome is still
// open and must be followed with a query. Codes such as ORDERPAID,
// ORDERCLOSED, OUT_TRADE_NO_USED, NOTENOUGH or SIGNERROR are final, and so
// is every return_code FAIL: the request itself was wrong.
func (e *Error) Retryable() bool {
	if e.ReturnCode != "SUCCESS" {
		return false
	}
	switch e.ErrCode {
	case "SYSTEMERROR", "BANKERROR", "USERPAYING", "BIZERR_NEED_RETRY", "FREQUENCY_LIMITED", "FREQ_LIMIT":
		return true
	}
	return false
}

// resendable reports whether the pipeline may resend the very request
// that failed with e: unlike USERPAYING and BANKERROR, which call for a
// query, these codes ask for the same call again.
func (e *Error) resendable() bool {
	return e.Retryable() && e.ErrCode != "USERPAYING" && e.ErrCode != "BANKERROR"
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
