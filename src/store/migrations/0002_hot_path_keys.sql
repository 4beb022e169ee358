-- 0002: fewer and better keys on the check-in and booking paths.
--
-- 1. The sync outbox keeps one b-tree instead of three.
--
-- Every check-in, booking and change writes one event. With AUTOINCREMENT each of them
-- also rewrote the sqlite_sequence row, and the partial "pending" index was a third page
-- per event: two of the seven pages a check-in wrote to the WAL (and fsynced).
--
-- seq is now the rowid. It stays strictly increasing (spec/cloud-sync-v1.md) because the
-- event with the highest seq is never deleted: SQLite numbers a new row max(rowid) + 1.
-- Architecture Invariant: a purge of the sync outbox keeps the row with the highest seq.
-- If an older database had already lost its highest events, a marker row keeps its counter.
--
-- The sender finds pending events from `sync_state.push_floor` (the lowest seq that may
-- still be pending) along the rowid, instead of through an index.

CREATE TABLE sync_outbox_v2 (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL,
    type          TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'rejected')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    reject_reason TEXT,
    created_at    INTEGER NOT NULL,
    delivered_at  INTEGER
) STRICT;

INSERT INTO sync_outbox_v2 (seq, id, type, occurred_at, payload, status, attempts, reject_reason, created_at, delivered_at)
SELECT seq, id, type, occurred_at, payload, status, attempts, reject_reason, created_at, delivered_at FROM sync_outbox;

INSERT INTO sync_outbox_v2 (seq, id, type, occurred_at, payload, status, created_at)
SELECT s.seq, 'seq-marker', 'internal.seq_marker', '', '{}', 'delivered', 0
FROM sqlite_sequence s
WHERE s.name = 'sync_outbox' AND s.seq > (SELECT COALESCE(MAX(seq), 0) FROM sync_outbox);

DROP TABLE sync_outbox;
ALTER TABLE sync_outbox_v2 RENAME TO sync_outbox;

-- 2. Overlap scans (a day back from the slot) test each appointment's end in the time index
-- itself; only an overlapping appointment is looked up in the table.
DROP INDEX appointments_by_time;
CREATE INDEX appointments_by_time ON appointments (starts_at, ends_at);
