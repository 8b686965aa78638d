package wxpay_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

func ExampleClient_SendRedPack() {
	srv := wxpaytest.NewServer("wx2421b1c4370ec43b", "1900000109", "192006250b4c09247ec02edce69f6a2d")
	defer srv.Close()
	client := merchantClient(srv)
	ctx := context.Background()

	req := &wxpay.RedPackRequest{
		MchBillNo: "1900000109202501010000000001", SendName: "示例商城", ReOpenID: "oxTWIuGaIt6gTKsQRLau2M0yL16E",
		TotalAmount: 888, Wishing: "新年快乐", ClientIP: "203.0.113.7", ActName: "新年红包", Remark: "分享给朋友",
	}
	// The first attempt is answered PROCESSING: the outcome is open.
	srv.Fail("/mmpaymkttransfers/sendredpack", wxpaytest.Fault{ErrCode: "PROCESSING"})
	_, err := client.SendRedPack(ctx, req)
	var pending *wxpay.RedPackPendingError
	var werr *wxpay.Error
	if errors.As(err, &pending) && errors.As(err, &werr) {
		fmt.Println("pending:", werr.ErrCode)
	}
	// The query settles it: WeChat has no such packet, so the very same
	// request (same MchBillNo) is sent again; repeating it is safe.
	if _, err := client.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: req.MchBillNo}); errors.As(err, &werr) {
		fmt.Println("query:", werr.ErrCode)
	}
	for range 2 {
		resp, err := client.SendRedPack(ctx, req)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("sent", resp.MchBillNo, resp.TotalAmount)
	}

	srv.SetRedPackStatus(req.MchBillNo, wxpay.RedPackReceived)
	info, err := client.RedPackInfo(ctx, &wxpay.RedPackInfoRequest{MchBillNo: req.MchBillNo})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Status, info.HBType, len(info.HBList), info.HBList[0].Amount)
	// Output:
	// pending: PROCESSING
	// query: NOT_FOUND
	// sent 1900000109202501010000000001 888
	// sent 1900000109202501010000000001 888
	// RECEIVED NORMAL 1 888
}
