/**
 * The pipeline definition API. A pipeline is one `definePipeline({...})` call in its own file under
 * pipelines/: plain data plus pure functions. Side effects (HTTP, files, SQL) live in activities,
 * which interpret the declarations made here.
 */
import type { z } from 'zod';
import { validateChecks, type Check } from './checks';
import { assertIdentifier } from './sql';
import { assertTimeOptions } from './time';
import type { PartitionMapping } from './mapping';
import { Granularity, keyToStartMs, STATIC_KEY, type PartitionWindow, type Partitioning } from './partition';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type Params = { readonly [k: string]: JsonValue };

/** One record a source yields, tagged with where it came from. */
export interface SourceRecord {
  /** File name or request label; never carries secrets. */
  readonly sourceFile: string;
  /** 1-based line number (CSV) or element index + 1 (JSON arrays). */
  readonly lineNo: number;
  readonly record: Record<string, unknown>;
}

/** One HTTP request a source makes for a window. */
export interface HttpRequestSpec {
  /** Short label stored as the rows' source_file, e.g. `forecast?location=seattle`. */
  readonly label: string;
  /** Path appended to the base URL, e.g. `/v1/forecast`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

export interface HttpJsonSource<P extends Params = Params> {
  readonly kind: 'http-json';
  /** Environment variable holding the API base URL. */
  readonly baseUrlEnv: string;
  readonly defaultBaseUrl: string;
  /** The requests that cover exactly one partition window. */
  readonly requests: (window: PartitionWindow, params: P) => readonly HttpRequestSpec[];
  /**
   * Turns one parsed response body into records (pure). Throws SourceFormatError when the body
   * does not have the documented shape.
   */
  readonly records: (body: unknown, request: HttpRequestSpec, window: PartitionWindow) => readonly Record<string, unknown>[];
  /** Per-request timeout. @default 15000 */
  readonly timeoutMs?: number;
  /**
   * Whether a request may answer with no record for its window. By default such an answer fails the
   * partition (SourceFormatError naming the request): a source that answers but yields nothing for a
   * window it covers is a changed or broken source, never a silent green. @default false
   */
  readonly allowEmpty?: boolean;
}

export interface CsvFilesSource {
  readonly kind: 'csv-files';
  /** File names in the pipeline's landing folder that belong to this source. @default /\.csv$/i */
  readonly filePattern?: RegExp;
  /**
   * Column that places a row in time, read by core/time.ts (see `timeFormat`, `timeZone`). Required
   * for partitioned pipelines; an unpartitioned one (`unpartitioned()`, a snapshot such as a
   * directory) leaves it out and every row belongs to its one partition `all`.
   */
  readonly timeColumn?: string;
  /**
   * How the files write times: a luxon format (`dd.MM.yyyy HH:mm`), a list of them, or `unix-s`,
   * `unix-ms`, `excel-serial`. @default ISO 8601, PostgreSQL's and `yyyy/MM/dd HH:mm[:ss]` forms
   */
  readonly timeFormat?: string | readonly string[];
  /**
   * Zone of times written without an offset: an IANA zone (`Europe/Berlin`) or a fixed offset
   * (`UTC+2`). Never the zone of the worker process or the database session. @default "UTC"
   */
  readonly timeZone?: string;
  /** Header columns every file must have. */
  readonly requiredColumns: readonly string[];
  /** @default "," */
  readonly delimiter?: string;
  /**
   * How the landing files are written (see activities/sources/landing-files.ts): `csv`; `json`, a
   * top-level array of objects or one at `jsonPath`; `ndjson`, one JSON object per line; `xlsx`, an
   * Excel workbook's `sheet`, header on `headerRow`. The default `filePattern` follows the format
   * (`.csv`, `.json`, `.ndjson`/`.jsonl`, `.xlsx`). @default "csv"
   */
  readonly format?: FileFormat;
  /** json only: dot path of the array inside the document, e.g. `data.items`. @default the top level */
  readonly jsonPath?: string;
  /** xlsx only: name of the worksheet to read. @default the first worksheet */
  readonly sheet?: string;
  /** xlsx only: 1-based row holding the column names; rows above it are ignored. @default 1 */
  readonly headerRow?: number;
  /** How often the pipeline's file sensor (workflows/sensor.ts) looks at the landing folder, in seconds. @default 30 */
  readonly sensorIntervalSeconds?: number;
}

