/**
 * The landing-file catalog: one `file_catalog` row per file of a file-based pipeline (size,
 * modification time, sha256, format, rows, first and last time, sorted or not, status, first and last
 * seen) and one `file_partitions` row per (file, partition its rows fall in) with a checksum of those
 * rows. A file is parsed once per content change to fill them; partitions then read only the files
 * whose rows fall in their window (`filesForPartition`).
 *
 * Rules (README "Landing files"):
 * - **Change detection**: a file whose size and modification time match its row is not opened. Else
 *   its sha256 is computed; the same content as recorded changes nothing (not even the modification
 *   time the precedence rule uses); other content is parsed again.
 * - **Staleness**: a content change compares the file's per-partition checksums before and after and
 *   marks exactly the partitions whose rows differ (present before, after, or both) in the ledger
 *   (`source_changed_at`, `source_change`): a partition whose last run started earlier is stale. A
 *   new file marks the partitions it has rows for. The first scan of a pipeline (empty catalog)
 *   marks nothing: partitions loaded before the catalog existed read those same files.
 * - **Disappearance**: a file no longer in the folder gets status `missing` (its row stays, with
 *   `last_seen`), its partitions are marked stale ("file X disappeared"), and its file_partitions rows
 *   are removed: the partitions keep their loaded rows until re-run, and a re-run reads the files
 *   that remain. A file that comes back is scanned as new content.
 * - **Unreadable files**: status `failed` with the error (file and line). Partitions whose rows the
 *   file held before keep pointing at it and fail naming it; a file never read successfully has no
 *   known range, so every partition of the pipeline fails naming it until it is fixed or removed.
 * - **Precedence**: `filesForPartition` orders files by modification time (at their last content
 *   change), then by name in byte order; rows are read in that order and the last row of a key wins
 *   (transform's dedupe), so the most recently modified file wins, ties going to the name later in
 *   byte order — independent of collation and of how the OS lists the folder.
 *
 * - **Sensor hand-off**: every refresh also records the partitions it touched in
 *   `file_sensor_pending` (same transaction), which a file sensor claims, starts and acknowledges
 *   (`claimPending`, `ackPending`): a change is never lost between two polls, whoever scanned it.
 *
 * Scans of one pipeline are serialised by a PostgreSQL advisory lock (many partitions start at once).
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool, PoolClient } from '../infra/db';
import { keyForTime, keyToStartMs } from '../core/partition';
import type { CsvFilesSource, PipelineDefinition } from '../core/pipeline';
import { FailureType, nonRetryable } from './errors';
import { scanPlainCsv } from './catalog-plain-scan';
import { fileFormat, filePattern, readFileInWindow, WHOLE_TIME, type FileToRead } from './sources/landing-files';

/** A row no partition can own, found while scanning (see unplaced_records). */
export interface UnplacedRow {
  readonly sourceFile: string;
  readonly lineNo: number;
  readonly record: Record<string, unknown>;
  readonly reason: string;
}

/** What a refresh found, by file name and partition key. */
export interface CatalogChanges {
  /** Files seen for the first time (or back after disappearing). */
  readonly added: string[];
  /** Files whose content changed. */
  readonly changed: string[];
  /** Files gone from the folder since the last refresh. */
  readonly missing: string[];
  /** Files that could not be read (status failed). */
  readonly failed: string[];
  /** Files unchanged (by size and time, or by checksum). */
  readonly unchanged: number;
  /** Partitions whose rows changed (added, changed, missing files), sorted. */
  readonly touched: string[];
}

/** How refreshCatalog reports progress and unplaced rows. */
export interface RefreshOptions {
  readonly heartbeat?: (details?: unknown) => void;
  /** Receives the rows of re-scanned files that no partition can own (the scan owns them: issue 16). */
  readonly onUnplaced?: (rows: readonly UnplacedRow[], file: string) => Promise<void> | void;
  /** A partition about to read the refreshed catalog: not marked stale by this refresh. */
  readonly exceptPartition?: string;
}

interface CatalogRow {
  file_name: string;
  size_bytes: string;
  mtime_ns: string;
  ctime_ns: string;
  sha256: string;
  status: 'ok' | 'failed' | 'missing';
}

/** The folder a file-based pipeline reads: `<landingDir>/<pipeline>`. */
export function landingFolder(landingDir: string, pipeline: string): string {
  return path.join(landingDir, pipeline);
}

