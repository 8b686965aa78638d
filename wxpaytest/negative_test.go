package wxpaytest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// TestNegativeTests runs each sandbox failure case end to end with the
// SDK: wxpay.NegativeTest sends the header, the server plays the case on
// micropay and the order queries.
func TestNegativeTests(t *testing.T) {
	tests := []struct {
		name       string
		payCode    string           // micropay's err_code; "" for no answer at all
		queryState wxpay.TradeState // the order query without the header
		queryHangs bool             // the order query with the header gets no answer
	}{
		{"MICROPAY_USERPAYING", "USERPAYING", wxpay.TradeStateUserPaying, false},
		{"MICROPAY_TIMEOUT", "", wxpay.TradeStateSuccess, false},
		{"MICROPAY_PAYERROR", "", wxpay.TradeStatePayError, false},
		{"MICROPAY_PAY_QUERY_TIMEOUT", "", wxpay.TradeStateUserPaying, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, wxpaytest.WithSandbox())
			c := newClient(t, srv, wxpay.WithSandbox(wxpay.SandboxXDC), withCert(srv))
			ctx := wxpay.NegativeTest(context.Background(), tt.name)
			no := "neg00" + string(rune('1'+i))
			_, err := c.MicroPay(ctx, &wxpay.MicroPayRequest{Body: "b", OutTradeNo: no, TotalFee: 1, SpbillCreateIP: "10.0.0.8", AuthCode: "134567890123456789"})
			var we *wxpay.Error
			switch {
			case tt.payCode != "" && (!errors.As(err, &we) || we.ErrCode != tt.payCode):
				t.Fatalf("micropay: %v, want %s", err, tt.payCode)
			case tt.payCode == "" && (err == nil || errors.As(err, &we)):
				t.Fatalf("micropay answered: %v", err)
			}
			_, err = c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: no})
			if tt.queryHangs != (err != nil && !errors.As(err, &we)) {
				t.Errorf("order query with the header: %v", err)
			}
			q, err := c.OrderQuery(context.Background(), &wxpay.OrderQueryRequest{OutTradeNo: no})
			if err != nil || q.TradeState != tt.queryState {
				t.Fatalf("order query: %+v, %v; want %s", q, err, tt.queryState)
			}
			if r := srv.Requests()[1]; r.Path != "/xdc/apiv2sandbox/pay/micropay" {
				t.Errorf("request %s", r.Path)
			}
		})
	}
}

// TestNegativeTestRefusals checks that an unknown case is refused in
// sandbox mode and that the header means nothing outside it.
func TestNegativeTestRefusals(t *testing.T) {
	srv := newServer(t, wxpaytest.WithSandbox())
	c := newClient(t, srv, wxpay.WithSandbox(wxpay.SandboxXDC))
	ctx := wxpay.NegativeTest(context.Background(), "MICROPAY_NO_SUCH_CASE")
	_, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "neg100"})
	var we *wxpay.Error
	if !errors.As(err, &we) || we.ReturnCode != "FAIL" || !strings.Contains(we.ReturnMsg, "MICROPAY_NO_SUCH_CASE") || !strings.Contains(we.ReturnMsg, "MICROPAY_USERPAYING") {
		t.Errorf("unknown case: %v", err)
	}

	prod := newServer(t)
	q := signed(wxpay.Params{"body": "b", "out_trade_no": "neg200", "total_fee": "1", "spbill_create_ip": "10.0.0.8", "auth_code": "134567890123456789"}, wxpay.SignTypeMD5)
	req, _ := http.NewRequest(http.MethodPost, prod.URL+"/pay/micropay", strings.NewReader(string(q.AppendXML(nil))))
	req.Header.Set(wxpaytest.NegativeTestHeader, "MICROPAY_USERPAYING")
	resp, err := prod.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if r := prod.Requests()[0]; r.ResponseParams["result_code"] != "SUCCESS" {
		t.Errorf("production server played the case: %v", r.ResponseParams)
	}
}
