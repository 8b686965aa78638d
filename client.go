package wxpay

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultBaseURL is the v2 API's primary domain.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// Client calls the WeChat Pay v2 API for one merchant. It holds the app
// id, merchant id, API key and, for refunds, the client certificate. A
// Client is safe for concurrent use and should be reused: it keeps no
// per-call state.
type Client struct {
	appID    string
	mchID    string
	apiKey   string
	signType SignType
	baseURL  string
	base     *url.URL // baseURL, parsed by NewClient

	httpClient *http.Client // nil: http.DefaultClient, looked up per call
	cert       *tls.Certificate
	certHTTP   *http.Client // presents cert; built by NewClient
	certErr    error        // from a cert option, reported by NewClient

	nonce func() string
	now   func() time.Time

	retry     RetryPolicy
	backupURL string
	backup    *url.URL // backupURL, parsed by NewClient; nil for none
	backupSet bool     // WithBackupBaseURL was given, even as ""
	logger    *slog.Logger
	sandbox   *sandbox

	subAppID string
	subMchID string
}

// Option configures a Client in NewClient.
type Option func(*Client)

// WithHTTPClient makes the client send every request through hc, for
// timeouts, proxies, custom roots or test transports. Calls that need the
// client certificate use a copy of hc whose *http.Transport also presents
// the certificate; hc itself is never modified.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithBaseURL replaces DefaultBaseURL, e.g. with a wxpaytest server's URL.
// It must be an absolute http or https URL without a query; it may have a
// path, under which the API's paths go. NewClient rejects any other.
func WithBaseURL(u string) Option {
	return func(c *Client) { c.baseURL = trimSlash(u) }
}

func trimSlash(u string) string { return strings.TrimRight(u, "/") }

// WithSignType selects the sign type of requests, and so of the responses
// to them and of the client pay parameters. The default is SignTypeMD5,
// WeChat's own default.
func WithSignType(t SignType) Option { return func(c *Client) { c.signType = t } }

// WithNonceFunc replaces the random nonce_str generator (32 characters
// from crypto/rand), so that tests can compare exact request bytes. fn
// must return at most 32 characters.
func WithNonceFunc(fn func() string) Option { return func(c *Client) { c.nonce = fn } }

// WithClock replaces time.Now for the timestamps the client writes, such
// as timeStamp in the JSAPI pay parameters.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithSubMerchant puts the client in service-provider (服务商) mode: appID
// and mchID are the provider's, and every call also carries sub_mch_id
// and, when not empty, sub_appid. Notifies must name the same
// sub-merchant, and the JSAPI pay parameters are signed for subAppID when
// it is set, since the mini program or official account is then the
// sub-merchant's. For several sub-merchants, derive one Client each with
// ForSubMerchant.
func WithSubMerchant(subAppID, subMchID string) Option {
	return func(c *Client) { c.subAppID, c.subMchID = subAppID, subMchID }
}

// ForSubMerchant returns a copy of c acting for another sub-merchant, as
// WithSubMerchant sets it. The copy shares c's connections and settings.
func (c *Client) ForSubMerchant(subAppID, subMchID string) (*Client, error) {
	if subMchID == "" || strings.TrimSpace(subMchID) != subMchID {
		return nil, errors.New("wxpay: ForSubMerchant: empty or padded sub_mch_id")
	}
	cp := *c
	cp.subAppID, cp.subMchID = subAppID, subMchID
	return &cp, nil
}

