-- The shop's schema. {{pk}} is the dialect's auto-numbered primary key.
-- Money columns are BIGINT fen; dates are TEXT 'yyyy-MM-dd HH:mm:ss' in
-- Beijing time; flags are INTEGER 0/1 so that both databases read them alike.

CREATE TABLE users (
    id         {{pk}},
    openid     TEXT    NOT NULL UNIQUE,
    nick       TEXT    NOT NULL DEFAULT '',
    mobile     TEXT    NOT NULL DEFAULT '',
    referrer   BIGINT  NOT NULL DEFAULT 0,
    balance    BIGINT  NOT NULL DEFAULT 0,
    consumed   BIGINT  NOT NULL DEFAULT 0,
    score      BIGINT  NOT NULL DEFAULT 0,
    date_add   TEXT    NOT NULL,
    CHECK (balance >= 0)
);

CREATE TABLE tokens (
    token      TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    date_add   TEXT    NOT NULL
);

CREATE TABLE balance_logs (
    id            {{pk}},
    user_id       BIGINT NOT NULL REFERENCES users (id),
    amount        BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    kind          TEXT   NOT NULL,
    ref           TEXT   NOT NULL,
    date_add      TEXT   NOT NULL
);
CREATE INDEX balance_logs_user ON balance_logs (user_id, id);

CREATE TABLE goods (
    id             {{pk}},
    name           TEXT    NOT NULL,
    pic            TEXT    NOT NULL,
    content        TEXT    NOT NULL,
    min_buy        BIGINT  NOT NULL DEFAULT 1,
    need_logistics INTEGER NOT NULL DEFAULT 1,
    after_sale     TEXT    NOT NULL DEFAULT '0,1,2',
    status         INTEGER NOT NULL DEFAULT 0,
    date_add       TEXT    NOT NULL
);

CREATE TABLE goods_properties (
    id       {{pk}},
    goods_id BIGINT NOT NULL REFERENCES goods (id),
    name     TEXT   NOT NULL
);

CREATE TABLE goods_property_children (
    id          {{pk}},
    property_id BIGINT NOT NULL REFERENCES goods_properties (id),
    name        TEXT   NOT NULL
);

-- Every goods has at least one SKU; goods without properties have exactly
-- one, keyed ''. Price and stock live here only.
CREATE TABLE goods_skus (
    id                 {{pk}},
    goods_id           BIGINT NOT NULL REFERENCES goods (id),
    property_child_ids TEXT   NOT NULL,
    price              BIGINT NOT NULL,
    original_price     BIGINT NOT NULL,
    stock              BIGINT NOT NULL,
    UNIQUE (goods_id, property_child_ids),
    CHECK (stock >= 0),
    CHECK (price > 0)
);

CREATE TABLE orders (
    id                {{pk}},
    order_number      TEXT    NOT NULL UNIQUE,
    user_id           BIGINT  NOT NULL REFERENCES users (id),
    status            INTEGER NOT NULL,
    amount            BIGINT  NOT NULL,
    amount_logistics  BIGINT  NOT NULL,
    amount_real       BIGINT  NOT NULL,
    amount_refunded   BIGINT  NOT NULL DEFAULT 0,
    wx_out_trade_no   TEXT    NOT NULL DEFAULT '',
    wx_paid           BIGINT  NOT NULL DEFAULT 0,
    goods_number      BIGINT  NOT NULL,
    remark            TEXT    NOT NULL DEFAULT '',
    peisong_type      TEXT    NOT NULL DEFAULT '',
    is_need_logistics INTEGER NOT NULL,
    is_can_hx         INTEGER NOT NULL,
    hx_number         TEXT    UNIQUE,
    ext_json          TEXT    NOT NULL DEFAULT '',
    link_man          TEXT    NOT NULL DEFAULT '',
    mobile            TEXT    NOT NULL DEFAULT '',
    address           TEXT    NOT NULL DEFAULT '',
    province_id       TEXT    NOT NULL DEFAULT '',
    city_id           TEXT    NOT NULL DEFAULT '',
    district_id       TEXT    NOT NULL DEFAULT '',
    street_id         TEXT    NOT NULL DEFAULT '',
    postcode          TEXT    NOT NULL DEFAULT '',
    shipper_name      TEXT    NOT NULL DEFAULT '',
    tracking_number   TEXT    NOT NULL DEFAULT '',
    deleted           INTEGER NOT NULL DEFAULT 0,
    date_add          TEXT    NOT NULL,
    date_pay          TEXT    NOT NULL DEFAULT '',
    date_update       TEXT    NOT NULL,
    CHECK (amount_refunded <= amount_real)
);
CREATE INDEX orders_user ON orders (user_id, id);

