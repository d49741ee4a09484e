/**
 * One partition for the console: its ledger row and state, per-step timings (from its Temporal
 * history), check results, a page of quarantined rows, lineage, and links to its history and trace.
 */
import type { Client } from '@temporalio/client';
import { workflowUiUrl, type Config } from '../infra/config';
import type { Pool } from '../infra/db';
import { currentFingerprint } from '../infra/fingerprint';
import type { Registry } from '../core/registry';
import { staleKeys } from '../activities/staleness';
import { ledgerRowState, SOURCE_CHANGED_SQL, type PartitionState } from '../core/plan';
import { partitionWorkflowId } from '../core/search-attributes';
import { shiftKey } from '../core/partition';
import { assertPartitionKey, isUnpartitioned, mapGranularity } from './partition-map';
import { partitionLinks, type PartitionLineage } from './lineage';

/** The ledger row as selected (snake_case); dates as ISO strings. */
export type LedgerRow = Record<string, string | number | null>;

/** One step (activity) of the partition's latest run: attempts and wall time, from its history. */
export interface StepTiming {
  readonly step: string;
  /** ISO instant the step was scheduled. */
  readonly scheduledAt: string | null;
  /** Milliseconds from scheduled to closed (null while open). */
  readonly ms: number | null;
  readonly attempts: number;
  readonly outcome: 'completed' | 'failed' | 'timed out' | 'cancelled' | 'running';
}

/** A stored check result (`check_results`). */
export interface CheckRow {
  readonly name: string;
  readonly kind: string;
  readonly severity: string;
  readonly outcome: string;
  readonly value: number | null;
  readonly threshold: string | null;
  readonly message: string;
}

/** A quarantined row: where it came from and why it was refused. */
export interface QuarantineRow {
  readonly sourceFile: string;
  readonly lineNo: number;
  readonly field: string | null;
  readonly reason: string;
  readonly rawValue: string | null;
}

export interface PartitionDetail {
  readonly pipeline: string;
  readonly key: string;
  readonly state: PartitionState;
  /** Why the partition is stale (`definition changed`, `input weather/2024-05-01T13 re-loaded …`), else null. */
  readonly staleReason: string | null;
  readonly ledger: LedgerRow | null;
  /** Null when the history could not be read (no Temporal, no run yet); `stepsNote` says why. */
  readonly steps: readonly StepTiming[] | null;
  readonly stepsNote: string | null;
  readonly checks: readonly CheckRow[];
  readonly quarantine: { readonly total: number; readonly offset: number; readonly limit: number; readonly rows: readonly QuarantineRow[] };
  readonly lineage: PartitionLineage;
  readonly links: { readonly history: string; readonly trace: string | null };
}

/** Page size of quarantined rows. @default 50 */
export const QUARANTINE_PAGE = 50;

/** Link to the partition's traces in a Jaeger-style UI (`DATAPULSE_TRACE_UI_URL`), or null. */
export function traceSearchUrl(traceUiUrl: string | undefined, pipeline: string, key: string, service = 'datapulse-worker'): string | null {
  if (!traceUiUrl) return null;
  const tags = JSON.stringify({ 'datapulse.pipeline': pipeline, 'datapulse.partition': key });
  return `${traceUiUrl.replace(/\/+$/, '')}/search?service=${encodeURIComponent(service)}&tags=${encodeURIComponent(tags)}`;
}

/**
 * Per-step timings from a workflow history's events (pure): activity scheduled → closed, attempts
 * from the closing event. Local activities (markers) are not listed.
 */
export function stepsFromHistory(events: readonly Record<string, unknown>[]): StepTiming[] {
  const toMs = (t: unknown): number | null => {
    if (!t) return null;
    if (t instanceof Date) return t.getTime();
    const o = t as { seconds?: { toNumber?: () => number } | number | string; nanos?: number };
    const s = typeof o.seconds === 'object' && o.seconds?.toNumber ? o.seconds.toNumber() : Number(o.seconds ?? 0);
    return s * 1000 + Math.floor((o.nanos ?? 0) / 1e6);
  };
  const byScheduled = new Map<string, { step: string; at: number | null; attempts: number; end: number | null; outcome: StepTiming['outcome'] }>();
  for (const e of events) {
    const id = String((e as { eventId?: unknown }).eventId ?? '');
    const time = toMs((e as { eventTime?: unknown }).eventTime);
    const sched = e.activityTaskScheduledEventAttributes as { activityType?: { name?: string } } | undefined;
    if (sched) {
      byScheduled.set(id, { step: sched.activityType?.name ?? '?', at: time, attempts: 1, end: null, outcome: 'running' });
      continue;
    }
    const started = e.activityTaskStartedEventAttributes as { scheduledEventId?: unknown; attempt?: number } | undefined;
    if (started) {
      const s = byScheduled.get(String(started.scheduledEventId));
      if (s) s.attempts = started.attempt ?? s.attempts;
      continue;
    }
    const closes: [string, StepTiming['outcome']][] = [
      ['activityTaskCompletedEventAttributes', 'completed'],
      ['activityTaskFailedEventAttributes', 'failed'],
      ['activityTaskTimedOutEventAttributes', 'timed out'],
      ['activityTaskCanceledEventAttributes', 'cancelled'],
    ];
    for (const [attr, outcome] of closes) {
      const c = e[attr] as { scheduledEventId?: unknown } | undefined;
      if (!c) continue;
      const s = byScheduled.get(String(c.scheduledEventId));
      if (s) {
        s.end = time;
        s.outcome = outcome;
      }
    }
  }
  return [...byScheduled.values()].map((s) => ({
    step: s.step,
    scheduledAt: s.at === null ? null : new Date(s.at).toISOString(),
    ms: s.at !== null && s.end !== null ? s.end - s.at : null,
    attempts: s.attempts,
    outcome: s.outcome,
  }));
}

