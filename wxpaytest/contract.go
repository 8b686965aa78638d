package wxpaytest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
)

// ContractNotify is the kind of the contract notify (签约、解约结果通知),
// signed like the payment notify.
const ContractNotify NotifyKind = "contract"

// ErrInvalidLink is returned (wrapped) by SignContract and
// SignMiniProgramContract for a signing request WeChat would refuse: not
// this server's, not signed as the entry point demands, another
// merchant's, or missing a field. The message says which.
var ErrInvalidLink = errors.New("wxpaytest: invalid signing request")

// contract is one 委托代扣 contract.
type contract struct {
	id             string
	planID, code   string
	display        string
	requestSerial  string
	appID          string
	mchID          string
	subMchID       string
	subAppID       string
	openID         string
	notifyURL      string
	signType       wxpay.SignType // the signing request's, which the notifies are signed with
	terminated     bool
	signedAt       time.Time
	expiresAt      time.Time
	terminatedAt   time.Time
	mode           int // contract_termination_mode
	remark         string
	signedFromPath string
}

// ContractInfo is a contract as the server keeps it, for assertions.
type ContractInfo struct {
	ContractID             string
	PlanID                 string
	ContractCode           string
	ContractDisplayAccount string
	RequestSerial          string
	OpenID                 string // the payer who signed
	SubMchID               string // the sub-merchant's, in service-provider mode
	NotifyURL              string // where its notifies go
	Terminated             bool
	TerminationMode        int // 2 payer, 3 DeleteContract; 0 while signed
	TerminationRemark      string
}

// contractKey keys a contract by what the merchant names it with.
func contractKey(mchID, subMchID, planID, code string) string {
	return mchID + "|" + subMchID + "|" + planID + "|" + code
}

// Contracts returns the contracts signed so far, in no particular order,
// terminated ones included.
func (s *Server) Contracts() []ContractInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ContractInfo, 0, len(s.st.contracts))
	for _, c := range s.st.contracts {
		out = append(out, c.info())
	}
	return out
}

func (c *contract) info() ContractInfo {
	return ContractInfo{
		ContractID: c.id, PlanID: c.planID, ContractCode: c.code, ContractDisplayAccount: c.display,
		RequestSerial: c.requestSerial, OpenID: c.openID, SubMchID: c.subMchID, NotifyURL: c.notifyURL,
		Terminated: c.terminated, TerminationMode: c.mode, TerminationRemark: c.remark,
	}
}

// entrustLinks are the paths of the signed signing links: the sign type
// each demands and whether it is the service provider's.
var entrustLinks = map[string]struct {
	signType wxpay.SignType
	partner  bool
	h5       bool
}{
	"/papay/entrustweb":           {wxpay.SignTypeMD5, false, false},
	"/papay/partner/entrustweb":   {wxpay.SignTypeMD5, true, false},
	"/papay/h5entrustweb":         {wxpay.SignTypeHMACSHA256, false, true},
	"/papay/partner/h5entrustweb": {wxpay.SignTypeHMACSHA256, true, true},
}

// h5Prefix is the path of the redirect_url the H5 signing request
// answers, the page WeChat would show in the payer's browser.
const h5Prefix = "/papay/h5sign/"

// SignContract plays the payer opening a signing link and signing: link
// is a ContractEntrustWebURL or ContractH5EntrustWebURL link (or the
// redirect_url the server answered an H5 signing request with). The
// server checks the link as WeChat would (its own URL, the path's sign
// type, MD5 without sign_type for the Official Account link and
// HMAC-SHA256 for H5, the merchant, the sub-merchant on the partner
// paths, the required fields), records the contract as signed, and
// delivers the signed contract notify (change_type ADD) to the link's
// notify_url. It returns the new contract_id. A contract of the same plan
// and contract code that is still signed is ErrState; a bad link
// ErrInvalidLink.
func (s *Server) SignContract(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, s.URL+"/") {
		return "", fmt.Errorf("%w: %q is not a link of this server (%s)", ErrInvalidLink, link, s.URL)
	}
	if id, ok := strings.CutPrefix(u.Path, h5Prefix); ok {
		s.mu.Lock()
		p, ok := s.st.h5Sessions[id]
		delete(s.st.h5Sessions, id)
		s.mu.Unlock()
		if !ok {
			return "", fmt.Errorf("%w: redirect_url %q unknown or used", ErrInvalidLink, link)
		}
		return s.signAndNotify(p, wxpay.SignTypeHMACSHA256)
	}
	p, st, err := s.checkLink(u)
	if err != nil {
		return "", err
	}
	return s.signAndNotify(p, st)
}

