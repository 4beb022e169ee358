-- 0007: inventory (库存) and feedback (反馈). Products get their brand, spec (规格) and supplier; batches their
-- number and cost; the stock ledger who moved what and why. Materials a service uses come
-- off the stock at checkout. The ledger is append-only: a level is its sum, never edited,
-- and a mistake is corrected by a stock-take adjustment, which the ledger keeps too.
ALTER TABLE products ADD COLUMN brand TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN spec TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN supplier TEXT NOT NULL DEFAULT '';

ALTER TABLE product_batches ADD COLUMN batch_no TEXT NOT NULL DEFAULT '';
ALTER TABLE product_batches ADD COLUMN cost_fen INTEGER;

ALTER TABLE stock_movements ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE stock_movements ADD COLUMN actor TEXT NOT NULL DEFAULT '';
CREATE INDEX stock_movements_by_visit ON stock_movements (visit_id) WHERE visit_id IS NOT NULL;

CREATE TABLE service_materials (
    service_id TEXT NOT NULL REFERENCES services(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (service_id, product_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only'); END;
CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only'); END;

-- Feedback (反馈): a rating per visit at most, from the kiosk or a link relayed through the
-- cloud; and the customer's interaction record (客户互动记录): complaints, notes, calls.
ALTER TABLE feedback ADD COLUMN channel TEXT NOT NULL DEFAULT 'kiosk';
CREATE UNIQUE INDEX feedback_one_per_visit ON feedback (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX feedback_by_time ON feedback (at);

CREATE TABLE customer_interactions (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    kind        TEXT NOT NULL CHECK (kind IN ('complaint', 'note', 'call', 'feedback')),
    text        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX customer_interactions_by_customer ON customer_interactions (customer_id, at);
