package wxpaytest

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
)

// Red packets (现金红包): MD5 without sign_type, wxappid (gethbinfo:
// appid), the client certificate, and unsigned answers.
func init() {
	send := []string{"mch_billno", "send_name", "re_openid", "total_amount", "total_num", "wishing", "act_name", "remark"}
	rp := func(ep endpoint) endpoint {
		ep.cert, ep.noSignType, ep.unsigned, ep.noSubAppID = true, true, true, true
		return ep
	}
	endpoints["/mmpaymkttransfers/sendredpack"] = rp(endpoint{appIDField: "wxappid", required: append(send, "client_ip"), serve: (*Server).sendRedPack})
	endpoints["/mmpaymkttransfers/sendgroupredpack"] = rp(endpoint{appIDField: "wxappid", required: append(send[:len(send):len(send)], "amt_type"), serve: (*Server).sendGroupRedPack})
	endpoints["/mmpaymkttransfers/sendminiprogramhb"] = rp(endpoint{appIDField: "wxappid", required: append(send[:len(send):len(send)], "notify_way"), serve: (*Server).sendMiniProgramRedPack})
	endpoints["/mmpaymkttransfers/gethbinfo"] = rp(endpoint{required: []string{"mch_billno", "bill_type"}, serve: (*Server).redPackInfo})
}

// redPack is one red packet.
type redPack struct {
	req       wxpay.Params // business fields, for idempotent repeats
	billNo    string
	listID    string // send_listid, also gethbinfo's detail_id
	hbType    string // NORMAL or GROUP
	openID    string
	num       int
	amount    int64
	status    wxpay.RedPackStatus
	sent      time.Time
	received  time.Time
	refunded  time.Time
	pkg       string // a mini-program packet's package
	mch, sub  string // mch_id, sub_mch_id
	receivers []RedPackReceipt
}

// RedPackReceipt is one receiver of a red packet, as gethbinfo's hblist
// lists it once the packet is RECEIVED.
type RedPackReceipt struct {
	OpenID string
	Amount int64 // fen
}

func (s *Server) sendRedPack(p wxpay.Params) answer { return s.redPackSend(p, "NORMAL", false) }

func (s *Server) sendGroupRedPack(p wxpay.Params) answer {
	if p["amt_type"] != "ALL_RAND" {
		return refuse("PARAM_ERROR", "参数错误:amt_type必须设为合法的值")
	}
	return s.redPackSend(p, "GROUP", false)
}

func (s *Server) sendMiniProgramRedPack(p wxpay.Params) answer {
	if p["notify_way"] != "MINI_PROGRAM_JSAPI" {
		return refuse("PARAM_ERROR", "notify_way必须为MINI_PROGRAM_JSAPI")
	}
	return s.redPackSend(p, "NORMAL", true)
}