// NewClient returns a Client for the merchant mchID acting for the app
// appID, signing with apiKey (the 32-character v2 "API key" of the merchant
// platform: not the AppSecret, not the APIv3 key). It fails on empty
// credentials, an unknown sign type and a bad client certificate.
func NewClient(appID, mchID, apiKey string, opts ...Option) (*Client, error) {
	c := &Client{
		appID:    appID,
		mchID:    mchID,
		apiKey:   apiKey,
		signType: SignTypeMD5,
		baseURL:  DefaultBaseURL,
		nonce:    NonceStr,
		now:      time.Now,
		retry:    RetryPolicy{MaxAttempts: 1},
	}
	for _, opt := range opts {
		opt(c)
	}
	if !c.backupSet && c.baseURL == DefaultBaseURL {
		c.backupURL = BackupBaseURL
	}
	switch {
	case appID == "":
		return nil, errors.New("wxpay: NewClient: empty appID")
	case mchID == "":
		return nil, errors.New("wxpay: NewClient: empty mchID")
	case apiKey == "":
		return nil, errors.New("wxpay: NewClient: empty apiKey")
	case !c.signType.Valid():
		return nil, fmt.Errorf("wxpay: NewClient: %w: %q", ErrUnknownSignType, string(c.signType))
	case c.baseURL == "":
		return nil, errors.New("wxpay: NewClient: empty base URL")
	case c.nonce == nil || c.now == nil:
		return nil, errors.New("wxpay: NewClient: nil nonce or clock function")
	case c.certErr != nil:
		return nil, c.certErr
	case c.sandbox != nil && c.signType != SignTypeMD5:
		return nil, errors.New("wxpay: NewClient: the sandbox signs with MD5 only")
	case c.subAppID != "" && c.subMchID == "":
		return nil, errors.New("wxpay: NewClient: sub_appid without sub_mch_id")
	}
	var err error
	if c.base, err = parseBaseURL(c.baseURL); err != nil {
		return nil, err
	}
	if c.backupURL != "" {
		if c.backup, err = parseBaseURL(c.backupURL); err != nil {
			return nil, err
		}
	}
	if c.cert != nil {
		c.certHTTP = certClient(c.httpClient, *c.cert)
	}
	return c, nil
}

// parseBaseURL parses a base URL once, so that requests need not.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("wxpay: NewClient: %w", err)
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "":
		return nil, fmt.Errorf("wxpay: NewClient: base URL %q is not an absolute http(s) URL", s)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("wxpay: NewClient: base URL %q has a query or fragment", s)
	}
	u.Host = strings.TrimSuffix(u.Host, ":") // "host:" means the scheme's port, as NewRequest takes it
	return u, nil
}

// endpointURL returns path under base.
func endpointURL(base *url.URL, path string) *url.URL {
	u := *base
	u.Path += path
	if u.RawPath != "" {
		u.RawPath += path // path needs no escaping
	}
	return &u
}

// NonceStr returns 32 random characters from [0-9A-Za-z] read from
// crypto/rand, the form of nonce_str and nonceStr.
func NonceStr() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var out [32]byte
	// Each character takes 6 random bits, and 62 and 63 are rejected to
	// keep all 62 characters equally likely: 30 bytes are 40 draws, nearly
	// always enough. crypto/rand costs by the byte, so this reads half of
	// what a byte per character would.
	var buf [30]byte
	n := 0
	for n < len(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("wxpay: crypto/rand failed: " + err.Error()) // crypto/rand.Read never fails since Go 1.24
		}
		for i := 0; i < len(buf) && n < len(out); i += 3 {
			w := uint32(buf[i])<<16 | uint32(buf[i+1])<<8 | uint32(buf[i+2])
			for shift := 18; shift >= 0 && n < len(out); shift -= 6 {
				if c := w >> shift & 63; c < 62 {
					out[n] = alphabet[c]
					n++
				}
			}
		}
	}
	return string(out[:])
}

// endpoint describes one v2 API call for the request pipeline.
type endpoint struct {
	path     string
	cert     bool     // the merchant client certificate must be presented
	signType SignType // forced sign type; "" means the client's
	retry    bool     // WeChat documents resending the same request as safe
}

// signKey is the key messages are signed, verified and decrypted with:
// the API key, or in sandbox mode the sandbox key once it is known.
func (c *Client) signKey() string {
	if c.sandbox != nil {
		if k := c.sandbox.cachedKey(); k != "" {
			return k
		}
	}
	return c.apiKey
}

// call is the one request pipeline every endpoint shares. It completes
// req (appid, mch_id, nonce_str, sign_type, sign), POSTs it, and returns the
// response once it is known to be a verified, successful message: a
// return_code FAIL or result_code FAIL is an *Error, a sign that does not
// verify wraps ErrInvalidSign. req is the caller's to give away.
func (c *Client) call(ctx context.Context, ep endpoint, req Params) (Params, error) {
	return c.callFields(ctx, ep, fieldsOf(req))
}

