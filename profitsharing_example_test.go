package wxpay_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// merchantClient returns a client of srv's merchant with its client
// certificate, signing with MD5: profit sharing signs with HMAC-SHA256
// whatever the client's sign type.
func merchantClient(srv *wxpaytest.Server) *wxpay.Client {
	certPEM, keyPEM := srv.MerchantCertPEM()
	client, err := wxpay.NewClient("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d",
		wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()), wxpay.WithCertPEM(certPEM, keyPEM))
	if err != nil {
		log.Fatal(err)
	}
	return client
}

func ExampleClient_MultiProfitSharing() {
	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	client := merchantClient(srv)
	ctx := context.Background()

	// An order paid with profit_sharing=Y: its money stays frozen for splits.
	if _, err := client.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
		Body: "团购", OutTradeNo: "order20250101", TotalFee: 10000, SpbillCreateIP: "203.0.113.7",
		NotifyURL: "https://shop.example.com/wxpay/notify", TradeType: wxpay.TradeTypeNative, ProductID: "deal-1",
		ProfitSharing: "Y",
	}); err != nil {
		log.Fatal(err)
	}
	srv.PayWith("order20250101", wxpaytest.Payment{SkipNotify: true})
	q, err := client.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "order20250101"})
	if err != nil {
		log.Fatal(err)
	}

	// A receiver must be added before a split pays it.
	store := wxpay.ProfitSharingReceiver{Type: wxpay.ReceiverMerchant, Account: "1900000110", Name: "示例门店有限公司", RelationType: wxpay.RelationStore}
	if _, err := client.ProfitSharingAddReceiver(ctx, &wxpay.ProfitSharingReceiverRequest{Receiver: store}); err != nil {
		log.Fatal(err)
	}
	store.Amount, store.Description = 3000, "门店分成"
	if _, err := client.MultiProfitSharing(ctx, &wxpay.ProfitSharingRequest{
		TransactionID: q.TransactionID, OutOrderNo: "split1", Receivers: []wxpay.ProfitSharingReceiver{store},
	}); err != nil {
		log.Fatal(err)
	}
	res, err := client.ProfitSharingQuery(ctx, &wxpay.ProfitSharingQueryRequest{TransactionID: q.TransactionID, OutOrderNo: "split1"})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res.Receivers {
		fmt.Println(res.Status, r.Account, r.Amount, r.Result)
	}

	// The store gives 5 yuan back, then the rest is released to the merchant.
	ret, err := client.ProfitSharingReturn(ctx, &wxpay.ProfitSharingReturnRequest{
		OutOrderNo: "split1", OutReturnNo: "return1", ReturnAccount: "1900000110", ReturnAmount: 500, Description: "退款回退",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("returned", ret.ReturnAmount, ret.Result)
	left, err := client.ProfitSharingOrderAmountQuery(ctx, &wxpay.ProfitSharingOrderAmountQueryRequest{TransactionID: q.TransactionID})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("unsplit", left.UnsplitAmount)
	if _, err := client.ProfitSharingFinish(ctx, &wxpay.ProfitSharingFinishRequest{
		TransactionID: q.TransactionID, OutOrderNo: "finish1", Description: "分账完结",
	}); err != nil {
		log.Fatal(err)
	}
	fin, err := client.ProfitSharingQuery(ctx, &wxpay.ProfitSharingQueryRequest{TransactionID: q.TransactionID, OutOrderNo: "finish1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("finish", fin.Status, "released", fin.Amount)
	// Output:
	// FINISHED 1900000110 3000 SUCCESS
	// returned 500 SUCCESS
	// unsplit 7000
	// finish FINISHED released 7000
}
