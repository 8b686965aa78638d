package wxpaytest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wxpay-go/wxpay"
)

// Server is a WeChat Pay v2 API for one merchant (more with
// WithMerchant), running in-process over HTTPS. Create it with NewServer, point a wxpay.Client at it with
// wxpay.WithBaseURL(srv.URL) and wxpay.WithHTTPClient(srv.Client()), and
// Close it when done. All methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL, "https://127.0.0.1:port", without a
	// trailing slash; the API paths are appended to it as to
	// wxpay.DefaultBaseURL.
	URL string

	merchants map[string]*merchant // by mch_id
	mchList   []*merchant          // NewServer's first, then WithMerchant's

	// appID, mchID and apiKey are the first merchant's, NewServer's.
	appID, mchID, apiKey string

	cfg    config
	pki    *pki
	hs     *httptest.Server
	client *http.Client

	// ctx is canceled by Close, which stops notify deliveries and
	// delayed answers; wg counts the delivery goroutines.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	sandboxKey string // WithSandbox's sign key, "" without it
	negative   string // the sandbox negative-test case of the request being served
	st         store
	faults     map[string][]Fault
	custom     map[string]endpoint // Handle's paths
	requests   []Request
	notifies   []NotifyAttempt
	pending    int           // notify deliveries not finished
	idle       chan struct{} // closed when pending drops to 0
	outbox     map[*delivery]bool
	delays     []time.Duration // the retry schedule, SetNotifyDelays
	wake       chan struct{}   // closed when the deliveries must look at their schedule again
	givenUp    []NotifyAttempt // for WaitNotifies to report

	saveMu sync.Mutex // orders writes of the state file
}

// config is what the options set.
type config struct {
	now              func() time.Time
	delays           []time.Duration
	notifyClient     *http.Client
	refundNotifyURL  string
	nativeURL        string // WithNativeCallbackURL's
	manualRefunds    bool
	sandbox          bool
	subs             map[string]map[string]bool // sub_mch_id → its sub_appids; nil: not a service provider
	merchants        []merchantConfig
	listener         net.Listener
	hosts            []string
	stateFile        string
	signTypeInNotify bool
	logger           *slog.Logger
	signTypes        []wxpay.SignType
}

// Option configures a Server in NewServer.
type Option func(*config)

// WithClock replaces time.Now for the times the server writes (time_end,
// refund success times, bill dates, prepay id expiry).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithNotifyScale runs WeChat's notify retry schedule (the first attempt
// at once, then retries after 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m,
// 60m, 3h, 3h, 3h, 6h and 6h) with every second of it lasting unit. The
// default is time.Millisecond: the first retry comes 15ms after a failed
// attempt and the whole schedule takes about 87s. time.Second is the real
// schedule.
func WithNotifyScale(unit time.Duration) Option {
	return func(c *config) { c.delays = scaledSchedule(unit) }
}

// WithNotifyDelays replaces the retry schedule: after a failed attempt
// the next one comes delays[0] later, and so on; after len(delays)
// retries delivery stops. No delays means a single attempt.
func WithNotifyDelays(delays ...time.Duration) Option {
	return func(c *config) { c.delays = append([]time.Duration(nil), delays...) }
}

// WithNotifyClient sets the HTTP client notifies are posted with, e.g.
// the Client of an httptest TLS server playing the merchant. The default
// trusts the system roots and gives up on an attempt after 5 seconds.
func WithNotifyClient(hc *http.Client) Option { return func(c *config) { c.notifyClient = hc } }

// WithRefundNotifyURL sets the merchant platform's refund notify URL,
// used for refunds whose request has no notify_url. Without it such
// refunds are not notified, as on a platform where none is configured.
func WithRefundNotifyURL(url string) Option { return func(c *config) { c.refundNotifyURL = url } }

// WithManualRefunds keeps accepted refunds PROCESSING until the test calls
// CompleteRefund or FailRefund. By default a refund succeeds as soon as it
// is accepted and its notify is sent right after the answer.
func WithManualRefunds() Option { return func(c *config) { c.manualRefunds = true } }

