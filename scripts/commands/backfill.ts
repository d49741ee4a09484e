/**
 * `datapulse backfill`: start (or attach to) a backfill and follow it with a progress bar; list,
 * inspect and steer running backfills.
 */
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { backfillWorkflowId, listBackfills, renderBackfillSummary, startOrAttachBackfill, validateRange } from '../../ops/backfill-client';
import { unplacedTotals } from '../../ops/unplaced';
import { withLedgerPool } from './ledger-pool';
import { loadConfig, workflowUiUrl, workflowsQueryUiUrl, type Config } from '../../infra/config';
import { createPool } from '../../infra/db';
import { resolveDatabase } from '../../infra/dev-stack';
import { BackfillMode } from '../../core/plan';
import { planRange } from '../../ops/plan-range';
import { planWithUpstream } from '../../ops/upstream-plan';
import { staleKeys } from '../../activities/staleness';
import { connectClient } from '../../infra/temporal-client';
import { registry } from '../../pipelines';
import type { BackfillProgress, BackfillSummary, backfillWorkflow } from '../../workflows/backfill';
import { ProgressReporter } from './progress';

export interface BackfillOptions {
  from?: string;
  to?: string;
  concurrency?: number;
  force?: boolean;
  onlyFailed?: boolean;
  /** Run only the partitions with no ledger row. */
  onlyMissing?: boolean;
  stale?: boolean;
  dryRun?: boolean;
  /** Run what is missing or stale upstream first (every pipeline this one reads), in dependency order. */
  withUpstream?: boolean;
  wait: boolean;
  json?: boolean;
}

const SUBCOMMANDS = ['list', 'status', 'pause', 'resume', 'cancel', 'set-concurrency'] as const;

function say(line = ''): void {
  process.stderr.write(`${line}\n`);
}

export async function backfillCommand(target: string, args: string[], opts: BackfillOptions): Promise<void> {
  if ((SUBCOMMANDS as readonly string[]).includes(target)) return manage(target as (typeof SUBCOMMANDS)[number], args, opts);
  if (args.length > 0) throw new Error(`unexpected argument(s) ${args.join(' ')}: usage: datapulse backfill <pipeline> --from <key> --to <key>`);
  if (opts.withUpstream) return runWithUpstream(target, opts);
  return runBackfill(target, opts);
}

/** `--with-upstream`: one backfill per pipeline of the plan, upstream first; stops at the first with failures. */
async function runWithUpstream(pipeline: string, opts: BackfillOptions): Promise<void> {
  if (!opts.from || !opts.to) throw new Error('--from and --to are required (the range is [from, to), e.g. --from 2024-01-01T00 --to 2024-01-08T00)');
  validateRange(registry.get(pipeline), opts.from, opts.to);
  const plan = planWithUpstream(registry, pipeline, opts.from, opts.to);
  say(`with upstream: ${plan.map((p) => `${p.pipeline} [${p.from}, ${p.to})`).join(' → ')}`);
  for (const step of plan) {
    const own = step.pipeline === pipeline;
    // Upstream pipelines get the default mode (missing, failed or stale); the flags are for the pipeline asked for.
    await runBackfill(step.pipeline, { ...opts, from: step.from, to: step.to, ...(own ? {} : { force: false, onlyFailed: false, onlyMissing: false, stale: false }) });
    if (process.exitCode === 1 && !opts.dryRun) {
      throw new Error(`${step.pipeline} [${step.from}, ${step.to}) did not fully succeed: fix it before ${plan.slice(plan.indexOf(step) + 1).map((p) => p.pipeline).join(', ')} can run`);
    }
  }
}

function modeOf(opts: BackfillOptions): BackfillMode {
  const chosen = [opts.force && '--force', opts.onlyFailed && '--only-failed', opts.onlyMissing && '--only-missing', opts.stale && '--stale'].filter(Boolean);
  if (chosen.length > 1) throw new Error(`${chosen.join(' and ')} cannot be combined: pick one`);
  if (opts.force) return BackfillMode.FORCE;
  if (opts.onlyFailed) return BackfillMode.ONLY_FAILED;
  if (opts.onlyMissing) return BackfillMode.ONLY_MISSING;
  return opts.stale ? BackfillMode.STALE : BackfillMode.MISSING;
}

