-- Every action taken from the web console (run, backfill, re-run failed, pause/resume): who, what,
-- and how it ended. Written by `datapulse ui` when actions are enabled; never updated.
CREATE TABLE IF NOT EXISTS console_actions (
  id          bigserial   PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text        NOT NULL,
  remote_addr text,
  action      text        NOT NULL,
  pipeline    text,
  target      text,
  params      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  outcome     text        NOT NULL CHECK (outcome IN ('ok', 'error', 'refused')),
  detail      text
);
CREATE INDEX IF NOT EXISTS console_actions_at_idx ON console_actions (at DESC);
