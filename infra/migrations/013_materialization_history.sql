-- Materializations kept per params version (PipelineDefinition.keepHistory): the rows a partition
-- loaded under one set of rules (params_version = infra/fingerprint.ts lineageParamsVersion: the
-- pipeline's params and those of everything it reads). A re-load under the same version replaces
-- that version's rows; another version adds a row. `datapulse diff` (ops/diff.ts) compares two.
CREATE TABLE IF NOT EXISTS materialization_history (
  pipeline        text        NOT NULL,
  partition_key   text        NOT NULL,
  params_version  text        NOT NULL,
  run_id          text,
  loaded_at       timestamptz NOT NULL,
  row_count       integer     NOT NULL,
  -- The target columns of every row, ordered by the target key; numerics stay exact (jsonb numeric).
  rows            jsonb       NOT NULL,
  PRIMARY KEY (pipeline, partition_key, params_version)
);
CREATE INDEX IF NOT EXISTS materialization_history_version_idx ON materialization_history (pipeline, params_version, loaded_at);