// wechatSchedule is the documented interval before each retry of a
// notify, in seconds (24h4m in all).
var wechatSchedule = [...]int{15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600}

func scaledSchedule(unit time.Duration) []time.Duration {
	d := make([]time.Duration, len(wechatSchedule))
	for i, s := range wechatSchedule {
		d[i] = time.Duration(s) * unit
	}
	return d
}

// NewServer starts a server for the app appID and merchant mchID whose
// API key is apiKey. It generates its own certificate authority, which
// signs both its HTTPS certificate and the merchant client certificate of
// MerchantCertPEM. Like httptest.NewServer it panics if it cannot start,
// and on empty credentials.
func NewServer(appID, mchID, apiKey string, opts ...Option) *Server {
	if appID == "" || mchID == "" || apiKey == "" {
		panic("wxpaytest: NewServer: empty appID, mchID or apiKey")
	}
	cfg := config{now: time.Now, delays: scaledSchedule(time.Millisecond)}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.notifyClient == nil {
		cfg.notifyClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	}
	s := &Server{
		merchants: map[string]*merchant{},
		cfg:       cfg,
		st:        newStore(),
		faults:    map[string][]Fault{},
		delays:    cfg.delays,
		wake:      make(chan struct{}),
	}
	s.appID, s.mchID, s.apiKey = appID, mchID, apiKey
	s.addMerchant(&merchant{appID: appID, mchID: mchID, apiKey: apiKey, subs: cfg.subs})
	for _, mc := range cfg.merchants {
		if mc.appID == "" || mc.mchID == "" || mc.apiKey == "" {
			panic("wxpaytest: NewServer: WithMerchant with an empty appID, mchID or apiKey")
		}
		var subs map[string]map[string]bool
		if len(mc.subs) > 0 {
			subs = addSubs(nil, mc.subs)
		}
		s.addMerchant(&merchant{appID: mc.appID, mchID: mc.mchID, apiKey: mc.apiKey, subs: subs})
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	var resume []*delivery
	if cfg.stateFile != "" {
		var err error
		if resume, err = s.loadState(cfg.stateFile); err != nil {
			panic("wxpaytest: NewServer: state file " + cfg.stateFile + ": " + err.Error())
		}
	}
	if s.pki == nil {
		k, err := newPKI(cfg.hosts)
		if err != nil {
			panic("wxpaytest: NewServer: generating certificates: " + err.Error())
		}
		s.pki = k
	}
	for _, m := range s.mchList {
		if _, err := s.pki.client(m.mchID); err != nil {
			panic("wxpaytest: NewServer: generating certificates: " + err.Error())
		}
	}
	if cfg.sandbox && s.sandboxKey == "" {
		s.sandboxKey = newSandboxKey()
	}
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	if cfg.logger != nil {
		// TLS handshake failures (an untrusted client certificate, a
		// client that does not trust the CA) go to the same log.
		s.hs.Config.ErrorLog = slog.NewLogLogger(cfg.logger.Handler(), slog.LevelWarn)
	}
	if cfg.listener != nil {
		s.hs.Listener.Close()
		s.hs.Listener = cfg.listener
	}
	s.hs.TLS = &tls.Config{
		Certificates: []tls.Certificate{s.pki.serverCert},
		// IfGiven, not Require: only /secapi/ needs the certificate, and a
		// client must be able to call the other paths without one. A
		// certificate that is given must verify, as at WeChat.
		ClientAuth: tls.VerifyClientCertIfGiven,
		ClientCAs:  s.pki.pool(),
		MinVersion: tls.VersionTLS12,
	}
	s.hs.StartTLS()
	s.URL = s.hs.URL
	s.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.pki.pool(), MinVersion: tls.VersionTLS12},
	}}
	for _, d := range resume {
		s.startNotify(d)
	}
	s.persist()
	return s
}

// addMerchant adds m unless a merchant of its mch_id is already served.
func (s *Server) addMerchant(m *merchant) {
	if s.merchants[m.mchID] == nil {
		s.merchants[m.mchID] = m
		s.mchList = append(s.mchList, m)
	}
}

