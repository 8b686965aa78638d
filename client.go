package wxpay

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// DefaultBaseURL is the v2 API's primary domain.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// DefaultTimeout bounds each attempt of a call made without
// WithHTTPClient: a payment backend must not hang on a silent peer. With
// WithHTTPClient, the given client's Timeout applies instead.
const DefaultTimeout = 30 * time.Second

// Client calls the WeChat Pay v2 API for one merchant. It holds the app
// id, merchant id, API key and, for refunds, the client certificate. A
// Client is safe for concurrent use and should be reused. Create one with
// NewClient: every method of a zero or nil Client returns ErrNoClient.
type Client struct {
	appID    string
	mchID    string
	signType SignType
	base     *url.URL
	backup   *url.URL // nil for no failover

	httpClient *http.Client // never follows redirects
	certHTTP   *http.Client // presents the certificate; nil without one

	nonce func() string
	now   func() time.Time

	retry   RetryPolicy
	logger  *slog.Logger
	sandbox *sandbox

	subAppID string
	subMchID string

	signer *signer    // for the API key; nil in a zero Client
	bufs   *sync.Pool // *bytes.Buffer: canonical strings and answers
}

// ErrNoClient is returned by every method of a Client not made by
// NewClient.
var ErrNoClient = errors.New("wxpay: Client not created with NewClient")

// config is what the options set, checked and applied by NewClient.
type config struct {
	signType   SignType
	baseURL    string
	backupURL  string
	backupSet  bool
	httpClient *http.Client
	certHTTP   *http.Client
	cert       *tls.Certificate
	nonce      func() string
	now        func() time.Time
	retry      RetryPolicy
	logger     *slog.Logger
	sandbox    SandboxPrefix
	subAppID   string
	subMchID   string
}

// Option configures a Client in NewClient. An option that cannot be
// applied, such as a certificate that does not parse, makes NewClient
// fail with its error.
type Option func(*config) error

// WithHTTPClient makes the client send every request through hc, for
// timeouts, proxies, custom roots or test transports. Calls that need the
// client certificate use a copy of hc whose *http.Transport also presents
// the certificate; hc itself is never modified. If hc's Transport is
// another http.RoundTripper (a tracing wrapper, say), the certificate
// cannot be added to it: pass a client that presents it with
// WithCertHTTPClient. Redirects are never followed, whatever hc says:
// WeChat does not redirect, and a signed request goes only to the base URL.
// A nil hc means the default: a client with DefaultTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error { c.httpClient = hc; return nil }
}

// WithCertHTTPClient sets a ready mutual-TLS client for the calls that
// need the merchant certificate (refund, reverse, fund flow, ...), for a
// transport WithCertPEM cannot add the certificate to. It replaces the
// certificate options.
func WithCertHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("wxpay: WithCertHTTPClient(nil)")
		}
		c.certHTTP = hc
		return nil
	}
}

// WithBaseURL replaces DefaultBaseURL, e.g. with a wxpaytest server's URL.
// It must be an absolute http or https URL without a query; it may have a
// path, under which the API's paths go.
func WithBaseURL(u string) Option {
	return func(c *config) error { c.baseURL = strings.TrimRight(u, "/"); return nil }
}

// WithSignType selects the sign type of requests, and so of the responses
// to them and of the client pay parameters. The default is SignTypeMD5,
// WeChat's own default. Endpoints WeChat signs one way only (profit
// sharing, fund flow, ...) use theirs whatever this says.
func WithSignType(t SignType) Option {
	return func(c *config) error {
		if !t.Valid() {
			return fmt.Errorf("wxpay: WithSignType: %w: %q", ErrUnknownSignType, string(t))
		}
		c.signType = t
		return nil
	}
}

// WithNonceFunc replaces the random nonce_str generator (NonceStr), so
// that tests can compare exact request bytes. fn must return at most 32
// characters.
func WithNonceFunc(fn func() string) Option {
	return func(c *config) error {
		if fn == nil {
			return errors.New("wxpay: WithNonceFunc(nil)")
		}
		c.nonce = fn
		return nil
	}
}

