-- Data quality check results: one row per (pipeline, partition, check), replaced on every run of
-- the partition's validate step (see core/checks.ts).
CREATE TABLE IF NOT EXISTS check_results (
  pipeline       text             NOT NULL,
  partition_key  text             NOT NULL,
  check_name     text             NOT NULL,
  check_kind     text             NOT NULL,
  severity       text             NOT NULL CHECK (severity IN ('blocking', 'warning')),
  outcome        text             NOT NULL CHECK (outcome IN ('passed', 'failed', 'skipped')),
  value          double precision,
  threshold      text,
  message        text             NOT NULL,
  checked_at     timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, partition_key, check_name)
);
-- `datapulse status` counts the failed ones of a range.
CREATE INDEX IF NOT EXISTS check_results_failed_idx ON check_results (pipeline, partition_key) WHERE outcome = 'failed';
