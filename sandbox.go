package wxpay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// SandboxPrefix is the path prefix of one of WeChat's sandboxes.
type SandboxPrefix string

// Sandbox path prefixes for WithSandbox.
const (
	// SandboxXDC is the sandbox WeChat documents today (2025). It serves
	// the payment-code cases; unified order is not among them. Its failure
	// cases are chosen per call with NegativeTest.
	SandboxXDC SandboxPrefix = "/xdc/apiv2sandbox"
	// SandboxLegacy is the older sandbox, still configured by many setups.
	SandboxLegacy SandboxPrefix = "/sandboxnew"
)

// sandboxKeyTTL bounds how long a fetched sandbox key is used. WeChat
// does not document an expiry; a key WeChat stops accepting is also
// refetched at its first refusal.
const sandboxKeyTTL = 12 * time.Hour

// WithSandbox points the client at WeChat's sandbox under prefix
// (SandboxXDC or SandboxLegacy). The client fetches the sandbox sign key
// with the real API key at the first call, caches it, and then signs
// requests, verifies responses and notifies, and decrypts refund notifies
// with it, as the sandbox requires. The sandbox is MD5 only. Amounts are
// sent as given: the sandbox picks its test cases by amount, so choosing
// them is the caller's business.
//
// When WeChat refuses the sandbox key (签名错误), the key is fetched again
// and a call that is safe to repeat is sent once more; MicroPay, which is
// not, is never resent. An answer that fails our own verification is not
// a reason to resend: WeChat processed that request.
func WithSandbox(prefix SandboxPrefix) Option {
	return func(c *config) error {
		p := SandboxPrefix(strings.TrimRight(string(prefix), "/"))
		if !strings.HasPrefix(string(p), "/") {
			return fmt.Errorf("wxpay: WithSandbox: prefix %q does not start with /", prefix)
		}
		c.sandbox = p
		return nil
	}
}

type negativeTestKey struct{}

// NegativeTest returns a context under which a call in sandbox mode asks
// the sandbox for its failure case name, with the Wechatpay-Negative-Test
// header of the SandboxXDC sandbox. Outside sandbox mode the header is
// never sent.
func NegativeTest(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, negativeTestKey{}, name)
}

func negativeTest(ctx context.Context) string {
	name, _ := ctx.Value(negativeTestKey{}).(string)
	return name
}

// sandbox holds the sandbox mode of a Client and its cached key.
type sandbox struct {
	prefix SandboxPrefix

	mu      sync.Mutex
	signer  *signer // for the sandbox key; nil until fetched
	fetched time.Time
}

// keyPath is where the sign key is fetched for s's prefix.
func (s *sandbox) keyPath() string {
	if s.prefix == SandboxXDC {
		return "/xdc/apiv2getsignkey/sign/getsignkey"
	}
	return string(s.prefix) + "/pay/getsignkey"
}

// cached returns the signer of the cached sandbox key, or nil.
func (s *sandbox) cached() *signer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signer
}

// forget drops the cached key after WeChat refused it, so that the next
// call fetches a fresh one.
func (s *sandbox) forget() {
	s.mu.Lock()
	s.signer = nil
	s.mu.Unlock()
}

// sandboxSigner returns the signer of the sandbox key, fetching the key
// when there is none or it is old. Concurrent callers wait for one fetch.
func (c *Client) sandboxSigner(ctx context.Context) (*signer, error) {
	s := c.sandbox
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signer != nil && c.now().Sub(s.fetched) < sandboxKeyTTL {
		return s.signer, nil
	}
	fields := []wire.Field{{Name: "mch_id", Value: c.mchID}, {Name: "nonce_str", Value: c.nonce()}}
	fields = append(fields, wire.Field{Name: "sign", Value: string(c.signer.sign(nil, fields, SignTypeMD5))})
	resp, err := c.post(ctx, c.httpClient, c.base.String()+s.keyPath(), wire.AppendXML(nil, fields))
	if err != nil {
		return nil, fmt.Errorf("wxpay: fetching the sandbox sign key: %w", err)
	}
	defer closeBody(resp.Body)
	p, _, err := c.readMessage(resp)
	if err != nil {
		return nil, fmt.Errorf("wxpay: fetching the sandbox sign key: %w", err)
	}
	if p["return_code"] != "SUCCESS" {
		return nil, &Error{ReturnCode: p["return_code"], ReturnMsg: p["return_msg"]}
	}
	// The key answer is not documented as signed, and no SDK verifies it.
	// The key is checked all the same: every later response must verify
	// with it, and a wrong one fails closed.
	if v := p["mch_id"]; v != "" && v != c.mchID {
		return nil, fmt.Errorf("%w: sandbox key for mch_id %q", ErrMerchantMismatch, v)
	}
	key := p["sandbox_signkey"]
	if key == "" {
		return nil, errors.New("wxpay: sandbox answered without sandbox_signkey")
	}
	s.signer, s.fetched = newSigner(key, c.bufs), c.now()
	return s.signer, nil
}

// currentSigner is the signer notifies are verified and decrypted with,
// and client pay parameters signed with:
// the sandbox key's in sandbox mode, once it is known.
func (c *Client) currentSigner() *signer {
	if c.sandbox != nil {
		if s := c.sandbox.cached(); s != nil {
			return s
		}
	}
	return c.signer
}
