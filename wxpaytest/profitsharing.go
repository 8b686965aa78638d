package wxpaytest

import (
	"encoding/json"
	"fmt"
	"maps"
	"unicode/utf8"

	"github.com/wxpay-go/wxpay"
)

// Profit sharing (分账): HMAC-SHA256 only; the splits, finish and return
// need the client certificate; the query, amount query and ratio query
// take no appid; finish refuses sub_appid.
func init() {
	hmac := func(ep endpoint) endpoint { ep.hmacOnly = true; return ep }
	endpoints["/secapi/pay/profitsharing"] = hmac(endpoint{cert: true, required: []string{"transaction_id", "out_order_no", "receivers"}, serve: (*Server).profitSharingSingle})
	endpoints["/secapi/pay/multiprofitsharing"] = hmac(endpoint{cert: true, required: []string{"transaction_id", "out_order_no", "receivers"}, serve: (*Server).profitSharingMulti})
	endpoints["/pay/profitsharingquery"] = hmac(endpoint{appIDField: "-", noSubAppID: true, required: []string{"transaction_id", "out_order_no"}, serve: (*Server).profitSharingQuery})
	endpoints["/pay/profitsharingaddreceiver"] = hmac(endpoint{required: []string{"receiver"}, serve: (*Server).addReceiver})
	endpoints["/pay/profitsharingremovereceiver"] = hmac(endpoint{required: []string{"receiver"}, serve: (*Server).removeReceiver})
	endpoints["/secapi/pay/profitsharingfinish"] = hmac(endpoint{cert: true, noSubAppID: true, required: []string{"transaction_id", "out_order_no", "description"}, serve: (*Server).profitSharingFinish})
	endpoints["/secapi/pay/profitsharingreturn"] = hmac(endpoint{cert: true, required: []string{"out_return_no", "return_account_type", "return_account", "return_amount", "description"}, oneOf: []string{"order_id", "out_order_no"}, serve: (*Server).profitSharingReturn})
	endpoints["/pay/profitsharingreturnquery"] = hmac(endpoint{required: []string{"out_return_no"}, oneOf: []string{"order_id", "out_order_no"}, serve: (*Server).profitSharingReturnQuery})
	endpoints["/pay/profitsharingorderamountquery"] = hmac(endpoint{appIDField: "-", noSubAppID: true, optSub: true, required: []string{"transaction_id"}, serve: (*Server).profitSharingAmountQuery})
	endpoints["/pay/profitsharingmerchantratioquery"] = hmac(endpoint{appIDField: "-", noSubAppID: true, serve: (*Server).profitSharingRatioQuery})
}

// MaxRatio is the largest share, in units of 0.01%, that
// profitsharingmerchantratioquery answers for every sub-merchant.
const MaxRatio = 3000

// psReceiver is a receiver added with profitsharingaddreceiver.
type psReceiver struct {
	Type           string `json:"type"`
	Account        string `json:"account"`
	Name           string `json:"name,omitempty"`
	RelationType   string `json:"relation_type,omitempty"`
	CustomRelation string `json:"custom_relation,omitempty"`
}

// shareOrder is the profit-sharing side of a paid order.
type shareOrder struct {
	order    *order
	unsplit  int64 // fen still frozen
	requests int   // split requests so far
	finished bool  // a single split or a finish released the rest
}

// split is one split or finish of an order.
type split struct {
	req        wxpay.Params // business fields, for idempotent repeats
	share      *shareOrder
	outOrderNo string
	orderID    string
	receivers  []splitReceiver
	finish     bool  // a finish: amount is what it released
	amount     int64 // fen
	desc       string
	returned   map[string]int64 // by account
	at         string           // finish_time, yyyyMMddHHmmss
}

type splitReceiver struct {
	Type        string `json:"type"`
	Account     string `json:"account"`
	Amount      int64  `json:"amount"`
	Description string `json:"description"`
	Result      string `json:"result,omitempty"`
	FinishTime  string `json:"finish_time,omitempty"`
}

// shareReturn is one return (回退) of a split.
type shareReturn struct {
	req      wxpay.Params
	split    *split
	no       string // out_return_no
	returnNo string
	account  string
	amount   int64
	desc     string
	at       string
}

var receiverTypes = map[string]bool{"MERCHANT_ID": true, "PERSONAL_OPENID": true, "PERSONAL_SUB_OPENID": true}

