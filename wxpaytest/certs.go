package wxpaytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// pki is the server's own small certificate authority: one CA that signs
// the HTTPS certificate of the server and the merchant's client
// certificate. WeChat uses two roots (a public one for its server, its own
// for merchant certificates); one is enough here because the server only
// trusts client certificates it issued itself, and the client only trusts
// this CA, never the system roots, so nothing else can be confused with it.
type pki struct {
	caCert     *x509.Certificate
	serverCert tls.Certificate
	clientPEM  []byte // merchant certificate, PEM
	clientKey  []byte // its PKCS#8 key, PEM
}

// newPKI generates the CA, the server certificate (for 127.0.0.1, ::1 and
// localhost) and the merchant client certificate (common name mchID, as
// WeChat's apiclient_cert.pem carries the merchant id). ECDSA P-256 keeps
// NewServer fast; the client accepts any key type tls.X509KeyPair does.
func newPKI(mchID string) (*pki, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"wxpaytest"}, CommonName: "wxpaytest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	serverPEM, serverKeyPEM, err := issue(ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"wxpaytest"}, CommonName: "api.mch.weixin.qq.com"},
		DNSNames:    []string{"localhost", "api.mch.weixin.qq.com", "api2.mch.weixin.qq.com"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return nil, err
	}
	serverCert, err := tls.X509KeyPair(serverPEM, serverKeyPEM)
	if err != nil {
		return nil, err
	}
	clientPEM, clientKey, err := issue(ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"wxpaytest"}, OrganizationalUnit: []string{"merchant"}, CommonName: mchID},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, err
	}
	return &pki{caCert: ca, serverCert: serverCert, clientPEM: clientPEM, clientKey: clientKey}, nil
}

// issue signs tmpl with the CA and returns the certificate and its new key
// as PEM.
func issue(ca *x509.Certificate, caKey *ecdsa.PrivateKey, tmpl *x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = ca.NotBefore
	tmpl.NotAfter = ca.NotAfter
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("issuing %q: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic("wxpaytest: crypto/rand: " + err.Error())
	}
	return n
}

// pool returns a pool holding only the CA.
func (k *pki) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(k.caCert)
	return p
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
