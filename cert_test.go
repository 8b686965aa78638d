package wxpay_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
	"software.sslmate.com/src/go-pkcs12"
)

// certPair is a certificate with its key, parsed and as PEM.
type certPair struct {
	cert            *x509.Certificate
	key             crypto.Signer
	certPEM, keyPEM []byte
}

// testCerts are the certificates of the TLS tests and examples: a CA that
// issued the server's certificate and the merchant's client certificate,
// and client certificates with the merchant's subject from two other CAs,
// which the server must refuse.
type testCerts struct {
	ca       certPair
	server   tls.Certificate
	merchant certPair // RSA, as WeChat issues apiclient_cert.pem
	rogueCA  certPair // a look-alike of ca: same name, another key
	rogue    certPair // issued by rogueCA
	other    certPair // issued by a CA of another name
}

// testPKI makes the certificates once: the RSA key takes a while.
var testPKI = sync.OnceValue(func() *testCerts {
	ca := newCA("wxpay test CA")
	// The rogue CA has the real CA's name, so that the client offers the
	// rogue certificate (TLS clients offer only certificates whose issuer
	// the server names) and the server has to check its signature.
	rogueCA := newCA("wxpay test CA")
	otherCA := newCA("another CA")
	server := issue(&ca, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "api.mch.weixin.qq.com"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, newECDSAKey())
	merchant := func(issuer *certPair, key crypto.Signer) certPair {
		return issue(issuer, &x509.Certificate{
			Subject:     pkix.Name{CommonName: docMchID, OrganizationalUnit: []string{"wxpay test merchant"}},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, key)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	serverTLS, err := tls.X509KeyPair(server.certPEM, server.keyPEM)
	if err != nil {
		panic(err)
	}
	return &testCerts{
		ca:       ca,
		server:   serverTLS,
		merchant: merchant(&ca, rsaKey),
		rogueCA:  rogueCA,
		rogue:    merchant(&rogueCA, newECDSAKey()),
		other:    merchant(&otherCA, newECDSAKey()),
	}
})

func newCA(name string) certPair {
	return issue(nil, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, newECDSAKey())
}

func newECDSAKey() crypto.Signer {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return key
}

// issue signs tmpl for key with issuer, or self-signs it when issuer is
// nil. Test set-up only: it panics, so that examples can use it too.
func issue(issuer *certPair, tmpl *x509.Certificate, key crypto.Signer) certPair {
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		panic(err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage |= x509.KeyUsageDigitalSignature
	parent, parentKey := tmpl, key
	if issuer != nil {
		parent, parentKey = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	return certPair{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
}

func (p certPair) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.cert)
	return pool
}

// tlsWeChat stands in for WeChat Pay behind a real TLS server, for the
// certificate tests and the examples. It answers each path in replies
// with that testdata file, signed in the request's sign type, after
// checking the request's sign; a /secapi/ path without a client
// certificate is refused as WeChat's gateway does. It records the client
// certificate of each request it answered.
type tlsWeChat struct {
	replies map[string]string // path → testdata file

	mu    sync.Mutex
	peers []*x509.Certificate // per request: the client's certificate, or nil
}

// allReplies answers every call of these files with a success.
var allReplies = map[string]string{
	"/pay/orderquery":    "order/orderquery_paid.xml",
	"/pay/closeorder":    "order/closeorder_ok.xml",
	"/secapi/pay/refund": "refund/refund_ok.xml",
	"/pay/refundquery":   "refund/refundquery_several.xml",
}

func (w *tlsWeChat) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var peer *x509.Certificate
	if len(r.TLS.PeerCertificates) > 0 {
		peer = r.TLS.PeerCertificates[0]
	}
	w.mu.Lock()
	w.peers = append(w.peers, peer)
	w.mu.Unlock()

	file, ok := w.replies[r.URL.Path]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/secapi/") && peer == nil {
		http.Error(rw, "client certificate required", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	req, err := wxpay.ParseXML(body)
	if err == nil {
		err = wxpay.VerifySign(req, docAPIKey)
	}
	if err != nil {
		rw.Write(wxpay.Params{"return_code": "FAIL", "return_msg": err.Error()}.AppendXML(nil))
		return
	}
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err == nil {
		data, err = signFixture(data, requestSignType(req))
	}
	if err != nil {
		http.Error(rw, err.Error(), http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/xml")
	rw.Write(data)
}

func (w *tlsWeChat) seen() []*x509.Certificate {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peers
}

// startTLSWeChat starts w on an HTTPS server with a certificate of the
// test CA, asking for client certificates of the test CA as auth says. It
// counts the connections clients open.
func startTLSWeChat(w *tlsWeChat, auth tls.ClientAuthType) (*httptest.Server, *atomic.Int32) {
	conns := new(atomic.Int32)
	srv := httptest.NewUnstartedServer(w)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{testPKI().server},
		ClientAuth:   auth,
		ClientCAs:    testPKI().ca.pool(),
		MinVersion:   tls.VersionTLS12,
	}
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	return srv, conns
}

// stubWeChat starts a tlsWeChat answering with replies for the examples.
// It returns the option that points a client at it, trusting its CA, and
// the function that stops it.
func stubWeChat(replies map[string]string, auth tls.ClientAuthType) ([]wxpay.Option, func()) {
	srv, _ := startTLSWeChat(&tlsWeChat{replies: replies}, auth)
	return []wxpay.Option{wxpay.WithHTTPClient(srv.Client()), wxpay.WithBaseURL(srv.URL)}, srv.Close
}

// exampleClient is a client of the documented merchant talking to a
// stubWeChat, for the examples that are not about creating one.
func exampleClient(replies map[string]string) (*wxpay.Client, func()) {
	stub, stop := stubWeChat(replies, tls.NoClientCert)
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, stub...)
	if err != nil {
		panic(err)
	}
	return c, stop
}

var refundRequest = &wxpay.RefundRequest{
	OutTradeNo:  "20150806125346",
	OutRefundNo: "R20150806125346-1",
	TotalFee:    888,
	RefundFee:   300,
}

func TestRefundMutualTLS(t *testing.T) {
	pki := testPKI()
	trustsRogueCA := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.rogueCA.pool()}}}
	tests := []struct {
		name  string
		cert  *certPair
		hc    func(srv *httptest.Server) *http.Client
		check func(t *testing.T, err error, handled int, conns int32)
	}{
		{
			name: "merchant certificate",
			cert: &pki.merchant,
			check: func(t *testing.T, err error, handled int, conns int32) {
				if err != nil || handled != 1 {
					t.Errorf("Refund: %v, %d requests handled; want success", err, handled)
				}
			},
		},
		{
			name:  "certificate of a look-alike CA",
			cert:  &pki.rogue,
			check: wantTransportError,
		},
		{
			name:  "certificate of another CA, which the client does not offer",
			cert:  &pki.other,
			check: wantTransportError,
		},
		{
			name: "no certificate",
			check: func(t *testing.T, err error, handled int, conns int32) {
				if !errors.Is(err, wxpay.ErrNoCertificate) || conns != 0 {
					t.Errorf("Refund: %v after %d connections; want ErrNoCertificate before any", err, conns)
				}
			},
		},
		{
			name:  "server certificate from an untrusted CA",
			cert:  &pki.merchant,
			hc:    func(*httptest.Server) *http.Client { return trustsRogueCA },
			check: wantUntrustedServer,
		},
		{
			name:  "server certificate checked against the system roots",
			cert:  &pki.merchant,
			hc:    func(*httptest.Server) *http.Client { return nil },
			check: wantUntrustedServer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &tlsWeChat{replies: allReplies}
			srv, conns := startTLSWeChat(w, tls.RequireAndVerifyClientCert)
			defer srv.Close()
			hc := srv.Client()
			if tt.hc != nil {
				hc = tt.hc(srv)
			}
			opts := []wxpay.Option{wxpay.WithHTTPClient(hc), wxpay.WithBaseURL(srv.URL)}
			if tt.cert != nil {
				opts = append(opts, wxpay.WithCertPEM(tt.cert.certPEM, tt.cert.keyPEM))
			}
			c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, opts...)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Refund(context.Background(), refundRequest)
			if (err == nil) != (resp != nil) {
				t.Errorf("Refund returned %v and %v", resp, err)
			}
			tt.check(t, err, len(w.seen()), conns.Load())
		})
	}
}

