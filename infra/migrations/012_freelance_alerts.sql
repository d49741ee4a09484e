-- Freelance platform alerts (ops/freelance-alerts.ts): every occurrence alerted once. One row per
-- occurrence ever alerted: an overdue invoice (`overdue`, key = invoice id) or a month whose pool
-- occupancy left the band (`occupancy`, key = `YYYY-MM:low|high`). The primary key is the dedupe:
-- an evaluation inserts the occurrences it finds with ON CONFLICT DO NOTHING, and only the rows it
-- inserted go into the alert it enqueues (notification_outbox, channel `alerts`), in the same
-- transaction — so re-running an evaluation, or running two at once, alerts nothing twice.
CREATE TABLE IF NOT EXISTS freelance_alert_keys (
  kind        text        NOT NULL CHECK (kind IN ('overdue', 'occupancy')),
  key         text        NOT NULL,
  alert_key   text        NOT NULL,
  detail      text        NOT NULL,
  alerted_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (kind, key)
);
