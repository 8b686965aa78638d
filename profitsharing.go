package wxpay

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Profit sharing (分账) splits a paid order's money among receivers the
// merchant added beforehand. Every call is signed with HMAC-SHA256,
// whatever the client's sign type: WeChat takes no other. The order must
// have been paid with UnifiedOrderRequest.ProfitSharing (or
// MicroPayRequest.ProfitSharing) set to "Y"; its money is then frozen until
// it is split, or the rest is released with ProfitSharingFinish.

// ReceiverType says what a profit-sharing receiver's account is.
type ReceiverType string

// The receiver types.
const (
	ReceiverMerchant          ReceiverType = "MERCHANT_ID"         // Account is a merchant id
	ReceiverPersonalOpenID    ReceiverType = "PERSONAL_OPENID"     // Account is an openid under the client's appid
	ReceiverPersonalSubOpenID ReceiverType = "PERSONAL_SUB_OPENID" // Account is an openid under the sub_appid (service providers)
)

// RelationType is the receiver's relation to the merchant, which
// ProfitSharingAddReceiver records.
type RelationType string

// The relation types; RelationCustom needs CustomRelation.
const (
	RelationServiceProvider RelationType = "SERVICE_PROVIDER"
	RelationStore           RelationType = "STORE"
	RelationStaff           RelationType = "STAFF"
	RelationStoreOwner      RelationType = "STORE_OWNER"
	RelationPartner         RelationType = "PARTNER"
	RelationHeadquarter     RelationType = "HEADQUARTER"
	RelationBrand           RelationType = "BRAND"
	RelationDistributor     RelationType = "DISTRIBUTOR"
	RelationUser            RelationType = "USER"
	RelationSupplier        RelationType = "SUPPLIER"
	RelationCustom          RelationType = "CUSTOM"
)

// MaxProfitSharingReceivers is how many receivers one split may pay:
// WeChat refuses more. An order takes at most as many split requests.
const MaxProfitSharingReceivers = 50

// ProfitSharingReceiver is one receiver, as the JSON fields receivers (of
// a split) and receiver (of ProfitSharingAddReceiver and
// ProfitSharingRemoveReceiver) carry it. A split sends type, account,
// amount and description; adding a receiver sends type, account, name,
// relation_type and custom_relation; removing one sends type and account.
type ProfitSharingReceiver struct {
	Type    ReceiverType
	Account string // a merchant id or an openid, per Type; at most 64 characters

	Amount      int64  // fen, positive: a split's share for this receiver
	Description string // a split's reason, shown to the receiver; at most 80 characters

	Name           string       // the merchant's full name (required for ReceiverMerchant when adding), or the person's real name
	RelationType   RelationType // required when adding
	CustomRelation string       // required when adding with RelationCustom; at most 10 characters
}

// The JSON shapes WeChat takes, one per use, so that a field meant for
// another call is never sent.
type (
	splitReceiverJSON struct {
		Type        ReceiverType `json:"type"`
		Account     string       `json:"account"`
		Amount      int64        `json:"amount"`
		Description string       `json:"description"`
	}
	addReceiverJSON struct {
		Type           ReceiverType `json:"type"`
		Account        string       `json:"account"`
		Name           string       `json:"name,omitempty"`
		RelationType   RelationType `json:"relation_type"`
		CustomRelation string       `json:"custom_relation,omitempty"`
	}
	removeReceiverJSON struct {
		Type    ReceiverType `json:"type"`
		Account string       `json:"account"`
	}
)

// receiverAccount checks the type and account every receiver has.
func (b *request) receiverAccount(field string, r ProfitSharingReceiver) {
	switch r.Type {
	case ReceiverMerchant, ReceiverPersonalOpenID, ReceiverPersonalSubOpenID:
	case "":
		b.fail(field, "type is required")
	default:
		b.fail(field, fmt.Sprintf("type %q is not MERCHANT_ID, PERSONAL_OPENID or PERSONAL_SUB_OPENID", r.Type))
	}
	switch n := utf8.RuneCountInString(r.Account); {
	case n == 0:
		b.fail(field, "account is required")
	case n > 64:
		b.fail(field, fmt.Sprintf("account has %d characters, at most 64 allowed", n))
	}
}

