/**
 * Sport benefits (issue 13), derived: per employee and calendar month (UTC), as of the month's end —
 * activities in the month and in the year to date, bonus eligibility (re-computed from the home
 * coordinates and the office), the annual bonus amount, wellness days earned in the year to date
 * and their cost. Every rule is a param (snake_case: they are bound as `:param_<name>`), so a rule
 * change is a replay (`backfill --stale`), never a code change, and no source is re-read.
 *
 * Conventions (README "Sport benefits"):
 * - **Headcount of a month**: employees of the HR directory hired on or before the month's last day
 *   (the directory has no leaving date; a salary-less row is quarantined there and absent here).
 * - **Bonus**: the annual amount `round(bonus_rate × gross annual salary, 2)` for an employee
 *   eligible at the month's end, 0 otherwise; a month's `bonus_amount` is that commitment, not a
 *   twelfth: December's figures are the year's cost.
 * - **Wellness days**: `wellness_days` once the year's activities (1 January to the month's end)
 *   reach `wellness_min_activities`; cost `round(days × salary / working_days_per_year, 2)`, rounded
 *   once. Both are year-to-date figures; `wellness_earned_in_month` marks the month they were earned.
 * - Money leaves the query as text (`numeric::text`), so it never passes through a float.
 */
import { z } from 'zod';
import { sql as sqlCheck, type Check } from '../core/checks';
import { cumulative, latest } from '../core/mapping';
import { definePipeline, monthly } from '../core/pipeline';
import { exactDecimal } from '../core/schema-helpers';
import { DEFAULT_SPORT_PARAMS, HAVERSINE_SQL, type SportBenefitParams } from '../core/sport-benefits';

/** The rules as pipeline params (snake_case, scalars only: bound into the derived query). */
export interface SportRuleParams {
  readonly [k: string]: string | number;
  /** Fraction of gross annual salary, decimal text. @default "0.05" */
  readonly bonus_rate: string;
  /** @default 15 */
  readonly max_walk_km: number;
  /** @default 25 */
  readonly max_cycle_km: number;
  /** @default 47.2131 */
  readonly office_lat: number;
  /** @default -1.5481 */
  readonly office_lon: number;
  /** @default 2 */
  readonly declared_distance_tolerance_km: number;
  /** @default 15 */
  readonly wellness_min_activities: number;
  /** @default 5 */
  readonly wellness_days: number;
  /** Daily salary = gross annual salary / this (French forfait jours). @default 218 */
  readonly working_days_per_year: number;
}

/** The defaults of core/sport-benefits.ts as params. */
export const SPORT_RULE_PARAMS: SportRuleParams = {
  bonus_rate: DEFAULT_SPORT_PARAMS.bonusRate,
  max_walk_km: DEFAULT_SPORT_PARAMS.maxWalkKm,
  max_cycle_km: DEFAULT_SPORT_PARAMS.maxCycleKm,
  office_lat: DEFAULT_SPORT_PARAMS.office.lat,
  office_lon: DEFAULT_SPORT_PARAMS.office.lon,
  declared_distance_tolerance_km: DEFAULT_SPORT_PARAMS.declaredDistanceToleranceKm,
  wellness_min_activities: DEFAULT_SPORT_PARAMS.wellnessMinActivities,
  wellness_days: DEFAULT_SPORT_PARAMS.wellnessDays,
  working_days_per_year: DEFAULT_SPORT_PARAMS.workingDaysPerYear,
};

/** The params as core/sport-benefits.ts's rules (the TypeScript twin the tests compare with). */
export function sportRules(p: SportRuleParams, costDriftPct = DEFAULT_SPORT_PARAMS.costDriftPct): SportBenefitParams {
  return {
    bonusRate: p.bonus_rate,
    maxWalkKm: p.max_walk_km,
    maxCycleKm: p.max_cycle_km,
    office: { lat: p.office_lat, lon: p.office_lon },
    declaredDistanceToleranceKm: p.declared_distance_tolerance_km,
    wellnessMinActivities: p.wellness_min_activities,
    wellnessDays: p.wellness_days,
    workingDaysPerYear: p.working_days_per_year,
    costDriftPct,
  };
}

