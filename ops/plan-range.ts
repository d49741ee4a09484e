/** The whole-range plan of a backfill, read from the ledger (for `--dry-run`). */
import type { Pool } from '../infra/db';
import { currentFingerprint } from '../infra/fingerprint';
import { keysInRange } from '../core/partition';
import type { PipelineDefinition } from '../core/pipeline';
import { ledgerRowState, planAction, type BackfillMode, type PartitionState, type PlanAction, SOURCE_CHANGED_SQL } from '../core/plan';

export interface RangePlan {
  readonly total: number;
  readonly states: Record<PartitionState, number>;
  readonly actions: Record<PlanAction, number>;
}

/** Counts per state and action of [from, to). `inputsStale`: keys whose inputs changed (derived datasets). */
export async function planRange(pool: Pool, def: PipelineDefinition, from: string, to: string, mode: BackfillMode, inputsStale?: ReadonlySet<string>): Promise<RangePlan> {
  const { rows } = await pool.query<{ partition_key: string; status: 'running' | 'succeeded' | 'failed'; params_hash: string | null; code_version: string | null }>(
    `SELECT partition_key, status, params_hash, code_version, ${SOURCE_CHANGED_SQL} FROM ledger
      WHERE pipeline = $1 AND partition_key >= $2 AND partition_key < $3`,
    // A static pipeline's one key `all` is both ends of its range: widen the text bound to include it.
    [def.name, from, def.partitioning.granularity === 'static' ? `${to}z` : to],
  );
  const byKey = new Map(rows.map((r) => [r.partition_key, r]));
  const current = currentFingerprint(def);
  const states: Record<PartitionState, number> = { succeeded: 0, stale: 0, failed: 0, running: 0, missing: 0 };
  const actions: Record<PlanAction, number> = { run: 0, 'if-changed': 0, skip: 0 };
  let total = 0;
  for (const key of keysInRange(def.partitioning.granularity, from, to)) {
    const row = byKey.get(key);
    const r = row && inputsStale?.has(key) ? { ...row, inputs_stale: true } : row;
    const state = ledgerRowState(r, current);
    states[state]++;
    actions[planAction(state, mode)]++;
    total++;
  }
  return { total, states, actions };
}
