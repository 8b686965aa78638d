package wxpay

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// Red packets (现金红包) pay an official account's or mini program's
// user from the merchant's balance. Their requests name the app as
// wxappid (gethbinfo as appid), are signed with MD5 without sign_type
// (WeChat refuses one, sent or signed), and need the client certificate.
// WeChat answers them unsigned; a sign that is present is verified, and
// the merchant fields that are present are checked.
//
// mch_billno is what makes a red packet idempotent: WeChat pays one
// mch_billno once. An answer that leaves the outcome open (SYSTEMERROR,
// PROCESSING, a timeout, an answer that cannot be trusted) is a
// *RedPackPendingError: query with RedPackInfo, or send the very same
// request again, never a new number.

// RedPackScene is a red packet's scene_id, required for packets under
// 1 yuan or over 200 yuan.
type RedPackScene string

// The scenes WeChat defines.
const (
	RedPackSceneProductPromotion RedPackScene = "PRODUCT_1" // 商品促销
	RedPackSceneLottery          RedPackScene = "PRODUCT_2" // 抽奖
	RedPackSceneVirtualPrize     RedPackScene = "PRODUCT_3" // 虚拟物品兑奖
	RedPackSceneEmployeeWelfare  RedPackScene = "PRODUCT_4" // 企业内部福利
	RedPackSceneChannelShare     RedPackScene = "PRODUCT_5" // 渠道分润
	RedPackSceneInsurance        RedPackScene = "PRODUCT_6" // 保险回馈
	RedPackSceneLotteryPrize     RedPackScene = "PRODUCT_7" // 彩票派奖
	RedPackSceneTaxPrize         RedPackScene = "PRODUCT_8" // 税务刮奖
)

// The amounts WeChat takes without a scene_id: 1 to 200 yuan a packet,
// and for a group packet at least 1 yuan a person.
const (
	RedPackMinAmount int64 = 100   // fen
	RedPackMaxAmount int64 = 20000 // fen
)

// RedPackRequest is a red packet, for SendRedPack, SendGroupRedPack and
// SendMiniProgramRedPack. MchBillNo, SendName, ReOpenID, TotalAmount,
// Wishing, ActName and Remark are required; ClientIP too for SendRedPack.
type RedPackRequest struct {
	// MchBillNo is the merchant's number for the packet, at most 28 of
	// [0-9A-Za-z]; WeChat suggests mch_id + yyyymmdd + 10 digits. It is
	// the idempotency key: keep it for every resend of the packet.
	MchBillNo string

	SendName    string // the sender shown to the user, at most 32 characters
	ReOpenID    string // the user, as an openid under wxappid (or MsgAppID)
	TotalAmount int64  // fen: the packet, or the whole group packet
	TotalNum    int    // 1 for SendRedPack and SendMiniProgramRedPack (0 means 1); 3–20 for SendGroupRedPack
	Wishing     string // at most 128 characters
	ClientIP    string // the IP of the machine calling the API (SendRedPack)
	ActName     string // the activity's name, at most 32 characters
	Remark      string // at most 256 characters

	SceneID  RedPackScene // required outside RedPackMinAmount–RedPackMaxAmount a packet
	RiskInfo string       // optional, URL-encoded key=value pairs (posttime, mobile, deviceid, clientversion)

	// Service providers (WithSubMerchant): sub_mch_id is sent from the
	// client. MsgAppID is the official account the user gets the packet
	// in (re_openid is under it); it defaults to the sub_appid, else the
	// provider's app. ConsumeMchID is the merchant whose money pays, when
	// not the sub-merchant.
	MsgAppID     string
	ConsumeMchID string
}

// redPackKind is which of the three send calls a request is for.
type redPackKind uint8

const (
	redPackNormal redPackKind = iota
	redPackGroup
	redPackMiniProgram
)

// redPackRequest is a RedPackRequest built for one kind, with the
// client's sub-merchant app for MsgAppID's default.
type redPackRequest struct {
	*RedPackRequest
	kind     redPackKind
	msgAppID string
}

