package store

import (
	"context"
	"database/sql"
	"time"
)

// ExpiredOrders returns the ids of up to limit unpaid orders whose time
// ran out at now, oldest first.
func (s *Store) ExpiredOrders(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.q(ctx).query(`SELECT id FROM orders WHERE status = ? AND date_expire <> '' AND date_expire <= ?
		ORDER BY date_expire, id LIMIT ?`, StatusUnpaid, stampOf(now), limit)
	return scanAll(rows, err, func(r *sql.Rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

// ExpireOrder closes an unpaid order whose time ran out and puts its goods
// back in stock. It reports false, changing nothing, when the order was
// paid or closed meanwhile or has not expired. The caller closes the
// order's open payments at WeChat first, so that none can pay it later.
func (s *Store) ExpireOrder(ctx context.Context, id int64) (bool, error) {
	closed := false
	err := s.change(ctx, 0, id, func(q q, o *Order) error {
		if o.Status != StatusUnpaid || o.DateExpire == "" || o.DateExpire > s.stamp() {
			return nil
		}
		if err := s.closeUnpaid(q, o); err != nil {
			return err
		}
		closed = true
		return nil
	})
	return closed, err
}

// closeUnpaid closes the unpaid order o and restores its stock.
func (s *Store) closeUnpaid(q q, o *Order) error {
	if err := s.setStatus(q, o, StatusClosed, LogClose); err != nil {
		return err
	}
	for _, l := range o.Lines {
		if _, err := q.exec(`UPDATE goods_skus SET stock = stock + ? WHERE id = ?`, l.Number, l.SKUID); err != nil {
			return err
		}
	}
	return nil
}
