-- 0005: fewer b-trees on the check-in and booking paths; the message outbox the daemon needs.
--
-- 1. A check-in's staff alert no longer goes into the due index.
--
-- Every check-in writes a `staff_arrival` message for the staff group, to be sent at once.
-- It was the fourth of five b-trees a check-in wrote (and fsynced): the entry and its ticket
-- key, the sync event, the message and its due-index entry. The due index serves messages
-- that wait for their time (reminders, quiet hours); an arrival alert never waits.
--
-- Arrival alerts are found by their key instead: `arrival:<queue entry id>`, where the id is
-- a UUIDv7, so the keys sort by time and "alerts since T" is a range of the primary key
-- (`Tx::pending_arrival_alerts`).
-- Architecture Invariant: a `staff_arrival` message's dedupe key is `arrival:` followed by
-- a UUIDv7; every other message is in `notifications_due`.
-- (The index is made with the new table in 3.)

-- 2. A booking wrote five b-trees: the appointment, its time and customer keys, the sync event
-- and the audit row. The customer key only served "this customer's bookings within a day"
-- (the check-in's appointment lookup, the booking's double-booking check), which the time
-- key answers as well once it carries the customer: a day holds a few dozen bookings, read
-- from the index alone.
DROP INDEX appointments_by_customer;
DROP INDEX appointments_by_time;
CREATE INDEX appointments_by_time ON appointments (starts_at, ends_at, customer_id);

-- 3. The message outbox as the daemon sends it (the daemon issue).
--
-- A message is claimed (`sending`) in its own commit before a channel is called, and settled
-- after the answer: `sent`, back to `pending` for a retry later (`not_before` moves on), or
-- `failed` / `dropped` with the reason. A row found `sending` when a daemon starts was cut
-- off between the provider's answer and the local commit: it becomes `unknown`, is shown to
-- staff, and is never sent again by itself (at most one send per key, ever).
-- `audience` says who it is for: a customer (address looked up when sending), the staff
-- group, the owner, or `direct` (the address is in `recipient`). `sent_via` and
-- `provider_ref` record which channel took it and the provider's message id; `recipient`
-- then holds the address used, for the per-number daily cap.
CREATE TABLE notification_outbox_v2 (
    dedupe_key   TEXT PRIMARY KEY,
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('transactional', 'marketing', 'staff')),
    audience     TEXT NOT NULL CHECK (audience IN ('customer', 'staff_group', 'owner', 'direct')),
    customer_id  TEXT REFERENCES customers(id),
    recipient    TEXT,
    template     TEXT NOT NULL,
    params       TEXT NOT NULL,
    not_before   INTEGER NOT NULL,
    not_after    INTEGER,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'dropped', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    sent_via     TEXT,
    provider_ref TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    sent_at      INTEGER
) STRICT, WITHOUT ROWID;

INSERT INTO notification_outbox_v2 (dedupe_key, id, kind, audience, customer_id, recipient, template, params,
    not_before, not_after, status, attempts, last_error, created_at, updated_at, sent_at)
SELECT dedupe_key, id, kind,
    CASE WHEN channel = 'staff_group' THEN 'staff_group' WHEN recipient IS NOT NULL THEN 'direct' ELSE 'customer' END,
    customer_id, recipient, template, params, not_before, not_after, status, attempts, last_error,
    created_at, updated_at, sent_at
FROM notification_outbox;

DROP TABLE notification_outbox;
ALTER TABLE notification_outbox_v2 RENAME TO notification_outbox;

-- Due messages, in time order; arrival alerts are found by key instead (see 1.).
CREATE INDEX notifications_due ON notification_outbox (status, not_before) WHERE template <> 'staff_arrival';
-- What was sent to a number, for the per-number daily cap: written when a message is sent,
-- never by the check-in or booking that queued it.
CREATE INDEX notifications_sent_to ON notification_outbox (recipient, sent_at) WHERE sent_at IS NOT NULL;

-- A customer's WeChat official-account openid, when the customer follows the shop's account
-- (it comes from the cloud); template messages go there first.
ALTER TABLE customers ADD COLUMN wechat_openid TEXT;

-- The daemon's scheduled jobs: when each last ran, for `salonbox jobs list` and so that a
-- restart does not run a job twice for the same due time.
CREATE TABLE job_runs (
    job         TEXT PRIMARY KEY,
    last_due    INTEGER NOT NULL,                   -- the cron time it ran for
    last_run_at INTEGER NOT NULL,
    last_result TEXT NOT NULL                       -- 'ok: …' or 'error: …', shown as is
) STRICT;

-- The daemon's clock guard: the latest time it has seen (a Pi has no real-time clock and may
-- boot into the past); time-based jobs never act on an earlier time.
CREATE TABLE daemon_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- 4. The slot wait list as the daemon works it: which freed slot an entry was offered (the
-- cancelled appointment, the beautician, the time), and how many offers it has had.
ALTER TABLE waitlist_entries ADD COLUMN offered_staff_id TEXT REFERENCES staff(id);
ALTER TABLE waitlist_entries ADD COLUMN freed_by TEXT;
ALTER TABLE waitlist_entries ADD COLUMN offers INTEGER NOT NULL DEFAULT 0;
CREATE INDEX waitlist_by_freed ON waitlist_entries (freed_by) WHERE freed_by IS NOT NULL;
-- Cancelled appointments by when they were cancelled (a booking never writes this index).
CREATE INDEX appointments_cancelled ON appointments (cancelled_at) WHERE status = 'cancelled';
