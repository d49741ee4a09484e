/**
 * Data quality checks declared in a pipeline definition (`checks: [...]`), and the pure functions
 * that turn a measurement into a result. Checks name **target columns**: they see the partition's
 * rows as they will load (after the schema, the transform and deduplication's input, before
 * load), typed in the target's SQL types; `definePipeline` refuses a check naming a column the
 * target does not have. The activities measure (SQL over those staged rows and the ledger); everything here is data plus arithmetic, unit-testable without a database.
 *
 * Every check is `blocking` (a failure stops the partition before load, non-retryably) or
 * `warning` (recorded and shown; a failing volume warning also alerts). @default "blocking"
 */
import { assertIdentifier } from './sql';

export const CheckSeverity = { BLOCKING: 'blocking', WARNING: 'warning' } as const;
export type CheckSeverity = (typeof CheckSeverity)[keyof typeof CheckSeverity];

export const CheckOutcome = { PASSED: 'passed', FAILED: 'failed', SKIPPED: 'skipped' } as const;
export type CheckOutcome = (typeof CheckOutcome)[keyof typeof CheckOutcome];

export const CheckKind = {
  NOT_NULL: 'not_null',
  UNIQUE: 'unique',
  ACCEPTED_VALUES: 'accepted_values',
  RANGE: 'range',
  REFERENCES: 'references',
  VOLUME: 'volume',
  SQL: 'sql',
} as const;
export type CheckKind = (typeof CheckKind)[keyof typeof CheckKind];

/** Options every check takes. */
export interface CheckOptions {
  /** @default "blocking" */
  readonly severity?: CheckSeverity;
  /** Name stored with the results and shown in messages. @default derived from the kind and columns, e.g. `unique(location_id,time)` */
  readonly name?: string;
  /** A failing warning also alerts (activities/alerts.ts `check-warning`), outside backfills. @default false */
  readonly alert?: boolean;
}

interface CheckBase {
  readonly name: string;
  readonly severity: CheckSeverity;
  readonly alert?: boolean;
}

export interface NotNullCheck extends CheckBase {
  readonly kind: typeof CheckKind.NOT_NULL;
  readonly column: string;
  readonly minRatio: number;
}
export interface UniqueCheck extends CheckBase {
  readonly kind: typeof CheckKind.UNIQUE;
  readonly columns: readonly string[];
}
export type AcceptedValue = string | number | boolean;
export interface AcceptedValuesCheck extends CheckBase {
  readonly kind: typeof CheckKind.ACCEPTED_VALUES;
  readonly column: string;
  readonly values: readonly AcceptedValue[];
}
export interface RangeCheck extends CheckBase {
  readonly kind: typeof CheckKind.RANGE;
  readonly column: string;
  readonly min?: number;
  readonly max?: number;
}
export interface ReferencesCheck extends CheckBase {
  readonly kind: typeof CheckKind.REFERENCES;
  readonly column: string;
  /** Table in the DataPulse schema. */
  readonly table: string;
  readonly refColumn: string;
}
export interface VolumeCheck extends CheckBase {
  readonly kind: typeof CheckKind.VOLUME;
  readonly lookback: number;
  readonly minRatio: number;
  readonly maxRatio: number;
  readonly minHistory: number;
  /** Zero rows may pass (compared like any count); otherwise zero always fails. */
  readonly allowEmpty: boolean;
}
export interface SqlCheck extends CheckBase {
  readonly kind: typeof CheckKind.SQL;
  readonly query: string;
}

export type Check = NotNullCheck | UniqueCheck | AcceptedValuesCheck | RangeCheck | ReferencesCheck | VolumeCheck | SqlCheck;

/** One check's verdict on one partition, as stored in `check_results`. */
export interface CheckResult {
  readonly name: string;
  readonly kind: CheckKind;
  readonly severity: CheckSeverity;
  readonly outcome: CheckOutcome;
  /** The measured number (ratio, count, rows...); null when nothing could be measured. */
  readonly value: number | null;
  /** What was allowed, in words (`≥ 90%`, `0 duplicate rows`...). */
  readonly threshold: string | null;
  /** What was found, without the `check <name> failed:` prefix. */
  readonly message: string;
}

