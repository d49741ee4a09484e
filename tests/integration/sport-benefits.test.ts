/**
 * The sport-benefit scheme end to end on the generated data set (scripts/sport-dataset.ts), with a
 * real Temporal dev server, worker, PostgreSQL and a real HTTP receiver in Slack's place:
 * - the HR workbook, the declared sports and three months of NDJSON activities load; each planted
 *   defect ends where the manifest says (quarantine with its reason, dedupe, check result, flag);
 * - history (a backfill, old drops) posts nothing; a live drop posts one message per new activity,
 *   once, even when the partition is re-loaded;
 * - the KPIs of a month and a team equal an independent SQL over the raw files;
 * - a rule change (5 % → 4 %) makes exactly the employee months stale, recomputing them re-loads
 *   only the team and company months whose inputs changed, the totals move by the amount computed
 *   by hand, and `diff` shows it per team and in total.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { stalePartitions } from '../../activities/staleness';
import { createRegistry, type Registry } from '../../core/registry';
import { bonusAmount } from '../../core/sport-benefits';
import type { PipelineDefinition } from '../../core/pipeline';
import { createLogger } from '../../infra/logger';
import { startOrAttachBackfill } from '../../ops/backfill-client';
import { dashboardData } from '../../ops/dashboards';
import { costDiff, paramsVersions } from '../../ops/diff';
import { sportBenefits } from '../../pipelines/dashboards/sport';
import { sportActivities } from '../../pipelines/sport-activities';
import { sportCompanyMonthly } from '../../pipelines/sport-company-monthly';
import { sportDeclaredSports } from '../../pipelines/sport-declared-sports';
import { employeeMonthlyPipeline, SPORT_RULE_PARAMS } from '../../pipelines/sport-employee-monthly';
import { sportHrDirectory } from '../../pipelines/sport-hr-directory';
import { sportTeamMonthly } from '../../pipelines/sport-team-monthly';
import { writeHrWorkbook } from '../../scripts/generate-sport';
import { generateSportDataset, type SportDataset } from '../../scripts/sport-dataset';
import { createHarness, type Harness } from './harness';
import { waitFor } from './processes';
import { startSlackReceiver, type SlackReceiver } from './slack-receiver';

/** The sport pipelines, derived ones run by hand here (the test decides the order). */
function sportRegistry(employeeMonthly = employeeMonthlyPipeline()): Registry {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions are generic in schema and params, as in createRegistry
  const manual = (d: PipelineDefinition<any, any>) => Object.freeze({ ...d, automation: 'manual' as const });
  return createRegistry([sportHrDirectory, sportDeclaredSports, sportActivities, manual(employeeMonthly), manual(sportTeamMonthly), manual(sportCompanyMonthly)]);
}

const MONTHS = ['2025-01', '2025-02'];
let h: Harness;
let slack: SlackReceiver;
let ds: SportDataset;
const registry = sportRegistry();

beforeAll(async () => {
  slack = await startSlackReceiver();
  h = await createHarness({ registry, env: { NOTIFY_WEBHOOK_URL_SPORT: slack.url } });
  ds = generateSportDataset();
  // The landing folders as the demo fills them; activities: January and February, and the days of the planted defects.
  const defectDays = ['2025-03-18', '2025-05-07', '2025-06-12', '2025-08-21'];
  for (const f of ds.files) {
    const day = /activities-(\d{4}-\d{2}-\d{2})/.exec(f.path)?.[1];
    if (day && !(day < '2025-03-01' || defectDays.includes(day))) continue;
    if (f.path.endsWith('employees.csv')) continue; // the workbook is the registered extract
    mkdirSync(path.join(h.landingDir, path.dirname(f.path)), { recursive: true });
    writeFileSync(path.join(h.landingDir, f.path), f.content);
  }
  mkdirSync(path.join(h.landingDir, 'sport_hr_directory'), { recursive: true });
  await writeHrWorkbook(ds, path.join(h.landingDir, 'sport_hr_directory', 'employees.xlsx'));
}, 120_000);

