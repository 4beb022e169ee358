-- 0003: the rules of membership and checkout that 0001 left to settings.

-- Points earned per yuan paid, by category; '*' for every other category.
CREATE TABLE points_earn_rules (
    category TEXT PRIMARY KEY,
    per_yuan TEXT NOT NULL                          -- decimal
) STRICT;
INSERT INTO points_earn_rules (category, per_yuan) VALUES ('*', '1');

-- Commission rates by service or by category (percent of what the line cost); without a
-- rule, the staff member's own rate (staff.service_commission_pct / product_commission_pct).
CREATE TABLE commission_rules (
    key      TEXT PRIMARY KEY,                      -- 'service:<id>' or 'category:<name>'
    rate_pct TEXT NOT NULL                          -- decimal
) STRICT;

-- Scalar rules, with their defaults:
--   points.value            yuan one point is worth when redeemed
--   points.expire_days      days an earned point lives (0: never expires)
--   stored_value.cap        the most one card may hold (empty: no cap)
--   stored_value.bonus_expire_days  days a top-up's or rebate's bonus lives (empty: never;
--                           the principal never expires)
--   tier.review_on          MM-DD: the day tiers are reviewed and may go down
INSERT OR IGNORE INTO settings (key, value) VALUES
    ('points.value', '0.01'),
    ('points.expire_days', '365'),
    ('stored_value.cap', ''),
    ('stored_value.bonus_expire_days', ''),
    ('tier.review_on', '01-01');

-- A rebate credited as points or stored value points at its ledger row.
CREATE INDEX rebates_by_visit ON rebates (visit_id);
CREATE INDEX coupon_redemptions_by_visit ON coupon_redemptions (visit_id);
CREATE INDEX commissions_by_visit ON commissions (visit_id);
CREATE INDEX course_sessions_by_visit ON course_session_ledger (visit_id);
CREATE INDEX points_by_visit ON points_ledger (visit_id);
CREATE INDEX stored_value_by_visit ON stored_value_ledger (visit_id);
-- reports sum the ledgers over a time range
CREATE INDEX points_by_time ON points_ledger (at);
CREATE INDEX stored_value_by_time ON stored_value_ledger (at);

-- A visit is reversed at most once (the reversal is a visit with negative amounts).
CREATE UNIQUE INDEX visits_by_voided ON visits (voids_visit_id) WHERE voids_visit_id IS NOT NULL;
CREATE INDEX products_by_name ON products (name);

-- What a visit was: a checkout, a top-up, a course sale or a card refund (a reversal has
-- the kind of what it reverses). Reports count checkouts without looking at the items.
ALTER TABLE visits ADD COLUMN kind TEXT NOT NULL DEFAULT 'checkout'
    CHECK (kind IN ('checkout', 'topup', 'course_sale', 'refund'));
-- Per-customer visit questions (rhythm, first visit, gone quiet) are answered from the index.
DROP INDEX visits_by_customer;
CREATE INDEX visits_by_customer ON visits (customer_id, at, kind, status, voids_visit_id);
-- A month of items and payments is read from the index alone.
DROP INDEX visit_items_by_visit;
CREATE INDEX visit_items_by_visit ON visit_items (visit_id, kind, service_id, product_id, quantity, amount_fen);
DROP INDEX payments_by_visit;
CREATE INDEX payments_by_visit ON payments (visit_id, method, amount_fen);
