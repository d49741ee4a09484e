/**
 * Reads a `csv-files` source: every matching file in the pipeline's landing folder, streamed, keeping
 * the rows whose time column falls in the partition window. Rows that no partition can own (their
 * time is missing or unreadable) are reported through `onUnplaced`, never dropped silently.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, pipeline } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { CsvFilesSource, PartitionWindowLike, SourceRecord } from './types';
import { FailureType, nonRetryable } from '../errors';
import { parseInstant, type TimeParseOptions } from '../../core/time';

export interface CsvReadContext {
  readonly folder: string;
  readonly heartbeat: (details?: unknown) => void;
  readonly onUnplaced: (row: { sourceFile: string; lineNo: number; record: Record<string, unknown>; reason: string }) => void;
  /** Start of the pipeline's first partition: rows before it belong to no partition and are reported. */
  readonly firstPartitionStartMs?: number;
  /** Called once per file after it was read to its end without error (see FileScan). */
  readonly onFileScanned?: (scan: FileScan) => void;
  /**
   * The files to read, in this order (the file catalog's choice: only those whose rows overlap the
   * window, in precedence order). @default every matching file of the folder, by name
   */
  readonly files?: readonly string[];
  /** Names of files known to be sorted by time: their reading stops at the first row past the window. */
  readonly sortedFiles?: ReadonlySet<string>;
  /**
   * Where to start reading a file (from the catalog, for sorted files): its header bytes
   * `[0, headerEnd)`, then from byte `byte`, whose first record is on line `line`.
   */
  readonly resume?: ReadonlyMap<string, CsvResumePoint>;
}

/** What one full read of a landing file found: the file catalog's row (activities/unplaced.ts). */
export interface FileScan {
  readonly file: string;
  /** Data rows (header and blank lines excluded). */
  readonly rows: number;
  /** Rows reported through `onUnplaced`. */
  readonly unplaced: number;
  /** Epoch ms of the earliest / latest placed row; undefined when no row was placed. */
  readonly minTimeMs?: number;
  readonly maxTimeMs?: number;
}

/** A point to resume reading a CSV file at (see CsvReadContext.resume). */
export interface CsvResumePoint {
  readonly headerEnd: number;
  readonly byte: number;
  readonly line: number;
}

/** The file's bytes, or its header bytes followed by the bytes from a resume point. */
function fileBytes(full: string, resume: CsvResumePoint | undefined): NodeJS.ReadableStream {
  if (!resume || resume.byte <= resume.headerEnd) return createReadStream(full);
  return Readable.from(
    (async function* () {
      if (resume.headerEnd > 0) yield* createReadStream(full, { start: 0, end: resume.headerEnd - 1 });
      yield* createReadStream(full, { start: resume.byte });
    })(),
  );
}

/** Marker field set on a row whose field count does not match the header; validation quarantines it. */
export const ROW_ERROR_FIELD = '__dp_row_error';

/**
 * Epoch ms of a time value as core/time.ts reads it (ISO 8601, PostgreSQL's forms; zone-less = UTC
 * unless `opts.zone`); undefined when it cannot be read. Kept for callers that only place rows.
 */
export function parseTimeValue(value: unknown, opts: TimeParseOptions = {}): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const r = parseInstant(value, opts);
  return r.ok ? r.instant.epochMs : undefined;
}

export async function listSourceFiles(src: CsvFilesSource, folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw nonRetryable(FailureType.CONFIG, `landing folder ${folder} does not exist (set LANDING_DIR or drop files there)`);
    }
    throw err;
  }
  const pattern = src.filePattern ?? /\.csv$/i;
  const files: string[] = [];
  for (const n of names.sort()) {
    if (!pattern.test(n)) continue;
    if ((await stat(path.join(folder, n))).isFile()) files.push(n);
  }
  return files;
}

export async function* readCsvFiles(src: CsvFilesSource, window: PartitionWindowLike, ctx: CsvReadContext): AsyncGenerator<SourceRecord> {
  const files = ctx.files ?? (await listSourceFiles(src, ctx.folder));
  for (const file of files) {
    yield* readOneFile(src, window, ctx, file);
    ctx.heartbeat({ file });
  }
}