async function runBackfill(pipeline: string, opts: BackfillOptions): Promise<void> {
  const config = loadConfig();
  const def = registry.get(pipeline);
  if (!opts.from || !opts.to) throw new Error('--from and --to are required (the range is [from, to), e.g. --from 2024-01-01T00 --to 2024-01-08T00)');
  const mode = modeOf(opts);
  const total = validateRange(def, opts.from, opts.to);
  // A pipeline reading its own earlier partitions runs them one at a time, in order.
  const sequential = def.source.kind === 'derived' && Object.values(def.source.inputs).some((i) => i.pipeline === def.name);
  const concurrency = sequential ? 1 : (opts.concurrency ?? 4);
  if (sequential && (opts.concurrency ?? 4) !== 1) say(`${pipeline} reads its own earlier partitions: concurrency 1, in order`);
  const db = await resolveDatabase({ allowEmbedded: false });
  const pool = createPool({ connectionString: db.url, schema: config.schema, max: 2 });
  try {
    const stale = def.source.kind === 'derived' ? new Set((await staleKeys(pool, registry, def.name, opts.from, opts.to)).keys()) : undefined;
    const plan = await planRange(pool, def, opts.from, opts.to, mode, stale);
    const s = plan.states;
    say(`plan: ${pipeline} [${opts.from}, ${opts.to}) ${total} partitions (mode ${mode}, concurrency ${concurrency})`);
    say(`  ledger: ${s.succeeded} succeeded, ${s.stale} stale, ${s.failed} failed, ${s.running} running, ${s.missing} missing`);
    say(
      `  → run ${plan.actions.run}` +
        (plan.actions['if-changed'] ? `, re-read ${plan.actions['if-changed']} and re-run if their source changed` : '') +
        `, skip ${plan.actions.skip}`,
    );
    if (opts.dryRun) {
      if (opts.json) process.stdout.write(`${JSON.stringify({ pipeline, from: opts.from, to: opts.to, mode, ...plan }, null, 2)}\n`);
      say('dry run: nothing started');
      return;
    }
  } finally {
    await pool.end();
  }
  const client = await connectClient(config);
  try {
    const { handle, attached } = await startOrAttachBackfill(client, config, def, { from: opts.from, to: opts.to, mode, concurrency });
    const ui = workflowUiUrl(config, handle.workflowId);
    say(`${attached ? 'attached to running' : 'started'} backfill ${handle.workflowId}`);
    say(`  Temporal UI: ${ui}`);
    say(`  children:    ${workflowsQueryUiUrl(config, `DataPulsePipeline="${pipeline}" AND WorkflowType="partitionWorkflow"`)}`);
    say(`  steer:       datapulse backfill pause|resume|cancel ${handle.workflowId}   ·   set-concurrency ${handle.workflowId} 8`);
    if (!opts.wait) return;
    await follow(client, config, handle.workflowId, opts.json);
  } finally {
    await client.connection.close();
  }
}