/**
 * Brings the pipeline's catalog up to date with its landing folder (rules in the module comment)
 * and returns what changed. Idempotent: a second call with nothing changed on disk opens no file.
 * @throws non-retryable CONFIG when the folder does not exist; I/O errors other than a bad file
 *   (EIO, EACCES) are thrown as they are, to be retried.
 */
export async function refreshCatalog(pool: Pool, def: PipelineDefinition, folder: string, opts: RefreshOptions = {}): Promise<CatalogChanges> {
  if (def.source.kind !== 'csv-files') throw new Error(`pipeline ${def.name} has no landing files`);
  const src = def.source;
  const names = await listLandingFiles(src, folder);
  const unchanged = await quickCheck(pool, def.name, folder, names);
  if (unchanged !== undefined) return { added: [], changed: [], missing: [], failed: [], unchanged, touched: [] };
  const lockClient = await pool.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', ['datapulse-catalog', def.name]);
    const known = new Map(
      (
        await lockClient.query<CatalogRow>('SELECT file_name, size_bytes, mtime_ns, ctime_ns, sha256, status FROM file_catalog WHERE pipeline = $1', [def.name])
      ).rows.map((r) => [r.file_name, r]),
    );
    const changes = { added: [] as string[], changed: [] as string[], missing: [] as string[], failed: [] as string[], unchanged: 0, touched: [] as string[] };
    const touched = new Set<string>();
    const firstScan = known.size === 0;
    for (const name of names) {
      const full = path.join(folder, name);
      let st;
      try {
        st = await stat(full, { bigint: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // gone since the listing: next refresh sees it missing
        throw err;
      }
      if (!st.isFile()) continue;
      const size = Number(st.size);
      const mtimeNs = st.mtimeNs.toString();
      const ctimeNs = st.ctimeNs.toString();
      const row = known.get(name);
      known.delete(name);
      if (row && row.status !== 'missing' && Number(row.size_bytes) === size && row.mtime_ns === mtimeNs && row.ctime_ns === ctimeNs) {
        await lockClient.query('UPDATE file_catalog SET last_seen = now() WHERE pipeline = $1 AND file_name = $2', [def.name, name]);
        changes.unchanged++;
        continue;
      }
      const sha256 = await sha256Of(full);
      if (row && row.status !== 'missing' && row.sha256 === sha256) {
        // Same content re-dropped (or touched): nothing changes, not even the precedence time
        // (content_mtime_ns); the times are kept so that the fast path above applies next time.
        await lockClient.query('UPDATE file_catalog SET mtime_ns = $3, ctime_ns = $4, last_seen = now() WHERE pipeline = $1 AND file_name = $2', [
          def.name,
          name,
          mtimeNs,
          ctimeNs,
        ]);
        changes.unchanged++;
        continue;
      }
      opts.heartbeat?.({ scanning: name });
      const fresh = !row || row.status === 'missing';
      const scan = await scanFile(def, src, folder, name, opts.heartbeat);
      await withClientTransaction(lockClient, async () => {
        const before = new Map(
          (
            await lockClient.query<{ partition_key: string; rows_sha256: string }>(
              'SELECT partition_key, rows_sha256 FROM file_partitions WHERE pipeline = $1 AND file_name = $2',
              [def.name, name],
            )
          ).rows.map((r) => [r.partition_key, r.rows_sha256]),
        );
        const fileTouched: string[] = [];
        // Unplaced rows follow the file's current content (issue 16): replaced with what this scan found.
        await lockClient.query('DELETE FROM unplaced_records WHERE pipeline = $1 AND source_file = $2', [def.name, name]);
        if (scan.ok) await recordUnplacedRows(lockClient, def.name, scan.unplaced);
        if (scan.ok) {
          for (const [key, p] of scan.partitions) if (before.get(key) !== p.sha256) fileTouched.push(key);
          for (const key of before.keys()) if (!scan.partitions.has(key)) fileTouched.push(key);
          await lockClient.query('DELETE FROM file_partitions WHERE pipeline = $1 AND file_name = $2', [def.name, name]);
          const parts = [...scan.partitions].map(([key, p]) => ({ k: key, n: p.rows, h: p.sha256, l: p.firstLine ?? null, b: p.firstByte ?? null }));
          for (let i = 0; i < parts.length; i += 5000) {
            await lockClient.query(
              `INSERT INTO file_partitions (pipeline, file_name, partition_key, row_count, rows_sha256, first_line, first_byte)
               SELECT $1, $2, p.k, p.n, p.h, p.l, p.b FROM jsonb_to_recordset($3::jsonb) AS p(k text, n int, h text, l int, b bigint)`,
              [def.name, name, JSON.stringify(parts.slice(i, i + 5000))],
            );
          }
        } else {
          // Unreadable: the partitions it fed keep pointing at it (and fail naming it).
          fileTouched.push(...before.keys());
        }
        await lockClient.query(
          `INSERT INTO file_catalog (pipeline, file_name, size_bytes, mtime_ns, ctime_ns, content_mtime_ns, sha256, format, status, error, error_type, row_count,
                                     unplaced_count, first_time, last_time, sorted_by_time, header_end_byte, first_seen, last_seen, content_changed_at)
           VALUES ($1, $2, $3, $4, $15, $4, $5, $6, $7, $8, $9, $10, $11, to_timestamp($12 / 1000.0), to_timestamp($13 / 1000.0), $14, $16, now(), now(), now())
           ON CONFLICT (pipeline, file_name) DO UPDATE SET
             size_bytes = EXCLUDED.size_bytes, mtime_ns = EXCLUDED.mtime_ns, ctime_ns = EXCLUDED.ctime_ns, content_mtime_ns = EXCLUDED.content_mtime_ns, sha256 = EXCLUDED.sha256, format = EXCLUDED.format,
             status = EXCLUDED.status, error = EXCLUDED.error, error_type = EXCLUDED.error_type, row_count = EXCLUDED.row_count,
             unplaced_count = EXCLUDED.unplaced_count, first_time = EXCLUDED.first_time, last_time = EXCLUDED.last_time,
             sorted_by_time = EXCLUDED.sorted_by_time, header_end_byte = EXCLUDED.header_end_byte, last_seen = now(), content_changed_at = now()`,
          [
            def.name,
            name,
            size,
            mtimeNs,
            sha256,
            fileFormat(src),
            scan.ok ? 'ok' : 'failed',
            scan.ok ? null : scan.error.message.slice(0, 4000),
            scan.ok ? null : scan.error.type,
            scan.ok ? scan.rows : null,
            scan.ok ? scan.unplaced.length : null,
            scan.ok ? scan.firstMs ?? null : null,
            scan.ok ? scan.lastMs ?? null : null,
            scan.ok ? scan.sorted : null,
            ctimeNs,
            scan.ok ? scan.headerEnd ?? null : null,
          ],
        );
        const marked = fileTouched.filter((k) => k !== opts.exceptPartition);
        const why = `${name} ${fresh ? 'added' : scan.ok ? 'changed' : 'unreadable'}`;
        if (!firstScan) await markSourceChanged(lockClient, def.name, marked, why);
        await addPending(lockClient, def.name, marked, why);
        for (const k of fileTouched) touched.add(k);
      });
      if (scan.ok && scan.unplaced.length > 0) await opts.onUnplaced?.(scan.unplaced, name);
      if (!scan.ok) changes.failed.push(name);
      else (fresh ? changes.added : changes.changed).push(name);
    }
    // Files in the catalog that are no longer in the folder.
    for (const row of known.values()) {
      if (row.status === 'missing') continue;
      await withClientTransaction(lockClient, async () => {
        const gone = await lockClient.query<{ partition_key: string }>(
          'DELETE FROM file_partitions WHERE pipeline = $1 AND file_name = $2 RETURNING partition_key',
          [def.name, row.file_name],
        );
        await lockClient.query(`UPDATE file_catalog SET status = 'missing' WHERE pipeline = $1 AND file_name = $2`, [def.name, row.file_name]);
        // A file that is gone no longer holds unplaced rows (the rows it loaded stay until their partitions run again).
        await lockClient.query('DELETE FROM unplaced_records WHERE pipeline = $1 AND source_file = $2', [def.name, row.file_name]);
        const keys = gone.rows.map((r) => r.partition_key);
        const marked = keys.filter((k) => k !== opts.exceptPartition);
        await markSourceChanged(lockClient, def.name, marked, `${row.file_name} disappeared`);
        await addPending(lockClient, def.name, marked, `${row.file_name} disappeared`);
        for (const k of keys) touched.add(k);
      });
      changes.missing.push(row.file_name);
    }
    changes.touched.push(...[...touched].sort());
    return changes;
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', ['datapulse-catalog', def.name]).catch(() => undefined);
    lockClient.release();
  }
}

/** How often `last_seen` of unchanged files is brought forward by the lock-free check (ms). */
const LAST_SEEN_EVERY_MS = 10_000;

/**
 * The lock-free common case: every file of the folder is in the catalog with the same size and
 * times, and no catalogued file has gone. Returns the number of files (unchanged), or undefined
 * when something may have changed (then the locked refresh looks closer).
 */
async function quickCheck(pool: Pool, pipeline: string, folder: string, names: readonly string[]): Promise<number | undefined> {
  const { rows } = await pool.query<CatalogRow & { stale_seen: boolean }>(
    `SELECT file_name, size_bytes, mtime_ns, ctime_ns, sha256, status, last_seen < now() - $2 * interval '1 millisecond' AS stale_seen
       FROM file_catalog WHERE pipeline = $1 AND status <> 'missing'`,
    [pipeline, LAST_SEEN_EVERY_MS],
  );
  if (rows.length !== names.length) return undefined;
  const known = new Map(rows.map((r) => [r.file_name, r]));
  for (const name of names) {
    const row = known.get(name);
    if (!row) return undefined;
    let st;
    try {
      st = await stat(path.join(folder, name), { bigint: true });
    } catch {
      return undefined;
    }
    if (Number(row.size_bytes) !== Number(st.size) || row.mtime_ns !== st.mtimeNs.toString() || row.ctime_ns !== st.ctimeNs.toString()) return undefined;
  }
  if (rows.some((r) => r.stale_seen)) {
    await pool.query(`UPDATE file_catalog SET last_seen = now() WHERE pipeline = $1 AND status <> 'missing'`, [pipeline]);
  }
  return names.length;
}

/**
 * The files a partition reads, in precedence order (oldest modification time first, then name in
 * byte order: the last file read wins a duplicated key).
 * @throws non-retryable (the file's recorded error type, SOURCE_FORMAT by default) when a file that
 *   may hold the partition's rows is unreadable: one that fed it before, or one never read at all.
 */
export async function filesForPartition(pool: Pool, pipeline: string, partition: string): Promise<FileToRead[]> {
  const failed = await pool.query<{ file_name: string; error: string | null; error_type: string | null }>(
    `SELECT c.file_name, c.error, c.error_type FROM file_catalog c
      WHERE c.pipeline = $1 AND c.status = 'failed'
        AND (EXISTS (SELECT 1 FROM file_partitions p WHERE p.pipeline = c.pipeline AND p.file_name = c.file_name AND p.partition_key = $2)
             OR NOT EXISTS (SELECT 1 FROM file_partitions p WHERE p.pipeline = c.pipeline AND p.file_name = c.file_name))
      ORDER BY c.file_name COLLATE "C" LIMIT 1`,
    [pipeline, partition],
  );
  const bad = failed.rows[0];
  if (bad) {
    throw nonRetryable((bad.error_type as FailureType | null) ?? FailureType.SOURCE_FORMAT, bad.error ?? `${bad.file_name}: unreadable`);
  }
  const { rows } = await pool.query<{
    file_name: string;
    sorted_by_time: boolean | null;
    header_end_byte: string | null;
    first_byte: string | null;
    first_line: number | null;
    whole: boolean;
    row_count: number;
  }>(
    `SELECT c.file_name, c.sorted_by_time, c.header_end_byte, p.first_byte, p.first_line, p.row_count,
            (coalesce(c.unplaced_count, 0) = 0 AND NOT EXISTS (SELECT 1 FROM file_partitions o
              WHERE o.pipeline = p.pipeline AND o.file_name = p.file_name AND o.partition_key <> p.partition_key)) AS whole
       FROM file_partitions p
       JOIN file_catalog c ON c.pipeline = p.pipeline AND c.file_name = p.file_name
      WHERE p.pipeline = $1 AND p.partition_key = $2 AND c.status = 'ok'
      ORDER BY c.content_mtime_ns, c.file_name COLLATE "C"`,
    [pipeline, partition],
  );
  return rows.map((r) => ({
    name: r.file_name,
    sortedByTime: r.sorted_by_time === true,
    rows: r.row_count,
    ...(r.whole ? { wholeFileRows: r.row_count } : {}),
    ...(r.sorted_by_time && r.header_end_byte !== null && r.first_byte !== null && r.first_line !== null
      ? { resume: { headerEnd: Number(r.header_end_byte), byte: Number(r.first_byte), line: r.first_line } }
      : {}),
  }));
}

/** The file names of the folder the source reads, sorted in byte order. */
export async function listLandingFiles(src: CsvFilesSource, folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw nonRetryable(FailureType.CONFIG, `landing folder ${folder} does not exist (set LANDING_DIR or drop files there)`);
    }
    throw err;
  }
  const pattern = filePattern(src);
  return names.filter((n) => pattern.test(n)).sort(byteOrder);
}

