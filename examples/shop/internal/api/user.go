package api

import (
	"errors"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
	"github.com/wxpay-go/wxpay/examples/shop/internal/wxlogin"
)

// openID resolves the call's wx.login code.
func (s *Server) openID(c *call) (string, error) {
	code := c.p.required("code")
	if c.p.err != nil {
		return "", c.p.err
	}
	openid, err := s.cfg.Login(c.ctx, code)
	if errors.Is(err, wxlogin.ErrBadCode) {
		return "", errorf(CodeInvalid, "登录凭证无效，请重新登录 (invalid wx.login code)")
	}
	if err != nil {
		return "", err
	}
	return openid, nil
}

// authorize is the silent authorization with auto-registration that WAM
// uses on first launch: data {token, uid}.
func (s *Server) authorize(c *call) (any, error) {
	openid, err := s.openID(c)
	if err != nil {
		return nil, err
	}
	u, err := s.st.Register(c.ctx, openid, c.p.int("referrer", 0))
	if err != nil {
		return nil, err
	}
	return s.session(c, u)
}

// loginWx logs in a registered user: data {token, uid, openid, mobile},
// code 10000 for a user who never registered.
func (s *Server) loginWx(c *call) (any, error) {
	openid, err := s.openID(c)
	if err != nil {
		return nil, err
	}
	u, err := s.st.UserByOpenID(c.ctx, openid)
	if err != nil {
		return nil, err
	}
	return s.session(c, u)
}

func (s *Server) session(c *call, u *store.User) (any, error) {
	tok, err := s.st.IssueToken(c.ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"token": tok, "uid": u.ID, "openid": u.OpenID, "mobile": u.Mobile}, nil
}

// checkToken answers 0 for a valid token and 2000 otherwise.
func (s *Server) checkToken(c *call) (any, error) {
	_, err := s.st.UserByToken(c.ctx, c.p.str("token"))
	return nil, err
}

// logout revokes the token (apifm-wxapi's loginout). An unknown token
// is logged out already: success.
func (s *Server) logout(c *call) (any, error) {
	tok := c.p.required("token")
	if c.p.err != nil {
		return nil, c.p.err
	}
	return nil, s.st.Logout(c.ctx, tok)
}

// userAmount: the numbers WAM calls .toFixed(2) on.
func (s *Server) userAmount(c *call) (any, error) {
	return struct {
		Balance       money.Fen `json:"balance"`
		Freeze        money.Fen `json:"freeze"`
		Score         int64     `json:"score"`
		Growth        int64     `json:"growth"`
		TotleConsumed money.Fen `json:"totleConsumed"`
	}{Balance: c.user.Balance, Score: c.user.Score, TotleConsumed: c.user.Consumed}, nil
}

// userDetail is the COMMON /user/detail the pay page reads.
func (s *Server) userDetail(c *call) (any, error) {
	u := c.user
	return map[string]any{"base": map[string]any{
		"id": u.ID, "nick": u.Nick, "mobile": u.Mobile, "avatarUrl": "", "isIdcardCheck": false, "dateAdd": u.DateAdd,
	}}, nil
}