/** Formats a landing file can be written in. */
export const FILE_FORMATS = ['csv', 'json', 'ndjson', 'xlsx'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];


/** One named input of a derived dataset: another pipeline (or the pipeline itself) and a partition mapping. */
export interface DerivedInput {
  /** Registered pipeline whose target table is read. May be the pipeline itself with `offsetBy(n ≥ 1)` (running totals). */
  readonly pipeline: string;
  /** Which upstream partitions a partition reads (core/mapping.ts). */
  readonly mapping: PartitionMapping;
}

/** What a derived query may use, besides its inputs. */
export interface DerivedQueryContext<P extends Params = Params> {
  readonly partition: string;
  readonly params: P;
}

/**
 * A derived dataset: rows computed by one SQL query over the target tables of other pipelines.
 *
 * The query names its inputs only as `{{name}}` placeholders; the activity replaces each with a
 * sub-select of that input's validated, quoted target table restricted to the upstream partitions
 * the mapping selects (`dp_partition` in a bound range), aliased as the input's name (refer to its
 * columns as `name.col`; do not alias the placeholder again). Bound values: `:partition` (text),
 * `:window_start` and `:window_end` (timestamptz of [start, end)), and `:param_<name>` for scalar
 * params. Before running it, the activity EXPLAINs the expanded query and refuses any relation that
 * is not one of the declared inputs' tables (a table named directly, a view, another schema), and
 * runs it in a READ ONLY transaction. Order the rows (ORDER BY) so the data checksum is stable.
 */
export interface DerivedSource<P extends Params = Params> {
  readonly kind: 'derived';
  readonly inputs: Readonly<Record<string, DerivedInput>>;
  readonly query: string | ((ctx: DerivedQueryContext<P>) => string);
}

export type Source<P extends Params = Params> = HttpJsonSource<P> | CsvFilesSource | DerivedSource<P>;

/** Thrown by a source's pure parser when the input does not have the expected shape. */
export class SourceFormatError extends Error {
  override readonly name = 'SourceFormatError';
}

export const SQL_TYPES = ['text', 'integer', 'bigint', 'double precision', 'numeric', 'boolean', 'date', 'timestamptz', 'jsonb'] as const;
export type SqlType = (typeof SQL_TYPES)[number];

export interface Target {
  /** Target table (in the DataPulse schema). */
  readonly table: string;
  /** Column types of the target table, besides the partition column DataPulse adds. */
  readonly columns: Readonly<Record<string, SqlType>>;
  /**
   * Columns that identify a row; rows sharing a key are deduplicated (the last one wins). Empty
   * when `rowKey` is `source-position` or `none`.
   */
  readonly key: readonly string[];
  /**
   * What identifies a row, for data without a natural key (incident reports, event logs):
   * `columns` — the `key` columns; `source-position` — the source file and line (target columns
   * `dp_source_file`, `dp_line_no`; stable while the file's content is unchanged; nothing is
   * deduplicated); `none` — no key at all (the partition's rows are replaced as a whole, nothing is
   * deduplicated, no primary key). @default "columns"
   */
  readonly rowKey?: RowKey;
  /**
   * Secondary indexes for the queries that read the table (dashboards, alerts), each a list of
   * target columns (or `dp_partition` with others: alone, it is `partitionIndex`'s), created with
   * the table or on the next load when added. Named `<table>_<cols>_idx`. @default []
   */
  readonly indexes?: readonly (readonly string[])[];
  /**
   * Access method of the index on `dp_partition`, by which a load replaces a partition's rows:
   * - `btree` (the default): exact look-ups whatever the order partitions are loaded in; each row
   *   loaded costs an index entry (about a third of a big load's insert time, docs/benchmarks.md).
   * - `brin`: one summary per 32 pages (PostgreSQL BRIN, minmax, `autosummarize`), almost free to
   *   keep up; a look-up reads the block ranges whose summary may hold the partition. Suits targets
   *   loaded in big partitions, mostly in partition order (daily extracts, backfills); a table whose
   *   small partitions are re-loaded out of order makes its ranges wide and its look-ups longer.
   * Named `<table>_dp_partition_idx` (btree) and `<table>_dp_partition_brin`. Switching an existing
   * table builds the declared index and drops the other on the next load (a plain CREATE INDEX:
   * writes to the table wait while it builds). Not part of the code version (it does not change
   * what is loaded). @default "btree"
   */
  readonly partitionIndex?: PartitionIndex;
}

