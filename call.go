package wxpay

import (
	"context"
	"fmt"
	"strings"

	"github.com/wxpay-go/wxpay/internal/wire"
)

// CallOptions says how an endpoint that has no typed method differs from the usual one.
type CallOptions struct {
	Cert             bool     // present the merchant client certificate
	SignType         SignType // "" = the client's sign type
	AppIDField       string   // "" = "appid"; "-" = send none
	MchIDField       string   // "" = "mch_id"; "-" = send none
	NoSignType       bool     // do not send sign_type (red packets)
	UnsignedResponse bool     // the endpoint answers without a sign
	Idempotent       bool     // WithRetry may resend it
}

// Call signs req and POSTs it to path, for a v2 endpoint this package has
// no typed method for. It adds the app and merchant ids (under the field
// names o gives), the sub-merchant fields in service-provider mode,
// nonce_str, sign_type (unless o.NoSignType) and sign, and sends the
// request through the same pipeline as every typed call: sandbox prefix,
// failover and retries (only when o.Idempotent), redacted logging,
// bounded reads, no redirects.
//
// The answer gets the same checks as a typed call's: return_code FAIL is
// an *Error; the sign is verified (a missing or wrong one wraps
// ErrInvalidSign) unless o.UnsignedResponse, in which case a sign that is
// present is still verified; the merchant is checked when the answer names
// one; result_code FAIL is an *Error with the verified answer in Raw.
// The answer is returned whole, fields as WeChat sent them.
//
// path is the endpoint's path under the base URL, such as
// "/pay/profitsharingquery". req is not modified; a field the pipeline
// adds may not be in it.
func (c *Client) Call(ctx context.Context, path string, req Params, o CallOptions) (Params, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") || strings.Contains(path, "//") {
		return nil, &ValidationError{Field: "path", Reason: fmt.Sprintf("%q is not an API path such as /pay/orderquery", path)}
	}
	if o.SignType != "" && !o.SignType.Valid() {
		return nil, fmt.Errorf("wxpay: Call: %w: %q", ErrUnknownSignType, string(o.SignType))
	}
	ep := endpoint{
		path: path, cert: o.Cert, signType: o.SignType,
		appIDField: o.AppIDField, mchIDField: o.MchIDField,
		noSignType: o.NoSignType, unsigned: o.UnsignedResponse, idempotent: o.Idempotent,
	}
	if o.NoSignType && o.SignType == SignTypeHMACSHA256 {
		return nil, &ValidationError{Field: "sign_type", Reason: "HMAC-SHA256 must be sent as sign_type; NoSignType means MD5"}
	}
	fields := make([]wire.Field, 0, len(req))
	for k, v := range req {
		fields = append(fields, wire.Field{Name: k, Value: v})
	}
	return c.call(ctx, ep, fields)
}
