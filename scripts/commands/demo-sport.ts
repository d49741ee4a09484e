/**
 * The sport-benefit part of `npm run demo` (README "Sport benefits"): drops the generated data set in
 * the landing folders (HR workbook, declared sports, a year of NDJSON activity drops), loads the two
 * snapshots and backfills the year of activities (history: nothing is posted), waits for automation
 * to fill the derived months, drops a few live activities and shows their Slack posts arrive once
 * each (at a local Slack-shaped receiver unless NOTIFY_WEBHOOK_URL_SPORT is set), then changes a rule
 * (bonus 5 % → 4 %) as an operator would with `DATAPULSE_PARAMS`, runs `backfill --stale`, prints
 * the cost before and after (`datapulse diff`) against the amount computed by hand, and restores the
 * rule. Returns the number of failures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { stalePartitions } from '../../activities/staleness';
import { createRegistry, withParamOverrides, type Registry } from '../../core/registry';
import { bonusAmount } from '../../core/sport-benefits';
import type { Config } from '../../infra/config';
import type { Pool } from '../../infra/db';
import { startLocalSlackWebhook, type LocalSlackWebhook } from '../../infra/fixtures/slack-webhook';
import { createLogger } from '../../infra/logger';
import { startOrAttachBackfill } from '../../ops/backfill-client';
import { costDiff } from '../../ops/diff';
import { startPartition } from '../../ops/partition-runs';
import { registry } from '../../pipelines';
import { createDataPulseWorker } from '../../workers/worker';
import { writeHrWorkbook } from '../generate-sport';
import { generateSportDataset } from '../sport-dataset';
import { follow } from './backfill';
import { renderDiff } from './diff';
import { say } from './stack';

const DERIVED = ['sport_employee_monthly', 'sport_team_monthly', 'sport_company_monthly'] as const;
const MONTHS = { from: '2025-01', to: '2026-01' };
const CHANGE = { sport_employee_monthly: { bonus_rate: '0.04' } } as const;

const cents = (s: string): bigint => {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(s.trim());
  if (!m) throw new Error(`not an amount: ${s}`);
  const v = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] ? -v : v;
};
const eur = (c: bigint): string => `${c < 0n ? '-' : ''}${(c < 0n ? -c : c) / 100n}.${String((c < 0n ? -c : c) % 100n).padStart(2, '0')}`;

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      say(`            timed out waiting for ${what}`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
}

async function loadedMonths(pool: Pool, pipeline: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger WHERE pipeline = $1 AND status = 'succeeded' AND partition_key >= $2 AND partition_key < $3`,
    [pipeline, MONTHS.from, MONTHS.to],
  );
  return rows[0]?.n ?? 0;
}

/** Backfills `pipeline` over the year of months on `taskQueue` with `mode`, following it; returns failures. */
async function backfillMonths(client: Client, config: Config, reg: Registry, pipeline: string, mode: 'missing' | 'stale', taskQueue = config.taskQueue): Promise<number> {
  const { handle } = await startOrAttachBackfill(client, { taskQueue }, reg.get(pipeline), { ...MONTHS, mode, concurrency: pipeline === 'sport_employee_monthly' ? 4 : 1 });
  return (await follow(client, config, handle.workflowId))?.failed ?? 1;
}

/**
 * Waits for automation to bring the derived months up to date under `reg` — as long as it makes
 * progress (`idleMs` without any load ends the wait) — then backfills what it left, in order.
 */
