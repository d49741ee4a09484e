/**
 * A backfill: walk [from, to) of one pipeline and run the partitions the ledger says are needed, as
 * child partition workflows with the same ids as scheduled runs, at most `concurrency` at a time
 * (changeable while it runs). Pause, resume and cancel by signal; progress by query. It
 * continues-as-new long before its history grows large, carrying its counters and its running
 * children: they are started with an ABANDON parent-close policy and the next run waits for them
 * through an activity, so the window stays full across continue-as-new instead of draining to the
 * slowest child of each batch. A 100,000-partition backfill keeps every run small.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
  ChildWorkflowFailure,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PlannedPartition } from '../activities/backfill-activities';
import { countKeys, type Granularity } from '../core/partition';
import type { BackfillMode } from '../core/plan';
import { ALERTS_PATCH, alertSafely, partitionWorkflow } from './partition';
import { PARTITION_SA, PIPELINE_SA, partitionWorkflowId } from '../core/search-attributes';

export interface BackfillInput {
  readonly pipeline: string;
  readonly granularity: Granularity;
  readonly from: string;
  /** Exclusive. */
  readonly to: string;
  /** @default "missing" */
  readonly mode?: BackfillMode;
  /** Children running at once. @default 4 */
  readonly concurrency?: number;
  /** Children started per run before continuing-as-new. @default 400 */
  readonly childrenPerRun?: number;
  /** Keys planned per planning activity. @default 200 */
  readonly planBatch?: number;
  /** How children run their steps (see PartitionWorkflowInput.execution). @default "activities" */
  readonly execution?: 'activities' | 'local-activities';
  /** Carried across continue-as-new; absent on the first run. */
  readonly carried?: BackfillCarried;
}

export interface BackfillFailure {
  readonly partition: string;
  readonly error: string;
}

/** Counters and position carried from one run of the backfill to the next. */
export interface BackfillCarried {
  readonly cursor: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly unchanged: number;
  readonly joined: number;
  readonly failures: BackfillFailure[];
  readonly startedAtMs: number;
  readonly runs: number;
  readonly paused: boolean;
  readonly maxRunning: number;
  /** Planned partitions not yet started (at most one planning batch). */
  readonly queue: PlannedPartition[];
  /** Partitions still running when the previous run continued-as-new: this run waits for them. */
  readonly inFlight?: string[];
}

export interface BackfillProgress {
  readonly pipeline: string;
  readonly from: string;
  readonly to: string;
  readonly mode: BackfillMode;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  /** Of `done`: re-read with --stale and found unchanged. */
  readonly unchanged: number;
  /** Of `done`+`failed`: owned by another run (a schedule tick, `datapulse run`) that this backfill waited for. */
  readonly joined: number;
  readonly running: number;
  readonly remaining: number;
  readonly concurrency: number;
  readonly maxRunning: number;
  readonly paused: boolean;
  readonly cancelling: boolean;
  /** Partitions finished per second since the backfill started (workflow time). */
  readonly rate: number;
  readonly startedAtMs: number;
  readonly runs: number;
  readonly failures: BackfillFailure[];
}

export interface BackfillSummary extends BackfillProgress {
  readonly status: 'completed' | 'cancelled';
  readonly durationMs: number;
}

export const progressQuery = defineQuery<BackfillProgress>('progress');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal('cancel');
export const setConcurrencySignal = defineSignal<[number]>('setConcurrency');

/**
 * Id of the patch that hands running children over to the next run at continue-as-new instead of
 * draining them first (children started with ParentClosePolicy.ABANDON).
 */
export const NO_DRAIN_PATCH = 'backfill-no-drain-v1';

/** Failures kept in detail (the count is always exact). */
const MAX_FAILURES_KEPT = 200;

const { planSlice } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumInterval: '30 seconds', nonRetryableErrorTypes: ['ConfigError', 'UnknownPipelineError'] },
});

const { awaitPartition } = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumInterval: '30 seconds' },
});

function clampConcurrency(n: number): number {
  return Math.max(1, Math.min(500, Math.floor(Number.isFinite(n) ? n : 1)));
}

/** Workflow time: the SDK replaces Date in the sandbox with the deterministic task time. */
function workflowNowMs(): number {
  return new Date().getTime();
}