async function* readOneFile(src: CsvFilesSource, window: PartitionWindowLike, ctx: CsvReadContext, file: string): AsyncGenerator<SourceRecord> {
  let header: string[] | undefined;
  const timeOpts: TimeParseOptions = { format: src.timeFormat, zone: src.timeZone };
  // Line where the next record's raw text starts, advanced as csv-parse finishes each record (in
  // on_record, synchronously, so it is exact even when the parser fails before the consumer has
  // read the records it buffered). Counted from the raw text rather than taken from csv-parse's
  // info.lines, which counts a quoted CRLF as two lines and, for an unclosed quote, names the end.
  let cursor = 1;
  const startLines: number[] = [];
  const resume = ctx.resume?.get(file);
  let headerSeen = false;
  const parser = parse({
    bom: true,
    delimiter: src.delimiter ?? ',',
    // Explicit, so a file mixing CRLF and LF (or using lone CR) is split on every line end instead of
    // only on the kind its first line uses.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    raw: true,
    max_record_size: 16 * 1024 * 1024,
    on_record: (record, info) => {
      const raw = (info as { raw?: string }).raw ?? '';
      startLines.push(cursor + countLineBreaks(/^[\r\n]*/.exec(raw)?.[0] ?? ''));
      cursor += countLineBreaks(raw);
      // After the header, a resumed read continues at the catalog's line (see fileBytes).
      if (!headerSeen) {
        headerSeen = true;
        if (resume && resume.byte > resume.headerEnd) cursor = resume.line;
      }
      return record;
    },
  });
  // pipeline (not .pipe) so a read error or an encoding failure reaches the parser's iterator.
  pipeline(fileBytes(path.join(ctx.folder, file), resume), textGuard(file), parser, () => undefined);
  let scanned = 0;
  let rows = 0;
  let unplaced = 0;
  let minTimeMs: number | undefined;
  let maxTimeMs: number | undefined;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      const { record: fields } = item;
      const lineNo = startLines.shift() ?? cursor;
      if (!header) {
        header = fields.map((h) => h.trim());
        const missing = src.requiredColumns.filter((c) => !header!.includes(c));
        if (missing.length > 0) {
          throw nonRetryable(
            FailureType.SOURCE_FORMAT,
            `${file} line ${lineNo}: missing column(s) ${missing.join(', ')}; header is ${JSON.stringify(header.join(src.delimiter ?? ','))}` +
              (header.length === 1 && /[;\t|]/.test(header[0] ?? '') ? ` (delimiter is "${src.delimiter ?? ','}": is the file using another one?)` : ''),
          );
        }
        if (header.includes(ROW_ERROR_FIELD)) {
          throw nonRetryable(FailureType.SOURCE_FORMAT, `${file} line ${lineNo}: column ${ROW_ERROR_FIELD} is reserved by DataPulse`);
        }
        // Two columns of one name would silently let the later one win: ambiguous, so refuse it.
        const twice = src.requiredColumns.filter((c) => header!.indexOf(c) !== header!.lastIndexOf(c));
        if (twice.length > 0) {
          throw nonRetryable(FailureType.SOURCE_FORMAT, `${file} line ${lineNo}: column(s) ${twice.join(', ')} appear more than once in the header`);
        }
        continue;
      }
      rows++;
      const record: Record<string, unknown> = {};
      header.forEach((h, i) => (record[h] = fields[i] ?? null));
      if (fields.length !== header.length) record[ROW_ERROR_FIELD] = `expected ${header.length} fields, found ${fields.length}`;
      // An untimed source (unpartitioned snapshot) places every row at the epoch, inside `all`.
      const parsed = src.timeColumn ? parseInstant(record[src.timeColumn], timeOpts) : ({ ok: true, instant: { epochMs: 0 } } as const);
      if (!parsed.ok) {
        unplaced++;
        ctx.onUnplaced({ sourceFile: file, lineNo, record, reason: `${src.timeColumn}: ${parsed.reason}` });
        continue;
      }
      const t = parsed.instant.epochMs;
      if (ctx.firstPartitionStartMs !== undefined && t < ctx.firstPartitionStartMs) {
        unplaced++;
        ctx.onUnplaced({
          sourceFile: file,
          lineNo,
          record,
          reason: `${src.timeColumn}: ${String(record[src.timeColumn ?? ''])} is before the pipeline's first partition (${new Date(ctx.firstPartitionStartMs).toISOString()})`,
        });
        continue;
      }
      if (t >= window.endMs && ctx.sortedFiles?.has(file)) break;
      minTimeMs = minTimeMs === undefined ? t : Math.min(minTimeMs, t);
      maxTimeMs = maxTimeMs === undefined ? t : Math.max(maxTimeMs, t);
      if (t >= window.startMs && t < window.endMs) yield { sourceFile: file, lineNo, record };
      if (++scanned % 50_000 === 0) ctx.heartbeat({ file, scanned });
    }
  } catch (err) {
    if (err instanceof CsvError || (err instanceof Error && String((err as { code?: unknown }).code ?? '').startsWith('CSV_'))) {
      // The line where the bad record starts (cursor), named once: csv-parse's own "at line N" is
      // where it gave up (the end of the file for an unclosed quote), counting a quoted CRLF twice.
      const why = err.message.replace(/,? (?:at|on) line \d+/g, '');
      throw nonRetryable(FailureType.SOURCE_FORMAT, `${file} line ${cursor}: unreadable CSV: ${why} (in the record starting on this line)`);
    }
    throw err;
  } finally {
    parser.destroy();
  }
  if (!header) throw nonRetryable(FailureType.SOURCE_FORMAT, `${file}: empty file, expected a header with ${src.requiredColumns.join(', ')}`);
  ctx.onFileScanned?.({ file, rows, unplaced, minTimeMs, maxTimeMs });
}

