#!/bin/sh
# Runs once, when the postgres container initialises its data directory: creates the read-only
# role Grafana's DataPulse data source uses (README "Database role": datapulse_reader). It may read
# every table of schema datapulse, now and later (default privileges of the owner, datapulse),
# and nothing else.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v reader_pw="${READER_DB_PASSWORD:-reader}" <<'SQL'
CREATE ROLE datapulse_reader LOGIN PASSWORD :'reader_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE SCHEMA IF NOT EXISTS datapulse AUTHORIZATION datapulse;
REVOKE ALL ON SCHEMA datapulse FROM PUBLIC;
GRANT CONNECT ON DATABASE datapulse TO datapulse_reader;
GRANT USAGE ON SCHEMA datapulse TO datapulse_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA datapulse TO datapulse_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE datapulse IN SCHEMA datapulse GRANT SELECT ON TABLES TO datapulse_reader;
ALTER ROLE datapulse_reader SET default_transaction_read_only = on;
ALTER ROLE datapulse_reader SET search_path = datapulse;
SQL