func (r *redPackRequest) build(b *request) {
	if r.RedPackRequest == nil {
		b.fail("request", "is nil")
		return
	}
	b.need("mch_billno", r.MchBillNo, 28)
	b.billNo("mch_billno", r.MchBillNo)
	b.need("send_name", r.SendName, 32)
	b.need("re_openid", r.ReOpenID, 32)
	b.fen("total_amount", r.TotalAmount)
	num := r.TotalNum
	switch r.kind {
	case redPackGroup:
		if num < 3 || num > 20 {
			b.fail("total_num", fmt.Sprintf("is %d; a group red packet is shared by 3 to 20 people", num))
		} else if r.TotalAmount < int64(num)*RedPackMinAmount || r.TotalAmount > int64(num)*RedPackMaxAmount {
			b.fail("total_amount", fmt.Sprintf("is %d fen for %d people; a group red packet gives each 1 to 200 yuan", r.TotalAmount, num))
		}
		b.set("amt_type", "ALL_RAND")
	default:
		if num == 0 {
			num = 1
		}
		if num != 1 {
			b.fail("total_num", fmt.Sprintf("is %d; a red packet goes to 1 person (SendGroupRedPack shares one)", num))
		}
		if (r.TotalAmount < RedPackMinAmount || r.TotalAmount > RedPackMaxAmount) && r.SceneID == "" {
			b.fail("scene_id", fmt.Sprintf("is required for a packet of %d fen, outside 1 to 200 yuan", r.TotalAmount))
		}
	}
	b.set("total_num", strconv.Itoa(num))
	b.need("wishing", r.Wishing, 128)
	if r.kind == redPackNormal {
		b.need("client_ip", r.ClientIP, 15)
	} else {
		b.text("client_ip", r.ClientIP, 15)
	}
	b.ip("client_ip", r.ClientIP)
	b.need("act_name", r.ActName, 32)
	b.need("remark", r.Remark, 256)
	b.text("scene_id", string(r.SceneID), 32)
	b.text("risk_info", r.RiskInfo, 128)
	b.text("msgappid", r.msgAppID, 32)
	b.text("consume_mch_id", r.ConsumeMchID, 32)
	if r.kind == redPackMiniProgram {
		b.set("notify_way", "MINI_PROGRAM_JSAPI")
	}
}

// billNo checks a red packet's mch_billno: letters and digits only.
func (b *request) billNo(name, v string) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			b.fail(name, "may hold only 0-9, a-z and A-Z")
			return
		}
	}
}

// RedPackResponse is WeChat's answer that a red packet was sent.
type RedPackResponse struct {
	MchBillNo   string
	MchID       string
	WxAppID     string
	ReOpenID    string
	TotalAmount int64  // fen
	SendListID  string // WeChat's number for the packet
	Raw         Params // the whole response; unsigned unless WeChat signed it
}

// newRedPackResponse reads a success. It never fails: the packet was
// sent, and a field WeChat wrote oddly must not make it look otherwise;
// the raw answer is in Raw.
func newRedPackResponse(p Params) (*RedPackResponse, error) {
	amount, _ := parseFen(p, "total_amount")
	return &RedPackResponse{
		MchBillNo:   p["mch_billno"],
		MchID:       p["mch_id"],
		WxAppID:     p["wxappid"],
		ReOpenID:    p["re_openid"],
		TotalAmount: amount,
		SendListID:  p["send_listid"],
		Raw:         p,
	}, nil
}

// RedPackPendingError reports a red packet whose outcome is unknown: WeChat
// answered SYSTEMERROR or PROCESSING, or the answer was lost or could not
// be trusted. The packet may have been sent. Query it with RedPackInfo,
// or send the same request again with the same MchBillNo, which WeChat
// pays at most once; never send it under a new number. Err is the cause:
// errors.As finds the *Error inside when WeChat answered.
type RedPackPendingError struct {
	MchBillNo string
	Err       error
}

// Error says the outcome is unknown and what to do.
func (e *RedPackPendingError) Error() string {
	return fmt.Sprintf("wxpay: red packet %s: outcome unknown: query with RedPackInfo, never resend with a new number: %v", e.MchBillNo, e.Err)
}

// Unwrap returns the cause.
func (e *RedPackPendingError) Unwrap() error { return e.Err }

// redPackOutcome wraps a send's error as a *RedPackPendingError unless it
// proves the packet was not sent: a request refused before sending, a
// refusal of the request (return_code FAIL, a sign WeChat could not
// verify), or a business failure with a final code (NOTENOUGH,
// OPENID_ERROR, ...).
func redPackOutcome(billNo string, err error) error {
	if outcomeSettled(err) {
		return err
	}
	return &RedPackPendingError{MchBillNo: billNo, Err: err}
}