/** Line breaks in `text`, counting CRLF, LF and a lone CR as one each. */
function countLineBreaks(text: string): number {
  return text.match(/\r\n|\n|\r/g)?.length ?? 0;
}

/**
 * Passes a file's bytes through unchanged, and fails the read, non-retryably and naming the line,
 * at the first byte that is not UTF-8 text (a Latin-1 "ü", a UTF-16 file) or that is NUL (binary
 * data, which PostgreSQL text cannot hold either). Bytes are never guessed into another encoding:
 * a garbled "Z�rich" must not reach the target.
 */
function textGuard(file: string): Transform {
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0; // file offset of carry[0]
  let line = 1; // line of carry[0]
  const fail = (buf: Buffer, at: number, what: string) =>
    nonRetryable(
      FailureType.SOURCE_FORMAT,
      `${file} line ${line + countLineBreaks(buf.subarray(0, at).toString('latin1'))}: ${what} at byte ${offset + at}; ` +
        'CSV files must be UTF-8 text (re-export the file as UTF-8)',
    );
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      // Keep back an incomplete multi-byte sequence, and a CR whose LF may follow, for the next chunk.
      const end = buf.length - incompleteTail(buf);
      const body = buf.subarray(0, end);
      const nul = body.indexOf(0);
      const bad = isUtf8(body) ? -1 : firstInvalidUtf8(body);
      if (nul !== -1 && (bad === -1 || nul < bad)) return done(fail(body, nul, 'NUL byte (binary or UTF-16 data?)'));
      if (bad !== -1) {
        const b = body[bad] ?? 0;
        const utf16 = offset + bad === 0 && (b === 0xff || b === 0xfe) ? ' (a UTF-16 byte-order mark)' : ' (Latin-1 or Windows-1252 text?)';
        return done(fail(body, bad, `invalid UTF-8 byte 0x${b.toString(16).padStart(2, '0')}${utf16}`));
      }
      line += countLineBreaks(body.toString('latin1'));
      offset += body.length;
      carry = Buffer.from(buf.subarray(end));
      done(null, body);
    },
    flush(done) {
      if (carry.length > 0 && carry[carry.length - 1] !== 0x0d) return done(fail(carry, 0, 'truncated UTF-8 sequence at the end of the file'));
      done(null, carry);
    },
  });
}

/** Bytes at the end of `buf` that may be completed by the next chunk: a partial UTF-8 sequence or a CR. */
function incompleteTail(buf: Buffer): number {
  if (buf.length > 0 && buf[buf.length - 1] === 0x0d) return 1;
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back] ?? 0;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Index of the first byte of `b` that does not start a well-formed UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    const c1 = b[i + 1] ?? 0;
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    i += n + 1;
  }
  return -1;
}