/** Index methods for a target's `dp_partition` column (see Target.partitionIndex). */
export const PARTITION_INDEXES = ['btree', 'brin'] as const;
export type PartitionIndex = (typeof PARTITION_INDEXES)[number];

/** What identifies a target row (see Target.rowKey). */
export const ROW_KEYS = ['columns', 'source-position', 'none'] as const;
export type RowKey = (typeof ROW_KEYS)[number];

/** Target columns DataPulse adds for `rowKey: 'source-position'`. */
export const SOURCE_POSITION_COLUMNS = { dp_source_file: 'text', dp_line_no: 'integer' } as const;

/** How the pipeline's Temporal Schedule runs the newest partition. */
export interface ScheduleSettings {
  /** Minutes after each hour (hourly) or day (daily) at which the tick fires. @default 5 (hourly), 30 (daily) */
  readonly offsetMinutes?: number;
  /** Partitions behind the tick's nominal time: 1 runs the hour/day that just completed. @default 1 */
  readonly lag?: number;
  /** What a tick does while the previous scheduled run is still going. @default "BUFFER_ONE" */
  readonly overlap?: 'SKIP' | 'BUFFER_ONE' | 'BUFFER_ALL' | 'CANCEL_OTHER' | 'TERMINATE_OTHER' | 'ALLOW_ALL';
  /** How far back ticks missed while the server was down are caught up (ticks during a pause are skipped: backfill them). @default "1 day" */
  readonly catchupWindow?: string;
}

export interface TransformContext<P extends Params> {
  readonly partition: string;
  readonly params: P;
}

