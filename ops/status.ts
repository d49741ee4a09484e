/**
 * The partition map of a pipeline, from its ledger: the state of every partition of a range
 * (succeeded, stale, failed, running, missing), counts, runs of equal states and the failures.
 *
 * Pure except for the two small queries at the end (`earliestLedgerKey`, `ledgerRowsInRange`).
 * Built to stay cheap for 100,000+ partitions: the range's keys are generated lazily, once, and
 * nothing per partition is kept except the ledger rows that exist.
 */
import type { Config } from '../infra/config';
import { workflowUiUrl, workflowsQueryUiUrl } from '../infra/config';
import type { Pool } from '../infra/db';
import { currentFingerprint } from '../infra/fingerprint';
import { countKeys, Granularity, InvalidPartitionKeyError, isValidKey, keyForTime, keysInRange, keyToStartMs, shiftKey } from '../core/partition';
import type { PipelineDefinition } from '../core/pipeline';
import { ledgerRowState, PartitionState, type CurrentFingerprint, SOURCE_CHANGED_SQL } from '../core/plan';
import { unplacedLine, type UnplacedTotals } from './unplaced';

/** The ledger columns the map reads (snake_case, as selected). */
export interface StatusLedgerRow {
  readonly partition_key: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly params_hash: string | null;
  readonly code_version: string | null;
  /** The source changed under the partition after its last run started (core/plan.ts SOURCE_CHANGED_SQL). */
  readonly source_changed?: boolean | null;
  readonly error: string | null;
  readonly failed_step: string | null;
  readonly error_type?: string | null;
  readonly workflow_id: string | null;
  readonly run_id: string | null;
  readonly rows_loaded: number | null;
  readonly rows_quarantined: number | null;
  /** Absent in rows built by hand (tests): counts as 0. */
  readonly rows_deduplicated?: number | null;
  readonly finished_at: Date | string | null;
}

/** States in display order. */
export const STATES: readonly PartitionState[] = [
  PartitionState.SUCCEEDED,
  PartitionState.STALE,
  PartitionState.FAILED,
  PartitionState.RUNNING,
  PartitionState.MISSING,
];

export const STATE_GLYPHS: Readonly<Record<PartitionState, string>> = {
  succeeded: '█',
  stale: 's',
  failed: 'x',
  running: 'r',
  missing: '·',
};

export type StateCounts = Record<PartitionState, number>;

/** Consecutive partitions in the same state: [first, last], both inclusive. */
export interface StatusRun {
  readonly first: string;
  readonly last: string;
  readonly state: PartitionState;
  readonly length: number;
}

export interface FailedPartition {
  readonly key: string;
  readonly step: string | null;
  readonly error: string | null;
  readonly errorType: string | null;
  readonly workflowId: string | null;
  readonly runId: string | null;
  readonly finishedAt: string | null;
}

export interface StatusMap {
  readonly pipeline: string;
  readonly granularity: Granularity;
  /** Inclusive. */
  readonly from: string;
  /** Exclusive. */
  readonly to: string;
  readonly total: number;
  readonly counts: StateCounts;
  /** Rows loaded / quarantined / dropped as duplicates by the partitions of the range that are succeeded or stale. */
  readonly rows: { readonly loaded: number; readonly quarantined: number; readonly deduplicated: number };
  readonly runs: readonly StatusRun[];
  /** Every failed partition of the range, in key order. */
  readonly failed: readonly FailedPartition[];
  /** Data quality check results of the range, when queried (see checkResultsInRange). */
  readonly checks?: StatusChecks;
  /**
   * Source rows of the pipeline that no partition can own (file sources; see ops/unplaced.ts), when
   * queried. Not per range: a row whose time is unreadable has no partition.
   */
  readonly unplaced?: UnplacedTotals;
}

/** A failed check of a partition (`check_results`, see core/checks.ts). */
export interface StatusCheckResult {
  readonly name: string;
  readonly severity: string;
  readonly value: number | null;
  readonly threshold: string | null;
  readonly message: string;
}

export interface StatusChecks {
  /** Blocking checks that failed in the range. */
  readonly failed: number;
  /** Warning-severity checks that failed in the range. */
  readonly warnings: number;
  /** The failed checks of the range's failed partitions, by key. */
  readonly ofFailed: Readonly<Record<string, readonly StatusCheckResult[]>>;
}

