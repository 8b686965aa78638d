package wxpay

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"

	"software.sslmate.com/src/go-pkcs12"
)

// WithCertPEM sets the merchant's client certificate from the PEM pair the
// merchant platform issues (apiclient_cert.pem, apiclient_key.pem). A pair
// that does not parse or does not match makes NewClient fail.
func WithCertPEM(certPEM, keyPEM []byte) Option {
	return func(c *Client) {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			c.certErr = fmt.Errorf("wxpay: client certificate: %w", err)
			return
		}
		c.cert = &cert
	}
}

// WithCertFiles is WithCertPEM with the pair read from files.
func WithCertFiles(certFile, keyFile string) Option {
	return func(c *Client) {
		certPEM, err := os.ReadFile(certFile)
		if err != nil {
			c.certErr = fmt.Errorf("wxpay: client certificate: %w", err)
			return
		}
		keyPEM, err := os.ReadFile(keyFile)
		if err != nil {
			c.certErr = fmt.Errorf("wxpay: client certificate key: %w", err)
			return
		}
		WithCertPEM(certPEM, keyPEM)(c)
	}
}

// WithCertP12 sets the merchant's client certificate from the PKCS#12
// bundle (apiclient_cert.p12) the merchant platform issues; its password
// is the merchant id. A wrong password or a bundle without a matching key
// and certificate makes NewClient fail.
func WithCertP12(data []byte, password string) Option {
	return func(c *Client) {
		key, leaf, chain, err := pkcs12.DecodeChain(data, password)
		if err != nil {
			c.certErr = fmt.Errorf("wxpay: client certificate .p12: %w", err)
			return
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			c.certErr = fmt.Errorf("wxpay: client certificate .p12 key: %w", err)
			return
		}
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})
		for _, ca := range chain {
			certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
		}
		// Through X509KeyPair so that a key that does not match the
		// certificate is caught here as it is for PEM.
		WithCertPEM(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))(c)
	}
}

// certClient returns a copy of base (http.DefaultClient when nil) whose
// transport presents cert. The server is still verified as base would: the
// copy keeps base's TLS configuration, roots included. A RoundTripper that
// is not an *http.Transport (a test mock, a custom transport) cannot be
// given a certificate and is used as it is; presenting one is then its job.
func certClient(base *http.Client, cert tls.Certificate) *http.Client {
	hc := http.Client{}
	if base != nil {
		hc = *base
	}
	var t *http.Transport
	switch rt := hc.Transport.(type) {
	case nil:
		dt, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			return &hc // DefaultTransport replaced, e.g. by httpmock
		}
		t = dt.Clone()
	case *http.Transport:
		t = rt.Clone()
	default:
		return &hc
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	// Always present the certificate, whatever CA names the server lists:
	// Go otherwise sends none when the issuer is not among them, and the
	// refusal then looks like a missing certificate. The server decides.
	t.TLSClientConfig.Certificates = nil
	t.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &cert, nil
	}
	hc.Transport = t
	return &hc
}