export interface PipelineDefinition<S extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>, P extends Params = Params> {
  /** Identifier of the pipeline: lower-case letters, digits, _. Part of workflow ids. */
  readonly name: string;
  readonly description: string;
  /**
   * Bump when the transform or business rules change in a way that should make loaded partitions
   * stale. The recorded code version also hashes the transform's source.
   */
  readonly version: number;
  readonly partitioning: Partitioning;
  readonly source: Source<P>;
  /** Validates and parses one raw record; rows that fail go to quarantine. */
  readonly schema: S;
  /** Row-local business logic from a valid row to the target's shape (pure). */
  readonly transform: (row: z.infer<S>, ctx: TransformContext<P>) => Record<string, unknown>;
  readonly target: Target;
  readonly params: P;
  /**
   * Fraction of rejected rows above which the partition fails instead of loading. @default 0.5
   */
  readonly maxRejectedRatio?: number;
  /**
   * Rejected rows a partition needs before `maxRejectedRatio` can fail it: one bad row in a sparse
   * day (1 of 1, 1 of 2) is quarantined and the rest loads, instead of failing the day. @default 2
   */
  readonly minRejectedRows?: number;
  /**
   * How partitions run their four steps: `activities` (each step a task on the queue, visible as
   * activity events, heartbeating) or `local-activities` (same code and retries inside the worker,
   * no server round trip per step: for many tiny partitions). @default "activities"
   */
  readonly execution?: 'activities' | 'local-activities';
  /** Schedule settings; every pipeline gets a schedule. @default {} (see ScheduleSettings) */
  readonly schedule?: ScheduleSettings;
  /**
   * Data quality checks run on each partition's valid rows at the end of validate (see core/checks.ts:
   * notNull, unique, acceptedValues, range, references, volume, sql). They name **target columns**
   * and see the rows typed as they will load; a check naming another column is refused here. Results are stored per
   * partition in `check_results`; a failing blocking check fails the partition before load. @default []
   */
  readonly checks?: readonly Check[];
  /**
   * Derived datasets only: `auto` starts a partition as soon as every upstream partition it maps to
   * has loaded (and re-runs it when they change); `manual` leaves that to schedules, `run` and
   * `backfill --stale`. @default "auto"
   */
  readonly automation?: 'auto' | 'manual';
  /**
   * Post-load actions the worker runs after each successful load of a partition, before it signals
   * downstream automation (names registered in activities/post-load.ts, e.g. `freelance-alerts`;
   * lower-case words joined by `-`). Each must be idempotent: it may run again for the same load
   * (retries, a worker dying before its completion is recorded). Its failure never fails the
   * partition, which is loaded; it is retried. @default []
   */
  readonly afterLoad?: readonly string[];
  /**
   * How old the newest loaded partition may get (now minus its end) before the pipeline counts as
   * late on the console's overview and the freshness alert. @default 2 partitions (hourly: 120 min, daily: 2 days)
   */
  readonly freshness?: { readonly expectWithinMinutes: number };
  /**
   * Row-level references resolved at validate: a valid row whose `column` is not found in
   * `table.refColumn` (a target table of the DataPulse schema, compared as text) is quarantined with
   * the reason `unknown <column> <value>: not in <table>.<refColumn>` instead of loading. The
   * referenced table must exist (its pipeline loaded once), or the partition fails naming it.
   * Unlike the `references` check (which reports), this keeps the rows out. @default []
   */
  readonly quarantineUnknown?: readonly RowReference[];
  /**
   * One outside message per new row, exactly once (activities/notifications.ts: the outbox ledger
   * keyed by `key`), enqueued in the load's transaction. Rows of a backfill, and rows older than
   * `maxAgeHours` at load, are recorded as history (never posted).
   */
  readonly notify?: NotifySpec;
  /**
   * Keep every materialization of each partition in `materialization_history` (per params version),
   * so `datapulse diff` can compare figures before and after a params change. @default false
   */
  readonly keepHistory?: boolean;
  /**
   * The set-based row path (activities/set-based.ts): the same schema and transform, written in SQL,
   * so that a big CSV file is validated and transformed by PostgreSQL in bulk instead of row by row
   * in JavaScript. Used for a CSV landing file whose rows all belong to the partition being loaded
   * (a month-end extract, one file per partition) and that has at least `minRows` rows; every other
   * file, and every row this SQL does not accept, takes the JavaScript path, where the zod schema
   * alone judges and words rejections. So this SQL only ever *accepts*: it must accept no row the
   * schema rejects and must compute what the transform computes. Validate checks that on the first
   * rows of every such file (a disagreement fails the partition, naming file, line and column), and
   * a test per pipeline should prove it on edge values (see tests/integration/set-based-path.test.ts).
   * Changing it changes the pipeline's code version (partitions become stale).
   */
  readonly sql?: SqlRowPath;
}

/**
 * How a source column's text reads in SQL (activities/set-based.ts). Each kind accepts a
 * conservative pattern whose values JavaScript reads identically; any other text is left to the
 * JavaScript path:
 * - `text`: the text as written (any value, including empty);
 * - `trimmed-text`: non-empty text that starts and ends with a printable ASCII character (what
 *   `z.string().trim()` leaves unchanged);
 * - `decimal`: `-?d{1,9}(.d{1,6})?` read as `double precision` (what `decimal()` returns for it);
 * - `integer`: `-?d{1,15}` read as `bigint`;
 * - `iso-date`: a real calendar date `YYYY-MM-DD`, years 0001–9999, read as `date` (what `isoDate()` accepts).
 */
export type SqlSourceKind = 'text' | 'trimmed-text' | 'decimal' | 'integer' | 'iso-date';

/** Kinds a column of {@link SqlRowPath.columns} may have. */
export const SQL_SOURCE_KINDS: readonly SqlSourceKind[] = ['text', 'trimmed-text', 'decimal', 'integer', 'iso-date'];

/** The set-based row path of a CSV pipeline (see PipelineDefinition.sql). */
export interface SqlRowPath {
  /**
   * The source (header) columns the SQL reads, each with how its text reads (names are lower-case
   * identifiers). A file whose header has a column not listed here takes the JavaScript path.
   */
  readonly columns: Readonly<Record<string, SqlSourceKind>>;
  /**
   * Condition (SQL over the typed source columns) a row must meet to be accepted here: the schema's
   * checks and refinements, e.g. `temp_min <= temp_max AND weather IN ('rain', 'sun')`. A row for
   * which it is false or null goes to the JavaScript path. @default every row whose columns all read
   */
  readonly accept?: string;
  /** Every target column as a SQL expression over the typed source columns (the transform). */
  readonly select: Readonly<Record<string, string>>;
  /** Fewest rows a file needs to take this path (smaller files are cheaper row by row). @default 10000 */
  readonly minRows?: number;
}