// WithClock replaces time.Now for the timestamps the client writes, such
// as timeStamp in the JSAPI pay parameters.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("wxpay: WithClock(nil)")
		}
		c.now = now
		return nil
	}
}

// WithSubMerchant puts the client in service-provider (服务商) mode: appID
// and mchID are the provider's, and every call also carries sub_mch_id
// and, when not empty, sub_appid (except where WeChat refuses them).
// Notifies must name the same sub-merchant, and the JSAPI pay parameters
// are signed for subAppID when it is set, since the mini program or
// official account is then the sub-merchant's. For several sub-merchants,
// derive one Client each with ForSubMerchant.
func WithSubMerchant(subAppID, subMchID string) Option {
	return func(c *config) error {
		if err := checkSubMerchant(subAppID, subMchID); err != nil {
			return err
		}
		c.subAppID, c.subMchID = subAppID, subMchID
		return nil
	}
}

func checkSubMerchant(subAppID, subMchID string) error {
	if subMchID == "" || strings.TrimSpace(subMchID) != subMchID || strings.TrimSpace(subAppID) != subAppID {
		return errors.New("wxpay: empty or padded sub_mch_id or sub_appid")
	}
	return nil
}

// ForSubMerchant returns a copy of c acting for another sub-merchant, as
// WithSubMerchant sets it. The copy shares c's connections and settings.
func (c *Client) ForSubMerchant(subAppID, subMchID string) (*Client, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if err := checkSubMerchant(subAppID, subMchID); err != nil {
		return nil, fmt.Errorf("ForSubMerchant: %w", err)
	}
	cp := *c
	cp.subAppID, cp.subMchID = subAppID, subMchID
	return &cp, nil
}

// NewClient returns a Client for the merchant mchID acting for the app
// appID, signing with apiKey: the 32-character v2 "API key" of the
// merchant platform (not the AppSecret, not the APIv3 key). It fails on
// empty credentials, a key of another length, and any option's error.
func NewClient(appID, mchID, apiKey string, opts ...Option) (*Client, error) {
	cfg := config{signType: SignTypeMD5, baseURL: DefaultBaseURL, nonce: NonceStr, now: time.Now, retry: RetryPolicy{MaxAttempts: 1}}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	switch {
	case appID == "":
		return nil, errors.New("wxpay: NewClient: empty appID")
	case mchID == "":
		return nil, errors.New("wxpay: NewClient: empty mchID")
	case len(apiKey) != 32:
		return nil, fmt.Errorf("wxpay: NewClient: the API key has %d characters; a v2 API key has 32 (not the AppSecret, not the APIv3 key)", len(apiKey))
	case cfg.sandbox != "" && cfg.signType != SignTypeMD5:
		return nil, errors.New("wxpay: NewClient: the sandbox signs with MD5 only")
	}
	c := &Client{
		appID: appID, mchID: mchID, signType: cfg.signType,
		nonce: cfg.nonce, now: cfg.now, retry: cfg.retry, logger: cfg.logger,
		subAppID: cfg.subAppID, subMchID: cfg.subMchID,
	}
	c.bufs = &sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 2048)) }}
	c.signer = newSigner(apiKey, c.bufs)
	var err error
	if c.base, err = parseBaseURL(cfg.baseURL); err != nil {
		return nil, err
	}
	if !cfg.backupSet && cfg.baseURL == DefaultBaseURL {
		cfg.backupURL = BackupBaseURL
	}
	if cfg.backupURL != "" {
		if c.backup, err = parseBaseURL(cfg.backupURL); err != nil {
			return nil, err
		}
	}
	if cfg.sandbox != "" {
		c.sandbox = &sandbox{prefix: cfg.sandbox}
	}
	hc := cfg.httpClient
	if hc == nil {
		// The transport is looked up at each call, so that one installed
		// later (httpmock.Activate, say) is honoured.
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	c.httpClient = noRedirects(hc)
	switch {
	case cfg.certHTTP != nil:
		c.certHTTP = noRedirects(cfg.certHTTP)
	case cfg.cert != nil:
		if c.certHTTP, err = certClient(hc, *cfg.cert); err != nil {
			return nil, err
		}
		c.certHTTP = noRedirects(c.certHTTP)
	}
	return c, nil
}

