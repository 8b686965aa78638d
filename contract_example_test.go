package wxpay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// Recurring deduction end to end: the payer signs a contract through the
// Official Account link, the contract notify brings its contract_id, the
// merchant deducts, the deduction's payment notify arrives, and the
// merchant terminates the contract.
func Example_recurringDeduction() {
	const appID, mchID, key = "wxd930ea5d5a258f4f", "10000100", "192006250b4c09247ec02edce69f6a2d"
	srv := wxpaytest.NewServer(appID, mchID, key)
	defer srv.Close()
	c, err := wxpay.NewClient(appID, mchID, key, wxpay.WithBaseURL(srv.URL), wxpay.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}

	contracts := make(chan *wxpay.ContractNotify, 2)
	payments := make(chan *wxpay.PayNotify, 1)
	mux := http.NewServeMux()
	mux.Handle("/wxpay/contract", c.ContractNotifyHandler(func(_ context.Context, n *wxpay.ContractNotify) error {
		contracts <- n // look the contract up by ContractCode, store ContractID, idempotently
		return nil
	}))
	mux.Handle("/wxpay/paid", c.PayNotifyHandler(func(_ context.Context, n *wxpay.PayNotify) error {
		payments <- n
		return nil
	}))
	backend := httptest.NewServer(mux)
	defer backend.Close()

	link, err := c.ContractEntrustWebURL(&wxpay.EntrustRequest{
		PlanID: "12535", ContractCode: "member1001", RequestSerial: 1001,
		ContractDisplayAccount: "会员 1001", NotifyURL: backend.URL + "/wxpay/contract",
	})
	if err != nil {
		panic(err)
	}
	// A page in WeChat sends the payer to link; here the test plays the payer.
	if _, err := srv.SignContract(link); err != nil {
		panic(err)
	}
	signed := <-contracts
	fmt.Println("contract:", signed.ChangeType, signed.ContractCode)

	ctx := context.Background()
	_, err = c.PapPayApply(ctx, &wxpay.PapPayApplyRequest{
		ContractID: signed.ContractID, Body: "会员月费", OutTradeNo: "fee202405m1001", TotalFee: 1500,
		SpbillCreateIP: "203.0.113.7", NotifyURL: backend.URL + "/wxpay/paid",
	})
	if err != nil {
		panic(err)
	}
	paid := <-payments
	fmt.Println("deducted:", paid.OutTradeNo, paid.TotalFee, paid.TradeType, paid.ContractID == signed.ContractID)

	if _, err := c.DeleteContract(ctx, &wxpay.DeleteContractRequest{
		ContractRef:               wxpay.ContractRef{ContractID: signed.ContractID},
		ContractTerminationRemark: "会员退订",
	}); err != nil {
		panic(err)
	}
	ended := <-contracts
	fmt.Println("contract:", ended.ChangeType, ended.TerminationMode == wxpay.TerminationByAPI)

	q, err := c.QueryContract(ctx, &wxpay.QueryContractRequest{ContractRef: wxpay.ContractRef{PlanID: "12535", ContractCode: "member1001"}})
	if err != nil {
		panic(err)
	}
	fmt.Println("state:", q.State == wxpay.ContractTerminated, q.TerminationRemark)
	// Output:
	// contract: ADD member1001
	// deducted: fee202405m1001 1500 PAP true
	// contract: DELETE true
	// state: true 会员退订
}