/** A row-level reference (see PipelineDefinition.quarantineUnknown). */
export interface RowReference {
  readonly column: string;
  readonly table: string;
  readonly refColumn: string;
}

/** One message per new row (see PipelineDefinition.notify). */
export interface NotifySpec {
  /** Outbox channel (lower-case identifier): the webhook is `NOTIFY_WEBHOOK_URL_<CHANNEL>`. */
  readonly channel: string;
  /** Target column whose value identifies a row's message once and for all (e.g. an activity id). */
  readonly key: string;
  /** Target column (timestamptz) of the row's event time: older than `maxAgeHours` at load is history. */
  readonly timeColumn: string;
  /** @default 36 */
  readonly maxAgeHours?: number;
  /**
   * Columns of another target table joined on `on` = `join.refColumn` (LEFT JOIN), given to
   * `message` as `<column>` too (e.g. the first name from the HR directory).
   */
  readonly join?: { readonly on: string; readonly table: string; readonly refColumn: string; readonly columns: readonly string[] };
  /** The message text for one row (pure; target columns as read back from PostgreSQL, plus joined columns). */
  readonly message: (row: Readonly<Record<string, unknown>>) => string;
}

/** Thrown when a pipeline definition is inconsistent. */
export class PipelineDefinitionError extends Error {
  override readonly name = 'PipelineDefinitionError';
}

