/**
 * Reads a file-based source (`kind: 'csv-files'`, any `format`) for a window: the files the catalog
 * chose (activities/catalog.ts: those whose rows fall in the window, in precedence order), each
 * through its format's reader, keeping the rows whose time column falls in the window. A file known
 * to be sorted by time is read only up to the first row past the window, and a sorted CSV file from
 * the window's first row on (its header bytes, then a seek to the byte the catalog recorded).
 *
 * One placement rule for every format: the time column's value read by `parseTimeValue` (the CSV
 * source's time parser, so every format places rows the same way); a row it cannot read, or dated
 * before the pipeline's first partition, goes to `onUnplaced` with the reason.
 */
import path from 'node:path';
import type { CsvFilesSource, FileFormat } from '../../core/pipeline';
import { parseInstant } from '../../core/time';
import { parseTimeValue, readCsvFilesPlaced, ROW_ERROR_FIELD, type CsvReadContext, type CsvResumePoint } from './csv-files';
import { readJsonFile, readNdjsonFile } from './json-files';
import { readXlsxFile } from './xlsx-files';
import type { PartitionWindowLike, SourceRecord } from './types';

/** The format of a file source. @default "csv" */
export function fileFormat(src: CsvFilesSource): FileFormat {
  return src.format ?? 'csv';
}

/** The names a file source reads in its folder: `filePattern`, else the format's extensions. */
export function filePattern(src: CsvFilesSource): RegExp {
  if (src.filePattern) return src.filePattern;
  switch (fileFormat(src)) {
    case 'json':
      return /\.json$/i;
    case 'ndjson':
      return /\.(ndjson|jsonl)$/i;
    case 'xlsx':
      return /^(?!~\$).*\.xlsx$/i; // not Excel's ~$lock files
    default:
      return /\.csv$/i;
  }
}

/** A window that contains every instant: what a catalog scan reads a whole file with. */
export const WHOLE_TIME: PartitionWindowLike = { key: '*', startMs: -8.64e15, endMs: 8.64e15 };

/** A record with its instant (epoch ms, UTC). */
export interface PlacedRecord extends SourceRecord {
  readonly timeMs: number;
}

/** The value at a record's key, or at a dot path (`meta.ts`) when no key has that exact name. */
export function valueAt(record: Record<string, unknown>, column: string): unknown {
  if (column in record || !column.includes('.')) return record[column];
  let at: unknown = record;
  for (const part of column.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/**
 * The instant every row of an untimed source (no `timeColumn`: an unpartitioned snapshot) is placed
 * at: inside the one window `all`, which covers every instant.
 */
export const UNTIMED_MS = 0;

/** Epoch ms of a record's time column (the single placement rule), or undefined. */
export function recordTime(src: CsvFilesSource, record: Record<string, unknown>): number | undefined {
  // An unpartitioned source has no time column: every row is placed (in its one partition `all`).
  if (src.timeColumn === undefined) return 0;
  return parseTimeValue(valueAt(record, src.timeColumn), { format: src.timeFormat, zone: src.timeZone });
}

/**
 * The rows of one file whose time falls in `window`, with their instant, in file order. Rows that
 * cannot be placed go to `ctx.onUnplaced`. `sorted`: stop at the first row past the window.
 * @throws non-retryable SOURCE_FORMAT (from the format's reader) naming the file and line.
 */
export async function* readFileInWindow(
  src: CsvFilesSource,
  window: PartitionWindowLike,
  ctx: CsvReadContext,
  file: string,
  sorted = false,
  resume?: CsvResumePoint,
): AsyncGenerator<PlacedRecord> {
  const format = fileFormat(src);
  if (format === 'csv') {
    const resumeAt = sorted && resume ? new Map([[file, resume]]) : undefined;
    // The CSV reader placed each row already: its instant comes with it.
    yield* readCsvFilesPlaced(src, window, { ...ctx, files: [file], sortedFiles: sorted ? new Set([file]) : undefined, resume: resumeAt });
    return;
  }
  const full = path.join(ctx.folder, file);
  const records =
    format === 'json' ? readJsonFile(full, file, src.jsonPath) : format === 'ndjson' ? readNdjsonFile(full, file) : readXlsxFile(full, file, src);
  let n = 0;
  for await (const r of records) {
    if (++n % 50_000 === 0) ctx.heartbeat({ file, scanned: n });
    const rowError = r.record[ROW_ERROR_FIELD];
    const raw = src.timeColumn === undefined ? undefined : valueAt(r.record, src.timeColumn);
    // An unpartitioned source has no time column: every readable row is placed at instant 0 (its partition `all`).
    const parsed = rowError !== undefined ? undefined : src.timeColumn === undefined ? undefined : parseInstant(raw, { format: src.timeFormat, zone: src.timeZone });
    const t = rowError === undefined && src.timeColumn === undefined ? 0 : parsed?.ok ? parsed.instant.epochMs : undefined;
    if (t === undefined) {
      const reason = typeof rowError === 'string' ? rowError : `${src.timeColumn}: ${parsed && !parsed.ok ? parsed.reason : 'no time'}`;
      ctx.onUnplaced({ sourceFile: r.sourceFile, lineNo: r.lineNo, record: r.record, reason });
      continue;
    }
    if (ctx.firstPartitionStartMs !== undefined && t < ctx.firstPartitionStartMs) {
      ctx.onUnplaced({
        sourceFile: r.sourceFile,
        lineNo: r.lineNo,
        record: r.record,
        reason: `${src.timeColumn}: ${String(raw)} is before the pipeline's first partition (${new Date(ctx.firstPartitionStartMs).toISOString()})`,
      });
      continue;
    }
    if (t >= window.endMs && sorted) break;
    if (t >= window.startMs && t < window.endMs) yield { ...r, timeMs: t };
  }
}

/** A file to read and whether it is sorted by time (from the catalog). */
export interface FileToRead {
  readonly name: string;
  readonly sortedByTime: boolean;
  /** Rows of the file the catalog placed in this partition. */
  readonly rows?: number;
  /** Set when every row of the file belongs to this partition (none elsewhere, none unplaced): its row count. */
  readonly wholeFileRows?: number;
  /** Sorted CSV files: where the window's rows start (header bytes, then from there). */
  readonly resume?: CsvResumePoint;
}

/** The window's rows of `files`, file after file in the order given (the precedence order). */
export async function* readLandingFiles(
  src: CsvFilesSource,
  window: PartitionWindowLike,
  ctx: CsvReadContext,
  files: readonly FileToRead[],
): AsyncGenerator<SourceRecord> {
  for (const f of files) {
    for await (const r of readFileInWindow(src, window, ctx, f.name, f.sortedByTime, f.resume)) yield { sourceFile: r.sourceFile, lineNo: r.lineNo, record: r.record };
    ctx.heartbeat({ file: f.name });
  }
}