CREATE TABLE order_goods (
    id                 {{pk}},
    order_id           BIGINT NOT NULL REFERENCES orders (id),
    goods_id           BIGINT NOT NULL REFERENCES goods (id),
    sku_id             BIGINT NOT NULL REFERENCES goods_skus (id),
    goods_name         TEXT   NOT NULL,
    pic                TEXT   NOT NULL,
    property_child_ids TEXT   NOT NULL,
    property           TEXT   NOT NULL,
    number             BIGINT NOT NULL,
    amount_single      BIGINT NOT NULL,
    amount             BIGINT NOT NULL,
    after_sale         TEXT   NOT NULL,
    refunded           BIGINT NOT NULL DEFAULT 0,
    CHECK (refunded <= amount)
);
CREATE INDEX order_goods_order ON order_goods (order_id);

CREATE TABLE order_logs (
    id       {{pk}},
    order_id BIGINT  NOT NULL REFERENCES orders (id),
    type     INTEGER NOT NULL,
    date_add TEXT    NOT NULL
);
CREATE INDEX order_logs_order ON order_logs (order_id);

CREATE TABLE reviews (
    id                {{pk}},
    order_goods_id    BIGINT  NOT NULL UNIQUE REFERENCES order_goods (id),
    goods_id          BIGINT  NOT NULL REFERENCES goods (id),
    user_id           BIGINT  NOT NULL REFERENCES users (id),
    reputation        INTEGER NOT NULL,
    reputation_number INTEGER NOT NULL,
    remark            TEXT    NOT NULL,
    pics              TEXT    NOT NULL,
    date_add          TEXT    NOT NULL
);

-- One row per WeChat payment (unified order); order_ids lists the orders
-- its nextAction pays once the money arrives. A notify is applied once:
-- the row (unique by out_trade_no) moves from status 0 to 1 under its lock
-- and records the transaction_id, which a repeated notify must match.
-- transaction_id is not declared unique: real WeChat never repeats one,
-- but an in-process fake started afresh (development mode) may.
CREATE TABLE wx_payments (
    id             {{pk}},
    out_trade_no   TEXT    NOT NULL UNIQUE,
    user_id        BIGINT  NOT NULL REFERENCES users (id),
    money          BIGINT  NOT NULL,
    remark         TEXT    NOT NULL DEFAULT '',
    order_ids      TEXT    NOT NULL DEFAULT '',
    prepay_id      TEXT    NOT NULL DEFAULT '',
    status         INTEGER NOT NULL DEFAULT 0,
    transaction_id TEXT,
    refunded       BIGINT  NOT NULL DEFAULT 0,
    date_add       TEXT    NOT NULL,
    date_pay       TEXT    NOT NULL DEFAULT '',
    CHECK (money > 0),
    CHECK (refunded <= money)
);
CREATE INDEX wx_payments_prepay ON wx_payments (prepay_id);

CREATE TABLE refund_applies (
    id                {{pk}},
    order_id          BIGINT  NOT NULL REFERENCES orders (id),
    order_goods_id    BIGINT  NOT NULL REFERENCES order_goods (id),
    user_id           BIGINT  NOT NULL REFERENCES users (id),
    type              INTEGER NOT NULL,
    logistics_status  INTEGER NOT NULL,
    reason            TEXT    NOT NULL,
    remark            TEXT    NOT NULL,
    pics              TEXT    NOT NULL,
    number            BIGINT  NOT NULL,
    amount            BIGINT  NOT NULL,
    status            INTEGER NOT NULL,
    status2           INTEGER NOT NULL DEFAULT 0,
    logistics_content TEXT    NOT NULL DEFAULT '',
    out_refund_no     TEXT    UNIQUE,
    wx_out_trade_no   TEXT    NOT NULL DEFAULT '',
    wx_amount         BIGINT  NOT NULL DEFAULT 0,
    balance_amount    BIGINT  NOT NULL DEFAULT 0,
    refund_id         TEXT    NOT NULL DEFAULT '',
    refund_status     TEXT    NOT NULL DEFAULT '',
    merchant_remark   TEXT    NOT NULL DEFAULT '',
    date_add          TEXT    NOT NULL,
    date_update       TEXT    NOT NULL
);
CREATE INDEX refund_applies_order ON refund_applies (order_id);
-- At most one open after-sale (applied or in progress) per order line.
CREATE UNIQUE INDEX refund_applies_open ON refund_applies (order_goods_id) WHERE status IN (0, 3);