// wantUntrustedServer wants the client to refuse the server's certificate.
func wantUntrustedServer(t *testing.T, err error, handled int, conns int32) {
	t.Helper()
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) || handled != 0 {
		t.Errorf("Refund: %v (%T), %d requests handled; want a *tls.CertificateVerificationError", err, err, handled)
	}
}

// wantTransportError wants the failure of a refused TLS handshake: an
// error from the transport, not an answer of WeChat's, and no request
// handled.
func wantTransportError(t *testing.T, err error, handled int, conns int32) {
	t.Helper()
	var (
		werr  *wxpay.Error
		herr  *wxpay.HTTPError
		opErr *net.OpError
	)
	switch {
	case err == nil || handled != 0:
		t.Errorf("Refund: %v, %d requests handled; want a refused handshake", err, handled)
	case errors.As(err, &werr) || errors.As(err, &herr):
		t.Errorf("Refund: %v (%T); want a transport error", err, err)
	case !errors.As(err, &opErr):
		t.Errorf("Refund: %v (%T); want a *net.OpError from the TLS connection", err, err)
	default:
		t.Logf("refused as wanted: %v", err)
	}
}

// TestCertificateOnlyWhenNeeded checks that only refund presents the
// client certificate, to a server that asks every client for one.
func TestCertificateOnlyWhenNeeded(t *testing.T) {
	pki := testPKI()
	w := &tlsWeChat{replies: allReplies}
	srv, _ := startTLSWeChat(w, tls.RequestClientCert)
	defer srv.Close()
	c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey,
		wxpay.WithCertPEM(pki.merchant.certPEM, pki.merchant.keyPEM),
		wxpay.WithHTTPClient(srv.Client()), wxpay.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := []struct {
		name     string
		call     func() error
		withCert bool
	}{
		{"OrderQuery", func() error {
			_, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"})
			return err
		}, false},
		{"Refund", func() error { _, err := c.Refund(ctx, refundRequest); return err }, true},
		{"CloseOrder", func() error {
			_, err := c.CloseOrder(ctx, &wxpay.CloseOrderRequest{OutTradeNo: "20150806125346"})
			return err
		}, false},
		{"RefundQuery", func() error {
			_, err := c.RefundQuery(ctx, &wxpay.RefundQueryRequest{OutTradeNo: "20150806125346"})
			return err
		}, false},
		{"OrderQuery after Refund", func() error {
			_, err := c.OrderQuery(ctx, &wxpay.OrderQueryRequest{OutTradeNo: "20150806125346"})
			return err
		}, false},
	}
	var want, got []string
	for _, call := range calls {
		if err := call.call(); err != nil {
			t.Fatalf("%s: %v", call.name, err)
		}
		want = append(want, call.name+": "+map[bool]string{true: docMchID, false: "no certificate"}[call.withCert])
	}
	for i, peer := range w.seen() {
		s := "no certificate"
		if peer != nil {
			s = peer.Subject.CommonName
		}
		got = append(got, calls[i].name+": "+s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("client certificates presented (-want +got):\n%s", diff)
	}
}

func TestCertificateLoading(t *testing.T) {
	pki := testPKI()
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	certFile, keyFile := file("apiclient_cert.pem", pki.merchant.certPEM), file("apiclient_key.pem", pki.merchant.keyPEM)
	missing := filepath.Join(dir, "missing.pem")
	p12 := func(enc *pkcs12.Encoder, key crypto.Signer, chain []*x509.Certificate, password string) []byte {
		data, err := enc.Encode(key, pki.merchant.cert, chain, password)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	modern := p12(pkcs12.Modern, pki.merchant.key, []*x509.Certificate{pki.ca.cert}, docMchID)
	tests := []struct {
		name string
		opt  wxpay.Option
		want error // nil: the client refunds over mutual TLS; errNotNil: any error
	}{
		{"PEM", wxpay.WithCertPEM(pki.merchant.certPEM, pki.merchant.keyPEM), nil},
		{"PEM files", wxpay.WithCertFiles(certFile, keyFile), nil},
		{"p12 modern with chain", wxpay.WithCertP12(modern, docMchID), nil},
		{"p12 legacy", wxpay.WithCertP12(p12(pkcs12.Legacy, pki.merchant.key, nil, docMchID), docMchID), nil},

		{"PEM key of another certificate", wxpay.WithCertPEM(pki.merchant.certPEM, pki.rogue.keyPEM), errNotNil},
		{"PEM pair swapped", wxpay.WithCertPEM(pki.merchant.keyPEM, pki.merchant.certPEM), errNotNil},
		{"garbage certificate PEM", wxpay.WithCertPEM([]byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"), pki.merchant.keyPEM), errNotNil},
		{"garbage key PEM", wxpay.WithCertPEM(pki.merchant.certPEM, []byte("not PEM at all")), errNotNil},
		{"empty PEM", wxpay.WithCertPEM(nil, nil), errNotNil},
		{"missing certificate file", wxpay.WithCertFiles(missing, keyFile), os.ErrNotExist},
		{"missing key file", wxpay.WithCertFiles(certFile, missing), os.ErrNotExist},
		{"key file holding the certificate", wxpay.WithCertFiles(certFile, certFile), errNotNil},
		{"p12 wrong password", wxpay.WithCertP12(modern, "10000101"), pkcs12.ErrIncorrectPassword},
		{"p12 key of another certificate", wxpay.WithCertP12(p12(pkcs12.Modern, pki.rogue.key, nil, docMchID), docMchID), errNotNil},
		{"p12 garbage", wxpay.WithCertP12([]byte("not a PKCS#12 bundle"), docMchID), errNotNil},
		{"p12 truncated", wxpay.WithCertP12(modern[:len(modern)/2], docMchID), errNotNil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &tlsWeChat{replies: allReplies}
			srv, _ := startTLSWeChat(w, tls.RequireAndVerifyClientCert)
			defer srv.Close()
			c, err := wxpay.NewClient(docAppID, docMchID, docAPIKey, tt.opt,
				wxpay.WithHTTPClient(srv.Client()), wxpay.WithBaseURL(srv.URL))
			if tt.want != nil {
				if err == nil || c != nil {
					t.Fatalf("NewClient = %v, %v; want an error", c, err)
				}
				if tt.want != errNotNil && !errors.Is(err, tt.want) {
					t.Errorf("NewClient error = %v, want errors.Is %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if _, err := c.Refund(context.Background(), refundRequest); err != nil {
				t.Fatalf("Refund: %v", err)
			}
			if peers := w.seen(); len(peers) != 1 || peers[0] == nil || !peers[0].Equal(pki.merchant.cert) {
				t.Errorf("server saw client certificates %v, want the merchant's", peers)
			}
		})
	}
}

// errNotNil stands for "any error" in tables of wanted errors.
var errNotNil = errors.New("any error")
