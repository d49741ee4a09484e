/**
 * Rows of file sources that no partition can own ("unplaced": their time column is unreadable, or
 * before the pipeline's first partition), and the file catalog (`source_files`) that owns them.
 *
 * Rules (README "Unplaced rows"):
 * - Unplaced rows follow each file's current content. Every ingest of a csv-files pipeline reads
 *   every file of its folder to the end; after such a read, each file's catalog row and unplaced
 *   rows are replaced by what was found, and files no longer in the folder lose both (the rows they
 *   loaded stay in the target until their partitions run again).
 * - A partition that reads no row while unplaced rows exist fails (`SourceRowsUnplaced`, not
 *   retried) when it had rows loaded before (a re-run must not delete them and say green) or when a
 *   whole file could not be placed (its rows may be this partition's). The target keeps its rows.
 *   An empty partition beside a file with a few bad lines among placed ones is simply empty.
 */
import type { Pool } from '../infra/db';
import { withTransaction } from '../infra/db';
import { FailureType, nonRetryable } from './errors';
import type { FileScan } from './sources/csv-files';

/** One row no partition can own, with the file and line it came from. */
export interface UnplacedRow {
  readonly sourceFile: string;
  readonly lineNo: number;
  readonly record: Record<string, unknown>;
  readonly reason: string;
}

/**
 * Replaces the catalog rows and unplaced rows of every file in `scans` (files read to their end),
 * and removes both for the pipeline's files not in `scans` (no longer in the folder). `scans` must
 * be every file of the folder, read from `scanStartedMs` (epoch ms) on. One transaction, serialized
 * per pipeline: concurrent partitions scan the same files, and a scan that started before the one
 * already recorded is not written over it (the newest look at the folder wins).
 * @returns false when a newer scan was already recorded (nothing written).
 */
export async function recordFileScans(
  pool: Pool,
  pipeline: string,
  scanStartedMs: number,
  scans: readonly FileScan[],
  unplaced: readonly UnplacedRow[],
): Promise<boolean> {
  const files = scans.map((s) => s.file);
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`datapulse-unplaced:${pipeline}`]);
    const newer = await client.query('SELECT 1 FROM source_files WHERE pipeline = $1 AND scanned_at > to_timestamp($2 / 1000.0) LIMIT 1', [pipeline, scanStartedMs]);
    if (newer.rowCount) return false;
    // Every file of the folder was just read in full: whatever was recorded before is replaced.
    await client.query('DELETE FROM unplaced_records WHERE pipeline = $1', [pipeline]);
    await client.query('DELETE FROM source_files WHERE pipeline = $1 AND NOT (source_file = ANY($2::text[]))', [pipeline, files]);
    if (scans.length > 0) {
      await client.query(
        `INSERT INTO source_files (pipeline, source_file, rows_total, rows_unplaced, min_time, max_time, scanned_at)
         SELECT $1, s.file, s.rows, s.unplaced, to_timestamp(s.min_ms / 1000.0), to_timestamp(s.max_ms / 1000.0), to_timestamp($3 / 1000.0)
           FROM jsonb_to_recordset($2::jsonb) AS s(file text, rows int, unplaced int, min_ms double precision, max_ms double precision)
         ON CONFLICT (pipeline, source_file) DO UPDATE SET rows_total = EXCLUDED.rows_total, rows_unplaced = EXCLUDED.rows_unplaced,
           min_time = EXCLUDED.min_time, max_time = EXCLUDED.max_time, scanned_at = EXCLUDED.scanned_at`,
        [pipeline, JSON.stringify(scans.map((s) => ({ file: s.file, rows: s.rows, unplaced: s.unplaced, min_ms: s.minTimeMs ?? null, max_ms: s.maxTimeMs ?? null }))), scanStartedMs],
      );
    }
    for (let i = 0; i < unplaced.length; i += 500) {
      const chunk = unplaced.slice(i, i + 500);
      await client.query(
        `INSERT INTO unplaced_records (pipeline, source_file, line_no, reason, record)
         SELECT $1, u.source_file, u.line_no, u.reason, u.record
           FROM jsonb_to_recordset($2::jsonb) AS u(source_file text, line_no int, reason text, record jsonb)
         ON CONFLICT (pipeline, source_file, line_no) DO UPDATE SET reason = EXCLUDED.reason, record = EXCLUDED.record, seen_at = now()`,
        [pipeline, JSON.stringify(chunk.map((r) => ({ source_file: r.sourceFile, line_no: r.lineNo, reason: r.reason, record: r.record })))],
      );
    }
    return true;
  });
}

/**
 * The non-retryable failure for a partition that read no row while rows could not be placed (see
 * the rules above), or undefined when the partition may go on. `rowsLoadedBefore` is the ledger's
 * count of the partition's last load (kept in the target when this fails).
 */
export function unplacedRefusal(input: {
  readonly pipeline: string;
  readonly partition: string;
  readonly rowsIn: number;
  readonly rowsLoadedBefore: number;
  readonly scans: readonly FileScan[];
  readonly unplaced: readonly UnplacedRow[];
}) {
  const { rowsIn, rowsLoadedBefore, scans, unplaced } = input;
  if (rowsIn > 0 || unplaced.length === 0) return undefined;
  const wholeFiles = scans.filter((s) => s.rows > 0 && s.unplaced === s.rows).map((s) => s.file);
  if (rowsLoadedBefore === 0 && wholeFiles.length === 0) return undefined;
  const files = [...new Set(unplaced.map((u) => u.sourceFile))];
  const first = unplaced[0]!;
  const n = unplaced.length;
  return nonRetryable(
    FailureType.SOURCE_UNPLACED,
    `no source row falls in ${input.pipeline}/${input.partition}, but ${n} row${n === 1 ? '' : 's'} of ${files.slice(0, 5).join(', ')}` +
      `${files.length > 5 ? ` and ${files.length - 5} more files` : ''} could not be placed in any partition ` +
      `(${first.sourceFile} line ${first.lineNo}: ${first.reason})` +
      (wholeFiles.length > 0 ? `; no row of ${wholeFiles.slice(0, 3).join(', ')} could be placed` : '') +
      (rowsLoadedBefore > 0 ? `; the ${rowsLoadedBefore} row${rowsLoadedBefore === 1 ? '' : 's'} loaded before are kept` : '') +
      `. Fix or remove the file(s) and re-run; datapulse quarantine ${input.pipeline} ${input.partition} lists the unplaced rows`,
  );
}