export async function backfillWorkflow(input: BackfillInput): Promise<BackfillSummary> {
  const mode: BackfillMode = input.mode ?? 'missing';
  const total = countKeys(input.granularity, input.from, input.to);
  const childrenPerRun = Math.max(1, input.childrenPerRun ?? 400);
  const planBatch = Math.max(1, input.planBatch ?? 200);
  const c = input.carried;
  let concurrency = clampConcurrency(input.concurrency ?? 4);
  let cursor = c?.cursor ?? 0;
  let done = c?.done ?? 0;
  let failed = c?.failed ?? 0;
  let skipped = c?.skipped ?? 0;
  let unchanged = c?.unchanged ?? 0;
  let joined = c?.joined ?? 0;
  let maxRunning = c?.maxRunning ?? 0;
  const failures: BackfillFailure[] = [...(c?.failures ?? [])];
  const startedAtMs = c?.startedAtMs ?? workflowInfo().startTime.getTime();
  const runs = (c?.runs ?? 0) + 1;
  let paused = c?.paused ?? false;
  let cancelling = false;
  let queue: PlannedPartition[] = [...(c?.queue ?? [])];
  const running = new Set<string>();
  /** Children whose start is not confirmed yet: a run never continues-as-new with one pending. */
  const starting = new Set<string>();
  const childScope = new CancellationScope();
  // Histories recorded before the patch drained at continue-as-new and used REQUEST_CANCEL.
  const handOver = patched(NO_DRAIN_PATCH);

  const progress = (): BackfillProgress => {
    const elapsed = Math.max(1, workflowNowMs() - startedAtMs) / 1000;
    return {
      pipeline: input.pipeline,
      from: input.from,
      to: input.to,
      mode,
      total,
      done,
      failed,
      skipped,
      unchanged,
      joined,
      running: running.size,
      remaining: total - done - failed - skipped - running.size,
      concurrency,
      maxRunning,
      paused,
      cancelling,
      rate: Math.round(((done + failed) / elapsed) * 100) / 100,
      startedAtMs,
      runs,
      failures: failures.slice(0, 50),
    };
  };

  setHandler(progressQuery, progress);
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(cancelSignal, () => void (cancelling = true));
  setHandler(setConcurrencySignal, (n: number) => void (concurrency = clampConcurrency(n)));

  const recordFailure = (partition: string, error: string) => {
    failed++;
    if (failures.length < MAX_FAILURES_KEPT) failures.push({ partition, error });
  };

  const runChild = async (item: PlannedPartition): Promise<void> => {
    const workflowId = partitionWorkflowId(input.pipeline, item.key);
    starting.add(item.key);
    try {
      const handle = await childScope.run(() =>
        startChild(partitionWorkflow, {
          workflowId,
          args: [
            {
              pipeline: input.pipeline,
              partition: item.key,
              trigger: 'backfill',
              ...(item.ifChanged ? { ifChanged: true } : {}),
              ...(input.execution === 'local-activities' ? { execution: 'local-activities' as const } : {}),
            },
          ],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          parentClosePolicy: handOver ? ParentClosePolicy.ABANDON : ParentClosePolicy.REQUEST_CANCEL,
          typedSearchAttributes: [
            { key: PIPELINE_SA, value: input.pipeline },
            { key: PARTITION_SA, value: item.key },
          ],
        }),
      );
      starting.delete(item.key);
      const summary = await handle.result();
      done++;
      if (summary.outcome === 'unchanged') unchanged++;
    } catch (err) {
      starting.delete(item.key);
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Another run (a schedule tick, `datapulse run`) owns this partition: wait for its outcome
        // instead of running the partition a second time.
        joined++;
        const r = await childScope.run(() => awaitPartition({ workflowId }));
        if (r.ok) done++;
        else recordFailure(item.key, r.error ?? 'failed');
        return;
      }
      if (isCancellation(err)) {
        recordFailure(item.key, 'cancelled');
        return;
      }
      const cause = err instanceof ChildWorkflowFailure && err.cause ? err.cause.message : (err as Error).message;
      recordFailure(item.key, cause);
    }
  };

  /** Waits for a child the previous run started (it outlived that run: ABANDON). */
  const awaitHandedOver = async (key: string): Promise<void> => {
    try {
      const r = await childScope.run(() => awaitPartition({ workflowId: partitionWorkflowId(input.pipeline, key) }));
      if (r.ok) done++;
      else recordFailure(key, r.error ?? 'failed');
    } catch (err) {
      recordFailure(key, isCancellation(err) ? 'cancelled' : (err as Error).message);
    }
  };

  let startedThisRun = 0;
  const inFlight: Promise<void>[] = [];
  for (const key of c?.inFlight ?? []) {
    running.add(key);
    inFlight.push(awaitHandedOver(key).finally(() => running.delete(key)));
  }
  const exhausted = () => queue.length === 0 && cursor >= total;

  while (!cancelling) {
    await condition(() => cancelling || (!paused && running.size < concurrency && (!exhausted() || running.size === 0)));
    if (cancelling) break;
    if (exhausted()) break;
    if (startedThisRun >= childrenPerRun || workflowInfo().continueAsNewSuggested) break;
    if (queue.length === 0) {
      const slice = await planSlice({
        pipeline: input.pipeline,
        granularity: input.granularity,
        from: input.from,
        to: input.to,
        startIndex: cursor,
        count: planBatch,
        mode,
      });
      cursor += slice.covered;
      skipped += slice.skipped;
      queue = slice.items;
      continue;
    }
    const item = queue.shift()!;
    running.add(item.key);
    maxRunning = Math.max(maxRunning, running.size);
    startedThisRun++;
    const p = runChild(item).finally(() => running.delete(item.key));
    inFlight.push(p);
  }

  /** What the next run starts from; `inFlight`: children it must wait for (handed over, not drained). */
  const carry = (inFlight?: string[]): BackfillCarried => ({
    cursor,
    queue,
    done,
    failed,
    skipped,
    unchanged,
    joined,
    failures,
    startedAtMs,
    runs,
    paused,
    maxRunning,
    ...(inFlight ? { inFlight } : {}),
  });

  if (cancelling) {
    log.info('backfill cancelling its running children', { running: running.size });
    if (handOver) {
      // Abandoned children outlive the parent's scope: ask each running one to cancel.
      await Promise.all([...running].map((key) => getExternalWorkflowHandle(partitionWorkflowId(input.pipeline, key)).cancel().catch(() => undefined)));
    }
    childScope.cancel();
  }
  if (!cancelling && !exhausted() && handOver) {
    // Hand the running children over to the next run, which waits for them: no drain barrier.
    await condition(() => starting.size === 0);
    return continueAsNew<typeof backfillWorkflow>({ ...input, concurrency, carried: carry([...running]) });
  }
  // Drain: children must finish before this run closes (continue-as-new would otherwise cut them off).
  await Promise.all(inFlight);

  if (!cancelling && !exhausted()) {
    return continueAsNew<typeof backfillWorkflow>({ ...input, concurrency, carried: carry() });
  }

  const final = progress();
  const summary: BackfillSummary = {
    ...final,
    failures: failures.slice(0, MAX_FAILURES_KEPT),
    status: cancelling ? 'cancelled' : 'completed',
    durationMs: workflowNowMs() - startedAtMs,
  };
  // One alert per backfill with failures (its children do not alert one by one).
  if (!cancelling && failed > 0 && patched(ALERTS_PATCH)) {
    const shown = failures.slice(0, 10);
    await alertSafely({
      kind: 'backfill-failed',
      pipeline: input.pipeline,
      partitions: shown.map((f) => f.partition),
      failures: shown.map((f) => ({ partition: f.partition, error: f.error.slice(0, 300) })),
      failedCount: failed,
      total,
      range: { from: input.from, to: input.to },
      reason: `${failed} of ${total} partitions failed (${done} done, ${skipped} skipped)`,
      workflowId: workflowInfo().workflowId,
      runId: workflowInfo().runId,
    });
  }
  if (cancelling) throw ApplicationFailure.create({ type: 'BackfillCancelled', message: `backfill cancelled after ${done} done, ${failed} failed`, details: [summary], nonRetryable: true });
  return summary;
}
