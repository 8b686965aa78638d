-- The merchant console, orders that expire, payments that reconcile,
-- printing, and tokens stored hashed.

-- When an unpaid order closes by itself ('' for orders of before this
-- migration, which never expire).
ALTER TABLE orders ADD COLUMN date_expire TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_unpaid ON orders (status, date_expire);

-- wx_payments.status: 0 open, 1 paid, 2 closed (at WeChat, or never
-- reached it). date_expire is the time_expire sent to WeChat; checked is
-- when the reconciliation loop last asked WeChat about it.
ALTER TABLE wx_payments ADD COLUMN date_expire TEXT NOT NULL DEFAULT '';
ALTER TABLE wx_payments ADD COLUMN date_checked TEXT NOT NULL DEFAULT '';
CREATE INDEX wx_payments_open ON wx_payments (status, date_add);

-- refund_accepted: WeChat answered the refund request with SUCCESS (so
-- the refund exists there and the application can no longer be refused).
-- refund_error: WeChat's (or the SDK's) last word on a refused request.
ALTER TABLE refund_applies ADD COLUMN refund_accepted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refund_applies ADD COLUMN refund_error TEXT NOT NULL DEFAULT '';
ALTER TABLE refund_applies ADD COLUMN date_checked TEXT NOT NULL DEFAULT '';
CREATE INDEX refund_applies_status ON refund_applies (status, date_update);

-- Buyer tokens, stored as the hex SHA-256 of the token: a copy of the
-- database logs nobody in. The old plain tokens are hashed into it by
-- the migration's Go step and dropped.
CREATE TABLE user_tokens (
    token_hash  TEXT   PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    date_add    TEXT   NOT NULL,
    date_expire TEXT   NOT NULL
);
CREATE INDEX user_tokens_expire ON user_tokens (date_expire);

-- Sessions of the merchant console, by the hex SHA-256 of the cookie.
CREATE TABLE admin_sessions (
    token_hash  TEXT PRIMARY KEY,
    date_add    TEXT NOT NULL,
    date_expire TEXT NOT NULL
);

-- The merchant's answers to reviews, and reviews hidden from buyers.
ALTER TABLE reviews ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reviews ADD COLUMN reply TEXT NOT NULL DEFAULT '';
ALTER TABLE reviews ADD COLUMN date_reply TEXT NOT NULL DEFAULT '';

-- The receipt printer's queue: one row per receipt to deliver, written in
-- the transaction that paid the order, so a receipt is never lost to a
-- crash. status 0 pending, 1 printed, 2 given up.
CREATE TABLE print_jobs (
    id          {{pk}},
    order_id    BIGINT  NOT NULL REFERENCES orders (id),
    status      INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    date_add    TEXT    NOT NULL,
    date_next   TEXT    NOT NULL,
    date_done   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX print_jobs_due ON print_jobs (status, date_next);
CREATE INDEX print_jobs_order ON print_jobs (order_id);