/** Thrown when a check is declared with bad arguments. */
export class CheckDefinitionError extends Error {
  override readonly name = 'CheckDefinitionError';
}

const NAME_RE = /^[a-z_][a-z0-9_(),.>-]{0,99}$/;

function base(kind: CheckKind, derivedName: string, opts: CheckOptions | undefined): CheckBase {
  const severity = opts?.severity ?? CheckSeverity.BLOCKING;
  if (severity !== CheckSeverity.BLOCKING && severity !== CheckSeverity.WARNING) throw new CheckDefinitionError(`${kind}: unknown severity ${String(severity)}`);
  const name = opts?.name ?? derivedName;
  if (!NAME_RE.test(name)) throw new CheckDefinitionError(`invalid check name ${JSON.stringify(name)}: lower-case letters, digits and _(),.>- (max 100)`);
  return opts?.alert ? { name, severity, alert: true } : { name, severity };
}

function ratioIn01(kind: string, what: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0 && v <= 1)) throw new CheckDefinitionError(`${kind}: ${what} must be within [0, 1], got ${v}`);
  return v;
}

/** Completeness: at least `minRatio` of the partition's valid rows have a non-null `column`. */
export function notNull(column: string, opts: CheckOptions & { /** @default 1 */ readonly minRatio?: number } = {}): NotNullCheck {
  assertIdentifier(column, 'column');
  return { kind: CheckKind.NOT_NULL, ...base(CheckKind.NOT_NULL, `not_null(${column})`, opts), column, minRatio: ratioIn01('not_null', 'minRatio', opts.minRatio ?? 1) };
}

/** Key uniqueness among the partition's valid rows, counted before deduplication. */
export function unique(columns: readonly string[], opts: CheckOptions = {}): UniqueCheck {
  if (columns.length === 0) throw new CheckDefinitionError('unique: name at least one column');
  for (const c of columns) assertIdentifier(c, 'column');
  return { kind: CheckKind.UNIQUE, ...base(CheckKind.UNIQUE, `unique(${columns.join(',')})`, opts), columns: [...columns] };
}

/** Every non-null `column` is one of `values`. */
export function acceptedValues(column: string, values: readonly AcceptedValue[], opts: CheckOptions = {}): AcceptedValuesCheck {
  assertIdentifier(column, 'column');
  if (values.length === 0) throw new CheckDefinitionError('accepted_values: list at least one value');
  return { kind: CheckKind.ACCEPTED_VALUES, ...base(CheckKind.ACCEPTED_VALUES, `accepted_values(${column})`, opts), column, values: [...values] };
}

/** Every non-null `column` is a number within [min, max] (either bound may be left open). */
export function range(column: string, opts: CheckOptions & { readonly min?: number; readonly max?: number }): RangeCheck {
  assertIdentifier(column, 'column');
  if (opts.min === undefined && opts.max === undefined) throw new CheckDefinitionError('range: give min, max or both');
  if (opts.min !== undefined && opts.max !== undefined && opts.min > opts.max) throw new CheckDefinitionError(`range: min ${opts.min} is above max ${opts.max}`);
  return {
    kind: CheckKind.RANGE,
    ...base(CheckKind.RANGE, `range(${column})`, opts),
    column,
    ...(opts.min !== undefined ? { min: opts.min } : {}),
    ...(opts.max !== undefined ? { max: opts.max } : {}),
  };
}

/** Referential integrity: every non-null `column` exists in `table.column` of the DataPulse schema (compared as text). */
export function references(column: string, ref: { readonly table: string; readonly column: string }, opts: CheckOptions = {}): ReferencesCheck {
  assertIdentifier(column, 'column');
  assertIdentifier(ref.table, 'table');
  assertIdentifier(ref.column, 'column');
  return {
    kind: CheckKind.REFERENCES,
    ...base(CheckKind.REFERENCES, `references(${column}->${ref.table}.${ref.column})`, opts),
    column,
    table: ref.table,
    refColumn: ref.column,
  };
}

/**
 * Row volume: the partition's valid rows against the median of the last `lookback` succeeded
 * partitions before it (by key). Skipped while fewer than `minHistory` exist. Zero rows always fail
 * (an answer with nothing in it is not a success, and a median of zero is no baseline) unless
 * `allowEmpty`.
 */