// WithListener serves on ln, which the server then owns and closes,
// instead of on a new loopback port: for a fixed address, as
// cmd/wxpaytest listens on. URL is then "https://" and ln's address.
func WithListener(ln net.Listener) Option { return func(c *config) { c.listener = ln } }

// WithHostnames adds names (DNS names or IP addresses) to the server's
// HTTPS certificate, which always covers 127.0.0.1, ::1, localhost and
// api.mch.weixin.qq.com: for clients that reach the server under another
// name, such as a container's.
func WithHostnames(names ...string) Option {
	return func(c *config) { c.hosts = append(c.hosts, names...) }
}

// Client returns an HTTP client that trusts the server's certificate (and
// nothing else) and presents no client certificate; wxpay.NewClient adds
// the merchant certificate given with wxpay.WithCertPEM for the calls
// that need it. Every call returns the same client.
func (s *Server) Client() *http.Client { return s.client }

// CACertPEM returns the certificate of the server's own authority, for
// clients configured by other means than Client.
func (s *Server) CACertPEM() []byte {
	return pemCert(s.pki.caCert.Raw)
}

// MerchantCertPEM returns a merchant client certificate and its private
// key, the apiclient_cert.pem and apiclient_key.pem of the merchant
// platform, for wxpay.WithCertPEM. The server trusts it on /secapi/ paths.
func (s *Server) MerchantCertPEM() (certPEM, keyPEM []byte) {
	kp := s.pki.clients[s.mchList[0].mchID]
	return bytes.Clone(kp.Cert), bytes.Clone(kp.Key)
}

// Close stops notify deliveries (an attempt in flight is canceled), waits
// for their goroutines, and shuts the server down. It must not be called
// from a handler the server is delivering a notify to. Closing twice is
// harmless.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.persist() // with the deliveries Close interrupted, for the next server
	s.hs.Close()
	s.client.CloseIdleConnections()
	s.cfg.notifyClient.CloseIdleConnections()
}

// Request is the record of one request the server received.
type Request struct {
	Time       time.Time
	Method     string
	Path       string
	Body       []byte       // as received, up to wxpay.MaxBodySize+1 bytes
	Params     wxpay.Params // Body decoded; nil when it is not a v2 message
	ClientCert bool         // a client certificate the server trusts was presented
	Fault      *Fault       // the fault injected into the answer, if any

	StatusCode     int          // 0 for a Hangup fault
	Response       []byte       // the body answered (a bill for downloadbill)
	ResponseParams wxpay.Params // Response decoded; nil when it is not a v2 message
}

// Requests returns a copy of the record of every request so far, in the
// order they arrived. A request still being answered has no StatusCode
// and Response yet.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

func (r Request) clone() Request {
	r.Body = bytes.Clone(r.Body)
	r.Params = maps.Clone(r.Params)
	r.Response = bytes.Clone(r.Response)
	r.ResponseParams = maps.Clone(r.ResponseParams)
	if r.Fault != nil {
		f := *r.Fault
		r.Fault = &f
	}
	return r
}

// endpoint is one API path: what it demands and the handler that answers
// a request that passed the checks all paths share. A new path is one
// entry in endpoints and one handler method.
type endpoint struct {
	cert       bool     // demands a verified client certificate (/secapi/)
	billErrors bool     // errors are downloadbill's unsigned XML with error_code
	hmacOnly   bool     // only HMAC-SHA256 requests are accepted
	md5Only    bool     // only MD5 requests are accepted
	noSignType bool     // sign_type must not be sent: MD5, as for red packets
	noNonce    bool     // nonce_str is not required (customs)
	appIDField string   // the request's app id field: "" means "appid", "-" none
	mchIDField string   // the request's merchant id field: "" means "mch_id"
	unsigned   bool     // the answer carries no sign (transfers)
	noSubAppID bool     // sub_appid is refused (profit-sharing finish)
	keyFetch   bool     // the sandbox's getsignkey: its own envelope, see sandboxKeyAnswer
	optSub     bool     // sub_mch_id is optional for a service provider (bills)
	urlEncoded string   // a field sent URL-encoded and signed decoded (shorturl's long_url)
	required   []string // business fields that must be non-empty
	oneOf      []string // at least one of these must be non-empty
	// serve is called with s.mu held and must not block.
	serve func(s *Server, p wxpay.Params) answer
}

