-- 0007: inventory (库存). Products get their brand, spec (规格) and supplier; batches their
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
