/**
 * Activities behind automation (derived datasets that run when their inputs are ready):
 * - `notifyDownstream`, called by a partition workflow right after its load, signals-with-start the
 *   automation workflow of every pipeline that reads it (`automation/<pipeline>`), so a crash
 *   between the load and the downstream start loses nothing: the activity is retried until the
 *   signal is delivered, and the automation workflow is itself durable. Before signalling it runs the
 *   loaded pipeline's post-load actions (`afterLoad`, activities/post-load.ts: freelance alerts);
 * - `planAutomation` turns a batch of upstream loads into the downstream keys that are ready now
 *   (every mapped upstream partition succeeded) and need a run (missing, failed, or stale).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Pool } from '../infra/db';
import { currentFingerprint } from '../infra/fingerprint';
import { graphEdges, type GraphEdge } from '../core/graph';
import { downstreamRange } from '../core/mapping';
import { countKeys, Granularity, keyForTime, keysInRange, partitionWindow, shiftKey, STATIC_KEY } from '../core/partition';
import type { PipelineDefinition } from '../core/pipeline';
import { ledgerRowState, PartitionState } from '../core/plan';
import type { Registry } from '../core/registry';
import { PIPELINE_SA } from '../core/search-attributes';
import { automationWorkflowId, UPSTREAM_LOADED_SIGNAL, type UpstreamLoad } from '../core/automation';
import { FailureType, nonRetryable } from './errors';
import { resolveInputs } from './sources/derived';
import { staleKeys } from './staleness';
import { notifyChannel } from './notifications';
import { runPostLoadActions } from './post-load';

/** The current activity's info, or undefined outside an activity (direct calls). */
function activityInfo() {
  try {
    return Context.current().info;
  } catch {
    return undefined;
  }
}

export interface PlanAutomationInput {
  /** The downstream pipeline whose automation workflow asks. */
  readonly pipeline: string;
  readonly loads: readonly UpstreamLoad[];
}

export interface PlanAutomationResult {
  /** Keys to start now, in order. */
  readonly start: string[];
  /** Candidate keys not ready yet (an upstream partition they need has not succeeded). */
  readonly waiting: number;
  /** Candidate keys already up to date or running. */
  readonly upToDate: number;
}

/** At most this many downstream keys are considered per open-ended load (cumulative, snapshots). */
const MAX_CANDIDATES_PER_LOAD = 2000;

export interface AutomationActivityDeps {
  readonly pool: Pool;
  readonly registry: Registry;
  readonly client?: Client;
}