// callFields is call for a request given as its fields, as the typed
// endpoints build it: no map to fill and then iterate.
func (c *Client) callFields(ctx context.Context, ep endpoint, req []field) (Params, error) {
	var out Params
	err := c.exchange(ctx, ep, req, func(resp *http.Response, key string, st SignType) (Params, error) {
		defer closeBody(resp.Body)
		s := getScratch()
		defer s.release()
		p, err := readMessage(resp, s)
		if err != nil {
			return nil, err
		}
		out, err = c.checkResponse(p, s, key, st)
		return p, err
	})
	return out, err
}

// send is what a typed endpoint method does: validate its request into
// wire fields, run the pipeline, type the verified answer.
func send[R any](ctx context.Context, c *Client, ep endpoint, params func() ([]field, error), answer func(Params) (R, error)) (R, error) {
	var zero R
	req, err := params()
	if err != nil {
		return zero, err
	}
	p, err := c.callFields(ctx, ep, req)
	if err != nil {
		return zero, err
	}
	return answer(p)
}

// open is call for the endpoints whose success answer is not an XML
// message but a file (downloadbill, downloadfundflow): it returns the
// body for the caller to stream and close. An XML answer is WeChat's
// error message and is returned as an *Error.
func (c *Client) open(ctx context.Context, ep endpoint, req Params) (io.ReadCloser, error) {
	var out io.ReadCloser
	err := c.exchange(ctx, ep, fieldsOf(req), func(resp *http.Response, key string, st SignType) (Params, error) {
		br := bufio.NewReader(resp.Body)
		first, _ := br.Peek(64)
		if resp.StatusCode != http.StatusOK || looksLikeHTML(first) {
			defer closeBody(resp.Body)
			return nil, httpError(resp, first)
		}
		if trimmed := bytes.TrimLeft(first, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '<' {
			out = struct {
				io.Reader
				io.Closer
			}{br, resp.Body}
			return nil, nil
		}
		defer closeBody(resp.Body)
		resp.Body = io.NopCloser(br)
		s := getScratch()
		defer s.release()
		p, err := readMessage(resp, s)
		if err != nil {
			return nil, err
		}
		if _, err := c.checkResponse(p, s, key, st); err != nil {
			return p, err
		}
		return p, fmt.Errorf("%w: expected a file, got a SUCCESS message", ErrMalformedXML)
	})
	return out, err
}

// exchange runs the attempts of one call: sign, send, hand the answer to
// handle, and, for an idempotent endpoint under a retry policy, again
// after a transient failure, with a fresh nonce and sign and, after a
// network failure, on the other domain.
func (c *Client) exchange(ctx context.Context, ep endpoint, req []field, handle func(resp *http.Response, key string, st SignType) (Params, error)) error {
	hc := c.httpClient
	if ep.cert {
		if c.certHTTP == nil {
			return ErrNoCertificate
		}
		hc = c.certHTTP
	} else if hc == nil {
		hc = defaultHTTPClient()
	}
	attempts := 1
	if ep.retry {
		attempts = c.retry.MaxAttempts
	}
	base := c.base
	resigned := false
	for n := 1; ; n++ {
		// A RoundTripper need not look at the context before it answers.
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("wxpay: %w", err)
		}
		sr, err := c.prepare(ctx, ep, req)
		if err != nil {
			return err
		}
		var start time.Time // for the log only: time.Now costs 50 ns here
		if c.logger != nil {
			start = time.Now()
		}
		var answer Params
		resp, err := c.do(ctx, hc, endpointURL(base, c.pathPrefix()+ep.path), sr.body)
		if err == nil {
			answer, err = handle(resp, sr.key, sr.signType)
		}
		c.logExchange(ctx, ep, n, start, req, sr.pipeline[:sr.added], answer, err)
		if err == nil {
			return nil
		}
		if c.sandbox != nil && !resigned && signatureRejected(err) {
			// A sandbox key that stopped working: fetch a new one, once.
			c.sandbox.forget()
			resigned = true
			n--
			continue
		}
		if n >= attempts || !shouldRetry(ctx, err) {
			return err
		}
		var te *transportError
		if errors.As(err, &te) && c.backup != nil {
			if base == c.base {
				base = c.backup
			} else {
				base = c.base
			}
		}
		if !sleep(ctx, c.retry.delay(n)) {
			return err
		}
	}
}

