package wxpay

// TradeType is how the payer pays: the trade_type of an order.
type TradeType string

// The trade types of unified order, and MICROPAY, which appears in
// queries and bills for payment-code orders.
const (
	TradeTypeJSAPI    TradeType = "JSAPI"  // official-account web page or mini program; needs OpenID
	TradeTypeNative   TradeType = "NATIVE" // QR code; needs ProductID
	TradeTypeApp      TradeType = "APP"    // native app
	TradeTypeMWeb     TradeType = "MWEB"   // H5 in a mobile browser outside WeChat; needs SceneInfo
	TradeTypeMicroPay TradeType = "MICROPAY"
)
