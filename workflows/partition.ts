/**
 * One partition, end to end: ingest → validate → transform → load. Deterministic orchestration only;
 * all I/O happens in the activities, and only small summaries travel through the history.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities, workflowInfo, log, isCancellation, CancellationScope, patched } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureType, NON_RETRYABLE_TYPES as NON_RETRYABLE } from '../core/failure-types';
import type { LoadResult } from '../activities/types';

export interface PartitionWorkflowInput {
  readonly pipeline: string;
  readonly partition: string;
  /** Who started it: shown in the history input for operators. @default "run" */
  readonly trigger?: 'run' | 'schedule' | 'backfill' | 'sensor' | 'automation';
  /** Re-read the source and stop if nothing changed since the last success (`backfill --stale`). */
  readonly ifChanged?: boolean;
  /**
   * `local-activities` runs the four steps as local activities: same code, retries and timeouts,
   * but no server round trip per step (markers in the history instead of activity events). For
   * many small partitions (backfills). @default "activities"
   */
  readonly execution?: 'activities' | 'local-activities';
}

export interface PartitionSummary extends LoadResult {
  readonly pipeline: string;
  readonly partition: string;
  readonly sourceChecksum: string;
  readonly unplaced: number;
  /** `unchanged`: asked with ifChanged and the source, params and code were the same; nothing rewritten. */
  readonly outcome?: 'loaded' | 'unchanged';
}


const { ingest } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE] },
});

const { validate, transform } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE] },
});

const { load } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // load heartbeats every 5 s while it runs: a worker killed mid-load is noticed in a minute, not
  // after the start-to-close timeout (a timeout change is not a command change: replay-safe).
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8, nonRetryableErrorTypes: [...NON_RETRYABLE] },
});

/** The same steps as local activities: for small partitions, no server round trip per step. */
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE] },
});

const { recordFailure } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 20 },
});

/** Alerts (activities/alerts.ts) never fail anything: the activity swallows delivery errors, this the rest. */
const { sendAlert } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/** Id of the patch that re-runs a partition from ingest when its intermediate rows were lost. */
export const RERUN_FROM_INGEST_PATCH = 'rerun-from-ingest-v1';
/** Passes through the four steps a partition gets when its intermediates are lost. */
const MAX_PASSES = 3;

/**
 * Starts the automation of derived datasets reading this partition (activities/automation-activities.ts).
 * A local activity: no server round trip for the many pipelines nobody reads; retried until the
 * signal is delivered, and re-run if the worker dies before its marker is recorded.
 */
const { notifyDownstream } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Id of the patch that made a partition notify its downstream automation after loading. */
export const AUTOMATION_PATCH = 'automation-v1';

/** Id of the patch that made warnings of checks declared with `alert: true` alert. */
export const CHECK_ALERTS_PATCH = 'check-alerts-v1';

/** Id of the patch that added alerts to partition and backfill workflows. */
export const ALERTS_PATCH = 'alerts-v1';

export async function alertSafely(alert: Parameters<Activities['sendAlert']>[0]): Promise<void> {
  try {
    await sendAlert(alert);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('alert activity failed; the alert is lost, the workflow goes on', { kind: alert.kind, pipeline: alert.pipeline, error: (err as Error).message });
  }
}

/**
 * The partition is loaded whatever happens here: a cancellation waits for the signal to go out,
 * and an error (only a misconfigured worker: retries are unlimited) is logged, never a failure.
 */
async function notifyDownstreamSafely(ref: { pipeline: string; partition: string }): Promise<void> {
  try {
    await CancellationScope.nonCancellable(() => notifyDownstream(ref));
  } catch (err) {
    log.warn('could not notify downstream automation; run or backfill the derived partitions by hand', { ...ref, error: (err as Error).message });
  }
}

