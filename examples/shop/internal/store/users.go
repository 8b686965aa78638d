package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// User is a buyer, known by the openid WeChat gives the mini program.
type User struct {
	ID       int64
	OpenID   string
	Nick     string
	Mobile   string
	Balance  money.Fen // spendable on orders; WeChat payments are credited here first
	Consumed money.Fen // paid for orders, less what was refunded
	Score    int64
	DateAdd  string
}

const userColumns = `id, openid, nick, mobile, balance, consumed, score, date_add`

func scanUser(r interface{ Scan(...any) error }) (*User, error) {
	u := new(User)
	err := r.Scan(&u.ID, &u.OpenID, &u.Nick, &u.Mobile, &u.Balance, &u.Consumed, &u.Score, &u.DateAdd)
	return u, err
}

// Register returns the user with openid, creating it on first sight: the
// silent authorization that WAM uses by default.
func (s *Store) Register(ctx context.Context, openid string, referrer int64) (*User, error) {
	if openid == "" {
		return nil, fail(Invalid, "缺少 openid (no openid)")
	}
	var u *User
	err := s.tx(ctx, func(q q) error {
		_, err := q.exec(`INSERT INTO users (openid, referrer, date_add) VALUES (?, ?, ?) ON CONFLICT (openid) DO NOTHING`,
			openid, referrer, s.stamp())
		if err != nil {
			return err
		}
		u, err = scanUser(q.row(`SELECT `+userColumns+` FROM users WHERE openid = ?`, openid))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: register: %w", err)
	}
	return u, nil
}

// UserByOpenID returns the registered user with openid, or an UnknownUser
// error.
func (s *Store) UserByOpenID(ctx context.Context, openid string) (*User, error) {
	u, err := scanUser(s.q(ctx).row(`SELECT `+userColumns+` FROM users WHERE openid = ?`, openid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(UnknownUser, "用户不存在，请先注册 (WeChat user not registered)")
	}
	return u, err
}

// User returns the user with id.
func (s *Store) User(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.q(ctx).row(`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(NotFound, "用户不存在 (no such user)")
	}
	return u, err
}

// IssueToken creates a new login token for the user, valid for the
// policy's TokenTTL. Only its hash is stored: the database never holds a
// token that would log anyone in, and a restart keeps everyone logged in.
func (s *Store) IssueToken(ctx context.Context, userID int64) (string, error) {
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.now()
	_, err = s.w(ctx).exec(`INSERT INTO user_tokens (token_hash, user_id, date_add, date_expire) VALUES (?, ?, ?, ?)`,
		HashToken(tok), userID, stampOf(now), stampOf(now.Add(s.policy.TokenTTL)))
	if err != nil {
		return "", fmt.Errorf("store: issue token: %w", err)
	}
	return tok, nil
}

// newToken returns 24 random bytes in hex.
func newToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// HashToken is how tokens are kept: the hex SHA-256 of the token. The
// tokens are 192 random bits, so a plain hash (no salt, no stretching)
// is as strong as the token itself.
func HashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// UserByToken returns the user a token was issued to, or an
// Unauthenticated error when the token is unknown, expired or logged out.
func (s *Store) UserByToken(ctx context.Context, token string) (*User, error) {
	if token == "" {
		return nil, fail(Unauthenticated, "未登录 (token missing)")
	}
	u, err := scanUser(s.q(ctx).row(`SELECT u.id, u.openid, u.nick, u.mobile, u.balance, u.consumed, u.score, u.date_add
		FROM user_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.date_expire > ?`,
		HashToken(token), s.stamp()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(Unauthenticated, "登录已失效，请重新登录 (invalid or expired token)")
	}
	return u, err
}

// Logout revokes a token. Revoking an unknown token is not an error: the
// result, a token that logs nobody in, is the same.
func (s *Store) Logout(ctx context.Context, token string) error {
	_, err := s.w(ctx).exec(`DELETE FROM user_tokens WHERE token_hash = ?`, HashToken(token))
	return err
}

// BalanceLog is one change of a user's balance.
type BalanceLog struct {
	ID           int64
	Amount       money.Fen // positive: credited
	BalanceAfter money.Fen
	Kind         string // recharge, pay, refund
	Ref          string // out_trade_no, order number or out_refund_no
	DateAdd      string
}

// BalanceLogs returns the user's balance changes, oldest first.
func (s *Store) BalanceLogs(ctx context.Context, userID int64) ([]BalanceLog, error) {
	rows, err := s.q(ctx).query(`SELECT id, amount, balance_after, kind, ref, date_add FROM balance_logs WHERE user_id = ? ORDER BY id`, userID)
	return scanAll(rows, err, func(r *sql.Rows) (BalanceLog, error) {
		var l BalanceLog
		return l, r.Scan(&l.ID, &l.Amount, &l.BalanceAfter, &l.Kind, &l.Ref, &l.DateAdd)
	})
}

// moveBalance changes a user's balance by amount inside a transaction and
// records the change. A debit is conditional on the balance covering it;
// it fails with BalanceTooLow otherwise. consumed moves along for order
// payments and refunds.
func (s *Store) moveBalance(q q, userID int64, amount, consumed money.Fen, kind, ref string) error {
	if amount == 0 && consumed == 0 {
		return nil
	}
	n, err := q.update(`UPDATE users SET balance = balance + ?, consumed = consumed + ? WHERE id = ? AND balance + ? >= 0`,
		amount, consumed, userID, amount)
	if err != nil {
		return err
	}
	if n == 0 {
		var bal money.Fen
		if err := q.row(`SELECT balance FROM users WHERE id = ?`, userID).Scan(&bal); err != nil {
			return err
		}
		return &Error{Kind: BalanceTooLow, Msg: fmt.Sprintf("余额不足，还差 %s 元 (balance too low)", -(bal + amount)), Shortfall: -(bal + amount)}
	}
	if amount == 0 {
		return nil
	}
	var after money.Fen
	if err := q.row(`SELECT balance FROM users WHERE id = ?`, userID).Scan(&after); err != nil {
		return err
	}
	_, err = q.exec(`INSERT INTO balance_logs (user_id, amount, balance_after, kind, ref, date_add) VALUES (?, ?, ?, ?, ?, ?)`,
		userID, amount, after, kind, ref, s.stamp())
	return err
}