// checkLink checks a signing link and returns its parameters and sign
// type.
func (s *Server) checkLink(u *url.URL) (wxpay.Params, wxpay.SignType, error) {
	kind, ok := entrustLinks[u.Path]
	if !ok {
		return nil, "", fmt.Errorf("%w: path %s is not a signing link", ErrInvalidLink, u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, "", fmt.Errorf("%w: query: %v", ErrInvalidLink, err)
	}
	p := wxpay.Params{}
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, "", fmt.Errorf("%w: parameter %s given %d times", ErrInvalidLink, k, len(vs))
		}
		p[k] = vs[0]
	}
	if p["nonce_str"] != "" {
		return nil, "", fmt.Errorf("%w: the signing link takes no nonce_str", ErrInvalidLink)
	}
	if st := p["sign_type"]; st != "" && (!kind.h5 || st != string(wxpay.SignTypeHMACSHA256)) {
		return nil, "", fmt.Errorf("%w: sign_type %q: %s is signed with %s", ErrInvalidLink, st, u.Path, kind.signType)
	}
	required := []string{"appid", "mch_id", "plan_id", "contract_code", "request_serial", "contract_display_account", "notify_url", "version", "timestamp", "sign"}
	if kind.h5 {
		required = append(required, "clientip")
	}
	if err := s.checkEntrust(p, kind.signType, kind.partner, required); err != nil {
		return nil, "", err
	}
	return p, kind.signType, nil
}

// checkEntrust checks a signing request's sign, merchant and fields.
func (s *Server) checkEntrust(p wxpay.Params, st wxpay.SignType, partner bool, required []string) error {
	for _, f := range required {
		if p[f] == "" {
			return fmt.Errorf("%w: 缺少参数%s", ErrInvalidLink, f)
		}
	}
	m := s.merchants[p["mch_id"]]
	if m == nil {
		return fmt.Errorf("%w: 商户号mch_id %q不存在", ErrInvalidLink, p["mch_id"])
	}
	wantLen := map[wxpay.SignType]int{wxpay.SignTypeMD5: 32, wxpay.SignTypeHMACSHA256: 64}[st]
	if len(p["sign"]) != wantLen || wxpay.VerifySign(p, s.notifyKey(m)) != nil {
		return fmt.Errorf("%w: 签名错误 (%s expected)", ErrInvalidLink, st)
	}
	if p["appid"] != m.appID {
		return fmt.Errorf("%w: appid %q is not mch_id %s's", ErrInvalidLink, p["appid"], p["mch_id"])
	}
	if partner != (p["sub_mch_id"] != "") {
		return fmt.Errorf("%w: sub_mch_id is required on the partner paths and only there", ErrInvalidLink)
	}
	if ans, ok := s.checkSubMerchant(endpoint{}, m, p); !ok {
		return fmt.Errorf("%w: %s %s", ErrInvalidLink, ans.errCode, ans.errCodeDes+ans.returnMsg)
	}
	if p["version"] != "" && p["version"] != "1.0" {
		return fmt.Errorf("%w: version must be 1.0", ErrInvalidLink)
	}
	if !validNotifyURL(p["notify_url"]) {
		return fmt.Errorf("%w: notify_url参数格式错误", ErrInvalidLink)
	}
	if _, ok := parsePositive(p["request_serial"]); !ok {
		return fmt.Errorf("%w: request_serial参数格式错误", ErrInvalidLink)
	}
	return nil
}

func (s *Server) notifyKey(m *merchant) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notifyKeyLocked(m)
}

// SignMiniProgramContract plays the payer signing in WeChat's signing
// mini program, opened with extraData (ContractMiniProgramExtraData):
// notify_url URL-encoded, the MD5 sign over the raw values. Otherwise it
// is SignContract.
func (s *Server) SignMiniProgramContract(extraData wxpay.Params) (string, error) {
	p := wxpay.Params{}
	for k, v := range extraData {
		p[k] = v
	}
	raw, err := url.QueryUnescape(p["notify_url"])
	if err != nil {
		return "", fmt.Errorf("%w: notify_url is not URL-encoded: %v", ErrInvalidLink, err)
	}
	p["notify_url"] = raw
	if p["sign_type"] != "" || p["nonce_str"] != "" {
		return "", fmt.Errorf("%w: the mini-program extraData takes neither sign_type nor nonce_str", ErrInvalidLink)
	}
	required := []string{"appid", "mch_id", "plan_id", "contract_code", "request_serial", "contract_display_account", "notify_url", "timestamp", "sign"}
	if err := s.checkEntrust(p, wxpay.SignTypeMD5, p["sub_mch_id"] != "", required); err != nil {
		return "", err
	}
	return s.signAndNotify(p, wxpay.SignTypeMD5)
}

