package wxpay_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay"
)

func TestRefund(t *testing.T) {
	runCalls(t, "/secapi/pay/refund", (*wxpay.Client).Refund, []callCase[*wxpay.RefundRequest, wxpay.RefundResponse]{
		{
			name: "accepted, with a coupon; both ids: transaction_id is sent",
			cert: true,
			opts: []wxpay.Option{wxpay.WithSignType(wxpay.SignTypeHMACSHA256)},
			req: &wxpay.RefundRequest{
				TransactionID: "4200000123201508061234567890",
				OutTradeNo:    "20150806125346",
				OutRefundNo:   "R20150806125346-1",
				TotalFee:      888,
				RefundFee:     300,
				RefundFeeType: "CNY",
				RefundDesc:    "商品已售完 & 退款",
				RefundAccount: wxpay.RefundAccountRecharge,
				NotifyURL:     "https://example.com/wxpay/refund",
			},
			answer: fixture(t, "refund/refund_ok.xml"),
			golden: "refund/refund.golden.xml",
			want: &wxpay.RefundResponse{
				TransactionID:       "4200000123201508061234567890",
				OutTradeNo:          "20150806125346",
				OutRefundNo:         "R20150806125346-1",
				RefundID:            "50000000382015080601234567890",
				RefundFee:           300,
				SettlementRefundFee: 200,
				TotalFee:            888,
				SettlementTotalFee:  788,
				FeeType:             "CNY",
				CashFee:             688,
				CashFeeType:         "CNY",
				CashRefundFee:       200,
				CouponRefundFee:     100,
				CouponRefunds:       []wxpay.CouponRefund{{Type: "NO_CASH", ID: "10000001", Fee: 100}},
			},
		},
		{
			name:   "only the required fields",
			cert:   true,
			req:    refundRequest,
			answer: fixture(t, "refund/refund_ok.xml"),
			golden: "refund/refund_minimal.golden.xml",
			want: &wxpay.RefundResponse{
				TransactionID: "4200000123201508061234567890", OutTradeNo: "20150806125346",
				OutRefundNo: "R20150806125346-1", RefundID: "50000000382015080601234567890",
				RefundFee: 300, SettlementRefundFee: 200, TotalFee: 888, SettlementTotalFee: 788,
				FeeType: "CNY", CashFee: 688, CashFeeType: "CNY", CashRefundFee: 200, CouponRefundFee: 100,
				CouponRefunds: []wxpay.CouponRefund{{Type: "NO_CASH", ID: "10000001", Fee: 100}},
			},
		},
		{
			name: "coupons without a count are read up to the first gap",
			cert: true,
			req:  refundRequest,
			answer: fixture(t, "refund/refund_ok.xml",
				"<coupon_refund_count>1</coupon_refund_count>", "<coupon_refund_id_1>10000002</coupon_refund_id_1><coupon_refund_fee_1>0</coupon_refund_fee_1><coupon_refund_id_3>10000004</coupon_refund_id_3>"),
			want: &wxpay.RefundResponse{
				TransactionID: "4200000123201508061234567890", OutTradeNo: "20150806125346",
				OutRefundNo: "R20150806125346-1", RefundID: "50000000382015080601234567890",
				RefundFee: 300, SettlementRefundFee: 200, TotalFee: 888, SettlementTotalFee: 788,
				FeeType: "CNY", CashFee: 688, CashFeeType: "CNY", CashRefundFee: 200, CouponRefundFee: 100,
				CouponRefunds: []wxpay.CouponRefund{{Type: "NO_CASH", ID: "10000001", Fee: 100}, {ID: "10000002"}},
			},
		},
		{
			name:   "SYSTEMERROR: retry with the same out_refund_no",
			cert:   true,
			req:    refundRequest,
			answer: fixture(t, "refund/refund_systemerror.xml"),
			check: func(t *testing.T, err error) {
				wantError(t, err, &wxpay.Error{ReturnCode: "SUCCESS", ReturnMsg: "OK", ResultCode: "FAIL", ErrCode: "SYSTEMERROR", ErrCodeDes: "系统超时"}, true)
			},
		},
		{
			name:   "coupon refund fee that is not whole fen",
			cert:   true,
			req:    refundRequest,
			answer: fixture(t, "refund/refund_ok.xml", "<coupon_refund_fee_0>100<", "<coupon_refund_fee_0>1e2<"),
			check:  wantFieldError("coupon_refund_fee_0"),
		},
		{
			name:    "no certificate",
			req:     refundRequest,
			answer:  fixture(t, "refund/refund_ok.xml"),
			check:   wantIs(wxpay.ErrNoCertificate),
			offline: true,
		},
	})
}

