/**
 * The set-based row path (PipelineDefinition.sql): a big CSV landing file is loaded into the raw
 * table by PostgreSQL's own `COPY … (FORMAT csv)`, then validated and transformed by one
 * `CREATE TABLE … AS SELECT` that makes the staging table, instead of being parsed, checked and
 * encoded row by row in JavaScript (docs/benchmarks.md, "Bulk loads").
 *
 * Rules, so that the result is the JavaScript path's exactly:
 * - **Which files.** A CSV file whose rows the catalog placed in this partition only (no row of it
 *   elsewhere, none unplaced), with at least `sql.minRows` rows, whose header names only columns of
 *   `sql.columns`, and whose data bytes have no `"` (no quoting, so a record is a line and line
 *   numbers are exact), no NUL, no blank line, no lone CR and no `\.` line (PostgreSQL's
 *   end-of-data marker). Anything else, and a file PostgreSQL's COPY refuses (wrong field count,
 *   invalid UTF-8), is read by the JavaScript reader instead, inside the same transaction (a
 *   savepoint undoes the partial COPY), which also words any error.
 * - **Which rows.** Each source column is read by its kind (core/pipeline.ts, SqlSourceKind): a
 *   conservative pattern, checked on the bytes as ingest streams them ({@link fieldMatchesKind};
 *   the row's `dp_typed` flag), then in SQL a cast that cannot fail on it. A row is accepted when every declared
 *   column read, `sql.accept` is true and no key column is null; every other row — and every row of
 *   a file read by JavaScript — goes through the schema (zod) and the transform as before, so
 *   rejections keep zod's reasons, fields and raw values.
 * - **Agreement.** The first {@link AGREEMENT_SAMPLE} rows the SQL accepts are also run through the
 *   schema and the transform in JavaScript; a row the schema rejects or a value that differs fails
 *   the partition (ConfigError naming file, line and column) before anything loads.
 *
 * Raw rows read here have `record` null and the source text in `dp_c1…dp_cN` (one per declared
 * column, in declaration order); {@link rawRecordsSql} rebuilds the record JavaScript would have read.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from '../infra/db';
import type { PipelineDefinition, SqlRowPath, SqlSourceKind } from '../core/pipeline';
import { ident } from '../core/sql';
import { FailureType, nonRetryable } from './errors';

/** Fewest rows a file needs for the set-based path when `sql.minRows` is not set. */
export const DEFAULT_SQL_MIN_ROWS = 10_000;

/** Accepted rows checked against the JavaScript path at validate. */
export const AGREEMENT_SAMPLE = 64;

/** The declared source columns with their raw text column, in declaration order. */
export function sqlSourceColumns(sql: SqlRowPath): { name: string; kind: SqlSourceKind; raw: string }[] {
  return Object.entries(sql.columns).map(([name, kind], i) => ({ name, kind, raw: `dp_c${i + 1}` }));
}

/** Column definitions of the raw table of a pipeline with a set-based path. */
export function rawColumnsDdl(sql: SqlRowPath): string {
  return `dp_seq bigint NOT NULL, source_file text NOT NULL, line_no integer NOT NULL, record json, dp_typed boolean, ${sqlSourceColumns(sql)
    .map((c) => `${c.raw} text`)
    .join(', ')}`;
}

/**
 * SQL reading a raw text column as its kind: the typed value, or null when ingest found a field of
 * the row outside its kind's pattern (`dp_typed` false: the row is left to JavaScript). The
 * patterns are checked on the bytes at ingest ({@link fieldMatchesKind}), so casts here cannot fail.
 */
export function typedSql(kind: SqlSourceKind, column: string, flag = 'dp_typed'): string {
  const cast = { text: '', 'trimmed-text': '', decimal: '::double precision', integer: '::bigint', 'iso-date': '::date' }[kind];
  return `CASE WHEN ${flag} THEN ${column}${cast} END`;
}

/** Offsets of the digits of `YYYY-MM-DD`. */
const DATE_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9];

const KIND_CODES: Record<SqlSourceKind, number> = { text: 0, 'trimmed-text': 1, decimal: 2, integer: 3, 'iso-date': 4 };

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const isGraphic = (c: number | undefined) => c !== undefined && c >= 0x21 && c <= 0x7e;

