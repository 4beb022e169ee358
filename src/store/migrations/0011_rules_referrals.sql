-- Issue 20: rules the owner changes in the browser, effective from a date; check-in and
-- referral points.

-- A rule change the owner made for a later day: applied (in order of entry) on the first
-- read of the rules on or after `effective_on` (the shop's local date), then kept as the
-- record of what changed when. `change` is `app::rules::RuleChange` as JSON.
CREATE TABLE rule_changes (
    id           TEXT PRIMARY KEY,
    effective_on TEXT NOT NULL,
    change       TEXT NOT NULL,
    actor        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    applied_at   INTEGER,
    cancelled_at INTEGER
) STRICT;
CREATE INDEX rule_changes_due ON rule_changes (effective_on) WHERE applied_at IS NULL AND cancelled_at IS NULL;

-- Who recommended a customer (asked at registration, by phone).
ALTER TABLE customers ADD COLUMN referred_by TEXT REFERENCES customers(id);

-- A referral's points, once per referred customer: the row is the "once". A void of the
-- visit that earned it takes the points back and removes the row.
CREATE TABLE referral_awards (
    referred_id TEXT PRIMARY KEY REFERENCES customers(id),
    referrer_id TEXT NOT NULL REFERENCES customers(id),
    visit_id    TEXT NOT NULL REFERENCES visits(id),
    points      INTEGER NOT NULL,
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX referral_awards_by_referrer ON referral_awards (referrer_id, at);
CREATE INDEX referral_awards_by_visit ON referral_awards (visit_id);