function iso(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'number' ? v : String(v);
}

/**
 * Reads everything the partition page shows. Throws UnknownPipelineError / MapKeyError for a bad
 * pipeline or key, before any query. `client` may be undefined (then no step timings).
 */
export async function partitionDetail(
  deps: { pool: Pool; registry: Registry; config: Pick<Config, 'uiUrl' | 'namespace'>; client?: Client; traceUiUrl?: string },
  pipeline: string,
  key: string,
  opts: { offset?: number; limit?: number } = {},
): Promise<PartitionDetail> {
  const def = deps.registry.get(pipeline);
  assertPartitionKey(def, key);
  const offset = Math.max(0, Math.floor(opts.offset ?? 0));
  const limit = Math.min(500, Math.max(1, Math.floor(opts.limit ?? QUARANTINE_PAGE)));
  const k = [pipeline, key];
  const [ledger, checks, qCount, qRows, lineage] = await Promise.all([
    deps.pool.query<Record<string, unknown>>(`SELECT *, ${SOURCE_CHANGED_SQL} FROM ledger WHERE pipeline = $1 AND partition_key = $2`, k),
    deps.pool.query<{ name: string; kind: string; severity: string; outcome: string; value: number | null; threshold: string | null; message: string }>(
      `SELECT check_name AS name, check_kind AS kind, severity, outcome, value, threshold, message
         FROM check_results WHERE pipeline = $1 AND partition_key = $2 ORDER BY outcome = 'passed', severity, check_name`,
      k,
    ),
    deps.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantine WHERE pipeline = $1 AND partition_key = $2', k),
    deps.pool.query<{ source_file: string; line_no: number; field: string | null; reason: string; raw_value: string | null }>(
      `SELECT source_file, line_no, field, reason, raw_value FROM quarantine WHERE pipeline = $1 AND partition_key = $2
        ORDER BY source_file, line_no LIMIT $3 OFFSET $4`,
      [...k, limit, offset],
    ),
    partitionLinks(deps.pool, deps.registry, deps.config, pipeline, key),
  ]);
  const row = ledger.rows[0] as
    | (Record<string, unknown> & { status: 'running' | 'succeeded' | 'failed'; params_hash: string | null; code_version: string | null; workflow_id: string | null; run_id: string | null; source_changed: boolean | null })
    | undefined;
  const upper = isUnpartitioned(def) ? undefined : shiftKey(mapGranularity(def), key, 1);
  const inputsStale = def.source.kind === 'derived' && row?.status === 'succeeded' ? (await staleKeys(deps.pool, deps.registry, pipeline, key, upper)).get(key) : undefined;
  const state = ledgerRowState(row && { ...row, inputs_stale: inputsStale !== undefined }, currentFingerprint(def));
  const fp = currentFingerprint(def);
  const staleReason =
    state !== 'stale'
      ? null
      : (inputsStale ??
        (row?.params_hash !== fp.paramsHash || row?.code_version !== fp.codeVersion ? 'definition changed (params or code)' : 'a landing file in its window changed after its run started'));
  const ledgerRow: LedgerRow | null = row ? Object.fromEntries(Object.entries(row).map(([c, v]) => [c, iso(v)])) : null;
  let steps: StepTiming[] | null = null;
  let stepsNote: string | null = null;
  const workflowId = row?.workflow_id ?? partitionWorkflowId(pipeline, key);
  if (!row) stepsNote = 'not run yet';
  else if (!deps.client) stepsNote = 'no Temporal connection';
  else {
    try {
      const history = await deps.client.workflow.getHandle(workflowId, row.run_id ?? undefined).fetchHistory();
      steps = stepsFromHistory((history.events ?? []) as unknown as Record<string, unknown>[]);
      if (steps.length === 0) stepsNote = 'no activity events (local activities: see the history)';
    } catch (err) {
      stepsNote = `history not readable: ${(err as Error).message}`;
    }
  }
  return {
    pipeline,
    key,
    state,
    staleReason,
    ledger: ledgerRow,
    steps,
    stepsNote,
    checks: checks.rows,
    quarantine: {
      total: qCount.rows[0]?.n ?? 0,
      offset,
      limit,
      rows: qRows.rows.map((r) => ({ sourceFile: r.source_file, lineNo: r.line_no, field: r.field, reason: r.reason, rawValue: r.raw_value })),
    },
    lineage,
    links: { history: workflowUiUrl(deps.config, workflowId, row?.run_id ?? undefined), trace: traceSearchUrl(deps.traceUiUrl, pipeline, key) },
  };
}
