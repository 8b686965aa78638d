package wxpay

import (
	"context"
	"strconv"
	"time"
)

// Customs declaration (海关报关, 订单附加信息) pushes a paid cross-border
// order's payment record to a customs office. The three calls are signed
// with MD5 whatever the client's sign type and, as WeChat's pages
// define them, carry no nonce_str.

// CustomsOffice names a customs office, the customs field.
type CustomsOffice string

// The customs offices WeChat lists.
const (
	CustomsNo            CustomsOffice = "NO" // no declaration needed
	CustomsGuangzhouZS   CustomsOffice = "GUANGZHOU_ZS"
	CustomsHangzhouZS    CustomsOffice = "HANGZHOU_ZS"
	CustomsNingbo        CustomsOffice = "NINGBO"
	CustomsZhengzhouBS   CustomsOffice = "ZHENGZHOU_BS"
	CustomsChongqing     CustomsOffice = "CHONGQING"
	CustomsShanghaiZS    CustomsOffice = "SHANGHAI_ZS"
	CustomsShenzhen      CustomsOffice = "SHENZHEN"
	CustomsZhengzhouZHZS CustomsOffice = "ZHENGZHOU_ZH_ZS"
	CustomsTianjin       CustomsOffice = "TIANJIN"
)

// CustomsState is a declaration's state.
type CustomsState string

// The states of a declaration.
const (
	CustomsUndeclared CustomsState = "UNDECLARED" // 未申报
	CustomsSubmitted  CustomsState = "SUBMITTED"  // 申报已提交
	CustomsProcessing CustomsState = "PROCESSING" // 申报中
	CustomsSuccess    CustomsState = "SUCCESS"    // 申报成功
	CustomsFail       CustomsState = "FAIL"       // 申报失败
	CustomsExcept     CustomsState = "EXCEPT"     // 海关接口异常
)

// CustomsDeclareRequest declares a paid order to customs (POST
// /cgi-bin/mch/customs/customdeclareorder). OutTradeNo, TransactionID,
// Customs and MchCustomsNo are required. An order split into several
// declarations sends one request per SubOrderNo, each with FeeType,
// OrderFee, TransportFee and ProductFee. CertType, CertID and Name, the
// payer's identity, go together.
type CustomsDeclareRequest struct {
	OutTradeNo    string
	TransactionID string
	Customs       CustomsOffice
	MchCustomsNo  string // the merchant's customs registration number
	Duty          int64  // fen, optional
	ActionType    string // "ADD" (the default) or "MODIFY"

	SubOrderNo   string
	FeeType      string // "CNY"
	OrderFee     int64  // fen
	TransportFee int64  // fen
	ProductFee   int64  // fen

	CertType string // "IDCARD"
	CertID   string
	Name     string
}

func (r *CustomsDeclareRequest) build(b *request) {
	b.need("out_trade_no", r.OutTradeNo, 32)
	b.need("transaction_id", r.TransactionID, 32)
	b.need("customs", string(r.Customs), 32)
	b.need("mch_customs_no", r.MchCustomsNo, 20)
	b.number("duty", r.Duty)
	b.oneOfValues("action_type", r.ActionType, "ADD", "MODIFY")
	b.set("action_type", r.ActionType)
	b.text("sub_order_no", r.SubOrderNo, 64)
	if r.SubOrderNo != "" {
		b.need("fee_type", r.FeeType, 8)
		b.fen("order_fee", r.OrderFee)
		if r.TransportFee < 0 {
			b.fail("transport_fee", "must not be negative")
		}
		b.set("transport_fee", strconv.FormatInt(r.TransportFee, 10))
		b.fen("product_fee", r.ProductFee)
	} else if r.FeeType != "" || r.OrderFee != 0 || r.TransportFee != 0 || r.ProductFee != 0 {
		b.fail("sub_order_no", "is required with fee_type, order_fee, transport_fee and product_fee (a split order)")
	}
	if r.CertType != "" || r.CertID != "" || r.Name != "" {
		b.need("cert_type", r.CertType, 32)
		b.oneOfValues("cert_type", r.CertType, "IDCARD")
		b.need("cert_id", r.CertID, 60)
		b.need("name", r.Name, 64)
	}
}