/** The derived query: one row per employee on the books at the month's end. */
export const EMPLOYEE_MONTHLY_QUERY = `
  WITH hr AS (
    SELECT employee_id, first_name, team, gross_annual_salary, commute_mode, declared_commute_km,
           ${HAVERSINE_SQL('home_lat', 'home_lon', '(:param_office_lat)::float8', '(:param_office_lon)::float8')}::int AS distance_m,
           CASE commute_mode WHEN 'walking_running' THEN round((:param_max_walk_km)::numeric * 1000)
                             WHEN 'cycling_active'  THEN round((:param_max_cycle_km)::numeric * 1000) END::int AS limit_m
      FROM {{hr}}
     WHERE hire_date < ((:window_end)::timestamptz AT TIME ZONE 'UTC')::date
  ), acts AS (
    SELECT employee_id,
           count(*) FILTER (WHERE started_at >= (:window_start)::timestamptz)::int AS activities_month,
           count(*)::int AS activities_ytd
      FROM {{activities}}
     WHERE started_at >= date_trunc('year', (:window_start)::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
       AND started_at < (:window_end)::timestamptz
     GROUP BY employee_id
  ), e AS (
    SELECT hr.*, coalesce(a.activities_month, 0) AS activities_month, coalesce(a.activities_ytd, 0) AS activities_ytd,
           (hr.limit_m IS NOT NULL AND hr.distance_m <= hr.limit_m) AS eligible,
           CASE WHEN coalesce(a.activities_ytd, 0) >= (:param_wellness_min_activities)::int THEN (:param_wellness_days)::int ELSE 0 END AS wellness_days,
           (coalesce(a.activities_ytd, 0) >= (:param_wellness_min_activities)::int
             AND coalesce(a.activities_ytd, 0) - coalesce(a.activities_month, 0) < (:param_wellness_min_activities)::int) AS wellness_earned_in_month
      FROM hr LEFT JOIN acts a USING (employee_id)
  )
  SELECT employee_id, :partition AS month, first_name, team, gross_annual_salary::text AS gross_annual_salary, commute_mode,
         distance_m, limit_m, eligible,
         (declared_commute_km IS NOT NULL AND abs(declared_commute_km * 1000 - distance_m) > (:param_declared_distance_tolerance_km)::float8 * 1000) AS declared_distance_flag,
         activities_month, activities_ytd,
         (:param_bonus_rate)::numeric::text AS bonus_rate,
         (CASE WHEN eligible THEN round((:param_bonus_rate)::numeric * gross_annual_salary, 2) ELSE 0.00 END)::numeric(14, 2)::text AS bonus_amount,
         wellness_days, wellness_earned_in_month,
         round(wellness_days * gross_annual_salary / (:param_working_days_per_year)::numeric, 2)::numeric(14, 2)::text AS wellness_cost
    FROM e
   ORDER BY employee_id`;

const money = () => exactDecimal({ min: '0', maxScale: 2 });

/**
 * KPI checks, re-verified by independent SQL over the HR directory and the activity table (not the
 * derived query's inputs): distance from the coordinates and eligibility, bonus = rate × salary to
 * the cent, wellness days and cost from the activities counted again, and every activity of the
 * month belonging to a known employee (blocking: an activity of an unknown employee never counts in
 * a KPI). Rules are bound as `:param_<name>`, so the checks follow a params change.
 */
const LIMIT_SQL = `CASE h.commute_mode WHEN 'walking_running' THEN round((:param_max_walk_km)::numeric * 1000) WHEN 'cycling_active' THEN round((:param_max_cycle_km)::numeric * 1000) END`;
const DISTANCE_SQL = HAVERSINE_SQL('h.home_lat', 'h.home_lon', '(:param_office_lat)::float8', '(:param_office_lon)::float8');
const MONTH_START = (month: string) => `make_timestamptz(left(${month}, 4)::int, right(${month}, 2)::int, 1, 0, 0, 0, 'UTC')`;

