package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"software.sslmate.com/src/go-pkcs12"
)

// clientConfig is wxpaytest.json and GET /config: everything a client
// needs to reach the server. File names are relative to the directory
// the JSON file is in; the control API serves the same files under
// /files/.
type clientConfig struct {
	BaseURL    string           `json:"base_url"`    // the API, in place of https://api.mch.weixin.qq.com
	ControlURL string           `json:"control_url"` // the control API
	Sandbox    bool             `json:"sandbox"`
	CACert     string           `json:"ca_cert"` // the certificate authority to trust
	Merchants  []merchantConfig `json:"merchants"`
}

type merchantConfig struct {
	AppID       string        `json:"appid"`
	MchID       string        `json:"mch_id"`
	APIKey      string        `json:"api_key"`
	Cert        string        `json:"cert"`         // apiclient_cert.pem
	Key         string        `json:"key"`          // apiclient_key.pem
	P12         string        `json:"p12"`          // apiclient_cert.p12
	P12Password string        `json:"p12_password"` // the mch_id, as WeChat issues it
	Subs        []subMerchant `json:"sub_merchants,omitempty"`
}

type subMerchant struct {
	MchID  string   `json:"sub_mch_id"`
	AppIDs []string `json:"sub_appids,omitempty"`
}

// files are the files of the output directory by name, "" → contents.
func (a *app) files() (map[string][]byte, clientConfig, error) {
	cc := clientConfig{BaseURL: a.baseURL, ControlURL: a.controlURL, Sandbox: a.cfg.sandbox, CACert: "ca.pem"}
	files := map[string][]byte{"ca.pem": a.srv.CACertPEM()}
	for i, m := range a.srv.Merchants() {
		p12, err := encodeP12(m.CertPEM, m.KeyPEM, a.srv.CACertPEM(), m.MchID)
		if err != nil {
			return nil, cc, err
		}
		mc := merchantConfig{
			AppID: m.AppID, MchID: m.MchID, APIKey: m.APIKey, P12Password: m.MchID,
			Cert: m.MchID + "/apiclient_cert.pem", Key: m.MchID + "/apiclient_key.pem", P12: m.MchID + "/apiclient_cert.p12",
		}
		for _, s := range m.SubMerchants {
			mc.Subs = append(mc.Subs, subMerchant{MchID: s.MchID, AppIDs: s.AppIDs})
		}
		files[mc.Cert], files[mc.Key], files[mc.P12] = m.CertPEM, m.KeyPEM, p12
		if i == 0 {
			// The first merchant's also at the top, where a one-merchant
			// setup looks for them.
			files["apiclient_cert.pem"], files["apiclient_key.pem"], files["apiclient_cert.p12"] = m.CertPEM, m.KeyPEM, p12
		}
		cc.Merchants = append(cc.Merchants, mc)
	}
	b, err := json.MarshalIndent(cc, "", "  ")
	if err != nil {
		return nil, cc, err
	}
	files["wxpaytest.json"] = append(b, '\n')
	return files, cc, nil
}

// writeOut writes the files to dir. Keys are readable by the owner only.
func (a *app) writeOut(dir string) error {
	files, _, err := a.files()
	if err != nil {
		return err
	}
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("-out: %w", err)
		}
		mode := os.FileMode(0o644)
		if filepath.Ext(name) == ".p12" || filepath.Base(name) == "apiclient_key.pem" {
			mode = 0o600
		}
		if err := os.WriteFile(path, data, mode); err != nil {
			return fmt.Errorf("-out: %w", err)
		}
	}
	return nil
}

// encodeP12 makes apiclient_cert.p12 of a certificate and key, with the
// CA in the chain, protected by password. LegacyDES (3DES, SHA-1 MAC) is
// the one encoding every client here reads: OpenSSL 3 (and so Node 18+,
// PHP, Python) without its legacy provider, which the RC2 of older files
// needs, and golang.org/x/crypto/pkcs12, which Go SDKs (silenceper/wechat,
// gopay) decode with and which knows no AES (Modern2023).
func encodeP12(certPEM, keyPEM, caPEM []byte, password string) ([]byte, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(caPEM)
	if b == nil {
		return nil, errors.New("no CA certificate")
	}
	ca, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, err
	}
	return pkcs12.LegacyDES.Encode(pair.PrivateKey, leaf, []*x509.Certificate{ca}, password)
}
