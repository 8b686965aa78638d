package wxpaytest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wxpay-go/wxpay"
)

var (
	// ErrNotFound is returned (wrapped) by the test controls for what the
	// server does not know: an order, a refund, a red packet, a contract.
	// The wrapping error names it.
	ErrNotFound = errors.New("wxpaytest: not found")

	// ErrState is returned (wrapped) by the test controls for an order, a
	// refund, a red packet or a contract whose state does not allow the
	// action, such as paying an order twice.
	ErrState = errors.New("wxpaytest: not allowed in this state")
)

// store is the server's state; every access holds Server.mu.
type store struct {
	orders     map[string]*order  // by out_trade_no
	byTxn      map[string]*order  // by transaction_id
	refunds    map[string]*refund // by out_refund_no
	byRefundID map[string]*refund
	seq        int // makes generated ids unique

	codes map[string]CodeBehavior // SetCodeBehavior's, by auth code ("" for the default)
	spent map[string]bool         // auth codes that paid an order

	receivers map[string]map[string]psReceiver // profit-sharing receivers, by mch_id/sub_mch_id, then type/account
	shares    map[string]*shareOrder           // profit sharing, by transaction_id
	splits    map[string]*split                // by out_order_no
	returns   map[string]*shareReturn          // by out_return_no
	redPacks  map[string]*redPack              // by mch_billno
	holdPacks bool                             // HoldRedPacks
	shortURLs map[string]string                // long_url → short_url

	couponStocks map[string]*couponStock     // by coupon_stock_id
	coupons      map[string]*coupon          // by coupon_id
	couponSends  map[string]*coupon          // by partner_trade_no
	customs      map[string][]*customsRecord // by transaction_id
	transfers    map[string]*transfer        // payouts to balance, by partner_trade_no
	bankPayouts  map[string]*bankPayout      // by partner_trade_no
	balances     map[string]int64            // SetPayoutBalance's, by mch_id; absent: unlimited
	holdPayouts  bool                        // HoldPayouts
	comments     []Comment                   // AddComment's, in time order

	contracts     map[string]*contract    // by contract_id
	contractCodes map[string]*contract    // by contractKey: the latest of each plan and code
	preEntrusts   map[string]wxpay.Params // PreEntrustWeb's requests, by pre_entrustweb_id
	h5Sessions    map[string]wxpay.Params // H5 signing requests, by the id in their redirect_url
}

func newStore() store {
	return store{
		orders:     map[string]*order{},
		byTxn:      map[string]*order{},
		refunds:    map[string]*refund{},
		byRefundID: map[string]*refund{},
		codes:      map[string]CodeBehavior{},
		spent:      map[string]bool{},
		receivers:  map[string]map[string]psReceiver{},
		shares:     map[string]*shareOrder{},
		splits:     map[string]*split{},
		returns:    map[string]*shareReturn{},
		redPacks:   map[string]*redPack{},
		shortURLs:  map[string]string{},

		couponStocks: map[string]*couponStock{},
		coupons:      map[string]*coupon{},
		couponSends:  map[string]*coupon{},
		customs:      map[string][]*customsRecord{},
		transfers:    map[string]*transfer{},
		bankPayouts:  map[string]*bankPayout{},
		balances:     map[string]int64{},

		contracts:     map[string]*contract{},
		contractCodes: map[string]*contract{},
		preEntrusts:   map[string]wxpay.Params{},
		h5Sessions:    map[string]wxpay.Params{},
	}
}

// order is one unified order and, once paid, its payment.
type order struct {
	req      wxpay.Params // business fields of the unified order
	signType wxpay.SignType
	totalFee int64
	created  time.Time
	prepayID string
	prepayAt time.Time
	codeURL  string
	mwebURL  string
	state    wxpay.TradeState

	// Set by PayWith.
	transactionID string
	pay           Payment
	cashFee       int64
	paySeq        int       // orders the payment among the server's events (fund flow ids)
	refunds       []*refund // oldest first

	// Payment-code orders (MICROPAY).
	authCode  string
	code      CodeBehavior // how the order ends while it is USERPAYING
	queries   int          // order queries that answered USERPAYING
	reversals int          // Reverse calls so far

	scanner string // the payer whose mode-1 scan led to the order (ScanProduct)

	// Recurring deduction: the contract a PAP order was deducted under,
	// or the one a ContractOrder order signed once paid.
	contractID string
}

