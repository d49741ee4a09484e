/**
 * A file sensor: one long-running workflow per file-based pipeline (id `sensor/<pipeline>`) that,
 * every `intervalMs`, asks an activity to refresh the pipeline's file catalog and claim the
 * partitions whose landing files changed, starts each of them (a partition workflow with the usual
 * deterministic id, `ifChanged` so an unchanged source stops after ingest), and acknowledges the
 * ones it started. A partition already running is not acknowledged: it stays pending and is started
 * again at a later poll, once the running one (which may have read the old content) has finished.
 *
 * Exactly once per change: the cursor is `file_sensor_pending` in PostgreSQL (claim, start, then
 * acknowledge up to the claimed seq); the starts are workflow commands recorded in history, so a
 * worker crash or a Temporal restart replays them instead of repeating them. A burst of files
 * yields one pending row per touched partition, so each is started once.
 *
 * Pause, resume and stop by signal; status by query. Continues-as-new every `pollsPerRun` polls (or
 * when Temporal suggests it), carrying its counters, so it can run for months.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { partitionWorkflow } from './partition';
import { PARTITION_SA, PIPELINE_SA, partitionWorkflowId } from '../core/search-attributes';

/** Counters a sensor carries across continue-as-new. */
export interface SensorCounters {
  readonly polls: number;
  /** Partitions started. */
  readonly started: number;
  /** Starts refused because the partition was running (retried at a later poll). */
  readonly deferred: number;
  /** Epoch ms of the last poll (workflow time: the deterministic clock of the workflow task). */
  readonly lastPollAtMs?: number;
  /** Error of the last poll, if it failed (the sensor keeps polling). */
  readonly lastError?: string;
  /** Files of the last poll that changed something: added, changed, missing, unreadable. */
  readonly lastFiles?: { readonly added: string[]; readonly changed: string[]; readonly missing: string[]; readonly failed: string[] };
}

export interface FileSensorInput {
  readonly pipeline: string;
  /** Time between polls. @default 30000 */
  readonly intervalMs?: number;
  /** Partitions started per poll at most; more are started at the next, immediate, poll. @default 100 */
  readonly batch?: number;
  /** Polls per run before continuing-as-new. @default 500 */
  readonly pollsPerRun?: number;
  /** Start paused. @default false */
  readonly paused?: boolean;
  /** Carried across continue-as-new. */
  readonly carried?: SensorCounters;
}

/** What `sensorStatusQuery` answers. */
export interface SensorStatus extends SensorCounters {
  readonly pipeline: string;
  readonly intervalMs: number;
  readonly paused: boolean;
  readonly stopping: boolean;
}

/** The id of a pipeline's sensor workflow. */
export function sensorWorkflowId(pipeline: string): string {
  return `sensor/${pipeline}`;
}

export const sensorPauseSignal = defineSignal('pause');
export const sensorResumeSignal = defineSignal('resume');
export const sensorStopSignal = defineSignal('stop');
export const sensorStatusQuery = defineQuery<SensorStatus>('status');

const { senseFiles, ackSensed } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** Polls a pipeline's landing folder and starts the partitions its changed files touch. */
export async function fileSensorWorkflow(input: FileSensorInput): Promise<SensorCounters> {
  const intervalMs = input.intervalMs ?? 30_000;
  const batch = input.batch ?? 100;
  const pollsPerRun = input.pollsPerRun ?? 500;
  let counters: SensorCounters = input.carried ?? { polls: 0, started: 0, deferred: 0 };
  let paused = input.paused ?? false;
  let stopping = false;
  let woken = false;

  setHandler(sensorPauseSignal, () => void (paused = true));
  setHandler(sensorResumeSignal, () => {
    paused = false;
    woken = true;
  });
  setHandler(sensorStopSignal, () => void (stopping = true));
  setHandler(sensorStatusQuery, () => ({ ...counters, pipeline: input.pipeline, intervalMs, paused, stopping }));

  for (let pollsThisRun = 0; ; ) {
    if (!paused) {
      let more = false;
      try {
        const r = await senseFiles({ pipeline: input.pipeline, limit: batch });
        more = r.more;
        const startedKeys: string[] = [];
        let deferred = 0;
        for (const key of r.keys) {
          try {
            await startChild(partitionWorkflow, {
              workflowId: partitionWorkflowId(input.pipeline, key),
              args: [{ pipeline: input.pipeline, partition: key, trigger: 'sensor', ifChanged: true }],
              workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
              parentClosePolicy: ParentClosePolicy.ABANDON,
              typedSearchAttributes: [
                { key: PIPELINE_SA, value: input.pipeline },
                { key: PARTITION_SA, value: key },
              ],
            });
            startedKeys.push(key);
          } catch (err) {
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
            deferred++; // running: stays pending, started again once it has finished
          }
        }
        if (startedKeys.length > 0) await ackSensed({ pipeline: input.pipeline, keys: startedKeys, upToSeq: r.upToSeq });
        // Nothing but running partitions left: wait for the interval rather than spin.
        if (startedKeys.length === 0) more = false;
        const files = { added: r.added, changed: r.changed, missing: r.missing, failed: r.failed };
        const anyFiles = files.added.length + files.changed.length + files.missing.length + files.failed.length > 0;
        counters = {
          ...counters,
          polls: counters.polls + 1,
          started: counters.started + startedKeys.length,
          deferred: counters.deferred + deferred,
          lastPollAtMs: new Date().getTime(),
          lastError: undefined,
          lastFiles: anyFiles ? files : counters.lastFiles,
        };
        if (startedKeys.length > 0 || anyFiles) log.info('sensor poll', { pipeline: input.pipeline, started: startedKeys.length, deferred, ...files });
      } catch (err) {
        counters = { ...counters, polls: counters.polls + 1, lastPollAtMs: new Date().getTime(), lastError: (err as Error).message };
        log.warn('sensor poll failed', { pipeline: input.pipeline, error: (err as Error).message });
      }
      pollsThisRun++;
      if (more && !stopping) continue;
    }
    woken = false;
    await condition(() => stopping || woken, intervalMs);
    if (stopping) return counters;
    if (pollsThisRun >= pollsPerRun || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof fileSensorWorkflow>({ ...input, paused, carried: counters });
    }
  }
}