export function volume(
  opts: CheckOptions & {
    /** @default 7 */ readonly lookback?: number;
    /** @default 0.5 */ readonly minRatio?: number;
    /** @default 2 */ readonly maxRatio?: number;
    /** @default 3 */ readonly minHistory?: number;
    /** Zero rows is a normal partition (sparse events). Otherwise zero always fails. @default false */
    readonly allowEmpty?: boolean;
  } = {},
): VolumeCheck {
  const lookback = opts.lookback ?? 7;
  const minHistory = opts.minHistory ?? 3;
  const minRatio = opts.minRatio ?? 0.5;
  const maxRatio = opts.maxRatio ?? 2;
  if (!Number.isInteger(lookback) || lookback < 1 || lookback > 1000) throw new CheckDefinitionError(`volume: lookback must be an integer within [1, 1000], got ${lookback}`);
  if (!Number.isInteger(minHistory) || minHistory < 1 || minHistory > lookback) throw new CheckDefinitionError(`volume: minHistory must be an integer within [1, lookback], got ${minHistory}`);
  if (!(minRatio >= 0 && Number.isFinite(minRatio))) throw new CheckDefinitionError(`volume: minRatio must be ≥ 0, got ${minRatio}`);
  if (!(maxRatio >= Math.max(1, minRatio))) throw new CheckDefinitionError(`volume: maxRatio must be ≥ 1 and ≥ minRatio, got ${maxRatio}`);
  return { kind: CheckKind.VOLUME, ...base(CheckKind.VOLUME, 'volume', opts), lookback, minRatio, maxRatio, minHistory, allowEmpty: opts.allowEmpty ?? false };
}

/**
 * A custom SQL check: one query returning exactly one row with `value` (a number or null) and
 * `passed` (boolean), optionally `threshold` and `message` (text). It gets the partition key as $1
 * and the pipeline as $2, runs with the DataPulse schema on the search path and reads the
 * partition's rows from the temporary view `partition_rows` (the target's columns, typed, as they
 * will load), e.g. `SELECT count(*) AS value, count(*) > 0 AS passed FROM partition_rows`; anything
 * it writes is rolled back. `:param_<name>` binds the pipeline's scalar param `name` (as text: cast
 * it, `(:param_rate)::numeric`), so a check follows a params change without being rewritten.
 */
