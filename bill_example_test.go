package wxpay_test

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
)

// exampleBill is a small trade bill as downloadbill sends it: a byte-order
// mark, CRLF line ends, backtick-prefixed values, a summary.
const exampleBill = "\uFEFF交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n" +
	"`2019-07-25 08:35:41,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200000392201907250123456789,`order001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CFT,`CNY,`6.00,`0.00,`0,`0,`0.00,`0.00,`,`,`goods,`,`0.04000,`0.60%,`6.00,`0.00,`\r\n" +
	"`2019-07-25 10:00:00,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200000392201907250123456789,`order001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REFUND,`CFT,`CNY,`0.00,`0.00,`50000301452019072500123456789,`R001,`1.42,`0.00,`ORIGINAL,`SUCCESS,`goods,`,`-0.00852,`0.60%,`0.00,`1.42,`\r\n" +
	"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n" +
	"`2,`6.00,`1.42,`0.00,`0.03148,`6.00,`1.42\r\n"

// billServer stands in for api.mch.weixin.qq.com: it answers downloadbill
// with exampleBill, gzip-compressed as asked, and says "No Bill Exist" for
// any other day.
func billServer() *httptest.Server {
	return httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), "20190725") {
			io.WriteString(w, "<xml><return_code>FAIL</return_code><return_msg>No Bill Exist</return_msg><error_code>20002</error_code></xml>")
			return
		}
		zw := gzip.NewWriter(w)
		io.WriteString(zw, exampleBill)
		zw.Close()
	}))
}

// billClient returns a client of the merchant 1900000109 that talks to srv.
func billClient(srv *httptest.Server) *wxpay.Client {
	client, err := wxpay.NewClient("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	return client
}

func ExampleClient_DownloadBill() {
	srv := billServer()
	defer srv.Close()
	client, err := wxpay.NewClient("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	bill, err := client.DownloadBill(ctx, &wxpay.DownloadBillRequest{
		BillDate: time.Date(2019, 7, 25, 0, 0, 0, 0, wxpay.Beijing()),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range bill.Rows {
		fmt.Println(row.TradeTime.Format(time.DateTime), row.OutTradeNo, row.TradeState,
			"paid", row.SettlementTotalFee, "refunded", row.RefundFee, "fee", row.Fee)
	}
	s := bill.Summary
	fmt.Printf("%d trades, %s yuan in, %s yuan refunded, fees %s yuan (%d fen)\n",
		s.TradeCount, wxpay.FormatYuan(s.SettlementTotalFee), wxpay.FormatYuan(s.RefundFee), s.Fee, s.Fee.Fen())

	// A day without trades has no bill: that is not a failure.
	_, err = client.DownloadBill(ctx, &wxpay.DownloadBillRequest{BillDate: time.Date(2019, 7, 26, 0, 0, 0, 0, wxpay.Beijing())})
	if errors.Is(err, wxpay.ErrNoBill) {
		fmt.Println("26 July: no bill")
	}
	// Output:
	// 2019-07-25 08:35:41 order001 SUCCESS paid 600 refunded 0 fee 0.04000
	// 2019-07-25 10:00:00 order001 REFUND paid 0 refunded 142 fee -0.00852
	// 2 trades, 6.00 yuan in, 1.42 yuan refunded, fees 0.03148 yuan (3 fen)
	// 26 July: no bill
}

func ExampleClient_OpenBill() {
	srv := billServer()
	defer srv.Close()
	client := billClient(srv)

	// A month of trades is read row by row as it arrives: only one line
	// is in memory at a time.
	br, err := client.OpenBill(context.Background(), &wxpay.DownloadBillRequest{
		BillDate: time.Date(2019, 7, 25, 0, 0, 0, 0, wxpay.Beijing()),
		BillType: wxpay.BillTypeAll,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer br.Close()
	var in, out int64
	for {
		row, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		in += row.SettlementTotalFee
		out += row.RefundFee
	}
	summary, err := br.Summary()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("in", in, "out", out, "matches summary:", in == summary.SettlementTotalFee && out == summary.RefundFee)
	// Output: in 600 out 142 matches summary: true
}

func ExampleParseBill() {
	// A bill saved to disk, plain or gzip-compressed, in any of the
	// formats WeChat has used: here the legacy 24-column one.
	file := strings.NewReader("交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率\n" +
		"`2014-11-10 16:33:45,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1001690740201411100005734289,`1415640626,`085e9858e3ba5186aafcbaed1,`MICROPAY,`SUCCESS,`CFT,`CNY,`0.01,`0.0,`0,`0,`0,`0,`,`,`被扫支付测试,`订单额外描述,`0,`0.60%\n" +
		"总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额\n" +
		"`1,`0.01,`0.0,`0.0,`0\n")
	bill, err := wxpay.ParseBill(file)
	if err != nil {
		log.Fatal(err)
	}
	row := bill.Rows[0]
	rate, _ := row.Field("费率")
	fmt.Println(row.OutTradeNo, row.TradeType, row.TotalFee, "fen at", rate)
	fmt.Println(bill.Summary.TradeCount, "trade,", bill.Summary.TotalFee, "fen")
	// Output:
	// 1415640626 MICROPAY 1 fen at 0.60%
	// 1 trade, 1 fen
}