// redPackSend applies the rules of the three send calls: a valid
// mch_billno, 1 to 200 yuan a packet (any positive amount with a
// scene_id, for a single packet), 3 to 20 people and 1 to 200 yuan each
// for a group packet; the same mch_billno repeated with the same fields
// is the same packet, with other fields FATAL_ERROR.
func (s *Server) redPackSend(p wxpay.Params, hbType string, mini bool) answer {
	no := p["mch_billno"]
	if len(no) > 28 || strings.TrimFunc(no, func(r rune) bool {
		return '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}) != "" {
		return refuse("PARAM_ERROR", "mch_billno参数错误")
	}
	req := businessFields(p)
	if rp := s.st.redPacks[no]; rp != nil {
		if !maps.Equal(rp.req, req) {
			return refuse("FATAL_ERROR", "openid和原始单参数不一致")
		}
		if rp.status == wxpay.RedPackSending {
			return refuse("PROCESSING", "请求已受理，请稍后使用原单号查询发放结果")
		}
		return success(rp.answer(p))
	}
	amount, ok := parsePositive(p["total_amount"])
	if !ok {
		return refuse("PARAM_ERROR", "total_amount参数错误")
	}
	num, err := strconv.Atoi(p["total_num"])
	if err != nil {
		return refuse("PARAM_ERROR", "total_num参数错误")
	}
	switch {
	case hbType == "GROUP" && (num < 3 || num > 20):
		return refuse("PARAM_ERROR", "裂变红包的发放人数必须在3到20之间")
	case hbType == "GROUP" && (amount < int64(num)*wxpay.RedPackMinAmount || amount > int64(num)*wxpay.RedPackMaxAmount):
		return refuse("MONEY_LIMIT", "每个红包的平均金额必须在[1.00元, 200.00元]之间")
	case hbType == "NORMAL" && num != 1:
		return refuse("PARAM_ERROR", "total_num必须为1")
	case hbType == "NORMAL" && p["scene_id"] == "" && (amount < wxpay.RedPackMinAmount || amount > wxpay.RedPackMaxAmount):
		return refuse("MONEY_LIMIT", "每个红包的金额必须在[1.00元, 200.00元]之间, 否则需要scene_id")
	}
	if m := s.merchants[p["mch_id"]]; m != nil && m.subs != nil {
		if app := p["msgappid"]; app != m.appID && !m.subs[p["sub_mch_id"]][app] {
			return refuse("MSGAPPID_ERROR", "msgappid必须为服务商appid或sub_mch_id绑定的appid")
		}
	}
	now := s.cfg.now()
	rp := &redPack{
		req: req, billNo: no, listID: s.newID("1000041701", now, 30), hbType: hbType, openID: p["re_openid"],
		num: num, amount: amount, status: wxpay.RedPackSent, sent: now, mch: p["mch_id"], sub: p["sub_mch_id"],
	}
	if mini {
		rp.pkg = "sendid=" + randomAlnum(64) + "&ver=8&sign=" + randomAlnum(128) + "&mchid=" + p["mch_id"] + "&appid=" + p["wxappid"]
	}
	s.st.redPacks[no] = rp
	if s.st.holdPacks {
		rp.status = wxpay.RedPackSending
		return refuse("PROCESSING", "请求已受理，请稍后使用原单号查询发放结果")
	}
	return success(rp.answer(p))
}

// answer is a send's success.
func (rp *redPack) answer(p wxpay.Params) wxpay.Params {
	a := wxpay.Params{"mch_billno": rp.billNo, "re_openid": rp.openID, "total_amount": fen(rp.amount), "send_listid": rp.listID}
	setIf(a, "package", rp.pkg)
	setIf(a, "msgappid", p["msgappid"])
	return a
}

func (s *Server) redPackInfo(p wxpay.Params) answer {
	if p["bill_type"] != "MCHT" {
		return refuse("PARAM_ERROR", "bill_type必须为MCHT")
	}
	rp := s.st.redPacks[p["mch_billno"]]
	if rp == nil || rp.mch != p["mch_id"] || rp.sub != p["sub_mch_id"] {
		return refuse("NOT_FOUND", "指定单号数据不存在")
	}
	const layout = "2006-01-02 15:04:05"
	q := wxpay.Params{
		"mch_billno": rp.billNo, "detail_id": rp.listID, "status": string(rp.status), "send_type": "API",
		"hb_type": rp.hbType, "total_num": strconv.Itoa(rp.num), "total_amount": fen(rp.amount),
		"send_time": rp.sent.In(wxpay.Beijing()).Format(layout),
		"wishing":   rp.req["wishing"], "remark": rp.req["remark"], "act_name": rp.req["act_name"],
	}
	switch rp.status {
	case wxpay.RedPackFailed:
		q["reason"] = "发放失败"
	case wxpay.RedPackRefund, wxpay.RedPackRefunding:
		q["refund_time"], q["refund_amount"] = rp.refunded.In(wxpay.Beijing()).Format(layout), fen(rp.amount)
	}
	ans := success(q)
	if len(rp.receivers) > 0 {
		var b strings.Builder
		b.WriteString("<hblist>")
		for _, r := range rp.receivers {
			fmt.Fprintf(&b, "<hbinfo><openid><![CDATA[%s]]></openid><amount>%d</amount><rcv_time><![CDATA[%s]]></rcv_time></hbinfo>",
				r.OpenID, r.Amount, rp.received.In(wxpay.Beijing()).Format(layout))
		}
		b.WriteString("</hblist>")
		ans.nested = []byte(b.String())
	}
	return ans
}

// redPackMoves are the state changes SetRedPackStatus allows.
var redPackMoves = map[wxpay.RedPackStatus][]wxpay.RedPackStatus{
	wxpay.RedPackSending:   {wxpay.RedPackSent, wxpay.RedPackFailed},
	wxpay.RedPackSent:      {wxpay.RedPackReceived, wxpay.RedPackRefunding, wxpay.RedPackRefund},
	wxpay.RedPackRefunding: {wxpay.RedPackRefund},
}

// SetRedPackStatus moves the red packet mchBillNo on, as the user and
// WeChat would: SENDING to SENT or FAILED; SENT to RECEIVED (the user
// opened it: gethbinfo then lists the receivers in hblist, a group
// packet's amount split among TotalNum of them), RFUND_ING or REFUND (not
// opened within 24 hours); RFUND_ING to REFUND. Any other move is
// ErrState; an unknown packet ErrNotFound.
func (s *Server) SetRedPackStatus(mchBillNo string, status wxpay.RedPackStatus) error {
	if err := s.setRedPackStatus(mchBillNo, status); err != nil {
		return err
	}
	s.persist()
	return nil
}

func (s *Server) setRedPackStatus(mchBillNo string, status wxpay.RedPackStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.st.redPacks[mchBillNo]
	if rp == nil {
		return fmt.Errorf("%w: red packet %q", ErrNotFound, mchBillNo)
	}
	allowed := false
	for _, st := range redPackMoves[rp.status] {
		allowed = allowed || st == status
	}
	if !allowed {
		return fmt.Errorf("%w: red packet %q is %s, cannot become %s", ErrState, mchBillNo, rp.status, status)
	}
	now := s.cfg.now()
	switch status {
	case wxpay.RedPackReceived:
		rp.received = now
		rp.receivers = []RedPackReceipt{{OpenID: rp.openID, Amount: rp.amount}}
		if rp.num > 1 {
			each := rp.amount / int64(rp.num)
			rp.receivers[0].Amount = rp.amount - each*int64(rp.num-1)
			for i := 1; i < rp.num; i++ {
				rp.receivers = append(rp.receivers, RedPackReceipt{OpenID: "oFriend" + randomAlnum(21), Amount: each})
			}
		}
	case wxpay.RedPackRefund, wxpay.RedPackRefunding:
		rp.refunded = now
	}
	rp.status = status
	return nil
}

// HoldRedPacks makes new red packets wait in SENDING: the send is
// answered PROCESSING, as are repeats of it, and gethbinfo shows SENDING,
// until SetRedPackStatus moves the packet to SENT or FAILED. hold false
// sends new packets at once again (SENT). A PROCESSING that creates no
// packet is Fail with Fault{ErrCode: "PROCESSING"}.
func (s *Server) HoldRedPacks(hold bool) {
	s.mu.Lock()
	s.st.holdPacks = hold
	s.mu.Unlock()
	s.persist()
}

// RedPackStatus returns the state of the red packet mchBillNo.
func (s *Server) RedPackStatus(mchBillNo string) (wxpay.RedPackStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.st.redPacks[mchBillNo]
	if rp == nil {
		return "", fmt.Errorf("%w: red packet %q", ErrNotFound, mchBillNo)
	}
	return rp.status, nil
}