export function sql(name: string, query: string, opts: Omit<CheckOptions, 'name'> = {}): SqlCheck {
  if (!query.trim()) throw new CheckDefinitionError(`sql check ${name}: empty query`);
  const params = [...query.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  if (params.some((n) => n < 1 || n > 2)) throw new CheckDefinitionError(`sql check ${name}: only $1 (partition key) and $2 (pipeline) are bound`);
  return { kind: CheckKind.SQL, ...base(CheckKind.SQL, name, { ...opts, name }), query };
}

/** Re-checks declared checks (also hand-built ones): identifiers, kinds and unique names. */
export function validateChecks(checks: readonly Check[]): void {
  const names = new Set<string>();
  for (const c of checks) {
    if (!Object.values(CheckKind).includes(c.kind)) throw new CheckDefinitionError(`unknown check kind ${String((c as { kind: unknown }).kind)}`);
    base(c.kind, c.name, c);
    if (names.has(c.name)) throw new CheckDefinitionError(`two checks are named ${c.name}: give one a { name }`);
    names.add(c.name);
    if ('column' in c) assertIdentifier(c.column, 'column');
    if (c.kind === CheckKind.UNIQUE) for (const col of c.columns) assertIdentifier(col, 'column');
    if (c.kind === CheckKind.REFERENCES) {
      assertIdentifier(c.table, 'table');
      assertIdentifier(c.refColumn, 'column');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation (pure)
// ---------------------------------------------------------------------------------------------

/** Compact number for messages: integers as is, others with up to 3 decimals. */
export function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Math.round(n * 1000) / 1000);
}

function pct(ratio: number): string {
  return `${fmt(Math.round(ratio * 1000) / 10)}%`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function result(c: Check, outcome: CheckOutcome, value: number | null, threshold: string | null, message: string): CheckResult {
  return { name: c.name, kind: c.kind, severity: c.severity, outcome, value, threshold, message };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function evaluateNotNull(c: NotNullCheck, m: { readonly rows: number; readonly nonNull: number }): CheckResult {
  const threshold = `≥ ${pct(c.minRatio)}`;
  if (m.rows === 0) return result(c, CheckOutcome.SKIPPED, null, threshold, 'no valid rows to measure');
  const ratio = m.nonNull / m.rows;
  const outcome = ratio >= c.minRatio ? CheckOutcome.PASSED : CheckOutcome.FAILED;
  return result(c, outcome, ratio, threshold, `${pct(ratio)} of ${plural(m.rows, 'row')} have ${c.column} (${m.rows - m.nonNull} null; allowed ${threshold})`);
}

export function evaluateUnique(c: UniqueCheck, m: { readonly rows: number; readonly duplicateRows: number; readonly duplicateKeys: number }): CheckResult {
  const threshold = '0 duplicate rows';
  const outcome = m.duplicateRows === 0 ? CheckOutcome.PASSED : CheckOutcome.FAILED;
  const message =
    m.duplicateRows === 0
      ? `${plural(m.rows, 'row')}, every (${c.columns.join(', ')}) distinct`
      : `${plural(m.duplicateRows, 'row repeats', 'rows repeat')} a (${c.columns.join(', ')}) seen before (${plural(m.duplicateKeys, 'key')} affected; allowed 0)`;
  return result(c, outcome, m.duplicateRows, threshold, message);
}

function listText(values: readonly AcceptedValue[], max = 8): string {
  const shown = values.slice(0, max).map((v) => String(v));
  return `[${shown.join(', ')}${values.length > max ? `, … ${values.length - max} more` : ''}]`;
}

export function evaluateAcceptedValues(c: AcceptedValuesCheck, m: { readonly rows: number; readonly outside: number; readonly distinctOutside: number }): CheckResult {
  const threshold = `in ${listText(c.values)}`;
  const outcome = m.outside === 0 ? CheckOutcome.PASSED : CheckOutcome.FAILED;
  const message =
    m.outside === 0
      ? `every non-null ${c.column} of ${plural(m.rows, 'row')} is accepted`
      : `${plural(m.outside, 'row has', 'rows have')} a ${c.column} outside ${listText(c.values)} (${plural(m.distinctOutside, 'distinct value')})`;
  return result(c, outcome, m.outside, threshold, message);
}

function boundsText(c: RangeCheck): string {
  if (c.min !== undefined && c.max !== undefined) return `[${fmt(c.min)}, ${fmt(c.max)}]`;
  if (c.min !== undefined) return `≥ ${fmt(c.min)}`;
  return `≤ ${fmt(c.max as number)}`;
}

export function evaluateRange(
  c: RangeCheck,
  m: { readonly rows: number; readonly below: number; readonly above: number; readonly notNumeric: number; readonly min: number | null; readonly max: number | null },
): CheckResult {
  const threshold = boundsText(c);
  const outside = m.below + m.above + m.notNumeric;
  const observed = m.min !== null && m.max !== null ? `observed ${fmt(m.min)} – ${fmt(m.max)}` : 'no numbers observed';
  if (outside === 0) return result(c, CheckOutcome.PASSED, 0, threshold, `${c.column} within ${threshold} in ${plural(m.rows, 'row')} (${observed})`);
  const parts = [m.below ? `${m.below} below` : '', m.above ? `${m.above} above` : '', m.notNumeric ? `${m.notNumeric} not a number` : ''].filter(Boolean);
  return result(c, CheckOutcome.FAILED, outside, threshold, `${plural(outside, 'row has', 'rows have')} ${c.column} outside ${threshold} (${parts.join(', ')}; ${observed})`);
}

export function evaluateReferences(c: ReferencesCheck, m: { readonly rows: number; readonly missing: number; readonly distinctMissing: number }): CheckResult {
  const threshold = '0 missing';
  const target = `${c.table}.${c.refColumn}`;
  if (m.missing === 0) return result(c, CheckOutcome.PASSED, 0, threshold, `every non-null ${c.column} of ${plural(m.rows, 'row')} exists in ${target}`);
  return result(c, CheckOutcome.FAILED, m.missing, threshold, `${plural(m.missing, 'row has', 'rows have')} a ${c.column} missing from ${target} (${plural(m.distinctMissing, 'distinct value')})`);
}

/** Volume against the median of `history` (newest first, at most `lookback` long). */
export function evaluateVolume(c: VolumeCheck, m: { readonly rows: number; readonly history: readonly number[] }): CheckResult {
  const allowed = `allowed ${fmt(c.minRatio)}×–${fmt(c.maxRatio)}×`;
  // Silence is not success: zero rows never pass (not against a median of zero, not before the
  // history is long enough), unless the check says empty partitions are normal.
  if (m.rows === 0 && !c.allowEmpty) {
    const seen = m.history.length > 0 ? `median ${fmt(median(m.history))} of the last ${plural(m.history.length, 'succeeded partition')}` : 'no succeeded partition before this one';
    return result(c, CheckOutcome.FAILED, 0, '≥ 1 row', `0 rows: the source yielded nothing for this partition (${seen}); set allowEmpty on the volume check if empty partitions are normal`);
  }
  if (m.history.length < c.minHistory) {
    return result(
      c,
      CheckOutcome.SKIPPED,
      m.rows,
      null,
      `${plural(m.rows, 'row')}; only ${plural(m.history.length, 'succeeded partition')} before this one, ${c.minHistory} needed to compare`,
    );
  }
  const med = median(m.history);
  const lo = med * c.minRatio;
  const hi = med * c.maxRatio;
  const threshold = `${fmt(lo)}–${fmt(hi)} rows (${fmt(c.minRatio)}×–${fmt(c.maxRatio)}× median ${fmt(med)})`;
  const ok = m.rows >= lo && m.rows <= hi;
  const message = `${plural(m.rows, 'row')} vs median ${fmt(med)} of the last ${plural(m.history.length, 'succeeded partition')} (${allowed})`;
  return result(c, ok ? CheckOutcome.PASSED : CheckOutcome.FAILED, m.rows, threshold, message);
}

function toNumber(v: unknown): number | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Judges the rows a custom SQL check returned. */
export function evaluateSql(c: SqlCheck, rows: readonly Record<string, unknown>[]): CheckResult {
  const shape = 'expected exactly one row with columns value (number or null) and passed (boolean)';
  if (rows.length !== 1) return result(c, CheckOutcome.FAILED, null, null, `query returned ${plural(rows.length, 'row')}; ${shape}`);
  const row = rows[0] as Record<string, unknown>;
  const value = toNumber(row.value);
  if (value === undefined || typeof row.passed !== 'boolean') return result(c, CheckOutcome.FAILED, null, null, `query returned columns [${Object.keys(row).join(', ')}]; ${shape}`);
  const threshold = row.threshold === null || row.threshold === undefined ? null : String(row.threshold).slice(0, 200);
  const given = typeof row.message === 'string' && row.message.trim() ? row.message.trim().slice(0, 500) : undefined;
  const message = given ?? `value ${value === null ? 'null' : fmt(value)}${threshold ? ` (allowed ${threshold})` : ''}`;
  return result(c, row.passed ? CheckOutcome.PASSED : CheckOutcome.FAILED, value, threshold, message);
}

/** The result of a check whose query could not run (bad SQL, missing table...). */
export function queryFailed(c: Check, err: Error): CheckResult {
  return result(c, CheckOutcome.FAILED, null, null, `its query failed: ${err.message.split('\n')[0]?.slice(0, 300) ?? ''}`);
}

export function isBlockingFailure(r: CheckResult): boolean {
  return r.outcome === CheckOutcome.FAILED && r.severity === CheckSeverity.BLOCKING;
}

export function isWarning(r: CheckResult): boolean {
  return r.outcome === CheckOutcome.FAILED && r.severity === CheckSeverity.WARNING;
}

/** `check volume failed: 3 rows vs median 72 of the last 5 succeeded partitions (allowed 0.5×–2×)` */
export function checkFailureText(r: Pick<CheckResult, 'name' | 'message'>): string {
  return `check ${r.name} failed: ${r.message}`;
}

/** The message of a partition failed by its blocking checks: each failure, most important first. */
export function blockingFailureMessage(results: readonly CheckResult[]): string {
  return results.filter(isBlockingFailure).map(checkFailureText).join('; ');
}
