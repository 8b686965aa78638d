package pay

import (
	"context"

	"github.com/wxpay-go/wxpay"
)

// closeOrder calls the SDK's CloseOrder. It is the one place that knows
// the SDK's signature for it, which is about to take a request struct.
func closeOrder(ctx context.Context, c *wxpay.Client, outTradeNo string) error {
	return c.CloseOrder(ctx, outTradeNo)
}