var relationTypes = map[string]bool{
	"SERVICE_PROVIDER": true, "STORE": true, "STAFF": true, "STORE_OWNER": true, "PARTNER": true, "HEADQUARTER": true,
	"BRAND": true, "DISTRIBUTOR": true, "USER": true, "SUPPLIER": true, "CUSTOM": true,
}

func (s *Server) addReceiver(p wxpay.Params) answer {
	var rc psReceiver
	if err := json.Unmarshal([]byte(p["receiver"]), &rc); err != nil {
		return refuse("PARAM_ERROR", "receiver不是合法的JSON")
	}
	switch {
	case !receiverTypes[rc.Type] || rc.Account == "":
		return refuse("PARAM_ERROR", "分账接收方类型或账号错误")
	case !relationTypes[rc.RelationType]:
		return refuse("PARAM_ERROR", "relation_type错误")
	case rc.RelationType == "CUSTOM" && rc.CustomRelation == "":
		return refuse("PARAM_ERROR", "relation_type为CUSTOM时custom_relation必填")
	case rc.Type == "MERCHANT_ID" && rc.Name == "":
		return refuse("PARAM_ERROR", "商户类型的分账接收方必须填写name")
	case rc.Type == "PERSONAL_SUB_OPENID" && p["sub_appid"] == "":
		return refuse("PARAM_ERROR", "PERSONAL_SUB_OPENID需要sub_appid")
	case rc.Type == "MERCHANT_ID" && rc.Account == p["mch_id"]:
		return refuse("PARAM_ERROR", "分账接收方不能为分账方本身")
	}
	sub := p["mch_id"] + "/" + p["sub_mch_id"]
	if s.st.receivers[sub] == nil {
		s.st.receivers[sub] = map[string]psReceiver{}
	}
	s.st.receivers[sub][rc.Type+"/"+rc.Account] = rc
	return success(wxpay.Params{"receiver": p["receiver"]})
}

func (s *Server) removeReceiver(p wxpay.Params) answer {
	var rc psReceiver
	if err := json.Unmarshal([]byte(p["receiver"]), &rc); err != nil || !receiverTypes[rc.Type] || rc.Account == "" {
		return refuse("PARAM_ERROR", "receiver参数错误")
	}
	delete(s.st.receivers[p["mch_id"]+"/"+p["sub_mch_id"]], rc.Type+"/"+rc.Account)
	return success(wxpay.Params{"receiver": p["receiver"]})
}

// shareOf returns the profit-sharing state of the paid order p names, or
// the refusal: an unknown order, one not paid yet, or one paid without
// profit_sharing=Y.
func (s *Server) shareOf(p wxpay.Params) (*shareOrder, answer, bool) {
	o := s.st.byTxn[p["transaction_id"]]
	// The amount query names no sub-merchant: the order is enough.
	if o == nil || o.req["mch_id"] != p["mch_id"] || p["sub_mch_id"] != "" && !o.ownedBy(p) {
		return nil, refuse("ORDER_NOT_EXIST", "订单不存在"), false
	}
	if o.req["profit_sharing"] != "Y" {
		return nil, refuse("NOT_SHARE_ORDER", "该笔订单不存在分账"), false
	}
	sh := s.st.shares[o.transactionID]
	if sh == nil {
		sh = &shareOrder{order: o, unsplit: o.cashFee}
		s.st.shares[o.transactionID] = sh
	}
	return sh, answer{}, true
}

func (s *Server) profitSharingSingle(p wxpay.Params) answer { return s.profitSharing(p, true) }
func (s *Server) profitSharingMulti(p wxpay.Params) answer  { return s.profitSharing(p, false) }

