package wxpaytest

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/wxpay-go/wxpay"
)

// WithSandbox makes the server WeChat's sandbox (spec §4.7) instead of
// the production API. It serves the API under both sandbox prefixes,
// wxpay.SandboxLegacy ("/sandboxnew/pay/orderquery", …) and
// wxpay.SandboxXDC ("/xdc/apiv2sandbox/pay/orderquery", …), and no
// longer without one (404). It hands out a sandbox key (SandboxKey) at
// /sandboxnew/pay/getsignkey and /xdc/apiv2getsignkey/sign/getsignkey to
// a request of mch_id, nonce_str and sign, signed with MD5 and the real
// API key. Every other request must then be signed with MD5 and the
// sandbox key; HMAC-SHA256 is refused, as the sandbox only knows MD5.
// Answers and payment notifies are signed, and refund notifies
// encrypted, with the sandbox key.
//
// With WithMerchant, every merchant is handed the same sandbox key.
//
// Unlike WeChat's, this sandbox runs every call with the server's
// ordinary rules: no test cases chosen by amount, and unified order works
// under the XDC prefix too (WeChat's XDC sandbox only serves payment-code
// cases).
func WithSandbox() Option { return func(c *config) { c.sandbox = true } }

// sandboxMD5Only is the refusal of a sandbox request signed otherwise.
const sandboxMD5Only = "sign_type参数错误: 沙箱环境只支持MD5签名"

// sandboxPrefixes are the sandbox's API path prefixes.
var sandboxPrefixes = [...]string{string(wxpay.SandboxLegacy), string(wxpay.SandboxXDC)}

// sandboxAliases are the other paths some SDKs use in the sandbox for an
// API path (spec §10: the sandbox refund path conflict).
var sandboxAliases = map[string]string{"/pay/refund": "/secapi/pay/refund"}

// sandboxKeyPaths serve the sandbox key, under their full path.
var sandboxKeyPaths = map[string]bool{
	string(wxpay.SandboxLegacy) + "/pay/getsignkey": true,
	"/xdc/apiv2getsignkey/sign/getsignkey":          true,
}

// route resolves a request path. Without WithSandbox the API paths are
// served as they are, with the API key; with it, only under a sandbox
// prefix, with the sandbox key.
func (s *Server) route(urlPath string) (route, bool) {
	if !s.cfg.sandbox {
		ep, ok := s.endpoint(urlPath)
		return route{endpoint: ep, path: urlPath}, ok // key: the merchant's, once process knows it
	}
	if sandboxKeyPaths[urlPath] {
		return route{endpoint: endpoint{keyFetch: true}, path: urlPath, sandbox: true}, true
	}
	for _, prefix := range sandboxPrefixes {
		if rest, ok := strings.CutPrefix(urlPath, prefix); ok {
			if alias := sandboxAliases[rest]; alias != "" {
				rest = alias
			}
			ep, ok := s.endpoint(rest)
			return route{endpoint: ep, path: rest, key: s.SandboxKey(), sandbox: true}, ok
		}
	}
	return route{}, false
}

// SandboxKey returns the sandbox key (sandbox_signkey) the server hands
// out: 32 lower-case hex digits, new for each server. It is "" without
// WithSandbox.
func (s *Server) SandboxKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sandboxKey
}

// RotateSandboxKey replaces the sandbox key, as when WeChat's changes,
// and returns the new one. Requests signed with the old key are then
// answered 签名错误, and notifies are signed with the new key; a wxpay
// client fetches the new key when a call is refused so. Without
// WithSandbox it does nothing and returns "".
func (s *Server) RotateSandboxKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.sandbox {
		s.sandboxKey = newSandboxKey()
	}
	return s.sandboxKey
}

// notifyKeyLocked is the key the notifies of m are signed and encrypted
// with. s.mu must be held.
func (s *Server) notifyKeyLocked(m *merchant) string {
	if s.cfg.sandbox {
		return s.sandboxKey
	}
	return m.apiKey
}

func newSandboxKey() string {
	var b [16]byte
	rand.Read(b[:]) // never fails since Go 1.24; the zero key would still be a key
	return hex.EncodeToString(b[:])
}

// sandboxKeyAnswer answers getsignkey: a message of mch_id, nonce_str
// and sign, MD5-signed with the real API key, answered, unsigned, with
// the sandbox key.
func (s *Server) sandboxKeyAnswer(p wxpay.Params) answer {
	for _, f := range [...]string{"mch_id", "nonce_str", "sign"} {
		if p[f] == "" {
			return missing(f)
		}
	}
	m := s.merchants[p["mch_id"]]
	if m == nil {
		return reject("商户号mch_id不存在")
	}
	if signTypeOf(p) != wxpay.SignTypeMD5 {
		return reject(sandboxMD5Only)
	}
	if !verifies(p, m.apiKey) {
		return reject("签名错误")
	}
	return answer{raw: wxpay.Params{
		"return_code": "SUCCESS", "return_msg": "ok", "mch_id": m.mchID, "sandbox_signkey": s.SandboxKey(),
	}}
}