/** Compares two strings by their UTF-8 bytes (the precedence rule's tie-break, whatever the locale). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** What scanning one file found. */
type ScanResult =
  | {
      ok: true;
      rows: number;
      firstMs?: number;
      lastMs?: number;
      sorted: boolean;
      partitions: Map<string, { rows: number; sha256: string; firstLine?: number; firstByte?: number }>;
      unplaced: UnplacedRow[];
      /** Sorted CSV: byte where the first record after the header starts. */
      headerEnd?: number;
    }
  | { ok: false; error: { message: string; type: string } };

/**
 * Reads a whole file once: row count, first and last time, whether time never decreases, and per
 * partition the rows' count and sha256 (over line number and record, in file order).
 */
async function scanFile(
  def: PipelineDefinition,
  src: CsvFilesSource,
  folder: string,
  name: string,
  heartbeat?: (d?: unknown) => void,
): Promise<ScanResult> {
  // Plain CSV (no quotes, clean UTF-8): read on its bytes; anything else, or unusual, below.
  const plain = await scanPlainCsv(def, src, path.join(folder, name), heartbeat);
  if (plain) return { ok: true, ...plain, unplaced: [] };
  const unplaced: UnplacedRow[] = [];
  const hashes = new Map<string, { n: number; h: Hash; pending: string; firstLine: number }>();
  let firstRecordLine = Infinity;
  let rows = 0;
  let firstMs: number | undefined;
  let lastMs: number | undefined;
  let prev = -Infinity;
  let sorted = true;
  try {
    const it = readFileInWindow(src, WHOLE_TIME, {
      folder,
      heartbeat: (d) => heartbeat?.(d),
      onUnplaced: (r) => {
        unplaced.push(r);
        firstRecordLine = Math.min(firstRecordLine, r.lineNo);
      },
      firstPartitionStartMs: keyToStartMs(def.partitioning.granularity, def.partitioning.start),
    }, name);
    for await (const r of it) {
      rows++;
      const t = r.timeMs;
      if (t < prev) sorted = false;
      prev = t;
      if (firstMs === undefined || t < firstMs) firstMs = t;
      if (lastMs === undefined || t > lastMs) lastMs = t;
      const key = keyForTime(def.partitioning.granularity, t);
      firstRecordLine = Math.min(firstRecordLine, r.lineNo);
      let e = hashes.get(key);
      if (!e) hashes.set(key, (e = { n: 0, h: createHash('sha256'), pending: '', firstLine: r.lineNo }));
      e.n++;
      // Batched: sha256 of the concatenation, one native call per ~64 KiB instead of per row.
      e.pending += `${r.lineNo}\t${JSON.stringify(r.record)}\n`;
      if (e.pending.length >= 65_536) {
        e.h.update(e.pending);
        e.pending = '';
      }
    }
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable) return { ok: false, error: { message: err.message, type: err.type ?? FailureType.SOURCE_FORMAT } };
    throw err;
  }
  // Sorted CSV files: where each partition's stretch starts, so that reading it skips the rest.
  let offsets: Map<number, number> | undefined;
  if (sorted && fileFormat(src) === 'csv' && Number.isFinite(firstRecordLine)) {
    offsets = await lineStartOffsets(path.join(folder, name), [firstRecordLine, ...[...hashes.values()].map((e) => e.firstLine)]);
  }
  const partitions = new Map(
    [...hashes].map(([k, e]) => [
      k,
      { rows: e.n, sha256: e.h.update(e.pending).digest('hex'), firstLine: offsets ? e.firstLine : undefined, firstByte: offsets?.get(e.firstLine) },
    ]),
  );
  return { ok: true, rows, firstMs, lastMs, sorted, partitions, unplaced, headerEnd: offsets?.get(firstRecordLine) };
}