func (s *Server) profitSharing(p wxpay.Params, single bool) answer {
	no, req, ans, done := s.repeatedSplit(p)
	if done {
		return ans
	}
	sh, ans, ok := s.shareOf(p)
	if !ok {
		return ans
	}
	var rs []splitReceiver
	if err := json.Unmarshal([]byte(p["receivers"]), &rs); err != nil {
		return refuse("PARAM_ERROR", "receivers不是合法的JSON")
	}
	if len(rs) == 0 || len(rs) > 50 {
		return refuse("PARAM_ERROR", "分账接收方列表须有1到50个接收方")
	}
	var sum int64
	for _, r := range rs {
		switch {
		case r.Amount <= 0:
			return refuse("PARAM_ERROR", "分账金额必须大于0")
		case r.Description == "" || utf8.RuneCountInString(r.Description) > 80:
			return refuse("PARAM_ERROR", "分账描述必填, 不超过80个字符")
		}
		if _, bound := s.st.receivers[p["mch_id"]+"/"+p["sub_mch_id"]][r.Type+"/"+r.Account]; !bound {
			return refuse("NOAUTH", "分账接收方未添加: "+r.Account)
		}
		sum += r.Amount
	}
	switch {
	case sh.finished:
		return refuse("ORDER_NOT_READY", "订单已完结分账, 不能再分账")
	case sh.requests >= 50:
		return refuse("PARAM_ERROR", "订单分账次数超过50次")
	case sum > sh.unsplit:
		return refuse("PARAM_ERROR", fmt.Sprintf("分账金额%d超过订单待分账金额%d", sum, sh.unsplit))
	}
	now := s.cfg.now()
	at := now.In(wxpay.Beijing()).Format("20060102150405")
	for i := range rs {
		rs[i].Result, rs[i].FinishTime = "SUCCESS", at
	}
	sh.requests++
	sh.unsplit -= sum
	if single {
		sh.unsplit, sh.finished = 0, true // the rest is released to the merchant
	}
	sp := &split{req: req, share: sh, outOrderNo: no, orderID: s.newID("30000", now, 28), receivers: rs, returned: map[string]int64{}, at: at}
	s.st.splits[no] = sp
	return success(sp.answer())
}

// answer is the answer to a split or finish request.
func (sp *split) answer() wxpay.Params {
	return wxpay.Params{"transaction_id": sp.share.order.transactionID, "out_order_no": sp.outOrderNo, "order_id": sp.orderID}
}

func (s *Server) profitSharingQuery(p wxpay.Params) answer {
	sp := s.st.splits[p["out_order_no"]]
	if sp == nil || sp.share.order.transactionID != p["transaction_id"] || !sp.share.order.ownedBy(p) {
		return refuse("ORDER_NOT_EXIST", "分账单不存在")
	}
	q := sp.answer()
	q["status"] = "FINISHED"
	if sp.finish {
		q["amount"], q["description"] = fen(sp.amount), sp.desc
	} else {
		data, _ := json.Marshal(sp.receivers)
		q["receivers"] = string(data)
	}
	return success(q)
}

// repeatedSplit checks a split's or a finish's out_order_no and answers
// a repeat of an earlier request as WeChat does: the same answer for the
// same fields, INVALID_REQUEST for others. done reports that ans is the
// answer.
func (s *Server) repeatedSplit(p wxpay.Params) (no string, req wxpay.Params, ans answer, done bool) {
	no = p["out_order_no"]
	if !validOutNo(no, 1, 64) {
		return no, nil, badFormat("out_order_no"), true
	}
	req = businessFields(p)
	if sp := s.st.splits[no]; sp != nil {
		if !maps.Equal(sp.req, req) {
			return no, req, refuse("INVALID_REQUEST", "商户分账单号已使用, 参数不一致"), true
		}
		return no, req, success(sp.answer()), true
	}
	return no, req, answer{}, false
}

func (s *Server) profitSharingFinish(p wxpay.Params) answer {
	no, req, ans, done := s.repeatedSplit(p)
	if done {
		return ans
	}
	sh, ans, ok := s.shareOf(p)
	if !ok {
		return ans
	}
	if sh.finished {
		return refuse("ORDER_NOT_READY", "订单已完结分账")
	}
	now := s.cfg.now()
	sp := &split{
		req: req, share: sh, outOrderNo: no, orderID: s.newID("30000", now, 28), finish: true,
		amount: sh.unsplit, desc: p["description"], at: now.In(wxpay.Beijing()).Format("20060102150405"),
	}
	sh.unsplit, sh.finished = 0, true
	s.st.splits[no] = sp
	return success(sp.answer())
}

// splitOf finds the split a return names, by order_id or out_order_no.
func (s *Server) splitOf(p wxpay.Params) *split {
	if id := p["order_id"]; id != "" {
		for _, sp := range s.st.splits {
			if sp.orderID == id && sp.share.order.ownedBy(p) {
				return sp
			}
		}
		return nil
	}
	if sp := s.st.splits[p["out_order_no"]]; sp != nil && sp.share.order.ownedBy(p) {
		return sp
	}
	return nil
}