var endpoints = map[string]endpoint{
	"/pay/unifiedorder": {
		required: []string{"body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type"},
		serve:    (*Server).unifiedOrder,
	},
	"/pay/orderquery":    {oneOf: []string{"transaction_id", "out_trade_no"}, serve: (*Server).orderQuery},
	"/pay/closeorder":    {required: []string{"out_trade_no"}, serve: (*Server).closeOrder},
	"/secapi/pay/refund": {cert: true, required: []string{"out_refund_no", "total_fee", "refund_fee"}, oneOf: []string{"transaction_id", "out_trade_no"}, serve: (*Server).refund},
	"/pay/refundquery":   {oneOf: []string{"refund_id", "out_refund_no", "transaction_id", "out_trade_no"}, serve: (*Server).refundQuery},
	"/pay/downloadbill":  {billErrors: true, optSub: true, required: []string{"bill_date"}, serve: (*Server).downloadBill},
	"/pay/micropay": {
		required: []string{"body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code"},
		serve:    (*Server).microPay,
	},
	"/secapi/pay/reverse":     {cert: true, oneOf: []string{"transaction_id", "out_trade_no"}, serve: (*Server).reverse},
	"/tools/authcodetoopenid": {required: []string{"auth_code"}, serve: (*Server).authCodeToOpenID},
	"/pay/downloadfundflow": {
		cert: true, billErrors: true, hmacOnly: true, optSub: true,
		required: []string{"bill_date", "account_type"}, serve: (*Server).downloadFundFlow,
	},
}

// route is what a request's path leads to: the endpoint, the API path
// (the path without a sandbox prefix, under which faults are queued) and
// the key the request and its answer are signed with.
type route struct {
	endpoint
	path    string
	key     string
	sandbox bool
}

// answer is a handler's decision, turned into a response by encode.
type answer struct {
	returnMsg string // non-empty: return_code FAIL, with this return_msg
	billCode  string // error_code of a downloadbill error (default 20001)

	errCode, errCodeDes string // result_code FAIL

	fields wxpay.Params // business fields of a success

	file []byte // a bill download's success: this body instead of XML
	// nested is raw XML elements written inside <xml> after the fields,
	// unsigned: gethbinfo's hblist, the one nested answer field.
	nested []byte
	raw    wxpay.Params // an answer sent as is, unsigned (the sandbox key)

	// notify is delivered once the answer is written, so that the
	// merchant is not notified of a refund it has not been told about.
	notify *delivery
}

// reject answers return_code FAIL: the request itself was not accepted.
func reject(msg string) answer { return answer{returnMsg: msg} }

// refuse answers result_code FAIL with an err_code, signed.
func refuse(code, des string) answer { return answer{errCode: code, errCodeDes: des} }

func success(fields wxpay.Params) answer { return answer{fields: fields} }

func missing(field string) answer { return reject("缺少参数" + field) }