/**
 * Byte offsets where the given 1-based lines start, counting line breaks as the CSV reader does
 * (CRLF, LF and a lone CR each end a line).
 */
export async function lineStartOffsets(file: string, lines: readonly number[]): Promise<Map<number, number>> {
  const wanted = new Set(lines);
  const last = Math.max(0, ...lines);
  const out = new Map<number, number>();
  if (wanted.has(1)) out.set(1, 0);
  let line = 1;
  let pos = 0;
  let prevCr = false;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let k = 0; k < chunk.length; k++, pos++) {
      const b = chunk[k];
      if (prevCr) {
        prevCr = false;
        if (b === 0x0a) {
          // CRLF: the line started after the LF, not after the CR.
          if (out.has(line)) out.set(line, pos + 1);
          continue;
        }
      }
      if (line > last) return out;
      if (b === 0x0a || b === 0x0d) {
        line++;
        if (wanted.has(line)) out.set(line, pos + 1);
        prevCr = b === 0x0d;
      }
    }
  }
  return out;
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

/**
 * Marks partitions' ledger rows as fed by changed source content from now on; a succeeded partition
 * whose last run started before that is stale (see core/plan.ts).
 */
async function markSourceChanged(client: PoolClient, pipeline: string, keys: readonly string[], why: string): Promise<void> {
  if (keys.length === 0) return;
  await client.query(
    `UPDATE ledger SET source_changed_at = clock_timestamp(), source_change = $3
      WHERE pipeline = $1 AND partition_key = ANY($2::text[])`,
    [pipeline, keys, why.slice(0, 500)],
  );
}

