package wxpaytest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCertificates(t *testing.T) {
	srv := newServer(t)
	body := strings.NewReader("<xml></xml>")

	// The server is trusted through its own CA only.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CACertPEM()) {
		t.Fatal("CACertPEM does not parse")
	}
	viaCA := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer viaCA.CloseIdleConnections()
	if _, err := viaCA.Post(srv.URL+"/pay/orderquery", "text/xml", body); err != nil {
		t.Fatalf("client trusting CACertPEM: %v", err)
	}
	if _, err := (&http.Client{Transport: &http.Transport{}}).Post(srv.URL+"/pay/orderquery", "text/xml", body); err == nil {
		t.Fatal("a client trusting only the system roots reached the server")
	}

	// The merchant certificate is for the merchant and for client auth.
	certPEM, keyPEM := srv.MerchantCertPEM()
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Subject.CommonName != mchID || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Fatalf("merchant certificate %v, usage %v", leaf.Subject, leaf.ExtKeyUsage)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("merchant certificate does not chain to the CA: %v", err)
	}

	// A client certificate from anyone else fails the handshake, as at WeChat.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: mchID},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	tr := srv.Client().Transport.(*http.Transport).Clone()
	// GetClientCertificate, because Go's client leaves out a certificate
	// whose issuer the server did not list.
	tr.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
	}
	stranger := &http.Client{Transport: tr}
	defer stranger.CloseIdleConnections()
	if _, err := stranger.Post(srv.URL+"/secapi/pay/refund", "text/xml", strings.NewReader("<xml></xml>")); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a self-signed client certificate: %v, want a TLS certificate error", err)
	}
}