// ProfitSharingRequest is a split of a paid order among receivers that
// were added with ProfitSharingAddReceiver. OutOrderNo makes it
// idempotent: the same OutOrderNo is the same split, so a split whose
// outcome is unknown is sent again unchanged.
type ProfitSharingRequest struct {
	TransactionID string // the paid order, by WeChat's number; required
	OutOrderNo    string // the merchant's split number: 1–64 of [0-9A-Za-z_-|*@]

	// Receivers: 1 to MaxProfitSharingReceivers, each with a positive
	// Amount and a Description. The merchant itself cannot be one.
	Receivers []ProfitSharingReceiver
}

func (r *ProfitSharingRequest) build(b *request) {
	b.need("transaction_id", r.TransactionID, 32)
	b.need("out_order_no", r.OutOrderNo, 64)
	b.outNo("out_order_no", r.OutOrderNo, 1, 64)
	switch n := len(r.Receivers); {
	case n == 0:
		b.fail("receivers", "needs at least one receiver")
	case n > MaxProfitSharingReceivers:
		b.fail("receivers", fmt.Sprintf("has %d receivers, at most %d allowed", n, MaxProfitSharingReceivers))
	}
	out := make([]splitReceiverJSON, len(r.Receivers))
	for i, rc := range r.Receivers {
		field := "receivers[" + strconv.Itoa(i) + "]"
		b.receiverAccount(field, rc)
		if rc.Amount <= 0 {
			b.fail(field, fmt.Sprintf("amount is %d fen, must be positive", rc.Amount))
		}
		switch n := utf8.RuneCountInString(rc.Description); {
		case n == 0:
			b.fail(field, "description is required")
		case n > 80:
			b.fail(field, fmt.Sprintf("description has %d characters, at most 80 allowed", n))
		}
		out[i] = splitReceiverJSON{rc.Type, rc.Account, rc.Amount, rc.Description}
	}
	b.marshal("receivers", out)
}

// ProfitSharingResponse is WeChat's acceptance of a split, or of a
// finish. The split is done asynchronously: follow it with
// ProfitSharingQuery.
type ProfitSharingResponse struct {
	TransactionID string
	OutOrderNo    string
	OrderID       string // WeChat's split number
	Raw           Params // the whole verified response
}

func newProfitSharingResponse(p Params) (*ProfitSharingResponse, error) {
	return &ProfitSharingResponse{
		TransactionID: p["transaction_id"],
		OutOrderNo:    p["out_order_no"],
		OrderID:       p["order_id"],
		Raw:           p,
	}, nil
}

var (
	endpointProfitSharing = endpoint{
		path: "/secapi/pay/profitsharing", cert: true, signType: SignTypeHMACSHA256, idempotent: true,
	}
	endpointMultiProfitSharing = endpoint{
		path: "/secapi/pay/multiprofitsharing", cert: true, signType: SignTypeHMACSHA256, idempotent: true,
	}
	// profitsharingquery is signed without appid: one sent breaks the
	// signature at WeChat. sub_appid is left out with it.
	endpointProfitSharingQuery = endpoint{
		path: "/pay/profitsharingquery", signType: SignTypeHMACSHA256, appIDField: "-", sub: subMchOnly, idempotent: true,
	}
	endpointProfitSharingAddReceiver = endpoint{
		path: "/pay/profitsharingaddreceiver", signType: SignTypeHMACSHA256, idempotent: true,
	}
	endpointProfitSharingRemoveReceiver = endpoint{
		path: "/pay/profitsharingremovereceiver", signType: SignTypeHMACSHA256, idempotent: true,
	}
	// profitsharingfinish refuses sub_appid: a provider sending one gets
	// a signature failure.
	endpointProfitSharingFinish = endpoint{
		path: "/secapi/pay/profitsharingfinish", cert: true, signType: SignTypeHMACSHA256, sub: subMchOnly, idempotent: true,
	}
	endpointProfitSharingReturn = endpoint{
		path: "/secapi/pay/profitsharingreturn", cert: true, signType: SignTypeHMACSHA256, idempotent: true,
	}
	endpointProfitSharingReturnQuery = endpoint{
		path: "/pay/profitsharingreturnquery", signType: SignTypeHMACSHA256, idempotent: true,
	}
	// The amount and ratio queries take mch_id and the order or
	// sub-merchant only, no appid and no certificate (WeChat's
	// wechatpay-php definitions; gopay presents the certificate, which
	// WeChat does not ask for).
	endpointProfitSharingOrderAmountQuery = endpoint{
		path: "/pay/profitsharingorderamountquery", signType: SignTypeHMACSHA256, appIDField: "-", sub: subNone, idempotent: true,
	}
	endpointProfitSharingMerchantRatioQuery = endpoint{
		path: "/pay/profitsharingmerchantratioquery", signType: SignTypeHMACSHA256, appIDField: "-", sub: subMchOnly, idempotent: true,
	}
)

