package wxpay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Sandbox path prefixes for WithSandbox.
const (
	// SandboxXDC is the sandbox WeChat documents today (2025). It serves
	// the payment-code cases; unified order is not among them.
	SandboxXDC = "/xdc/apiv2sandbox"
	// SandboxLegacy is the older sandbox, still configured by many setups.
	SandboxLegacy = "/sandboxnew"
)

// sandboxKeyTTL bounds how long a fetched sandbox key is used. WeChat
// does not document an expiry; a key that stopped working is also
// refetched at the first signature failure.
const sandboxKeyTTL = 12 * time.Hour

// WithSandbox points the client at WeChat's sandbox under prefix
// (SandboxXDC or SandboxLegacy). The client fetches the sandbox sign key
// with the real API key at the first call, caches it, and then signs
// requests, verifies responses and notifies, and decrypts refund notifies
// with it, as the sandbox requires. The sandbox is MD5 only. Amounts are
// sent as given: the sandbox picks its test cases by amount, so choosing
// them is the caller's business.
func WithSandbox(prefix string) Option {
	return func(c *Client) { c.sandbox = &sandbox{prefix: trimSlash(prefix)} }
}

// sandbox holds the sandbox mode of a Client and its cached key.
type sandbox struct {
	prefix string

	mu      sync.Mutex
	key     string
	fetched time.Time
}

// keyPath is where the sign key is fetched for s's prefix.
func (s *sandbox) keyPath() string {
	if s.prefix == SandboxXDC {
		return "/xdc/apiv2getsignkey/sign/getsignkey"
	}
	return s.prefix + "/pay/getsignkey"
}

// cachedKey returns the sandbox key if one is cached.
func (s *sandbox) cachedKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key
}

// forget drops the cached key after a signature failure, so that the
// next call fetches a fresh one.
func (s *sandbox) forget() {
	s.mu.Lock()
	s.key = ""
	s.mu.Unlock()
}

// sandboxKey returns the cached sandbox key, fetching it when there is
// none or it is old. Concurrent callers wait for one fetch.
func (c *Client) sandboxKey(ctx context.Context) (string, error) {
	s := c.sandbox
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != "" && c.now().Sub(s.fetched) < sandboxKeyTTL {
		return s.key, nil
	}
	req := Params{"mch_id": c.mchID, "nonce_str": c.nonce()}
	sign, err := Sign(req, c.apiKey, SignTypeMD5)
	if err != nil {
		return "", err
	}
	req["sign"] = sign
	hc := c.httpClient
	if hc == nil {
		hc = defaultHTTPClient()
	}
	p, err := c.post(ctx, hc, endpointURL(c.base, s.keyPath()), req.AppendXML(nil))
	if err != nil {
		return "", fmt.Errorf("wxpay: fetching the sandbox sign key: %w", err)
	}
	if p["return_code"] != "SUCCESS" {
		return "", &Error{ReturnCode: p["return_code"], ReturnMsg: p["return_msg"]}
	}
	// The key answer is not documented as signed, and no SDK verifies it.
	// The key is checked all the same: every later response must verify
	// with it, and a wrong one fails closed.
	if v := p["mch_id"]; v != "" && v != c.mchID {
		return "", fmt.Errorf("%w: sandbox key for mch_id %q", ErrMerchantMismatch, v)
	}
	key := p["sandbox_signkey"]
	if key == "" {
		return "", errors.New("wxpay: sandbox answered without sandbox_signkey")
	}
	s.key, s.fetched = key, c.now()
	return key, nil
}