func badFormat(field string) answer { return reject(field + "参数格式错误") }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Time:       s.cfg.now(),
		Method:     r.Method,
		Path:       r.URL.Path,
		ClientCert: r.TLS != nil && len(r.TLS.VerifiedChains) > 0,
	}
	rec.Body, _ = io.ReadAll(io.LimitReader(r.Body, wxpay.MaxBodySize+1))

	if get := getEndpoints[r.URL.Path]; get != nil && r.Method == http.MethodGet {
		s.serveGet(w, r, get) // a signing request WeChat answers to a GET (contract.go)
		return
	}
	rt, known := s.route(r.URL.Path)
	var f *Fault
	if known {
		f = s.takeFault(rt.path)
		if f == nil {
			f = negativeFault(&rt, r)
		}
		rec.Fault = f
	}
	record := s.record(rec)
	if !known {
		rec.StatusCode, rec.Response = http.StatusNotFound, []byte(gatewayPage(http.StatusNotFound))
		record(rec)
		writeBody(w, rec.StatusCode, "text/html", rec.Response)
		return
	}
	if f != nil && f.Delay > 0 && !s.sleep(r.Context(), f.Delay) {
		f = &Fault{Hangup: true} // the client or Close gave up first
	}

	var ans answer
	switch {
	case f != nil && f.StatusCode != 0:
		rec.StatusCode, rec.Response = f.StatusCode, []byte(gatewayPage(f.StatusCode))
		record(rec)
		writeBody(w, rec.StatusCode, "text/html", rec.Response)
		return
	case f != nil && f.ReturnMsg != "":
		rec.Params, _ = wxpay.ParseXML(rec.Body)
		ans = reject(f.ReturnMsg)
	default:
		rec.Params, ans = s.process(&rt, r, rec.Body, f)
	}

	rec.ResponseParams, rec.Response = s.encode(rt, rec.Params, ans, f != nil && f.BadSign)
	if f != nil && f.Malformed {
		rec.Response = rec.Response[:len(rec.Response)/2]
		rec.ResponseParams = nil
	}
	if f != nil && f.Hangup {
		record(rec)
		hangup(w)
	} else {
		rec.StatusCode = http.StatusOK
		record(rec)
		ct := "text/xml; charset=utf-8"
		if ans.file != nil {
			ct = "text/plain; charset=utf-8"
		}
		writeBody(w, http.StatusOK, ct, rec.Response)
	}
	if ans.notify != nil {
		s.startNotify(ans.notify)
	}
	s.logRequest(rec, ans)
	s.persist()
}

