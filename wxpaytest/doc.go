// Package wxpaytest is an in-process WeChat Pay v2 server for integration
// tests: a fake api.mch.weixin.qq.com that behaves like the real one, so a
// merchant backend can be tested end to end, payment notify and refund
// certificate included, without a merchant account.
//
// A Server serves the real paths over HTTPS with its own certificate
// authority:
//
//	POST /pay/unifiedorder
//	POST /pay/orderquery
//	POST /pay/closeorder
//	POST /secapi/pay/refund        (merchant client certificate required)
//	POST /pay/refundquery
//	POST /pay/downloadbill
//	POST /pay/downloadfundflow     (client certificate, HMAC-SHA256 only)
//	POST /pay/micropay
//	POST /secapi/pay/reverse       (client certificate)
//	POST /tools/authcodetoopenid
//	POST /secapi/pay/profitsharing, /secapi/pay/multiprofitsharing  (certificate, HMAC-SHA256)
//	POST /pay/profitsharingquery, /pay/profitsharingorderamountquery (HMAC-SHA256, no appid)
//	POST /pay/profitsharingaddreceiver, /pay/profitsharingremovereceiver
//	POST /secapi/pay/profitsharingfinish (certificate, no sub_appid)
//	POST /secapi/pay/profitsharingreturn, /pay/profitsharingreturnquery
//	POST /pay/profitsharingmerchantratioquery (service providers)
//	POST /mmpaymkttransfers/sendredpack, sendgroupredpack, sendminiprogramhb, gethbinfo
//	     (certificate, MD5 without sign_type, unsigned answers)
//	POST /tools/shorturl
//	POST /papay/preentrustweb, /pay/contractorder, /pay/pappayapply,
//	     /papay/querycontract, /papay/deletecontract, /pay/paporderquery
//	     (and the service provider's /papay/partner/..., /pay/partner/pappayapply)
//	GET  /papay/h5entrustweb, /papay/partner/h5entrustweb
//	POST /mmpaymkttransfers/send_coupon (certificate), query_coupon_stock, querycouponsinfo
//	POST /cgi-bin/mch/customs/customdeclareorder, customdeclarequery,
//	     /cgi-bin/mch/newcustoms/customdeclareredeclare (MD5 only, no nonce_str)
//	POST /mmpaymkttransfers/promotion/transfers, /mmpaymkttransfers/gettransferinfo,
//	     /mmpaysptrans/pay_bank, /mmpaysptrans/query_bank
//	     (certificate, MD5 without sign_type), /risk/getpublickey (certificate)
//	POST /payitil/report, /billcommentsp/batchquerycomment (certificate, HMAC-SHA256 only)
//
// and behaves as WeChat does: requests must be POSTed XML for the
// server's appid and mch_id, signed with its API key (MD5, or HMAC-SHA256
// when sign_type says so); answers are signed with the request's sign
// type; orders and refunds keep state, with WeChat's error codes
// (ORDERPAID, ORDERCLOSED, OUT_TRADE_NO_USED, ORDERNOTEXIST,
// REFUND_FEE_MISMATCH, REFUNDNOTEXIST, USERPAYING, ORDERREVERSED,
// AUTHCODEEXPIRE, REVERSE_EXPIRE, …).
//
// The test drives the payer's side: Pay marks an order paid and delivers
// the signed payment notify to its notify_url, retrying on WeChat's
// schedule (compressed, see WithNotifyScale) until the merchant replies
// with the success XML; a refund succeeds at once (or when CompleteRefund
// says so, with WithManualRefunds) and its notify is delivered encrypted
// the same way. Payment codes pay at once, or as SetCodeBehavior says:
// USERPAYING until some order query or for good, SYSTEMERROR, NOTENOUGH,
// recall=Y on reversal… Fail injects faults into answers (HTTP 500,
// timeouts, SYSTEMERROR, bad signatures, broken XML), SendForgedNotify
// sends forged notifies, and Requests and Notifies record everything for
// assertions.
//
// Recurring deduction (委托代扣) keeps contracts: SignContract plays the
// payer signing through a signing link (checked as WeChat checks it) and
// posts the contract notify; TerminateContract plays the payer
// terminating; PapPayApply deducts from a signed contract at once and
// posts the payment notify.
//
// Coupons are issued from stocks AddCouponStock creates; customs
// declarations wait for SetCustomsState; payouts draw on SetPayoutBalance
// (HoldPayouts keeps them PROCESSING), and bank payouts are decrypted with
// the key getpublickey hands out (BankKeyPEM, PayBankRecord); AddComment
// feeds batchquerycomment.
//
// WithSandbox turns the server into WeChat's sandbox, under both of its
// path prefixes and with its sandbox key, playing the failure cases the
// Wechatpay-Negative-Test header names (NegativeTests); WithSubMerchants makes the
// merchant a service provider whose requests name a sub-merchant.
//
// WithMerchant adds merchants, each answered with its own key and
// certificate and seeing only its own orders; WithListener and
// WithHostnames serve on a fixed address under other names; WithStateFile
// keeps orders, refunds, notifies, profit sharing, red packets, contracts
// and certificates across restarts; and
// WithLogger logs one line per request and notify attempt, with the
// reason of every refusal. cmd/wxpaytest runs the server so as a
// long-lived process with a JSON control API, for backends in any
// language.
//
// The server is built on the public API of package wxpay only (Params,
// ParseXML, Sign, VerifySign), so it cannot share a private bug with the
// client.
//
// Profit sharing keeps each order's amount left to split and its
// receivers (UnsplitAmount); red packets keep their states
// (SetRedPackStatus, HoldRedPacks); ScanProduct plays a payer scanning a
// Native mode-1 QR code, posting the signed callback to
// WithNativeCallbackURL's URL.
//
// Where it differs from WeChat, on purpose:
//   - /secapi/ and downloadfundflow without a client certificate are
//     answered return_code FAIL; WeChat refuses the TLS handshake. Both
//     are errors for the client.
//   - A notify_url with a query string is refused; WeChat accepts it and
//     then never calls it.
//   - Orders can be closed at once (WeChat: not within 5 minutes of
//     creation), refunds follow each other without the one-minute gap,
//     payment-code orders can be reversed at once (WeChat asks for 15
//     seconds), and a day's bills can be downloaded at once, not from
//     10:00 the next day.
//   - A reversed payment-code order is in no bill and no fund flow; the
//     money is back with the payer either way.
//   - The fund flow is a model: payments in and refunds out of the basic
//     account at their settlement amount, the fees (0.6%) out of and back
//     into the fees account, nothing in the operation account.
//   - The sandbox runs every call with the ordinary rules (no test cases
//     chosen by amount), unified order included under the XDC prefix.
//   - Order and refund numbers are unique per server, not per
//     sub-merchant.
//   - The signing pages are not served: SignContract and its siblings
//     stand for the payer opening them. A deduction (pappayapply) is paid
//     at once, never left ACCEPT, and any plan_id is a plan.
//   - Error texts (return_msg, err_code_des) follow WeChat's where they
//     are known and are close approximations elsewhere; err_codes follow
//     the documentation and observed answers.
package wxpaytest
