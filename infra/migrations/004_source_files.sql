-- The file catalog of file sources: one row per landing file as last scanned in full by an ingest of
-- its pipeline (every ingest of a csv-files pipeline reads every file of its folder). It owns the
-- file's unplaced rows: they are replaced, with this row, whenever the file is scanned in full, and
-- both are removed when the file is no longer in the folder (see activities/unplaced.ts).
CREATE TABLE IF NOT EXISTS source_files (
  pipeline       text        NOT NULL,
  source_file    text        NOT NULL,
  rows_total     integer     NOT NULL,  -- data rows (header and blank lines excluded)
  rows_unplaced  integer     NOT NULL,  -- of which no partition can own (unreadable or too early time)
  min_time       timestamptz,           -- earliest placed row's time, NULL when none placed
  max_time       timestamptz,           -- latest placed row's time
  scanned_at     timestamptz NOT NULL DEFAULT now(),  -- when the scan recorded here started
  PRIMARY KEY (pipeline, source_file)
);