// noRedirects returns a copy of hc that hands a redirect back as it is,
// for the pipeline to refuse: nothing signed and no certificate may follow
// it elsewhere.
func noRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// ready reports whether c was made by NewClient.
func (c *Client) ready() error {
	if c == nil || c.signer == nil {
		return ErrNoClient
	}
	return nil
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
	u.Host = strings.TrimSuffix(u.Host, ":") // "host:" means the scheme's port
	return u, nil
}

// NonceStr returns 32 random characters, the hex of 16 bytes read from
// crypto/rand: the form of nonce_str and nonceStr.
func NonceStr() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("wxpay: crypto/rand failed: " + err.Error()) // crypto/rand.Read never fails since Go 1.24
	}
	return hex.EncodeToString(b[:])
}

// endpoint describes one v2 operation; the pipeline reads nothing else.
// The zero value of each knob is what most of the API does.
type endpoint struct {
	path        string
	host        string   // another WeChat host for this path (fraud.mch...), used only with DefaultBaseURL
	cert        bool     // the merchant client certificate is presented
	signType    SignType // forced sign type; "" means the client's
	appIDField  string   // "" means "appid"; "-" sends none
	mchIDField  string   // "" means "mch_id"; "-" sends none
	noSignType  bool     // sign_type is neither sent nor signed (red packets)
	noNonce     bool     // nonce_str is not sent: WeChat's customs calls take none
	unsigned    bool     // WeChat answers without a sign; one that has a sign is still verified
	anyMerchant bool     // the answer's merchant fields are not checked: unsigned, they prove nothing
	idempotent  bool     // WeChat documents resending the same request as safe
	sub         subFields
	urlEncoded  string // a field signed as it is and sent URL-encoded (shorturl's long_url)
}

// subFields says which sub-merchant fields a service provider's request
// carries.
type subFields uint8

const (
	subBoth    subFields = iota // sub_mch_id and, when set, sub_appid
	subMchOnly                  // sub_mch_id: WeChat refuses sub_appid here
	subNone                     // neither
)

func (ep endpoint) appID() string { return orDefault(ep.appIDField, "appid") }
func (ep endpoint) mchID() string { return orDefault(ep.mchIDField, "mch_id") }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// call is the one request pipeline every endpoint shares. It adds the
// merchant fields, nonce_str, sign_type and sign to req, POSTs it, and
// returns the answer once it is known to be a verified, successful
// message (see checkAnswer).
func (c *Client) call(ctx context.Context, ep endpoint, req []wire.Field) (Params, error) {
	var out Params
	err := c.exchange(ctx, ep, req, func(resp *http.Response, s *signer, st SignType) (Params, error) {
		defer closeBody(resp.Body)
		p, fields, err := c.readMessage(resp)
		if err != nil {
			return nil, err
		}
		out, err = c.checkAnswer(ep, p, fields, s, st)
		return p, err
	})
	return out, err
}

// open is call for the endpoints whose success answer is not an XML
// message but a file (downloadbill, downloadfundflow): it returns the
// body for the caller to stream and close. An XML answer is WeChat's
// error message and is returned as an *Error.
func (c *Client) open(ctx context.Context, ep endpoint, req []wire.Field) (io.ReadCloser, error) {
	var out io.ReadCloser
	err := c.exchange(ctx, ep, req, func(resp *http.Response, s *signer, st SignType) (Params, error) {
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
		p, fields, err := c.readMessage(resp)
		if err != nil {
			return nil, err
		}
		if _, err := c.checkAnswer(ep, p, fields, s, st); err != nil {
			return p, err
		}
		return p, fmt.Errorf("%w: expected a file, got a SUCCESS message", ErrMalformedXML)
	})
	return out, err
}