func (s *Server) profitSharingReturn(p wxpay.Params) answer {
	no := p["out_return_no"]
	if !validOutNo(no, 1, 64) {
		return badFormat("out_return_no")
	}
	req := businessFields(p)
	if rt := s.st.returns[no]; rt != nil {
		if !maps.Equal(rt.req, req) {
			return refuse("INVALID_REQUEST", "商户回退单号已使用, 参数不一致")
		}
		return success(rt.answer())
	}
	sp := s.splitOf(p)
	if sp == nil || sp.finish {
		return refuse("ORDER_NOT_EXIST", "分账单不存在")
	}
	if p["return_account_type"] != "MERCHANT_ID" {
		return refuse("PARAM_ERROR", "回退方类型只支持MERCHANT_ID")
	}
	amount, ok := parsePositive(p["return_amount"])
	if !ok {
		return refuse("PARAM_ERROR", "回退金额必须大于0")
	}
	var given int64 = -1
	for _, r := range sp.receivers {
		if r.Type == "MERCHANT_ID" && r.Account == p["return_account"] {
			given = r.Amount
		}
	}
	switch {
	case given < 0:
		return refuse("PARAM_ERROR", "回退方不是该分账单的接收方")
	case amount > given-sp.returned[p["return_account"]]:
		return refuse("NOTENOUGH", "回退金额超过该接收方可回退的金额")
	}
	now := s.cfg.now()
	sp.returned[p["return_account"]] += amount
	rt := &shareReturn{
		req: req, split: sp, no: no, returnNo: s.newID("40000", now, 28), account: p["return_account"],
		amount: amount, desc: p["description"], at: now.In(wxpay.Beijing()).Format("20060102150405"),
	}
	s.st.returns[no] = rt
	return success(rt.answer())
}

func (rt *shareReturn) answer() wxpay.Params {
	return wxpay.Params{
		"order_id": rt.split.orderID, "out_order_no": rt.split.outOrderNo, "out_return_no": rt.no, "return_no": rt.returnNo,
		"return_account_type": "MERCHANT_ID", "return_account": rt.account, "return_amount": fen(rt.amount),
		"description": rt.desc, "result": "SUCCESS", "finish_time": rt.at,
	}
}

func (s *Server) profitSharingReturnQuery(p wxpay.Params) answer {
	rt := s.st.returns[p["out_return_no"]]
	if rt == nil || s.splitOf(p) != rt.split {
		return refuse("ORDER_NOT_EXIST", "回退单不存在")
	}
	return success(rt.answer())
}

func (s *Server) profitSharingAmountQuery(p wxpay.Params) answer {
	sh, ans, ok := s.shareOf(p)
	if !ok {
		return ans
	}
	return success(wxpay.Params{"transaction_id": sh.order.transactionID, "unsplit_amount": fen(sh.unsplit)})
}

func (s *Server) profitSharingRatioQuery(p wxpay.Params) answer {
	if m := s.merchants[p["mch_id"]]; m == nil || m.subs == nil || p["sub_mch_id"] == "" {
		return refuse("NOAUTH", "服务商才能查询子商户的最大分账比例")
	}
	q := wxpay.Params{"max_ratio": fmt.Sprint(MaxRatio)}
	setIf(q, "brand_mch_id", p["brand_mch_id"])
	return success(q)
}

// UnsplitAmount returns what the paid order outTradeNo still has frozen
// for profit sharing: its cash paid, less the splits so far, 0 once a
// single split or a finish released the rest. An order paid without
// profit_sharing=Y is ErrState.
func (s *Server) UnsplitAmount(outTradeNo string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.orders[outTradeNo]
	if o == nil || o.transactionID == "" {
		return 0, fmt.Errorf("%w: paid order %q", ErrNotFound, outTradeNo)
	}
	if o.req["profit_sharing"] != "Y" {
		return 0, fmt.Errorf("%w: order %q was not paid with profit_sharing=Y", ErrState, outTradeNo)
	}
	if sh := s.st.shares[o.transactionID]; sh != nil {
		return sh.unsplit, nil
	}
	return o.cashFee, nil
}