// CustomsDeclareResponse is a declaration as WeChat accepted it.
type CustomsDeclareResponse struct {
	State         CustomsState
	TransactionID string
	OutTradeNo    string
	SubOrderNo    string
	SubOrderID    string // WeChat's number for the sub-order
	ModifyTime    time.Time
	// CertCheckResult is UNCHECKED, SAME or DIFFERENT: whether the
	// identity given matches the payer's.
	CertCheckResult         string
	VerifyDepartment        string
	VerifyDepartmentTradeID string
	Raw                     Params
}

// CustomsRecord is one declaration of an order, from CustomsDeclareQuery:
// the fields suffixed _$n.
type CustomsRecord struct {
	SubOrderNo      string
	SubOrderID      string
	MchCustomsNo    string
	Customs         CustomsOffice
	FeeType         string
	OrderFee        int64 // fen
	Duty            int64 // fen
	TransportFee    int64 // fen
	ProductFee      int64 // fen
	State           CustomsState
	Explanation     string // why it failed
	ModifyTime      time.Time
	CertCheckResult string
}

// CustomsDeclareQueryRequest names the order (one of the four ids, in
// WeChat's order of preference) and the customs office, required.
type CustomsDeclareQueryRequest struct {
	OutTradeNo    string
	TransactionID string
	SubOrderNo    string
	SubOrderID    string
	Customs       CustomsOffice
}

func (r *CustomsDeclareQueryRequest) build(b *request) {
	b.oneOf(textField{"transaction_id", r.TransactionID, 32}, textField{"out_trade_no", r.OutTradeNo, 32},
		textField{"sub_order_id", r.SubOrderID, 32}, textField{"sub_order_no", r.SubOrderNo, 64})
	b.need("customs", string(r.Customs), 32)
}

// CustomsDeclareQueryResponse lists the declarations of an order.
type CustomsDeclareQueryResponse struct {
	TransactionID string
	Records       []CustomsRecord
	Raw           Params
}

// CustomsRedeclareRequest asks WeChat to push a declaration to customs
// again. Customs and MchCustomsNo are required, and one of the ids.
type CustomsRedeclareRequest struct {
	OutTradeNo    string
	TransactionID string
	SubOrderNo    string
	SubOrderID    string
	Customs       CustomsOffice
	MchCustomsNo  string
}

func (r *CustomsRedeclareRequest) build(b *request) {
	b.oneOf(textField{"transaction_id", r.TransactionID, 32}, textField{"out_trade_no", r.OutTradeNo, 32},
		textField{"sub_order_id", r.SubOrderID, 32}, textField{"sub_order_no", r.SubOrderNo, 64})
	b.need("customs", string(r.Customs), 32)
	b.need("mch_customs_no", r.MchCustomsNo, 20)
}

// CustomsRedeclareResponse is the declaration pushed again.
type CustomsRedeclareResponse struct {
	State         CustomsState
	TransactionID string
	OutTradeNo    string
	SubOrderNo    string
	SubOrderID    string
	ModifyTime    time.Time
	Explanation   string
	Raw           Params
}

var (
	endpointCustomsDeclare = endpoint{
		path: "/cgi-bin/mch/customs/customdeclareorder", signType: SignTypeMD5, noNonce: true, sub: subMchOnly,
	}
	endpointCustomsDeclareQuery = endpoint{
		path: "/cgi-bin/mch/customs/customdeclarequery", signType: SignTypeMD5, noNonce: true, sub: subMchOnly, idempotent: true,
	}
	endpointCustomsRedeclare = endpoint{
		path: "/cgi-bin/mch/newcustoms/customdeclareredeclare", signType: SignTypeMD5, noNonce: true, sub: subMchOnly, idempotent: true,
	}
)

