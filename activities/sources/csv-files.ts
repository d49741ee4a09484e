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
import { StringDecoder } from 'node:string_decoder';
import { CsvError, parse } from 'csv-parse';
import type { CsvFilesSource, PartitionWindowLike, SourceRecord } from './types';
import { FailureType, nonRetryable } from '../errors';
import { parseInstant, type TimeParseOptions, type TimeParseResult } from '../../core/time';

/** Where an unpartitioned source (no time column) places every row: instant 0, inside its one window. */
const UNTIMED: TimeParseResult = { ok: true, instant: { epochMs: 0, micros: 0, iso: '1970-01-01T00:00:00.000000Z' } };

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
  /**
   * Which reader splits the records: `auto` takes the quote-free splitter when a file has no quote
   * character (see isPlainCsv), else csv-parse; `csv-parse` always uses csv-parse (what the
   * equivalence tests compare against). @default "auto"
   */
  readonly reader?: 'auto' | 'csv-parse';
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
  for await (const r of readCsvFilesPlaced(src, window, ctx)) yield { sourceFile: r.sourceFile, lineNo: r.lineNo, record: r.record };
}

/** A CSV row in the window with the instant its time column was placed at (epoch ms, UTC). */
export interface PlacedCsvRecord extends SourceRecord {
  readonly timeMs: number;
}

/**
 * Like {@link readCsvFiles}, with each row's instant as the placement read it, so that callers
 * needing it (the file catalog, landing-files) do not parse the time column a second time.
 */
export async function* readCsvFilesPlaced(src: CsvFilesSource, window: PartitionWindowLike, ctx: CsvReadContext): AsyncGenerator<PlacedCsvRecord> {
  const files = ctx.files ?? (await listSourceFiles(src, ctx.folder));
  for (const file of files) {
    yield* readOneFile(src, window, ctx, file);
    ctx.heartbeat({ file });
  }
}

/** A record's fields and the 1-based line its text starts on. */
interface CsvRecordAt {
  readonly fields: string[];
  readonly lineNo: number;
}

/**
 * The records of a file through csv-parse, with the line where each record's raw text starts.
 * Line where the next record's raw text starts, advanced as csv-parse finishes each record (in
 * on_record, synchronously, so it is exact even when the parser fails before the consumer has
 * read the records it buffered). Counted from the raw text rather than taken from csv-parse's
 * info.lines, which counts a quoted CRLF as two lines and, for an unclosed quote, names the end.
 */
async function* csvParseRecords(
  src: CsvFilesSource,
  file: string,
  bytes: NodeJS.ReadableStream,
  resume: CsvResumePoint | undefined,
): AsyncGenerator<CsvRecordAt> {
  let cursor = 1;
  const startLines: number[] = [];
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
    max_record_size: MAX_RECORD_SIZE,
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
  pipeline(bytes, textGuard(file), parser, () => undefined);
  try {
    for await (const item of parser as AsyncIterable<{ record: string[] }>) yield { fields: item.record, lineNo: startLines.shift() ?? cursor };
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
}

/** csv-parse's limit on one record (characters); the quote-free reader only takes lines far below it. */
const MAX_RECORD_SIZE = 16 * 1024 * 1024;
/** Most bytes checked for quotes before reading a sorted file (which may stop far earlier). */
const PLAIN_SCAN_LIMIT = 64 * 1024 * 1024;
/** Longest line (bytes) the quote-free reader takes; a file with a longer one goes through csv-parse. */
const MAX_PLAIN_LINE = 1024 * 1024;

/**
 * Whether the bytes a read will see (the whole file, or its header and the part from the resume
 * point) can be split without a CSV parser: no quote character `"` anywhere and no LF-free stretch
 * longer than {@link MAX_PLAIN_LINE}. Without quotes, CSV has no escapes, so a record is a line and a
 * field is what lies between delimiters: the split below gives exactly what csv-parse gives (proven
 * in tests/unit/csv-plain-reader.test.ts). One pass of `indexOf` over the bytes (memchr speed).
 */
async function isPlainCsv(full: string, resume: CsvResumePoint | undefined, delimiter: string): Promise<boolean> {
  if (delimiter.includes('"') || delimiter.includes('\n') || delimiter.includes('\r') || delimiter === '') return false;
  let sinceLf = 0;
  for await (const chunk of fileBytes(full, resume) as AsyncIterable<Buffer>) {
    if (chunk.indexOf(0x22) !== -1) return false;
    let from = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, from);
      if (lf === -1) {
        sinceLf += chunk.length - from;
        break;
      }
      if (sinceLf + (lf - from) > MAX_PLAIN_LINE) return false;
      sinceLf = 0;
      from = lf + 1;
    }
    if (sinceLf > MAX_PLAIN_LINE) return false;
  }
  return true;
}