// exchange runs the attempts of one call: sign, send, hand the answer to
// handle, and, for an idempotent endpoint under a retry policy, again
// after a transient failure, with a fresh nonce and sign and, after a
// network failure, on the backup domain.
func (c *Client) exchange(ctx context.Context, ep endpoint, req []wire.Field, handle func(*http.Response, *signer, SignType) (Params, error)) error {
	if err := c.ready(); err != nil {
		return err
	}
	hc := c.httpClient
	if ep.cert {
		if c.certHTTP == nil {
			return ErrNoCertificate
		}
		hc = c.certHTTP
	}
	attempts := 1
	if ep.idempotent {
		attempts = max(c.retry.MaxAttempts, 1)
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
		start := time.Now()
		var answer Params
		resp, err := c.post(ctx, hc, c.endpointURL(base, ep), sr.body)
		if err == nil {
			answer, err = handle(resp, sr.signer, sr.signType)
		}
		c.logExchange(ctx, ep, n, start, sr.fields, answer, err)
		if err == nil {
			return nil
		}
		if c.sandbox != nil && !resigned && ep.idempotent && errors.Is(err, ErrSignRefused) {
			// WeChat refused a sandbox key that stopped working: the
			// request was not processed, so it is signed anew, once, with
			// a fresh key.
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

// endpointURL returns where ep is posted under base: its path, under the
// sandbox prefix in sandbox mode, and on its own WeChat host if it has one
// and base is WeChat's.
func (c *Client) endpointURL(base *url.URL, ep endpoint) string {
	if ep.host != "" && (base.String() == DefaultBaseURL || base.String() == BackupBaseURL) && c.sandbox == nil {
		return ep.host + ep.path
	}
	return base.String() + c.pathPrefix() + ep.path
}

// signedRequest is one attempt's request, ready to send.
type signedRequest struct {
	signer   *signer  // the answer is verified with signer and signType
	signType SignType // the request's, which WeChat answers in
	fields   []wire.Field
	body     []byte
}

// prepare adds the pipeline's fields to req, checks and signs them, and
// encodes the request. req itself is left as it is, so that a retry signs
// it afresh.
func (c *Client) prepare(ctx context.Context, ep endpoint, req []wire.Field) (signedRequest, error) {
	st := cmp.Or(ep.signType, c.signType)
	if ep.noSignType {
		st = SignTypeMD5
	}
	s := c.signer
	if c.sandbox != nil {
		if st != SignTypeMD5 {
			return signedRequest{}, fmt.Errorf("wxpay: %s needs %s, and the sandbox signs with MD5 only", ep.path, st)
		}
		var err error
		if s, err = c.sandboxSigner(ctx); err != nil {
			return signedRequest{}, err
		}
	}
	fields := make([]wire.Field, 0, len(req)+7)
	fields = append(fields, req...)
	add := func(name, value string) {
		if name != "-" {
			fields = append(fields, wire.Field{Name: name, Value: value})
		}
	}
	add(ep.appID(), c.appID)
	add(ep.mchID(), c.mchID)
	if c.subMchID != "" && ep.sub != subNone && !hasField(req, "sub_mch_id") {
		add("sub_mch_id", c.subMchID)
		if c.subAppID != "" && ep.sub == subBoth {
			add("sub_appid", c.subAppID)
		}
	}
	if !ep.noNonce {
		add("nonce_str", c.nonce())
	}
	if !ep.noSignType {
		add("sign_type", string(st))
	}
	fields = slices.DeleteFunc(fields, func(f wire.Field) bool { return f.Value == "" || f.Name == "sign" })
	for _, f := range fields {
		if reason := wire.CheckField(f.Name, f.Value); reason != "" {
			return signedRequest{}, &ValidationError{Field: f.Name, Reason: reason}
		}
	}
	wire.Sort(fields)
	for i := 1; i < len(fields); i++ {
		if fields[i].Name == fields[i-1].Name { // a field of req the pipeline adds too: a bug of ours
			return signedRequest{}, fmt.Errorf("wxpay: request field %s set twice", fields[i].Name)
		}
	}
	var buf [64]byte
	sign := string(s.sign(buf[:0], fields, st))
	i, _ := slices.BinarySearchFunc(fields, "sign", func(f wire.Field, name string) int { return strings.Compare(f.Name, name) })
	fields = slices.Insert(fields, i, wire.Field{Name: "sign", Value: sign})
	if ep.urlEncoded != "" {
		for j := range fields {
			if fields[j].Name == ep.urlEncoded {
				fields[j].Value = url.QueryEscape(fields[j].Value)
			}
		}
	}
	return signedRequest{signer: s, signType: st, fields: fields, body: wire.AppendXML(nil, fields)}, nil
}

func hasField(fields []wire.Field, name string) bool {
	return slices.ContainsFunc(fields, func(f wire.Field) bool { return f.Name == name && f.Value != "" })
}

// pathPrefix is the sandbox's path prefix, or "".
func (c *Client) pathPrefix() string {
	if c.sandbox != nil {
		return string(c.sandbox.prefix)
	}
	return ""
}

const userAgent = "wxpay-go (+https://github.com/wxpay-go/wxpay)"

// post POSTs body to u; the caller closes the response body.
func (c *Client) post(ctx context.Context, hc *http.Client, u string, body []byte) (*http.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("wxpay: %w", err)
	}
	hreq.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hreq.Header.Set("User-Agent", userAgent)
	if name := negativeTest(ctx); name != "" && c.sandbox != nil {
		hreq.Header.Set("Wechatpay-Negative-Test", name)
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wxpay: %w", ctx.Err())
		}
		return nil, &transportError{err}
	}
	return resp, nil
}

// readMessage reads a bounded response body and decodes it. Any answer
// but a 200 with a v2 message, a redirect among them, is an *HTTPError.
func (c *Client) readMessage(resp *http.Response) (Params, []wire.Field, error) {
	buf := getBuffer(c.bufs)
	defer putBuffer(c.bufs, buf)
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxBodySize+1)); err != nil {
		return nil, nil, &transportError{fmt.Errorf("reading response: %w", err)}
	}
	data := buf.Bytes()
	if resp.StatusCode != http.StatusOK || looksLikeHTML(data) {
		return nil, nil, httpError(resp, data)
	}
	return decode(data) // copies what it keeps, so buf can go back
}

