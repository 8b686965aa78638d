package wxpay_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func ExampleClient_SendCoupon() {
	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	// A stock of 100 coupons of 5 yuan, for orders of 50 yuan or more.
	if err := srv.AddCouponStock(wxpaytest.CouponStock{ID: "1757", Name: "满50减5", Value: 500, Minimum: 5000, Total: 100}); err != nil {
		log.Fatal(err)
	}
	client := merchantClient(srv)
	ctx := context.Background()

	req := &wxpay.SendCouponRequest{CouponStockID: "1757", PartnerTradeNo: "1900000109202501010001", OpenID: "oxTWIuGaIt6gTKsQRLau2M0yL16E"}
	sent, err := client.SendCoupon(ctx, req)
	if err != nil {
		log.Fatal(err) // a *wxpay.CouponPendingError: send req again, same PartnerTradeNo
	}
	// The same number is the same coupon, however often it is sent.
	again, err := client.SendCoupon(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same coupon:", again.CouponID == sent.CouponID)

	coupon, err := client.CouponQuery(ctx, &wxpay.CouponQueryRequest{CouponID: sent.CouponID, OpenID: req.OpenID, StockID: "1757"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(coupon.CouponName, coupon.CouponState, coupon.CouponValue, coupon.CouponMinimum)

	stock, err := client.CouponStockQuery(ctx, &wxpay.CouponStockQueryRequest{CouponStockID: "1757"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stock.Status == wxpay.CouponStockActive, stock.IsSendNum, "of", stock.CouponTotal)
	// Output:
	// same coupon: true
	// 满50减5 SENDED 500 5000
	// true 1 of 100
}
