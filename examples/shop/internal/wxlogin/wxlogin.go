// Package wxlogin maps the code of a mini program's wx.login to the
// buyer's openid.
package wxlogin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Resolver returns the openid a wx.login code stands for.
type Resolver func(ctx context.Context, code string) (openid string, err error)

// ErrBadCode is wrapped by the errors of a Resolver for a code WeChat does
// not accept (invalid, expired or used twice).
var ErrBadCode = errors.New("wxlogin: invalid code")

// Dev is the Resolver of development mode, where there is no WeChat to
// ask: the openid is derived from the code itself, "dev_" followed by 24
// hex digits of its SHA-256. The same code always gives the same openid,
// so a test (or a mini program in the developer tools pointed at a dev
// shop) logs in as the same buyer by sending the same code.
func Dev(_ context.Context, code string) (string, error) {
	if code == "" {
		return "", fmt.Errorf("%w: empty", ErrBadCode)
	}
	sum := sha256.Sum256([]byte("wxpay-shop-dev:" + code))
	return "dev_" + hex.EncodeToString(sum[:12]), nil
}

// DefaultBaseURL is where jscode2session lives.
const DefaultBaseURL = "https://api.weixin.qq.com"

// JSCode2Session returns the Resolver that asks WeChat's
// /sns/jscode2session with the mini program's appid and secret. baseURL
// is DefaultBaseURL but for tests; hc is the client to use.
func JSCode2Session(hc *http.Client, baseURL, appID, secret string) Resolver {
	base := strings.TrimRight(baseURL, "/")
	return func(ctx context.Context, code string) (string, error) {
		if code == "" {
			return "", fmt.Errorf("%w: empty", ErrBadCode)
		}
		q := url.Values{
			"appid":      {appID},
			"secret":     {secret},
			"js_code":    {code},
			"grant_type": {"authorization_code"},
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sns/jscode2session?"+q.Encode(), nil)
		if err != nil {
			return "", err
		}
		resp, err := hc.Do(req)
		if err != nil {
			// The URL holds the secret: report the host, not the error's URL.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return "", fmt.Errorf("wxlogin: jscode2session: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("wxlogin: jscode2session: HTTP %d", resp.StatusCode)
		}
		var r struct {
			OpenID  string `json:"openid"`
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&r); err != nil {
			return "", fmt.Errorf("wxlogin: jscode2session: %w", err)
		}
		switch {
		case r.ErrCode == 40029 || r.ErrCode == 40163: // invalid code, code already used
			return "", fmt.Errorf("%w: %d %s", ErrBadCode, r.ErrCode, r.ErrMsg)
		case r.ErrCode != 0:
			return "", fmt.Errorf("wxlogin: jscode2session: %d %s", r.ErrCode, r.ErrMsg)
		case r.OpenID == "":
			return "", errors.New("wxlogin: jscode2session: no openid in the answer")
		}
		return r.OpenID, nil
	}
}
