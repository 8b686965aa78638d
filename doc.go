// Package wxpay is a client for the WeChat Pay v2 merchant API (微信支付
// API v2: XML over HTTPS, signed with the merchant's API key, MD5 or
// HMAC-SHA256), for the backends of mini programs, official accounts,
// apps and cashiers.
//
// # A client
//
// Everything starts with [NewClient]: the app id, the merchant id, and the
// merchant platform's 32-character v2 API key (not the AppSecret, not the
// APIv3 key; a key of another length is refused, saying so).
//
//	c, err := wxpay.NewClient(appID, mchID, apiKey,
//		wxpay.WithCertFiles("apiclient_cert.pem", "apiclient_key.pem"), // refunds, reversals, fund flow
//		wxpay.WithSignType(wxpay.SignTypeHMACSHA256),                   // default MD5
//	)
//
// A [Client] is safe for concurrent use: make one per merchant and share
// it. Every call takes a [context.Context] and goes through an
// *http.Client you may give ([WithHTTPClient]); without one, each attempt
// is bounded by [DefaultTimeout]. Redirects are never followed: a signed
// request goes to the base URL and nowhere else. The merchant's client
// certificate ([WithCertPEM], [WithCertFiles], [WithCertP12]) is presented
// only to the calls that need it; for a transport it cannot be added to,
// such as a tracing wrapper, give a ready mutual-TLS client with
// [WithCertHTTPClient]. The other options: [WithRetry] and
// [WithBackupBaseURL] (retries and failover, off by default),
// [WithLogger], [WithBaseURL], [WithSandbox], [WithSubMerchant], and
// [WithNonceFunc] and [WithClock] for exact bytes in tests.
//
// # Calls by flow
//
// Pay. [Client.UnifiedOrder] creates an order and returns its prepay id.
// [Client.JSAPIPayParams] signs the object a mini program passes to
// wx.requestPayment (or an official-account page to WeixinJSBridge), and
// [Client.APPPayParams] the one a native app passes to the Open SDK.
// NATIVE orders return a code_url for a QR code, MWEB orders an mweb_url.
//
// Notify. WeChat POSTs the result to the order's notify_url.
// [Client.PayNotifyHandler] is the [net/http.Handler] for it: it verifies
// the notify, calls your function only for a paid order, and replies as
// WeChat expects. [Client.ParsePayNotify] is the same check as a function.
// Refund results come the same way, to [Client.RefundNotifyHandler] or
// [Client.ParseRefundNotify].
//
// Query and close. [Client.OrderQuery] settles what a late or lost notify
// did not; [Client.CloseOrder] ends an unpaid order.
//
// Refund. [Client.Refund] (with the client certificate) and
// [Client.RefundQuery].
//
// Bills. [Client.DownloadBill] holds a day's trade bill in memory,
// [Client.OpenBill] streams it row by row; [Client.DownloadFundFlow] and
// [Client.OpenFundFlow] do the same for the fund flow. [ParseBill],
// [NewBillReader] and [ParseFundFlow] read files downloaded by hand.
//
// Payment codes (付款码). [Client.PayByCode] charges a scanned code the way
// WeChat documents for cashiers: [Client.MicroPay], order queries while
// the payer enters a password, and [Client.Reverse] of an order left
// unpaid. [Client.AuthCodeToOpenID] names the payer of a code.
//
// Any other endpoint. [Client.Call] signs a [Params] and sends it through
// the same pipeline as the typed calls, with the same checks of the
// answer; [CallOptions] say how the endpoint departs from the usual.
//
// Sandbox. [WithSandbox] with [SandboxXDC] or [SandboxLegacy] fetches the
// sandbox key and signs with it; [NegativeTest] picks a failure case.
//
// Service providers (服务商). [WithSubMerchant] makes every call and
// notify one sub-merchant's; [Client.ForSubMerchant] derives a client for
// another sub-merchant, sharing connections.
//
// Low level. [Params], [ParseXML], [Params.AppendXML], [Sign], [VerifySign]
// and [NonceStr] are the wire format and the signing rule on their own.
//
// # Other families
//
// Profit sharing (分账), always HMAC-SHA256: [Client.ProfitSharing] and
// [Client.MultiProfitSharing] split a payment made with
// UnifiedOrderRequest.ProfitSharing "Y" among receivers added with
// [Client.ProfitSharingAddReceiver]; [Client.ProfitSharingQuery],
// [Client.ProfitSharingReturn], [Client.ProfitSharingFinish] and the
// amount and ratio queries follow it.
//
// Red packets (现金红包): [Client.SendRedPack], [Client.SendGroupRedPack],
// [Client.SendMiniProgramRedPack] and [Client.RedPackInfo]. An outcome
// that is not certain is a [RedPackPendingError]: query, and never resend
// under a new mch_billno.
//
// Native mode 1 (扫码支付模式一): [Client.NativeModeOneURL] signs a
// product's fixed QR code link, [Client.ShortURL] shortens it, and
// [Client.NativeCallbackHandler] answers WeChat's callback when a payer
// scans it.
//
// Recurring deduction (委托代扣): the payer signs a contract through
// [Client.ContractEntrustWebURL] (or the H5, mini-program and APP
// variants, or [Client.ContractOrder] while paying); the signed contract
// notify reaches [Client.ContractNotifyHandler]; [Client.PapPayApply]
// deducts, with the result as a payment notify; [Client.QueryContract],
// [Client.DeleteContract] and [Client.PapOrderQuery] follow.
//
// Coupons (代金券): [Client.SendCoupon], [Client.CouponStockQuery],
// [Client.CouponQuery]; a send whose outcome is open is a
// [CouponPendingError]. Customs (海关): [Client.CustomsDeclare],
// [Client.CustomsDeclareQuery], [Client.CustomsRedeclare]. Legacy
// payouts (企业付款, closed to new merchants): [Client.Transfer],
// [Client.TransferInfo], [Client.PayBank] with [EncryptBankField] and
// [Client.RSAPublicKey], [Client.PayBankQuery]; an open outcome is a
// [TransferPendingError]: query, never resend under a new
// partner_trade_no. Utility: [Client.Report] (交易保障) and
// [Client.BatchQueryComment].
//
// Endpoints that have no typed method here are reached with
// [Client.Call], whose [CallOptions] cover their quirks: other names for
// the merchant fields, a fixed sign type, no sign_type at all, an
// unsigned answer.
//
// # Rules
//
// Money is int64 fen everywhere, never a float: TotalFee: 4800 is 48.00
// CNY. [ParseYuan] and [FormatYuan] convert from and to the yuan that
// bills and people write, exactly; a bill's service fees keep their five
// decimals as [MilliFen].
//
// Times are [time.Time] in Beijing time, the fixed UTC+8 zone [Beijing]
// returns: times this package returns are in it, and times it is given
// may be in any zone and are converted.
//
// Nothing is trusted before it is verified. Of an answer, only
// return_code and return_msg are read before its sign is verified (in
// constant time) and its appid and mch_id (and sub-merchant) are found to
// be the client's; a notify gets the same checks, and a refund notify must
// decrypt under the API key. A request that fails validation is a
// [*ValidationError], and nothing is sent.
//
// Notifies. PayNotifyHandler calls your function only for a verified
// notify of a paid order: a verified result_code FAIL notify is
// acknowledged without calling it (pass [OnPaymentFailed] to see those).
// Every notify it refuses (bad sign, another merchant, malformed,
// oversized, an error from your function) is logged with its reason to
// the [WithLogger] logger, or else [log/slog.Default], so that a wrong key
// shows in the logs and not only as orders that never get paid. WeChat
// delivers a notify more than once: your function must be idempotent by
// order number and compare the amount with the order's.
//
// # Errors
//
// Every error can be told apart with [errors.Is] and [errors.As]:
//
//   - [*Error]: WeChat answered. return_code FAIL means the request was
//     not accepted (ReturnMsg says why); result_code FAIL, from a verified
//     answer, means the operation failed (ErrCode, ErrCodeDes; compare
//     with the ErrCode constants, such as [ErrCodeOrderPaid]).
//     [Error.Resend] reports that WeChat asks for the very same request
//     again (SYSTEMERROR and the like; [WithRetry] does so for the calls
//     safe to repeat, never for MicroPay, whose SYSTEMERROR is settled by
//     querying); [Error.OutcomeUnknown] that the operation may or may not
//     have happened (USERPAYING, BANKERROR), so query before anything
//     else. [ErrSignRefused] matches WeChat's 签名错误: the key, the sign type
//     or the sandbox key is not WeChat's, and the command `wxpay verify`
//     shows which.
//   - [*ValidationError]: the request was refused before anything was sent.
//   - [*HTTPError]: an answer that is no v2 message: a status other than
//     200, a gateway's HTML page, a redirect.
//   - [ErrInvalidSign], [ErrMerchantMismatch], [ErrMalformedXML],
//     [ErrBodyTooLarge], [*FieldError]: an answer or notify that cannot be
//     trusted. WeChat may have processed the request all the same: query,
//     or send the same idempotent request again.
//   - [ErrNoCertificate], [ErrNoClient]: a client that cannot make the
//     call; nothing was sent.
//   - [*CodePayError] from PayByCode, [ErrNoBill] and [ErrBillNotReady]
//     from the bills, [ErrDecrypt] from the refund notify.
//
// # Testing and tools
//
// Package [github.com/wxpay-go/wxpay/wxpaytest] is a WeChat Pay v2 server
// that runs inside a test: HTTPS with its own certificate authority, the
// real paths, real signatures, order and refund state, notifies delivered
// to your handlers with WeChat's retries, and faults on demand. Point a
// client at it with WithBaseURL(srv.URL) and WithHTTPClient(srv.Client());
// the examples of this package run on it.
//
// The command github.com/wxpay-go/wxpay/cmd/wxpay signs, verifies and
// decrypts messages and totals bills: `wxpay verify` names the likely
// mistake when a signature fails. The command
// github.com/wxpay-go/wxpay/cmd/wxpaytest runs the fake server as a
// process of its own, with a control API, for backends not written in Go.
package wxpay
