/** Client side of backfills: the deterministic id, start-or-attach, and handles by id. */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { workflowUiUrl, type Config } from '../infra/config';
import type { PipelineDefinition } from '../core/pipeline';
import { countKeys, keyForTime, keyToStartMs, shiftKey, stepMs } from '../core/partition';
import type { BackfillMode } from '../core/plan';
import type { backfillWorkflow, BackfillInput, BackfillSummary } from '../workflows/backfill';
import { unplacedLine, type UnplacedTotals } from './unplaced';
import { PIPELINE_SA } from '../core/search-attributes';

/** `backfill/weather/2024-01-01T00..2024-01-08T00`: running the same command again attaches to it. */
export function backfillWorkflowId(pipeline: string, from: string, to: string): string {
  return `backfill/${pipeline}/${from}..${to}`;
}

export interface StartBackfillOptions {
  readonly from: string;
  readonly to: string;
  readonly mode: BackfillMode;
  readonly concurrency: number;
  readonly childrenPerRun?: number;
  /** @default the pipeline's `execution`, else "activities" */
  readonly execution?: 'activities' | 'local-activities';
}

/** Thrown when a backfill range is empty, reversed or before the pipeline's start. */
export class InvalidRangeError extends Error {
  override readonly name = 'InvalidRangeError';
}

/**
 * Checks a backfill range and returns its partition count. Throws InvalidRangeError for an empty or
 * reversed range, one starting before the pipeline's first partition, and one reaching past `nowMs`
 * (a partition whose window has not ended cannot have complete data: it is refused, not loaded
 * half and marked succeeded). Throws InvalidPartitionKeyError for a malformed key.
 */
export function validateRange(def: Pick<PipelineDefinition, 'name' | 'partitioning'>, from: string, to: string, nowMs: number = Date.now()): number {
  const g = def.partitioning.granularity;
  keyToStartMs(g, from);
  keyToStartMs(g, to);
  const n = countKeys(g, from, to);
  if (n <= 0) throw new InvalidRangeError(`empty range: --to ${to} must be after --from ${from} (the range is [from, to))`);
  if (keyToStartMs(g, from) < keyToStartMs(g, def.partitioning.start)) {
    throw new InvalidRangeError(`--from ${from} is before the first partition of ${def.name} (${def.partitioning.start})`);
  }
  if (keyToStartMs(g, to) > nowMs) {
    const lastClosed = keyForTime(g, nowMs - stepMs(g));
    throw new InvalidRangeError(
      `--to ${to} reaches past now: partitions from ${keyForTime(g, nowMs)} on have not ended, so their data cannot be complete; ` +
        `use --to ${shiftKey(g, lastClosed, 1)} (the last ended partition is ${lastClosed}) and let the schedule run the rest`,
    );
  }
  return n;
}

export async function startOrAttachBackfill(
  client: Client,
  config: Pick<Config, 'taskQueue'>,
  def: Pick<PipelineDefinition, 'name' | 'partitioning' | 'execution'>,
  opts: StartBackfillOptions,
): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId<typeof backfillWorkflow>; attached: boolean }> {
  const workflowId = backfillWorkflowId(def.name, opts.from, opts.to);
  const existing = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => d.status.name === 'RUNNING')
    .catch(() => false);
  const input: BackfillInput = {
    pipeline: def.name,
    granularity: def.partitioning.granularity,
    from: opts.from,
    to: opts.to,
    mode: opts.mode,
    concurrency: opts.concurrency,
    ...(opts.childrenPerRun ? { childrenPerRun: opts.childrenPerRun } : {}),
    ...((opts.execution ?? def.execution) === 'local-activities' ? { execution: 'local-activities' as const } : {}),
  };
  const handle = await client.workflow.start<typeof backfillWorkflow>('backfillWorkflow', {
    workflowId,
    taskQueue: config.taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [{ key: PIPELINE_SA, value: def.name }],
  });
  return { handle, attached: existing };
}

/** One backfill as `datapulse backfill list` shows it. */
export interface BackfillListing {
  readonly workflowId: string;
  readonly runId: string;
  /** Temporal's execution status name: RUNNING, COMPLETED, FAILED, ... */
  readonly status: string;
  readonly startTime: Date;
  readonly closeTime?: Date;
}

/** How many backfill executions `listBackfills` reads at most before sorting (bounds time and memory). */
export const MAX_BACKFILLS_SCANNED = 1000;

/**
 * The most recent backfills, newest start first, at most `limit`. The visibility query has no
 * `ORDER BY`: the SQLite-backed dev server refuses it ("operation is not supported: 'order by'
 * clause") and a cluster does not need it; the newest `MAX_BACKFILLS_SCANNED` are sorted here.
 */
export async function listBackfills(client: Client, opts: { limit: number }): Promise<BackfillListing[]> {
  const out: BackfillListing[] = [];
  for await (const wf of client.workflow.list({ query: 'WorkflowType="backfillWorkflow"' })) {
    out.push({ workflowId: wf.workflowId, runId: wf.runId, status: wf.status.name, startTime: wf.startTime, closeTime: wf.closeTime });
    if (out.length >= MAX_BACKFILLS_SCANNED) break;
  }
  out.sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || a.workflowId.localeCompare(b.workflowId));
  return out.slice(0, opts.limit);
}

/**
 * The lines printed when a backfill ends: outcome and counts, up to 20 failures with their UI
 * links, the re-run command, the unplaced source rows of the pipeline (when `unplaced` is given and
 * not zero: a run can be all green while rows of its files belong to no partition), and the ledger query.
 */
export function renderBackfillSummary(config: Pick<Config, 'uiUrl' | 'namespace' | 'schema'>, s: BackfillSummary, unplaced?: UnplacedTotals): string[] {
  const lines: string[] = [];
  lines.push(
    `${s.status === 'cancelled' ? 'CANCELLED' : s.failed > 0 ? 'FINISHED WITH FAILURES' : 'done'}: ${s.pipeline} [${s.from}, ${s.to}) ` +
      `${s.done} done (${s.unchanged} unchanged, ${s.joined} joined other runs), ${s.failed} failed, ${s.skipped} skipped ` +
      `in ${(s.durationMs / 1000).toFixed(1)} s (${s.rate}/s, ${s.runs} run${s.runs === 1 ? '' : 's'}, peak ${s.maxRunning} at once)`,
  );
  for (const f of s.failures.slice(0, 20)) {
    lines.push(`  ✗ ${f.partition}: ${f.error.split('\n')[0]?.slice(0, 200)}`);
    lines.push(`      ${workflowUiUrl(config, `${s.pipeline}/${f.partition}`)}`);
  }
  if (s.failed > 20) lines.push(`  … and ${s.failed - 20} more: datapulse status ${s.pipeline} --from ${s.from} --to ${s.to}`);
  if (s.failed > 0) lines.push(`re-run the failures: datapulse backfill ${s.pipeline} --from ${s.from} --to ${s.to} --only-failed`);
  const u = unplaced && unplacedLine(s.pipeline, unplaced);
  if (u) lines.push(`unplaced: ${u}`);
  lines.push(
    `ledger: SELECT status, count(*) FROM ${config.schema}.ledger WHERE pipeline = '${s.pipeline}' AND partition_key >= '${s.from}' AND partition_key < '${s.to}' GROUP BY 1;`,
  );
  return lines;
}