func httpError(resp *http.Response, body []byte) *HTTPError {
	return &HTTPError{
		StatusCode:  resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		Location:    resp.Header.Get("Location"),
		Body:        bytes.Clone(body[:min(len(body), 512)]),
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

// decode is ParseXML that also returns the fields in name order, for
// verification.
func decode(data []byte) (Params, []wire.Field, error) {
	_, fields, err := wire.Parse(data)
	if err != nil {
		return nil, nil, err
	}
	p := make(Params, len(fields))
	for _, f := range fields {
		p[f.Name] = f.Value
	}
	if len(p) != len(fields) {
		wire.Sort(fields)
		for i := 1; i < len(fields); i++ {
			if fields[i].Name == fields[i-1].Name {
				return nil, nil, fmt.Errorf("%w: field %q repeated", ErrMalformedXML, fields[i].Name)
			}
		}
	}
	// WeChat writes its fields in name order: the sort then has nothing
	// to do but check.
	wire.Sort(fields)
	return p, fields, nil
}

// logExchange logs one attempt: sent is the request as signed, answer
// the response message, if any.
func (c *Client) logExchange(ctx context.Context, ep endpoint, attempt int, start time.Time, sent []wire.Field, answer Params, err error) {
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("path", ep.path),
		slog.Int("attempt", attempt),
		slog.Duration("elapsed", time.Since(start)),
	}
	if err != nil {
		c.logger.LogAttrs(ctx, slog.LevelWarn, "wxpay call failed", append(attrs, slog.String("error", err.Error()))...)
		return
	}
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		req := make(Params, len(sent))
		for _, f := range sent {
			req[f.Name] = f.Value
		}
		c.logger.LogAttrs(ctx, slog.LevelDebug, "wxpay call", append(attrs,
			slog.Any("request", redacted(req)), slog.Any("response", redacted(answer)))...)
	}
}