export function createAutomationActivities(deps: AutomationActivityDeps) {
  /**
   * Signals-with-start the automation workflow of each pipeline that reads `pipeline` (its own
   * later partitions included) and has `automation` other than `manual`. Returns those pipelines.
   */
  async function notifyDownstream(input: { pipeline: string; partition: string }): Promise<string[]> {
    // The pipeline's post-load actions first (alerts...): idempotent, so a retry re-running them is harmless.
    const def = deps.registry.get(input.pipeline);
    if ((def.afterLoad ?? []).length > 0) {
      const info = activityInfo();
      await runPostLoadActions({ pool: deps.pool, client: deps.client, taskQueue: info?.taskQueue, def, partition: input.partition, nowMs: Date.now() });
    }
    await wakeNotifications(input.pipeline);
    const targets = [
      ...new Set(
        graphEdges(deps.registry.pipelines)
          .filter((e) => e.upstream === input.pipeline)
          .map((e) => e.downstream)
          .filter((d) => deps.registry.get(d).automation !== 'manual'),
      ),
    ];
    if (targets.length === 0) return [];
    if (!deps.client) throw nonRetryable(FailureType.CONFIG, 'this worker has no Temporal client to start downstream automation');
    const taskQueue = Context.current().info.taskQueue;
    for (const pipeline of targets) {
      await deps.client.workflow.signalWithStart('automationWorkflow', {
        workflowId: automationWorkflowId(pipeline, taskQueue),
        taskQueue,
        args: [{ pipeline }],
        signal: UPSTREAM_LOADED_SIGNAL,
        signalArgs: [{ upstream: input.pipeline, key: input.partition }],
        typedSearchAttributes: [{ key: PIPELINE_SA, value: pipeline }],
      });
    }
    return targets;
  }

  /**
   * A pipeline that declares `notify`: wakes its channel's drain workflow when the outbox holds
   * pending keys (enqueued by the load that just committed). Retried with notifyDownstream until
   * delivered, so a worker dying after the load loses no wake-up; keys left pending are also posted
   * by the next wake-up of the channel.
   */
  async function wakeNotifications(pipeline: string): Promise<void> {
    const channel = deps.registry.get(pipeline).notify?.channel;
    if (!channel) return;
    const { rows } = await deps.pool.query(`SELECT 1 FROM notification_outbox WHERE channel = $1 AND status = 'pending' LIMIT 1`, [channel]);
    if (rows.length === 0) return;
    if (!deps.client) throw nonRetryable(FailureType.CONFIG, 'this worker has no Temporal client to wake the notification drainer');
    await notifyChannel(deps.client, Context.current().info.taskQueue, { channel });
  }

  async function planAutomation(input: PlanAutomationInput): Promise<PlanAutomationResult> {
    const def = deps.registry.get(input.pipeline);
    if (def.source.kind !== 'derived') return { start: [], waiting: 0, upToDate: 0 };
    const g = def.partitioning.granularity;
    const edges = graphEdges(deps.registry.pipelines).filter((e) => e.downstream === def.name);
    const candidates = new Set<string>();
    // The end of the open-ended ranges (cumulative, snapshot), computed once per plan.
    let openEnd: Promise<string | undefined> | undefined;
    for (const load of input.loads) {
      for (const e of edges.filter((x) => x.upstream === load.upstream)) {
        const up = deps.registry.get(e.upstream);
        const r = downstreamRange(e.mapping, def.partitioning, up.partitioning, load.key);
        if (!r) continue;
        const to = r.to ?? (await (openEnd ??= openRangeEnd(def, edges)));
        if (to === undefined) continue;
        const n = Math.min(countKeys(g, r.from, to), MAX_CANDIDATES_PER_LOAD);
        let i = 0;
        for (const k of keysInRange(g, r.from, to)) {
          if (i++ >= n) break;
          candidates.add(k);
        }
      }
    }
    const keys = [...candidates].sort();
    if (keys.length === 0) return { start: [], waiting: 0, upToDate: 0 };
    const { rows } = await deps.pool.query<{ partition_key: string; status: 'running' | 'succeeded' | 'failed'; params_hash: string | null; code_version: string | null }>(
      'SELECT partition_key, status, params_hash, code_version FROM ledger WHERE pipeline = $1 AND partition_key = ANY($2::text[])',
      [def.name, keys],
    );
    const byKey = new Map(rows.map((r) => [r.partition_key, r]));
    const stale = await staleKeys(deps.pool, deps.registry, def.name, keys[0], g === 'static' ? undefined : shiftKey(g, keys[keys.length - 1]!, 1));
    const current = currentFingerprint(def);
    const start: string[] = [];
    let waiting = 0;
    let upToDate = 0;
    for (const key of keys) {
      const row = byKey.get(key);
      const state = ledgerRowState(row && (stale.has(key) ? { ...row, inputs_stale: true } : row), current);
      if (state === PartitionState.SUCCEEDED || state === PartitionState.RUNNING) {
        upToDate++;
        continue;
      }
      if (await ready(def.name, key)) start.push(key);
      else waiting++;
    }
    return { start, waiting, upToDate };
  }

  /**
   * Where a load read by an open-ended mapping (`cumulative()`, `latest()`) stops being worth
   * planning: the key after the last downstream partition that can be ready now, or undefined when
   * none can. An unpartitioned pipeline: its one partition `all`. A partitioned one: no partition
   * past what every partitioned input has loaded can be ready (it would read a later upstream
   * partition), so the end is the smallest, over those inputs (its own earlier partitions aside), of
   * the key after the last partition that reads the input's newest succeeded partition; an input
   * with nothing loaded yet makes nothing ready. A partitioned pipeline whose inputs are all
   * unpartitioned has no such data to follow: the partitions that exist plus the next one (the first
   * one when none exists). Readiness itself is decided key by key by `ready`.
   */
  async function openRangeEnd(def: PipelineDefinition, edges: readonly GraphEdge[]): Promise<string | undefined> {
    const g = def.partitioning.granularity;
    if (g === Granularity.STATIC) return STATIC_KEY;
    let end: string | undefined;
    let partitionedInputs = 0;
    for (const e of edges) {
      const up = deps.registry.get(e.upstream);
      const ug = up.partitioning.granularity;
      if (ug === Granularity.STATIC || e.upstream === def.name) continue;
      partitionedInputs++;
      const newestUp = await newestKey(e.upstream, true);
      if (newestUp === undefined) return undefined;
      const reach =
        downstreamRange(e.mapping, def.partitioning, up.partitioning, newestUp)?.to ?? shiftKey(g, keyForTime(g, partitionWindow(ug, newestUp).endMs - 1), 1);
      if (end === undefined || reach < end) end = reach;
    }
    if (partitionedInputs > 0) return end;
    const own = await newestKey(def.name, false);
    return shiftKey(g, own ?? def.partitioning.start, 1);
  }

  /** The newest partition key of `pipeline` in the ledger (only succeeded ones with `succeededOnly`). */
  async function newestKey(pipeline: string, succeededOnly: boolean): Promise<string | undefined> {
    const { rows } = await deps.pool.query<{ k: string | null }>(
      `SELECT max(partition_key) AS k FROM ledger WHERE pipeline = $1${succeededOnly ? ` AND status = 'succeeded'` : ''}`,
      [pipeline],
    );
    return rows[0]?.k ?? undefined;
  }

  /** Every upstream partition the key maps to has succeeded. */
  async function ready(pipeline: string, key: string): Promise<boolean> {
    const def = deps.registry.get(pipeline);
    for (const input of resolveInputs(def, deps.registry, key)) {
      if (input.range.count === 0) continue;
      const cond = input.range.from === STATIC_KEY ? 'partition_key = $3' : 'partition_key >= $3 AND partition_key < $4';
      const values = input.range.from === STATIC_KEY ? [STATIC_KEY] : [input.range.from, input.range.to];
      const { rows } = await deps.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger WHERE pipeline = $1 AND status = $2 AND ${cond}`, [
        input.def.name,
        'succeeded',
        ...values,
      ]);
      if ((rows[0]?.n ?? 0) < input.range.count) return false;
    }
    return true;
  }

  return { notifyDownstream, planAutomation };
}

