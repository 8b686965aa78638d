package wxpaytest

import (
	"fmt"
	"strconv"

	"github.com/wxpay-go/wxpay"
)

// Customs declaration (订单附加信息): MD5 only, no nonce_str, a record
// per order, customs office and sub-order.
func init() {
	cu := func(ep endpoint) endpoint {
		ep.md5Only, ep.noNonce, ep.noSubAppID = true, true, true
		return ep
	}
	endpoints["/cgi-bin/mch/customs/customdeclareorder"] = cu(endpoint{
		required: []string{"out_trade_no", "transaction_id", "customs", "mch_customs_no"}, serve: (*Server).customsDeclare,
	})
	endpoints["/cgi-bin/mch/customs/customdeclarequery"] = cu(endpoint{
		required: []string{"customs"}, oneOf: []string{"out_trade_no", "transaction_id", "sub_order_no", "sub_order_id"},
		serve: (*Server).customsQuery,
	})
	endpoints["/cgi-bin/mch/newcustoms/customdeclareredeclare"] = cu(endpoint{
		required: []string{"customs", "mch_customs_no"}, oneOf: []string{"out_trade_no", "transaction_id", "sub_order_no", "sub_order_id"},
		serve: (*Server).customsRedeclare,
	})
}

// customsOffices are the customs values WeChat lists.
var customsOffices = map[string]bool{
	"NO": true, "GUANGZHOU_ZS": true, "HANGZHOU_ZS": true, "NINGBO": true, "ZHENGZHOU_BS": true, "CHONGQING": true,
	"SHANGHAI_ZS": true, "SHENZHEN": true, "ZHENGZHOU_ZH_ZS": true, "TIANJIN": true,
}

// customsRecord is one declaration.
type customsRecord struct {
	o                      *order
	customs, mchCustomsNo  string
	subOrderNo, subOrderID string
	feeType                string
	orderFee, duty         int64
	transportFee           int64
	productFee             int64
	certChecked            bool
	state                  wxpay.CustomsState
	explanation            string
	modified               string // yyyyMMddHHmmss
}

func (s *Server) customsDeclare(p wxpay.Params) answer {
	if !customsOffices[p["customs"]] {
		return refuse("PARAM_ERROR", "customs参数错误")
	}
	o := s.st.byTxn[p["transaction_id"]]
	if o == nil || !o.ownedBy(p) || o.req["out_trade_no"] != p["out_trade_no"] {
		return refuse("ORDERNOTEXIST", "订单不存在")
	}
	if o.state != wxpay.TradeStateSuccess && o.state != wxpay.TradeStateRefund {
		return refuse("ORDER_NOT_PAY", "订单未支付")
	}
	rec := &customsRecord{o: o, customs: p["customs"], mchCustomsNo: p["mch_customs_no"], subOrderNo: p["sub_order_no"], feeType: p["fee_type"]}
	var ok bool
	if rec.duty, ok = amount(p["duty"]); !ok {
		return refuse("PARAM_ERROR", "duty参数错误")
	}
	if rec.subOrderNo != "" {
		for _, f := range [...]string{"fee_type", "order_fee", "transport_fee", "product_fee"} {
			if p[f] == "" {
				return refuse("PARAM_ERROR", "拆单时"+f+"必填")
			}
		}
		orderFee, ok1 := amount(p["order_fee"])
		transport, ok2 := amount(p["transport_fee"])
		product, ok3 := amount(p["product_fee"])
		if !ok1 || !ok2 || !ok3 || orderFee <= 0 || orderFee > o.totalFee {
			return refuse("PARAM_ERROR", "子订单金额错误")
		}
		rec.orderFee, rec.transportFee, rec.productFee = orderFee, transport, product
	} else {
		rec.feeType, rec.orderFee = "CNY", o.totalFee
	}
	if p["cert_type"] != "" || p["cert_id"] != "" || p["name"] != "" {
		if p["cert_type"] != "IDCARD" || p["cert_id"] == "" || p["name"] == "" {
			return refuse("PARAM_ERROR", "cert_type、cert_id和name需同时填写, cert_type只支持IDCARD")
		}
		rec.certChecked = true
	}
	action := p["action_type"]
	if action == "" {
		action = "ADD"
	}
	var old *customsRecord
	for _, r := range s.st.customs[o.transactionID] {
		if r.customs == rec.customs && r.subOrderNo == rec.subOrderNo {
			old = r
		}
	}
	switch {
	case action != "ADD" && action != "MODIFY":
		return refuse("PARAM_ERROR", "action_type参数错误")
	case action == "ADD" && old != nil:
		return refuse("PARAM_ERROR", "订单已申报, 修改请使用action_type=MODIFY")
	case action == "MODIFY" && old == nil:
		return refuse("PARAM_ERROR", "订单未申报, 不能修改")
	case action == "MODIFY" && old.state == wxpay.CustomsSuccess:
		return refuse("PARAM_ERROR", "订单已申报成功, 不能修改")
	}
	rec.state, rec.modified = wxpay.CustomsSubmitted, compact(s.cfg.now())
	if old != nil {
		rec.subOrderID = old.subOrderID
		*old = *rec
		rec = old
	} else {
		rec.subOrderID = s.newID("4200", s.cfg.now(), 28)
		s.st.customs[o.transactionID] = append(s.st.customs[o.transactionID], rec)
	}
	return success(rec.answer())
}