// SignPreEntrust plays the payer signing in an app, with the
// pre_entrustweb_id the server answered PreEntrustWeb with; otherwise it
// is SignContract. An id can be used once.
func (s *Server) SignPreEntrust(preEntrustWebID string) (string, error) {
	s.mu.Lock()
	p, ok := s.st.preEntrusts[preEntrustWebID]
	delete(s.st.preEntrusts, preEntrustWebID)
	s.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("%w: pre_entrustweb_id %q", ErrNotFound, preEntrustWebID)
	}
	return s.signAndNotify(p, signTypeOf(p))
}

// signAndNotify records the contract of a checked signing request and
// delivers its notify.
func (s *Server) signAndNotify(p wxpay.Params, st wxpay.SignType) (string, error) {
	s.mu.Lock()
	c, err := s.signContractLocked(p, p["notify_url"], st)
	var d delivery
	if err == nil {
		d = s.contractNotifyLocked(c, "ADD")
	}
	s.mu.Unlock()
	// Persisted even when refused: the H5 session or pre-entrust id is
	// used up either way.
	defer s.persist()
	if err != nil {
		return "", err
	}
	s.startNotify(&d)
	return c.id, nil
}

// signContractLocked makes the contract of a signing request whose
// notifies go to notifyURL. s.mu must be held.
func (s *Server) signContractLocked(p wxpay.Params, notifyURL string, st wxpay.SignType) (*contract, error) {
	key := contractKey(p["mch_id"], p["sub_mch_id"], p["plan_id"], p["contract_code"])
	if old := s.st.contractCodes[key]; old != nil && !old.terminated {
		return nil, fmt.Errorf("%w: contract_code %q of plan %s is already signed (%s)", ErrState, p["contract_code"], p["plan_id"], old.id)
	}
	now := s.cfg.now()
	c := &contract{
		planID: p["plan_id"], code: p["contract_code"], display: p["contract_display_account"],
		requestSerial: p["request_serial"], appID: p["appid"], mchID: p["mch_id"], subMchID: p["sub_mch_id"], subAppID: p["sub_appid"],
		openID: p["openid"], notifyURL: notifyURL, signType: st, signedAt: now, expiresAt: now.AddDate(10, 0, 0),
	}
	if c.openID == "" {
		c.openID = "oUpF8u" + randomAlnum(22)
	}
	c.id = s.newID("Wx", now, 28)
	s.st.contracts[c.id] = c
	s.st.contractCodes[key] = c
	return c, nil
}

const contractTimeLayout = "2006-01-02 15:04:05"

// contractNotifyLocked is the notify of a change ("ADD" or "DELETE") of
// c: like WeChat's, it names the merchant by mch_id (and the
// sub-merchant) only, has no nonce_str, and is signed with the signing
// request's sign type. s.mu must be held.
func (s *Server) contractNotifyLocked(c *contract, change string) delivery {
	p := wxpay.Params{
		"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS",
		"mch_id": c.mchID, "contract_code": c.code, "plan_id": c.planID, "openid": c.openID,
		"change_type": change, "contract_id": c.id, "request_serial": c.requestSerial,
	}
	setIf(p, "sub_mch_id", c.subMchID)
	setIf(p, "sub_appid", c.subAppID)
	if change == "ADD" {
		p["operate_time"] = c.signedAt.In(wxpay.Beijing()).Format(contractTimeLayout)
		p["contract_expired_time"] = c.expiresAt.In(wxpay.Beijing()).Format(contractTimeLayout)
	} else {
		p["operate_time"] = c.terminatedAt.In(wxpay.Beijing()).Format(contractTimeLayout)
		p["contract_termination_mode"] = strconv.Itoa(c.mode)
	}
	p["sign"] = s.mustSign(p, s.notifyKeyLocked(s.merchants[c.mchID]), c.signType)
	return delivery{kind: ContractNotify, url: c.notifyURL, contractID: c.id, body: p.AppendXML(nil)}
}

