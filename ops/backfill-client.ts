/** Client side of backfills: the deterministic id, start-or-attach, and handles by id. */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Config } from '../infra/config';
import type { PipelineDefinition } from '../core/pipeline';
import { countKeys, keyForTime, keyToStartMs, shiftKey, stepMs } from '../core/partition';
import type { BackfillMode } from '../core/plan';
import type { backfillWorkflow, BackfillInput } from '../workflows/backfill';
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