// ProfitSharing splits a paid order once (POST /secapi/pay/profitsharing,
// with the client certificate): the receivers get their amounts and the
// rest of the order's money is released to the merchant at once, so the
// order cannot be split again. For several splits use MultiProfitSharing.
// WithRetry resends it: the same OutOrderNo is never split twice.
func (c *Client) ProfitSharing(ctx context.Context, r *ProfitSharingRequest) (*ProfitSharingResponse, error) {
	return send(ctx, c, endpointProfitSharing, r, newProfitSharingResponse)
}

// MultiProfitSharing splits part of a paid order and keeps the rest
// frozen for later splits (POST /secapi/pay/multiprofitsharing, with the
// client certificate), at most 50 per order; release what is left with
// ProfitSharingFinish.
func (c *Client) MultiProfitSharing(ctx context.Context, r *ProfitSharingRequest) (*ProfitSharingResponse, error) {
	return send(ctx, c, endpointMultiProfitSharing, r, newProfitSharingResponse)
}

// ProfitSharingQueryRequest names a split or a finish: the order and the
// OutOrderNo it was sent with.
type ProfitSharingQueryRequest struct {
	TransactionID string // required
	OutOrderNo    string // required
}

func (r *ProfitSharingQueryRequest) build(b *request) {
	b.need("transaction_id", r.TransactionID, 32)
	b.need("out_order_no", r.OutOrderNo, 64)
}

// ProfitSharingStatus is the state of a split or a finish.
type ProfitSharingStatus string

// The states of ProfitSharingQueryResponse.Status.
const (
	ProfitSharingAccepted   ProfitSharingStatus = "ACCEPTED"   // accepted, not processed yet
	ProfitSharingProcessing ProfitSharingStatus = "PROCESSING" // being processed
	ProfitSharingFinished   ProfitSharingStatus = "FINISHED"   // done; each receiver's Result says how it went
	ProfitSharingClosed     ProfitSharingStatus = "CLOSED"     // closed; CloseReason says why
)

// ProfitSharingQueryResponse is the state of a split or a finish.
type ProfitSharingQueryResponse struct {
	TransactionID string
	OutOrderNo    string
	OrderID       string
	Status        ProfitSharingStatus
	CloseReason   string // e.g. NO_AUTH, when Status is ProfitSharingClosed

	Receivers []ProfitSharingReceiverResult // a split's receivers

	Amount      int64  // fen: what a finish released to the merchant
	Description string // a finish's description

	Raw Params // the whole verified response
}

// ProfitSharingReceiverResult is one receiver of a split, with its
// outcome.
type ProfitSharingReceiverResult struct {
	Type        ReceiverType
	Account     string
	Amount      int64 // fen
	Description string
	Result      string    // PENDING, SUCCESS or CLOSED
	FailReason  string    // why it was CLOSED, e.g. ACCOUNT_ABNORMAL
	FinishTime  time.Time // Beijing time; zero while PENDING
	DetailID    string    // WeChat's number for this receiver's part, when sent
}