var (
	endpointSendRedPack = endpoint{
		path: "/mmpaymkttransfers/sendredpack", cert: true, noSignType: true, unsigned: true,
		appIDField: "wxappid", sub: subMchOnly, idempotent: true,
	}
	endpointSendGroupRedPack = endpoint{
		path: "/mmpaymkttransfers/sendgroupredpack", cert: true, noSignType: true, unsigned: true,
		appIDField: "wxappid", sub: subMchOnly, idempotent: true,
	}
	endpointSendMiniProgramRedPack = endpoint{
		path: "/mmpaymkttransfers/sendminiprogramhb", cert: true, noSignType: true, unsigned: true,
		appIDField: "wxappid", sub: subMchOnly, idempotent: true,
	}
	// gethbinfo names the app appid, not wxappid (gopay, wechatpy and
	// WeChat's wechatpay-php definitions agree).
	endpointRedPackInfo = endpoint{
		path: "/mmpaymkttransfers/gethbinfo", cert: true, noSignType: true, unsigned: true,
		sub: subMchOnly, idempotent: true,
	}
)

// sendRedPack runs one of the three send calls.
func (c *Client) sendRedPack(ctx context.Context, ep endpoint, r *RedPackRequest, kind redPackKind) (*RedPackResponse, string, error) {
	rr := &redPackRequest{RedPackRequest: r, kind: kind}
	billNo := ""
	if r != nil {
		billNo = r.MchBillNo
		rr.msgAppID = r.MsgAppID
		if rr.msgAppID == "" && c != nil && c.subMchID != "" {
			rr.msgAppID = cmp.Or(c.subAppID, c.appID)
		}
	}
	resp, err := send(ctx, c, ep, rr, newRedPackResponse)
	if err != nil {
		return nil, "", redPackOutcome(billNo, err)
	}
	return resp, rr.msgAppID, nil
}

// SendRedPack sends a red packet to one user (POST
// /mmpaymkttransfers/sendredpack, with the client certificate). A nil
// error means WeChat sent it; the user still has to open it (see
// RedPackInfo). An error that proves it was not sent is returned as it
// is; any other is a *RedPackPendingError. WithRetry resends the same
// request, which the same MchBillNo makes safe.
func (c *Client) SendRedPack(ctx context.Context, r *RedPackRequest) (*RedPackResponse, error) {
	resp, _, err := c.sendRedPack(ctx, endpointSendRedPack, r, redPackNormal)
	return resp, err
}

// SendGroupRedPack sends a group (fission, 裂变) red packet (POST
// /mmpaymkttransfers/sendgroupredpack): ReOpenID gets it first and shares
// it with friends; TotalAmount is split at random (amt_type ALL_RAND)
// among TotalNum people, 3 to 20, each getting at least 1 yuan. Errors
// are as SendRedPack's.
func (c *Client) SendGroupRedPack(ctx context.Context, r *RedPackRequest) (*RedPackResponse, error) {
	resp, _, err := c.sendRedPack(ctx, endpointSendGroupRedPack, r, redPackGroup)
	return resp, err
}

// MiniProgramRedPackResponse is a mini-program red packet WeChat
// created: the user opens it in the mini program with
// wx.sendBizRedPacket(PayParams).
type MiniProgramRedPackResponse struct {
	RedPackResponse
	Package   string              // as WeChat answered it, not encoded
	PayParams *BizRedPacketParams // signed, for wx.sendBizRedPacket
}

// BizRedPacketParams is what a mini program passes to
// wx.sendBizRedPacket to open a red packet. Marshaled to JSON it has
// exactly the keys the call takes.
type BizRedPacketParams struct {
	TimeStamp string   `json:"timeStamp"` // Unix seconds
	NonceStr  string   `json:"nonceStr"`
	Package   string   `json:"package"`  // the answer's package, URL-encoded
	SignType  SignType `json:"signType"` // always MD5
	PaySign   string   `json:"paySign"`
}

// SendMiniProgramRedPack creates a red packet for a mini-program user
// (POST /mmpaymkttransfers/sendminiprogramhb, notify_way
// MINI_PROGRAM_JSAPI): ReOpenID is an openid under the mini program,
// the client's app id. The packet is not delivered by WeChat: pass
// PayParams to the mini program, which opens it with
// wx.sendBizRedPacket. Errors are as SendRedPack's.
func (c *Client) SendMiniProgramRedPack(ctx context.Context, r *RedPackRequest) (*MiniProgramRedPackResponse, error) {
	resp, msgAppID, err := c.sendRedPack(ctx, endpointSendMiniProgramRedPack, r, redPackMiniProgram)
	if err != nil {
		return nil, err
	}
	out := &MiniProgramRedPackResponse{RedPackResponse: *resp, Package: resp.Raw["package"]}
	if out.Package == "" {
		// Sent, but the mini program cannot open it without a package:
		// not a failure to be resent under a new number.
		return nil, &RedPackPendingError{MchBillNo: r.MchBillNo, Err: &FieldError{Field: "package", Err: errFieldMissing}}
	}
	if out.PayParams, err = c.bizRedPacketParams(cmp.Or(msgAppID, c.appID), out.Package); err != nil {
		return nil, err
	}
	return out, nil
}

