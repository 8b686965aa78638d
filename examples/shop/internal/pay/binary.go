package pay

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wxpay-go/wxpay"
)

// BinaryConfig is what the shop takes from the wxpaytest.json that a
// running cmd/wxpaytest writes with -out: where its API and control API
// are, the CA its certificate is issued by, and the first merchant's
// credentials and client certificate. The files are read when the
// configuration is loaded, so that a bad one stops the shop at start.
type BinaryConfig struct {
	Path       string // the JSON file, for messages
	BaseURL    string // the fake API, https
	ControlURL string // its control API, plain HTTP on loopback
	AppID      string
	MchID      string
	APIKey     string
	CAPEM      []byte // the authority to trust for BaseURL
	CertPEM    []byte // the merchant's apiclient_cert.pem
	KeyPEM     []byte // and apiclient_key.pem
}

// binaryJSON is the part of wxpaytest.json the shop reads.
type binaryJSON struct {
	BaseURL    string `json:"base_url"`
	ControlURL string `json:"control_url"`
	Sandbox    bool   `json:"sandbox"`
	CACert     string `json:"ca_cert"`
	Merchants  []struct {
		AppID  string `json:"appid"`
		MchID  string `json:"mch_id"`
		APIKey string `json:"api_key"`
		Cert   string `json:"cert"`
		Key    string `json:"key"`
	} `json:"merchants"`
}

// LoadBinaryConfig reads and checks path, a wxpaytest.json. Every field
// the shop needs must be there: a file missing some is refused with all
// their names, rather than run with half of a configuration. File names
// in it are relative to its directory.
func LoadBinaryConfig(path string) (*BinaryConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wxpaytest.json: %w (start cmd/wxpaytest with -out DIR; the file is DIR/wxpaytest.json)", err)
	}
	var j binaryJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%s: not a wxpaytest.json: %w", path, err)
	}
	var missing []string
	need := func(name, v string) {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	need("base_url", j.BaseURL)
	need("control_url", j.ControlURL)
	need("ca_cert", j.CACert)
	if len(j.Merchants) == 0 {
		missing = append(missing, "merchants")
	} else {
		m := j.Merchants[0]
		need("merchants[0].appid", m.AppID)
		need("merchants[0].mch_id", m.MchID)
		need("merchants[0].api_key", m.APIKey)
		need("merchants[0].cert", m.Cert)
		need("merchants[0].key", m.Key)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: incomplete: %s missing", path, strings.Join(missing, ", "))
	}
	if j.Sandbox {
		return nil, fmt.Errorf("%s: the server is a sandbox (-sandbox); the shop speaks the production API: start cmd/wxpaytest without -sandbox", path)
	}
	if err := checkURL(j.BaseURL, "https"); err != nil {
		return nil, fmt.Errorf("%s: base_url: %w", path, err)
	}
	if err := checkURL(j.ControlURL, "http", "https"); err != nil {
		return nil, fmt.Errorf("%s: control_url: %w", path, err)
	}
	m := j.Merchants[0]
	if len(m.APIKey) != 32 {
		return nil, fmt.Errorf("%s: merchants[0].api_key has %d characters; WeChat's v2 keys have 32", path, len(m.APIKey))
	}
	c := &BinaryConfig{
		Path: path, BaseURL: strings.TrimRight(j.BaseURL, "/"), ControlURL: strings.TrimRight(j.ControlURL, "/"),
		AppID: m.AppID, MchID: m.MchID, APIKey: m.APIKey,
	}
	dir := filepath.Dir(path)
	read := func(field, name string) ([]byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, filepath.FromSlash(name))
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, field, err)
		}
		return b, nil
	}
	if c.CAPEM, err = read("ca_cert", j.CACert); err != nil {
		return nil, err
	}
	if !x509.NewCertPool().AppendCertsFromPEM(c.CAPEM) {
		return nil, fmt.Errorf("%s: ca_cert %s holds no PEM certificate", path, j.CACert)
	}
	if c.CertPEM, err = read("merchants[0].cert", m.Cert); err != nil {
		return nil, err
	}
	if c.KeyPEM, err = read("merchants[0].key", m.Key); err != nil {
		return nil, err
	}
	if _, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
		return nil, fmt.Errorf("%s: merchants[0].cert and .key: %w", path, err)
	}
	return c, nil
}

func checkURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Host == "" || u.RawQuery != "" {
		return fmt.Errorf("%q is not an absolute URL without a query", s)
	}
	for _, sc := range schemes {
		if u.Scheme == sc {
			return nil
		}
	}
	return fmt.Errorf("%q: want a %s URL", s, strings.Join(schemes, " or "))
}

// Binary is the shop's WeChat Pay when it runs against a cmd/wxpaytest
// process rather than the in-process server of Dev: the SDK client talks
// to the binary over verified TLS, and Confirm plays the payer through
// the binary's control API.
type Binary struct {
	*WeChat
	control string
	hc      *http.Client // of the control API
}

// NewBinary builds the SDK client of c: the binary's base URL, its CA as
// the only root, the merchant certificate for /secapi/, each attempt of a
// call limited to timeout (0: none), and the client options given added.
// Notifies go to publicURL.
func NewBinary(c *BinaryConfig, publicURL string, timeout time.Duration, clientOpts ...wxpay.Option) (*Binary, error) {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(c.CAPEM) {
		return nil, fmt.Errorf("pay: %s: the CA holds no certificate", c.Path)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	wc, err := wxpay.NewClient(c.AppID, c.MchID, c.APIKey, append([]wxpay.Option{
		wxpay.WithBaseURL(c.BaseURL),
		wxpay.WithHTTPClient(&http.Client{Transport: t, Timeout: timeout}),
		wxpay.WithCertPEM(c.CertPEM, c.KeyPEM)}, clientOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("pay: client of %s: %w", c.Path, err)
	}
	return &Binary{WeChat: NewWeChat(wc, publicURL), control: c.ControlURL, hc: &http.Client{Timeout: 15 * time.Second}}, nil
}

// Confirm plays the buyer confirming the payment outTradeNo: the binary
// marks it paid and posts the notify, as WeChat would.
func (b *Binary) Confirm(outTradeNo string) error { return b.pay(outTradeNo, false) }

// ConfirmWithoutNotify is Confirm with the notify lost: the shop learns
// of the payment by asking (its reconciliation loop).
func (b *Binary) ConfirmWithoutNotify(outTradeNo string) error { return b.pay(outTradeNo, true) }

func (b *Binary) pay(outTradeNo string, skipNotify bool) error {
	body, _ := json.Marshal(map[string]bool{"skip_notify": skipNotify})
	ctx, cancel := context.WithTimeout(context.Background(), b.hc.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.control+"/orders/"+url.PathEscape(outTradeNo)+"/pay", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.hc.Do(req)
	if err != nil {
		return fmt.Errorf("wxpaytest control API: %w", err)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(reply, &e) != nil || e.Error == "" {
		e.Error = strings.TrimSpace(string(reply))
	}
	return fmt.Errorf("wxpaytest control API: %s: %s", resp.Status, e.Error)
}

// Close releases the control API's idle connections.
func (b *Binary) Close() { b.hc.CloseIdleConnections() }
