package wxpay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// fundFlowServer is a fake WeChat Pay on 1 May 2024 with one paid order
// of 25.00 CNY, and a client for it with the certificate the fund flow
// needs.
func fundFlowServer() (*wxpaytest.Server, *wxpay.Client) {
	may1 := time.Date(2024, 5, 1, 10, 0, 0, 0, wxpay.Beijing())
	srv := wxpaytest.NewServer(exAppID, exMchID, exAPIKey, wxpaytest.WithClock(func() time.Time { return may1 }))
	client, err := wxpay.NewClient(exAppID, exMchID, exAPIKey,
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithCertPEM(srv.MerchantCertPEM()), // the fund flow needs the client certificate
	)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.UnifiedOrder(context.Background(), &wxpay.UnifiedOrderRequest{
		Body: "一杯咖啡", OutTradeNo: "20240501001", TotalFee: 2500, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/wxpay/notify", TradeType: wxpay.TradeTypeNative, ProductID: "coffee",
	}); err != nil {
		log.Fatal(err)
	}
	if err := srv.PayWith("20240501001", wxpaytest.Payment{SkipNotify: true}); err != nil {
		log.Fatal(err)
	}
	return srv, client
}

func ExampleClient_DownloadFundFlow() {
	srv, client := fundFlowServer()
	defer srv.Close()

	// Signed with HMAC-SHA256 whatever the client's sign type: the only
	// type WeChat takes for it.
	flow, err := client.DownloadFundFlow(context.Background(), &wxpay.DownloadFundFlowRequest{
		BillDate:    time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), // only the calendar date counts
		AccountType: wxpay.AccountTypeBasic,
	})
	switch {
	case errors.Is(err, wxpay.ErrNoBill):
		fmt.Println("no movements that day")
		return
	case err != nil:
		log.Fatal(err)
	}
	for _, row := range flow.Rows {
		fmt.Println(row.BizName, row.FinancialType, wxpay.FormatYuan(row.Amount), "balance", wxpay.FormatYuan(row.Balance))
	}
	fmt.Println("income:", flow.Summary.IncomeCount, wxpay.FormatYuan(flow.Summary.IncomeAmount))
	// Output:
	// 交易 收入 25.00 balance 25.00
	// income: 1 25.00
}

func ExampleClient_OpenFundFlow() {
	srv, client := fundFlowServer()
	defer srv.Close()

	// Row by row, for a month of busy days: the file is never held whole.
	r, err := client.OpenFundFlow(context.Background(), &wxpay.DownloadFundFlowRequest{
		BillDate:    time.Date(2024, 5, 1, 0, 0, 0, 0, wxpay.Beijing()),
		AccountType: wxpay.AccountTypeFees,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // a cut-off download is an error, not a short bill
		}
		fmt.Println(row.BizName, row.FinancialType, row.Amount, "fen")
	}
	sum, err := r.Summary()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("expense:", sum.ExpenseCount, sum.ExpenseAmount, "fen")
	// Output:
	// 扣除交易手续费 支出 15 fen
	// expense: 1 15 fen
}
