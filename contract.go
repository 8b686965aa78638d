package wxpay

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// TradeTypePAP is the trade type of a recurring deduction (委托代扣): the
// trade_type PapPayApply sends and its payment notify and PapOrderQuery
// report.
const TradeTypePAP TradeType = "PAP"

// ContractMiniProgramAppID is the app id of WeChat's own signing mini
// program, which a mini program opens with wx.navigateToMiniProgram and
// the extraData of ContractMiniProgramExtraData.
const ContractMiniProgramAppID = "wxbd687630cd02ce1d"

// contractVersion is the version every papay request carries: WeChat
// documents the one value.
const contractVersion = "1.0"

// EntrustRequest is a contract for the payer to sign (纯签约): the fields of
// ContractEntrustWebURL, ContractH5EntrustWebURL, H5EntrustWeb,
// ContractMiniProgramExtraData and PreEntrustWeb. PlanID, ContractCode,
// RequestSerial, ContractDisplayAccount and NotifyURL are required; each
// entry point sends the optional fields WeChat documents for it and
// refuses the others, so that a field is never silently dropped.
type EntrustRequest struct {
	PlanID                 string // plan_id: the template (模板) id from the merchant platform
	ContractCode           string // contract_code: the merchant's contract number, at most 32 characters
	RequestSerial          int64  // request_serial: positive and unique per request, orders the merchant's requests
	ContractDisplayAccount string // contract_display_account: the account name shown to the payer, at most 32 characters
	NotifyURL              string // notify_url: where the contract notify goes (ContractNotifyHandler)

	OuterID string // outerid: the payer's id on the merchant's side, for several contracts under one plan

	// ReturnWeb (Official Account only) makes the signing page return to
	// its referrer when done (return_web=1); by default the payer stays in
	// WeChat.
	ReturnWeb bool

	// H5 and APP only.
	ClientIP    string // clientip: the payer's IP; required for H5
	ReturnAppID string // return_appid (H5): the app the signing page returns to
	DeviceID    string // deviceid
	Mobile      string
	Email       string
	QQ          string
	OpenID      string // openid: the payer under the client's appid
	CreID       string // creid: the payer's identity card number
}

// entrustKind is the entry point an EntrustRequest is built for.
type entrustKind int

const (
	entrustWeb entrustKind = iota
	entrustH5
	entrustMiniProgram
	entrustApp
)

// buildFor adds the contract fields of kind; timestamp is Unix seconds.
func (r *EntrustRequest) buildFor(b *request, kind entrustKind, timestamp int64) {
	b.need("plan_id", r.PlanID, 28)
	b.digits("plan_id", r.PlanID)
	b.need("contract_code", r.ContractCode, 32)
	b.outNo("contract_code", r.ContractCode, 1, 32)
	if r.RequestSerial <= 0 {
		b.fail("request_serial", "must be positive")
	}
	b.set("request_serial", strconv.FormatInt(r.RequestSerial, 10))
	b.need("contract_display_account", r.ContractDisplayAccount, 32)
	b.need("notify_url", r.NotifyURL, 256)
	b.notifyURL("notify_url", r.NotifyURL)
	b.set("timestamp", strconv.FormatInt(timestamp, 10))
	b.text("outerid", r.OuterID, 32)
	if kind != entrustMiniProgram {
		b.set("version", contractVersion)
	}
	if r.ReturnWeb {
		if kind != entrustWeb {
			b.fail("return_web", "is for the Official Account link (ContractEntrustWebURL) only")
		}
		b.set("return_web", "1")
	}
	extras := []textField{
		{"clientip", r.ClientIP, 32}, {"return_appid", r.ReturnAppID, 32}, {"deviceid", r.DeviceID, 128},
		{"mobile", r.Mobile, 32}, {"email", r.Email, 128}, {"qq", r.QQ, 32}, {"openid", r.OpenID, 128}, {"creid", r.CreID, 32},
	}
	for _, f := range extras {
		if f.value == "" {
			continue
		}
		switch {
		case kind == entrustWeb || kind == entrustMiniProgram:
			b.fail(f.name, "is for the H5 and APP entry points only")
		case kind == entrustApp && f.name == "return_appid":
			b.fail(f.name, "is for the H5 entry point only")
		}
		b.text(f.name, f.value, f.max)
	}
	b.ip("clientip", r.ClientIP)
	if kind == entrustH5 && r.ClientIP == "" {
		b.fail("clientip", "is required")
	}
}