/** Declares a pipeline, checking its names and shape once at load time. */
export function definePipeline<S extends z.ZodType<Record<string, unknown>>, P extends Params>(
  def: PipelineDefinition<S, P>,
): PipelineDefinition<S, P> {
  const fail = (msg: string): never => {
    throw new PipelineDefinitionError(`pipeline ${JSON.stringify(def.name)}: ${msg}`);
  };
  try {
    assertIdentifier(def.name, 'pipeline');
    assertIdentifier(def.target.table, 'table');
    for (const col of Object.keys(def.target.columns)) assertIdentifier(col, 'column');
  } catch (err) {
    fail((err as Error).message);
  }
  if (def.target.columns.dp_partition) fail('column dp_partition is reserved');
  for (const [col, type] of Object.entries(def.target.columns)) {
    if (!(SQL_TYPES as readonly string[]).includes(type)) fail(`column ${col} has unsupported type ${type}`);
  }
  const rowKey = def.target.rowKey ?? 'columns';
  if (!(ROW_KEYS as readonly string[]).includes(rowKey)) fail(`target.rowKey must be one of ${ROW_KEYS.join(', ')}`);
  if (rowKey === 'columns' && def.target.key.length === 0) fail("target.key must name at least one column (or set target.rowKey to 'source-position' or 'none' for data without a natural key)");
  if (rowKey !== 'columns' && def.target.key.length > 0) fail(`target.key must be empty with target.rowKey '${rowKey}'`);
  for (const c of Object.keys(SOURCE_POSITION_COLUMNS)) if (c in def.target.columns) fail(`column ${c} is reserved`);
  for (const k of def.target.key) if (!(k in def.target.columns)) fail(`key column ${k} is not a target column`);
  if (def.target.partitionIndex !== undefined && !(PARTITION_INDEXES as readonly string[]).includes(def.target.partitionIndex)) {
    fail(`target.partitionIndex must be one of ${PARTITION_INDEXES.join(', ')}`);
  }
  for (const cols of def.target.indexes ?? []) {
    if (cols.length === 0) fail('target.indexes: an index needs at least one column');
    for (const c of cols) if (!(c in def.target.columns) && c !== 'dp_partition') fail(`target.indexes: ${c} is not a target column`);
    // Its name would be the btree partition index's, which a BRIN partitionIndex drops.
    if (cols.length === 1 && cols[0] === 'dp_partition') fail("target.indexes: dp_partition alone is indexed already; choose its index with target.partitionIndex ('btree' or 'brin')");
  }
  if (!Object.values(Granularity).includes(def.partitioning.granularity)) fail(`unknown granularity ${def.partitioning.granularity}`);
  try {
    keyToStartMs(def.partitioning.granularity, def.partitioning.start);
  } catch (err) {
    fail(`partitioning.start: ${(err as Error).message}`);
  }
  if (def.source.kind === 'csv-files') {
    try {
      assertTimeOptions({ format: def.source.timeFormat, zone: def.source.timeZone });
    } catch (err) {
      fail(`source: ${(err as Error).message}`);
    }
    const src = def.source;
    const isStatic = def.partitioning.granularity === Granularity.STATIC;
    if (!isStatic && !src.timeColumn) fail('source.timeColumn is required (only an unpartitioned pipeline may leave it out)');
    if (isStatic && src.timeColumn !== undefined) fail('source.timeColumn: an unpartitioned pipeline places every row in its one partition; leave timeColumn out');
    const format = src.format ?? 'csv';
    if (!(FILE_FORMATS as readonly string[]).includes(format)) fail(`source.format must be one of ${FILE_FORMATS.join(', ')}, not ${JSON.stringify(format)}`);
    if (src.jsonPath !== undefined && format !== 'json') fail('source.jsonPath applies to format "json" only');
    if ((src.sheet !== undefined || src.headerRow !== undefined) && format !== 'xlsx') fail('source.sheet and source.headerRow apply to format "xlsx" only');
    if (src.sensorIntervalSeconds !== undefined && !(src.sensorIntervalSeconds >= 1)) fail('source.sensorIntervalSeconds must be at least 1');
    if (src.headerRow !== undefined && (!Number.isInteger(src.headerRow) || src.headerRow < 1)) fail('source.headerRow must be a positive integer');
    if (!src.timeColumn && def.partitioning.granularity !== Granularity.STATIC) fail('source.timeColumn is required unless the pipeline is unpartitioned');
    if (src.jsonPath !== undefined && !/^[^.]+(\.[^.]+)*$/.test(src.jsonPath)) fail(`source.jsonPath ${JSON.stringify(src.jsonPath)} must be dot-separated names, e.g. data.items`);
  }
  if (def.version < 1 || !Number.isInteger(def.version)) fail('version must be a positive integer');
  const ratio = def.maxRejectedRatio ?? 0.5;
  if (ratio < 0 || ratio > 1) fail('maxRejectedRatio must be within [0, 1]');
  if (def.source.kind === 'derived') {
    const names = Object.keys(def.source.inputs);
    if (names.length === 0) fail('a derived source needs at least one input');
    for (const [name, input] of Object.entries(def.source.inputs)) {
      try {
        assertIdentifier(name, 'input');
        assertIdentifier(input.pipeline, 'pipeline');
      } catch (err) {
        fail(`input ${name}: ${(err as Error).message}`);
      }
      if (input.pipeline === def.name && !(input.mapping.kind === 'window' && input.mapping.offset >= 1)) {
        fail(`input ${name} reads the pipeline itself: only earlier partitions can be read (offsetBy(n), n ≥ 1), or it would wait for itself`);
      }
    }
  }
  if (def.automation !== undefined && def.automation !== 'auto' && def.automation !== 'manual') fail(`automation must be "auto" or "manual", got ${String(def.automation)}`);
  for (const a of def.afterLoad ?? []) if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(a)) fail(`afterLoad: ${JSON.stringify(a)} is not a post-load action name (lower-case words joined by -)`);
  if (def.freshness && !(def.freshness.expectWithinMinutes > 0)) fail('freshness.expectWithinMinutes must be positive');
  if (def.minRejectedRows !== undefined && (!Number.isInteger(def.minRejectedRows) || def.minRejectedRows < 1)) fail('minRejectedRows must be a positive integer');
  for (const r of def.quarantineUnknown ?? []) {
    if (!(r.column in def.target.columns)) fail(`quarantineUnknown names column ${r.column}, which the target does not have`);
    try {
      assertIdentifier(r.table, 'table');
      assertIdentifier(r.refColumn, 'column');
    } catch (err) {
      fail(`quarantineUnknown: ${(err as Error).message}`);
    }
  }
  if (def.notify) {
    const n = def.notify;
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(n.channel)) fail(`notify.channel ${JSON.stringify(n.channel)} must be a lower-case identifier`);
    if (!(n.key in def.target.columns)) fail(`notify.key ${n.key} is not a target column`);
    if (def.target.columns[n.timeColumn] !== 'timestamptz') fail(`notify.timeColumn ${n.timeColumn} must be a timestamptz target column`);
    if (n.join) {
      try {
        assertIdentifier(n.join.table, 'table');
        assertIdentifier(n.join.refColumn, 'column');
        for (const c of n.join.columns) assertIdentifier(c, 'column');
      } catch (err) {
        fail(`notify.join: ${(err as Error).message}`);
      }
      if (!(n.join.on in def.target.columns)) fail(`notify.join.on ${n.join.on} is not a target column`);
    }
  }
  if (def.sql) {
    const q = def.sql;
    if (def.source.kind !== 'csv-files' || (def.source.format ?? 'csv') !== 'csv') fail('sql: the set-based row path reads CSV landing files only');
    const cols = Object.entries(q.columns);
    if (cols.length === 0) fail('sql.columns: name at least one source column');
    for (const [c, kind] of cols) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(c)) fail(`sql.columns: ${JSON.stringify(c)} is not a lower-case identifier`);
      if (!SQL_SOURCE_KINDS.includes(kind)) fail(`sql.columns.${c}: kind must be one of ${SQL_SOURCE_KINDS.join(', ')}`);
      if (c.startsWith('dp_') || ['record', 'source_file', 'line_no'].includes(c)) fail(`sql.columns: ${c} is a name of the raw table's own columns; rename the header column`);
    }
    const want = Object.keys(def.target.columns).sort();
    const got = Object.keys(q.select).sort();
    if (want.join() !== got.join()) fail(`sql.select must give exactly the target columns (${want.join(', ')}), got ${got.join(', ')}`);
    for (const [c, e] of Object.entries(q.select)) if (typeof e !== 'string' || e.trim() === '' || e.includes(';')) fail(`sql.select.${c} must be one SQL expression`);
    if (q.accept !== undefined && (q.accept.trim() === '' || q.accept.includes(';'))) fail('sql.accept must be one SQL condition');
    if (q.minRows !== undefined && !(Number.isInteger(q.minRows) && q.minRows >= 1)) fail('sql.minRows must be a positive integer');
    if (def.source.kind === 'csv-files' && def.source.delimiter !== undefined && !/^[\x20-\x7e\t]$/.test(def.source.delimiter)) fail('sql: the delimiter must be one ASCII character');
  }
  try {
    validateChecks(def.checks ?? []);
  } catch (err) {
    fail(`checks: ${(err as Error).message}`);
  }
  // Checks see the rows as they will load: every column they name must be a target column.
  const targetColumns = Object.keys(def.target.columns);
  for (const c of def.checks ?? []) {
    const named = 'columns' in c ? c.columns : 'column' in c ? [c.column] : [];
    for (const col of named) {
      if (!(col in def.target.columns)) {
        fail(`check ${c.name} names column ${col}, which the target does not have (checks see the target's columns: ${targetColumns.join(', ')})`);
      }
    }
    if (c.kind === 'range' && !['integer', 'bigint', 'double precision', 'numeric'].includes(def.target.columns[c.column] ?? '')) {
      fail(`check ${c.name}: range needs a numeric column, ${c.column} is ${def.target.columns[c.column]}`);
    }
  }
  return Object.freeze(def);
}

export const hourly = (start: string): Partitioning => ({ granularity: Granularity.HOURLY, start });
export const daily = (start: string): Partitioning => ({ granularity: Granularity.DAILY, start });
/** Calendar months from `start` (a key such as `2012-01`). */
export const monthly = (start: string): Partitioning => ({ granularity: Granularity.MONTHLY, start });
/** Unpartitioned: one key, `all` — a snapshot table (e.g. a directory of employees) re-loaded as a whole. */
export const unpartitioned = (): Partitioning => ({ granularity: Granularity.STATIC, start: STATIC_KEY });