/** Thrown for a bad --from/--to: one line, naming the flag. */
export class StatusRangeError extends Error {
  override readonly name = 'StatusRangeError';
}

/** Ranges larger than this are refused (memory and time stay bounded). */
export const MAX_STATUS_PARTITIONS = 1_000_000;

/** How far back the map starts when the ledger of the pipeline is empty. */
export const EMPTY_LEDGER_LOOKBACK: Readonly<Record<Granularity, number>> = { hourly: 7 * 24, daily: 90, monthly: 24, static: 1 };

function checkKey(g: Granularity, flag: '--from' | '--to', key: string): void {
  try {
    keyToStartMs(g, key);
  } catch (err) {
    if (err instanceof InvalidPartitionKeyError) throw new StatusRangeError(`${flag}: ${err.message}`);
    throw err;
  }
}

/** Validates explicit --from/--to before anything is queried. */
export function validateRangeFlags(def: Pick<PipelineDefinition, 'name' | 'partitioning'>, opts: { from?: string; to?: string }): void {
  const g = def.partitioning.granularity;
  if (opts.from !== undefined) {
    checkKey(g, '--from', opts.from);
    if (keyToStartMs(g, opts.from) < keyToStartMs(g, def.partitioning.start)) {
      throw new StatusRangeError(`--from ${opts.from} is before the first partition of ${def.name} (${def.partitioning.start})`);
    }
  }
  if (opts.to !== undefined) checkKey(g, '--to', opts.to);
}

/** First and last partition keys (both inclusive) something is known about: ledger rows, landing files. */
export interface KnownSpan {
  readonly first: string;
  readonly last: string;
}

/** The smallest span holding every given span (undefined ones ignored); undefined when none is given. */
export function unionSpans(...spans: readonly (KnownSpan | undefined)[]): KnownSpan | undefined {
  let out: KnownSpan | undefined;
  for (const s of spans) {
    if (!s) continue;
    out = out ? { first: s.first < out.first ? s.first : out.first, last: s.last > out.last ? s.last : out.last } : s;
  }
  return out;
}

/**
 * The range [from, to) of the map. Defaults: the span the pipeline's ledger and landing files cover
 * (`known`: from its first key to the partition after its last), so a dataset that ended in 2015 is
 * not mapped through today; without `known`, the present partition back 7 days (hourly) / 90 days
 * (daily). Never before the pipeline's start. An explicit flag outside `known` falls back to that
 * present-based default for the other end (`--to` before `known`: 7/90 days before it).
 */
export function resolveStatusRange(
  def: Pick<PipelineDefinition, 'name' | 'partitioning'>,
  opts: { from?: string; to?: string },
  known: KnownSpan | undefined,
  nowMs: number,
): { from: string; to: string } {
  validateRangeFlags(def, opts);
  const g = def.partitioning.granularity;
  const valid = known && isValidKey(g, known.first) && isValidKey(g, known.last) ? known : undefined;
  // The partition after the latest complete one is the one that holds now.
  const present = keyForTime(g, nowMs);
  let to = opts.to;
  if (to === undefined) {
    to = valid ? shiftKey(g, valid.last, 1) : present;
    if (opts.from !== undefined && to <= opts.from) to = present;
  }
  let from = opts.from;
  if (from === undefined) {
    if (valid && valid.first < to) {
      from = valid.first;
    } else {
      from = shiftKey(g, to, -EMPTY_LEDGER_LOOKBACK[g]);
    }
    if (keyToStartMs(g, from) < keyToStartMs(g, def.partitioning.start)) from = def.partitioning.start;
  }
  const n = countKeys(g, from, to);
  if (n <= 0) throw new StatusRangeError(`empty range: --to ${to} must be after --from ${from} (the range is [from, to))`);
  if (n > MAX_STATUS_PARTITIONS) {
    throw new StatusRangeError(`range ${from} … ${to} holds ${n} partitions (at most ${MAX_STATUS_PARTITIONS}); narrow it with --from/--to`);
  }
  return { from, to };
}

function emptyCounts(): StateCounts {
  return { succeeded: 0, stale: 0, failed: 0, running: 0, missing: 0 };
}