func TestRefundQuery(t *testing.T) {
	runCalls(t, "/pay/refundquery", (*wxpay.Client).RefundQuery, []callCase[*wxpay.RefundQueryRequest, wxpay.RefundQueryResponse]{
		{
			name: "several refunds, nested coupons, gaps; out_refund_no wins over out_trade_no",
			req:  &wxpay.RefundQueryRequest{OutTradeNo: "20150806125346", OutRefundNo: "R20150806125346-1"},
			// refund 1 is missing; refund 0 has a coupon without a type;
			// refund 2 has a count of 2 but only coupon 1.
			answer: fixture(t, "refund/refundquery_several.xml"),
			golden: "refund/refundquery_out_refund_no.golden.xml",
			want: &wxpay.RefundQueryResponse{
				TransactionID:      "4200000123201508061234567890",
				OutTradeNo:         "20150806125346",
				TotalFee:           888,
				SettlementTotalFee: 788,
				FeeType:            "CNY",
				CashFee:            688,
				Refunds: []wxpay.RefundInfo{
					{
						OutRefundNo:         "R20150806125346-3",
						RefundID:            "50000000382015080601234567892",
						RefundChannel:       "ORIGINAL",
						RefundFee:           300,
						SettlementRefundFee: 240,
						CouponRefundFee:     100,
						CouponRefunds: []wxpay.CouponRefund{
							{Type: "NO_CASH", ID: "10000001", Fee: 60},
							{ID: "10000002", Fee: 40},
						},
						RefundStatus:      wxpay.RefundStatusProcessing,
						RefundAccount:     wxpay.RefundAccountUnsettled,
						RefundRecvAccount: "招商银行信用卡0403",
					},
					{
						OutRefundNo:         "R20150806125346-1",
						RefundID:            "50000000382015080601234567890",
						RefundChannel:       "BALANCE",
						RefundFee:           150,
						SettlementRefundFee: 150,
						CouponRefundFee:     50,
						CouponRefunds:       []wxpay.CouponRefund{{Type: "CASH", ID: "10000003", Fee: 50}},
						RefundStatus:        wxpay.RefundStatusSuccess,
						RefundAccount:       wxpay.RefundAccountRecharge,
						RefundRecvAccount:   "支付用户零钱",
						RefundSuccessTime:   time.Date(2015, 8, 6, 13, 5, 11, 0, wxpay.Beijing()),
					},
				},
			},
		},
		{
			name:   "second page of an order with 12 refunds",
			req:    &wxpay.RefundQueryRequest{OutTradeNo: "20150806125346", TransactionID: "4200000123201508061234567890", Offset: 10},
			answer: fixture(t, "refund/refundquery_page.xml"),
			golden: "refund/refundquery_offset.golden.xml",
			want: &wxpay.RefundQueryResponse{
				TransactionID:    "4200000123201508061234567890",
				OutTradeNo:       "20150806125346",
				TotalFee:         10000,
				CashFee:          10000,
				TotalRefundCount: 12,
				Refunds: []wxpay.RefundInfo{
					{
						OutRefundNo: "R-11", RefundID: "50000000382015080601234567911", RefundFee: 100,
						RefundStatus: wxpay.RefundStatusSuccess, RefundSuccessTime: time.Date(2015, 9, 1, 10, 0, 0, 0, wxpay.Beijing()),
					},
					{OutRefundNo: "R-10", RefundID: "50000000382015080601234567910", RefundFee: 100, RefundStatus: wxpay.RefundStatusClosed},
				},
			},
		},
		{
			name:   "all four ids: refund_id wins",
			req:    &wxpay.RefundQueryRequest{RefundID: "50000000382015080601234567890", OutRefundNo: "R-1", TransactionID: "4200000123201508061234567890", OutTradeNo: "20150806125346"},
			answer: fixture(t, "refund/refundquery_page.xml", "<refund_count>2</refund_count>", "<refund_count>0</refund_count>", "<total_refund_count>12</total_refund_count>", ""),
			golden: "refund/refundquery_refund_id.golden.xml",
			want: &wxpay.RefundQueryResponse{
				TransactionID: "4200000123201508061234567890", OutTradeNo: "20150806125346", TotalFee: 10000, CashFee: 10000,
			},
		},
		{
			name:   "nested coupon fee that is not whole fen",
			req:    &wxpay.RefundQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "refund/refundquery_several.xml", "<![CDATA[40]]>", "<![CDATA[4 0]]>"),
			check:  wantFieldError("coupon_refund_fee_0_1"),
		},
		{
			name:   "refund_success_time in the wrong layout",
			req:    &wxpay.RefundQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "refund/refundquery_several.xml", "2015-08-06 13:05:11", "20150806130511"),
			check:  wantFieldError("refund_success_time_2"),
		},
		{
			name:   "refund_count that is not a number",
			req:    &wxpay.RefundQueryRequest{OutTradeNo: "20150806125346"},
			answer: fixture(t, "refund/refundquery_several.xml", "<refund_count>3<", "<refund_count>three<"),
			check:  wantFieldError("refund_count"),
		},
		{
			name:   "REFUNDNOTEXIST",
			req:    &wxpay.RefundQueryRequest{OutRefundNo: "R-404"},
			answer: fixture(t, "order/orderquery_notexist.xml", "ORDERNOTEXIST", "REFUNDNOTEXIST", "order not exist", "not exist"),
			check: func(t *testing.T, err error) {
				wantError(t, err, &wxpay.Error{ReturnCode: "SUCCESS", ReturnMsg: "OK", ResultCode: "FAIL", ErrCode: "REFUNDNOTEXIST", ErrCodeDes: "not exist"}, false)
			},
		},
	})
}