// papayPath is the path of a papay operation: the service provider's
// variant in service-provider mode, where WeChat has one.
func (c *Client) papayPath(merchant, partner string) string {
	if c.subMchID != "" && partner != "" {
		return partner
	}
	return merchant
}

// entrustParams builds, validates and signs the parameters of a
// sign-only entry point: the merchant fields, the sub-merchant's in
// service-provider mode, no nonce_str and no sign_type, as WeChat
// documents these GET parameters.
func (c *Client) entrustParams(r *EntrustRequest, kind entrustKind, st SignType) (Params, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, &ValidationError{Field: "request", Reason: "is nil"}
	}
	if c.sandbox != nil && st != SignTypeMD5 {
		return nil, fmt.Errorf("wxpay: the H5 contract link needs %s, and the sandbox signs with MD5 only", st)
	}
	var b request
	r.buildFor(&b, kind, c.now().Unix())
	if b.err != nil {
		return nil, b.err
	}
	p := Params{"appid": c.appID, "mch_id": c.mchID}
	if c.subMchID != "" {
		p["sub_mch_id"] = c.subMchID
		if c.subAppID != "" {
			p["sub_appid"] = c.subAppID
		}
	}
	for _, f := range b.fields {
		p[f.Name] = f.Value
	}
	p["sign"] = c.signParams(p, st)
	return p, nil
}

// entrustURL is the link of p on the client's base URL: the values,
// signed raw, URL-encoded.
func (c *Client) entrustURL(path string, p Params) string {
	q := make(url.Values, len(p))
	for k, v := range p {
		q.Set(k, v)
	}
	return c.endpointURL(c.base, endpoint{path: path}) + "?" + q.Encode()
}

// ContractEntrustWebURL returns the Official Account signing link (公众号纯签约,
// GET /papay/entrustweb, /papay/partner/entrustweb in service-provider
// mode): a page in WeChat sends the payer to it, WeChat shows the
// contract, and once the payer signs it posts the contract notify to
// r.NotifyURL. The link is not a call of ours and is signed with MD5
// whatever the client's sign type, as WeChat requires; its values are
// signed raw and URL-encoded in the link. It carries a timestamp, so
// make it when the payer is about to open it.
func (c *Client) ContractEntrustWebURL(r *EntrustRequest) (string, error) {
	p, err := c.entrustParams(r, entrustWeb, SignTypeMD5)
	if err != nil {
		return "", err
	}
	return c.entrustURL(c.papayPath("/papay/entrustweb", "/papay/partner/entrustweb"), p), nil
}

// ContractH5EntrustWebURL returns the signed H5 signing request (H5纯签约,
// GET /papay/h5entrustweb, /papay/partner/h5entrustweb in service-provider
// mode), for a mobile browser outside WeChat. It is signed with
// HMAC-SHA256 whatever the client's sign type, as WeChat requires, and
// carries no sign_type; values are signed raw and URL-encoded.
// r.ClientIP, the payer's IP, is required. WeChat answers the link with
// an XML message holding the redirect_url to send the browser to:
// H5EntrustWeb fetches and checks it.
func (c *Client) ContractH5EntrustWebURL(r *EntrustRequest) (string, error) {
	p, err := c.entrustParams(r, entrustH5, SignTypeHMACSHA256)
	if err != nil {
		return "", err
	}
	return c.entrustURL(c.papayPath("/papay/h5entrustweb", "/papay/partner/h5entrustweb"), p), nil
}