function isoOrNull(v: Date | string | null): string | null {
  if (v === null) return null;
  return v instanceof Date ? v.toISOString() : v;
}

/**
 * Computes the map of [from, to). `rows` may hold keys outside the range or in any order; only
 * the ones that are keys of the range count. Each key of the range is generated once.
 */
export function computeStatus(
  input: { pipeline: string; granularity: Granularity; current: CurrentFingerprint },
  from: string,
  to: string,
  rows: Iterable<StatusLedgerRow>,
): StatusMap {
  const g = input.granularity;
  const byKey = new Map<string, StatusLedgerRow>();
  for (const r of rows) byKey.set(r.partition_key, r);

  const counts = emptyCounts();
  const runs: StatusRun[] = [];
  const failed: FailedPartition[] = [];
  let loaded = 0;
  let quarantined = 0;
  let deduplicated = 0;
  let total = 0;
  let runState: PartitionState | undefined;
  let runFirst = '';
  let runLast = '';
  let runLength = 0;

  for (const key of keysInRange(g, from, to)) {
    const row = byKey.get(key);
    const state = ledgerRowState(row, input.current);
    counts[state]++;
    total++;
    if (row) {
      if (state === PartitionState.SUCCEEDED || state === PartitionState.STALE) {
        loaded += row.rows_loaded ?? 0;
        quarantined += row.rows_quarantined ?? 0;
        deduplicated += row.rows_deduplicated ?? 0;
      } else if (state === PartitionState.FAILED) {
        failed.push({
          key,
          step: row.failed_step,
          error: row.error,
          errorType: row.error_type ?? null,
          workflowId: row.workflow_id,
          runId: row.run_id,
          finishedAt: isoOrNull(row.finished_at),
        });
      }
    }
    if (state === runState) {
      runLast = key;
      runLength++;
    } else {
      if (runState !== undefined) runs.push({ first: runFirst, last: runLast, state: runState, length: runLength });
      runState = state;
      runFirst = key;
      runLast = key;
      runLength = 1;
    }
  }
  if (runState !== undefined) runs.push({ first: runFirst, last: runLast, state: runState, length: runLength });

  return { pipeline: input.pipeline, granularity: g, from, to, total, counts, rows: { loaded, quarantined, deduplicated }, runs, failed };
}

