package wxpay

// RefundStatus is the state of one refund.
type RefundStatus string

// The refund states of refund query and the refund notify.
const (
	RefundStatusSuccess    RefundStatus = "SUCCESS"
	RefundStatusProcessing RefundStatus = "PROCESSING"
	RefundStatusChange     RefundStatus = "CHANGE" // failed abnormally: the money needs a manual transfer
	RefundStatusClosed     RefundStatus = "REFUNDCLOSE"
)