// signatureRejected reports whether err says that one side did not
// accept the other's signature.
func signatureRejected(err error) bool {
	var we *Error
	if errors.As(err, &we) {
		return we.ErrCode == "SIGNERROR" || strings.Contains(we.ReturnMsg, "签名") || strings.Contains(strings.ToLower(we.ReturnMsg), "sign")
	}
	return errors.Is(err, ErrInvalidSign)
}

// pathPrefix is the sandbox's path prefix, or "".
func (c *Client) pathPrefix() string {
	if c.sandbox != nil {
		return c.sandbox.prefix
	}
	return ""
}

// defaultHTTPClient is http.DefaultClient, looked up at each call so that
// a transport installed later (httpmock.Activate, say) is honoured.
func defaultHTTPClient() *http.Client { return http.DefaultClient }

// pipelineFields is the most fields prepare adds to a request: appid,
// mch_id, sub_mch_id, sub_appid, nonce_str and sign_type.
const pipelineFields = 6

// signedRequest is one attempt's request, ready to send.
type signedRequest struct {
	key      string   // the answer is verified with key and signType
	signType SignType // the request's, which WeChat answers in
	body     []byte

	// What prepare added to the caller's fields, for the log: an array,
	// not a slice, so that it stays on the stack.
	pipeline [pipelineFields]field
	added    int
}

// prepare signs req with the pipeline's fields. req itself is left as it
// is, so that a retry signs it afresh.
func (c *Client) prepare(ctx context.Context, ep endpoint, req []field) (signedRequest, error) {
	st := ep.signType
	if st == "" {
		st = c.signType
	}
	key := c.apiKey
	if c.sandbox != nil {
		if st != SignTypeMD5 {
			return signedRequest{}, fmt.Errorf("wxpay: %s needs %s, and the sandbox signs with MD5 only", ep.path, st)
		}
		var err error
		if key, err = c.sandboxKey(ctx); err != nil {
			return signedRequest{}, err
		}
	}
	sr := signedRequest{key: key, signType: st}
	add := func(k, v string) {
		sr.pipeline[sr.added] = field{k, v}
		sr.added++
	}
	add("appid", c.appID)
	add("mch_id", c.mchID)
	if c.subMchID != "" && fieldValue(req, "sub_mch_id") == "" {
		add("sub_mch_id", c.subMchID)
		if c.subAppID != "" {
			add("sub_appid", c.subAppID)
		}
	}
	add("nonce_str", c.nonce())
	add("sign_type", string(st))
	var err error
	sr.body, err = appendSignedXML(nil, req, sr.pipeline[:sr.added], key, st)
	return sr, err
}

// do POSTs body to u; the caller closes the response body.
//
// It builds the request as http.NewRequestWithContext would, less the
// parsing of a URL string and the canonicalizing of header names: half a
// microsecond per call.
func (c *Client) do(ctx context.Context, hc *http.Client, u *url.URL, body []byte) (*http.Response, error) {
	values := []string{"text/xml; charset=utf-8", userAgent} // not shared: a RoundTripper may write to them
	hreq := (&http.Request{
		Method: http.MethodPost,
		URL:    u,
		Host:   u.Host,
		Proto:  "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": values[0:1:1], "User-Agent": values[1:2:2]},
		Body:          io.NopCloser(bytes.NewReader(body)),
		GetBody:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
		ContentLength: int64(len(body)),
	}).WithContext(ctx)
	resp, err := hc.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wxpay: %w", ctx.Err())
		}
		return nil, &transportError{err}
	}
	return resp, nil
}

// post sends body and returns the decoded response message.
func (c *Client) post(ctx context.Context, hc *http.Client, u *url.URL, body []byte) (Params, error) {
	resp, err := c.do(ctx, hc, u, body)
	if err != nil {
		return nil, err
	}
	defer closeBody(resp.Body)
	return readMessage(resp, nil)
}

// readMessage reads a bounded response body and decodes it, leaving its
// fields in s, if s is not nil, for checkResponse.
func readMessage(resp *http.Response, s *scratch) (Params, error) {
	buf := bodyPool.Get().(*bytes.Buffer)
	defer putBody(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxBodySize+1)); err != nil {
		return nil, &transportError{fmt.Errorf("reading response: %w", err)}
	}
	data := buf.Bytes()
	if resp.StatusCode != http.StatusOK || looksLikeHTML(data) {
		return nil, httpError(resp, data)
	}
	return parseXML(data, s)
}

