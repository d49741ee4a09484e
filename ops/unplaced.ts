/**
 * How many source rows of a pipeline no partition can own (`unplaced_records`, written by ingest
 * for file sources: see activities/unplaced.ts). Read-only; shown by `status` and backfill summaries.
 */
import type { Pool } from '../infra/db';

/** Unplaced rows of a pipeline and the number of files they are in. */
export interface UnplacedTotals {
  readonly rows: number;
  readonly files: number;
}

/** Counts a pipeline's unplaced rows; zeros for a schema from before `unplaced_records` existed. */
export async function unplacedTotals(pool: Pool, pipeline: string): Promise<UnplacedTotals> {
  try {
    const { rows } = await pool.query<{ n: number; files: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT source_file)::int AS files FROM unplaced_records WHERE pipeline = $1',
      [pipeline],
    );
    return { rows: rows[0]?.n ?? 0, files: rows[0]?.files ?? 0 };
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return { rows: 0, files: 0 };
    throw err;
  }
}

/** "4 source rows in 1 file could not be placed in any partition (...)": one line, or undefined when none. */
export function unplacedLine(pipeline: string, u: UnplacedTotals): string | undefined {
  if (u.rows === 0) return undefined;
  return (
    `${u.rows} source row${u.rows === 1 ? '' : 's'} in ${u.files} file${u.files === 1 ? '' : 's'} could not be placed in any partition ` +
    `(unreadable or out-of-range time): datapulse quarantine ${pipeline} <partition> lists them`
  );
}