afterAll(async () => {
  await h?.close();
  await slack?.close();
});

const q = async <T extends Record<string, unknown>>(sql: string, values: unknown[] = []) => (await h.pool.query<T>(sql, values)).rows;
const defect = (kind: string) => ds.manifest.defects.filter((d) => d.kind === kind);

async function backfill(pipeline: string, from: string, to: string, concurrency = 8) {
  const { handle } = await startOrAttachBackfill(h.client, h.config, registry.get(pipeline), { from, to, mode: 'missing', concurrency });
  const s = await handle.result();
  expect(s.failed, JSON.stringify(s.failures.slice(0, 3))).toBe(0);
  return s;
}

describe('sport benefits: sources', () => {
  it('the HR workbook loads as a snapshot: duplicates deduplicated, the missing salary quarantined, spellings normalised', { timeout: 60_000 }, async () => {
    const s = await h.run('sport_hr_directory', 'all');
    expect(s).toMatchObject({ rowsIn: ds.manifest.hrRows, rowsQuarantined: 1, rowsDeduplicated: 2, rowsLoaded: ds.manifest.employees - 1 });
    const [missing] = defect('missing-salary');
    const quarantined = await q<{ field: string; reason: string; line_no: number }>(`SELECT field, reason, line_no FROM quarantine WHERE pipeline = 'sport_hr_directory'`);
    expect(quarantined).toEqual([{ field: missing!.field, reason: expect.stringContaining('missing value'), line_no: missing!.line }]);
    const checks = await q<{ name: string; outcome: string }>(`SELECT check_name AS name, outcome FROM check_results WHERE pipeline = 'sport_hr_directory' ORDER BY check_name`);
    expect(checks).toContainEqual({ name: 'unique(employee_id)', outcome: 'failed' });
    const moved = await q<{ address: string }>(`SELECT address FROM sport_hr_employees WHERE employee_id = 'E0077'`);
    expect(moved[0]!.address).toMatch(/^3 quai des Bateliers/);
    for (const d of defect('commute-mode-spelling')) {
      expect(await q(`SELECT commute_mode, commute_mode_raw FROM sport_hr_employees WHERE employee_id = $1`, [d.employeeId])).toEqual([
        { commute_mode: 'cycling_active', commute_mode_raw: d.value },
      ]);
    }
    expect(await h.run('sport_declared_sports', 'all')).toMatchObject({ rowsQuarantined: 0, rowsLoaded: ds.employees.filter((e) => e.declaredSport).length });
  });

  it('activities: history posts nothing; each planted defect is quarantined with its reason or deduplicated', { timeout: 240_000 }, async () => {
    await backfill('sport_activities', '2025-01-01', '2025-03-01');
    for (const d of ['2025-03-18', '2025-05-07', '2025-06-12', '2025-08-21']) await h.run('sport_activities', d);
    for (const kind of ['unknown-employee-activity', 'impossible-distance', 'impossible-duration']) {
      const [d] = defect(kind);
      const rows = await q<{ field: string; reason: string; line_no: number }>(
        `SELECT field, reason, line_no FROM quarantine WHERE pipeline = 'sport_activities' AND source_file = $1`,
        [path.basename(d!.file)],
      );
      expect(rows, kind).toEqual([{ field: d!.field, reason: expect.any(String), line_no: d!.line }]);
      if (kind === 'unknown-employee-activity') expect(rows[0]!.reason).toBe('employee_id: unknown employee_id E9999 (not in sport_hr_employees.employee_id)');
    }
    const [twice] = defect('activity-dropped-twice');
    expect(await q(`SELECT rows_deduplicated FROM ledger WHERE pipeline = 'sport_activities' AND partition_key = '2025-06-12'`)).toEqual([{ rows_deduplicated: 1 }]);
    expect(await q(`SELECT count(*)::int AS n FROM sport_activities WHERE activity_id = $1`, [twice!.activityId])).toEqual([{ n: 1 }]);
    // History: every activity recorded once in the outbox as suppressed, nothing posted.
    const outbox = await q<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM notification_outbox WHERE channel = 'sport' GROUP BY status`);
    const loaded = await q<{ n: number }>(`SELECT count(*)::int AS n FROM sport_activities`);
    expect(outbox).toEqual([{ status: 'suppressed', n: loaded[0]!.n }]);
    expect(slack.all).toHaveLength(0);
  });

  it('a live drop posts one message per new activity, once, also when the day is re-loaded', { timeout: 120_000 }, async () => {
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const at = (h: number) => `${day}T${String(h).padStart(2, '0')}:15:00Z`;
    const events = [
      { activity_id: 'LIVE-1', employee_id: 'E0001', start_time: at(20), sport: 'running', distance_m: 10_800, elapsed_s: 2760 },
      { activity_id: 'LIVE-2', employee_id: 'E0002', start_time: at(21), sport: 'yoga', elapsed_s: 3600 },
      { activity_id: 'LIVE-3', employee_id: 'E0003', start_time: at(22), sport: 'cycling', distance_m: 25_000, elapsed_s: 3900 },
      { activity_id: 'LIVE-X', employee_id: 'E9999', start_time: at(22), sport: 'running', distance_m: 5000, elapsed_s: 1800 },
    ];
    writeFileSync(path.join(h.landingDir, 'sport_activities', `activities-${day}.ndjson`), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    expect(await h.run('sport_activities', day)).toMatchObject({ rowsLoaded: 3, rowsQuarantined: 1 });
    await waitFor('three posts', () => slack.shown.length >= 3, { timeoutMs: 60_000 });
    const first = (id: string) => ds.employees.find((e) => e.employeeId === id)!.firstName;
    expect(slack.shown.map((p) => p.text)).toEqual([
      `Bravo ${first('E0001')}! 10.8 km of running in 46 min`,
      `Bravo ${first('E0002')}! 1 h 00 of yoga`,
      `Bravo ${first('E0003')}! 25.0 km of cycling in 1 h 05`,
    ]);
    // Re-loading the day (a retry, a re-run) enqueues nothing new: still three posts.
    await h.run('sport_activities', day);
    await new Promise((r) => setTimeout(r, 2500));
    expect(slack.all).toHaveLength(3);
    expect(await q(`SELECT key, status FROM notification_outbox WHERE key LIKE 'LIVE-%' ORDER BY key`)).toEqual(['LIVE-1', 'LIVE-2', 'LIVE-3'].map((key) => ({ key, status: 'posted' })));
  });
});

describe('sport benefits: KPIs', () => {
  it('the derived months load, their checks pass, and a team month equals an independent SQL over the raw files', { timeout: 180_000 }, async () => {
    for (const m of MONTHS) await h.run('sport_employee_monthly', m);
    for (const m of MONTHS) await h.run('sport_team_monthly', m);
    for (const m of MONTHS) await h.run('sport_company_monthly', m);
    const failed = await q(`SELECT pipeline, partition_key, check_name, message FROM check_results WHERE outcome = 'failed' AND pipeline LIKE 'sport\\_%\\_monthly' AND check_name <> 'cost_drift'`);
    expect(failed).toEqual([]);
    const flags = await q<{ employee_id: string; eligible: boolean }>(
      `SELECT employee_id, eligible FROM sport_employee_monthly WHERE month = '2025-02' AND declared_distance_flag AND employee_id = ANY($1) ORDER BY employee_id`,
      [defect('declared-distance-disagrees').map((d) => d.employeeId)],
    );
    expect(flags).toEqual([
      { employee_id: 'E0055', eligible: false },
      { employee_id: 'E0088', eligible: true },
    ]);

    // The independent computation: raw HR CSV lines and raw NDJSON lines into plain tables, every rule again in SQL.
    const hrCsv = ds.files.find((f) => f.path.endsWith('employees.csv'))!.content.trim().split('\n');
    const header = hrCsv[0]!.split(',');
    const csvRow = (line: string) => {
      const out: string[] = [];
      let cur = '';
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        const c = line[i]!;
        if (quoted && c === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (quoted && c === '"') quoted = false;
        else if (quoted) cur += c;
        else if (c === '"') quoted = true;
        else if (c === ',') {
          out.push(cur);
          cur = '';
        } else cur += c;
      }
      return [...out, cur];
    };
    await h.pool.query(`CREATE TEMP TABLE raw_hr (line int, rec jsonb)`);
    await h.pool.query(`INSERT INTO raw_hr SELECT * FROM unnest($1::int[], $2::jsonb[])`, [
      hrCsv.slice(1).map((_, i) => i + 2),
      hrCsv.slice(1).map((l) => JSON.stringify(Object.fromEntries(csvRow(l).map((v, i) => [header[i], v])))),
    ]);
    const ndjson = ds.files.filter((f) => f.path.endsWith('.ndjson') && /activities-2025-0[1-2]/.test(f.path)).flatMap((f) => f.content.split('\n').filter(Boolean));
    await h.pool.query(`CREATE TEMP TABLE raw_acts (rec jsonb)`);
    await h.pool.query(`INSERT INTO raw_acts SELECT unnest($1::jsonb[])`, [ndjson]);
    const team = 'Engineering';
    const month = '2025-02';
    const expected = await q(
      `WITH hr AS (
         SELECT DISTINCT ON (rec->>'employee_id') rec->>'employee_id' AS id, rec->>'team' AS team, (rec->>'gross_annual_salary')::numeric AS salary,
                (rec->>'hire_date')::date AS hired, (rec->>'home_lat')::float8 AS lat, (rec->>'home_lon')::float8 AS lon, lower(trim(rec->>'commute_mode')) AS mode
           FROM raw_hr WHERE rec->>'gross_annual_salary' <> '' ORDER BY rec->>'employee_id', line DESC
       ), staff AS (
         SELECT *, round(2 * 6371.0088 * 1000 * asin(sqrt(sin(radians(lat - 47.2131) / 2) ^ 2 + cos(radians(47.2131)) * cos(radians(lat)) * sin(radians(lon + 1.5481) / 2) ^ 2))) AS dist,
                CASE WHEN mode IN ('walking/running') THEN 15000 WHEN mode IN ('cycling', 'bike', 'vélo') THEN 25000 END AS lim
           FROM hr WHERE team = $1 AND hired < '2025-03-01'
       ), acts AS (
         SELECT DISTINCT rec->>'activity_id' AS id, rec->>'employee_id' AS emp, (rec->>'start_time')::timestamptz AS at
           FROM raw_acts WHERE (rec->>'elapsed_s')::int <= 86400
       ), counts AS (
         SELECT s.id, count(a.id) FILTER (WHERE a.at >= '2025-02-01Z' AND a.at < '2025-03-01Z') AS m, count(a.id) FILTER (WHERE a.at < '2025-03-01Z') AS ytd
           FROM staff s LEFT JOIN acts a ON a.emp = s.id GROUP BY s.id
       )
       SELECT count(*)::int AS headcount,
              count(*) FILTER (WHERE dist <= lim)::int AS eligible_count,
              count(*) FILTER (WHERE c.m > 0)::int AS active_count,
              sum(CASE WHEN dist <= lim THEN round(salary * 0.05, 2) ELSE 0 END)::text AS bonus_cost,
              sum(CASE WHEN c.ytd >= 15 THEN 5 ELSE 0 END)::int AS wellness_days,
              sum(round(CASE WHEN c.ytd >= 15 THEN 5 ELSE 0 END * salary / 218, 2))::text AS wellness_cost
         FROM staff s JOIN counts c USING (id)`,
      [team],
    );
    const got = await q(
      `SELECT headcount, eligible_count, active_count, bonus_cost::text, wellness_days, wellness_cost::text FROM sport_team_monthly WHERE team = $1 AND month = $2`,
      [team, month],
    );
    expect(got).toEqual(expected);
    expect((expected[0] as { eligible_count: number }).eligible_count).toBeGreaterThan(0);
    expect(Number((expected[0] as { wellness_days: number }).wellness_days)).toBeGreaterThan(0);
  });
});

/** `backfill --stale` with `reg`'s rules: stale partitions in dependency order, until none (direct activity calls, the worker's code). */
async function recomputeStale(reg: Registry): Promise<string[]> {
  const acts = createActivities({ pool: h.pool, registry: reg, config: h.config, logger: createLogger('error'), client: h.client });
  const reran: string[] = [];
  for (let round = 0; round < 4; round++) {
    const todo = await stalePartitions(h.pool, reg);
    if (todo.length === 0) break;
    // The most upstream stale pipeline first: what it re-loads decides whether the next is still stale.
    const pipeline = reg.order.find((p) => todo.some((t) => t.pipeline === p))!;
    for (const s of todo.filter((t) => t.pipeline === pipeline)) {
      const ing = await acts.ingest({ pipeline, partition: s.partitionKey });
      await acts.validate({ pipeline, partition: s.partitionKey });
      await acts.transform({ pipeline, partition: s.partitionKey });
      await acts.load({ pipeline, partition: s.partitionKey, sourceChecksum: ing.sourceChecksum, startedAtMs: Date.now(), trigger: 'backfill' });
      reran.push(`${pipeline}/${s.partitionKey}`);
    }
  }
  return reran;
}

describe('sport benefits: replay after a rule change', () => {
  const cents = (s: string) => BigInt(Number(s).toFixed(2).replace('.', '')); // amounts here are far below 2^53 cents

  it('a change that moves no figure (declared-distance tolerance 2 → 2.5 km) recomputes the employee months only', { timeout: 120_000 }, async () => {
    expect((await stalePartitions(h.pool, registry)).map((s) => `${s.pipeline}/${s.partitionKey}: ${s.reason}`)).toEqual([]);
    const changed = sportRegistry(employeeMonthlyPipeline({ ...SPORT_RULE_PARAMS, declared_distance_tolerance_km: 2.5 }));
    const stale = await stalePartitions(h.pool, changed);
    // Directly: the months of the pipeline whose params changed; downstream only as "input is stale", until it re-loads.
    expect(stale.filter((s) => s.reason.startsWith('definition changed')).map((s) => `${s.pipeline}/${s.partitionKey}`)).toEqual(MONTHS.map((m) => `sport_employee_monthly/${m}`));
    expect(stale.filter((s) => !s.reason.startsWith('definition changed')).every((s) => /^input sport_(employee|team)_monthly\/.* is stale$/.test(s.reason))).toBe(true);
    expect(await recomputeStale(changed)).toEqual(MONTHS.map((m) => `sport_employee_monthly/${m}`));
    expect(await stalePartitions(h.pool, changed)).toEqual([]);
  });

  it('5 % → 4 %: recomputing moves the totals by the hand-computed amount, without re-reading a source; diff shows it per team', { timeout: 120_000 }, async () => {
    const changed = sportRegistry(employeeMonthlyPipeline({ ...SPORT_RULE_PARAMS, bonus_rate: '0.04' }));
    const before = await q<{ month: string; total_cost: string }>(`SELECT month, total_cost::text FROM sport_company_monthly ORDER BY month`);
    // By hand: each eligible employee's bonus at 4 % minus at 5 %, with the TypeScript rules.
    const eligible = await q<{ month: string; salary: string }>(`SELECT month, gross_annual_salary::text AS salary FROM sport_employee_monthly WHERE eligible`);
    const expectedDelta = new Map<string, bigint>();
    for (const e of eligible) expectedDelta.set(e.month, (expectedDelta.get(e.month) ?? 0n) + cents(bonusAmount(e.salary, '0.04')) - cents(bonusAmount(e.salary, '0.05')));

    const sourceRuns = `SELECT pipeline, partition_key, run_id, finished_at FROM ledger WHERE pipeline IN ('sport_activities', 'sport_hr_directory', 'sport_declared_sports') ORDER BY 1, 2`;
    const sourcesBefore = await q(sourceRuns);
    const reran = await recomputeStale(changed);
    // Every month of the three derived datasets (the bonus is in every month), and nothing else.
    expect(reran.sort()).toEqual(['sport_company_monthly', 'sport_employee_monthly', 'sport_team_monthly'].flatMap((p) => MONTHS.map((m) => `${p}/${m}`)));
    expect(await q(sourceRuns)).toEqual(sourcesBefore);
    const after = await q<{ month: string; total_cost: string }>(`SELECT month, total_cost::text FROM sport_company_monthly ORDER BY month`);
    for (const [i, b] of before.entries()) {
      expect(cents(after[i]!.total_cost) - cents(b.total_cost), b.month).toBe(expectedDelta.get(b.month));
      expect(expectedDelta.get(b.month)! < 0n).toBe(true);
    }

    // diff: before/after per team and in total, from the kept materializations (the tolerance change left team figures alone).
    const versions = await paramsVersions(h.pool, 'sport_team_monthly');
    expect(versions.length).toBeGreaterThanOrEqual(2);
    const d = await costDiff(h.pool, changed, { pipeline: 'sport_team_monthly' });
    const delta = after.reduce((s, a) => s + cents(a.total_cost), 0n) - before.reduce((s, b) => s + cents(b.total_cost), 0n);
    expect(cents(d.total.delta)).toBe(delta);
    expect(cents(d.total.before)).toBe(before.reduce((s, b) => s + cents(b.total_cost), 0n));
    expect(d.groups.map((g) => g.group)).toEqual(['Customer Care', 'Engineering', 'Finance', 'Operations', 'People', 'Sales']);
    expect(d.groups.reduce((s, g) => s + cents(g.delta), 0n)).toBe(delta);

    // The dashboard: its KPIs are the company month's, and its replay panel shows the same before/after.
    const panels = await dashboardData(h.pool, sportBenefits, { from: '2025-01-01', to: '2025-03-01', team: null });
    expect(panels.filter((p) => p.error)).toEqual([]);
    const kpi = panels.find((p) => p.panel.id === 'kpis')!.rows[0]!;
    const company = await q<{ total_cost: string; eligible_count: number; headcount: number }>(`SELECT total_cost::text, eligible_count, headcount FROM sport_company_monthly WHERE month = '2025-02'`);
    expect(String(kpi['Total cost (EUR)'])).toBe(company[0]!.total_cost);
    expect(Number(kpi['Eligible employees'])).toBe(company[0]!.eligible_count);
    const replay = panels.find((p) => p.panel.id === 'replay')!.rows;
    expect(replay.at(-1)).toMatchObject({ team: 'TOTAL' });
    // A month's costs are the year's so far: the panel reads the period's last month (2025-02), never a sum of months.
    const feb = (rows: readonly { month: string; total_cost: string }[]) => cents(rows.find((r) => r.month === '2025-02')!.total_cost);
    expect(cents(String(replay.at(-1)!.before_eur))).toBe(feb(before));
    expect(cents(String(replay.at(-1)!.change_eur))).toBe(feb(after) - feb(before));
    const oneTeam = await dashboardData(h.pool, sportBenefits, { from: '2025-01-01', to: '2025-03-01', team: 'Sales' });
    expect(oneTeam.find((p) => p.panel.id === 'cost-per-team')!.rows.map((r) => r.team)).toEqual(['Sales']);
  });
});