function describeFailure(err: unknown): { message: string; type?: string } {
  let e: unknown = err;
  if (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return { message: e.message, type: e.type ?? undefined };
  if (e instanceof Error) return { message: e.message, type: e.name };
  return { message: String(e) };
}

export async function partitionWorkflow(input: PartitionWorkflowInput): Promise<PartitionSummary> {
  const ref = { pipeline: input.pipeline, partition: input.partition };
  const startedAtMs = workflowInfo().startTime.getTime();
  const steps = input.execution === 'local-activities' ? local : { ingest, validate, transform, load };
  let step = 'ingest';
  try {
    // A step that finds the partition's intermediate rows gone (an unlogged table emptied by a
    // database crash, a table dropped by hand) cannot be retried alone: run again from ingest.
    for (let pass = 1; ; pass++) {
      try {
        step = 'ingest';
        const ingested = await steps.ingest(input.ifChanged ? { ...ref, ifChanged: true } : ref);
        if (ingested.unchanged) {
          return { ...ref, ...ingested.unchanged, sourceChecksum: ingested.sourceChecksum, unplaced: ingested.unplaced, outcome: 'unchanged' };
        }
        step = 'validate';
        const validated = await steps.validate(ref);
        // A failing warning-severity volume check lets the partition go on, but someone should look.
        // Children of a backfill never alert one by one (the backfill sends one summary).
        const anomalies = (validated.warnings ?? []).filter((w) => w.kind === 'volume');
        if (anomalies.length > 0 && input.trigger !== 'backfill' && patched(ALERTS_PATCH)) {
          await alertSafely({
            kind: 'volume-anomaly',
            ...alertRef(input),
            reason: anomalies.map((w) => `check ${w.check} (warning) failed: ${w.message}`).join('; '),
          });
        }
        // Warnings of checks declared with `alert: true` (e.g. a cost drift) alert too, outside backfills.
        const alerting = (validated.warnings ?? []).filter((w) => w.alert && w.kind !== 'volume');
        if (alerting.length > 0 && input.trigger !== 'backfill' && patched(CHECK_ALERTS_PATCH)) {
          await alertSafely({
            kind: 'check-warning',
            ...alertRef(input),
            reason: alerting.map((w) => `check ${w.check} (warning) failed: ${w.message}`).join('; '),
          });
        }
        step = 'transform';
        await steps.transform(ref);
        step = 'load';
        const loaded = await steps.load({ ...ref, sourceChecksum: ingested.sourceChecksum, startedAtMs, ...(input.trigger ? { trigger: input.trigger } : {}) });
        log.info('partition loaded', { ...ref, rowsLoaded: loaded.rowsLoaded });
        if (patched(AUTOMATION_PATCH)) await notifyDownstreamSafely(ref);
        return { ...ref, ...loaded, sourceChecksum: ingested.sourceChecksum, unplaced: ingested.unplaced, outcome: 'loaded' };
      } catch (err) {
        if (pass < MAX_PASSES && step !== 'ingest' && describeFailure(err).type === FailureType.INTERMEDIATES_LOST && patched(RERUN_FROM_INGEST_PATCH)) {
          log.warn('intermediate rows lost; running the partition again from ingest', { ...ref, step, pass });
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    const { message, type } = describeFailure(err);
    const cancelled = isCancellation(err);
    // Record the failure even when cancelled: the ledger must not say "running" forever.
    await CancellationScope.nonCancellable(() =>
      recordFailure({ ...ref, step, message: cancelled ? 'cancelled' : message, errorType: cancelled ? 'Cancelled' : type, startedAtMs }),
    );
    if (cancelled) throw err;
    if (input.trigger !== 'backfill' && patched(ALERTS_PATCH)) {
      await alertSafely({ kind: type === FailureType.CHECK_FAILED ? 'check-failed' : 'partition-failed', ...alertRef(input), step, reason: `${type ? `${type}: ` : ''}${message}` });
    }
    throw ApplicationFailure.create({
      type: type ?? 'PartitionFailed',
      message: `${input.pipeline}/${input.partition} failed in ${step}: ${message}`,
      nonRetryable: true,
    });
  }
}

function alertRef(input: PartitionWorkflowInput) {
  const info = workflowInfo();
  return { pipeline: input.pipeline, partitions: [input.partition], workflowId: info.workflowId, runId: info.runId };
}
