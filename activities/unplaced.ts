/**
 * Rows of file sources that no partition can own ("unplaced": their time column is unreadable, or
 * before the pipeline's first partition), and the file catalog (`source_files`) that owns them.
 *
 * Rules (README "Unplaced rows"):
 * - Unplaced rows follow each file's current content: the landing-file catalog (activities/catalog.ts)
 *   replaces a file's unplaced rows whenever it re-scans the file (its content changed), in the same
 *   transaction as its catalog rows, and a file that disappears loses them (the rows it loaded stay
 *   in the target until their partitions run again).
 * - A partition that reads no row while unplaced rows exist fails (`SourceRowsUnplaced`, not
 *   retried) when it had rows loaded before (a re-run must not delete them and say green) or when a
 *   whole file could not be placed (its rows may be this partition's). The target keeps its rows.
 *   An empty partition beside a file with a few bad lines among placed ones is simply empty.
 */
import type { Pool } from '../infra/db';
import { FailureType, nonRetryable } from './errors';

/** One row no partition can own, with the file and line it came from. */
export interface UnplacedRow {
  readonly sourceFile: string;
  readonly lineNo: number;
  readonly record: Record<string, unknown>;
  readonly reason: string;
}

/**
 * The non-retryable failure for a partition that read no row while rows of its pipeline's files
 * could not be placed (see the rules above), or undefined when the partition may go on.
 * `rowsLoadedBefore` is the ledger's count of the partition's last load (kept in the target when
 * this fails). Reads the catalog (`file_catalog`) and `unplaced_records`, which the catalog scan
 * keeps equal to the files' current content.
 */
export async function unplacedRefusal(
  pool: Pick<Pool, 'query'>,
  input: { readonly pipeline: string; readonly partition: string; readonly rowsIn: number; readonly rowsLoadedBefore: number },
) {
  const { rowsIn, rowsLoadedBefore } = input;
  if (rowsIn > 0) return undefined;
  const u = await pool.query<{ n: number; files: string[]; source_file: string | null; line_no: number | null; reason: string | null }>(
    `SELECT (SELECT count(*)::int FROM unplaced_records WHERE pipeline = $1) AS n,
            (SELECT coalesce(array_agg(DISTINCT source_file ORDER BY source_file), '{}') FROM unplaced_records WHERE pipeline = $1) AS files,
            f.source_file, f.line_no, f.reason
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (SELECT source_file, line_no, reason FROM unplaced_records WHERE pipeline = $1 ORDER BY source_file, line_no LIMIT 1) f ON true`,
    [input.pipeline],
  );
  const n = u.rows[0]?.n ?? 0;
  if (n === 0) return undefined;
  const whole = await pool.query<{ file_name: string }>(
    `SELECT file_name FROM file_catalog WHERE pipeline = $1 AND status = 'ok' AND coalesce(row_count, 0) = 0 AND unplaced_count > 0 ORDER BY file_name`,
    [input.pipeline],
  );
  const wholeFiles = whole.rows.map((r) => r.file_name);
  if (rowsLoadedBefore === 0 && wholeFiles.length === 0) return undefined;
  const files = u.rows[0]!.files;
  const first = u.rows[0]!;
  return nonRetryable(
    FailureType.SOURCE_UNPLACED,
    `no source row falls in ${input.pipeline}/${input.partition}, but ${n} row${n === 1 ? '' : 's'} of ${files.slice(0, 5).join(', ')}` +
      `${files.length > 5 ? ` and ${files.length - 5} more files` : ''} could not be placed in any partition ` +
      `(${first.source_file} line ${first.line_no}: ${first.reason})` +
      (wholeFiles.length > 0 ? `; no row of ${wholeFiles.slice(0, 3).join(', ')} could be placed` : '') +
      (rowsLoadedBefore > 0 ? `; the ${rowsLoadedBefore} row${rowsLoadedBefore === 1 ? '' : 's'} loaded before are kept` : '') +
      `. Fix or remove the file(s) and re-run; datapulse quarantine ${input.pipeline} ${input.partition} lists the unplaced rows`,
  );
}

/** Rows of the pipeline's current landing files that no partition can own (`unplaced_records`). */
export async function countUnplaced(pool: Pick<Pool, 'query'>, pipeline: string): Promise<number> {
  const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM unplaced_records WHERE pipeline = $1', [pipeline]);
  return r.rows[0]?.n ?? 0;
}