// receiverResultJSON is a receiver of profitsharingquery's receivers.
type receiverResultJSON struct {
	Type        ReceiverType `json:"type"`
	Account     string       `json:"account"`
	Amount      json.Number  `json:"amount"`
	Description string       `json:"description"`
	Result      string       `json:"result"`
	FailReason  string       `json:"fail_reason"`
	FinishTime  string       `json:"finish_time"`
	DetailID    string       `json:"detail_id"`
}

func newProfitSharingQueryResponse(p Params) (*ProfitSharingQueryResponse, error) {
	var receivers []ProfitSharingReceiverResult
	if s := p["receivers"]; s != "" {
		var raw []receiverResultJSON
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, &FieldError{Field: "receivers", Value: s, Err: err}
		}
		receivers = make([]ProfitSharingReceiverResult, len(raw))
		for i, rr := range raw {
			amount, err := parseDigits(rr.Amount.String())
			if err != nil {
				return nil, &FieldError{Field: "receivers", Value: s, Err: err}
			}
			t, err := parseEitherTime("receivers", rr.FinishTime)
			if err != nil {
				return nil, err
			}
			receivers[i] = ProfitSharingReceiverResult{
				Type: rr.Type, Account: rr.Account, Amount: amount, Description: rr.Description,
				Result: rr.Result, FailReason: rr.FailReason, FinishTime: t, DetailID: rr.DetailID,
			}
		}
	}
	r := fieldReader{p: p}
	resp := &ProfitSharingQueryResponse{
		TransactionID: p["transaction_id"],
		OutOrderNo:    p["out_order_no"],
		OrderID:       p["order_id"],
		Status:        ProfitSharingStatus(p["status"]),
		CloseReason:   p["close_reason"],
		Receivers:     receivers,
		Amount:        r.fen("amount"),
		Description:   p["description"],
		Raw:           p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return resp, nil
}

// parseEitherTime reads a profit-sharing time, which WeChat writes as
// yyyyMMddHHmmss in some answers and yyyy-MM-dd HH:mm:ss in others;
// empty is the zero time.
func parseEitherTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range [...]string{timeLayoutCompact, timeLayoutDash} {
		if t, err := time.ParseInLocation(layout, s, beijing); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &FieldError{Field: field, Value: s, Err: fmt.Errorf("not a time")}
}

// ProfitSharingQuery returns the state of a split or a finish (POST
// /pay/profitsharingquery). Its request carries no appid, as WeChat
// requires.
func (c *Client) ProfitSharingQuery(ctx context.Context, r *ProfitSharingQueryRequest) (*ProfitSharingQueryResponse, error) {
	return send(ctx, c, endpointProfitSharingQuery, r, newProfitSharingQueryResponse)
}

// ProfitSharingReceiverRequest names the receiver to add or remove. Adding
// needs Type, Account and RelationType (and CustomRelation for
// RelationCustom, Name for a ReceiverMerchant); removing needs Type and
// Account only.
type ProfitSharingReceiverRequest struct {
	Receiver ProfitSharingReceiver
}

// addReceiverRequest is a ProfitSharingReceiverRequest built for adding.
type addReceiverRequest ProfitSharingReceiverRequest

func (r *addReceiverRequest) build(b *request) {
	rc := r.Receiver
	b.receiverAccount("receiver", rc)
	switch rc.RelationType {
	case RelationServiceProvider, RelationStore, RelationStaff, RelationStoreOwner, RelationPartner,
		RelationHeadquarter, RelationBrand, RelationDistributor, RelationUser, RelationSupplier:
	case RelationCustom:
		if rc.CustomRelation == "" {
			b.fail("receiver", "custom_relation is required with relation_type CUSTOM")
		}
	case "":
		b.fail("receiver", "relation_type is required")
	default:
		b.fail("receiver", fmt.Sprintf("relation_type %q is not one WeChat defines", rc.RelationType))
	}
	if n := utf8.RuneCountInString(rc.CustomRelation); n > 10 {
		b.fail("receiver", fmt.Sprintf("custom_relation has %d characters, at most 10 allowed", n))
	}
	if rc.Type == ReceiverMerchant && rc.Name == "" {
		b.fail("receiver", "name (the merchant's full name) is required for MERCHANT_ID")
	}
	if n := utf8.RuneCountInString(rc.Name); n > 1024 {
		b.fail("receiver", fmt.Sprintf("name has %d characters, at most 1024 allowed", n))
	}
	b.marshal("receiver", addReceiverJSON{rc.Type, rc.Account, rc.Name, rc.RelationType, rc.CustomRelation})
}

