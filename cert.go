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
	return func(c *config) error {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return fmt.Errorf("wxpay: client certificate: %w", err)
		}
		c.cert = &cert
		return nil
	}
}

// WithCertFiles is WithCertPEM with the pair read from files.
func WithCertFiles(certFile, keyFile string) Option {
	return func(c *config) error {
		certPEM, err := os.ReadFile(certFile)
		if err != nil {
			return fmt.Errorf("wxpay: client certificate: %w", err)
		}
		keyPEM, err := os.ReadFile(keyFile)
		if err != nil {
			return fmt.Errorf("wxpay: client certificate key: %w", err)
		}
		return WithCertPEM(certPEM, keyPEM)(c)
	}
}

// WithCertP12 sets the merchant's client certificate from the PKCS#12
// bundle (apiclient_cert.p12) the merchant platform issues; its password
// is the merchant id. A wrong password or a bundle without a matching key
// and certificate makes NewClient fail.
func WithCertP12(data []byte, password string) Option {
	return func(c *config) error {
		key, leaf, chain, err := pkcs12.DecodeChain(data, password)
		if err != nil {
			return fmt.Errorf("wxpay: client certificate .p12: %w", err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return fmt.Errorf("wxpay: client certificate .p12 key: %w", err)
		}
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})
		for _, ca := range chain {
			certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
		}
		// Through X509KeyPair so that a key that does not match the
		// certificate is caught here as it is for PEM.
		return WithCertPEM(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))(c)
	}
}

// certClient returns a copy of base whose transport presents cert. The
// server is still verified as base would: the copy keeps base's TLS
// configuration, roots included. A transport that is not an
// *http.Transport (a tracing wrapper, a mock) cannot be given the
// certificate, and calls would silently go without it: that is an error
// that says what to do instead.
func certClient(base *http.Client, cert tls.Certificate) (*http.Client, error) {
	hc := *base
	var t *http.Transport
	switch rt := hc.Transport.(type) {
	case nil:
		dt, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			return nil, fmt.Errorf("wxpay: NewClient: http.DefaultTransport is a %T, which cannot present the client certificate; pass a client that does with WithCertHTTPClient", http.DefaultTransport)
		}
		t = dt.Clone()
	case *http.Transport:
		t = rt.Clone()
	default:
		return nil, fmt.Errorf("wxpay: NewClient: the HTTP client's transport is a %T, which cannot be given the client certificate; pass a client whose transport presents it with WithCertHTTPClient", rt)
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
	return &hc, nil
}