/** Follows a backfill to its end with a progress bar; sets a non-zero exit code if any partition failed. */
export async function follow(client: Client, config: Config, workflowId: string, json?: boolean): Promise<BackfillSummary | undefined> {
  const reporter = new ProgressReporter();
  const handle = client.workflow.getHandle<typeof backfillWorkflow>(workflowId);
  let last: BackfillProgress | undefined;
  let stop = false;
  const resultP = handle.result().finally(() => (stop = true));
  resultP.catch(() => undefined);
  while (!stop) {
    try {
      last = await client.workflow.getHandle(workflowId).query<BackfillProgress>('progress');
      reporter.update(frameOf(last));
    } catch {
      /* between runs (continue-as-new) a query can miss; try again */
    }
    await Promise.race([resultP.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  let summary: BackfillSummary | undefined;
  try {
    summary = await resultP;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.type === 'BackfillCancelled') {
      summary = err.cause.details?.[0] as BackfillSummary | undefined;
    } else {
      if (reporter.active) process.stderr.write('\n');
      throw new Error(`backfill ${workflowId} failed: ${(err as WorkflowFailedError).cause?.message ?? (err as Error).message}`);
    }
  }
  if (!summary) return undefined;
  reporter.finish(frameOf(summary));
  await printSummary(config, summary);
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (summary.failed > 0 || summary.status === 'cancelled') process.exitCode = 1;
  return summary;
}

function frameOf(p: BackfillProgress) {
  return {
    total: p.total,
    done: p.done,
    failed: p.failed,
    skipped: p.skipped,
    running: p.running,
    rate: p.rate,
    note: p.paused ? 'paused' : p.cancelling ? 'cancelling' : undefined,
  };
}

async function printSummary(config: Config, s: BackfillSummary): Promise<void> {
  // Best effort: the summary is printed even when the database cannot be reached from here.
  const unplaced = await withLedgerPool(config, 'datapulse-backfill', (pool) => unplacedTotals(pool, s.pipeline)).catch(() => undefined);
  for (const line of renderBackfillSummary(config, s, unplaced)) say(line);
}

async function manage(sub: (typeof SUBCOMMANDS)[number], args: string[], opts: BackfillOptions): Promise<void> {
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    if (sub === 'list') {
      const backfills = await listBackfills(client, { limit: 50 });
      for (const wf of backfills) {
        let detail = '';
        if (wf.status === 'RUNNING') {
          const p = await client.workflow.getHandle(wf.workflowId).query<BackfillProgress>('progress').catch(() => undefined);
          if (p) detail = ` ${p.done + p.failed + p.skipped}/${p.total} (failed ${p.failed}, running ${p.running}, ${p.rate}/s${p.paused ? ', PAUSED' : ''})`;
        }
        process.stdout.write(`${wf.status.padEnd(10)} ${wf.workflowId}  started ${wf.startTime.toISOString()}${detail}\n`);
      }
      if (backfills.length === 0) say('no backfills');
      return;
    }
    const id = args[0];
    if (!id) throw new Error(`usage: datapulse backfill ${sub} <backfill-id>${sub === 'set-concurrency' ? ' <n>' : ''}`);
    const handle: WorkflowHandle = client.workflow.getHandle(id);
    const desc = await handle.describe().catch(() => {
      throw new Error(`no backfill ${id}: see datapulse backfill list`);
    });
    if (sub === 'status') {
      if (desc.status.name === 'RUNNING') {
        const p = await handle.query<BackfillProgress>('progress');
        if (opts.json) process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
        else {
          process.stdout.write(
            `${id}: RUNNING${p.paused ? ' (PAUSED)' : ''}${p.cancelling ? ' (CANCELLING)' : ''} mode ${p.mode}, ${p.done} done, ${p.failed} failed, ${p.skipped} skipped, ` +
              `${p.running} running, ${p.remaining} remaining of ${p.total}; ${p.rate}/s; concurrency ${p.concurrency}; run ${p.runs}\n`,
          );
          for (const f of p.failures.slice(0, 10)) process.stdout.write(`  ✗ ${f.partition}: ${f.error.slice(0, 160)}\n`);
        }
      } else {
        process.stdout.write(`${id}: ${desc.status.name} (closed ${desc.closeTime?.toISOString() ?? '?'})\n`);
        await follow(client, config, id, opts.json);
      }
      say(`Temporal UI: ${workflowUiUrl(config, id)}`);
      return;
    }
    if (desc.status.name !== 'RUNNING') throw new Error(`backfill ${id} is ${desc.status.name}, not running`);
    if (sub === 'pause') await handle.signal('pause');
    else if (sub === 'resume') await handle.signal('resume');
    else if (sub === 'cancel') await handle.signal('cancel');
    else {
      const n = Number(args[1]);
      if (!Number.isInteger(n) || n < 1 || n > 500) throw new Error('set-concurrency needs an integer between 1 and 500');
      await handle.signal('setConcurrency', n);
    }
    say(`${sub} sent to ${id}; follow it: datapulse backfill status ${id}   (${workflowUiUrl(config, id)})`);
  } finally {
    await client.connection.close();
  }
}

export { backfillWorkflowId };