// TerminateContract plays the payer terminating the contract contractID
// in WeChat (contract_termination_mode 2) and delivers the contract
// notify (change_type DELETE). An unknown contract is ErrNotFound, one
// already terminated ErrState.
func (s *Server) TerminateContract(contractID string) error {
	s.mu.Lock()
	c := s.st.contracts[contractID]
	var err error
	var d delivery
	switch {
	case c == nil:
		err = fmt.Errorf("%w: contract %q", ErrNotFound, contractID)
	case c.terminated:
		err = fmt.Errorf("%w: contract %q is already terminated", ErrState, contractID)
	default:
		s.terminateLocked(c, 2, "")
		d = s.contractNotifyLocked(c, "DELETE")
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.startNotify(&d)
	s.persist()
	return nil
}

func (s *Server) terminateLocked(c *contract, mode int, remark string) {
	c.terminated, c.terminatedAt, c.mode, c.remark = true, s.cfg.now(), mode, remark
}

func init() {
	entrust := []string{"plan_id", "contract_code", "request_serial", "contract_display_account", "notify_url", "version", "timestamp"}
	for path, partner := range map[string]bool{"/papay/preentrustweb": false, "/papay/partner/preentrustweb": true} {
		endpoints[path] = endpoint{required: entrust, serve: partnerRule(partner, (*Server).preEntrustWeb)}
	}
	endpoints["/pay/contractorder"] = endpoint{
		required: []string{"body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type",
			"contract_mchid", "contract_appid", "plan_id", "contract_code", "request_serial", "contract_display_account", "contract_notify_url"},
		serve: (*Server).contractOrder,
	}
	apply := []string{"body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type", "contract_id"}
	for path, partner := range map[string]bool{"/pay/pappayapply": false, "/pay/partner/pappayapply": true} {
		endpoints[path] = endpoint{required: apply, serve: partnerRule(partner, (*Server).papPayApply)}
	}
	for path, partner := range map[string]bool{"/papay/querycontract": false, "/papay/partner/querycontract": true} {
		endpoints[path] = endpoint{required: []string{"version"}, serve: partnerRule(partner, (*Server).queryContract)}
	}
	for path, partner := range map[string]bool{"/papay/deletecontract": false, "/papay/partner/deletecontract": true} {
		endpoints[path] = endpoint{required: []string{"contract_termination_remark", "version"}, serve: partnerRule(partner, (*Server).deleteContract)}
	}
	endpoints["/pay/paporderquery"] = endpoint{oneOf: []string{"transaction_id", "out_trade_no"}, serve: (*Server).papOrderQuery}
	for path := range entrustLinks {
		if entrustLinks[path].h5 {
			getEndpoints[path] = (*Server).h5EntrustWeb
		}
	}
}

// partnerRule wraps the handler of a path that has a merchant and a
// service-provider variant: the partner path needs sub_mch_id, the
// merchant path refuses it, so that a client using the wrong one fails
// in tests as it would fail at WeChat.
func partnerRule(partner bool, serve func(*Server, wxpay.Params) answer) func(*Server, wxpay.Params) answer {
	return func(s *Server, p wxpay.Params) answer {
		switch {
		case partner && p["sub_mch_id"] == "":
			return missing("sub_mch_id")
		case !partner && p["sub_mch_id"] != "":
			return refuse("NOAUTH", "服务商请使用 /partner/ 接口")
		}
		return serve(s, p)
	}
}

func (s *Server) checkContractFields(p wxpay.Params, notifyField string) (answer, bool) {
	if !validNotifyURL(p[notifyField]) {
		return badFormat(notifyField), false
	}
	if _, ok := parsePositive(p["request_serial"]); !ok {
		return badFormat("request_serial"), false
	}
	if v, ok := p["version"]; ok && v != "1.0" {
		return badFormat("version"), false
	}
	return answer{}, true
}

func (s *Server) preEntrustWeb(p wxpay.Params) answer {
	if ans, ok := s.checkContractFields(p, "notify_url"); !ok {
		return ans
	}
	id := "5778aadY9nltAsZzXixCkFIGYnV2V" + randomAlnum(8)
	s.st.preEntrusts[id] = businessFields(p)
	s.st.preEntrusts[id]["sign_type"] = string(signTypeOf(p))
	return success(wxpay.Params{"pre_entrustweb_id": id})
}

func (s *Server) contractOrder(p wxpay.Params) answer {
	if p["contract_mchid"] != p["mch_id"] || p["contract_appid"] != p["appid"] {
		return refuse("PARAM_ERROR", "contract_mchid和contract_appid必须与mch_id和appid一致")
	}
	if ans, ok := s.checkContractFields(p, "contract_notify_url"); !ok {
		return ans
	}
	ans := s.unifiedOrder(p)
	if ans.returnMsg != "" || ans.errCode != "" {
		return ans
	}
	ans.fields["contract_result_code"] = "SUCCESS"
	if old := s.st.contractCodes[contractKey(p["mch_id"], p["sub_mch_id"], p["plan_id"], p["contract_code"])]; old != nil && !old.terminated {
		ans.fields["contract_result_code"] = "FAIL"
		ans.fields["contract_err_code"] = "CONTRACT_ALREADY_EXIST"
		ans.fields["contract_err_code_des"] = "签约协议已存在"
	}
	for _, f := range [...]string{"plan_id", "request_serial", "contract_code", "contract_display_account", "out_trade_no"} {
		ans.fields[f] = p[f]
	}
	return ans
}

// contractOfOrder signs the contract an order of ContractOrder asked
// for, once it is paid, and returns the contract notify; nil when there
// is none to send.
func (s *Server) contractOfOrder(outTradeNo string) *delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.orders[outTradeNo]
	if o == nil || o.req["contract_notify_url"] == "" || o.contractID != "" {
		return nil
	}
	p := o.req
	c, err := s.signContractLocked(wxpay.Params{
		"plan_id": p["plan_id"], "contract_code": p["contract_code"], "contract_display_account": p["contract_display_account"],
		"request_serial": p["request_serial"], "appid": p["appid"], "mch_id": p["mch_id"], "sub_mch_id": p["sub_mch_id"], "sub_appid": p["sub_appid"],
		"openid": o.pay.OpenID,
	}, p["contract_notify_url"], o.signType)
	if err != nil {
		return nil // already signed: the payment went through without a new contract
	}
	o.contractID = c.id
	d := s.contractNotifyLocked(c, "ADD")
	return &d
}

