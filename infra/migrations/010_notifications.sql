-- Notification outbox and ledger (activities/notifications.ts): one row per (channel, key) — for
-- the sport-benefit scheme, one per activity id on channel `sport`. The primary key is the
-- exactly-once guarantee: a key enters once, however often its partition is retried, re-loaded or
-- replayed, and is posted at most once.
--   pending     waiting to be posted (next_attempt_at: not before; Slack down or rate-limited)
--   posting     claimed and committed before the HTTP POST; a drainer that finds one left by a
--               dead drainer (it holds the channel lock, so the other is gone) cannot know whether
--               the POST reached Slack: it becomes in_doubt and is not posted again
--   posted      Slack answered 2xx (posted_at)
--   in_doubt    see posting; listed for an operator (repost by setting it back to pending)
--   suppressed  history (backfill, replay, late data): recorded, never posted
CREATE TABLE IF NOT EXISTS notification_outbox (
  channel          text        NOT NULL,
  key              text        NOT NULL,
  message          text        NOT NULL,
  origin           text        NOT NULL CHECK (origin IN ('live', 'history')),
  status           text        NOT NULL CHECK (status IN ('pending', 'posting', 'posted', 'in_doubt', 'suppressed')),
  -- Where the key came from (pipeline/partition), for operators.
  source           text,
  attempts         integer     NOT NULL DEFAULT 0,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  claimed_at       timestamptz,
  claimed_by       text,
  posted_at        timestamptz,
  PRIMARY KEY (channel, key)
);
-- The drainer's queue: oldest pending first.
CREATE INDEX IF NOT EXISTS notification_outbox_pending_idx ON notification_outbox (channel, created_at, key) WHERE status = 'pending';