// H5EntrustWebResponse is WeChat's answer to the H5 signing request.
type H5EntrustWebResponse struct {
	// RedirectURL is where to send the payer's browser
	// (window.location.href, not replace); it is valid for 10 minutes.
	RedirectURL string
	ResultMsg   string
	Raw         Params // the whole answer
}

// H5EntrustWeb requests the H5 signing page (GET of the
// ContractH5EntrustWebURL link) and returns the redirect_url to send the
// payer's browser to. WeChat answers this request unsigned: a sign that
// is present is verified, and the URL is only ever handed to the payer,
// who sees WeChat's page behind it.
func (c *Client) H5EntrustWeb(ctx context.Context, r *EntrustRequest) (*H5EntrustWebResponse, error) {
	link, err := c.ContractH5EntrustWebURL(r)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, fmt.Errorf("wxpay: %w", err)
	}
	hreq.Header.Set("User-Agent", userAgent)
	resp, err := c.httpClient.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wxpay: %w", ctx.Err())
		}
		return nil, &transportError{err}
	}
	defer closeBody(resp.Body)
	p, sorted, err := c.readMessage(resp)
	if err != nil {
		return nil, err
	}
	ep := endpoint{path: "/papay/h5entrustweb", unsigned: true, anyMerchant: true}
	if _, err := c.checkAnswer(ep, p, sorted, c.currentSigner(), SignTypeHMACSHA256); err != nil {
		return nil, err
	}
	if err := present(p, "redirect_url"); err != nil {
		return nil, err
	}
	return &H5EntrustWebResponse{RedirectURL: p["redirect_url"], ResultMsg: p["result_msg"], Raw: p}, nil
}

// ContractMiniProgramExtraData returns the extraData a mini program
// passes to wx.navigateToMiniProgram({appId: ContractMiniProgramAppID,
// path: 'pages/index/index', extraData}) to have the payer sign the
// contract (小程序纯签约). It is signed with MD5 over the raw values; as
// WeChat asks, notify_url is then URL-encoded in the returned map, which
// is what the mini program must pass on unchanged. Marshaled to JSON it
// is the extraData object.
func (c *Client) ContractMiniProgramExtraData(r *EntrustRequest) (Params, error) {
	p, err := c.entrustParams(r, entrustMiniProgram, SignTypeMD5)
	if err != nil {
		return nil, err
	}
	p["notify_url"] = url.QueryEscape(p["notify_url"])
	return p, nil
}

// PreEntrustWebResponse is the answer to PreEntrustWeb.
type PreEntrustWebResponse struct {
	// PreEntrustWebID is what the app passes to the WeChat Open SDK
	// (WXOpenBusinessWebview, businessType 12, queryInfo
	// {"pre_entrustweb_id": …}) to open the signing page.
	PreEntrustWebID string
	Raw             Params // the whole verified response
}

// PreEntrustWeb asks WeChat for a pre-signing id for a native app (APP纯签约,
// POST /papay/preentrustweb, /papay/partner/preentrustweb in
// service-provider mode). The payer signs in WeChat, which then posts the
// contract notify to r.NotifyURL.
func (c *Client) PreEntrustWeb(ctx context.Context, r *EntrustRequest) (*PreEntrustWebResponse, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, &ValidationError{Field: "request", Reason: "is nil"}
	}
	var b request
	r.buildFor(&b, entrustApp, c.now().Unix())
	if b.err != nil {
		return nil, b.err
	}
	ep := endpoint{path: c.papayPath("/papay/preentrustweb", "/papay/partner/preentrustweb")}
	p, err := c.call(ctx, ep, b.fields)
	if err != nil {
		return nil, err
	}
	if err := present(p, "pre_entrustweb_id"); err != nil {
		return nil, err
	}
	return &PreEntrustWebResponse{PreEntrustWebID: p["pre_entrustweb_id"], Raw: p}, nil
}