/**
 * The records of a quote-free file (see {@link isPlainCsv}): lines split on CRLF, LF or a lone CR,
 * empty lines skipped, a leading UTF-8 BOM dropped, fields split on the delimiter; each with the
 * physical line it is on (counted as csv-parse's reader counts them: CRLF, LF and CR one each).
 * Yields the records of each read chunk together (one await per chunk, not per record).
 */
async function* plainRecords(file: string, bytes: NodeJS.ReadableStream, resume: CsvResumePoint | undefined, delimiter: string): AsyncGenerator<CsvRecordAt[]> {
  const guard = textGuard(file);
  pipeline(bytes, guard, () => undefined);
  const decoder = new StringDecoder('utf8');
  let line = 1;
  let rest = '';
  let first = true;
  let headerSeen = false;
  const out: CsvRecordAt[] = [];
  // Splits `text` into lines; a last line without its end (or ending in a CR whose LF may follow)
  // is kept in `rest` unless `final`.
  const split = (text: string, final: boolean) => {
    const n = text.length;
    let at = 0;
    let lf = text.indexOf('\n');
    let cr = text.indexOf('\r');
    while (at < n) {
      if (lf !== -1 && lf < at) lf = text.indexOf('\n', at);
      if (cr !== -1 && cr < at) cr = text.indexOf('\r', at);
      let end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1 || (end === n - 1 && end === cr)) {
        if (!final) {
          rest = text.slice(at);
          return;
        }
        if (end === -1) end = n;
      }
      if (end > at) {
        out.push({ fields: text.slice(at, end).split(delimiter), lineNo: line });
        if (!headerSeen) {
          headerSeen = true;
          // After the header, a resumed read continues at the catalog's line (see fileBytes).
          if (resume && resume.byte > resume.headerEnd) line = resume.line - 1;
        }
      }
      if (end === n) break;
      line++;
      at = end === cr && lf === end + 1 ? end + 2 : end + 1;
    }
    rest = '';
  };
  for await (const chunk of guard as AsyncIterable<Buffer>) {
    let text = rest + decoder.write(chunk);
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    split(text, false);
    if (out.length > 0) yield out.splice(0);
  }
  split(rest + decoder.end(), true);
  if (out.length > 0) yield out.splice(0);
}

/** csv-parse's records one at a time, as batches of one (the shape plainRecords yields). */
async function* batchesOfOne(records: AsyncIterable<CsvRecordAt>): AsyncGenerator<CsvRecordAt[]> {
  for await (const r of records) yield [r];
}

async function* readOneFile(src: CsvFilesSource, window: PartitionWindowLike, ctx: CsvReadContext, file: string): AsyncGenerator<PlacedCsvRecord> {
  let header: string[] | undefined;
  const timeOpts: TimeParseOptions = { format: src.timeFormat, zone: src.timeZone };
  const resume = ctx.resume?.get(file);
  const full = path.join(ctx.folder, file);
  const delimiter = src.delimiter ?? ',';
  // A sorted file is read only up to its first row past the window: checking all of a big one for
  // quotes would cost more than the read itself, so past PLAIN_SCAN_LIMIT bytes csv-parse reads it.
  const scanBytes = ctx.sortedFiles?.has(file) ? (await stat(full)).size - (resume && resume.byte > resume.headerEnd ? resume.byte : 0) : 0;
  const records = ctx.reader !== 'csv-parse' && scanBytes <= PLAIN_SCAN_LIMIT && (await isPlainCsv(full, resume, delimiter))
    ? plainRecords(file, fileBytes(full, resume), resume, delimiter)
    : batchesOfOne(csvParseRecords(src, file, fileBytes(full, resume), resume));
  let scanned = 0;
  let rows = 0;
  let unplaced = 0;
  let minTimeMs: number | undefined;
  let maxTimeMs: number | undefined;
  // Labelled: a sorted file's read ends at its first row past the window (break reading).
  reading: for await (const batch of records) for (const { fields, lineNo } of batch) {
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
    for (let i = 0; i < header.length; i++) record[header[i]!] = fields[i] ?? null;
    if (fields.length !== header.length) record[ROW_ERROR_FIELD] = `expected ${header.length} fields, found ${fields.length}`;
    // An unpartitioned source has no time column: every row is placed (in its one partition).
    const parsed = src.timeColumn === undefined ? UNTIMED : parseInstant(record[src.timeColumn], timeOpts);
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
    if (t >= window.endMs && ctx.sortedFiles?.has(file)) break reading;
    minTimeMs = minTimeMs === undefined ? t : Math.min(minTimeMs, t);
    maxTimeMs = maxTimeMs === undefined ? t : Math.max(maxTimeMs, t);
    if (t >= window.startMs && t < window.endMs) yield { sourceFile: file, lineNo, record, timeMs: t };
    if (++scanned % 50_000 === 0) ctx.heartbeat({ file, scanned });
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
