package main

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// openAPI describes the control API; GET /openapi.json serves it.
//
//go:embed openapi.json
var openAPI []byte

// The control API is a thin layer over the exported controls of
// wxpaytest.Server, one route for each, so that the HTTP controls and the
// Go ones cannot drift apart.
func (a *app) controlHandler() http.Handler {
	mux := http.NewServeMux()
	a.routes = nil
	route := func(pattern string, h http.HandlerFunc) {
		a.routes = append(a.routes, pattern)
		mux.HandleFunc(pattern, h)
	}
	handle := func(pattern string, h func(r *http.Request) (any, error)) {
		route(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, err := h(r)
			if err != nil {
				status := http.StatusBadRequest
				switch {
				case errors.Is(err, wxpaytest.ErrNotFound):
					status = http.StatusNotFound
				case errors.Is(err, wxpaytest.ErrState):
					status = http.StatusConflict
				case errors.Is(err, context.DeadlineExceeded):
					status = http.StatusGatewayTimeout
				}
				var ne *wxpaytest.NotifyError
				if errors.As(err, &ne) {
					writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "given_up": attemptsJSON(ne.GivenUp)})
					return
				}
				writeJSON(w, status, map[string]string{"error": err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, v)
		})
	}
	s := a.srv

	route("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	handle("GET /healthz", func(*http.Request) (any, error) { return map[string]bool{"ok": true}, nil })
	handle("GET /config", func(*http.Request) (any, error) {
		_, cc, err := a.files()
		return cc, err
	})
	route("GET /files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		files, _, err := a.files()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		data, ok := files[r.PathValue("path")]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no file " + r.PathValue("path")})
			return
		}
		ct := "application/x-pem-file"
		switch {
		case strings.HasSuffix(r.PathValue("path"), ".p12"):
			ct = "application/x-pkcs12"
		case strings.HasSuffix(r.PathValue("path"), ".json"):
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.Write(data)
	})

	handle("POST /orders/{out_trade_no}/pay", func(r *http.Request) (any, error) {
		var pj paymentJSON
		if err := decode(r, &pj); err != nil {
			return nil, err
		}
		pm, err := pj.payment()
		if err != nil {
			return nil, err
		}
		if err := s.PayWith(r.PathValue("out_trade_no"), pm); err != nil {
			return nil, err
		}
		return map[string]string{"out_trade_no": r.PathValue("out_trade_no"), "result": resultOf(pm)}, nil
	})
	handle("POST /refunds/{out_refund_no}/complete", func(r *http.Request) (any, error) {
		return ok(s.CompleteRefund(r.PathValue("out_refund_no")))
	})
	handle("POST /refunds/{out_refund_no}/fail", func(r *http.Request) (any, error) {
		var body struct {
			Status string `json:"status"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		if body.Status == "" {
			body.Status = string(wxpay.RefundStatusChange)
		}
		return ok(s.FailRefund(r.PathValue("out_refund_no"), wxpay.RefundStatus(body.Status)))
	})
	handle("POST /faults", func(r *http.Request) (any, error) {
		var body struct {
			Path   string      `json:"path"`
			Faults []faultJSON `json:"faults"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(body.Path, "/") || len(body.Faults) == 0 {
			return nil, errors.New(`want {"path": "/pay/orderquery", "faults": [{...}, ...]}`)
		}
		var fs []wxpaytest.Fault
		for _, f := range body.Faults {
			fs = append(fs, f.fault())
		}
		s.Fail(body.Path, fs...)
		return map[string]any{"path": body.Path, "queued": len(fs)}, nil
	})
	handle("POST /notifies/forge", func(r *http.Request) (any, error) {
		var body struct {
			Forgery    string `json:"forgery"`
			URL        string `json:"url"`
			OutTradeNo string `json:"out_trade_no"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		f, ok := forgeries[body.Forgery]
		if !ok {
			return nil, fmt.Errorf("forgery %q: want one of sign, unsigned, amount, merchant, refund_key, refund_garbage", body.Forgery)
		}
		if body.URL == "" || body.OutTradeNo == "" {
			return nil, errors.New("url and out_trade_no are required")
		}
		at, err := s.SendForgedNotify(r.Context(), f, body.URL, body.OutTradeNo)
		if err != nil && at.URL == "" {
			return nil, err
		}
		return attemptOf(at), nil // a transport error is in the attempt
	})
	handle("PUT /codes/{auth_code}", func(r *http.Request) (any, error) {
		var body struct {
			ErrCode      string      `json:"err_code"`
			Then         string      `json:"then"`
			AfterQueries int         `json:"after_queries"`
			Recalls      int         `json:"recalls"`
			Payment      paymentJSON `json:"payment"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		pm, err := body.Payment.payment()
		if err != nil {
			return nil, err
		}
		code := r.PathValue("auth_code")
		if code == "default" {
			code = ""
		}
		return ok(s.SetCodeBehavior(code, wxpaytest.CodeBehavior{
			ErrCode: body.ErrCode, Then: wxpay.TradeState(body.Then), AfterQueries: body.AfterQueries,
			Recalls: body.Recalls, Payment: pm,
		}))
	})
	handle("GET /sandbox/key", func(*http.Request) (any, error) {
		return map[string]string{"sandbox_key": s.SandboxKey()}, nil
	})
	handle("POST /sandbox/rotate-key", func(*http.Request) (any, error) {
		if !a.cfg.sandbox {
			return nil, errors.New("not a sandbox: start wxpaytest with -sandbox")
		}
		return map[string]string{"sandbox_key": s.RotateSandboxKey()}, nil
	})
	handle("GET /requests", func(*http.Request) (any, error) {
		var out []requestJSON
		for _, rq := range s.Requests() {
			out = append(out, requestOf(rq))
		}
		return nonNil(out), nil
	})
	handle("GET /notifies", func(*http.Request) (any, error) { return attemptsJSON(s.Notifies()), nil })
	handle("POST /notifies/wait", func(r *http.Request) (any, error) {
		var body struct {
			TimeoutMS int64 `json:"timeout_ms"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		timeout := 30 * time.Second
		if body.TimeoutMS > 0 {
			timeout = time.Duration(body.TimeoutMS) * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if err := s.WaitNotifies(ctx); err != nil {
			return nil, err
		}
		return map[string]bool{"delivered": true}, nil
	})
	handle("POST /notifies/stop", func(r *http.Request) (any, error) {
		var body struct {
			OutTradeNo string `json:"out_trade_no"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		return map[string]int{"stopped": s.StopNotifies(body.OutTradeNo)}, nil
	})
	handle("PUT /notifies/schedule", func(r *http.Request) (any, error) {
		var body struct {
			DelaysMS []int64 `json:"delays_ms"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		ds := make([]time.Duration, len(body.DelaysMS))
		for i, ms := range body.DelaysMS {
			if ms < 0 {
				return nil, errors.New("delays_ms: negative delay")
			}
			ds[i] = time.Duration(ms) * time.Millisecond
		}
		s.SetNotifyDelays(ds...)
		return map[string]any{"delays_ms": body.DelaysMS}, nil
	})
	handle("GET /profitsharing/{out_trade_no}/unsplit", func(r *http.Request) (any, error) {
		n, err := s.UnsplitAmount(r.PathValue("out_trade_no"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"out_trade_no": r.PathValue("out_trade_no"), "unsplit_amount": n}, nil
	})
	handle("GET /redpacks/{mch_billno}", func(r *http.Request) (any, error) {
		st, err := s.RedPackStatus(r.PathValue("mch_billno"))
		if err != nil {
			return nil, err
		}
		return map[string]string{"mch_billno": r.PathValue("mch_billno"), "status": string(st)}, nil
	})
	handle("PUT /redpacks/{mch_billno}/status", func(r *http.Request) (any, error) {
		var body struct {
			Status string `json:"status"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		if !redPackStatuses[wxpay.RedPackStatus(body.Status)] {
			return nil, fmt.Errorf("status %q: want one of SENDING, SENT, FAILED, RECEIVED, RFUND_ING, REFUND", body.Status)
		}
		if err := s.SetRedPackStatus(r.PathValue("mch_billno"), wxpay.RedPackStatus(body.Status)); err != nil {
			return nil, err
		}
		return map[string]string{"mch_billno": r.PathValue("mch_billno"), "status": body.Status}, nil
	})
	handle("PUT /redpacks/hold", func(r *http.Request) (any, error) {
		var body struct {
			Hold *bool `json:"hold"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		if body.Hold == nil {
			return nil, errors.New(`want {"hold": true} or {"hold": false}`)
		}
		s.HoldRedPacks(*body.Hold)
		return map[string]bool{"hold": *body.Hold}, nil
	})
	handle("POST /native/scan", func(r *http.Request) (any, error) {
		var body struct {
			ProductID string `json:"product_id"`
			OpenID    string `json:"openid"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		if a.cfg.nativeURL == "" {
			return nil, errors.New("no mode-1 callback URL: start wxpaytest with -native-callback-url")
		}
		if body.ProductID == "" {
			return nil, errors.New("product_id is required")
		}
		res, err := s.ScanProduct(r.Context(), body.ProductID, body.OpenID)
		if err != nil {
			return nil, err
		}
		return scanJSON{
			ResultCode: res.ResultCode, ErrCodeDes: res.ErrCodeDes, PrepayID: res.PrepayID, OutTradeNo: res.OutTradeNo,
			OpenID: res.OpenID, Reply: strings.ToValidUTF8(string(res.Reply), "\uFFFD"),
		}, nil
	})
	handle("GET /contracts", func(*http.Request) (any, error) {
		out := []contractJSON{}
		for _, c := range s.Contracts() {
			out = append(out, contractOf(c))
		}
		slices.SortFunc(out, func(x, y contractJSON) int {
			return cmp.Or(strings.Compare(x.PlanID, y.PlanID), strings.Compare(x.ContractCode, y.ContractCode), strings.Compare(x.ContractID, y.ContractID))
		})
		return out, nil
	})
	handle("POST /contracts/sign", func(r *http.Request) (any, error) {
		var body struct {
			Link string `json:"link"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		if body.Link == "" {
			return nil, errors.New("link is required: the signing link, or the redirect_url of an H5 signing request")
		}
		return signed(s.SignContract(a.serverLink(body.Link)))
	})
	handle("POST /contracts/sign-miniprogram", func(r *http.Request) (any, error) {
		var body struct {
			ExtraData wxpay.Params `json:"extra_data"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		if len(body.ExtraData) == 0 {
			return nil, errors.New("extra_data is required: the mini program's extraData, as an object of strings")
		}
		return signed(s.SignMiniProgramContract(body.ExtraData))
	})
	handle("POST /contracts/sign-preentrust", func(r *http.Request) (any, error) {
		var body struct {
			PreEntrustWebID string `json:"pre_entrustweb_id"`
		}
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		if body.PreEntrustWebID == "" {
			return nil, errors.New("pre_entrustweb_id is required")
		}
		return signed(s.SignPreEntrust(body.PreEntrustWebID))
	})
	handle("POST /contracts/{contract_id}/terminate", func(r *http.Request) (any, error) {
		if err := s.TerminateContract(r.PathValue("contract_id")); err != nil {
			return nil, err
		}
		return map[string]any{"contract_id": r.PathValue("contract_id"), "terminated": true}, nil
	})
	handle("PUT /endpoints/{path...}", func(r *http.Request) (any, error) {
		var body endpointJSON
		if err := decode(r, &body); err != nil {
			return nil, err
		}
		path := "/" + r.PathValue("path")
		if body.ErrCode == "" && body.ErrCodeDes != "" {
			return nil, errors.New("err_code_des without err_code")
		}
		s.Handle(path, body.endpoint())
		return map[string]string{"path": path}, nil
	})
	handle("POST /reset", func(*http.Request) (any, error) {
		s.Reset()
		return map[string]bool{"reset": true}, nil
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no control " + r.Method + " " + r.URL.Path + "; see GET /openapi.json"})
	})
	return mux
}

func ok(err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]bool{"ok": true}, nil
}

func signed(contractID string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]string{"contract_id": contractID}, nil
}

// serverLink gives a signing link the origin of srv.URL, which
// SignContract holds links to, when the link names the server as a
// client reaches it: under -public-host, a -hostname, localhost or a
// loopback address, on one of the API's ports. The process answers on
// all of them; the Go server knows one URL. Another origin is left for
// SignContract to refuse, as a link built on the wrong base URL must be.
func (a *app) serverLink(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || !strings.HasPrefix(link, "https://"+u.Host+"/") {
		return link
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || !slices.Contains(a.apiPorts, port) {
		return link
	}
	names := append([]string{"localhost", a.cfg.publicHost}, a.cfg.hostnames...)
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if !slices.ContainsFunc(names, func(n string) bool { return n != "" && strings.EqualFold(n, host) }) &&
		(ip == nil || !ip.IsLoopback() && !slices.ContainsFunc(a.apiHosts, func(h string) bool { return ip.Equal(net.ParseIP(h)) })) {
		return link
	}
	return a.srv.URL + link[len("https://"+u.Host):]
}

// redPackStatuses are the states of wxpay.RedPackStatus.
var redPackStatuses = map[wxpay.RedPackStatus]bool{
	wxpay.RedPackSending: true, wxpay.RedPackSent: true, wxpay.RedPackFailed: true,
	wxpay.RedPackReceived: true, wxpay.RedPackRefunding: true, wxpay.RedPackRefund: true,
}

// scanJSON is wxpaytest.ScanResult in JSON.
type scanJSON struct {
	ResultCode string `json:"result_code"`
	ErrCodeDes string `json:"err_code_des,omitempty"`
	PrepayID   string `json:"prepay_id,omitempty"`
	OutTradeNo string `json:"out_trade_no,omitempty"`
	OpenID     string `json:"openid"`
	Reply      string `json:"reply"`
}

// contractJSON is wxpaytest.ContractInfo in JSON.
type contractJSON struct {
	ContractID             string `json:"contract_id"`
	PlanID                 string `json:"plan_id"`
	ContractCode           string `json:"contract_code"`
	ContractDisplayAccount string `json:"contract_display_account"`
	RequestSerial          string `json:"request_serial"`
	OpenID                 string `json:"openid"`
	SubMchID               string `json:"sub_mch_id,omitempty"`
	NotifyURL              string `json:"notify_url"`
	Terminated             bool   `json:"terminated"`
	TerminationMode        int    `json:"termination_mode,omitempty"`
	TerminationRemark      string `json:"termination_remark,omitempty"`
}

func contractOf(c wxpaytest.ContractInfo) contractJSON {
	return contractJSON{
		ContractID: c.ContractID, PlanID: c.PlanID, ContractCode: c.ContractCode, ContractDisplayAccount: c.ContractDisplayAccount,
		RequestSerial: c.RequestSerial, OpenID: c.OpenID, SubMchID: c.SubMchID, NotifyURL: c.NotifyURL,
		Terminated: c.Terminated, TerminationMode: c.TerminationMode, TerminationRemark: c.TerminationRemark,
	}
}

// endpointJSON is wxpaytest.Endpoint in JSON, its Answer a canned one:
// the answer fields, plus the request's values of the echo fields, or a
// business failure (err_code) or a refusal (return_msg).
type endpointJSON struct {
	Cert       bool              `json:"cert"`
	AppIDField string            `json:"appid_field"`
	MchIDField string            `json:"mch_id_field"`
	NoSignType bool              `json:"no_sign_type"`
	HMACOnly   bool              `json:"hmac_only"`
	Unsigned   bool              `json:"unsigned"`
	Answer     map[string]string `json:"answer"`
	Echo       []string          `json:"echo"`
	ErrCode    string            `json:"err_code"`
	ErrCodeDes string            `json:"err_code_des"`
	ReturnMsg  string            `json:"return_msg"`
}

func (e endpointJSON) endpoint() wxpaytest.Endpoint {
	return wxpaytest.Endpoint{
		Cert: e.Cert, AppIDField: e.AppIDField, MchIDField: e.MchIDField, NoSignType: e.NoSignType,
		HMACOnly: e.HMACOnly, Unsigned: e.Unsigned,
		Answer: func(req wxpay.Params) (wxpay.Params, error) {
			switch {
			case e.ReturnMsg != "":
				return nil, errors.New(e.ReturnMsg)
			case e.ErrCode != "":
				return nil, &wxpay.Error{ErrCode: e.ErrCode, ErrCodeDes: e.ErrCodeDes}
			}
			fields := wxpay.Params{}
			for k, v := range e.Answer {
				fields[k] = v
			}
			for _, k := range e.Echo {
				if v, ok := req[k]; ok {
					fields[k] = v
				}
			}
			return fields, nil
		},
	}
}

// decode reads a JSON body; an empty one is the zero value.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("request body: %w", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// paymentJSON is wxpaytest.Payment in JSON.
type paymentJSON struct {
	OpenID         string       `json:"openid"`
	BankType       string       `json:"bank_type"`
	IsSubscribe    bool         `json:"is_subscribe"`
	Coupons        []couponJSON `json:"coupons"`
	TimeEnd        string       `json:"time_end"` // RFC 3339 or yyyyMMddHHmmss (Beijing)
	SkipNotify     bool         `json:"skip_notify"`
	NotifyDelayMS  int64        `json:"notify_delay_ms"`
	ErrCode        string       `json:"err_code"`
	ErrCodeDes     string       `json:"err_code_des"`
	SubOpenID      string       `json:"sub_openid"`
	SubIsSubscribe bool         `json:"sub_is_subscribe"`
}

type couponJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Fee  int64  `json:"fee"`
}

func (p paymentJSON) payment() (wxpaytest.Payment, error) {
	pm := wxpaytest.Payment{
		OpenID: p.OpenID, BankType: p.BankType, IsSubscribe: p.IsSubscribe, SkipNotify: p.SkipNotify,
		NotifyDelay: time.Duration(p.NotifyDelayMS) * time.Millisecond, ErrCode: p.ErrCode, ErrCodeDes: p.ErrCodeDes,
		SubOpenID: p.SubOpenID, SubIsSubscribe: p.SubIsSubscribe,
	}
	for _, c := range p.Coupons {
		pm.Coupons = append(pm.Coupons, wxpay.Coupon{Type: wxpay.CouponType(c.Type), ID: c.ID, Fee: c.Fee})
	}
	if p.TimeEnd != "" {
		t, err := time.Parse(time.RFC3339, p.TimeEnd)
		if err != nil {
			t, err = time.ParseInLocation("20060102150405", p.TimeEnd, wxpay.Beijing())
		}
		if err != nil {
			return pm, fmt.Errorf("time_end %q: want RFC 3339 or yyyyMMddHHmmss", p.TimeEnd)
		}
		pm.TimeEnd = t
	}
	if p.NotifyDelayMS < 0 {
		return pm, errors.New("notify_delay_ms: negative")
	}
	return pm, nil
}

func resultOf(pm wxpaytest.Payment) string {
	if pm.ErrCode != "" {
		return "PAYERROR"
	}
	return "SUCCESS"
}

// faultJSON is wxpaytest.Fault in JSON.
type faultJSON struct {
	DelayMS    int64  `json:"delay_ms"`
	Hangup     bool   `json:"hangup"`
	StatusCode int    `json:"status_code"`
	Malformed  bool   `json:"malformed"`
	ReturnMsg  string `json:"return_msg"`
	ErrCode    string `json:"err_code"`
	ErrCodeDes string `json:"err_code_des"`
	BadSign    bool   `json:"bad_sign"`
}

func (f faultJSON) fault() wxpaytest.Fault {
	return wxpaytest.Fault{
		Delay: time.Duration(f.DelayMS) * time.Millisecond, Hangup: f.Hangup, StatusCode: f.StatusCode,
		Malformed: f.Malformed, ReturnMsg: f.ReturnMsg, ErrCode: f.ErrCode, ErrCodeDes: f.ErrCodeDes, BadSign: f.BadSign,
	}
}

var forgeries = map[string]wxpaytest.Forgery{
	"sign":           wxpaytest.ForgedSign,
	"unsigned":       wxpaytest.ForgedUnsigned,
	"amount":         wxpaytest.ForgedAmount,
	"merchant":       wxpaytest.ForgedMerchant,
	"refund_key":     wxpaytest.ForgedRefundKey,
	"refund_garbage": wxpaytest.ForgedRefundGarbage,
}

// requestJSON is wxpaytest.Request in JSON. Bodies are text, or base64
// in the *_base64 field when they are not UTF-8 (a gzipped bill).
type requestJSON struct {
	Time           time.Time         `json:"time"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`
	Body           string            `json:"body,omitempty"`
	BodyBase64     string            `json:"body_base64,omitempty"`
	Params         map[string]string `json:"params,omitempty"`
	ClientCert     bool              `json:"client_cert"`
	Fault          *faultJSON        `json:"fault,omitempty"`
	StatusCode     int               `json:"status_code"`
	Response       string            `json:"response,omitempty"`
	ResponseBase64 string            `json:"response_base64,omitempty"`
	ResponseParams map[string]string `json:"response_params,omitempty"`
}

func requestOf(r wxpaytest.Request) requestJSON {
	j := requestJSON{
		Time: r.Time, Method: r.Method, Path: r.Path, Params: r.Params, ClientCert: r.ClientCert,
		StatusCode: r.StatusCode, ResponseParams: r.ResponseParams,
	}
	j.Body, j.BodyBase64 = textOr64(r.Body)
	j.Response, j.ResponseBase64 = textOr64(r.Response)
	if f := r.Fault; f != nil {
		j.Fault = &faultJSON{
			DelayMS: f.Delay.Milliseconds(), Hangup: f.Hangup, StatusCode: f.StatusCode, Malformed: f.Malformed,
			ReturnMsg: f.ReturnMsg, ErrCode: f.ErrCode, ErrCodeDes: f.ErrCodeDes, BadSign: f.BadSign,
		}
	}
	return j
}

func textOr64(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return "", base64.StdEncoding.EncodeToString(b)
}

// attemptJSON is wxpaytest.NotifyAttempt in JSON.
type attemptJSON struct {
	Kind         string    `json:"kind"`
	Forged       bool      `json:"forged"`
	OutTradeNo   string    `json:"out_trade_no"`
	OutRefundNo  string    `json:"out_refund_no,omitempty"`
	ContractID   string    `json:"contract_id,omitempty"`
	Attempt      int       `json:"attempt"`
	Time         time.Time `json:"time"`
	URL          string    `json:"url"`
	Body         string    `json:"body"`
	StatusCode   int       `json:"status_code"`
	Reply        string    `json:"reply"`
	Error        string    `json:"error,omitempty"`
	Acknowledged bool      `json:"acknowledged"`
	GaveUp       bool      `json:"gave_up"`
}

func attemptOf(a wxpaytest.NotifyAttempt) attemptJSON {
	j := attemptJSON{
		Kind: string(a.Kind), Forged: a.Forged, OutTradeNo: a.OutTradeNo, OutRefundNo: a.OutRefundNo, ContractID: a.ContractID,
		Attempt: a.Attempt, Time: a.Time, URL: a.URL, Body: string(a.Body), StatusCode: a.StatusCode,
		Reply: strings.ToValidUTF8(string(a.Reply), "\uFFFD"), Acknowledged: a.Acknowledged, GaveUp: a.GaveUp,
	}
	if a.Err != nil {
		j.Error = a.Err.Error()
	}
	return j
}

func attemptsJSON(as []wxpaytest.NotifyAttempt) []attemptJSON {
	out := []attemptJSON{}
	for _, a := range as {
		out = append(out, attemptOf(a))
	}
	return out
}