// ContractOrderRequest is an order that also asks the payer to sign a
// contract (支付中签约): a unified order with the contract's fields. The
// contract's merchant and app (contract_mchid, contract_appid) are the
// client's, as WeChat requires. TradeType is JSAPI, NATIVE, APP or MWEB,
// with the same rules as UnifiedOrder.
type ContractOrderRequest struct {
	UnifiedOrderRequest

	PlanID                 string // plan_id, required
	ContractCode           string // contract_code, required, at most 32 characters
	RequestSerial          int64  // request_serial, required, positive
	ContractDisplayAccount string // contract_display_account, required, at most 32 characters
	ContractNotifyURL      string // contract_notify_url: where the contract notify goes, required
}

func (r *ContractOrderRequest) build(b *request) {
	r.UnifiedOrderRequest.build(b)
	b.need("plan_id", r.PlanID, 28)
	b.digits("plan_id", r.PlanID)
	b.need("contract_code", r.ContractCode, 32)
	b.outNo("contract_code", r.ContractCode, 1, 32)
	if r.RequestSerial <= 0 {
		b.fail("request_serial", "must be positive")
	}
	b.set("request_serial", strconv.FormatInt(r.RequestSerial, 10))
	b.need("contract_display_account", r.ContractDisplayAccount, 32)
	b.need("contract_notify_url", r.ContractNotifyURL, 256)
	b.notifyURL("contract_notify_url", r.ContractNotifyURL)
}

// ContractOrderResponse is the answer to ContractOrder: the order's
// prepay id, as UnifiedOrder's, and the outcome of the contract request.
// The order can succeed while the contract request fails: then
// ContractResultCode is ResultFail and ContractErrCode says why, and the
// payer can still pay, without signing.
type ContractOrderResponse struct {
	UnifiedOrderResponse

	ContractResultCode ResultCode // contract_result_code
	ContractErrCode    string
	ContractErrCodeDes string

	PlanID                 string
	ContractCode           string
	RequestSerial          int64
	ContractDisplayAccount string
	OutTradeNo             string
}

func newContractOrderResponse(p Params) (*ContractOrderResponse, error) {
	u, err := newUnifiedOrderResponse(p)
	if err != nil {
		return nil, err
	}
	r := fieldReader{p: p}
	resp := &ContractOrderResponse{
		UnifiedOrderResponse:   *u,
		ContractResultCode:     ResultCode(p["contract_result_code"]),
		ContractErrCode:        p["contract_err_code"],
		ContractErrCodeDes:     p["contract_err_code_des"],
		PlanID:                 p["plan_id"],
		ContractCode:           p["contract_code"],
		RequestSerial:          r.fen("request_serial"),
		ContractDisplayAccount: p["contract_display_account"],
		OutTradeNo:             p["out_trade_no"],
	}
	if r.err != nil {
		return nil, r.err
	}
	return resp, nil
}

// ContractOrder creates an order whose payer is asked to sign a contract
// while paying (POST /pay/contractorder). Use the prepay id as
// UnifiedOrder's; when the payer pays, the payment notify goes to
// NotifyURL and, if they signed, the contract notify to
// ContractNotifyURL.
func (c *Client) ContractOrder(ctx context.Context, r *ContractOrderRequest) (*ContractOrderResponse, error) {
	if r != nil && r.SubOpenID != "" && c != nil && c.subAppID == "" {
		return nil, &ValidationError{Field: "sub_openid", Reason: "needs a client in sub-merchant mode with a sub_appid (WithSubMerchant)"}
	}
	var contract []textField
	if c != nil {
		contract = []textField{{"contract_mchid", c.mchID, 32}, {"contract_appid", c.appID, 32}}
	}
	return send(ctx, c, endpoint{path: "/pay/contractorder"}, &contractOrderFields{r, contract}, newContractOrderResponse)
}

