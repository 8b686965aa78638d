package wxpay_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func ExampleClient_NativeCallbackHandler() {
	// The merchant's callback URL, set as 扫码回调URL in the merchant platform.
	var client *wxpay.Client
	handler := func(ctx context.Context, cb *wxpay.NativeCallback) (string, error) {
		order, err := client.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{
			Body: "咖啡", OutTradeNo: "coffee" + strconv.FormatInt(time.Now().UnixNano(), 36), TotalFee: 1800, SpbillCreateIP: "203.0.113.7",
			NotifyURL: "https://shop.example.com/wxpay/notify", TradeType: wxpay.TradeTypeNative,
			ProductID: cb.ProductID, OpenID: cb.OpenID,
		})
		if err != nil {
			return "", fmt.Errorf("下单失败, 请重新扫码")
		}
		return order.PrepayID, nil
	}
	mux := httptest.NewServer(nil)
	defer mux.Close()

	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d",
		wxpaytest.WithNativeCallbackURL(mux.URL+"/wxpay/native"))
	defer srv.Close()
	client = merchantClient(srv)
	mux.Config.Handler = client.NativeCallbackHandler(handler)

	// A fixed QR code for the product, and its short form.
	link, err := client.NativeModeOneURL("coffee-large")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(link, "weixin://wxpay/bizpayurl?sign="))
	short, err := client.ShortURL(context.Background(), &wxpay.ShortURLRequest{LongURL: link})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(short.ShortURL, "weixin://wxpay/s/"))

	// A payer scans it; the handler places the order; the payer pays.
	scan, err := srv.ScanProduct(context.Background(), "coffee-large", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
	if err != nil {
		log.Fatal(err)
	}
	srv.PayWith(scan.OutTradeNo, wxpaytest.Payment{SkipNotify: true})
	q, err := client.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: scan.OutTradeNo})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(scan.ResultCode, q.TradeState, q.OpenID)
	// Output:
	// true
	// true
	// SUCCESS SUCCESS oUpF8uMuAJO_M2pxb1Q9zNjWeS6o
}
