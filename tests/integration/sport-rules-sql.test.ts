/**
 * The sport-benefit rules of core/sport-benefits.ts agree with an independent SQL computation in
 * real PostgreSQL, employee by employee, on the generated data set: distance in whole metres
 * (HAVERSINE_SQL), eligibility, bonus `round(salary * rate, 2)`, wellness days from the year's
 * activity count and their cost `round(days * salary / 218, 2)` — for the default rules and for a
 * changed rule (4 %, 12 activities), and the per-team totals to the cent. This is the SQL the KPI
 * datasets' checks will re-verify with.
 */
import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createPool, type Pool } from '../../infra/db';
import { activityEventSchema } from '../../pipelines/sport-activities';
import { hrEmployeeSchema, hrEmployeeTransform } from '../../pipelines/sport-hr-directory';
import { generateSportDataset } from '../../scripts/sport-dataset';
import { assessCommute, bonusAmount, DEFAULT_SPORT_PARAMS, HAVERSINE_SQL, wellnessCost, wellnessDaysEarned, type CommuteMode, type SportBenefitParams } from '../../core/sport-benefits';

let pool: Pool;
const schema = `dp_sportsql_${process.pid}_${randomBytes(3).toString('hex')}`;

interface Employee {
  employee_id: string;
  team: string;
  gross_annual_salary: string;
  home_lat: number;
  home_lon: number;
  commute_mode: CommuteMode;
  declared_commute_km: number | null;
}
let employees: Employee[] = [];
const activityCount = new Map<string, number>();

beforeAll(async () => {
  pool = createPool({ connectionString: inject('databaseUrl'), schema, applicationName: 'datapulse-test-sportsql', max: 2 });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  const ds = generateSportDataset();
  const hr = parse(ds.files.find((f) => f.path === 'sport_hr_directory/employees.csv')!.content, { columns: true }) as Record<string, string>[];
  // As the directory loads it: valid rows, the last row of an id wins.
  const byId = new Map<string, Employee>();
  for (const r of hr) {
    const p = hrEmployeeSchema.safeParse(r);
    if (p.success) byId.set(p.data.employee_id, hrEmployeeTransform(p.data) as unknown as Employee);
  }
  employees = [...byId.values()];
  await pool.query(`CREATE TABLE hr (employee_id text PRIMARY KEY, team text, gross_annual_salary numeric, home_lat double precision, home_lon double precision, commute_mode text)`);
  await pool.query(
    `INSERT INTO hr SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::float8[], $5::float8[], $6::text[])`,
    [employees.map((e) => e.employee_id), employees.map((e) => e.team), employees.map((e) => e.gross_annual_salary), employees.map((e) => e.home_lat), employees.map((e) => e.home_lon), employees.map((e) => e.commute_mode)],
  );
  // Activities as they load: valid events, one per id, of known employees.
  const seen = new Set<string>();
  const acts: { id: string; emp: string; at: string }[] = [];
  for (const f of ds.files.filter((x) => x.path.endsWith('.ndjson'))) {
    for (const line of f.content.split('\n').filter(Boolean)) {
      const p = activityEventSchema.safeParse(JSON.parse(line));
      if (!p.success || seen.has(p.data.activity_id)) continue;
      seen.add(p.data.activity_id);
      acts.push({ id: p.data.activity_id, emp: p.data.employee_id, at: p.data.start_time.toISOString() });
      if (byId.has(p.data.employee_id)) activityCount.set(p.data.employee_id, (activityCount.get(p.data.employee_id) ?? 0) + 1);
    }
  }
  await pool.query(`CREATE TABLE activities (activity_id text PRIMARY KEY, employee_id text, started_at timestamptz)`);
  await pool.query(`INSERT INTO activities SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])`, [acts.map((a) => a.id), acts.map((a) => a.emp), acts.map((a) => a.at)]);
}, 60_000);

afterAll(async () => {
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool?.end();
});