// contractOrderFields is a ContractOrderRequest with the client's
// contract_mchid and contract_appid.
type contractOrderFields struct {
	r     *ContractOrderRequest
	extra []textField
}

func (f *contractOrderFields) build(b *request) {
	if f.r == nil {
		b.fail("request", "is nil")
		return
	}
	f.r.build(b)
	for _, x := range f.extra {
		b.set(x.name, x.value)
	}
}

// PapPayApplyRequest is a deduction from a signed contract (申请扣款). Body,
// OutTradeNo, TotalFee, SpbillCreateIP, NotifyURL and ContractID are
// required; trade_type is PAP.
type PapPayApplyRequest struct {
	ContractID     string // contract_id: from the contract notify or QueryContract
	Body           string // at most 128 characters
	Detail         string
	Attach         string // echoed in the payment notify and PapOrderQuery
	OutTradeNo     string // 6–32 of [0-9A-Za-z_-|*@]
	TotalFee       int64  // fen, positive
	FeeType        string // default CNY
	SpbillCreateIP string // the server's IP
	GoodsTag       string
	NotifyURL      string // where the payment notify of the deduction goes (PayNotifyHandler)
	Receipt        string // "Y" offers an electronic invoice
}

func (r *PapPayApplyRequest) build(b *request) {
	b.need("contract_id", r.ContractID, 32)
	b.need("body", r.Body, 128)
	b.text("detail", r.Detail, 8192)
	b.text("attach", r.Attach, 128)
	b.need("out_trade_no", r.OutTradeNo, 32)
	b.outNo("out_trade_no", r.OutTradeNo, 6, 32)
	b.fen("total_fee", r.TotalFee)
	b.text("fee_type", r.FeeType, 16)
	b.need("spbill_create_ip", r.SpbillCreateIP, 64)
	b.ip("spbill_create_ip", r.SpbillCreateIP)
	b.text("goods_tag", r.GoodsTag, 32)
	b.need("notify_url", r.NotifyURL, 256)
	b.notifyURL("notify_url", r.NotifyURL)
	b.set("trade_type", string(TradeTypePAP))
	b.text("receipt", r.Receipt, 8)
}

// PapPayApplyResponse is WeChat's acceptance of a deduction. It is not
// the payment: the deduction's result arrives as a payment notify
// (TradeType TradeTypePAP, ContractID set) at the request's NotifyURL, or
// is read with PapOrderQuery.
type PapPayApplyResponse struct {
	Raw Params // the whole verified response
}

// PapPayApply asks WeChat to deduct from a signed contract (POST
// /pay/pappayapply, /pay/partner/pappayapply in service-provider mode).
// WeChat deducts asynchronously: success here means the request was
// accepted. After a SYSTEMERROR or an unclear answer, ask PapOrderQuery
// with the same OutTradeNo before deducting again.
func (c *Client) PapPayApply(ctx context.Context, r *PapPayApplyRequest) (*PapPayApplyResponse, error) {
	if c == nil {
		return nil, ErrNoClient
	}
	ep := endpoint{path: c.papayPath("/pay/pappayapply", "/pay/partner/pappayapply")}
	return send(ctx, c, ep, r, func(p Params) (*PapPayApplyResponse, error) { return &PapPayApplyResponse{Raw: p}, nil })
}

// ContractRef names a contract: by ContractID, or by PlanID and
// ContractCode together. When ContractID is set it is the only one sent,
// as WeChat would use it first.
type ContractRef struct {
	ContractID   string // contract_id
	PlanID       string // plan_id
	ContractCode string // contract_code
}