export const EMPLOYEE_MONTHLY_CHECKS: readonly Check[] = [
  sqlCheck(
    'eligibility_reverified',
    `SELECT count(*) AS value, count(*) = 0 AS passed, '0 employees' AS threshold,
            count(*) || ' employee(s) whose distance or eligibility differs from the rules recomputed on sport_hr_employees' ||
            coalesce(' (first: ' || min(p.employee_id) || ')', '') AS message
       FROM partition_rows p JOIN sport_hr_employees h ON h.employee_id = p.employee_id
      WHERE p.distance_m IS DISTINCT FROM ${DISTANCE_SQL}::int
         OR p.eligible IS DISTINCT FROM coalesce(${DISTANCE_SQL} <= ${LIMIT_SQL}, false)`,
  ),
  sqlCheck(
    'bonus_is_rate_times_salary',
    `SELECT count(*) AS value, count(*) = 0 AS passed, '0 employees' AS threshold,
            count(*) || ' bonus amount(s) not equal to round(rate × salary, 2) (0 when not eligible)' || coalesce(' (first: ' || min(p.employee_id) || ')', '') AS message
       FROM partition_rows p JOIN sport_hr_employees h ON h.employee_id = p.employee_id
      WHERE p.bonus_amount <> CASE WHEN p.eligible THEN round((:param_bonus_rate)::numeric * h.gross_annual_salary, 2) ELSE 0 END
         OR p.gross_annual_salary <> h.gross_annual_salary OR p.bonus_rate <> (:param_bonus_rate)::numeric`,
  ),
  sqlCheck(
    'wellness_reverified',
    `SELECT count(*) AS value, count(*) = 0 AS passed, '0 employees' AS threshold,
            count(*) || ' employee(s) whose wellness days or cost differ from the activities counted again' || coalesce(' (first: ' || min(p.employee_id) || ')', '') AS message
       FROM partition_rows p JOIN sport_hr_employees h ON h.employee_id = p.employee_id
       LEFT JOIN LATERAL (SELECT count(*) AS n FROM sport_activities a
                           WHERE a.employee_id = p.employee_id AND a.started_at >= make_timestamptz(left(p.month, 4)::int, 1, 1, 0, 0, 0, 'UTC')
                             AND a.started_at < ${MONTH_START('p.month')} + interval '1 month') a ON true
      WHERE p.activities_ytd <> a.n
         OR p.wellness_days <> CASE WHEN a.n >= (:param_wellness_min_activities)::int THEN (:param_wellness_days)::int ELSE 0 END
         OR p.wellness_cost <> round(p.wellness_days * h.gross_annual_salary / (:param_working_days_per_year)::numeric, 2)`,
  ),
  sqlCheck(
    'activities_of_known_employees',
    `SELECT count(*) AS value, count(*) = 0 AS passed, '0 activities' AS threshold,
            count(*) || ' activit(ies) of the month by employee(s) not in sport_hr_employees: the KPIs would miss them' ||
            coalesce(' (e.g. ' || min(a.employee_id) || ')', '') AS message
       FROM sport_activities a
      WHERE a.started_at >= ${MONTH_START('$1')} AND a.started_at < ${MONTH_START('$1')} + interval '1 month'
        AND NOT EXISTS (SELECT 1 FROM sport_hr_employees h WHERE h.employee_id = a.employee_id)`,
  ),
];

/** Builds the pipeline for a set of rules (tests build variants; the registry holds the defaults). */
export function employeeMonthlyPipeline(params: SportRuleParams = SPORT_RULE_PARAMS) {
  return definePipeline({
    name: 'sport_employee_monthly',
    description: 'Per employee and month: activities (month, year to date), bonus eligibility and amount, wellness days and cost',
    version: 1,
    partitioning: monthly('2025-01'),
    params,
    source: {
      kind: 'derived',
      inputs: {
        hr: { pipeline: 'sport_hr_directory', mapping: latest() },
        // Everything up to the month's end; the query keeps the calendar year.
        activities: { pipeline: 'sport_activities', mapping: cumulative() },
      },
      query: EMPLOYEE_MONTHLY_QUERY,
    },
    schema: z.object({
      employee_id: z.string().min(1),
      month: z.string().regex(/^\d{4}-\d{2}$/),
      first_name: z.string(),
      team: z.string().min(1),
      gross_annual_salary: money(),
      commute_mode: z.string(),
      distance_m: z.number().int().min(0),
      limit_m: z.number().int().nullable(),
      eligible: z.boolean(),
      declared_distance_flag: z.boolean(),
      activities_month: z.number().int().min(0),
      activities_ytd: z.number().int().min(0),
      bonus_rate: exactDecimal({ min: '0' }),
      bonus_amount: money(),
      wellness_days: z.number().int().min(0),
      wellness_earned_in_month: z.boolean(),
      wellness_cost: money(),
    }),
    transform: (row) => row,
    target: {
      table: 'sport_employee_monthly',
      columns: {
        employee_id: 'text',
        month: 'text',
        first_name: 'text',
        team: 'text',
        gross_annual_salary: 'numeric',
        commute_mode: 'text',
        distance_m: 'integer',
        limit_m: 'integer',
        eligible: 'boolean',
        declared_distance_flag: 'boolean',
        activities_month: 'integer',
        activities_ytd: 'integer',
        bonus_rate: 'numeric',
        bonus_amount: 'numeric',
        wellness_days: 'integer',
        wellness_earned_in_month: 'boolean',
        wellness_cost: 'numeric',
      },
      key: ['employee_id', 'month'],
    },
    checks: EMPLOYEE_MONTHLY_CHECKS,
    keepHistory: true,
    // A month may be empty only before the first hire; the KPIs of a month are never partial.
    maxRejectedRatio: 0,
    minRejectedRows: 1,
  });
}

export const sportEmployeeMonthly = employeeMonthlyPipeline();