// findContract looks a contract up by contract_id or plan_id and
// contract_code, as the request names it; another sub-merchant's is not
// found.
func (s *Server) findContract(p wxpay.Params) (*contract, answer, bool) {
	var c *contract
	switch {
	case p["contract_id"] != "":
		c = s.st.contracts[p["contract_id"]]
	case p["plan_id"] != "" && p["contract_code"] != "":
		c = s.st.contractCodes[contractKey(p["mch_id"], p["sub_mch_id"], p["plan_id"], p["contract_code"])]
	default:
		return nil, missing("contract_id"), false
	}
	if c == nil || c.mchID != p["mch_id"] || c.subMchID != p["sub_mch_id"] {
		return nil, refuse("CONTRACT_NOT_EXIST", "签约协议不存在"), false
	}
	return c, answer{}, true
}

func (s *Server) queryContract(p wxpay.Params) answer {
	c, ans, ok := s.findContract(p)
	if !ok {
		return ans
	}
	if p["openid"] != "" && p["openid"] != c.openID {
		return refuse("CONTRACT_NOT_EXIST", "签约协议不存在")
	}
	q := wxpay.Params{
		"contract_id": c.id, "plan_id": c.planID, "contract_code": c.code, "request_serial": c.requestSerial,
		"contract_display_account": c.display, "openid": c.openID, "contract_state": "0",
		"contract_signed_time":      c.signedAt.In(wxpay.Beijing()).Format(contractTimeLayout),
		"contract_expired_time":     c.expiresAt.In(wxpay.Beijing()).Format(contractTimeLayout),
		"contract_termination_mode": "0",
	}
	if c.terminated {
		q["contract_state"] = "1"
		q["contract_terminated_time"] = c.terminatedAt.In(wxpay.Beijing()).Format(contractTimeLayout)
		q["contract_termination_mode"] = strconv.Itoa(c.mode)
		setIf(q, "contract_termination_remark", c.remark)
	}
	return success(q)
}

func (s *Server) deleteContract(p wxpay.Params) answer {
	c, ans, ok := s.findContract(p)
	if !ok {
		return ans
	}
	if c.terminated {
		return refuse("CONTRACT_NOT_EXIST", "签约协议已解约")
	}
	s.terminateLocked(c, 3, p["contract_termination_remark"])
	d := s.contractNotifyLocked(c, "DELETE")
	ans = success(wxpay.Params{"contract_id": c.id, "plan_id": c.planID, "contract_code": c.code})
	ans.notify = &d
	return ans
}