/** Counts digits from `i` (up to `end`); returns the index after them. */
function digitsFrom(b: Uint8Array, i: number, end: number): number {
  while (i < end && isDigit(b[i])) i++;
  return i;
}

/**
 * Whether the field `b[start, end)` (UTF-8 bytes, no quoting) has the pattern of its kind
 * (core/pipeline.ts, SqlSourceKind):
 * - `text`: always; `trimmed-text`: non-empty, first and last byte printable ASCII (`!`…`~`);
 * - `decimal`: `-?[0-9]{1,9}(\.[0-9]{1,6})?`; `integer`: `-?[0-9]{1,15}`;
 * - `iso-date`: `YYYY-MM-DD`, a real Gregorian calendar date, year 0001–9999.
 * Pure; proven against the patterns as regular expressions in tests/unit/set-based-kinds.test.ts.
 */
export function fieldMatchesKind(kind: SqlSourceKind | number, b: Uint8Array, start: number, end: number): boolean {
  const k = typeof kind === 'number' ? kind : KIND_CODES[kind];
  switch (k) {
    case 0:
      return true;
    case 1:
      return end > start && isGraphic(b[start]) && isGraphic(b[end - 1]);
    case 2: {
      let i = b[start] === 0x2d ? start + 1 : start;
      const int = digitsFrom(b, i, end);
      if (int === i || int - i > 9) return false;
      if (int === end) return true;
      if (b[int] !== 0x2e) return false;
      i = int + 1;
      const frac = digitsFrom(b, i, end);
      return frac === end && frac > i && frac - i <= 6;
    }
    case 3: {
      const i = b[start] === 0x2d ? start + 1 : start;
      const d = digitsFrom(b, i, end);
      return d === end && d > i && d - i <= 15;
    }
    case 4: {
      if (end - start !== 10 || b[start + 4] !== 0x2d || b[start + 7] !== 0x2d) return false;
      for (let j = 0; j < DATE_DIGITS.length; j++) if (!isDigit(b[start + DATE_DIGITS[j]!])) return false;
      const y = (b[start]! - 48) * 1000 + (b[start + 1]! - 48) * 100 + (b[start + 2]! - 48) * 10 + (b[start + 3]! - 48);
      const m = (b[start + 5]! - 48) * 10 + (b[start + 6]! - 48);
      const d = (b[start + 8]! - 48) * 10 + (b[start + 9]! - 48);
      if (y === 0 || m < 1 || m > 12 || d < 1) return false;
      const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
      const last = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
      return d <= last;
    }
    default:
      return false;
  }
}

/**
 * The raw rows with `record` as the JavaScript reader would have produced it (a subquery usable in
 * FROM): set-based rows rebuild it from their text columns (columns absent from the file left out).
 */
export function rawRecordsSql(def: PipelineDefinition, raw: string): string {
  if (!def.sql) return raw;
  return `(SELECT dp_seq, source_file, line_no, COALESCE(record, ${recordSql(def.sql)}) AS record FROM ${raw})`;
}

/**
 * The set-based path over the raw table as SQL: `from` reads the set-based raw rows (`r`: its own
 * columns, `dp_present` — every declared column in the file — and its typed source columns, casts
 * guarded by `dp_typed`); with `typedOnly`, only rows ingest found typed. `accepted` is true exactly
 * for the rows staged here (typed, all declared columns read, `sql.accept` true, no key column
 * null; CASE keeps the order of evaluation, so an expression never sees a row its guards exclude),
 * `values` computes every target column (`targets`: the same, named). The typed columns are
 * computed once per row, in a subquery PostgreSQL may not flatten (`OFFSET 0`) that also filters
 * the rows: flattened, every mention of a column in `sql.accept` and `sql.select` would parse its
 * text again (city_weather's `temp_mean_c` names each temperature six times); that, and a filter
 * outside the subquery, each cost more than a flat query's parallel workers saved
 * (docs/benchmarks.md, "Bulk loads").
 */