func httpError(resp *http.Response, body []byte) *HTTPError {
	return &HTTPError{
		StatusCode:  resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		Body:        bytes.Clone(body[:min(len(body), 512)]),
	}
}

const userAgent = "wxpay-go (+https://github.com/wxpay-go/wxpay)"

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBody returns buf to the pool unless a huge body made it grow: one
// response of a megabyte should not pin a megabyte per P forever.
func putBody(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		bodyPool.Put(buf)
	}
}

// closeBody drains a little of what is left, so the connection can be
// reused, and closes.
func closeBody(body io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	body.Close()
}

func looksLikeHTML(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) >= 5 && (bytes.EqualFold(data[:5], []byte("<html")) || bytes.EqualFold(data[:5], []byte("<!doc")))
}

// checkResponse applies WeChat's order of checks to a response: envelope,
// signature, merchant, then business result. Nothing but return_code and
// return_msg is read before the signature is verified. s holds p's
// fields, as readMessage left them.
func (c *Client) checkResponse(p Params, s *scratch, key string, st SignType) (Params, error) {
	switch p["return_code"] {
	case "SUCCESS":
	case "":
		return nil, fmt.Errorf("%w: response has no return_code", ErrMalformedXML)
	default:
		// error_code: downloadbill's name for it.
		return nil, &Error{ReturnCode: p["return_code"], ReturnMsg: p["return_msg"], ErrCode: p["error_code"]}
	}
	if err := s.verifySign(p, key, st); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	if err := c.checkMerchant(p); err != nil {
		return nil, err
	}
	if p["result_code"] == "FAIL" {
		return nil, &Error{
			ReturnCode: "SUCCESS", ReturnMsg: p["return_msg"], ResultCode: "FAIL",
			ErrCode: p["err_code"], ErrCodeDes: p["err_code_des"], Raw: p,
		}
	}
	return p, nil
}

// checkMerchant rejects a verified message addressed to another app,
// merchant or sub-merchant; a field that is absent is not checked, as not
// every message carries every one (the sandbox key answer has no appid,
// and not every answer in service-provider mode echoes sub_mch_id).
func (c *Client) checkMerchant(p Params) error {
	if v, ok := p["appid"]; ok && v != c.appID {
		return fmt.Errorf("%w: appid %q, expected %q", ErrMerchantMismatch, v, c.appID)
	}
	if v, ok := p["mch_id"]; ok && v != c.mchID {
		return fmt.Errorf("%w: mch_id %q, expected %q", ErrMerchantMismatch, v, c.mchID)
	}
	if v, ok := p["sub_mch_id"]; ok && c.subMchID != "" && v != c.subMchID {
		return fmt.Errorf("%w: sub_mch_id %q, expected %q", ErrMerchantMismatch, v, c.subMchID)
	}
	if v, ok := p["sub_appid"]; ok && c.subAppID != "" && v != c.subAppID {
		return fmt.Errorf("%w: sub_appid %q, expected %q", ErrMerchantMismatch, v, c.subAppID)
	}
	return nil
}

// checkText refuses a request field that cannot be written as XML, naming
// it: a value with bytes XML cannot carry would be lost or changed on the
// way and then fail WeChat's signature check with no clue why.
func checkText(k, v string) error {
	if name, _ := scanName(k, 0); name != k || k == "" {
		return &ValidationError{Field: k, Reason: "is not a valid field name"}
	}
	for i := 0; i < len(v); i++ {
		if i+32 <= len(v) && printableASCII32(v[i:i+32], true) {
			i += 31
			continue
		}
		if i+8 <= len(v) && printableASCII8(v[i:i+8], true) {
			i += 7
			continue
		}
		if c := v[i]; c >= utf8.RuneSelf || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return checkRunes(k, v[i:])
		}
	}
	return nil
}

// checkRunes is checkText's slow path for a value from its first
// non-ASCII or control byte on.
func checkRunes(k, v string) error {
	if !utf8.ValidString(v) {
		return &ValidationError{Field: k, Reason: "is not valid UTF-8"}
	}
	for _, r := range v {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return &ValidationError{Field: k, Reason: fmt.Sprintf("contains the character %U, which XML cannot carry", r)}
		}
	}
	return nil
}
