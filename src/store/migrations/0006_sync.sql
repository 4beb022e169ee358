-- 0006: cloud sync (spec/cloud-sync-v1.md).
--
-- 1. Changes from the cloud that could not be applied (a reference to an entity the shop
--    does not know, a payload without a needed field) are kept for a person to see, as
--    rejected events are: `salonbox sync rejected`.
CREATE TABLE sync_skipped_changes (
    change_id TEXT NOT NULL,
    type      TEXT NOT NULL,
    version   INTEGER,
    reason    TEXT NOT NULL,
    payload   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (change_id, type)
) STRICT;

-- 2. Delivery reports of relayed messages come back through pull (`message.status`).
ALTER TABLE notification_outbox ADD COLUMN delivered_at INTEGER;

-- 3. `coupon.issued` is a change the cloud sends down, not an event type the shop pushes
--    (v1 lists none for coupons but `coupon.redeemed`). Events of that type queued by an
--    earlier version are set aside with the reason instead of being refused one by one.
UPDATE sync_outbox SET status = 'rejected',
    reject_reason = '不是 v1 的事件类型，未发送 / not a v1 event type: kept, not sent'
WHERE type = 'coupon.issued' AND status = 'pending';
