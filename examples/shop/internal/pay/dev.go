package pay

import (
	"fmt"
	"time"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// Development credentials of the in-process WeChat Pay server.
const (
	DevAppID = "wx0000000000000dev"
	DevMchID = "1900000109"
	// DevAPIKey is the in-process server's API key: public, like the
	// rest of development mode.
	DevAPIKey = "shopdevshopdevshopdevshopdev0000"
)

// Dev is an in-process wxpaytest server and a client of it: the shop's
// WeChat Pay when no credentials are configured.
type Dev struct {
	*WeChat
	Server *wxpaytest.Server
}

// NewDev starts the in-process server. Its notifies go to publicURL.
func NewDev(publicURL string, opts ...wxpaytest.Option) (*Dev, error) {
	return NewDevClient(publicURL, 0, nil, opts...)
}

// NewDevClient is NewDev with the SDK client built as for real WeChat
// Pay: each attempt of a call limited to timeout (0: none), and the
// client options given (WithRetry, WithLogger) added.
func NewDevClient(publicURL string, timeout time.Duration, clientOpts []wxpay.Option, opts ...wxpaytest.Option) (*Dev, error) {
	srv := wxpaytest.NewServer(DevAppID, DevMchID, DevAPIKey, opts...)
	certPEM, keyPEM := srv.MerchantCertPEM()
	hc := *srv.Client()
	hc.Timeout = timeout
	c, err := wxpay.NewClient(DevAppID, DevMchID, DevAPIKey, append([]wxpay.Option{
		wxpay.WithBaseURL(srv.URL),
		wxpay.WithHTTPClient(&hc),
		wxpay.WithCertPEM(certPEM, keyPEM)}, clientOpts...)...)
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("pay: dev client: %w", err)
	}
	return &Dev{WeChat: NewWeChat(c, publicURL), Server: srv}, nil
}

// Confirm plays the buyer confirming the payment outTradeNo in WeChat:
// the server marks it paid and posts the notify, as WeChat would.
func (d *Dev) Confirm(outTradeNo string) error { return d.Server.Pay(outTradeNo) }

// ConfirmWithoutNotify plays a payment whose notify is lost: the server
// marks it paid and sends nothing. The shop learns of it by asking
// (its reconciliation loop).
func (d *Dev) ConfirmWithoutNotify(outTradeNo string) error {
	return d.Server.PayWith(outTradeNo, wxpaytest.Payment{SkipNotify: true})
}

// Close stops the server.
func (d *Dev) Close() { d.Server.Close() }
