package pay

import (
	"fmt"

	"github.com/wxpay-go/wxpay"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// Development credentials of the in-process WeChat Pay server.
const (
	DevAppID  = "wx0000000000000dev"
	DevMchID  = "1900000109"
	devAPIKey = "shopdevshopdevshopdevshopdev0000"
)

// Dev is an in-process wxpaytest server and a client of it: the shop's
// WeChat Pay when no credentials are configured.
type Dev struct {
	*WeChat
	Server *wxpaytest.Server
}

// NewDev starts the in-process server. Its notifies go to publicURL.
func NewDev(publicURL string, opts ...wxpaytest.Option) (*Dev, error) {
	srv := wxpaytest.NewServer(DevAppID, DevMchID, devAPIKey, opts...)
	certPEM, keyPEM := srv.MerchantCertPEM()
	c, err := wxpay.NewClient(DevAppID, DevMchID, devAPIKey,
		wxpay.WithBaseURL(srv.URL),
		wxpay.WithHTTPClient(srv.Client()),
		wxpay.WithCertPEM(certPEM, keyPEM))
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("pay: dev client: %w", err)
	}
	return &Dev{WeChat: NewWeChat(c, publicURL), Server: srv}, nil
}

// Confirm plays the buyer confirming the payment outTradeNo in WeChat:
// the server marks it paid and posts the notify, as WeChat would.
func (d *Dev) Confirm(outTradeNo string) error { return d.Server.Pay(outTradeNo) }

// Close stops the server.
func (d *Dev) Close() { d.Server.Close() }
