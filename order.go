package wxpay

// TradeState is the payment state of an order, the trade_state of an
// order query. A query's result_code SUCCESS only means the query worked;
// the order is paid when TradeState is TradeStateSuccess.
type TradeState string

// The trade states of order query.
const (
	TradeStateSuccess    TradeState = "SUCCESS"    // paid
	TradeStateRefund     TradeState = "REFUND"     // a refund was started
	TradeStateNotPay     TradeState = "NOTPAY"     // not paid yet
	TradeStateClosed     TradeState = "CLOSED"     // closed
	TradeStateRevoked    TradeState = "REVOKED"    // reversed (payment code)
	TradeStateUserPaying TradeState = "USERPAYING" // payer entering the password (payment code)
	TradeStatePayError   TradeState = "PAYERROR"   // failed, e.g. at the bank
	TradeStateAccept     TradeState = "ACCEPT"     // accepted, awaiting debit
)