func ExampleClient_Refund() {
	// A stand-in for api.mch.weixin.qq.com that, like WeChat, demands the
	// merchant's client certificate on /secapi/ paths.
	stub, stop := stubWeChat(allReplies, tls.RequireAndVerifyClientCert)
	defer stop()
	// apiclient_cert.pem and apiclient_key.pem from the merchant platform.
	certPEM, keyPEM := testPKI().merchant.certPEM, testPKI().merchant.keyPEM

	client, err := wxpay.NewClient("wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d",
		append(stub, // the stand-in's URL and CA: leave out in production
			wxpay.WithCertPEM(certPEM, keyPEM), // or WithCertFiles, or WithCertP12(p12, "10000100")
		)...,
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	resp, err := client.Refund(context.Background(), &wxpay.RefundRequest{
		OutTradeNo:  "20150806125346",
		OutRefundNo: "R20150806125346-1", // keep it: a retry must reuse it
		TotalFee:    888,
		RefundFee:   300,
		RefundDesc:  "退货",
	})
	var werr *wxpay.Error
	switch {
	case errors.As(err, &werr) && werr.Retryable():
		fmt.Println("send the same refund again later:", err)
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	fmt.Printf("refund %s accepted: %d fen, %d in cash\n", resp.RefundID, resp.RefundFee, resp.CashRefundFee)
	// Output: refund 50000000382015080601234567890 accepted: 300 fen, 200 in cash
}

func ExampleClient_RefundQuery() {
	client, stop := exampleClient(allReplies) // a client of a stand-in for WeChat, made as in ExampleClient_Refund
	defer stop()

	resp, err := client.RefundQuery(context.Background(), &wxpay.RefundQueryRequest{OutTradeNo: "20150806125346"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range resp.Refunds { // the newest first
		switch r.RefundStatus {
		case wxpay.RefundStatusSuccess:
			fmt.Printf("%s: %d fen to %s at %s\n", r.OutRefundNo, r.RefundFee, r.RefundRecvAccount, r.RefundSuccessTime.Format(time.DateTime))
		case wxpay.RefundStatusProcessing:
			fmt.Printf("%s: %d fen on the way\n", r.OutRefundNo, r.RefundFee)
		default: // REFUNDCLOSE, CHANGE: needs a person in the merchant platform
			fmt.Printf("%s: %s\n", r.OutRefundNo, r.RefundStatus)
		}
	}
	// Output:
	// R20150806125346-3: 300 fen on the way
	// R20150806125346-1: 150 fen to 支付用户零钱 at 2015-08-06 13:05:11
}