// removeReceiverRequest is a ProfitSharingReceiverRequest built for
// removing.
type removeReceiverRequest ProfitSharingReceiverRequest

func (r *removeReceiverRequest) build(b *request) {
	b.receiverAccount("receiver", r.Receiver)
	b.marshal("receiver", removeReceiverJSON{r.Receiver.Type, r.Receiver.Account})
}

// ProfitSharingReceiverResponse is the receiver WeChat added or removed,
// as it echoes it.
type ProfitSharingReceiverResponse struct {
	Receiver ProfitSharingReceiver
	Raw      Params // the whole verified response
}

func newProfitSharingReceiverResponse(p Params) (*ProfitSharingReceiverResponse, error) {
	resp := &ProfitSharingReceiverResponse{Raw: p}
	if s := p["receiver"]; s != "" {
		var raw struct {
			Type           ReceiverType `json:"type"`
			Account        string       `json:"account"`
			Name           string       `json:"name"`
			RelationType   RelationType `json:"relation_type"`
			CustomRelation string       `json:"custom_relation"`
		}
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, &FieldError{Field: "receiver", Value: s, Err: err}
		}
		resp.Receiver = ProfitSharingReceiver{
			Type: raw.Type, Account: raw.Account, Name: raw.Name,
			RelationType: raw.RelationType, CustomRelation: raw.CustomRelation,
		}
	}
	return resp, nil
}

// ProfitSharingAddReceiver adds a receiver splits may pay (POST
// /pay/profitsharingaddreceiver): WeChat refuses a split to a receiver
// that was not added. Adding one twice is harmless.
func (c *Client) ProfitSharingAddReceiver(ctx context.Context, r *ProfitSharingReceiverRequest) (*ProfitSharingReceiverResponse, error) {
	return send(ctx, c, endpointProfitSharingAddReceiver, (*addReceiverRequest)(r), newProfitSharingReceiverResponse)
}

// ProfitSharingRemoveReceiver removes a receiver (POST
// /pay/profitsharingremovereceiver); splits to it are refused afterwards.
func (c *Client) ProfitSharingRemoveReceiver(ctx context.Context, r *ProfitSharingReceiverRequest) (*ProfitSharingReceiverResponse, error) {
	return send(ctx, c, endpointProfitSharingRemoveReceiver, (*removeReceiverRequest)(r), newProfitSharingReceiverResponse)
}

// ProfitSharingFinishRequest releases what is left of an order's frozen
// money to the merchant, ending its splits.
type ProfitSharingFinishRequest struct {
	TransactionID string // required
	OutOrderNo    string // a new split number for the finish: 1–64 of [0-9A-Za-z_-|*@]
	Amount        int64  // fen: the amount field of the request, 0 unless WeChat asked for another
	Description   string // required, at most 80 characters
}

func (r *ProfitSharingFinishRequest) build(b *request) {
	b.need("transaction_id", r.TransactionID, 32)
	b.need("out_order_no", r.OutOrderNo, 64)
	b.outNo("out_order_no", r.OutOrderNo, 1, 64)
	if r.Amount < 0 {
		b.fail("amount", fmt.Sprintf("is %d fen, must not be negative", r.Amount))
	}
	b.set("amount", strconv.FormatInt(r.Amount, 10))
	b.need("description", r.Description, 80)
}

// ProfitSharingFinish ends an order's splits (POST
// /secapi/pay/profitsharingfinish, with the client certificate): what is
// still frozen goes to the merchant. An order split with ProfitSharing
// needs no finish. In service-provider mode the request carries
// sub_mch_id but never sub_appid, which WeChat refuses here.
func (c *Client) ProfitSharingFinish(ctx context.Context, r *ProfitSharingFinishRequest) (*ProfitSharingResponse, error) {
	return send(ctx, c, endpointProfitSharingFinish, r, newProfitSharingResponse)
}

