package store

import (
	"context"
	"database/sql"
	"sync"
)

// fifo is a semaphore of cap places granted in arrival order, one place
// per connection of the writers' pool. Left to database/sql, requests
// waiting for a connection are served in random order (and on SQLite, to
// its busy handler, by polling with sleeps), so under load an unlucky
// order waits many turns: that was the p99 blow-up at 64 concurrent
// buyers. Queued here, every writer waits its turn and no longer, and
// never waits inside database/sql.
type fifo struct {
	mu   sync.Mutex
	cap  int
	busy int
	q    []chan struct{}
}

// lock takes the lock, or gives up when ctx is done.
func (f *fifo) lock(ctx context.Context) error {
	f.mu.Lock()
	if f.busy < f.cap {
		f.busy++
		f.mu.Unlock()
		return nil
	}
	c := make(chan struct{})
	f.q = append(f.q, c)
	f.mu.Unlock()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		for i, w := range f.q {
			if w == c {
				f.q = append(f.q[:i], f.q[i+1:]...)
				f.mu.Unlock()
				return ctx.Err()
			}
		}
		f.mu.Unlock()
		// Handed over just as ctx ended: pass it on.
		f.unlock()
		return ctx.Err()
	}
}

// unlock hands the place to the longest waiter.
func (f *fifo) unlock() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.q) == 0 {
		f.busy--
		return
	}
	c := f.q[0]
	f.q = f.q[1:]
	close(c)
}

// lockedDB runs each statement on db under the writers' lock.
type lockedDB struct {
	db *sql.DB
	f  *fifo
}

func (l lockedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := l.f.lock(ctx); err != nil {
		return nil, err
	}
	defer l.f.unlock()
	return l.db.ExecContext(ctx, query, args...)
}

// QueryContext and QueryRowContext pass through: w is for writes, and
// reads go to the read pool.
func (l lockedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return l.db.QueryContext(ctx, query, args...)
}

func (l lockedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return l.db.QueryRowContext(ctx, query, args...)
}
