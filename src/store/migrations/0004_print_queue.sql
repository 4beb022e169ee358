-- 0004: the print queue, the devices' last known state, member cards.

-- Print jobs: the ESC/POS bytes of a ticket, receipt, report or test page, kept until the
-- printer took them. A printer that is off, out of paper or unplugged never blocks a
-- check-in: the job waits here and the print worker retries it. Jobs print in id order.
CREATE TABLE print_jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('ticket', 'slip', 'receipt', 'report', 'test')),
    ref_id      TEXT,                               -- the queue entry or visit it belongs to
    body        BLOB NOT NULL,                      -- ready to send; holds no identity-card number
    status      TEXT NOT NULL CHECK (status IN ('pending', 'printed', 'expired', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,                            -- a ticket still unprinted by then is dropped
    next_try_at INTEGER NOT NULL,
    printed_at  INTEGER,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX print_jobs_pending ON print_jobs (id) WHERE status = 'pending';

-- What each device last reported, for the staff screen and `salonbox doctor`.
CREATE TABLE device_status (
    device     TEXT PRIMARY KEY,                    -- printer, id_reader, card_reader, buzzer
    ok         INTEGER NOT NULL CHECK (ok IN (0, 1)),
    detail     TEXT NOT NULL,                       -- shown to staff as is
    since      INTEGER NOT NULL,                    -- when it entered this state
    updated_at INTEGER NOT NULL
) STRICT;

-- Member cards (RFID, magnetic) handed out by the shop: the number the reader sends
-- identifies the customer, like the member code printed on the card.
CREATE TABLE member_cards (
    card_no     TEXT PRIMARY KEY,                   -- as the reader sends it, upper-case
    customer_id TEXT NOT NULL REFERENCES customers(id),
    linked_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX member_cards_by_customer ON member_cards (customer_id);