/** The independent SQL: every rule written again in SQL, over the loaded tables. */
async function sqlRules(p: SportBenefitParams) {
  const { rows } = await pool.query<{ employee_id: string; team: string; distance_m: number; eligible: boolean; bonus: string; activities: number; days: number; wellness_cost: string }>(
    `WITH d AS (
       SELECT hr.*, ${HAVERSINE_SQL('home_lat', 'home_lon', '$1::float8', '$2::float8')}::int AS distance_m,
              (SELECT count(*) FROM activities a WHERE a.employee_id = hr.employee_id
                 AND a.started_at >= '2025-01-01T00:00:00+01:00' AND a.started_at < '2026-01-01T00:00:00+01:00')::int AS activities
         FROM hr)
     SELECT employee_id, team, distance_m, activities,
            coalesce(distance_m <= CASE commute_mode WHEN 'walking_running' THEN $3::float8 * 1000 WHEN 'cycling_active' THEN $4::float8 * 1000 END, false) AS eligible,
            CASE WHEN distance_m <= CASE commute_mode WHEN 'walking_running' THEN $3::float8 * 1000 WHEN 'cycling_active' THEN $4::float8 * 1000 END
                 THEN round(gross_annual_salary * $5::numeric, 2) ELSE 0.00 END::text AS bonus,
            CASE WHEN activities >= $6 THEN $7 ELSE 0 END AS days,
            round(CASE WHEN activities >= $6 THEN $7 ELSE 0 END * gross_annual_salary / $8, 2)::text AS wellness_cost
       FROM d ORDER BY employee_id`,
    [p.office.lat, p.office.lon, p.maxWalkKm, p.maxCycleKm, p.bonusRate, p.wellnessMinActivities, p.wellnessDays, p.workingDaysPerYear],
  );
  return rows;
}

/** The same from the TypeScript rules. */
function tsRules(p: SportBenefitParams) {
  return employees
    .map((e) => {
      const a = assessCommute({ mode: e.commute_mode, home: { lat: e.home_lat, lon: e.home_lon } }, p);
      const activities = activityCount.get(e.employee_id) ?? 0;
      const days = wellnessDaysEarned(activities, p);
      return {
        employee_id: e.employee_id,
        team: e.team,
        distance_m: a.distanceM,
        activities,
        eligible: a.eligible,
        bonus: a.eligible ? bonusAmount(e.gross_annual_salary, p.bonusRate) : '0.00',
        days,
        wellness_cost: wellnessCost(e.gross_annual_salary, days, p),
      };
    })
    .sort((x, y) => (x.employee_id < y.employee_id ? -1 : 1));
}

const cents = (s: string) => BigInt(s.replace('.', ''));
function teamTotals(rows: { team: string; bonus: string; wellness_cost: string }[]): Record<string, string> {
  const t = new Map<string, bigint>();
  for (const r of rows) t.set(r.team, (t.get(r.team) ?? 0n) + cents(r.bonus) + cents(r.wellness_cost));
  return Object.fromEntries([...t].map(([k, v]) => [k, `${v / 100n}.${String(v % 100n).padStart(2, '0')}`]));
}

describe('rules in TypeScript = rules in SQL', () => {
  it('employee by employee, with the default rules', async () => {
    const sql = await sqlRules(DEFAULT_SPORT_PARAMS);
    const ts = tsRules(DEFAULT_SPORT_PARAMS);
    expect(sql).toHaveLength(159); // 160 ids, one quarantined for its missing salary
    expect(sql).toEqual(ts);
    // Both outcomes occur, so the comparison means something.
    expect(ts.filter((r) => r.eligible).length).toBeGreaterThan(10);
    expect(ts.filter((r) => !r.eligible).length).toBeGreaterThan(10);
    expect(ts.filter((r) => r.days > 0).length).toBeGreaterThan(10);
  });

  it('after a rule change (4 %, 12 activities), and the team totals move by the same cents', async () => {
    const changed = { ...DEFAULT_SPORT_PARAMS, bonusRate: '0.04', wellnessMinActivities: 12 };
    const before = await sqlRules(DEFAULT_SPORT_PARAMS);
    const after = await sqlRules(changed);
    expect(after).toEqual(tsRules(changed));
    expect(teamTotals(after)).toEqual(teamTotals(tsRules(changed)));
    // The change touches what it must: bonuses of eligible employees, days of those with 12–14 activities.
    const moved = after.filter((r, i) => r.days !== before[i]!.days).map((r) => r.activities);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((n) => n >= 12 && n < 15)).toBe(true);
    expect(teamTotals(after)).not.toEqual(teamTotals(before));
  });
});