// ProfitSharingReturnRequest takes money back from a receiver (a
// merchant that agreed to returns) to the merchant, for instance before a
// refund of a split order. OutReturnNo makes it idempotent.
type ProfitSharingReturnRequest struct {
	// The split, by WeChat's OrderID or the merchant's OutOrderNo; when
	// both are set only OrderID is sent.
	OrderID    string
	OutOrderNo string

	OutReturnNo       string       // the merchant's return number: 1–64 of [0-9A-Za-z_-|*@]
	ReturnAccountType ReceiverType // ReceiverMerchant, the only type WeChat takes back from; the default
	ReturnAccount     string       // the receiver's merchant id
	ReturnAmount      int64        // fen, positive; at most what the split gave it, less earlier returns
	Description       string       // required, at most 80 characters
}

func (r *ProfitSharingReturnRequest) build(b *request) {
	b.oneOf(textField{"order_id", r.OrderID, 64}, textField{"out_order_no", r.OutOrderNo, 64})
	b.need("out_return_no", r.OutReturnNo, 64)
	b.outNo("out_return_no", r.OutReturnNo, 1, 64)
	typ := r.ReturnAccountType
	if typ == "" {
		typ = ReceiverMerchant
	}
	if typ != ReceiverMerchant {
		b.fail("return_account_type", fmt.Sprintf("is %q; WeChat takes returns from MERCHANT_ID receivers only", typ))
	}
	b.set("return_account_type", string(typ))
	b.need("return_account", r.ReturnAccount, 64)
	b.fen("return_amount", r.ReturnAmount)
	b.need("description", r.Description, 80)
}

// ProfitSharingReturnResponse is a return and its outcome.
type ProfitSharingReturnResponse struct {
	OrderID           string
	OutOrderNo        string
	OutReturnNo       string
	ReturnNo          string // WeChat's return number
	ReturnAccountType ReceiverType
	ReturnAccount     string
	ReturnAmount      int64 // fen
	Description       string
	Result            string    // PROCESSING, SUCCESS or FAILED
	FailReason        string    // why it FAILED: ACCOUNT_ABNORMAL, TIME_OUT_CLOSED, ...
	FinishTime        time.Time // Beijing time; zero while PROCESSING
	Raw               Params    // the whole verified response
}

func newProfitSharingReturnResponse(p Params) (*ProfitSharingReturnResponse, error) {
	t, err := parseEitherTime("finish_time", p["finish_time"])
	if err != nil {
		return nil, err
	}
	r := fieldReader{p: p}
	resp := &ProfitSharingReturnResponse{
		OrderID:           p["order_id"],
		OutOrderNo:        p["out_order_no"],
		OutReturnNo:       p["out_return_no"],
		ReturnNo:          p["return_no"],
		ReturnAccountType: ReceiverType(p["return_account_type"]),
		ReturnAccount:     p["return_account"],
		ReturnAmount:      r.fen("return_amount"),
		Description:       p["description"],
		Result:            p["result"],
		FailReason:        p["fail_reason"],
		FinishTime:        t,
		Raw:               p,
	}
	if r.err != nil {
		return nil, r.err
	}
	return resp, nil
}

// ProfitSharingReturn takes money back from a receiver (POST
// /secapi/pay/profitsharingreturn, with the client certificate). WeChat
// answers at once with the outcome in Result; PROCESSING is followed with
// ProfitSharingReturnQuery. The same OutReturnNo never returns twice.
func (c *Client) ProfitSharingReturn(ctx context.Context, r *ProfitSharingReturnRequest) (*ProfitSharingReturnResponse, error) {
	return send(ctx, c, endpointProfitSharingReturn, r, newProfitSharingReturnResponse)
}