// signer signs and verifies with one key. It keeps keyed HMAC-SHA256
// states, which Reset restores without rehashing the key's pads, and
// builds canonical strings in its Client's buffers: both hold key
// material, so a signer belongs to one Client and dies with it.
type signer struct {
	key   string
	hmacs sync.Pool  // hash.Hash, keyed with key
	bufs  *sync.Pool // *bytes.Buffer, the Client's; nil: allocate

	aesOnce sync.Once // the refund notify's req_info cipher, derived from key
	aes     cipher.Block
	aesErr  error
}

func newSigner(key string, bufs *sync.Pool) *signer { return &signer{key: key, bufs: bufs} }

// sign appends the signature of sorted, in name order, to dst.
func (s *signer) sign(dst []byte, sorted []wire.Field, t SignType) []byte {
	buf := getBuffer(s.bufs)
	defer putBuffer(s.bufs, buf)
	msg := wire.AppendCanonical(buf.AvailableBuffer(), sorted, s.key)
	if t == SignTypeMD5 {
		dst = wire.AppendMD5(dst, msg)
	} else {
		h, ok := s.hmacs.Get().(hash.Hash)
		if !ok {
			h = hmac.New(sha256.New, []byte(s.key))
		}
		dst = wire.AppendHMAC(dst, h, msg)
		s.hmacs.Put(h)
	}
	clear(msg[:cap(msg)]) // the key is in it
	return dst
}

// getBuffer takes an empty buffer from pool, or makes one if pool is nil.
func getBuffer(pool *sync.Pool) *bytes.Buffer {
	if pool == nil {
		return bytes.NewBuffer(make([]byte, 0, 1024))
	}
	buf := pool.Get().(*bytes.Buffer)
	buf.Reset()
	return buf
}

// putBuffer returns buf to pool, unless one huge message made it grow: it
// should not pin its memory for good.
func putBuffer(pool *sync.Pool, buf *bytes.Buffer) {
	if pool != nil && buf.Cap() <= 64<<10 {
		pool.Put(buf)
	}
}

// verify checks the sign of p, whose fields sorted holds in name order,
// with t, or when t is "" with the type p's sign_type names or else the
// one the sign's length says.
func (s *signer) verify(p Params, sorted []wire.Field, t SignType) error {
	got := p["sign"]
	if got == "" {
		return fmt.Errorf("%w: no sign field", ErrInvalidSign)
	}
	if st := p["sign_type"]; st != "" {
		if t == "" {
			t = SignType(st)
		}
		if !t.Valid() || SignType(st) != t {
			return fmt.Errorf("%w: sign_type %q, expected %s", ErrInvalidSign, st, t)
		}
	}
	if t == "" {
		switch len(got) {
		case 32:
			t = SignTypeMD5
		case 64:
			t = SignTypeHMACSHA256
		default:
			return fmt.Errorf("%w: sign of length %d is neither MD5 nor HMAC-SHA256", ErrInvalidSign, len(got))
		}
	}
	var buf [64]byte
	if want := s.sign(buf[:0], sorted, t); subtle.ConstantTimeCompare(want, []byte(got)) != 1 {
		return fmt.Errorf("%w: %s sign does not match", ErrInvalidSign, t)
	}
	return nil
}