func (r *ContractRef) build(b *request) {
	switch {
	case r.ContractID != "":
		b.text("contract_id", r.ContractID, 32)
	case r.PlanID != "" || r.ContractCode != "":
		b.need("plan_id", r.PlanID, 28)
		b.digits("plan_id", r.PlanID)
		b.need("contract_code", r.ContractCode, 32)
	default:
		b.fail("contract_id or plan_id and contract_code", "is required")
	}
	b.set("version", contractVersion)
}

// QueryContractRequest names the contract to query.
type QueryContractRequest struct {
	ContractRef
	OpenID string // openid, optional: the payer under the client's appid
}

func (r *QueryContractRequest) build(b *request) {
	r.ContractRef.build(b)
	b.text("openid", r.OpenID, 128)
}

// ContractState is whether a contract is in force: the contract_state of
// QueryContract.
type ContractState string

// The contract states.
const (
	ContractSigned     ContractState = "0" // signed and in force
	ContractTerminated ContractState = "1" // terminated
)

// TerminationMode says how a contract ended: contract_termination_mode.
type TerminationMode int

// The termination modes.
const (
	TerminationNone          TerminationMode = 0 // not terminated
	TerminationExpired       TerminationMode = 1 // expired
	TerminationByPayer       TerminationMode = 2 // the payer terminated it
	TerminationByAPI         TerminationMode = 3 // the merchant, with DeleteContract
	TerminationByPlatform    TerminationMode = 4 // the merchant, on the merchant platform
	TerminationAccountClosed TerminationMode = 5 // the payer's account was closed
)

// Contract is a contract as QueryContract reports it. Times are Beijing
// time; the termination fields are set once State is ContractTerminated.
type Contract struct {
	ContractID             string
	PlanID                 string
	ContractCode           string
	ContractDisplayAccount string
	RequestSerial          int64
	OpenID                 string
	State                  ContractState
	SignedTime             time.Time
	ExpiredTime            time.Time
	TerminatedTime         time.Time
	TerminationMode        TerminationMode
	TerminationRemark      string

	Raw Params // the whole verified response
}

