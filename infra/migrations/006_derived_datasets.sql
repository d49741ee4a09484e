-- Derived datasets (pipelines reading other pipelines' tables): data versions and consumed inputs.

-- A checksum of a partition's loaded rows, written by load (the integrator's compact load path).
-- Until it is filled, readers take coalesce(data_checksum, source_checksum) as the data version.
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS data_checksum text;

-- Which upstream partitions (and which of their loads) a derived partition consumed: one row per
-- upstream partition read. Replaced as a whole each time the partition's source is read. The
-- operator's lineage ("what fed this", "what did this feed") and the input of staleness.
CREATE TABLE IF NOT EXISTS partition_inputs (
  pipeline           text        NOT NULL,
  partition_key      text        NOT NULL,
  input_name         text        NOT NULL,
  upstream_pipeline  text        NOT NULL,
  upstream_key       text        NOT NULL,
  -- The upstream load that was read: its run id and data version at the time.
  upstream_run_id    text,
  upstream_version   text,
  upstream_loaded_at timestamptz,
  consumed_run_id    text,
  consumed_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, partition_key, input_name, upstream_pipeline, upstream_key)
);
-- "What did this feed?" and staleness propagation walk the edges from the upstream side.
CREATE INDEX IF NOT EXISTS partition_inputs_upstream_idx ON partition_inputs (upstream_pipeline, upstream_key);
