package pay

import (
	"context"

	"github.com/wxpay-go/wxpay"
)

// closeOrder calls the SDK's CloseOrder: the one place that knows its
// signature.
func closeOrder(ctx context.Context, c *wxpay.Client, outTradeNo string) error {
	_, err := c.CloseOrder(ctx, &wxpay.CloseOrderRequest{OutTradeNo: outTradeNo})
	return err
}
