/**
 * The per-partition intermediate tables of a run: `raw` (what ingest read, one JSON document per
 * source row, or the source text of the set-based path: activities/set-based.ts) and `staging`
 * (validated, transformed rows in the target's column types). Each run of a step replaces its table
 * whole (DROP + CREATE in its transaction), so a retried step leaves the same rows as one clean run,
 * and dropping them after a successful load costs nothing however large the partition was (no
 * DELETE, no bloat, no index to maintain).
 *
 * They hold only what can be derived again, so they are UNLOGGED (no write-ahead log: about a
 * quarter of a big partition's time, docs/benchmarks.md). A PostgreSQL crash empties UNLOGGED
 * tables; ingest records the server's start time in the ledger (`intermediates_epoch`) when it
 * writes `raw`, and validate, transform and load treat another start time as IntermediatesLost,
 * on which the partition workflow runs again from ingest (tests/integration/intermediates-crash.test.ts).
 *
 * Names: `dp_raw_<pipeline>_<key digits>` / `dp_stg_<pipeline>_<key digits>`, e.g.
 * `dp_raw_weather_20240501t13`; when that would pass PostgreSQL's 63-byte identifier limit, a
 * sha256 prefix of `pipeline/key` replaces the readable part.
 */
import { createHash } from 'node:crypto';
import { assertIdentifier, ident } from '../core/sql';

/** Which intermediate table of a partition. */
export type IntermediateKind = 'raw' | 'stg';

/** Prefix every intermediate table name starts with (what `datapulse` status and tests look for). */
export const INTERMEDIATE_PREFIX = 'dp_';

/** The unquoted name of a partition's intermediate table. */
export function intermediateName(kind: IntermediateKind, pipeline: string, partition: string): string {
  const readable = `${INTERMEDIATE_PREFIX}${kind}_${pipeline}_${partition.replace(/[^0-9A-Za-z]/g, '').toLowerCase()}`;
  const name = readable.length <= 63 ? readable : `${INTERMEDIATE_PREFIX}${kind}_${createHash('sha256').update(`${pipeline}/${partition}`).digest('hex').slice(0, 32)}`;
  assertIdentifier(name, 'table');
  return name;
}

/** The quoted name of a partition's intermediate table, ready for SQL. */
export function intermediateTable(kind: IntermediateKind, pipeline: string, partition: string): string {
  return ident(intermediateName(kind, pipeline, partition), 'table');
}
