-- Issue 20: packages (套餐), a bundle of services and products at one price with a validity,
-- sold and then redeemed item by item like a course.

-- What the shop offers: the template. Changing it never touches a package already sold (a
-- sale copies its name, price and items).
CREATE TABLE packages (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    price_fen  INTEGER NOT NULL CHECK (price_fen > 0),
    valid_days INTEGER CHECK (valid_days > 0),
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX packages_by_name ON packages (name) WHERE active = 1;

CREATE TABLE package_items (
    package_id TEXT NOT NULL REFERENCES packages(id),
    position   INTEGER NOT NULL,
    service_id TEXT REFERENCES services(id),
    product_id TEXT REFERENCES products(id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    CHECK ((service_id IS NULL) <> (product_id IS NULL)),
    PRIMARY KEY (package_id, position)
) STRICT;

-- A package sold to a customer. Its services become prepaid courses (`package_sale_id`),
-- its products prepaid products; the price is split over them by list price.
CREATE TABLE package_sales (
    id            TEXT PRIMARY KEY,
    package_id    TEXT NOT NULL REFERENCES packages(id),
    customer_id   TEXT NOT NULL REFERENCES customers(id),
    name          TEXT NOT NULL,
    price_fen     INTEGER NOT NULL,
    valid_until   INTEGER,
    sold_visit_id TEXT NOT NULL REFERENCES visits(id),
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX package_sales_by_customer ON package_sales (customer_id);

ALTER TABLE prepaid_courses ADD COLUMN package_sale_id TEXT REFERENCES package_sales(id);

-- A package's product, handed over at a later visit (or several).
CREATE TABLE prepaid_products (
    id              TEXT PRIMARY KEY,
    package_sale_id TEXT NOT NULL REFERENCES package_sales(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    product_id      TEXT NOT NULL REFERENCES products(id),
    quantity_total  INTEGER NOT NULL CHECK (quantity_total > 0),
    price_fen       INTEGER NOT NULL,
    valid_until     INTEGER,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX prepaid_products_by_customer ON prepaid_products (customer_id);

-- Units handed over (-1) or given back by a void (+1): left = total + SUM(delta).
CREATE TABLE prepaid_product_ledger (
    id                 TEXT PRIMARY KEY,
    prepaid_product_id TEXT NOT NULL REFERENCES prepaid_products(id),
    delta              INTEGER NOT NULL,
    visit_id           TEXT REFERENCES visits(id),
    at                 INTEGER NOT NULL
) STRICT;
CREATE INDEX prepaid_product_ledger_by_item ON prepaid_product_ledger (prepaid_product_id);
CREATE INDEX prepaid_product_ledger_by_visit ON prepaid_product_ledger (visit_id);

-- The messages page lists who opted out of marketing: found from the few withdrawals and
-- replies, not by looking at every customer who never consented.
CREATE INDEX consents_withdrawn ON consents (customer_id, at) WHERE kind = 'marketing' AND granted = 0;
CREATE INDEX customers_opted_out ON customers (marketing_opt_out_at) WHERE marketing_opt_out_at IS NOT NULL;