// CustomsDeclare declares a paid order (or one sub-order) to customs
// (POST /cgi-bin/mch/customs/customdeclareorder, MD5). The declaration is
// asynchronous: State is usually SUBMITTED, and CustomsDeclareQuery
// follows it. It is not resent by WithRetry: a declaration sent twice
// with ADD is refused the second time; query after a failure instead.
func (c *Client) CustomsDeclare(ctx context.Context, r *CustomsDeclareRequest) (*CustomsDeclareResponse, error) {
	return send(ctx, c, endpointCustomsDeclare, r, func(p Params) (*CustomsDeclareResponse, error) {
		rd := fieldReader{p: p}
		resp := &CustomsDeclareResponse{
			State:                   CustomsState(p["state"]),
			TransactionID:           p["transaction_id"],
			OutTradeNo:              p["out_trade_no"],
			SubOrderNo:              p["sub_order_no"],
			SubOrderID:              p["sub_order_id"],
			ModifyTime:              rd.anyTime("modify_time"),
			CertCheckResult:         p["cert_check_result"],
			VerifyDepartment:        p["verify_department"],
			VerifyDepartmentTradeID: p["verify_department_trade_id"],
			Raw:                     p,
		}
		return resp, rd.err
	})
}

// CustomsDeclareQuery lists an order's declarations at one customs
// office (POST /cgi-bin/mch/customs/customdeclarequery, MD5), from the
// answer's count and _$n fields.
func (c *Client) CustomsDeclareQuery(ctx context.Context, r *CustomsDeclareQueryRequest) (*CustomsDeclareQueryResponse, error) {
	return send(ctx, c, endpointCustomsDeclareQuery, r, func(p Params) (*CustomsDeclareQueryResponse, error) {
		probe := []string{"sub_order_no", "sub_order_id", "state", "customs", "mch_customs_no"}
		records, err := indexed(p, "count", "", probe, func(s string) (CustomsRecord, error) {
			rd := fieldReader{p: p}
			rec := CustomsRecord{
				SubOrderNo:      p["sub_order_no"+s],
				SubOrderID:      p["sub_order_id"+s],
				MchCustomsNo:    p["mch_customs_no"+s],
				Customs:         CustomsOffice(p["customs"+s]),
				FeeType:         p["fee_type"+s],
				OrderFee:        rd.fen("order_fee" + s),
				Duty:            rd.fen("duty" + s),
				TransportFee:    rd.fen("transport_fee" + s),
				ProductFee:      rd.fen("product_fee" + s),
				State:           CustomsState(p["state"+s]),
				Explanation:     p["explanation"+s],
				ModifyTime:      rd.anyTime("modify_time" + s),
				CertCheckResult: p["cert_check_result"+s],
			}
			return rec, rd.err
		})
		if err != nil {
			return nil, err
		}
		return &CustomsDeclareQueryResponse{TransactionID: p["transaction_id"], Records: records, Raw: p}, nil
	})
}

// CustomsRedeclare pushes a declaration to customs again (POST
// /cgi-bin/mch/newcustoms/customdeclareredeclare, MD5), for one that
// failed on the customs side or never arrived.
func (c *Client) CustomsRedeclare(ctx context.Context, r *CustomsRedeclareRequest) (*CustomsRedeclareResponse, error) {
	return send(ctx, c, endpointCustomsRedeclare, r, func(p Params) (*CustomsRedeclareResponse, error) {
		rd := fieldReader{p: p}
		resp := &CustomsRedeclareResponse{
			State:         CustomsState(p["state"]),
			TransactionID: p["transaction_id"],
			OutTradeNo:    p["out_trade_no"],
			SubOrderNo:    p["sub_order_no"],
			SubOrderID:    p["sub_order_id"],
			ModifyTime:    rd.anyTime("modify_time"),
			Explanation:   p["explanation"],
			Raw:           p,
		}
		return resp, rd.err
	})
}