/**
 * Records rows no partition can own in `unplaced_records` (idempotent per file and line). Called by
 * the catalog scan, which owns these rows: a re-scanned file's unplaced rows are replaced in the
 * transaction that replaces its catalog rows, and a file that disappears loses them.
 */
export async function recordUnplacedRows(pool: Pick<Pool, 'query'>, pipeline: string, rows: readonly UnplacedRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await pool.query(
      `INSERT INTO unplaced_records (pipeline, source_file, line_no, reason, record)
       SELECT $1, u.source_file, u.line_no, u.reason, u.record
         FROM jsonb_to_recordset($2::jsonb) AS u(source_file text, line_no int, reason text, record jsonb)
       ON CONFLICT (pipeline, source_file, line_no) DO UPDATE SET reason = EXCLUDED.reason, record = EXCLUDED.record, seen_at = now()`,
      [pipeline, JSON.stringify(chunk.map((r) => ({ source_file: r.sourceFile, line_no: r.lineNo, reason: r.reason, record: r.record })))],
    );
  }
}

/** Records partitions for the file sensor to start (a later change of a pending key bumps its seq). */
async function addPending(client: PoolClient, pipeline: string, keys: readonly string[], why: string): Promise<void> {
  if (keys.length === 0) return;
  await client.query(
    `INSERT INTO file_sensor_pending (pipeline, partition_key, reason)
     SELECT $1, k, $3 FROM unnest($2::text[]) AS k
     ON CONFLICT (pipeline, partition_key) DO UPDATE SET seq = nextval('file_sensor_pending_seq'), reason = EXCLUDED.reason, since = now()`,
    [pipeline, keys, why.slice(0, 500)],
  );
}

