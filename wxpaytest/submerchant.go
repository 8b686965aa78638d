package wxpaytest

import "github.com/wxpay-go/wxpay"

// SubMerchant is a sub-merchant (特约商户) of a service provider, for
// WithSubMerchants.
type SubMerchant struct {
	MchID  string   // its sub_mch_id
	AppIDs []string // the sub_appids bound to it, if any
}

// WithSubMerchants makes the server's merchant a service provider (服务商)
// with these sub-merchants. Every request must then name one of them in
// sub_mch_id, and may name one of its AppIDs in sub_appid; the bill
// downloads may leave it out: downloadbill then lists every
// sub-merchant's trades, downloadfundflow the provider's own account,
// where no sub-merchant's money goes. JSAPI orders may give the
// payer as sub_openid, under sub_appid, instead of openid. The server
// keeps sub_mch_id, sub_appid and sub_openid with the order, echoes
// sub_mch_id and sub_appid in its answers, and sends them in the
// notifies, with sub_openid and sub_is_subscribe when the order has a
// sub_appid. A sub-merchant sees only its own orders and refunds: those
// of another answer ORDERNOTEXIST or REFUNDNOTEXIST.
//
// Refusals: no sub_mch_id is return_code FAIL 缺少参数sub_mch_id; an
// unknown one NOAUTH (特约子商户商户号未授权服务商的产品权限); a
// sub_appid not bound to it PARAM_ERROR. Without WithSubMerchants, a
// request with sub_mch_id or sub_appid is refused NOAUTH.
//
// Order and refund numbers are unique per server here, across
// sub-merchants, so that the test controls can name an order by its
// out_trade_no alone; WeChat scopes them per sub-merchant.
func WithSubMerchants(subs ...SubMerchant) Option {
	return func(c *config) { c.subs = addSubs(c.subs, subs) }
}

// checkSubMerchant applies the service-provider rules to a request whose
// signature verified, and reports whether it passed.
func (s *Server) checkSubMerchant(ep endpoint, m *merchant, p wxpay.Params) (answer, bool) {
	sub := p["sub_mch_id"]
	if m.subs == nil {
		if sub != "" || p["sub_appid"] != "" {
			return refuse("NOAUTH", "商户无此接口权限: 不是服务商商户号, 不能使用sub_mch_id"), false
		}
		return answer{}, true
	}
	if sub == "" {
		if ep.optSub && p["sub_appid"] == "" {
			return answer{}, true
		}
		return ep.missing("sub_mch_id"), false
	}
	apps, ok := m.subs[sub]
	if !ok {
		return refuse("NOAUTH", "特约子商户商户号未授权服务商的产品权限"), false
	}
	if a := p["sub_appid"]; a != "" && !apps[a] {
		return refuse("PARAM_ERROR", "sub_mch_id与sub_appid不匹配"), false
	}
	return answer{}, true
}

// ownedBy reports whether the order belongs to the merchant the request
// p acts for: the same merchant and sub-merchant, or no sub-merchant for
// both.
func (o *order) ownedBy(p wxpay.Params) bool {
	return o.req["mch_id"] == p["mch_id"] && o.req["sub_mch_id"] == p["sub_mch_id"]
}

// subFields adds to p the sub-merchant fields of the order's notifies.
func (o *order) subFields(p wxpay.Params) {
	setIf(p, "sub_mch_id", o.req["sub_mch_id"])
	setIf(p, "sub_appid", o.req["sub_appid"])
}

// subMchColumn is the order's 特约商户号 in a bill: "0" for none.
func (o *order) subMchColumn() string {
	if sub := o.req["sub_mch_id"]; sub != "" {
		return sub
	}
	return "0"
}
