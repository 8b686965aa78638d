package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/money"
)

// Dashboard is the merchant's day at a glance.
type Dashboard struct {
	PaidToday       int       // orders paid since midnight, Beijing time
	TakingsToday    money.Fen // what they were paid
	ToShip          int       // paid, not shipped
	AppliesToHandle int       // after-sales waiting for the merchant
	PrintFailures   int       // receipts the printer never took
}

// Dashboard counts the merchant's day up to now.
func (s *Store) Dashboard(ctx context.Context) (*Dashboard, error) {
	now := s.now().In(beijing)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, beijing)
	d := &Dashboard{}
	q := s.q(ctx)
	if err := q.row(`SELECT COUNT(*), COALESCE(SUM(amount_real), 0) FROM orders WHERE date_pay >= ?`,
		stampOf(midnight)).Scan(&d.PaidToday, &d.TakingsToday); err != nil {
		return nil, err
	}
	if err := q.row(`SELECT COUNT(*) FROM orders WHERE status = ?`, StatusPaid).Scan(&d.ToShip); err != nil {
		return nil, err
	}
	if err := q.row(`SELECT COUNT(*) FROM refund_applies WHERE status = ? OR (status = ? AND refund_accepted = -1)`,
		ApplyOpen, ApplyInProgress).Scan(&d.AppliesToHandle); err != nil {
		return nil, err
	}
	if err := q.row(`SELECT COUNT(*) FROM print_jobs WHERE status = ?`, PrintFailed).Scan(&d.PrintFailures); err != nil {
		return nil, err
	}
	return d, nil
}

// Review is a buyer's review of an order line, with the merchant's reply.
type Review struct {
	ID               int64
	OrderGoodsID     int64
	OrderID          int64
	GoodsID          int64
	GoodsName        string
	UserID           int64
	Nick             string
	Reputation       int // 0 bad, 1 neutral, 2 good
	ReputationNumber int // stars
	Remark           string
	Pics             string
	Hidden           bool
	Reply            string
	DateReply        string
	DateAdd          string
}

// ListReviews returns a page of reviews, newest first, and how many there
// are.
func (s *Store) ListReviews(ctx context.Context, page, pageSize int) ([]Review, int, error) {
	q := s.q(ctx)
	var total int
	if err := q.row(`SELECT COUNT(*) FROM reviews`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := q.query(`SELECT r.id, r.order_goods_id, l.order_id, r.goods_id, l.goods_name, r.user_id, u.nick, r.reputation,
		r.reputation_number, r.remark, r.pics, r.hidden, r.reply, r.date_reply, r.date_add
		FROM reviews r JOIN order_goods l ON l.id = r.order_goods_id JOIN users u ON u.id = r.user_id
		ORDER BY r.id DESC LIMIT ? OFFSET ?`, pageSize, (page-1)*pageSize)
	rs, err := scanAll(rows, err, func(r *sql.Rows) (Review, error) {
		var v Review
		var hidden int
		err := r.Scan(&v.ID, &v.OrderGoodsID, &v.OrderID, &v.GoodsID, &v.GoodsName, &v.UserID, &v.Nick, &v.Reputation,
			&v.ReputationNumber, &v.Remark, &v.Pics, &hidden, &v.Reply, &v.DateReply, &v.DateAdd)
		v.Hidden = hidden == 1
		return v, err
	})
	return rs, total, err
}

// HideReview hides a review from buyers, or shows it again.
func (s *Store) HideReview(ctx context.Context, id int64, hidden bool) error {
	n, err := s.w(ctx).update(`UPDATE reviews SET hidden = ? WHERE id = ?`, boolInt(hidden), id)
	if err == nil && n == 0 {
		err = fail(NotFound, "评价不存在 (no review %d)", id)
	}
	return err
}

// ReplyReview records the merchant's reply to a review; "" removes it.
func (s *Store) ReplyReview(ctx context.Context, id int64, reply string) error {
	if err := CheckText("reply", "回复", reply, 500); err != nil {
		return err
	}
	date := ""
	if reply != "" {
		date = s.stamp()
	}
	n, err := s.w(ctx).update(`UPDATE reviews SET reply = ?, date_reply = ? WHERE id = ?`, reply, date, id)
	if err == nil && n == 0 {
		err = fail(NotFound, "评价不存在 (no review %d)", id)
	}
	return err
}

// AllGoods returns every goods, on the shelf or not, with its SKUs.
func (s *Store) AllGoods(ctx context.Context) ([]*GoodsDetail, error) {
	q := s.q(ctx)
	rows, err := q.query(`SELECT id FROM goods ORDER BY id`)
	ids, err := scanAll(rows, err, func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*GoodsDetail, 0, len(ids))
	for _, id := range ids {
		g, err := s.goodsDetail(q, id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// Largest price and stock the console accepts for one SKU.
const (
	maxPrice money.Fen = 10_000_000 // 100,000 yuan
	maxStock           = 1_000_000
)

// UpdateSKU sets the price and the stock of a SKU.
func (s *Store) UpdateSKU(ctx context.Context, skuID int64, price money.Fen, stock int64) error {
	if price <= 0 || price > maxPrice {
		return fail(Invalid, "价格须在 0.01 到 %s 元之间 (price %s)", maxPrice, price)
	}
	if stock < 0 || stock > maxStock {
		return fail(Invalid, "库存须在 0 到 %d 之间 (stock %d)", maxStock, stock)
	}
	n, err := s.w(ctx).update(`UPDATE goods_skus SET price = ?, stock = ? WHERE id = ?`, price, stock, skuID)
	if err == nil && n == 0 {
		err = fail(NotFound, "商品规格不存在 (no SKU %d)", skuID)
	}
	return err
}

// SetOnShelf puts a goods on the shelf or takes it off.
func (s *Store) SetOnShelf(ctx context.Context, goodsID int64, on bool) error {
	status := 1
	if on {
		status = 0
	}
	n, err := s.w(ctx).update(`UPDATE goods SET status = ? WHERE id = ?`, status, goodsID)
	if err == nil && n == 0 {
		err = fail(NotFound, "商品不存在 (no goods %d)", goodsID)
	}
	return err
}

// Buyer returns a user for the merchant, or NotFound.
func (s *Store) Buyer(ctx context.Context, id int64) (*User, error) {
	u, err := s.User(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail(NotFound, "用户不存在 (no user %d)", id)
	}
	return u, err
}