// Payment says how the payer paid, for PayWith. Zero fields get the
// defaults Pay uses.
type Payment struct {
	OpenID      string         // the payer; default: the order's openid, or a generated one
	BankType    string         // default "CFT", the change balance
	IsSubscribe bool           // whether the payer follows the official account
	Coupons     []wxpay.Coupon // coupons paying part of the order; the payer pays the rest in cash
	TimeEnd     time.Time      // default: the server clock
	SkipNotify  bool           // mark the order paid but send no notify, to test a query fallback
	NotifyDelay time.Duration  // hold the notify's first attempt back this long, to test a query before it

	// ErrCode makes the payment fail instead: the order becomes PAYERROR,
	// and its notify is a genuinely signed result_code FAIL with this
	// err_code ("NOTENOUGH", "BANKERROR"…) and ErrCodeDes (ErrCode when
	// empty), without transaction_id, so that a test can check that its
	// handler does not take it for a payment. The order may then be paid
	// again.
	ErrCode, ErrCodeDes string

	// For an order with a sub_appid (WithSubMerchants): the payer under
	// it (default: the order's sub_openid, or a generated one) and
	// whether the payer follows the sub-merchant's official account.
	SubOpenID      string
	SubIsSubscribe bool
}

// couponFee is an order's coupon arithmetic: the coupon part, and the part of
// non-recharge (NO_CASH) coupons, which WeChat's settlement fields leave
// out.
func (o *order) couponFee() (all, noCash int64) {
	for _, c := range o.pay.Coupons {
		all += c.Fee
		if c.Type == "NO_CASH" {
			noCash += c.Fee
		}
	}
	return all, noCash
}

// orderLimits are the String(n) limits of unifiedorder and micropay,
// the larger where pages disagree.
var orderLimits = [...]struct {
	field string
	n     int
}{
	{"device_info", 32}, {"body", 128}, {"detail", 8192}, {"attach", 128}, {"fee_type", 16},
	{"spbill_create_ip", 64}, {"goods_tag", 32}, {"notify_url", 256}, {"product_id", 32},
	{"limit_pay", 32}, {"openid", 128}, {"sub_openid", 128}, {"receipt", 8}, {"profit_sharing", 16},
	{"scene_info", 256}, {"auth_code", 128},
}

// checkOrder checks the fields unified order and micropay share, and
// returns the total fee.
func checkOrder(p wxpay.Params) (int64, answer, bool) {
	for _, l := range orderLimits {
		if utf8.RuneCountInString(p[l.field]) > l.n {
			return 0, reject(l.field + "参数长度有误"), false
		}
	}
	fee, ok := parsePositive(p["total_fee"])
	if !ok {
		return 0, reject("invalid total_fee"), false
	}
	if !validOutNo(p["out_trade_no"], 6, 32) {
		return 0, badFormat("out_trade_no"), false
	}
	if _, err := netip.ParseAddr(p["spbill_create_ip"]); err != nil {
		return 0, badFormat("spbill_create_ip"), false
	}
	for _, f := range [...]string{"time_start", "time_expire"} {
		if v := p[f]; v != "" {
			if _, err := time.ParseInLocation("20060102150405", v, wxpay.Beijing()); err != nil {
				return 0, badFormat(f), false
			}
		}
	}
	return fee, answer{}, true
}

