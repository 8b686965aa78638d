package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AdminSession is a logged-in merchant console.
type AdminSession struct {
	TokenHash string
	Expires   time.Time
}

// CreateAdminSession starts a console session valid for the policy's
// SessionTTL and returns its token, the value of the session cookie. Only
// the token's hash is stored. Expired sessions are swept on the way.
func (s *Store) CreateAdminSession(ctx context.Context) (string, error) {
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.now()
	err = s.tx(ctx, func(q q) error {
		if _, err := q.exec(`DELETE FROM admin_sessions WHERE date_expire <= ?`, stampOf(now)); err != nil {
			return err
		}
		_, err := q.exec(`INSERT INTO admin_sessions (token_hash, date_add, date_expire) VALUES (?, ?, ?)`,
			HashToken(tok), stampOf(now), stampOf(now.Add(s.policy.SessionTTL)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: create session: %w", err)
	}
	return tok, nil
}

// AdminSession returns the live session of a cookie token, or an
// Unauthenticated error.
func (s *Store) AdminSession(ctx context.Context, token string) (*AdminSession, error) {
	if token == "" {
		return nil, fail(Unauthenticated, "未登录 (no session)")
	}
	var exp string
	h := HashToken(token)
	err := s.q(ctx).row(`SELECT date_expire FROM admin_sessions WHERE token_hash = ? AND date_expire > ?`, h, s.stamp()).Scan(&exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(Unauthenticated, "登录已失效，请重新登录 (session expired)")
	}
	if err != nil {
		return nil, err
	}
	t, err := ParseStamp(exp)
	return &AdminSession{TokenHash: h, Expires: t}, err
}

// EndAdminSession logs a console session out.
func (s *Store) EndAdminSession(ctx context.Context, token string) error {
	_, err := s.w(ctx).exec(`DELETE FROM admin_sessions WHERE token_hash = ?`, HashToken(token))
	return err
}