/** Partitions a file sensor should start, oldest change first, and the seq to acknowledge them up to. */
export interface PendingPartitions {
  readonly keys: string[];
  /** Highest seq among `keys`; acknowledge with it. */
  readonly upToSeq: string;
  /** More pending partitions than `limit`. */
  readonly more: boolean;
}

/** Up to `limit` pending partitions of a pipeline (file_sensor_pending), without removing them. */
export async function claimPending(pool: Pool, pipeline: string, limit: number): Promise<PendingPartitions> {
  const { rows } = await pool.query<{ partition_key: string; seq: string }>(
    'SELECT partition_key, seq::text AS seq FROM file_sensor_pending WHERE pipeline = $1 ORDER BY seq LIMIT $2',
    [pipeline, limit + 1],
  );
  const taken = rows.slice(0, limit);
  return { keys: taken.map((r) => r.partition_key), upToSeq: taken.reduce((m, r) => (BigInt(r.seq) > BigInt(m) ? r.seq : m), '0'), more: rows.length > limit };
}

/**
 * Removes acknowledged pending partitions: those of `keys` whose seq is at most `upToSeq` (a change
 * recorded after the claim keeps its row). Idempotent.
 */
export async function ackPending(pool: Pool, pipeline: string, keys: readonly string[], upToSeq: string): Promise<number> {
  if (keys.length === 0) return 0;
  const r = await pool.query('DELETE FROM file_sensor_pending WHERE pipeline = $1 AND partition_key = ANY($2::text[]) AND seq <= $3::bigint', [pipeline, keys, upToSeq]);
  return r.rowCount ?? 0;
}

async function withClientTransaction<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
