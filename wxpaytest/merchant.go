package wxpaytest

import (
	"bytes"
	"maps"
	"slices"

	"github.com/wxpay-go/wxpay"
)

// merchant is one merchant the server serves: its credentials and, when
// it is a service provider, its sub-merchants.
type merchant struct {
	appID, mchID, apiKey string
	subs                 map[string]map[string]bool // sub_mch_id → its sub_appids; nil: not a service provider
}

// merchantConfig is a WithMerchant.
type merchantConfig struct {
	appID, mchID, apiKey string
	subs                 []SubMerchant
}

// WithMerchant adds a merchant to those the server serves, besides the
// one of NewServer: requests are answered for the merchant their mch_id
// names, with its appid, API key and certificate, and each merchant sees
// only its own orders and refunds. With subs, the merchant is a service
// provider with these sub-merchants, as WithSubMerchants makes the first
// one. Order and refund numbers stay unique per server, across merchants,
// so that the test controls can name an order by its out_trade_no alone.
// An mch_id given twice keeps the first merchant of that id.
func WithMerchant(appID, mchID, apiKey string, subs ...SubMerchant) Option {
	return func(c *config) {
		c.merchants = append(c.merchants, merchantConfig{appID, mchID, apiKey, slices.Clone(subs)})
	}
}

// addSubs adds sub-merchants to a service provider's map.
func addSubs(m map[string]map[string]bool, subs []SubMerchant) map[string]map[string]bool {
	if m == nil {
		m = map[string]map[string]bool{}
	}
	for _, sm := range subs {
		apps := m[sm.MchID]
		if apps == nil {
			apps = map[string]bool{}
			m[sm.MchID] = apps
		}
		for _, a := range sm.AppIDs {
			apps[a] = true
		}
	}
	return m
}

// Merchant describes one merchant a server serves, as Merchants lists
// them.
type Merchant struct {
	AppID, MchID, APIKey string
	SubMerchants         []SubMerchant // nil unless it is a service provider

	// CertPEM and KeyPEM are its client certificate and key, the
	// apiclient_cert.pem and apiclient_key.pem of the merchant platform,
	// which the server trusts on /secapi/ paths.
	CertPEM, KeyPEM []byte
}

// Merchants lists the merchants the server serves: NewServer's first,
// then those of WithMerchant in the order given.
func (s *Server) Merchants() []Merchant {
	out := make([]Merchant, 0, len(s.mchList))
	for _, m := range s.mchList {
		kp := s.pki.clients[m.mchID]
		mm := Merchant{AppID: m.appID, MchID: m.mchID, APIKey: m.apiKey, CertPEM: bytes.Clone(kp.Cert), KeyPEM: bytes.Clone(kp.Key)}
		for _, sub := range slices.Sorted(maps.Keys(m.subs)) {
			mm.SubMerchants = append(mm.SubMerchants, SubMerchant{MchID: sub, AppIDs: slices.Sorted(maps.Keys(m.subs[sub]))})
		}
		out = append(out, mm)
	}
	return out
}

// merchantOf is the merchant of an order: the mch_id of its request,
// or the first merchant for an order made up by forge.
func (s *Server) merchantOf(o *order) *merchant {
	if m := s.merchants[o.req["mch_id"]]; m != nil {
		return m
	}
	return s.mchList[0]
}

// stamp sets the merchant fields every message from the server to the
// merchant of o carries.
func (s *Server) stamp(p wxpay.Params, o *order) {
	m := s.merchantOf(o)
	p["appid"], p["mch_id"] = m.appID, m.mchID
	o.subFields(p)
}
