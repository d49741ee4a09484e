/**
 * Post-load actions: named steps a pipeline declares in `afterLoad` (core/pipeline.ts), run by the
 * worker after each successful load of one of its partitions, inside `notifyDownstream` (the local
 * activity every partition workflow runs right after its load, retried until it succeeds and re-run
 * if the worker dies before its completion is recorded). So they run at least once per load, never
 * fail the loaded partition, and need no workflow change; each action makes its effects exactly once
 * itself (keys in PostgreSQL).
 *
 * Registered actions:
 * - `freelance-alerts` — overdue invoices and monthly occupancy out of the band given by the
 *   pipeline's params `occupancy_low_pct` / `occupancy_high_pct` (default 60 / 90), as of the day of the
 *   load (UTC): activities/freelance-alerts.ts. When it queued messages, it wakes the drainer of
 *   channel `alerts` (`notifications/<task queue>/alerts`, signal-with-start on the worker's task queue), which
 *   posts them to `NOTIFY_WEBHOOK_URL_ALERTS`, else `SLACK_WEBHOOK_URL`.
 */
import type { Client } from '@temporalio/client';
import type { Pool } from '../infra/db';
import type { PipelineDefinition } from '../core/pipeline';
import { FailureType, nonRetryable } from './errors';
import { evaluateFreelanceAlerts } from './freelance-alerts';
import { ALERTS_CHANNEL, notifyChannel } from './notifications';

/** What a post-load action is handed. */
export interface PostLoadContext {
  readonly pool: Pool;
  /** Temporal client of the worker (to wake a drainer); absent in direct calls without one. */
  readonly client?: Client;
  /** Task queue of the worker running the action. */
  readonly taskQueue?: string;
  readonly def: PipelineDefinition;
  readonly partition: string;
  /** Wall clock of the run, ms since epoch (actions run in activities, never in workflow code). */
  readonly nowMs: number;
}

/** A post-load action: idempotent; returns a short summary for the log. */
export type PostLoadAction = (ctx: PostLoadContext) => Promise<Record<string, unknown>>;

function numberParam(def: PipelineDefinition, name: string, fallback: number): number {
  const v = def.params[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw nonRetryable(FailureType.CONFIG, `pipeline ${def.name}: param ${name} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Every post-load action by the name pipelines use in `afterLoad`. */
export const POST_LOAD_ACTIONS: Readonly<Record<string, PostLoadAction>> = {
  'freelance-alerts': async (ctx) => {
    const result = await evaluateFreelanceAlerts(ctx.pool, {
      asOf: new Date(ctx.nowMs).toISOString().slice(0, 10),
      lowPct: numberParam(ctx.def, 'occupancy_low_pct', 60),
      highPct: numberParam(ctx.def, 'occupancy_high_pct', 90),
    });
    if (result.queued > 0 && ctx.client && ctx.taskQueue) await notifyChannel(ctx.client, ctx.taskQueue, { channel: ALERTS_CHANNEL });
    return { newOverdue: result.newOverdue, newOccupancy: result.newOccupancy.length, queued: result.queued };
  },
};

/**
 * Runs `def.afterLoad` in order. Throws a non-retryable CONFIG failure for a name that is not
 * registered; an action's own error propagates (the caller retries).
 */
export async function runPostLoadActions(ctx: PostLoadContext): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of ctx.def.afterLoad ?? []) {
    const action = POST_LOAD_ACTIONS[name];
    if (!action) throw nonRetryable(FailureType.CONFIG, `pipeline ${ctx.def.name}: unknown post-load action ${JSON.stringify(name)} (known: ${Object.keys(POST_LOAD_ACTIONS).join(', ')})`);
    out[name] = await action(ctx);
  }
  return out;
}
