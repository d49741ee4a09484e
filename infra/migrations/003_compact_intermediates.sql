-- Intermediate rows now live in per-partition tables (dp_raw_<pipeline>_<key>, dp_stg_<pipeline>_<key>),
-- created by each step and dropped once the partition has loaded (see activities/intermediates.ts).
-- The shared JSONB intermediate tables are gone: they held every row of every partition three times.
DROP TABLE IF EXISTS raw_records;
DROP TABLE IF EXISTS staging_records;
DROP TABLE IF EXISTS transformed_records;

-- A checksum of the rows a load wrote (count and an order-independent sum of row hashes): the data
-- version of the partition, which derived datasets compare to decide staleness.
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS data_checksum text;