// BizRedPacketParams signs the parameters wx.sendBizRedPacket takes for
// the package of a mini-program red packet (MiniProgramRedPackResponse
// carries them already; this signs them anew, with a fresh timestamp).
//
// The rule is WeChat's for this call alone: package is URL-encoded, and
// paySign is the lower-case hex MD5 of appId, nonceStr, package (as
// encoded) and timeStamp, sorted and joined as for any v2 sign, with
// "&key=" and the API key; signType is not signed. appId is the
// client's app, the mini program's.
func (c *Client) BizRedPacketParams(pkg string) (*BizRedPacketParams, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	return c.bizRedPacketParams(c.appID, pkg)
}

func (c *Client) bizRedPacketParams(appID, pkg string) (*BizRedPacketParams, error) {
	if pkg == "" {
		return nil, &ValidationError{Field: "package", Reason: "is required"}
	}
	out := &BizRedPacketParams{
		TimeStamp: strconv.FormatInt(c.now().Unix(), 10),
		NonceStr:  c.nonce(),
		Package:   url.QueryEscape(pkg),
		SignType:  SignTypeMD5,
	}
	out.PaySign = strings.ToLower(c.signParams(Params{
		"appId":     appID,
		"timeStamp": out.TimeStamp,
		"nonceStr":  out.NonceStr,
		"package":   out.Package,
	}, SignTypeMD5))
	return out, nil
}

// RedPackInfoRequest names the red packet to query.
type RedPackInfoRequest struct {
	MchBillNo string // required
}

func (r *RedPackInfoRequest) build(b *request) {
	b.need("mch_billno", r.MchBillNo, 28)
	b.set("bill_type", "MCHT")
}

// RedPackStatus is the state of a red packet.
type RedPackStatus string

// The states of RedPackInfoResponse.Status.
const (
	RedPackSending   RedPackStatus = "SENDING"   // being sent
	RedPackSent      RedPackStatus = "SENT"      // sent, waiting for the user
	RedPackFailed    RedPackStatus = "FAILED"    // sending failed; Reason says why
	RedPackReceived  RedPackStatus = "RECEIVED"  // the user opened it
	RedPackRefunding RedPackStatus = "RFUND_ING" // [sic]: not opened in 24 hours, being refunded
	RedPackRefund    RedPackStatus = "REFUND"    // refunded to the merchant
)

// RedPackInfoResponse is a red packet's record.
type RedPackInfoResponse struct {
	MchBillNo    string
	MchID        string
	DetailID     string // WeChat's number for the packet
	Status       RedPackStatus
	SendType     string // API, UPLOAD or ACTIVITY
	HBType       string // GROUP or NORMAL
	TotalNum     int
	TotalAmount  int64  // fen
	Reason       string // why it FAILED
	SendTime     time.Time
	RefundTime   time.Time
	RefundAmount int64 // fen
	Wishing      string
	Remark       string
	ActName      string
	HBList       []RedPackHBInfo // who received it, and how much

	// Raw is the answer's flat fields; hblist, the one nested element,
	// is in HBList.
	Raw Params
}

// RedPackHBInfo is one receiver of a red packet: an hbinfo of hblist.
type RedPackHBInfo struct {
	OpenID  string
	Status  RedPackStatus
	Amount  int64     // fen
	RcvTime time.Time // Beijing time
}

