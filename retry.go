package wxpay

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// BackupBaseURL is the disaster-recovery domain WeChat asks merchants to
// switch to when the primary domain cannot be reached.
const BackupBaseURL = "https://api2.mch.weixin.qq.com"

// RetryPolicy says how often and how patiently a call is resent. Only
// calls WeChat documents as safe to repeat are ever resent: unified order
// (same out_trade_no, same parameters), order query, close order, refund
// (same out_refund_no), refund query, bills, reverse. Payment-code
// MicroPay is not: its uncertain outcomes are settled by querying.
//
// A call is resent after a network error, an HTTP 5xx answer, or a
// business answer WeChat documents as "call again with the same
// parameters" (SYSTEMERROR, BIZERR_NEED_RETRY, FREQUENCY_LIMITED). Each
// attempt gets a fresh nonce_str and sign; the business fields are the
// same, which is what makes the repeat idempotent on WeChat's side.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts including the first; 0 means
	// 3 and 1 disables retries.
	MaxAttempts int
	// BaseDelay is the wait before the second attempt, doubled for each
	// later one, with jitter; 0 means 200ms.
	BaseDelay time.Duration
	// MaxDelay caps the wait between attempts; 0 means 3s.
	MaxDelay time.Duration
}

// WithRetry makes the client resend failed idempotent calls as p says.
// Retries are off by default: a payment backend should decide itself to
// spend more time inside a request, and usually already retries whole
// jobs. Waits never outlast the call's context: when the next wait would
// end after its deadline, the last error is returned at once.
func WithRetry(p RetryPolicy) Option {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 3
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 3 * time.Second
	}
	return func(c *config) error {
		if p.MaxAttempts < 0 {
			return fmt.Errorf("wxpay: WithRetry: MaxAttempts %d is negative", p.MaxAttempts)
		}
		c.retry = p
		return nil
	}
}

// WithBackupBaseURL sets the domain a retry goes to after a network-level
// failure of the primary one (and back again after a failure there). The
// default is BackupBaseURL when the base URL is DefaultBaseURL, and none
// otherwise; "" turns failover off. It takes effect only with WithRetry.
func WithBackupBaseURL(u string) Option {
	return func(c *config) error { c.backupURL, c.backupSet = strings.TrimRight(u, "/"), true; return nil }
}

// delay returns the wait before attempt n+1 (n ≥ 1): exponential, capped,
// with "equal jitter" (half fixed, half random) so that many clients that
// failed together do not retry together.
func (p RetryPolicy) delay(n int) time.Duration {
	d := p.BaseDelay << min(n-1, 30)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d unless ctx ends first or its deadline falls within d.
func sleep(ctx context.Context, d time.Duration) bool {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// transportError marks a failure to exchange bytes with the server at all:
// the case for trying the backup domain.
type transportError struct{ err error }

func (e *transportError) Error() string { return "wxpay: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// shouldRetry reports whether err, from an idempotent call, is worth
// another attempt.
func shouldRetry(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var te *transportError
	var he *HTTPError
	var we *Error
	switch {
	case errors.As(err, &te):
		return true
	case errors.As(err, &he):
		return he.StatusCode >= http.StatusInternalServerError
	case errors.As(err, &we):
		return we.Resend()
	}
	return false
}
