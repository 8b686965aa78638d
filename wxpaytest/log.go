package wxpaytest

import (
	"bytes"
	"encoding/xml"
	"log/slog"
	"slices"
	"strings"

	"github.com/wxpay-go/wxpay"
)

// WithLogger logs every request the server answers and every notify
// attempt it makes, one line each: the path, the outcome, and why a
// request was refused, with the string a failed signature was expected
// to be computed from. It is how a developer whose client is in another
// language learns why WeChat would have answered 签名错误. The default is
// no log.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

func (s *Server) logf(msg string, args ...any) {
	if l := s.cfg.logger; l != nil {
		l.Info(msg, args...)
	}
}

// logRequest logs a request's record once it is answered.
func (s *Server) logRequest(rec Request, ans answer) {
	if s.cfg.logger == nil {
		return
	}
	args := []any{"method", rec.Method, "path", rec.Path, "status", rec.StatusCode}
	if rec.Params != nil {
		for _, f := range [...]string{"mch_id", "sub_mch_id", "out_trade_no", "out_refund_no", "transaction_id"} {
			if v := rec.Params[f]; v != "" {
				args = append(args, f, v)
			}
		}
	}
	rp := rec.ResponseParams
	switch {
	case rec.Fault != nil:
		args = append(args, "result", "fault", "fault", faultName(*rec.Fault))
	case ans.file != nil:
		args = append(args, "result", "SUCCESS (file)")
	case rp == nil:
		args = append(args, "result", "not found")
	case rp["return_code"] != "SUCCESS":
		args = append(args, "result", "FAIL", "return_msg", rp["return_msg"])
		if strings.Contains(rp["return_msg"], "签名错误") || rp["return_msg"] == "SIGN ERROR" {
			args = append(args, "why", "the sign does not verify with this merchant's key and sign type "+string(signTypeOf(rec.Params))+
				" (MD5 unless sign_type says HMAC-SHA256); check the key, the sign type and, in the sandbox, the sandbox key",
				"signed_string", signedString(rec.Params)+"&key=<API key>")
		}
	case rp["result_code"] != "SUCCESS" && rp["result_code"] != "":
		args = append(args, "result", "result_code FAIL", "err_code", rp["err_code"], "err_code_des", rp["err_code_des"])
	default:
		args = append(args, "result", "SUCCESS")
	}
	s.logf("request", args...)
}

// logNotify logs one notify attempt.
func (s *Server) logNotify(a NotifyAttempt) {
	if s.cfg.logger == nil {
		return
	}
	result := "acknowledged"
	if !a.Acknowledged {
		result = "not acknowledged"
	}
	args := []any{"kind", string(a.Kind), "out_trade_no", a.OutTradeNo, "url", a.URL, "attempt", a.Attempt, "result", result, "status", a.StatusCode}
	if a.OutRefundNo != "" {
		args = append(args, "out_refund_no", a.OutRefundNo)
	}
	if a.Forged {
		args = append(args, "forged", true)
	}
	switch {
	case a.Err != nil:
		args = append(args, "why", a.Err.Error())
	case !a.Acknowledged:
		reply := a.Reply
		if len(reply) > 200 {
			reply = reply[:200]
		}
		args = append(args, "why", "the reply is not HTTP 200 with <xml><return_code>SUCCESS</return_code></xml>", "reply", string(reply))
	}
	s.logf("notify", args...)
}

func faultName(f Fault) string {
	var parts []string
	if f.Delay > 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	switch {
	case f.Hangup:
		parts = append(parts, "hangup")
	case f.StatusCode != 0:
		parts = append(parts, "HTTP status")
	case f.Malformed:
		parts = append(parts, "malformed")
	case f.ReturnMsg != "":
		parts = append(parts, "return_msg "+f.ReturnMsg)
	case f.ErrCode != "":
		parts = append(parts, "err_code "+f.ErrCode)
	case f.BadSign:
		parts = append(parts, "bad sign")
	}
	return strings.Join(parts, ", ")
}

// signedString is the string a sign of p is computed over, without the
// key: the non-empty fields but sign, sorted, as name=value joined by &.
func signedString(p wxpay.Params) string {
	var names []string
	for k, v := range p {
		if k != "sign" && v != "" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + p[k])
	}
	return b.String()
}

// rootIsXML reports whether the document's root element is <xml>, the
// only root WeChat reads a message from.
func rootIsXML(doc []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	for {
		t, err := d.RawToken()
		if err != nil {
			return false
		}
		if se, ok := t.(xml.StartElement); ok {
			return se.Name.Space == "" && se.Name.Local == "xml"
		}
	}
}
