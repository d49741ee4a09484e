/**
 * Activities behind backfills: planning a slice of the range from the ledger, and waiting for a
 * partition that another run (a schedule tick, a `datapulse run`) already owns.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Pool } from '../infra/db';
import { currentFingerprint } from '../infra/fingerprint';
import { keyAt, countKeys, shiftKey, type Granularity } from '../core/partition';
import { staleKeys } from './staleness';
import { ledgerRowState, planAction, type BackfillMode, type PartitionState, SOURCE_CHANGED_SQL } from '../core/plan';
import type { Registry } from '../core/registry';
import { FailureType, nonRetryable } from './errors';
import { reconcileRunningPartitions } from './run-reconcile';

export interface PlanSliceInput {
  readonly pipeline: string;
  readonly granularity: Granularity;
  /** First key of the whole range. */
  readonly from: string;
  /** Exclusive end of the whole range. */
  readonly to: string;
  readonly startIndex: number;
  readonly count: number;
  readonly mode: BackfillMode;
}

export interface PlannedPartition {
  readonly key: string;
  readonly ifChanged?: boolean;
}

export interface PlanSliceResult {
  readonly items: PlannedPartition[];
  /** Keys covered by this slice (items + skipped). */
  readonly covered: number;
  readonly skipped: number;
  readonly states: Partial<Record<PartitionState, number>>;
}

export interface AwaitPartitionResult {
  readonly ok: boolean;
  readonly error?: string;
}

export interface BackfillActivityDeps {
  readonly pool: Pool;
  readonly registry: Registry;
  /** Client used to wait on workflows this worker did not start. */
  readonly client?: Client;
}

export function createBackfillActivities(deps: BackfillActivityDeps) {
  async function planSlice(input: PlanSliceInput): Promise<PlanSliceResult> {
    const def = deps.registry.get(input.pipeline);
    if (def.partitioning.granularity !== input.granularity) {
      throw nonRetryable(FailureType.CONFIG, `pipeline ${input.pipeline} is ${def.partitioning.granularity}, the backfill asked for ${input.granularity}`);
    }
    const total = countKeys(input.granularity, input.from, input.to);
    const n = Math.max(0, Math.min(input.count, total - input.startIndex));
    const keys = Array.from({ length: n }, (_, i) => keyAt(input.granularity, input.from, input.startIndex + i));
    // A run terminated or timed out from outside still says `running` in the ledger: ask Temporal
    // first, so such partitions are planned as failed (and run), not waited on forever.
    if (deps.client) await reconcileRunningPartitions(deps.pool, deps.client, { pipeline: input.pipeline, keys });
    const { rows } = await deps.pool.query<{ partition_key: string; status: 'running' | 'succeeded' | 'failed'; params_hash: string | null; code_version: string | null }>(
      `SELECT partition_key, status, params_hash, code_version, ${SOURCE_CHANGED_SQL} FROM ledger WHERE pipeline = $1 AND partition_key = ANY($2::text[])`,
      [input.pipeline, keys],
    );
    // Derived datasets: a partition whose inputs changed is stale too (ledger and consumed inputs only).
    const staleInputs = def.source.kind === 'derived' && keys.length > 0 ? await staleKeys(deps.pool, deps.registry, def.name, keys[0], shiftKey(input.granularity, keys[keys.length - 1]!, 1)) : undefined;
    const byKey = new Map(rows.map((r) => [r.partition_key, staleInputs?.has(r.partition_key) ? { ...r, inputs_stale: true } : r]));
    const current = currentFingerprint(def);
    const items: PlannedPartition[] = [];
    const states: Partial<Record<PartitionState, number>> = {};
    let skipped = 0;
    for (const key of keys) {
      const r = byKey.get(key);
      const state = ledgerRowState(r, current);
      states[state] = (states[state] ?? 0) + 1;
      const action = planAction(state, input.mode);
      if (action === 'skip') skipped++;
      else items.push(action === 'if-changed' ? { key, ifChanged: true } : { key });
    }
    return { items, covered: n, skipped, states };
  }

  /** Waits (heartbeating) for a workflow another run started, and reports how it ended. */
  async function awaitPartition(input: { workflowId: string }): Promise<AwaitPartitionResult> {
    if (!deps.client) throw nonRetryable(FailureType.CONFIG, 'this worker has no Temporal client to wait on other runs');
    const ctx = Context.current();
    const timer = setInterval(() => ctx.heartbeat(), 5_000);
    try {
      await Promise.race([
        deps.client.workflow.getHandle(input.workflowId).result(),
        new Promise((_, reject) => ctx.cancellationSignal.addEventListener('abort', () => reject(ctx.cancellationSignal.reason))),
      ]);
      return { ok: true };
    } catch (err) {
      if (err instanceof WorkflowFailedError) return { ok: false, error: err.cause?.message ?? err.message };
      throw err;
    } finally {
      clearInterval(timer);
    }
  }

  return { planSlice, awaitPartition };
}
