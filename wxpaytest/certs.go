package wxpaytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"
)

// pki is the server's own small certificate authority: one CA that signs
// the HTTPS certificate of the server and the merchants' client
// certificates. WeChat uses two roots (a public one for its server, its own
// for merchant certificates); one is enough here because the server only
// trusts client certificates it issued itself, and the client only trusts
// this CA, never the system roots, so nothing else can be confused with it.
type pki struct {
	caCert     *x509.Certificate
	caKey      *ecdsa.PrivateKey
	hosts      []string // the server certificate's extra names, WithHostnames
	serverCert tls.Certificate
	serverPEM  []byte
	serverKey  []byte
	clients    map[string]keyPair // merchant certificates by mch_id
}

// keyPair is a certificate and its PKCS#8 private key, PEM.
type keyPair struct {
	Cert []byte `json:"cert"`
	Key  []byte `json:"key"`
}

// certLifetime is how long the certificates are valid: long enough for a
// long-lived cmd/wxpaytest whose state (and so whose CA) survives
// restarts.
const certLifetime = 10 * 365 * 24 * time.Hour

// newPKI generates the CA and the server certificate (for 127.0.0.1, ::1,
// localhost, WeChat's API hosts and hosts). ECDSA P-256 keeps NewServer
// fast; the client accepts any key type tls.X509KeyPair does.
func newPKI(hosts []string) (*pki, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"wxpaytest"}, CommonName: "wxpaytest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
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
	k := &pki{caCert: ca, caKey: caKey, clients: map[string]keyPair{}}
	return k, k.issueServer(hosts)
}

// issueServer issues the server certificate for the default names and
// hosts.
func (k *pki) issueServer(hosts []string) error {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"wxpaytest"}, CommonName: "api.mch.weixin.qq.com"},
		DNSNames:    []string{"localhost", "api.mch.weixin.qq.com", "api2.mch.weixin.qq.com"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	certPEM, keyPEM, err := k.issue(tmpl)
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	k.hosts, k.serverCert, k.serverPEM, k.serverKey = slices.Clone(hosts), cert, certPEM, keyPEM
	return nil
}

// client returns the merchant client certificate of mchID (common name
// mchID, as WeChat's apiclient_cert.pem carries the merchant id), issuing
// it the first time.
func (k *pki) client(mchID string) (keyPair, error) {
	if kp, ok := k.clients[mchID]; ok {
		return kp, nil
	}
	certPEM, keyPEM, err := k.issue(&x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"wxpaytest"}, OrganizationalUnit: []string{"merchant"}, CommonName: mchID},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return keyPair{}, err
	}
	kp := keyPair{Cert: certPEM, Key: keyPEM}
	k.clients[mchID] = kp
	return kp, nil
}

// issue signs tmpl with the CA and returns the certificate and its new key
// as PEM.
func (k *pki) issue(tmpl *x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = k.caCert.NotBefore
	tmpl.NotAfter = k.caCert.NotAfter
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, k.caCert, &key.PublicKey, k.caKey)
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

// pkiState is the pki as the state file keeps it, so that a restarted
// server is still trusted by the clients configured for it.
type pkiState struct {
	CACert  []byte             `json:"ca_cert"` // PEM
	CAKey   []byte             `json:"ca_key"`  // PKCS#8, PEM
	Hosts   []string           `json:"hosts,omitempty"`
	Server  keyPair            `json:"server"`
	Clients map[string]keyPair `json:"clients"`
}

func (k *pki) state() pkiState {
	keyDER, _ := x509.MarshalPKCS8PrivateKey(k.caKey) // an ECDSA key always marshals
	return pkiState{
		CACert:  pemCert(k.caCert.Raw),
		CAKey:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		Hosts:   k.hosts,
		Server:  keyPair{Cert: k.serverPEM, Key: k.serverKey},
		Clients: k.clients,
	}
}

// loadPKI rebuilds a saved pki, with a new server certificate from the
// same CA when hosts changed.
func loadPKI(st pkiState, hosts []string) (*pki, error) {
	cb, _ := pem.Decode(st.CACert)
	kb, _ := pem.Decode(st.CAKey)
	if cb == nil || kb == nil {
		return nil, errors.New("no CA certificate or key")
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	ecKey, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("the CA key is not ECDSA")
	}
	k := &pki{caCert: ca, caKey: ecKey, clients: map[string]keyPair{}}
	for id, kp := range st.Clients {
		k.clients[id] = kp
	}
	if !slices.Equal(st.Hosts, hosts) {
		return k, k.issueServer(hosts)
	}
	cert, err := tls.X509KeyPair(st.Server.Cert, st.Server.Key)
	if err != nil {
		return nil, err
	}
	k.hosts, k.serverCert, k.serverPEM, k.serverKey = slices.Clone(hosts), cert, st.Server.Cert, st.Server.Key
	return k, nil
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