async function settleDerived(client: Client, config: Config, pool: Pool, reg: Registry, taskQueue: string, idleMs: number): Promise<number> {
  let last = '';
  let deadline = Date.now() + idleMs;
  for (;;) {
    const stale = (await stalePartitions(pool, reg, { pipelines: [...DERIVED] })).length;
    const loaded = await Promise.all(DERIVED.map((p) => loadedMonths(pool, p)));
    if (stale === 0 && loaded.every((n) => n === 12)) return 0;
    const line = `${DERIVED.map((p, i) => `${p.replace('sport_', '')} ${loaded[i]}/12`).join('  ·  ')}${stale ? `  (${stale} stale)` : ''}`;
    if (line !== last) {
      say(`            ${line}`);
      deadline = Date.now() + idleMs;
      last = line;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  say('            automation went quiet: backfilling what it left (datapulse backfill <pipeline> --from 2025-01 --to 2026-01)');
  let failed = 0;
  for (const p of DERIVED) failed += await backfillMonths(client, config, reg, p, 'missing', taskQueue);
  return failed;
}

async function companyDecember(pool: Pool): Promise<{ total_cost: string; bonus_cost: string; wellness_cost: string; wellness_days: number; eligible_count: number; headcount: number; adoption_rate: string }> {
  const { rows } = await pool.query(
    `SELECT total_cost::text, bonus_cost::text, wellness_cost::text, wellness_days, eligible_count, headcount, adoption_rate::text FROM sport_company_monthly WHERE month = '2025-12'`,
  );
  return rows[0];
}

export async function sportDemo(client: Client, config: Config, pool: Pool): Promise<number> {
  const t0 = Date.now();
  let failed = 0;
  say();
  say('Sport:      a sport-benefit scheme: HR workbook + declared sports + a year of activity drops → bonus and wellness-day costs');
  // 1. The data set, in the landing folders.
  const ds = generateSportDataset();
  for (const f of ds.files) {
    mkdirSync(path.join(config.landingDir, path.dirname(f.path)), { recursive: true });
    writeFileSync(path.join(config.landingDir, f.path), f.content);
  }
  await writeHrWorkbook(ds, path.join(config.landingDir, 'sport_hr_directory', 'employees.xlsx'));
  say(`            landing: employees.xlsx (${ds.manifest.hrRows} rows, ${ds.manifest.employees} employees), declared-sports.csv, ${ds.manifest.activityRecords} activities in ${ds.files.filter((f) => f.path.endsWith('.ndjson')).length} NDJSON drops; ${ds.manifest.defects.length} planted defects`);

  // 2. Slack: a local receiver unless a webhook is configured.
  let receiver: LocalSlackWebhook | undefined;
  if (!process.env.NOTIFY_WEBHOOK_URL_SPORT) {
    receiver = await startLocalSlackWebhook();
    process.env.NOTIFY_WEBHOOK_URL_SPORT = receiver.url;
    say(`            Slack: local Slack-shaped webhook receiver at ${receiver.url} (set NOTIFY_WEBHOOK_URL_SPORT for a real channel)`);
  }
  try {
    // 3. Snapshots, then the year of activities (a backfill: history, nothing posted).
    for (const p of ['sport_hr_directory', 'sport_declared_sports']) {
      const s = await (await startPartition(client, config, { pipeline: p, partition: 'all', trigger: 'run' })).result();
      say(`            ${p}/all: ${s.rowsLoaded} loaded, ${s.rowsQuarantined} quarantined, ${s.rowsDeduplicated} deduplicated`);
    }
    const acts = registry.get('sport_activities');
    const { handle } = await startOrAttachBackfill(client, config, acts, { from: '2025-01-01', to: '2026-01-01', mode: 'missing', concurrency: 12 });
    say(`Backfill:   sport_activities [2025-01-01, 2026-01-01) (history: recorded in the Slack outbox as suppressed, never posted)`);
    failed += (await follow(client, config, handle.workflowId))?.failed ?? 1;
    say('            derived months fill in by automation: sport_employee_monthly → sport_team_monthly → sport_company_monthly');
    failed += await settleDerived(client, config, pool, registry, config.taskQueue, 20_000);
    const q = await pool.query<{ pipeline: string; field: string; reason: string; n: number }>(
      `SELECT pipeline, field, min(reason) AS reason, count(*)::int AS n FROM quarantine WHERE pipeline LIKE 'sport\\_%' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    for (const r of q.rows) say(`            quarantined: ${r.pipeline} ${r.n} × ${r.reason.slice(0, 110)}`);
    const dec = await companyDecember(pool);
    if (dec) {
      say(`KPIs 2025:  ${dec.eligible_count} of ${dec.headcount} employees eligible, adoption ${(Number(dec.adoption_rate) * 100).toFixed(1)} % in December`);
      say(`            bonus ${dec.bonus_cost} EUR + ${dec.wellness_days} wellness days ${dec.wellness_cost} EUR = ${dec.total_cost} EUR (daily salary = annual / 218)`);
    }

    // 4. A live drop: one post per new activity, once.
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const live = ['E0001', 'E0002', 'E0003', 'E0004', 'E0005'].map((employee_id, i) => ({
      activity_id: `LIVE-${day}-${i + 1}`,
      employee_id,
      start_time: `${day}T${String(18 + (i % 5)).padStart(2, '0')}:${String(10 * i).padStart(2, '0')}:00Z`,
      sport: ['running', 'cycling', 'walking', 'swimming', 'yoga'][i]!,
      ...(i < 4 ? { distance_m: [10_800, 24_300, 5_200, 1_900][i] } : {}),
      elapsed_s: [2760, 3900, 3300, 2400, 3600][i]!,
    }));
    writeFileSync(path.join(config.landingDir, 'sport_activities', `activities-${day}-live.ndjson`), live.map((a) => JSON.stringify(a)).join('\n') + '\n');
    const before = receiver?.messages.length ?? 0;
    await (await startPartition(client, config, { pipeline: 'sport_activities', partition: day, trigger: 'run' })).result();
    // A second demo run on the same day finds these activities posted already: nothing to wait for.
    const known = await pool.query<{ waiting: number; posted: number }>(
      `SELECT count(*) FILTER (WHERE status IN ('pending', 'posting'))::int AS waiting, count(*) FILTER (WHERE status = 'posted')::int AS posted
         FROM notification_outbox WHERE channel = 'sport' AND key LIKE $1`,
      [`LIVE-${day}-%`],
    );
    const waiting = known.rows[0]?.waiting ?? 0;
    const posted = known.rows[0]?.posted ?? 0;
    say(`Live drop:  ${live.length} activities for ${day}: ${waiting} Slack post(s) queued, paced at 1/s${posted ? `; ${posted} posted by an earlier run, not again` : ''}`);
    if (receiver) {
      await waitUntil('the Slack posts', async () => receiver.messages.length - before >= waiting, 20_000);
      await (await startPartition(client, config, { pipeline: 'sport_activities', partition: day, trigger: 'run' })).result();
      await new Promise((r) => setTimeout(r, 1500));
      const got = receiver.messages.slice(before);
      for (const m of got) say(`            Slack ← ${m}`);
      say(`            ${got.length} post(s) arrived for ${waiting} newly queued activities (the day re-loaded once more: no post repeated); ${before} during the backfill`);
      if (new Set(got).size !== got.length) failed++;
    }

    // 5. A rule change, replayed: bonus 5 % → 4 %.
    failed += await replay(client, config, pool);
  } finally {
    await receiver?.close();
  }
  say(`            sport demo: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return failed;
}

async function replay(client: Client, config: Config, pool: Pool): Promise<number> {
  let failed = 0;
  const changed = createRegistry(withParamOverrides(registry.pipelines, CHANGE));
  say();
  say(`Replay:     rule change bonus_rate 0.05 → 0.04, as an operator would: DATAPULSE_PARAMS='${JSON.stringify(CHANGE)}' datapulse worker`);
  const stale = await stalePartitions(pool, changed, { pipelines: [...DERIVED] });
  const direct = stale.filter((s) => s.reason.startsWith('definition changed'));
  say(`            stale now: ${direct.length} × ${direct[0]?.pipeline ?? '-'} (params changed), ${stale.length - direct.length} downstream months until they re-load; no source is stale`);
  const eligible = await pool.query<{ salary: string }>(`SELECT gross_annual_salary::text AS salary FROM sport_employee_monthly WHERE month = '2025-12' AND eligible`);
  const expected = eligible.rows.reduce((s, e) => s + cents(bonusAmount(e.salary, '0.04')) - cents(bonusAmount(e.salary, '0.05')), 0n);
  const beforeTotal = (await companyDecember(pool)).total_cost;

  // A worker with the changed params, on its own task queue (the demo's worker keeps the current rules).
  const taskQueue = `${config.taskQueue}-sport-replay`;
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createDataPulseWorker({ connection, config: { ...config, taskQueue }, pool, registry: changed, logger: createLogger(process.env.LOG_LEVEL ?? 'warn', { role: 'worker' }), client });
  const running = worker.run();
  try {
    say('            datapulse backfill sport_employee_monthly --from 2025-01 --to 2026-01 --stale   (automation re-runs the team and company months whose inputs changed)');
    failed += await backfillMonths(client, config, changed, 'sport_employee_monthly', 'stale', taskQueue);
    failed += await settleDerived(client, config, pool, changed, taskQueue, 20_000);
    const d = await costDiff(pool, changed, { pipeline: 'sport_team_monthly', partition: '2025-12' });
    const diffs = [d, await costDiff(pool, changed, { pipeline: 'sport_team_monthly', partition: '2025-12', measure: 'bonus_cost' })];
    say('            datapulse diff sport_team_monthly --partition 2025-12');
    for (const line of renderDiff(diffs).trimEnd().split('\n')) say(`              ${line}`);
    const afterTotal = (await companyDecember(pool)).total_cost;
    const moved = cents(afterTotal) - cents(beforeTotal);
    const ok = moved === expected && cents(d.total.delta) === expected;
    say(`            company 2025 cost ${beforeTotal} → ${afterTotal} EUR: ${eur(moved)} EUR; by hand (each eligible salary × 4 % − × 5 %, to the cent): ${eur(expected)} EUR ${ok ? '✓' : '✗ MISMATCH'}`);
    if (!ok) failed++;
  } finally {
    await drainTaskQueue(client, taskQueue);
    worker.shutdown();
    await running.catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
  // Back to the rules the demo's worker runs with.
  say('            restoring bonus_rate 0.05: backfill --stale with the current rules');
  failed += await backfillMonths(client, config, registry, 'sport_employee_monthly', 'stale');
  failed += await settleDerived(client, config, pool, registry, config.taskQueue, 20_000);
  say(`            company 2025 cost back to ${(await companyDecember(pool)).total_cost} EUR; console: dashboards/sport-benefits (replay panel: before/after)`);
  return failed;
}

/**
 * Before a worker of `taskQueue` stops: ends the automation workflows of that queue (so nothing new
 * starts on it), then waits (at most 60 s) for the partitions they started to finish on that worker.
 * Otherwise a partition started at the last moment would wait forever on a queue nobody polls, and
 * the next backfill joining it (deterministic ids) with it.
 */
async function drainTaskQueue(client: Client, taskQueue: string): Promise<void> {
  const running = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;
  for await (const w of client.workflow.list({ query: `${running} AND WorkflowType = "automationWorkflow"` })) {
    await client.workflow.getHandle(w.workflowId, w.runId).terminate('demo: the replay worker stops').catch(() => undefined);
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let open = 0;
    for await (const w of client.workflow.list({ query: running })) if (w.type !== 'automationWorkflow') open++;
    if (open === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
