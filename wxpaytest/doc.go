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
//	POST /secapi/pay/refund   (merchant client certificate required)
//	POST /pay/refundquery
//	POST /pay/downloadbill
//
// and behaves as WeChat does: requests must be POSTed XML for the
// server's appid and mch_id, signed with its API key (MD5, or HMAC-SHA256
// when sign_type says so); answers are signed with the request's sign
// type; orders and refunds keep state, with WeChat's error codes
// (ORDERPAID, ORDERCLOSED, OUT_TRADE_NO_USED, ORDERNOTEXIST,
// REFUND_FEE_MISMATCH, REFUNDNOTEXIST, …).
//
// The test drives the payer's side: Pay marks an order paid and delivers
// the signed payment notify to its notify_url, retrying on WeChat's
// schedule (compressed, see WithNotifyScale) until the merchant replies
// with the success XML; a refund succeeds at once (or when CompleteRefund
// says so, with WithManualRefunds) and its notify is delivered encrypted
// the same way. Fail injects faults into answers (HTTP 500, timeouts,
// SYSTEMERROR, bad signatures, broken XML), SendForgedNotify sends forged
// notifies, and Requests and Notifies record everything for assertions.
//
// The server is built on the public API of package wxpay only (Params,
// ParseXML, Sign, VerifySign), so it cannot share a private bug with the
// client.
//
// Where it differs from WeChat, on purpose:
//   - /secapi/ without a client certificate is answered return_code FAIL;
//     WeChat refuses the TLS handshake. Both are errors for the client.
//   - A notify_url with a query string is refused; WeChat accepts it and
//     then never calls it.
//   - Orders can be closed at once (WeChat: not within 5 minutes of
//     creation), refunds follow each other without the one-minute gap,
//     and a day's bill can be downloaded at once, not from 10:00 the next
//     day.
//   - Error texts (return_msg, err_code_des) follow WeChat's where they
//     are known and are close approximations elsewhere; err_codes follow
//     the documentation and observed answers.
package wxpaytest