/** The map of one pipeline's definition (current params hash and code version). */
export function computePipelineStatus(def: PipelineDefinition, from: string, to: string, rows: Iterable<StatusLedgerRow>): StatusMap {
  return computeStatus({ pipeline: def.name, granularity: def.partitioning.granularity, current: currentFingerprint(def) }, from, to, rows);
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

export interface RenderOptions {
  readonly config: Pick<Config, 'uiUrl' | 'namespace'>;
  /** Above this many grid lines, print runs instead. @default 60 */
  readonly maxGridLines?: number;
  /** At most this many runs are printed (head and tail), the rest elided. @default 40 */
  readonly maxRuns?: number;
  /** @default 20 */
  readonly maxFailed?: number;
  /** @default 160 */
  readonly maxErrorChars?: number;
}

/** Lines of the grid: days (hourly) or months (daily) the range touches. */
export function gridLineCount(map: Pick<StatusMap, 'granularity' | 'from' | 'to' | 'total'>): number {
  if (map.total === 0) return 0;
  const last = shiftKey(map.granularity, map.to, -1);
  if (map.granularity === Granularity.HOURLY) {
    return countKeys(Granularity.DAILY, map.from.slice(0, 10), last.slice(0, 10)) + 1;
  }
  if (map.granularity === Granularity.MONTHLY) return Number(last.slice(0, 4)) - Number(map.from.slice(0, 4)) + 1;
  if (map.granularity === Granularity.STATIC) return 1;
  const months = (k: string) => Number(k.slice(0, 4)) * 12 + Number(k.slice(5, 7)) - 1;
  return months(last) - months(map.from) + 1;
}

/** "1 partition", "2 partitions". */
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function countsText(counts: StateCounts): string {
  return STATES.map((s) => `${counts[s]} ${s}`).join(', ');
}

function ruler(width: number, marks: readonly number[], base: number): string {
  const chars = Array.from({ length: width }, () => ' ');
  for (const m of marks) {
    const label = String(m);
    for (let i = 0; i < label.length && m - base + i < width; i++) chars[m - base + i] = label[i] ?? ' ';
  }
  return chars.join('').trimEnd();
}

function renderGrid(map: StatusMap): string[] {
  const hourly = map.granularity === Granularity.HOURLY;
  const monthly = map.granularity === Granularity.MONTHLY || map.granularity === Granularity.STATIC;
  const labelWidth = hourly ? 10 : monthly ? 4 : 7;
  const width = hourly ? 24 : monthly ? 12 : 31;
  const indent = '  ';
  const lines = [
    hourly
      ? `${indent}${'UTC day'.padEnd(labelWidth)}  ${ruler(width, [0, 6, 12, 18], 0)}`
      : monthly
        ? `${indent}${'year'.padEnd(labelWidth)}  ${ruler(width, [1, 6, 10], 1)}`
        : `${indent}${'month'.padEnd(labelWidth)}  ${ruler(width, [1, 10, 20, 30], 1)}`,
  ];
  let label = '';
  let cells: string[] = [];
  const flush = () => {
    if (label) lines.push(`${indent}${label}  ${cells.join('').trimEnd()}`);
  };
  const keys = keysInRange(map.granularity, map.from, map.to);
  for (const run of map.runs) {
    const glyph = STATE_GLYPHS[run.state];
    for (let i = 0; i < run.length; i++) {
      const next = keys.next();
      if (next.done) break;
      const key = next.value;
      const l = key.slice(0, labelWidth);
      if (l !== label) {
        flush();
        label = l;
        cells = Array.from({ length: width }, () => ' ');
      }
      const col = hourly ? Number(key.slice(11, 13)) : monthly ? (map.granularity === Granularity.STATIC ? 0 : Number(key.slice(5, 7)) - 1) : Number(key.slice(8, 10)) - 1;
      cells[col] = glyph;
    }
  }
  flush();
  return lines;
}

function runLine(run: StatusRun, keyWidth: number): string {
  const span = run.length === 1 ? run.first.padEnd(keyWidth * 2 + 3) : `${run.first} … ${run.last}`;
  return `  ${span}  ${run.state.padEnd(9)} ×${run.length}`;
}

function renderRuns(map: StatusMap, maxRuns: number): string[] {
  const keyWidth = map.from.length;
  const lines = [`  ${plural(map.runs.length, 'run')} of equal states:`];
  if (map.runs.length <= maxRuns) {
    for (const r of map.runs) lines.push(runLine(r, keyWidth));
    return lines;
  }
  const head = Math.ceil(maxRuns / 2);
  const tail = maxRuns - head;
  for (const r of map.runs.slice(0, head)) lines.push(runLine(r, keyWidth));
  const elided = map.runs.slice(head, map.runs.length - tail);
  const counts = emptyCounts();
  for (const r of elided) counts[r.state] += r.length;
  const first = elided[0];
  const last = elided[elided.length - 1];
  const inside = STATES.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(', ');
  lines.push(`  … ${plural(elided.length, 'run')} elided (${first?.first ?? ''} … ${last?.last ?? ''}: ${inside}); narrow with --from/--to, or use --json`);
  for (const r of map.runs.slice(map.runs.length - tail)) lines.push(runLine(r, keyWidth));
  return lines;
}

/** First key and exclusive end of the partitions in `states`, or undefined when there are none. */
function spanOf(map: StatusMap, states: readonly PartitionState[]): { from: string; to: string } | undefined {
  let first: string | undefined;
  let last: string | undefined;
  for (const r of map.runs) {
    if (!states.includes(r.state)) continue;
    first ??= r.first;
    last = r.last;
  }
  return first !== undefined && last !== undefined ? { from: first, to: shiftKey(map.granularity, last, 1) } : undefined;
}

/** The next commands worth running, one line each. */
export function nextCommands(map: StatusMap, config: Pick<Config, 'uiUrl' | 'namespace'>): string[] {
  const hints: string[] = [];
  const p = map.pipeline;
  // --only-failed runs failed and missing partitions; --only-missing the missing ones alone.
  const gaps = spanOf(map, [PartitionState.FAILED, PartitionState.MISSING]);
  if (gaps && map.counts.failed > 0) {
    const label = map.counts.missing > 0 ? 're-run failures and fill gaps' : 're-run failures';
    hints.push(`${label}: datapulse backfill ${p} --from ${gaps.from} --to ${gaps.to} --only-failed`);
  } else if (gaps) {
    hints.push(`fill gaps: datapulse backfill ${p} --from ${gaps.from} --to ${gaps.to} --only-missing`);
  }
  const stale = spanOf(map, [PartitionState.STALE]);
  if (stale) hints.push(`refresh stale (params or code changed): datapulse backfill ${p} --from ${stale.from} --to ${stale.to}`);
  if (map.counts.running > 0) {
    hints.push(`running now: ${workflowsQueryUiUrl(config, `DataPulsePipeline="${p}" AND ExecutionStatus="Running"`)}`);
  }
  const unplaced = map.unplaced && map.unplaced.rows > 0 ? map.unplaced : undefined;
  if (unplaced) hints.push(`fix the files holding unplaced rows, then re-run their partitions: datapulse quarantine ${p} <partition>`);
  else if (hints.length === 0) hints.push(map.total === 1 ? 'the 1 partition is up to date' : `all ${map.total} partitions are up to date`);
  return hints;
}

/** The map for a terminal. Bounded output whatever the size of the range. */
export function renderStatus(map: StatusMap, opts: RenderOptions): string {
  const maxGridLines = opts.maxGridLines ?? 60;
  const maxRuns = opts.maxRuns ?? 40;
  const maxFailed = opts.maxFailed ?? 20;
  const maxErrorChars = opts.maxErrorChars ?? 160;
  const lines: string[] = [];
  lines.push(`${map.pipeline} (${map.granularity})  ${map.from} … ${map.to} [from, to)  ${plural(map.total, 'partition')}: ${countsText(map.counts)}`);
  if (map.rows.loaded > 0 || map.rows.quarantined > 0 || map.rows.deduplicated > 0) {
    lines.push(`  rows loaded ${map.rows.loaded}, quarantined ${map.rows.quarantined}, deduplicated ${map.rows.deduplicated}`);
  }
  if (map.checks && (map.checks.failed > 0 || map.checks.warnings > 0)) lines.push(`  checks: ${map.checks.failed} failed (blocking), ${map.checks.warnings} warnings`);
  const unplaced = map.unplaced && unplacedLine(map.pipeline, map.unplaced);
  if (unplaced) lines.push(`  unplaced: ${unplaced}`);
  lines.push('');
  if (gridLineCount(map) <= maxGridLines) lines.push(...renderGrid(map));
  else lines.push(...renderRuns(map, maxRuns));

  if (map.failed.length > 0) {
    lines.push('', `failed: ${map.failed.length}${map.failed.length > maxFailed ? ` (first ${maxFailed})` : ''}`);
    for (const f of map.failed.slice(0, maxFailed)) {
      const step = f.step ?? '?';
      lines.push(`  ${f.key}  ${step.padEnd(9)} ${oneLine(f.error ?? '(no error recorded)', maxErrorChars)}`);
      if (f.workflowId) lines.push(`  ${' '.repeat(f.key.length)}  ${' '.repeat(9)} ${workflowUiUrl(opts.config, f.workflowId, f.runId ?? undefined)}`);
      for (const c of map.checks?.ofFailed[f.key] ?? []) {
        lines.push(`  ${' '.repeat(f.key.length)}  ${' '.repeat(9)} check ${c.name} (${c.severity}) failed: ${oneLine(c.message, maxErrorChars)}`);
      }
    }
    if (map.failed.length > maxFailed) lines.push(`  … and ${map.failed.length - maxFailed} more (--json lists them all)`);
  }

  lines.push('', `legend: ${STATES.map((s) => `${STATE_GLYPHS[s]} ${s}`).join('  ')}  (stale = succeeded with other params or code)`);
  for (const h of nextCommands(map, opts.config)) lines.push(`next: ${h}`);
  return `${lines.join('\n')}\n`;
}

/** The `--json` document: the map, with a Temporal UI link per failed partition. */
export function statusJson(map: StatusMap, config: Pick<Config, 'uiUrl' | 'namespace'>) {
  return {
    pipeline: map.pipeline,
    granularity: map.granularity,
    from: map.from,
    to: map.to,
    total: map.total,
    counts: map.counts,
    rows: map.rows,
    runs: map.runs,
    failed: map.failed.map((f) => ({
      ...f,
      url: f.workflowId ? workflowUiUrl(config, f.workflowId, f.runId ?? undefined) : null,
      ...(map.checks ? { checks: map.checks.ofFailed[f.key] ?? [] } : {}),
    })),
    ...(map.checks ? { checks: { failed: map.checks.failed, warnings: map.checks.warnings } } : {}),
    ...(map.unplaced ? { unplaced: map.unplaced } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/** The smallest and largest partition keys of the pipeline in the ledger. */
export async function ledgerSpan(pool: Pool, pipeline: string): Promise<KnownSpan | undefined> {
  const { rows } = await pool.query<{ first: string | null; last: string | null }>(
    'SELECT min(partition_key) AS first, max(partition_key) AS last FROM ledger WHERE pipeline = $1',
    [pipeline],
  );
  const r = rows[0];
  return r?.first && r.last ? { first: r.first, last: r.last } : undefined;
}

/**
 * The partitions the placed rows of a file source's landing files fall in, from the file catalog
 * (`file_catalog`, filled once per content change: activities/catalog.ts; files that went missing
 * excluded); undefined for other sources, before the first scan, or on a schema from before it.
 */
export async function sourceSpan(pool: Pool, def: Pick<PipelineDefinition, 'name' | 'partitioning' | 'source'>): Promise<KnownSpan | undefined> {
  if (def.source.kind !== 'csv-files') return undefined;
  try {
    const { rows } = await pool.query<{ first_ms: number | null; last_ms: number | null }>(
      `SELECT (extract(epoch FROM min(first_time)) * 1000)::float8 AS first_ms, (extract(epoch FROM max(last_time)) * 1000)::float8 AS last_ms
         FROM file_catalog WHERE pipeline = $1 AND status = 'ok'`,
      [def.name],
    );
    const r = rows[0];
    if (r?.first_ms === null || r?.first_ms === undefined || r.last_ms === null) return undefined;
    const g = def.partitioning.granularity;
    return { first: keyForTime(g, r.first_ms), last: keyForTime(g, r.last_ms) };
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return undefined;
    throw err;
  }
}

/** The ledger rows of [from, to) (keys of one granularity sort lexicographically in time order). */
export async function ledgerRowsInRange(pool: Pool, pipeline: string, from: string, to: string): Promise<StatusLedgerRow[]> {
  const { rows } = await pool.query<StatusLedgerRow>(
    `SELECT partition_key, status, params_hash, code_version, ${SOURCE_CHANGED_SQL}, error, failed_step, error_type, workflow_id, run_id,
            rows_loaded, rows_quarantined, rows_deduplicated, finished_at
       FROM ledger
      WHERE pipeline = $1 AND partition_key >= $2 AND partition_key < $3
      ORDER BY partition_key`,
    [pipeline, from, to],
  );
  return rows;
}

/** Failed check counts of [from, to) and the failed checks of the given (failed) partitions. */
export async function checkResultsInRange(pool: Pool, pipeline: string, from: string, to: string, failedKeys: readonly string[]): Promise<StatusChecks> {
  const counts = await pool.query<{ failed: number; warnings: number }>(
    `SELECT count(*) FILTER (WHERE severity = 'blocking')::int AS failed, count(*) FILTER (WHERE severity = 'warning')::int AS warnings
       FROM check_results WHERE pipeline = $1 AND partition_key >= $2 AND partition_key < $3 AND outcome = 'failed'`,
    [pipeline, from, to],
  );
  const ofFailed: Record<string, StatusCheckResult[]> = {};
  if (failedKeys.length > 0) {
    const { rows } = await pool.query<StatusCheckResult & { partition_key: string }>(
      `SELECT partition_key, check_name AS name, severity, value, threshold, message FROM check_results
        WHERE pipeline = $1 AND partition_key = ANY($2::text[]) AND outcome = 'failed'
        ORDER BY partition_key, severity, check_name`,
      [pipeline, failedKeys],
    );
    for (const { partition_key, ...r } of rows) (ofFailed[partition_key] ??= []).push(r);
  }
  return { failed: counts.rows[0]?.failed ?? 0, warnings: counts.rows[0]?.warnings ?? 0, ofFailed };
}