function flatAccepted(def: PipelineDefinition, raw: string, typedOnly: boolean): { from: string; accepted: string; values: string[]; targets: string[] } {
  const sql = def.sql!;
  const cols = sqlSourceColumns(sql);
  const typed = cols.map((c) => `${typedSql(c.kind, `r.${c.raw}`, 'r.dp_typed')} AS ${ident(c.name, 'column')}`).join(', ');
  // A column the file lacks is null in raw; a present one, flagged by dp_typed, casts to a value.
  const present = cols.map((c) => `r.${c.raw} IS NOT NULL`).join(' AND ');
  const ok = ['r.dp_present', ...(sql.accept ? [`(${sql.accept})`] : [])].join(' AND ');
  const keysOk = def.target.key.length ? def.target.key.map((k) => `(${sql.select[k]}) IS NOT NULL`).join(' AND ') : 'true';
  const check = `CASE WHEN ${ok} THEN ${keysOk} ELSE false END`;
  return {
    from: typedOnly
      ? `(SELECT r.dp_seq, r.source_file, r.line_no, ${present} AS dp_present, ${typed}
            FROM ${raw} r WHERE r.record IS NULL AND r.dp_typed OFFSET 0) r`
      : `(SELECT r.dp_seq, r.source_file, r.line_no, r.dp_typed, ${cols.map((c) => `r.${c.raw}`).join(', ')}, ${present} AS dp_present, ${typed}
            FROM ${raw} r WHERE r.record IS NULL OFFSET 0) r`,
    accepted: typedOnly ? check : `r.dp_typed AND ${check}`,
    values: Object.entries(def.target.columns).map(([c, type]) => `(${sql.select[c]})::${type}`),
    targets: Object.entries(def.target.columns).map(([c, type]) => `(${sql.select[c]})::${type} AS ${ident(c, 'column')}`),
  };
}

/**
 * Validate's first pass on the set-based path: creates the staging table `stg` (replaced by the
 * caller beforehand) with the rows the SQL accepts, by `CREATE UNLOGGED TABLE … AS SELECT` (its
 * typed source columns computed once per row), in the shape `stagingDdl` gives when there is nothing to
 * stage. Returns how many raw rows there are, how many are set-based rows and how many of those
 * were staged; when they differ, {@link remainderSql} gives the rest to JavaScript.
 * @throws non-retryable ConfigError when the declared SQL fails in PostgreSQL (syntax, unknown column, division by zero).
 */
export async function stageAccepted(
  client: PoolClient,
  def: PipelineDefinition,
  raw: string,
  stg: string,
  stagingDdl: string,
  persistence: '' | 'UNLOGGED ' = 'UNLOGGED ',
): Promise<{ rawRows: number; textRows: number; accepted: number }> {
  const n = await client.query<{ t: number; n: number }>(`SELECT count(*) FILTER (WHERE record IS NULL)::int AS t, count(*)::int AS n FROM ${raw}`);
  const textRows = n.rows[0]?.t ?? 0;
  const rawRows = n.rows[0]?.n ?? 0;
  if (textRows === 0) {
    await client.query(`CREATE ${persistence}TABLE ${stg} (${stagingDdl})`);
    return { rawRows, textRows, accepted: 0 };
  }
  const f = flatAccepted(def, raw, true);
  try {
    const r = await client.query(
      `CREATE ${persistence}TABLE ${stg} AS
       SELECT r.dp_seq, r.source_file AS dp_source_file, r.line_no AS dp_line_no, NULL::text AS dp_field, NULL::text AS dp_reason,
              NULL::text AS dp_raw_value, NULL::json AS dp_record, ${f.targets.join(', ')}
         FROM ${f.from} WHERE ${f.accepted}`,
    );
    return { rawRows, textRows, accepted: r.rowCount ?? 0 };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // A bad expression in the definition (syntax, unknown column, division by zero) is not retryable.
    if (e.code && /^(42|22)/.test(e.code)) {
      throw nonRetryable(FailureType.CONFIG, `${def.name}: the set-based SQL (sql.select / sql.accept) failed in PostgreSQL: ${e.message} (SQLSTATE ${e.code})`);
    }
    throw err;
  }
}

/**
 * The raw rows JavaScript must judge, as `dp_seq, source_file, line_no, record` (a query for COPY
 * TO): rows read by JavaScript, plus, when `allAccepted` is false, the set-based rows the SQL did
 * not accept (the accept condition evaluated again).
 */