// RedPackInfo returns the record of a red packet (POST
// /mmpaymkttransfers/gethbinfo, bill_type MCHT, with the client
// certificate): how to settle a *RedPackPendingError. A packet WeChat
// does not know is an *Error with ErrCode ErrCodeNotFound; if that follows
// a pending send, the send did not happen and the same request may be
// sent again.
func (c *Client) RedPackInfo(ctx context.Context, r *RedPackInfoRequest) (*RedPackInfoResponse, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	fields, err := build[RedPackInfoRequest](r)
	if err != nil {
		return nil, err
	}
	p, list, err := c.callWithList(ctx, endpointRedPackInfo, fields, "hblist")
	if err != nil {
		return nil, err
	}
	hbs, err := parseHBList(list)
	if err != nil {
		return nil, err
	}
	rd := fieldReader{p: p}
	resp := &RedPackInfoResponse{
		MchBillNo:    p["mch_billno"],
		MchID:        p["mch_id"],
		DetailID:     p["detail_id"],
		Status:       RedPackStatus(p["status"]),
		SendType:     p["send_type"],
		HBType:       p["hb_type"],
		TotalNum:     rd.int("total_num"),
		TotalAmount:  rd.fen("total_amount"),
		Reason:       p["reason"],
		SendTime:     rd.time("send_time", timeLayoutDash),
		RefundTime:   rd.time("refund_time", timeLayoutDash),
		RefundAmount: rd.fen("refund_amount"),
		Wishing:      p["wishing"],
		Remark:       p["remark"],
		ActName:      p["act_name"],
		HBList:       hbs,
		Raw:          p,
	}
	if rd.err != nil {
		return nil, rd.err
	}
	return resp, nil
}

// callWithList is call for an answer that holds one nested element,
// list, among its flat fields (gethbinfo's hblist): the element is cut
// out before the flat rest is decoded and checked as any answer is, and
// returned as its inner XML, to be read only after those checks.
func (c *Client) callWithList(ctx context.Context, ep endpoint, req []wire.Field, list string) (Params, []byte, error) {
	var out Params
	var inner []byte
	err := c.exchange(ctx, ep, req, func(resp *http.Response, s *signer, st SignType) (Params, error) {
		defer closeBody(resp.Body)
		data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
		if err != nil {
			return nil, &transportError{fmt.Errorf("reading response: %w", err)}
		}
		if resp.StatusCode != http.StatusOK || looksLikeHTML(data) {
			return nil, httpError(resp, data)
		}
		flat, in, err := cutElement(data, list)
		if err != nil {
			return nil, err
		}
		p, fields, err := decode(flat)
		if err != nil {
			return nil, err
		}
		out, err = c.checkAnswer(ep, p, fields, s, st)
		inner = in
		return p, err
	})
	return out, inner, err
}

// cutElement removes the one element <name>…</name> from an XML message,
// returning the rest and the element's content (nil when absent).
func cutElement(data []byte, name string) (rest, inner []byte, err error) {
	open, end := []byte("<"+name+">"), []byte("</"+name+">")
	i := bytes.Index(data, open)
	if i < 0 {
		return data, nil, nil
	}
	j := bytes.Index(data[i:], end)
	if j < 0 || bytes.Count(data, open) != 1 || bytes.Count(data, end) != 1 {
		return nil, nil, fmt.Errorf("%w: element %s not closed once", ErrMalformedXML, name)
	}
	j += i
	inner = bytes.Clone(data[i+len(open) : j])
	rest = append(bytes.Clone(data[:i]), data[j+len(end):]...)
	return rest, inner, nil
}

// parseHBList reads hblist's hbinfo elements. The list is small and
// simple; anything but elements and text (a DOCTYPE, an entity
// declaration, a processing instruction) is refused.
func parseHBList(inner []byte) ([]RedPackHBInfo, error) {
	if len(bytes.TrimSpace(inner)) == 0 {
		return nil, nil
	}
	if bytes.Contains(inner, []byte("<!D")) || bytes.Contains(inner, []byte("<!E")) || bytes.Contains(inner, []byte("<?")) {
		return nil, fmt.Errorf("%w: hblist holds a directive", ErrMalformedXML)
	}
	var list struct {
		Items []struct {
			OpenID  string `xml:"openid"`
			Status  string `xml:"status"`
			Amount  string `xml:"amount"`
			RcvTime string `xml:"rcv_time"`
		} `xml:"hbinfo"`
	}
	d := xml.NewDecoder(bytes.NewReader(append(append([]byte("<hblist>"), inner...), "</hblist>"...)))
	d.Strict = true
	if err := d.Decode(&list); err != nil {
		return nil, fmt.Errorf("%w: hblist: %v", ErrMalformedXML, err)
	}
	out := make([]RedPackHBInfo, len(list.Items))
	for i, it := range list.Items {
		p := Params{"amount": strings.TrimSpace(it.Amount), "rcv_time": strings.TrimSpace(it.RcvTime)}
		r := fieldReader{p: p}
		out[i] = RedPackHBInfo{
			OpenID:  strings.TrimSpace(it.OpenID),
			Status:  RedPackStatus(strings.TrimSpace(it.Status)),
			Amount:  r.fen("amount"),
			RcvTime: r.time("rcv_time", timeLayoutDash),
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	return out, nil
}