// papPayApply deducts at once: the order is paid by the contract's payer
// and the payment notify, with trade_type PAP and contract_id, is
// delivered after the answer.
func (s *Server) papPayApply(p wxpay.Params) answer {
	fee, ans, ok := checkOrder(p)
	if !ok {
		return ans
	}
	if p["trade_type"] != "PAP" {
		return badFormat("trade_type")
	}
	if !validNotifyURL(p["notify_url"]) {
		return badFormat("notify_url")
	}
	c, ans, ok := s.findContract(wxpay.Params{"contract_id": p["contract_id"], "mch_id": p["mch_id"], "sub_mch_id": p["sub_mch_id"]})
	if !ok {
		return ans
	}
	if c.terminated || c.appID != p["appid"] {
		return refuse("CONTRACT_NOT_EXIST", "签约协议不存在或已解约")
	}
	no := p["out_trade_no"]
	req := businessFields(p)
	if o := s.st.orders[no]; o != nil {
		// The same deduction again: accepted, and not deducted twice.
		if o.ownedBy(p) && o.contractID == c.id && equalParams(o.req, req) {
			return success(nil)
		}
		return refuse("OUT_TRADE_NO_USED", "商户订单号重复")
	}
	now := s.cfg.now()
	o := &order{req: req, signType: signTypeOf(p), totalFee: fee, created: now, state: wxpay.TradeStateAccept, contractID: c.id}
	s.st.orders[no] = o
	s.completePayment(o, Payment{OpenID: c.openID}, now)
	n := s.payNotifyParams(o)
	n["contract_id"], n["trade_state"] = c.id, string(wxpay.TradeStateSuccess)
	n["sign"] = s.mustSign(n, s.notifyKeyLocked(s.merchantOf(o)), o.signType)
	ans = success(nil)
	ans.notify = &delivery{kind: PayNotify, url: p["notify_url"], outTradeNo: no, body: n.AppendXML(nil)}
	return ans
}

func equalParams(a, b wxpay.Params) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (s *Server) papOrderQuery(p wxpay.Params) answer {
	if o := s.findOrder(p); o == nil || o.contractID == "" || o.req["trade_type"] != "PAP" {
		return refuse("ORDERNOTEXIST", "order not exist")
	}
	ans := s.orderQuery(p)
	if ans.fields != nil {
		ans.fields["contract_id"] = s.findOrder(p).contractID
	}
	return ans
}

// getEndpoints are the paths WeChat answers to a GET from the merchant's
// server, with the query's parameters: a handler returns the answer's
// fields, which are sent unsigned, as WeChat does.
var getEndpoints = map[string]func(*Server, *url.URL) wxpay.Params{}

// serveGet answers a GET of one of getEndpoints and records it.
func (s *Server) serveGet(w http.ResponseWriter, r *http.Request, h func(*Server, *url.URL) wxpay.Params) {
	rec := Request{Time: s.cfg.now(), Method: r.Method, Path: r.URL.Path, ClientCert: r.TLS != nil && len(r.TLS.VerifiedChains) > 0}
	rec.Body = []byte(r.URL.RawQuery)
	record := s.record(rec)
	p := h(s, r.URL)
	rec.StatusCode, rec.ResponseParams, rec.Response = http.StatusOK, p, p.AppendXML(nil)
	record(rec)
	writeBody(w, http.StatusOK, "text/xml; charset=utf-8", rec.Response)
}

// h5EntrustWeb answers the H5 signing request: checked as SignContract
// checks a link, it gets a redirect_url, which SignContract accepts to
// play the payer signing.
func (s *Server) h5EntrustWeb(u *url.URL) wxpay.Params {
	p, _, err := s.checkLink(u)
	if err != nil {
		return wxpay.Params{"return_code": "FAIL", "return_msg": strings.TrimPrefix(err.Error(), ErrInvalidLink.Error()+": ")}
	}
	id := randomAlnum(24)
	s.mu.Lock()
	s.st.h5Sessions[id] = p
	s.mu.Unlock()
	s.persist()
	return wxpay.Params{
		"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS", "result_msg": "OK",
		"redirect_url": s.URL + h5Prefix + id,
	}
}