func (s *Server) unifiedOrder(p wxpay.Params) answer {
	fee, ans, ok := checkOrder(p)
	if !ok {
		return ans
	}
	if !validNotifyURL(p["notify_url"]) {
		return badFormat("notify_url")
	}
	tt := wxpay.TradeType(p["trade_type"])
	switch tt {
	case wxpay.TradeTypeJSAPI, wxpay.TradeTypeNative, wxpay.TradeTypeMWeb, wxpay.TradeTypeAPP:
	default:
		return badFormat("trade_type")
	}
	if need := map[wxpay.TradeType]string{
		wxpay.TradeTypeJSAPI: "openid", wxpay.TradeTypeNative: "product_id", wxpay.TradeTypeMWeb: "scene_info",
	}[tt]; need != "" && p[need] == "" && !(need == "openid" && p["sub_openid"] != "") {
		return refuse("PARAM_ERROR", string(tt)+"支付必须传"+need)
	}
	if p["sub_openid"] != "" && p["sub_appid"] == "" {
		return refuse("PARAM_ERROR", "sub_openid需与sub_appid一起传")
	}

	now := s.cfg.now()
	no := p["out_trade_no"]
	req := businessFields(p)
	if o := s.st.orders[no]; o != nil {
		if !o.ownedBy(p) {
			return refuse("OUT_TRADE_NO_USED", "商户订单号重复")
		}
		switch o.state {
		case wxpay.TradeStateSuccess, wxpay.TradeStateRefund:
			return refuse("ORDERPAID", "该订单已支付")
		case wxpay.TradeStateClosed:
			return refuse("ORDERCLOSED", "该订单已关闭")
		}
		// The same order again, e.g. a retry after a timeout, must repeat
		// every parameter; the nonce, sign and sign type may differ.
		if !maps.Equal(o.req, req) {
			return refuse("OUT_TRADE_NO_USED", "商户订单号重复")
		}
		if now.Sub(o.prepayAt) >= 2*time.Hour {
			s.newPrepay(o, now) // a prepay id lives two hours
		}
		return success(o.prepayFields())
	}
	o := &order{req: req, signType: signTypeOf(p), totalFee: fee, created: now, state: wxpay.TradeStateNotPay}
	s.newPrepay(o, now)
	s.st.orders[no] = o
	return success(o.prepayFields())
}

func (s *Server) newPrepay(o *order, now time.Time) {
	s.st.seq++
	o.prepayAt = now
	o.prepayID = "wx" + now.In(wxpay.Beijing()).Format("20060102150405") + fmt.Sprintf("%08x%012x", s.st.seq, rand.Uint64()>>16)
	switch wxpay.TradeType(o.req["trade_type"]) {
	case wxpay.TradeTypeNative:
		o.codeURL = "weixin://wxpay/bizpayurl?pr=" + randomAlnum(7)
	case wxpay.TradeTypeMWeb:
		o.mwebURL = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + o.prepayID +
			"&package=" + strconv.FormatUint(1e9+rand.Uint64N(9e9), 10)
	}
}

func (o *order) prepayFields() wxpay.Params {
	p := wxpay.Params{"trade_type": o.req["trade_type"], "prepay_id": o.prepayID}
	setIf(p, "device_info", o.req["device_info"])
	setIf(p, "code_url", o.codeURL)
	setIf(p, "mweb_url", o.mwebURL)
	return p
}

// findOrder looks an order up as WeChat does: by transaction_id when the
// request has one, else by out_trade_no; an order of another
// sub-merchant is not found.
func (s *Server) findOrder(p wxpay.Params) *order {
	o := s.st.orders[p["out_trade_no"]]
	if id := p["transaction_id"]; id != "" {
		o = s.st.byTxn[id]
	}
	if o == nil || !o.ownedBy(p) {
		return nil
	}
	return o
}

var tradeStateDesc = map[wxpay.TradeState]string{
	wxpay.TradeStateSuccess:    "支付成功",
	wxpay.TradeStateRefund:     "转入退款",
	wxpay.TradeStateNotPay:     "订单未支付",
	wxpay.TradeStateClosed:     "订单已关闭",
	wxpay.TradeStateUserPaying: "需要用户输入支付密码",
	wxpay.TradeStateRevoked:    "已撤销",
	wxpay.TradeStatePayError:   "支付失败(其他原因，如银行返回失败)",
}

func (s *Server) orderQuery(p wxpay.Params) answer {
	o := s.findOrder(p)
	if o == nil {
		return refuse("ORDERNOTEXIST", "order not exist")
	}
	if o.state == wxpay.TradeStateUserPaying {
		s.advanceCode(o)
	}
	q := wxpay.Params{
		"out_trade_no":     o.req["out_trade_no"],
		"trade_type":       o.req["trade_type"],
		"trade_state":      string(o.state),
		"trade_state_desc": tradeStateDesc[o.state],
		"total_fee":        fen(o.totalFee),
	}
	setIf(q, "device_info", o.req["device_info"])
	setIf(q, "attach", o.req["attach"])
	if o.transactionID != "" {
		maps.Copy(q, o.paymentFields())
	}
	return success(q)
}