// ProfitSharingReturnQueryRequest names a return: its split (OrderID or
// OutOrderNo; OrderID is sent when both are set) and OutReturnNo.
type ProfitSharingReturnQueryRequest struct {
	OrderID     string
	OutOrderNo  string
	OutReturnNo string // required
}

func (r *ProfitSharingReturnQueryRequest) build(b *request) {
	b.oneOf(textField{"order_id", r.OrderID, 64}, textField{"out_order_no", r.OutOrderNo, 64})
	b.need("out_return_no", r.OutReturnNo, 64)
}

// ProfitSharingReturnQuery returns the state of a return (POST
// /pay/profitsharingreturnquery).
func (c *Client) ProfitSharingReturnQuery(ctx context.Context, r *ProfitSharingReturnQueryRequest) (*ProfitSharingReturnResponse, error) {
	return send(ctx, c, endpointProfitSharingReturnQuery, r, newProfitSharingReturnResponse)
}

// ProfitSharingOrderAmountQueryRequest names the order to ask about.
type ProfitSharingOrderAmountQueryRequest struct {
	TransactionID string // required
}

func (r *ProfitSharingOrderAmountQueryRequest) build(b *request) {
	b.need("transaction_id", r.TransactionID, 32)
}

// ProfitSharingOrderAmountQueryResponse is what an order still has to
// split.
type ProfitSharingOrderAmountQueryResponse struct {
	TransactionID string
	UnsplitAmount int64  // fen
	Raw           Params // the whole verified response
}

// ProfitSharingOrderAmountQuery returns how much of an order is still
// frozen for splits (POST /pay/profitsharingorderamountquery). Its
// request carries mch_id and the order only: no appid, no sub-merchant.
func (c *Client) ProfitSharingOrderAmountQuery(ctx context.Context, r *ProfitSharingOrderAmountQueryRequest) (*ProfitSharingOrderAmountQueryResponse, error) {
	return send(ctx, c, endpointProfitSharingOrderAmountQuery, r, func(p Params) (*ProfitSharingOrderAmountQueryResponse, error) {
		if err := present(p, "unsplit_amount"); err != nil {
			return nil, err
		}
		r := fieldReader{p: p}
		resp := &ProfitSharingOrderAmountQueryResponse{TransactionID: p["transaction_id"], UnsplitAmount: r.fen("unsplit_amount"), Raw: p}
		return resp, r.err
	})
}

// ProfitSharingMerchantRatioQueryRequest asks, for the client's
// sub-merchant (WithSubMerchant, ForSubMerchant) or a brand, the largest
// share of an order the service provider may take.
type ProfitSharingMerchantRatioQueryRequest struct {
	BrandMchID string // optional: ask about this brand's setting instead
}

func (r *ProfitSharingMerchantRatioQueryRequest) build(b *request) {
	b.text("brand_mch_id", r.BrandMchID, 32)
}

// ProfitSharingMerchantRatioQueryResponse is a sub-merchant's maximum
// split ratio.
type ProfitSharingMerchantRatioQueryResponse struct {
	SubMchID   string
	BrandMchID string
	MaxRatio   int    // in units of 0.01%: 2000 is 20%
	Raw        Params // the whole verified response
}

// ProfitSharingMerchantRatioQuery returns the largest share of a
// sub-merchant's orders the service provider may split to itself (POST
// /pay/profitsharingmerchantratioquery): a service provider's call, sent
// with sub_mch_id and without appid.
func (c *Client) ProfitSharingMerchantRatioQuery(ctx context.Context, r *ProfitSharingMerchantRatioQueryRequest) (*ProfitSharingMerchantRatioQueryResponse, error) {
	return send(ctx, c, endpointProfitSharingMerchantRatioQuery, r, func(p Params) (*ProfitSharingMerchantRatioQueryResponse, error) {
		if err := present(p, "max_ratio"); err != nil {
			return nil, err
		}
		r := fieldReader{p: p}
		resp := &ProfitSharingMerchantRatioQueryResponse{
			SubMchID: p["sub_mch_id"], BrandMchID: p["brand_mch_id"], MaxRatio: r.int("max_ratio"), Raw: p,
		}
		return resp, r.err
	})
}
