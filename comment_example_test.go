package wxpay_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func ExampleClient_BatchQueryComment() {
	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	day := time.Date(2025, 7, 1, 10, 0, 0, 0, wxpay.Beijing())
	srv.AddComment(wxpaytest.Comment{Time: day, TransactionID: "1001690740201707019064627052", Stars: 5, Content: "赞, 下次还来"})
	srv.AddComment(wxpaytest.Comment{Time: day.Add(time.Hour), TransactionID: "1001690740201707019064627053", Stars: 3, Content: "一般"})
	client := merchantClient(srv)
	ctx := context.Background()

	req := &wxpay.BatchQueryCommentRequest{BeginTime: day.Add(-24 * time.Hour), EndTime: day.Add(24 * time.Hour), Limit: 1}
	for {
		page, err := client.BatchQueryComment(ctx, req)
		if err != nil {
			log.Fatal(err)
		}
		if len(page.Comments) == 0 {
			break
		}
		for _, c := range page.Comments {
			fmt.Println(c.Time.Format(time.DateTime), c.TransactionID, c.Stars, c.Content)
		}
		req.Offset = page.Offset // read on after the page's last comment
	}
	// Output:
	// 2025-07-01 10:00:00 1001690740201707019064627052 5 赞, 下次还来
	// 2025-07-01 11:00:00 1001690740201707019064627053 3 一般
}

func ExampleClient_Report() {
	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	client := merchantClient(srv)

	// From a metrics hook, after a call: never on the payment's path.
	err := client.Report(context.Background(), &wxpay.ReportRequest{
		InterfaceURL: "https://api.mch.weixin.qq.com/pay/unifiedorder", ExecuteTime: 230 * time.Millisecond,
		ReturnCode: "SUCCESS", ResultCode: "SUCCESS", UserIP: "203.0.113.7",
		Time: time.Date(2025, 7, 1, 10, 0, 0, 0, wxpay.Beijing()),
	})
	fmt.Println(err)
	r := srv.Requests()[0]
	fmt.Println(r.Path, r.Params["execute_time_"], r.Params["time"])
	// Output:
	// <nil>
	// /payitil/report 230 20250701100000
}