// answer is the fields of a declare or redeclare success.
func (r *customsRecord) answer() wxpay.Params {
	a := wxpay.Params{
		"state": string(r.state), "transaction_id": r.o.transactionID, "out_trade_no": r.o.req["out_trade_no"],
		"sub_order_id": r.subOrderID, "modify_time": r.modified, "cert_check_result": r.certCheck(),
	}
	setIf(a, "sub_order_no", r.subOrderNo)
	setIf(a, "explanation", r.explanation)
	return a
}

func (r *customsRecord) certCheck() string {
	if r.certChecked {
		return "SAME"
	}
	return "UNCHECKED"
}

// amount parses an optional amount in fen: "" is 0.
func amount(s string) (int64, bool) {
	if s == "" || s == "0" {
		return 0, true
	}
	return parsePositive(s)
}

// findCustoms returns the declarations a query or redeclare names.
func (s *Server) findCustoms(p wxpay.Params) []*customsRecord {
	var out []*customsRecord
	for _, recs := range s.st.customs {
		for _, r := range recs {
			match := r.customs == p["customs"] && r.o.ownedBy(p)
			switch {
			case p["transaction_id"] != "":
				match = match && r.o.transactionID == p["transaction_id"]
			case p["out_trade_no"] != "":
				match = match && r.o.req["out_trade_no"] == p["out_trade_no"]
			case p["sub_order_id"] != "":
				match = match && r.subOrderID == p["sub_order_id"]
			default:
				match = match && r.subOrderNo == p["sub_order_no"]
			}
			if match {
				out = append(out, r)
			}
		}
	}
	return out
}

func (s *Server) customsQuery(p wxpay.Params) answer {
	recs := s.findCustoms(p)
	if len(recs) == 0 {
		return refuse("ORDERNOTEXIST", "订单附加信息不存在")
	}
	a := wxpay.Params{"transaction_id": recs[0].o.transactionID, "count": strconv.Itoa(len(recs))}
	for i, r := range recs {
		n := "_" + strconv.Itoa(i)
		a["sub_order_id"+n], a["mch_customs_no"+n], a["customs"+n] = r.subOrderID, r.mchCustomsNo, r.customs
		a["fee_type"+n], a["order_fee"+n], a["duty"+n] = r.feeType, fen(r.orderFee), fen(r.duty)
		a["transport_fee"+n], a["product_fee"+n] = fen(r.transportFee), fen(r.productFee)
		a["state"+n], a["modify_time"+n], a["cert_check_result"+n] = string(r.state), r.modified, r.certCheck()
		setIf(a, "sub_order_no"+n, r.subOrderNo)
		setIf(a, "explanation"+n, r.explanation)
	}
	return success(a)
}

func (s *Server) customsRedeclare(p wxpay.Params) answer {
	recs := s.findCustoms(p)
	if len(recs) == 0 {
		return refuse("ORDERNOTEXIST", "订单附加信息不存在")
	}
	r := recs[0]
	if r.mchCustomsNo != p["mch_customs_no"] {
		return refuse("PARAM_ERROR", "mch_customs_no与申报时不一致")
	}
	if r.state == wxpay.CustomsSuccess {
		return refuse("PARAM_ERROR", "订单已申报成功, 无需重推")
	}
	r.state, r.explanation, r.modified = wxpay.CustomsSubmitted, "", compact(s.cfg.now())
	return success(r.answer())
}

// SetCustomsState moves the declaration of the order transactionID at
// the customs office customs (and sub-order subOrderNo, "" for a whole
// order) on, as the customs office would: PROCESSING, SUCCESS, FAIL or
// EXCEPT, with explanation as the reason of a failure.
func (s *Server) SetCustomsState(transactionID, customs, subOrderNo string, state wxpay.CustomsState, explanation string) error {
	switch state {
	case wxpay.CustomsProcessing, wxpay.CustomsSuccess, wxpay.CustomsFail, wxpay.CustomsExcept:
	default:
		return fmt.Errorf("wxpaytest: SetCustomsState: %q is not PROCESSING, SUCCESS, FAIL or EXCEPT", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.st.customs[transactionID] {
		if r.customs == customs && r.subOrderNo == subOrderNo {
			r.state, r.explanation, r.modified = state, explanation, compact(s.cfg.now())
			return nil
		}
	}
	return fmt.Errorf("%w: no declaration of %q at %s", ErrNotFound, transactionID, customs)
}
