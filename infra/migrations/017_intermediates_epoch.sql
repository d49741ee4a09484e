-- A partition's intermediate tables are UNLOGGED (cheap to write; a PostgreSQL crash empties them).
-- Ingest records the server's start time (pg_postmaster_start_time()) when it writes them; a later
-- step that finds another start time treats them as lost, and the partition runs again from ingest
-- (activities/intermediates.ts), instead of loading the nothing a crash left.
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS intermediates_epoch timestamptz;
