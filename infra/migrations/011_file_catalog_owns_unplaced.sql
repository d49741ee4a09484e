-- The landing-file catalog (008, file_catalog) now owns what source_files (004) recorded: each file's
-- row count, unplaced count and time range, and its unplaced rows (replaced on every re-scan of the
-- file, removed when it disappears). source_files is no longer written.
DROP TABLE IF EXISTS source_files;