// process applies the checks every path shares, in the order a request
// meets them at WeChat (transport, XML, merchant, signature, fields), then
// the path's handler.
func (s *Server) process(rt *route, r *http.Request, body []byte, f *Fault) (wxpay.Params, answer) {
	if r.Method != http.MethodPost {
		return nil, reject("请使用post方法") // REQUIRE_POST_METHOD
	}
	// WeChat refuses /secapi/ without a certificate during the TLS
	// handshake. One listener serves all paths here, so the refusal comes
	// as return_code FAIL instead; a client sees an error either way.
	if rt.cert && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
		return nil, reject("请求未携带商户API证书: " + r.URL.Path + " 需要双向TLS (client certificate required)")
	}
	if len(body) == 0 {
		return nil, reject("post数据为空") // POST_DATA_EMPTY
	}
	p, err := wxpay.ParseXML(body)
	if err != nil {
		if errors.Is(err, wxpay.ErrBodyTooLarge) {
			return nil, reject("请求数据过大")
		}
		return nil, reject("XML格式错误") // XML_FORMAT_ERROR
	}
	if !rootIsXML(body) {
		// WeChat reads the fields of <xml> only: under another root it
		// finds none, and says so of the first it checks.
		return p, badFormat("mch_id")
	}
	if rt.keyFetch {
		return p, s.sandboxKeyAnswer(p)
	}
	raw := p
	if f := rt.urlEncoded; f != "" && p[f] != "" {
		v, err := url.QueryUnescape(p[f])
		if err != nil {
			return raw, badFormat(f)
		}
		p = maps.Clone(p)
		p[f] = v
	}
	appField, mchField := rt.appID(), rt.mchID()
	nonce := "nonce_str"
	if rt.noNonce {
		nonce = "-"
	}
	for _, f := range [...]string{appField, mchField, nonce, "sign"} {
		if f != "-" && p[f] == "" {
			return raw, rt.missing(f)
		}
	}
	if appField == "-" && p["appid"] != "" {
		// WeChat signs these requests without appid: one sent is a
		// signature failure at WeChat (profitsharingquery).
		return raw, reject("签名错误: 此接口不接受appid参数")
	}
	if rt.noSignType && p["sign_type"] != "" {
		return raw, reject("签名错误: 此接口不支持sign_type参数")
	}
	if rt.noSubAppID && p["sub_appid"] != "" {
		return raw, reject("签名错误: 此接口不接受sub_appid参数")
	}
	m := s.merchants[p[mchField]]
	if m == nil {
		return raw, reject("商户号mch_id不存在") // MCHID_NOT_EXIST: its key is unknown, so nothing can be signed
	}
	if !rt.sandbox {
		rt.key = m.apiKey
	}
	if len([]rune(p["nonce_str"])) > 32 {
		return raw, reject("nonce_str参数长度有误")
	}
	if st := signTypeOf(p); !st.Valid() || len(s.cfg.signTypes) > 0 && !slices.Contains(s.cfg.signTypes, st) {
		return raw, reject("sign_type参数错误")
	}
	if rt.sandbox && signTypeOf(p) != wxpay.SignTypeMD5 {
		return raw, reject(sandboxMD5Only)
	}
	if rt.hmacOnly && signTypeOf(p) != wxpay.SignTypeHMACSHA256 {
		return raw, reject("invalid sign_type")
	}
	if rt.md5Only && signTypeOf(p) != wxpay.SignTypeMD5 {
		return raw, reject("sign_type参数错误: 此接口只支持MD5")
	}
	// A bad signature is a return_code FAIL "签名错误", not result_code
	// FAIL / SIGNERROR, although the error-code tables list SIGNERROR:
	// that is what WeChat answers in practice, and it has to be, since a
	// server that cannot trust the request does not sign an answer
	// (spec §1: no sign when return_code is FAIL).
	if !verifies(p, rt.key) {
		if rt.billErrors {
			return raw, reject("SIGN ERROR")
		}
		return raw, reject("签名错误")
	}
	if appField != "-" && p[appField] != m.appID {
		return raw, refuse("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
	}
	if ans, ok := s.checkSubMerchant(rt.endpoint, m, p); !ok {
		return raw, ans
	}
	for _, f := range rt.required {
		if p[f] == "" {
			return raw, rt.missing(f)
		}
	}
	if len(rt.oneOf) > 0 && !anySet(p, rt.oneOf) {
		return raw, rt.missing(rt.oneOf[0])
	}
	if f != nil && f.ErrCode != "" {
		des := f.ErrCodeDes
		if des == "" {
			des = f.ErrCode
		}
		return raw, refuse(f.ErrCode, des)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.negative = negativeCase(rt, r)
	defer func() { s.negative = "" }()
	return raw, rt.serve(s, p)
}

// verifies reports whether p's sign verifies with key. WeChat reads a
// request without sign_type as MD5, while VerifySign would infer
// HMAC-SHA256 from a 64-digit sign, so that case is refused here first.
func verifies(p wxpay.Params, key string) bool {
	return !(p["sign_type"] == "" && len(p["sign"]) != 32) && wxpay.VerifySign(p, key) == nil
}

func (ep endpoint) appID() string {
	if ep.appIDField == "" {
		return "appid"
	}
	return ep.appIDField
}

func (ep endpoint) mchID() string {
	if ep.mchIDField == "" {
		return "mch_id"
	}
	return ep.mchIDField
}

func (ep endpoint) missing(field string) answer {
	if ep.billErrors {
		return reject("missing parameter")
	}
	return missing(field)
}

func anySet(p wxpay.Params, fields []string) bool {
	for _, f := range fields {
		if p[f] != "" {
			return true
		}
	}
	return false
}

// signTypeOf is the sign type a request declares: MD5 when it declares
// none, as at WeChat.
func signTypeOf(p wxpay.Params) wxpay.SignType {
	if st := p["sign_type"]; st != "" {
		return wxpay.SignType(st)
	}
	return wxpay.SignTypeMD5
}

// encode turns an answer to the request req (nil when it did not parse)
// into the response: a failure unsigned, a result signed with the route's
// key and the sign type the request declared, carrying its appid and
// mch_id (and sub_appid and sub_mch_id, when it named them) and a fresh
// nonce_str.
func (s *Server) encode(rt route, req wxpay.Params, ans answer, badSign bool) (wxpay.Params, []byte) {
	if ans.file != nil {
		return nil, ans.file
	}
	if ans.raw != nil {
		return ans.raw, ans.raw.AppendXML(nil)
	}
	if rt.billErrors && ans.returnMsg == "" && ans.errCode != "" {
		ans.returnMsg = ans.errCodeDes // downloadbill has no result layer
	}
	if ans.returnMsg != "" {
		p := wxpay.Params{"return_code": "FAIL", "return_msg": ans.returnMsg}
		if rt.billErrors {
			p["error_code"] = ans.billCode
			if p["error_code"] == "" {
				p["error_code"] = "20001"
			}
		}
		return p, p.AppendXML(nil)
	}
	p := ans.fields
	if p == nil {
		p = wxpay.Params{}
	}
	p["return_code"], p["return_msg"] = "SUCCESS", "OK"
	if f := rt.appID(); f != "-" {
		p[f] = req[f]
	}
	p[rt.mchID()], p["nonce_str"] = req[rt.mchID()], wxpay.NonceStr()
	setIf(p, "sub_appid", req["sub_appid"])
	setIf(p, "sub_mch_id", req["sub_mch_id"])
	p["result_code"] = "SUCCESS"
	if ans.errCode != "" {
		p["result_code"], p["err_code"], p["err_code_des"] = "FAIL", ans.errCode, ans.errCodeDes
	}
	if rt.unsigned {
		return p, withNested(p.AppendXML(nil), ans.nested)
	}
	key := rt.key
	if badSign {
		key = "wxpaytest-wrong-key-" + key
	}
	p["sign"] = s.mustSign(p, key, signTypeOf(req))
	return p, withNested(p.AppendXML(nil), ans.nested)
}

// withNested writes nested inside the <xml> document doc, before its end.
func withNested(doc, nested []byte) []byte {
	if nested == nil {
		return doc
	}
	end := len(doc) - len("</xml>")
	return append(append(append([]byte(nil), doc[:end]...), nested...), "</xml>"...)
}

// mustSign signs with a sign type already checked to be valid.
func (s *Server) mustSign(p wxpay.Params, key string, t wxpay.SignType) string {
	sign, err := wxpay.Sign(p, key, t)
	if err != nil {
		panic("wxpaytest: signing with checked sign type " + string(t) + ": " + err.Error())
	}
	return sign
}

// record adds r to the record, in the order requests arrive, and returns
// the function that replaces it with its final state.
func (s *Server) record(r Request) func(Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.requests)
	s.requests = append(s.requests, r)
	return func(r Request) {
		s.mu.Lock()
		s.requests[i] = r
		s.mu.Unlock()
	}
}

