-- Daily totals beside the two money ledgers (stored value, points), kept by the database
-- itself: a report's opening balance is the sum of the days before it plus the few rows of
-- its first day, not a scan of every row ever written. `day` is the UTC day number
-- (`at / 86 400 000`); a range that does not start or end on a UTC midnight reads its
-- partial days from the ledger rows (indexed by time).
--
-- The ledgers are append-only (never updated or deleted), which the triggers below now
-- enforce, so the totals stay equal to the rows' sums.

CREATE TABLE stored_value_days (
    day           INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    principal_fen INTEGER NOT NULL,
    bonus_fen     INTEGER NOT NULL,
    PRIMARY KEY (day, reason)
) STRICT, WITHOUT ROWID;

CREATE TABLE points_days (
    day    INTEGER NOT NULL,
    reason TEXT NOT NULL,
    delta  INTEGER NOT NULL,
    PRIMARY KEY (day, reason)
) STRICT, WITHOUT ROWID;

INSERT INTO stored_value_days (day, reason, principal_fen, bonus_fen)
    SELECT at / 86400000, reason, SUM(principal_delta_fen), SUM(bonus_delta_fen)
    FROM stored_value_ledger GROUP BY 1, 2;

INSERT INTO points_days (day, reason, delta)
    SELECT at / 86400000, reason, SUM(delta) FROM points_ledger GROUP BY 1, 2;

CREATE TRIGGER stored_value_days_add AFTER INSERT ON stored_value_ledger
BEGIN
    INSERT INTO stored_value_days (day, reason, principal_fen, bonus_fen)
        VALUES (NEW.at / 86400000, NEW.reason, NEW.principal_delta_fen, NEW.bonus_delta_fen)
        ON CONFLICT (day, reason) DO UPDATE SET principal_fen = principal_fen + excluded.principal_fen,
                                                bonus_fen = bonus_fen + excluded.bonus_fen;
END;

CREATE TRIGGER points_days_add AFTER INSERT ON points_ledger
BEGIN
    INSERT INTO points_days (day, reason, delta)
        VALUES (NEW.at / 86400000, NEW.reason, NEW.delta)
        ON CONFLICT (day, reason) DO UPDATE SET delta = delta + excluded.delta;
END;

-- The lots that expire, by when: a report and the daily expiry job look for the lots expiring
-- after the last recorded expiry (a few days' worth), not through the whole ledgers.
CREATE INDEX points_by_expiry ON points_ledger (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX stored_value_by_expiry ON stored_value_ledger (expires_at) WHERE expires_at IS NOT NULL;

CREATE TRIGGER stored_value_ledger_no_update BEFORE UPDATE ON stored_value_ledger
BEGIN SELECT RAISE(ABORT, 'the stored-value ledger is append-only'); END;
CREATE TRIGGER stored_value_ledger_no_delete BEFORE DELETE ON stored_value_ledger
BEGIN SELECT RAISE(ABORT, 'the stored-value ledger is append-only'); END;
CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger
BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only'); END;
CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger
BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only'); END;
