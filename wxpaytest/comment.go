package wxpaytest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
)

// The utility calls: 交易保障 reports, kept in the request record, and the
// payers' comments, answered as WeChat's text table.
func init() {
	endpoints["/payitil/report"] = endpoint{unsigned: true, required: []string{"interface_url", "user_ip"}, serve: (*Server).report}
	endpoints["/billcommentsp/batchquerycomment"] = endpoint{
		cert: true, hmacOnly: true, optSub: true,
		required: []string{"begin_time", "end_time", "offset"}, serve: (*Server).batchQueryComment,
	}
}

func (s *Server) report(p wxpay.Params) answer {
	if p["trades"] != "" {
		return success(nil)
	}
	for _, f := range [...]string{"execute_time_", "return_code", "result_code", "time"} {
		if p[f] == "" {
			return missing(f)
		}
	}
	if _, err := strconv.Atoi(p["execute_time_"]); err != nil {
		return badFormat("execute_time_")
	}
	return success(nil)
}

// Comment is a payer's comment on a payment, for AddComment.
type Comment struct {
	Time          time.Time // when it was made
	TransactionID string
	Stars         int // 1 to 5
	Content       string
}

// AddComment adds a payer's comment, which batchquerycomment then
// returns when its time is in the range asked for. Comments are returned
// in time order, each numbered by its place (offset) in that order.
func (s *Server) AddComment(c Comment) error {
	if c.Time.IsZero() || c.TransactionID == "" || c.Stars < 1 || c.Stars > 5 || strings.ContainsAny(c.Content, "\r\n") {
		return fmt.Errorf("wxpaytest: AddComment: a comment needs a time, a transaction id, 1 to 5 stars and a one-line content")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.comments = append(s.st.comments, c)
	slices.SortStableFunc(s.st.comments, func(a, b Comment) int { return a.Time.Compare(b.Time) })
	return nil
}

// batchQueryComment answers the comments from begin_time to end_time
// after offset: the last one's offset on the first line, then one
// `time,`transaction_id,`stars,`content line each.
func (s *Server) batchQueryComment(p wxpay.Params) answer {
	begin, err1 := time.ParseInLocation("20060102150405", p["begin_time"], wxpay.Beijing())
	end, err2 := time.ParseInLocation("20060102150405", p["end_time"], wxpay.Beijing())
	offset, err3 := strconv.Atoi(p["offset"])
	limit := 200
	if v := p["limit"]; v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 200 {
			return reject("limit参数错误")
		}
	}
	switch {
	case err1 != nil || err2 != nil || end.Before(begin):
		return reject("begin_time或end_time参数错误")
	case err3 != nil || offset < 0:
		return reject("offset参数错误")
	}
	var b strings.Builder
	last, n := offset, 0
	var lines strings.Builder
	for i, c := range s.st.comments {
		if i < offset || c.Time.Before(begin) || c.Time.After(end) {
			continue
		}
		if n == limit {
			break
		}
		fmt.Fprintf(&lines, "`%s,`%s,`%d,`%s\r\n", dash(c.Time), c.TransactionID, c.Stars, c.Content)
		last, n = i+1, n+1
	}
	fmt.Fprintf(&b, "%d\r\n", last)
	b.WriteString(lines.String())
	return answer{file: []byte(b.String())}
}