// paymentFields are the fields describing a payment, shared by the
// payment notify and the order query.
func (o *order) paymentFields() wxpay.Params {
	p := wxpay.Params{
		"openid":         o.pay.OpenID,
		"is_subscribe":   yesNo(o.pay.IsSubscribe),
		"trade_type":     o.req["trade_type"],
		"bank_type":      o.pay.BankType,
		"total_fee":      fen(o.totalFee),
		"fee_type":       o.feeType(),
		"cash_fee":       fen(o.cashFee),
		"transaction_id": o.transactionID,
		"out_trade_no":   o.req["out_trade_no"],
		"time_end":       o.pay.TimeEnd.In(wxpay.Beijing()).Format("20060102150405"),
	}
	setIf(p, "device_info", o.req["device_info"])
	setIf(p, "attach", o.req["attach"])
	if o.req["sub_appid"] != "" {
		setIf(p, "sub_openid", o.pay.SubOpenID)
		p["sub_is_subscribe"] = yesNo(o.pay.SubIsSubscribe)
	}
	if all, _ := o.couponFee(); all > 0 {
		p["coupon_fee"] = fen(all)
		p["coupon_count"] = strconv.Itoa(len(o.pay.Coupons))
		for i, c := range o.pay.Coupons {
			n := "_" + strconv.Itoa(i)
			setIf(p, "coupon_type"+n, string(c.Type))
			p["coupon_id"+n] = c.ID
			p["coupon_fee"+n] = fen(c.Fee)
		}
	}
	o.addSettlementTotal(p)
	return p
}

// addSettlementTotal adds settlement_total_fee, the total less NO_CASH
// coupons, which WeChat sends only when there are such coupons.
func (o *order) addSettlementTotal(p wxpay.Params) {
	if _, noCash := o.couponFee(); noCash > 0 {
		p["settlement_total_fee"] = fen(o.totalFee - noCash)
	}
}

func (o *order) feeType() string {
	if ft := o.req["fee_type"]; ft != "" {
		return ft
	}
	return "CNY"
}

func (s *Server) closeOrder(p wxpay.Params) answer {
	o := s.findOrder(p)
	switch {
	case o == nil:
		return refuse("ORDERNOTEXIST", "订单不存在")
	case o.state == wxpay.TradeStateClosed:
		return refuse("ORDERCLOSED", "订单已关闭")
	case o.state == wxpay.TradeStateSuccess || o.state == wxpay.TradeStateRefund:
		return refuse("ORDERPAID", "订单已支付")
	case o.state != wxpay.TradeStateNotPay && o.state != wxpay.TradeStatePayError:
		// A payment-code order still being paid or reversed: reverse it.
		return refuse("TRADE_STATE_ERROR", "订单状态错误")
	}
	o.state = wxpay.TradeStateClosed
	return success(wxpay.Params{"result_msg": "OK"})
}

// Pay marks the order outTradeNo paid, as if the payer had confirmed the
// payment in WeChat, and delivers the signed payment notify to the order's
// notify_url, retrying on the schedule until the merchant acknowledges it.
// It is PayWith with the zero Payment: the whole amount paid in cash from
// the change balance, now.
func (s *Server) Pay(outTradeNo string) error { return s.PayWith(outTradeNo, Payment{}) }

// PayWith is Pay with the details of the payment given. The order must be
// NOTPAY, PAYERROR (a payment failed, Payment.ErrCode), or USERPAYING for
// a payment-code order (the payer enters the password), and not past its
// time_expire (else ErrState), and the coupons must not exceed its
// total_fee. Payment-code orders have no notify.
func (s *Server) PayWith(outTradeNo string, pm Payment) error {
	d, err := s.pay(outTradeNo, pm)
	if err != nil {
		return err
	}
	if d != nil && !pm.SkipNotify {
		if pm.NotifyDelay > 0 {
			d.notBefore = time.Now().Add(pm.NotifyDelay)
		}
		s.startNotify(d)
	}
	if cd := s.contractOfOrder(outTradeNo); cd != nil {
		s.startNotify(cd)
	}
	s.persist()
	return nil
}

