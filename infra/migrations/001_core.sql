-- Core tables of DataPulse. Runs inside the DataPulse schema (search_path is set by the runner).

-- One row per (pipeline, partition): the operator's map of what is done, failed or stale.
CREATE TABLE IF NOT EXISTS ledger (
  pipeline           text        NOT NULL,
  partition_key      text        NOT NULL,
  status             text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  rows_in            integer,
  rows_valid         integer,
  rows_quarantined   integer,
  rows_deduplicated  integer,
  rows_loaded        integer,
  source_checksum    text,
  params_hash        text,
  code_version       text,
  workflow_id        text,
  run_id             text,
  started_at         timestamptz,
  finished_at        timestamptz,
  duration_ms        integer,
  failed_step        text,
  error              text,
  error_type         text,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, partition_key)
);
CREATE INDEX IF NOT EXISTS ledger_status_idx ON ledger (pipeline, status);

-- Exactly what the source gave for a partition, one row per source line / array element.
CREATE TABLE IF NOT EXISTS raw_records (
  pipeline       text    NOT NULL,
  partition_key  text    NOT NULL,
  source_file    text    NOT NULL,
  line_no        integer NOT NULL,
  record         jsonb   NOT NULL,
  PRIMARY KEY (pipeline, partition_key, source_file, line_no)
);

-- Rows that passed the pipeline's schema, in their parsed (typed) form.
CREATE TABLE IF NOT EXISTS staging_records (
  pipeline       text    NOT NULL,
  partition_key  text    NOT NULL,
  source_file    text    NOT NULL,
  line_no        integer NOT NULL,
  record         jsonb   NOT NULL,
  PRIMARY KEY (pipeline, partition_key, source_file, line_no)
);

-- Rows that broke the schema, with the first failing field, every reason, and the raw record.
CREATE TABLE IF NOT EXISTS quarantine (
  pipeline       text        NOT NULL,
  partition_key  text        NOT NULL,
  source_file    text        NOT NULL,
  line_no        integer     NOT NULL,
  field          text,
  reason         text        NOT NULL,
  raw_value      text,
  record         jsonb       NOT NULL,
  quarantined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, partition_key, source_file, line_no)
);

-- Output of transform: rows in the target's shape, deduplicated on the target key.
CREATE TABLE IF NOT EXISTS transformed_records (
  pipeline       text    NOT NULL,
  partition_key  text    NOT NULL,
  row_key        text    NOT NULL,
  record         jsonb   NOT NULL,
  PRIMARY KEY (pipeline, partition_key, row_key)
);

-- Rows of a file-based source whose time column cannot place them in any partition. Recorded on
-- every scan (idempotently) so that nothing is dropped without a trace.
CREATE TABLE IF NOT EXISTS unplaced_records (
  pipeline     text        NOT NULL,
  source_file  text        NOT NULL,
  line_no      integer     NOT NULL,
  reason       text        NOT NULL,
  record       jsonb       NOT NULL,
  seen_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, source_file, line_no)
);
