-- The back office (issue 19): customer search by pinyin initials and phone tail, staff
-- passwords, browser sessions.

-- 王小美 → 'wxm', written with the name (domain::search::initials); filled for existing
-- customers by the migration's Rust step.
ALTER TABLE customers ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
-- The last four digits of the phone (手机尾号), how front desks ask.
ALTER TABLE customers ADD COLUMN phone_tail TEXT GENERATED ALWAYS AS (substr(phone, -4)) VIRTUAL;
CREATE INDEX customers_by_initials ON customers (name_initials) WHERE deleted_at IS NULL;
CREATE INDEX customers_by_phone_tail ON customers (phone_tail) WHERE deleted_at IS NULL;

-- The owner's back-office password (Argon2id PHC string); wrong passwords count with wrong
-- PINs toward the same lock.
ALTER TABLE staff ADD COLUMN password_hash TEXT;

-- Logged-in browsers. Only the token's SHA-256 is kept; the cookie holds the token.
CREATE TABLE web_sessions (
    token_hash  TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    csrf        TEXT NOT NULL,
    address     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL,
    ended_at    INTEGER
) STRICT;
CREATE INDEX web_sessions_by_staff ON web_sessions (staff_id);

-- Clean-up time after a service (整理/消毒): its beautician and room stay taken this long
-- after the treatment ends; copied onto each appointment when booked.
ALTER TABLE services ADD COLUMN buffer_min INTEGER NOT NULL DEFAULT 0 CHECK (buffer_min >= 0 AND buffer_min <= 240);
ALTER TABLE appointments ADD COLUMN buffer_min INTEGER NOT NULL DEFAULT 0;
-- Several services booked together, back to back (one visit): one group id.
ALTER TABLE appointments ADD COLUMN group_id TEXT;
CREATE INDEX appointments_by_group ON appointments (group_id) WHERE group_id IS NOT NULL;