// pay pays the order and returns its notify, nil for a payment-code
// order.
func (s *Server) pay(outTradeNo string, pm Payment) (*delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.orders[outTradeNo]
	if o == nil {
		return nil, fmt.Errorf("%w: order %q", ErrNotFound, outTradeNo)
	}
	switch o.state {
	case wxpay.TradeStateNotPay, wxpay.TradeStateUserPaying, wxpay.TradeStatePayError:
	default:
		return nil, fmt.Errorf("%w: order %q is %s, not NOTPAY, PAYERROR or USERPAYING", ErrState, outTradeNo, o.state)
	}
	now := s.cfg.now()
	if exp := o.req["time_expire"]; exp != "" {
		if t, _ := time.ParseInLocation("20060102150405", exp, wxpay.Beijing()); now.After(t) {
			return nil, fmt.Errorf("%w: order %q expired at %s", ErrState, outTradeNo, t)
		}
	}
	if err := o.checkPayment(pm); err != nil {
		return nil, err
	}
	var body []byte
	if pm.ErrCode != "" {
		o.state = wxpay.TradeStatePayError
		body = s.payFailNotifyBody(o, pm, now)
	} else {
		s.completePayment(o, pm, now)
		body = s.payNotifyBody(o)
	}
	if o.req["notify_url"] == "" {
		return nil, nil
	}
	return &delivery{kind: PayNotify, url: o.req["notify_url"], outTradeNo: outTradeNo, body: body}, nil
}

// payFailNotifyBody is the notify of a failed payment of o: result_code
// FAIL with pm's err_code, the payer and the order, no transaction.
// s.mu must be held.
func (s *Server) payFailNotifyBody(o *order, pm Payment, now time.Time) []byte {
	des := pm.ErrCodeDes
	if des == "" {
		des = pm.ErrCode
	}
	openID := cmp.Or(pm.OpenID, o.req["openid"], "oUpF8u"+randomAlnum(22))
	p := wxpay.Params{
		"return_code": "SUCCESS", "result_code": "FAIL", "err_code": pm.ErrCode, "err_code_des": des,
		"nonce_str": wxpay.NonceStr(), "openid": openID, "is_subscribe": yesNo(pm.IsSubscribe),
		"trade_type": o.req["trade_type"], "bank_type": cmp.Or(pm.BankType, "CFT"),
		"total_fee": fen(o.totalFee), "fee_type": o.feeType(), "cash_fee": "0",
		"out_trade_no": o.req["out_trade_no"], "time_end": cmp.Or(pm.TimeEnd, now).In(wxpay.Beijing()).Format("20060102150405"),
	}
	setIf(p, "device_info", o.req["device_info"])
	setIf(p, "attach", o.req["attach"])
	s.stamp(p, o)
	s.addNotifySignType(p, o.signType)
	p["sign"] = s.mustSign(p, s.notifyKeyLocked(s.merchantOf(o)), o.signType)
	return p.AppendXML(nil)
}

// addNotifySignType adds sign_type to an HMAC-SHA256 notify under
// WithNotifySignType; WeChat itself leaves it out.
func (s *Server) addNotifySignType(p wxpay.Params, t wxpay.SignType) {
	if s.cfg.signTypeInNotify && t == wxpay.SignTypeHMACSHA256 {
		p["sign_type"] = string(t)
	}
}

// WithNotifySignType adds a sign_type field to payment notifies signed
// with HMAC-SHA256, as some clients need to verify them (they read the
// algorithm from the message, and take MD5 without one). WeChat leaves
// the field out, the default here; a client that depends on it fails on
// WeChat's genuine notifies.
func WithNotifySignType() Option { return func(c *config) { c.signTypeInNotify = true } }

// checkPayment checks that pm can pay o.
func (o *order) checkPayment(pm Payment) error {
	coupons, err := checkCoupons(pm.Coupons)
	if err != nil {
		return err
	}
	if coupons > o.totalFee {
		return fmt.Errorf("wxpaytest: coupons of %d fen exceed total_fee %d", coupons, o.totalFee)
	}
	return nil
}

// checkCoupons checks that each coupon has an ID and a positive fee,
// and returns their sum.
func checkCoupons(cs []wxpay.Coupon) (int64, error) {
	var sum int64
	for _, c := range cs {
		if c.Fee <= 0 || c.ID == "" {
			return 0, fmt.Errorf("wxpaytest: coupon %+v needs an ID and a positive Fee", c)
		}
		sum += c.Fee
	}
	return sum, nil
}

