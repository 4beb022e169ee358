-- Sends whose outcome is not known (issue 17). Before a channel is tried, the message
-- records which one (`attempt_via`) and when (`attempt_at`), in its own commit: a row found
-- `sending` at start-up without `attempt_via` never reached a channel and simply goes back
-- to `pending`; one with it is `unknown`, like a send whose answer was lost.
-- An `unknown` row is resolved, never guessed: while `check_after` is set the daemon asks
-- the provider at that time (`checks` looks so far); a row with `check_after` NULL waits for
-- a person (shown on the kiosk's staff page and by `salonbox notify list`).
ALTER TABLE notification_outbox ADD COLUMN attempt_via TEXT;
ALTER TABLE notification_outbox ADD COLUMN attempt_at INTEGER;
ALTER TABLE notification_outbox ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notification_outbox ADD COLUMN check_after INTEGER;
CREATE INDEX notifications_unknown ON notification_outbox (check_after) WHERE status = 'unknown';
