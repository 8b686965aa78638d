package wxpay_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestCommentReader parses comment pages: commas and backticks inside a
// comment are kept, malformed lines are *BillFormatErrors on their line.
func TestCommentReader(t *testing.T) {
	at := time.Date(2017, 7, 1, 10, 0, 5, 0, wxpay.Beijing())
	tests := []struct {
		name    string
		page    string
		offset  int
		want    []wxpay.Comment
		errLine int // a *BillFormatError on this line; 0 for none
	}{
		{"two comments", "100\r\n`2017-07-01 10:00:05,`1001690740201707019064627052,`5,`赞\r\n`2017-07-01 10:00:05,`1001690740201707019064627053,`1,`差,`很差`\r\n", 100,
			[]wxpay.Comment{
				{Time: at, TransactionID: "1001690740201707019064627052", Stars: 5, Content: "赞"},
				{Time: at, TransactionID: "1001690740201707019064627053", Stars: 1, Content: "差,`很差`"},
			}, 0},
		{"empty page", "0\n", 0, nil, 0},
		{"offset with a backtick", "`7\n", 7, nil, 0},
		{"no offset", "", 0, nil, 0},
		{"offset not a number", "abc\n", 0, nil, 1},
		{"three values", "1\n`2017-07-01 10:00:05,`1001,`5\n", 1, nil, 2},
		{"bad time", "1\n`2017/07/01,`1001,`5,`x\n", 1, nil, 2},
		{"bad stars", "1\n`2017-07-01 10:00:05,`1001,`9,`x\n", 1, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := wxpay.NewCommentReader(strings.NewReader(tt.page))
			var got []wxpay.Comment
			if err == nil {
				if r.Offset() != tt.offset {
					t.Errorf("offset %d, want %d", r.Offset(), tt.offset)
				}
				for {
					var c wxpay.Comment
					if c, err = r.Next(); err != nil {
						break
					}
					c.Raw = nil
					got = append(got, c)
				}
				if err == io.EOF {
					err = nil
				}
			}
			var fe *wxpay.BillFormatError
			switch {
			case tt.page == "":
				if !errors.As(err, &fe) {
					t.Errorf("empty page: %v", err)
				}
				return
			case tt.errLine == 0 && err != nil:
				t.Fatal(err)
			case tt.errLine != 0 && (!errors.As(err, &fe) || fe.Line != tt.errLine):
				t.Fatalf("err %v, want a BillFormatError on line %d", err, tt.errLine)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("comments (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBatchQueryCommentWire checks the request (HMAC-SHA256 from an MD5
// client, the certificate, offset 0 sent, limit) and paging.
func TestBatchQueryCommentWire(t *testing.T) {
	srv, c := psServer(t, nil)
	day := time.Date(2025, 7, 1, 0, 0, 0, 0, wxpay.Beijing())
	for i := range 3 {
		srv.AddComment(wxpaytest.Comment{Time: day.Add(time.Duration(i) * time.Hour), TransactionID: "txn" + string(rune('a'+i)), Stars: 4, Content: "ok"})
	}
	ctx := context.Background()
	req := &wxpay.BatchQueryCommentRequest{BeginTime: day, EndTime: day.Add(24 * time.Hour), Limit: 2}
	page, err := c.BatchQueryComment(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "/billcommentsp/batchquerycomment")
	checkWire(t, r, wire{Cert: true, SignType: "HMAC-SHA256", Has: []string{"appid", "mch_id", "begin_time", "end_time", "offset", "limit"}})
	if r.Params["offset"] != "0" || r.Params["begin_time"] != "20250701000000" || r.Params["limit"] != "2" {
		t.Errorf("request %v", r.Params)
	}
	if page.Offset != 2 || len(page.Comments) != 2 || page.Comments[1].TransactionID != "txnb" {
		t.Errorf("first page %+v", page)
	}
	req.Offset = page.Offset
	page, err = c.BatchQueryComment(ctx, req)
	if err != nil || page.Offset != 3 || len(page.Comments) != 1 || page.Comments[0].TransactionID != "txnc" {
		t.Errorf("second page %+v, %v", page, err)
	}
	var ve *wxpay.ValidationError
	if _, err := c.BatchQueryComment(ctx, &wxpay.BatchQueryCommentRequest{BeginTime: day, EndTime: day, Limit: 201}); !errors.As(err, &ve) || ve.Field != "limit" {
		t.Errorf("limit 201: %v", err)
	}
	srv.Fail("/billcommentsp/batchquerycomment", wxpaytest.Fault{ReturnMsg: "参数错误"})
	var we *wxpay.Error
	if _, err := c.BatchQueryComment(ctx, req); !errors.As(err, &we) || we.ReturnMsg != "参数错误" {
		t.Errorf("refusal: %v", err)
	}
}

// TestReportWire checks both forms of the 交易保障 report on the wire,
// and what is refused before sending.
func TestReportWire(t *testing.T) {
	srv, c := psServer(t, nil)
	ctx := context.Background()
	at := time.Date(2025, 7, 1, 10, 0, 0, 0, wxpay.Beijing())
	if err := c.Report(ctx, &wxpay.ReportRequest{InterfaceURL: "https://api.mch.weixin.qq.com/pay/micropay", ExecuteTime: 1500 * time.Millisecond,
		ReturnCode: "SUCCESS", ResultCode: "FAIL", ErrCode: "USERPAYING", OutTradeNo: "o1", UserIP: "203.0.113.7", Time: at}); err != nil {
		t.Fatal(err)
	}
	r := lastRequest(t, srv, "/payitil/report")
	checkWire(t, r, wire{SignType: "MD5", Has: []string{"appid", "mch_id", "interface_url", "execute_time_", "return_code", "result_code", "err_code", "user_ip", "time"}, Absent: []string{"execute_time", "trades"}})
	if r.Params["execute_time_"] != "1500" || r.Params["time"] != "20250701100000" {
		t.Errorf("report %v", r.Params)
	}
	err := c.Report(ctx, &wxpay.ReportRequest{InterfaceURL: "https://api.mch.weixin.qq.com/pay/batchreport/micropay/total", UserIP: "203.0.113.7",
		Trades: []wxpay.ReportTrade{{OutTradeNo: "o1", BeginTime: wxpay.ReportTime(at), EndTime: wxpay.ReportTime(at.Add(time.Second)), State: wxpay.ReportTradeOK}}})
	if err != nil {
		t.Fatal(err)
	}
	r = lastRequest(t, srv, "/payitil/report")
	checkWire(t, r, wire{SignType: "MD5", Has: []string{"interface_url", "user_ip", "trades"}, Absent: []string{"execute_time_", "return_code", "time"}})
	if want := `[{"out_trade_no":"o1","begin_time":"20250701100000","end_time":"20250701100001","state":"OK"}]`; r.Params["trades"] != want {
		t.Errorf("trades %s, want %s", r.Params["trades"], want)
	}
	n := len(srv.Requests())
	for _, bad := range []*wxpay.ReportRequest{
		{InterfaceURL: "u", UserIP: "203.0.113.7", ReturnCode: "SUCCESS", ResultCode: "SUCCESS", Time: at},             // no execute time
		{InterfaceURL: "u", UserIP: "203.0.113.7", Trades: []wxpay.ReportTrade{{OutTradeNo: "o"}}},                     // incomplete trade
		{InterfaceURL: "u", UserIP: "nowhere", ExecuteTime: time.Second, ReturnCode: "SUCCESS", ResultCode: "SUCCESS"}, // bad IP
	} {
		var ve *wxpay.ValidationError
		if err := c.Report(ctx, bad); !errors.As(err, &ve) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if len(srv.Requests()) != n {
		t.Error("an invalid report was sent")
	}
}