// completePayment marks o paid by pm, which checkPayment accepted,
// filling in pm's defaults.
func (s *Server) completePayment(o *order, pm Payment, now time.Time) {
	pm.Coupons = append([]wxpay.Coupon(nil), pm.Coupons...)
	if pm.OpenID == "" {
		pm.OpenID = o.req["openid"]
	}
	if pm.OpenID == "" {
		pm.OpenID = o.scanner
	}
	if pm.OpenID == "" {
		pm.OpenID = "oUpF8u" + randomAlnum(22)
	}
	if pm.SubOpenID == "" && o.req["sub_appid"] != "" {
		pm.SubOpenID = o.req["sub_openid"]
		if pm.SubOpenID == "" {
			pm.SubOpenID = "oSub" + randomAlnum(24)
		}
	}
	if pm.BankType == "" {
		pm.BankType = "CFT"
	}
	if pm.TimeEnd.IsZero() {
		pm.TimeEnd = now
	}
	o.pay = pm
	coupons, _ := o.couponFee()
	o.cashFee = o.totalFee - coupons
	o.state = wxpay.TradeStateSuccess
	o.transactionID = s.newID("42000", pm.TimeEnd, 28)
	o.paySeq = s.st.seq
	s.st.byTxn[o.transactionID] = o
	if o.authCode != "" {
		s.st.spent[o.authCode] = true
	}
}

// payNotifyBody is the payment result notify (spec §5), signed with the
// unified order's sign type. s.mu must be held.
func (s *Server) payNotifyBody(o *order) []byte {
	p := s.payNotifyParams(o)
	p["sign"] = s.mustSign(p, s.notifyKeyLocked(s.merchantOf(o)), o.signType)
	return p.AppendXML(nil)
}

// payNotifyParams is the payment notify of o before it is signed. Like
// WeChat's it carries no sign_type field, even when it is signed with
// HMAC-SHA256 (unless WithNotifySignType), and no return_msg.
func (s *Server) payNotifyParams(o *order) wxpay.Params {
	p := o.paymentFields()
	p["return_code"], p["result_code"] = "SUCCESS", "SUCCESS"
	p["nonce_str"] = wxpay.NonceStr()
	s.stamp(p, o)
	s.addNotifySignType(p, o.signType)
	return p
}

// newID returns a WeChat-shaped number: prefix, eight random digits, the
// Beijing date of t and a sequence number, n digits in all.
func (s *Server) newID(prefix string, t time.Time, n int) string {
	s.st.seq++
	// Eight random digits keep ids of two servers (a restarted one, say)
	// from colliding on the same day and sequence number.
	id := prefix + strconv.FormatUint(1e8+rand.Uint64N(9e8), 10)[1:] + t.In(wxpay.Beijing()).Format("20060102")
	seq := strconv.Itoa(s.st.seq)
	for len(id)+len(seq) < n {
		id += "0"
	}
	return id + seq
}

// businessFields is a request without the fields that may differ between
// two sendings of the same request.
func businessFields(p wxpay.Params) wxpay.Params {
	q := maps.Clone(p)
	delete(q, "nonce_str")
	delete(q, "sign")
	delete(q, "sign_type")
	return q
}

// parsePositive parses a positive amount in fen: digits only.
func parsePositive(s string) (int64, bool) {
	if s == "" || len(s) > 15 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// validOutNo reports whether s is a merchant number of lo to hi
// characters from [0-9A-Za-z_-|*@].
func validOutNo(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			c == '_' || c == '-' || c == '|' || c == '*' || c == '@') {
			return false
		}
	}
	return true
}

// validNotifyURL reports whether u is an absolute http(s) URL without a
// query string. WeChat accepts an URL with a query and then never calls
// it (spec §9.19); refusing it here surfaces the mistake in tests.
func validNotifyURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != "" &&
		p.RawQuery == "" && !p.ForceQuery && p.Fragment == ""
}

func setIf(p wxpay.Params, k, v string) {
	if v != "" {
		p[k] = v
	}
}

func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

func randomAlnum(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}
