package wxpay

import (
	"errors"
	"strings"
)

// Money-moving calls keyed by a merchant number (red packets, coupons,
// payouts) are sent once per number by WeChat. After an answer that does
// not settle the outcome the number must be kept: the money may have
// moved. outcomeSettled tells such answers from those that prove nothing
// happened.

// outcomeSettled reports whether err proves that WeChat did not carry out
// the request: a request refused before sending, a refusal of the request
// itself (return_code FAIL other than "busy", a sign WeChat could not
// verify), or a business failure whose code is final. open lists the
// err_codes that leave the outcome open besides SYSTEMERROR and
// PROCESSING. Anything else (a network failure, an answer that fails
// verification or does not parse) leaves the outcome open.
func outcomeSettled(err error, open ...string) bool {
	var ve *ValidationError
	if err == nil || errors.As(err, &ve) || errors.Is(err, ErrNoCertificate) || errors.Is(err, ErrNoClient) || errors.Is(err, ErrSignRefused) {
		return true
	}
	var we *Error
	if !errors.As(err, &we) {
		return false
	}
	if we.ReturnCode != "SUCCESS" {
		return !strings.Contains(we.ReturnMsg, "SYSTEMERROR") && !strings.Contains(we.ReturnMsg, "系统繁忙")
	}
	switch we.ErrCode {
	case ErrCodeSystemError, ErrCodeProcessing:
		return false
	}
	for _, code := range open {
		if we.ErrCode == code {
			return false
		}
	}
	return true
}