export function remainderSql(def: PipelineDefinition, raw: string, allAccepted: boolean): string {
  if (!def.sql) return `SELECT dp_seq, source_file, line_no, record FROM ${raw}`;
  const js = `SELECT dp_seq, source_file, line_no, record FROM ${raw} WHERE record IS NOT NULL`;
  if (allAccepted) return js;
  const f = flatAccepted(def, raw, false);
  return `${js} UNION ALL SELECT r.dp_seq, r.source_file, r.line_no, ${recordSql(def.sql, 'r.')} FROM ${f.from} WHERE NOT (${f.accepted})`;
}

/** The record JavaScript would have read, rebuilt from a set-based row's text columns (absent columns left out). */
function recordSql(sql: SqlRowPath, prefix = ''): string {
  return `json_strip_nulls(json_build_object(${sqlSourceColumns(sql)
    .map((c) => `'${c.name}', ${prefix}${c.raw}`)
    .join(', ')}))`;
}

/** One sampled accepted row: where it came from, its JavaScript record and its staged values as text. */
export interface AgreementRow {
  readonly sourceFile: string;
  readonly lineNo: number;
  readonly record: Record<string, unknown>;
  readonly staged: Record<string, string | null>;
}

/**
 * {@link AGREEMENT_SAMPLE} rows the set-based SQL accepts, with their records and the values it
 * computes for them (as staged; validate's agreement check), in row order. Read from the raw table
 * with the staging query's own expressions, stopping at the sample's last row: the first accepted
 * rows of a scan, which for a raw table (written once, in row order) are the first in the file
 * unless PostgreSQL joins the scan to another one already running over the table (then another
 * run of rows, as good a sample).
 */
export async function agreementSample(client: PoolClient, def: PipelineDefinition, raw: string): Promise<AgreementRow[]> {
  const f = flatAccepted(def, raw, false);
  const names = Object.keys(def.target.columns);
  const r = await client.query<Record<string, unknown>>(
    `SELECT * FROM (
       SELECT r.dp_seq, r.source_file, r.line_no, ${recordSql(def.sql!, 'r.')} AS record,
              ${f.values.map((v, i) => `(${v})::text AS v${i}`).join(', ')}
         FROM ${f.from} WHERE ${f.accepted} LIMIT ${AGREEMENT_SAMPLE}) s
      ORDER BY dp_seq`,
  );
  return r.rows.map((row) => ({
    sourceFile: row.source_file as string,
    lineNo: row.line_no as number,
    record: row.record as Record<string, unknown>,
    staged: Object.fromEntries(names.map((c, i) => [c, row[`v${i}`] as string | null])),
  }));
}

/**
 * Compares, column by column in PostgreSQL (so `1.50` and `1.5` are one number, whatever the
 * type), the staged text of sampled rows with JavaScript's values for them (COPY text, `null` for
 * null). Returns the first disagreement, or undefined.
 */
export async function firstDisagreement(
  client: PoolClient,
  def: PipelineDefinition,
  staged: readonly (Record<string, string | null>)[],
  js: readonly (Record<string, string | null>)[],
): Promise<{ index: number; column: string } | undefined> {
  let first: { index: number; column: string } | undefined;
  for (const [col, type] of Object.entries(def.target.columns)) {
    const r = await client.query<{ k: string }>(
      `SELECT k FROM unnest($1::text[], $2::text[]) WITH ORDINALITY u(a, b, k) WHERE a::${type} IS DISTINCT FROM b::${type} ORDER BY k LIMIT 1`,
      [staged.map((s) => s[col] ?? null), js.map((s) => s[col] ?? null)],
    );
    const k = r.rows[0] ? Number(r.rows[0].k) - 1 : undefined;
    if (k !== undefined && (!first || k < first.index)) first = { index: k, column: col };
  }
  return first;
}

/** Why a file cannot take the set-based path (then JavaScript reads it). */
class NotSetBased extends Error {
  override readonly name = 'NotSetBased';
}

/** What {@link copyFileSetBased} needs to know about a file. */
export interface SetBasedFile {
  /** Folder of the pipeline's landing files. */
  readonly folder: string;
  readonly name: string;
  /** Rows the catalog counted in the file. */
  readonly rows: number;
}