func newContract(p Params) (*Contract, error) {
	if err := present(p, "contract_id", "contract_state"); err != nil {
		return nil, err
	}
	r := fieldReader{p: p}
	c := &Contract{
		ContractID:             p["contract_id"],
		PlanID:                 p["plan_id"],
		ContractCode:           p["contract_code"],
		ContractDisplayAccount: p["contract_display_account"],
		RequestSerial:          r.fen("request_serial"),
		OpenID:                 p["openid"],
		State:                  ContractState(p["contract_state"]),
		SignedTime:             contractTime(&r, "contract_signed_time"),
		ExpiredTime:            contractTime(&r, "contract_expired_time"),
		TerminatedTime:         contractTime(&r, "contract_terminated_time"),
		TerminationMode:        TerminationMode(r.int("contract_termination_mode")),
		TerminationRemark:      p["contract_termination_remark"],
		Raw:                    p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// contractTime reads a papay time: "yyyy-MM-dd HH:mm:ss" in Beijing time,
// as documented, or Unix seconds, as some answers carry.
func contractTime(r *fieldReader, field string) time.Time {
	s := r.p[field]
	if s != "" && len(s) <= 11 {
		if n, err := parseDigits(s); err == nil {
			return time.Unix(n, 0).In(beijing)
		}
	}
	return r.time(field, timeLayoutDash)
}

// QueryContract asks WeChat for a contract (POST /papay/querycontract,
// /papay/partner/querycontract in service-provider mode): whether it is
// still in force before deducting, or to recover a contract notify that
// never came.
func (c *Client) QueryContract(ctx context.Context, r *QueryContractRequest) (*Contract, error) {
	if c == nil {
		return nil, ErrNoClient
	}
	ep := endpoint{path: c.papayPath("/papay/querycontract", "/papay/partner/querycontract"), idempotent: true}
	return send(ctx, c, ep, r, newContract)
}

// DeleteContractRequest names the contract to terminate and says why.
type DeleteContractRequest struct {
	ContractRef
	ContractTerminationRemark string // contract_termination_remark, required, at most 256 characters
}

func (r *DeleteContractRequest) build(b *request) {
	r.ContractRef.build(b)
	b.need("contract_termination_remark", r.ContractTerminationRemark, 256)
}

// DeleteContractResponse is WeChat's confirmation that a contract is
// terminated.
type DeleteContractResponse struct {
	ContractID   string
	PlanID       string
	ContractCode string
	Raw          Params // the whole verified response
}

// DeleteContract terminates a contract (解约, POST /papay/deletecontract,
// /papay/partner/deletecontract in service-provider mode). WeChat then
// posts the contract notify with ChangeType ContractDeleted.
func (c *Client) DeleteContract(ctx context.Context, r *DeleteContractRequest) (*DeleteContractResponse, error) {
	if c == nil {
		return nil, ErrNoClient
	}
	ep := endpoint{path: c.papayPath("/papay/deletecontract", "/papay/partner/deletecontract")}
	return send(ctx, c, ep, r, func(p Params) (*DeleteContractResponse, error) {
		return &DeleteContractResponse{ContractID: p["contract_id"], PlanID: p["plan_id"], ContractCode: p["contract_code"], Raw: p}, nil
	})
}

// PapOrderQueryRequest names the deduction to query, as OrderQueryRequest
// names an order.
type PapOrderQueryRequest struct {
	TransactionID string
	OutTradeNo    string
}

func (r *PapOrderQueryRequest) build(b *request) { b.oneOf(orderIDs(r.TransactionID, r.OutTradeNo)...) }

// TradeStatePayFail is the trade state of a deduction that failed, as
// PapOrderQuery reports it.
const TradeStatePayFail TradeState = "PAY_FAIL"

// PapOrderQueryResponse is a deduction order: an order query's fields
// and the contract it was deducted under. The deduction succeeded when
// TradeState is TradeStateSuccess; TradeStateAccept means WeChat is still
// deducting.
type PapOrderQueryResponse struct {
	OrderQueryResponse
	ContractID string
}

// PapOrderQuery asks WeChat for the state of a deduction (POST
// /pay/paporderquery): after PapPayApply, when its payment notify is late
// or the apply's outcome was unclear.
func (c *Client) PapOrderQuery(ctx context.Context, r *PapOrderQueryRequest) (*PapOrderQueryResponse, error) {
	return send(ctx, c, endpoint{path: "/pay/paporderquery", idempotent: true}, r, func(p Params) (*PapOrderQueryResponse, error) {
		q, err := newOrderQueryResponse(p)
		if err != nil {
			return nil, err
		}
		return &PapOrderQueryResponse{OrderQueryResponse: *q, ContractID: p["contract_id"]}, nil
	})
}

// ContractChangeType says what a contract notify reports.
type ContractChangeType string

// The change types of the contract notify.
const (
	ContractAdded   ContractChangeType = "ADD"    // the payer signed
	ContractDeleted ContractChangeType = "DELETE" // the contract was terminated
)

// ContractNotify is a verified contract notify (签约、解约结果通知): WeChat's
// POST to the notify_url of a signing request, or the contract_notify_url
// of ContractOrder, when a contract is signed or terminated.
type ContractNotify struct {
	AppID    string // WeChat's notify does not always carry it
	MchID    string
	SubAppID string // service-provider mode only
	SubMchID string // service-provider mode only

	ChangeType          ContractChangeType
	ContractID          string // WeChat's id, for PapPayApply and DeleteContract
	ContractCode        string // yours
	PlanID              string
	OpenID              string // the payer
	RequestSerial       int64
	OperateTime         time.Time       // when the contract was signed or terminated, Beijing time
	ContractExpiredTime time.Time       // ADD: when the contract expires
	TerminationMode     TerminationMode // DELETE: how it ended

	ResultCode ResultCode
	ErrCode    string
	ErrCodeDes string

	Raw Params // the whole verified notify
}

// ParseContractNotify decodes and checks the body of a contract notify:
// return_code SUCCESS, a sign that verifies with the client's key (MD5 or
// HMAC-SHA256, told apart by its length), mch_id the client's, and appid
// and the sub-merchant fields the client's where the notify names them.
// Errors are those of ParsePayNotify.
//
// The notify is authentic but may be a repeat or out of date: act on it
// by ContractID, idempotently, and when in doubt ask QueryContract.
func (c *Client) ParseContractNotify(body []byte) (*ContractNotify, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	p, sorted, err := decode(body)
	if err != nil {
		return nil, err
	}
	switch p["return_code"] {
	case "SUCCESS":
	case "":
		return nil, fmt.Errorf("%w: notify has no return_code", ErrMalformedXML)
	default:
		return nil, &Error{ReturnCode: p["return_code"], ReturnMsg: p["return_msg"]}
	}
	// WeChat's contract notify names the merchant by mch_id alone.
	if err := present(p, "mch_id"); err != nil {
		return nil, err
	}
	if err := c.currentSigner().verify(p, sorted, ""); err != nil {
		return nil, fmt.Errorf("contract notify: %w", err)
	}
	if err := c.checkMerchant(p, "appid", "mch_id"); err != nil {
		return nil, err
	}
	if err := present(p, "result_code"); err != nil {
		return nil, err
	}
	if p["result_code"] == "SUCCESS" {
		if err := present(p, "change_type", "contract_id"); err != nil {
			return nil, err
		}
	}
	r := fieldReader{p: p}
	n := &ContractNotify{
		AppID:               p["appid"],
		MchID:               p["mch_id"],
		SubAppID:            p["sub_appid"],
		SubMchID:            p["sub_mch_id"],
		ChangeType:          ContractChangeType(p["change_type"]),
		ContractID:          p["contract_id"],
		ContractCode:        p["contract_code"],
		PlanID:              p["plan_id"],
		OpenID:              p["openid"],
		RequestSerial:       r.fen("request_serial"),
		OperateTime:         contractTime(&r, "operate_time"),
		ContractExpiredTime: contractTime(&r, "contract_expired_time"),
		TerminationMode:     TerminationMode(r.int("contract_termination_mode")),
		ResultCode:          ResultCode(p["result_code"]),
		ErrCode:             p["err_code"],
		ErrCodeDes:          p["err_code_des"],
		Raw:                 p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return n, nil
}

// ContractNotifyHandler returns an http.Handler for the notify_url of
// your contracts, with the guarantees and replies of PayNotifyHandler:
// POST only, bounded body, checked with ParseContractNotify, fn called
// only for an authentic notify of this merchant with result_code SUCCESS,
// WeChat's SUCCESS reply only when fn returns nil, a FAIL reply (and a
// resend by WeChat) otherwise, and every rejection logged to the client's
// logger. A verified notify with result_code FAIL is acknowledged and
// logged without calling fn.
//
// fn must be idempotent by ContractID: WeChat resends notifies, and an
// ADD may even arrive after the DELETE of the same contract.
func (c *Client) ContractNotifyHandler(fn func(context.Context, *ContractNotify) error) http.Handler {
	if fn == nil {
		panic("wxpay: ContractNotifyHandler with a nil callback")
	}
	deliver := func(ctx context.Context, n *ContractNotify) error {
		if n.ResultCode == ResultSuccess {
			return fn(ctx, n)
		}
		c.notifyLogger().LogAttrs(ctx, slog.LevelInfo, "wxpay: contract notify with result_code FAIL acknowledged; fn not called",
			slog.String("contract_code", n.ContractCode), slog.String("err_code", n.ErrCode), slog.String("err_code_des", n.ErrCodeDes))
		return nil
	}
	return notifyHandler(c, "contract notify", c.ParseContractNotify, deliver)
}
