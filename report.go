package wxpay

import (
	"context"
	"strconv"
	"time"
)

// ReportRequest is one 交易保障 (transaction assurance) report: how a call
// to WeChat went, from the merchant's side, so that WeChat can watch its
// quality for the merchant (POST /payitil/report). The client never
// reports on its own: call Report from a logger or a metrics hook, where
// a report's failure cannot fail a payment.
//
// The single form reports one call: InterfaceURL, ExecuteTime,
// ReturnCode, ResultCode, UserIP and Time are required. The batch form,
// for payment-code cashiers, reports the trades of a period: set Trades
// (and InterfaceURL, UserIP), and leave the single form's fields empty.
type ReportRequest struct {
	InterfaceURL string        // the URL called, e.g. https://api.mch.weixin.qq.com/pay/unifiedorder
	ExecuteTime  time.Duration // how long the call took; sent in milliseconds
	ReturnCode   string        // the answer's return_code
	ReturnMsg    string
	ResultCode   string // the answer's result_code
	ErrCode      string
	ErrCodeDes   string
	OutTradeNo   string
	UserIP       string    // the IP of the machine that called
	Time         time.Time // when the call was made
	DeviceInfo   string

	Trades []ReportTrade // the batch form
}

// ReportTrade is one payment-code trade of a batch report.
type ReportTrade struct {
	OutTradeNo string           `json:"out_trade_no"`
	BeginTime  string           `json:"begin_time"` // yyyyMMddHHmmss, Beijing time: use ReportTime
	EndTime    string           `json:"end_time"`
	State      ReportTradeState `json:"state"`
	ErrMsg     string           `json:"err_msg,omitempty"`
}

// ReportTime formats t as ReportTrade's times, in Beijing time.
func ReportTime(t time.Time) string { return formatTime(t) }

// ReportTradeState is how a reported payment-code trade ended.
type ReportTradeState string

// The states of a reported trade.
const (
	ReportTradeOK     ReportTradeState = "OK"
	ReportTradeFail   ReportTradeState = "FAIL"
	ReportTradeCancel ReportTradeState = "CANCLE" // [sic], WeChat's spelling
)

func (r *ReportRequest) build(b *request) {
	b.need("interface_url", r.InterfaceURL, 127)
	b.need("user_ip", r.UserIP, 45)
	b.ip("user_ip", r.UserIP)
	b.text("device_info", r.DeviceInfo, 32)
	if len(r.Trades) > 0 {
		if r.ExecuteTime != 0 || r.ReturnCode != "" || r.ResultCode != "" || !r.Time.IsZero() {
			b.fail("trades", "the batch form takes no execute_time_, return_code, result_code or time")
		}
		for _, t := range r.Trades {
			if t.OutTradeNo == "" || t.BeginTime == "" || t.EndTime == "" || t.State == "" {
				b.fail("trades", "each trade needs out_trade_no, begin_time, end_time and state")
				return
			}
		}
		b.marshal("trades", r.Trades)
		return
	}
	if r.ExecuteTime <= 0 {
		b.fail("execute_time_", "is required: how long the call took")
	}
	// [sic]: WeChat's page names the field execute_time_.
	b.set("execute_time_", strconv.FormatInt(r.ExecuteTime.Milliseconds(), 10))
	b.need("return_code", r.ReturnCode, 16)
	b.text("return_msg", r.ReturnMsg, 128)
	b.need("result_code", r.ResultCode, 16)
	b.text("err_code", r.ErrCode, 32)
	b.text("err_code_des", r.ErrCodeDes, 128)
	b.text("out_trade_no", r.OutTradeNo, 32)
	if r.Time.IsZero() {
		b.fail("time", "is required: when the call was made")
	}
	b.time("time", r.Time)
}

var endpointReport = endpoint{path: "/payitil/report", unsigned: true, idempotent: true}

// Report sends one 交易保障 report (POST /payitil/report). WeChat answers
// it unsigned; a nil error means it was received. Nothing in this
// package calls it.
func (c *Client) Report(ctx context.Context, r *ReportRequest) error {
	_, err := send(ctx, c, endpointReport, r, func(p Params) (Params, error) { return p, nil })
	return err
}