/**
 * COPYs one landing file's data rows into the raw table (`raw`, quoted) by PostgreSQL's CSV
 * reader, numbered `seqBefore + 1…` and with their line numbers (both written into the stream by
 * {@link lineTyper}: a sequence's `nextval` per row cost COPY half its time). Returns the rows
 * copied and the sha256 of the file's bytes, or undefined when the file cannot take the path
 * (nothing is left in the table then: the caller reads it with JavaScript). Runs inside the
 * caller's transaction, under a savepoint.
 */
export async function copyFileSetBased(
  client: PoolClient,
  def: PipelineDefinition,
  raw: string,
  file: SetBasedFile,
  seqBefore: number,
  heartbeat: (details?: unknown) => void,
): Promise<{ rows: number; sha256: string } | undefined> {
  const sql = def.sql;
  if (!sql || def.source.kind !== 'csv-files' || file.rows < (sql.minRows ?? DEFAULT_SQL_MIN_ROWS)) return undefined;
  const src = def.source;
  const delimiter = src.delimiter ?? ',';
  const full = path.join(file.folder, file.name);
  const header = await readHeader(full);
  if (!header) return undefined;
  const names = header.text.split(delimiter).map((h) => h.trim());
  const byName = new Map(sqlSourceColumns(sql).map((c) => [c.name, c.raw]));
  if (names.some((n) => !byName.has(n)) || new Set(names).size !== names.length || src.requiredColumns.some((c) => !names.includes(c))) return undefined;
  await client.query('SAVEPOINT dp_set_based');
  try {
    await client.query(`ALTER TABLE ${raw} ALTER COLUMN source_file SET DEFAULT ${client.escapeLiteral(file.name)}`);
    const cols = names.map((n) => byName.get(n)!);
    const kinds = names.map((n) => KIND_CODES[sql.columns[n]!]);
    const delim = delimiter === '\t' ? "E'\\t'" : client.escapeLiteral(delimiter);
    const copy = client.query(
      copyFrom(`COPY ${raw} (dp_seq, line_no, ${cols.join(', ')}, dp_typed) FROM STDIN (FORMAT csv, DELIMITER ${delim}, FORCE_NOT_NULL (${cols.join(', ')}), ENCODING 'UTF8')`),
    );
    const hash = createHash('sha256');
    // The first data row is line 2 (the header is line 1 and blank lines are refused).
    const typer = lineTyper(hash, heartbeat, file.name, delimiter.charCodeAt(0), kinds, seqBefore + 1, 2);
    await streamPipeline(createReadStream(full, { start: header.end, highWaterMark: 1 << 20 }), typer.stream, copy);
    const rows = (copy as unknown as { rowCount: number }).rowCount;
    if (rows !== typer.lines()) throw new Error(`${file.name}: COPY read ${rows} rows where ${typer.lines()} lines were sent`);
    await client.query(`ALTER TABLE ${raw} ALTER COLUMN source_file DROP DEFAULT`);
    await client.query('RELEASE SAVEPOINT dp_set_based');
    return { rows, sha256: hash.update(header.bytes).digest('hex') };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof NotSetBased || (code !== undefined && /^22/.test(code))) {
      await client.query('ROLLBACK TO SAVEPOINT dp_set_based');
      await client.query('RELEASE SAVEPOINT dp_set_based');
      return undefined;
    }
    throw err;
  }
}

/** The header line (BOM dropped, line end removed) and the byte where the data starts; undefined when unusable. */
async function readHeader(full: string): Promise<{ text: string; end: number; bytes: Buffer } | undefined> {
  const fh = await open(full, 'r');
  try {
    const buf = Buffer.alloc(65_536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    const lf = head.indexOf(0x0a);
    if (lf <= 0) return undefined;
    let line = head.subarray(0, lf);
    if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length >= 3 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) line = line.subarray(3);
    if (line.includes(0x22) || line.includes(0x0d) || line.includes(0) || line.length === 0) return undefined;
    return { text: line.toString('utf8'), end: lf + 1, bytes: Buffer.from(head.subarray(0, lf + 1)) };
  } finally {
    await fh.close();
  }
}

