package api

import (
	"strconv"
	"strings"
)

// stubs answers the helper calls the order pages make outside the
// subset (§6 of the protocol notes) with the smallest reply that keeps
// the pages working.
func (s *Server) stubs() {
	s.handle("/config/values", public, s.configValues)
	s.handle("/config/value", public, s.configValue)
	none := func(what string) handlerFunc {
		return func(*call) (any, error) { return nil, noData(what) }
	}
	s.handle("/user/shipping-address/default/v2", public, none("默认地址"))
	s.handle("/card/my", public, none("卡"))
	s.handle("/shop/goods/kanjia/set/v2", public, none("砍价设置"))
	s.handle("/shop/goods/pingtuan/set", public, none("拼团设置"))
	s.handle("/shop/goods/goodsAddition", public, none("商品附加项"))
	s.handle("/shopping-cart/info", public, none("购物车商品"))
	s.handle("/shop/subshop/list", public, func(*call) (any, error) {
		return []map[string]any{{"id": 1, "name": "本店", "address": "", "status": 0}}, nil
	})
	s.handle("/qrcode/wxa/unlimit", public, func(*call) (any, error) {
		return nil, errorf(CodeFailed, "本店不生成小程序码 (mini-program QR codes are not generated)")
	})
}

// config is the system configuration the pages read.
func (s *Server) config() map[string]string {
	uids := make([]string, len(s.cfg.StaffUIDs))
	for i, id := range s.cfg.StaffUIDs {
		uids[i] = strconv.FormatInt(id, 10)
	}
	return map[string]string{
		"order_pay_user_balance": "1", // pages pay from the balance when it covers the order
		"wxpay_api_url":          "",  // "": the pages use /pay/wx/wxapp
		"zt_open_hx":             "1", // pickup orders get a write-off code
		"order_hx_uids":          strings.Join(uids, ","),
		"needIdCheck":            "0",
	}
}

// configValues answers queryConfigBatch(keys): [{key, value}] for the
// known keys, in the order asked.
func (s *Server) configValues(c *call) (any, error) {
	cfg := s.config()
	out := []map[string]string{}
	for _, k := range strings.Split(c.p.str("keys"), ",") {
		k = strings.TrimSpace(k)
		if v, ok := cfg[k]; ok {
			out = append(out, map[string]string{"key": k, "value": v})
		}
	}
	if len(out) == 0 {
		return nil, noData("配置")
	}
	return out, nil
}

// configValue answers queryConfigValue(key): the value as data.
func (s *Server) configValue(c *call) (any, error) {
	v, ok := s.config()[c.p.str("key")]
	if !ok {
		return nil, noData("配置")
	}
	return v, nil
}
