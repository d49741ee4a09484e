-- The landing-file catalog (activities/catalog.ts): one row per file a file-based pipeline has seen,
-- filled by parsing the file once per content change. Partitions read only the files whose rows fall
-- in their window (file_partitions), and a changed file makes exactly the partitions it touched stale.
CREATE TABLE IF NOT EXISTS file_catalog (
  pipeline          text        NOT NULL,
  file_name         text        NOT NULL,
  size_bytes        bigint      NOT NULL,
  -- Modification and change times (ns since the epoch) when last looked at: equal size and times
  -- mean the file is not opened again.
  mtime_ns          bigint      NOT NULL,
  ctime_ns          bigint      NOT NULL,
  -- Modification time (ns) when the content last changed: what the precedence rule compares.
  content_mtime_ns  bigint      NOT NULL,
  sha256            text        NOT NULL,
  format            text        NOT NULL,
  -- 'ok': parsed; 'failed': unreadable (error says where); 'missing': gone from the landing folder.
  status            text        NOT NULL CHECK (status IN ('ok', 'failed', 'missing')),
  error             text,
  error_type        text,
  row_count         integer,
  -- Rows whose time could not place them in a partition (recorded in unplaced_records).
  unplaced_count    integer,
  first_time        timestamptz,
  last_time         timestamptz,
  -- Whether the time column never decreases in file order: readers then stop at the window's end.
  sorted_by_time    boolean,
  -- CSV only: byte offset where the first record after the header starts (see file_partitions.first_byte).
  header_end_byte   bigint,
  first_seen        timestamptz NOT NULL DEFAULT now(),
  last_seen         timestamptz NOT NULL DEFAULT now(),
  content_changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, file_name)
);

-- Which partitions a file's rows fall in, with a checksum of those rows: the index a partition's
-- ingest reads its file list from, and what a content change is compared against.
CREATE TABLE IF NOT EXISTS file_partitions (
  pipeline       text    NOT NULL,
  file_name      text    NOT NULL,
  partition_key  text    NOT NULL,
  row_count      integer NOT NULL,
  rows_sha256    text    NOT NULL,
  -- Sorted CSV files: line and byte offset where the partition's first row starts, so a partition
  -- reads the header and then only its own stretch of the file.
  first_line     integer,
  first_byte     bigint,
  PRIMARY KEY (pipeline, partition_key, file_name)
);
CREATE INDEX IF NOT EXISTS file_partitions_file_idx ON file_partitions (pipeline, file_name);

-- Set by the catalog when a file's content changed under a succeeded partition (rows added, removed
-- or changed in its window, or the file disappeared): the partition is stale while this is later
-- than the start of its last run.
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS source_changed_at timestamptz;
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS source_change text;

-- Partitions whose landing files changed and that a file sensor (workflows/sensor.ts) has not
-- started yet. Written by every catalog refresh in the same transaction as the catalog rows; the
-- sensor claims them, starts them (joining running ones), then acknowledges them up to the `seq`
-- it claimed, so a change recorded meanwhile (a higher seq) is never lost.
CREATE SEQUENCE IF NOT EXISTS file_sensor_pending_seq;
CREATE TABLE IF NOT EXISTS file_sensor_pending (
  pipeline       text        NOT NULL,
  partition_key  text        NOT NULL,
  seq            bigint      NOT NULL DEFAULT nextval('file_sensor_pending_seq'),
  reason         text        NOT NULL,
  since          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, partition_key)
);