/**
 * Passes the data lines through to COPY, hashing the file's bytes, with two fields before each
 * line — its row number (`firstSeq`, then one more per line: `dp_seq`) and its line number in the
 * file (`firstLine`…: `line_no`) — and one after: whether every field has its kind's pattern
 * (`t`/`f`, the raw table's `dp_typed`). Aborts
 * (NotSetBased) at the first thing PostgreSQL's CSV reader and DataPulse's JavaScript reader would
 * not read alike: a quote, NUL, a blank line, a CR not followed by LF, a line starting `\.`, a line
 * whose field count is not the header's.
 */
function lineTyper(
  hash: ReturnType<typeof createHash>,
  heartbeat: (d?: unknown) => void,
  file: string,
  delimiter: number,
  kinds: readonly number[],
  firstSeq: number,
  firstLine: number,
): { stream: Transform; lines: () => number } {
  let carry: Buffer = Buffer.alloc(0);
  let lines = 0;
  /** Writes the decimal digits of `n` (a non-negative integer) at `out[w]`; returns the index after them. */
  const writeUint = (out: Buffer, w: number, n: number): number => {
    let len = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) len++;
    for (let i = w + len - 1, x = n; i >= w; i--, x = Math.floor(x / 10)) out[i] = 0x30 + (x % 10);
    return w + len;
  };
  /** Room for what a line gains: two numbers of up to 16 digits, two delimiters, the flag and its delimiter. */
  const GROWTH = 36;
  /** A buffer for the lines of `b` up to `upto` with what they gain. */
  const outFor = (b: Buffer, upto: number): Buffer => {
    let n = 0;
    for (let i = b.indexOf(0x0a); i !== -1 && i < upto; i = b.indexOf(0x0a, i + 1)) n++;
    return Buffer.allocUnsafe(upto + GROWTH * n);
  };
  let seen = 0;
  const flag = [Buffer.from([delimiter, 0x74, 0x0a]), Buffer.from([delimiter, 0x66, 0x0a])];
  const fields = kinds.length;
  /** Writes the complete lines of `b` (up to `upto`, which is just past an LF) into `out`; returns bytes written. */
  const typeLines = (b: Buffer, upto: number, out: Buffer): number => {
    let w = 0;
    let at = 0;
    while (at < upto) {
      const lf = b.indexOf(0x0a, at);
      let end = lf;
      if (end > at && b[end - 1] === 0x0d) end--;
      if (end === at) throw new NotSetBased(`${file}: blank line`);
      if (b[at] === 0x5c && b[at + 1] === 0x2e) throw new NotSetBased(`${file}: a line starting \\.`);
      let ok = true;
      let f = 0;
      let s = at;
      for (let i = at; i <= end; i++) {
        if (i === end || b[i] === delimiter) {
          if (f >= fields) throw new NotSetBased(`${file}: more fields than the header`);
          if (ok && !fieldMatchesKind(kinds[f]!, b, s, i)) ok = false;
          f++;
          s = i + 1;
        } else if (b[i] === 0x0d) throw new NotSetBased(`${file}: lone CR`);
      }
      if (f !== fields) throw new NotSetBased(`${file}: fewer fields than the header`);
      w = writeUint(out, w, firstSeq + lines);
      out[w++] = delimiter;
      w = writeUint(out, w, firstLine + lines);
      out[w++] = delimiter;
      w += b.copy(out, w, at, end);
      w += (ok ? flag[0]! : flag[1]!).copy(out, w);
      lines++;
      at = lf + 1;
    }
    return w;
  };
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        if (chunk.includes(0x22) || chunk.includes(0)) throw new NotSetBased(`${file}: quotes or NUL`);
        hash.update(chunk);
        seen += chunk.length;
        const b = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        const last = b.lastIndexOf(0x0a);
        if (last === -1) {
          carry = Buffer.from(b);
          return done();
        }
        const out = outFor(b, last + 1);
        const n = typeLines(b, last + 1, out);
        carry = Buffer.from(b.subarray(last + 1));
        heartbeat({ file, bytes: seen });
        done(null, out.subarray(0, n));
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        if (carry.length === 0) return done();
        // The last line without its line end.
        const b = Buffer.concat([carry, Buffer.from([0x0a])]);
        const out = outFor(b, b.length);
        const n = typeLines(b, b.length, out);
        done(null, out.subarray(0, n));
      } catch (err) {
        done(err as Error);
      }
    },
  });
  return { stream, lines: () => lines };
}
