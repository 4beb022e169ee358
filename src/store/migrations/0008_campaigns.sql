-- 0008: campaigns (营销活动). A campaign keeps its definition as given; its members are the
-- customers it chose when it started, each in the campaign group or the hold-out group
-- (left out at random, to measure what the campaign changed), with the coupon it issued
-- and the message it queued. The birthday and win-back jobs record theirs the same way.
CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL DEFAULT 'campaign' CHECK (kind IN ('campaign', 'job')),
    definition  TEXT NOT NULL,                     -- JSON of the definition
    status      TEXT NOT NULL CHECK (status IN ('draft', 'running', 'ended')),
    ends_at     INTEGER,                           -- the end of its last day
    created_at  INTEGER NOT NULL,
    started_at  INTEGER
) STRICT;

CREATE TABLE campaign_members (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    grp         TEXT NOT NULL CHECK (grp IN ('target', 'holdout')),
    coupon_id   TEXT REFERENCES coupons(id),
    message_key TEXT,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
) STRICT, WITHOUT ROWID;
