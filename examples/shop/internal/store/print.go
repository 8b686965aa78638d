package store

import (
	"context"
	"database/sql"
	"time"
)

// PrintJob is a receipt waiting for (or done with) the printer.
type PrintJob struct {
	ID        int64
	OrderID   int64
	Status    int // PrintPending, PrintDone or PrintFailed
	Attempts  int
	LastError string
	DateAdd   string
	DateNext  string
	DateDone  string
}

// Print job statuses.
const (
	PrintPending = 0
	PrintDone    = 1
	PrintFailed  = 2 // given up after too many attempts; "print again" queues a new job
)

// PrintStatusText says what a print job's status means, for the console.
func PrintStatusText(j PrintJob) string {
	switch j.Status {
	case PrintDone:
		return "已打印"
	case PrintFailed:
		return "打印失败"
	}
	if j.Attempts > 0 {
		return "重试中"
	}
	return "等待打印"
}

const printColumns = `id, order_id, status, attempts, last_error, date_add, date_next, date_done`

func scanPrintJob(r interface{ Scan(...any) error }) (PrintJob, error) {
	var j PrintJob
	err := r.Scan(&j.ID, &j.OrderID, &j.Status, &j.Attempts, &j.LastError, &j.DateAdd, &j.DateNext, &j.DateDone)
	return j, err
}

func (s *Store) enqueuePrint(q q, orderID int64) error {
	now := s.stamp()
	_, err := q.exec(`INSERT INTO print_jobs (order_id, date_add, date_next) VALUES (?, ?, ?)`, orderID, now, now)
	return err
}

// Reprint queues another receipt of an order: the merchant's "print
// again".
func (s *Store) Reprint(ctx context.Context, orderID int64) error {
	return s.tx(ctx, func(q q) error {
		if _, err := s.order(q, 0, orderID, false); err != nil {
			return err
		}
		return s.enqueuePrint(q, orderID)
	})
}

// DuePrintJobs returns up to limit pending jobs due at now, oldest first.
func (s *Store) DuePrintJobs(ctx context.Context, now time.Time, limit int) ([]PrintJob, error) {
	rows, err := s.q(ctx).query(`SELECT `+printColumns+` FROM print_jobs WHERE status = ? AND date_next <= ?
		ORDER BY date_next, id LIMIT ?`, PrintPending, stampOf(now), limit)
	return scanAll(rows, err, func(r *sql.Rows) (PrintJob, error) { return scanPrintJob(r) })
}

// NextPrintDue returns when the next pending job is due, or false when
// none is pending.
func (s *Store) NextPrintDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullString
	if err := s.q(ctx).row(`SELECT MIN(date_next) FROM print_jobs WHERE status = ?`, PrintPending).Scan(&next); err != nil {
		return time.Time{}, false, err
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	t, err := ParseStamp(next.String)
	return t, err == nil, err
}

// PrintDelivered records a job's receipt as printed.
func (s *Store) PrintDelivered(ctx context.Context, id int64) error {
	_, err := s.w(ctx).exec(`UPDATE print_jobs SET status = ?, attempts = attempts + 1, last_error = '', date_done = ? WHERE id = ? AND status = ?`,
		PrintDone, s.stamp(), id, PrintPending)
	return err
}

// PrintFailed records a failed attempt: the job is tried again at next,
// or given up (PrintFailed) when giveUp.
func (s *Store) PrintFailed(ctx context.Context, id int64, msg string, next time.Time, giveUp bool) error {
	status := PrintPending
	if giveUp {
		status = PrintFailed
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err := s.w(ctx).exec(`UPDATE print_jobs SET status = ?, attempts = attempts + 1, last_error = ?, date_next = ? WHERE id = ? AND status = ?`,
		status, msg, stampOf(next), id, PrintPending)
	return err
}

// PrintJobs returns the print jobs of an order, oldest first.
func (s *Store) PrintJobs(ctx context.Context, orderID int64) ([]PrintJob, error) {
	rows, err := s.q(ctx).query(`SELECT `+printColumns+` FROM print_jobs WHERE order_id = ? ORDER BY id`, orderID)
	return scanAll(rows, err, func(r *sql.Rows) (PrintJob, error) { return scanPrintJob(r) })
}