// sleep waits for d, and reports false if ctx or the server was done
// first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.ctx.Done():
		return false
	}
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(body)
}

// hangup drops the connection without an answer.
func hangup(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection
}

func gatewayPage(status int) string {
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>stgw</center>\r\n</body>\r\n</html>\r\n"
}

// Reset forgets every order, refund, payment-code behavior, queued fault
// and record, and drops the notifies being delivered, as a new server
// would have none; the merchants, the certificates, the sandbox key and
// the retry schedule stay. It is for a long-lived server (cmd/wxpaytest)
// shared by tests that each want a clean start.
func (s *Server) Reset() {
	s.mu.Lock()
	s.st = newStore()
	s.faults = map[string][]Fault{}
	s.requests, s.notifies, s.givenUp = nil, nil, nil
	for d := range s.outbox {
		d.dropped = true
	}
	s.wakeLocked()
	s.mu.Unlock()
	s.persist()
}

// WithSignTypes restricts the sign types the server accepts to types, as
// for a merchant whose platform settings allow only HMAC-SHA256: a
// request signed otherwise is answered return_code FAIL, sign_type参数错误.
// By default MD5 and HMAC-SHA256 are both accepted.
func WithSignTypes(types ...wxpay.SignType) Option {
	return func(c *config) { c.signTypes = append(c.signTypes, types...) }
}
