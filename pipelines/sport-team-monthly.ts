/**
 * Sport benefits (issue 13), derived: per team and month, from `sport_employee_monthly` — headcount,
 * eligible share, adoption rate (share of the headcount with at least one activity in the month),
 * bonus cost (annual bonuses committed as of the month's end), wellness days and their cost (year to
 * date), total cost and cost per employee. Ratios are exact decimals rounded to 4 places, money to
 * the cent (sums of cent amounts are exact). No params of its own: a rule change reaches it through
 * the employee rows (a month whose employee rows did not change is not recomputed).
 */
import { z } from 'zod';
import { sql as sqlCheck } from '../core/checks';
import { identity } from '../core/mapping';
import { definePipeline, monthly, type SqlType } from '../core/pipeline';
import { exactDecimal } from '../core/schema-helpers';

const money = () => exactDecimal({ min: '0', maxScale: 2 });
const ratio = () => exactDecimal({ min: '0', max: '1', maxScale: 4 });

export const TEAM_MONTHLY_QUERY = `
  SELECT team, :partition AS month,
         count(*)::int AS headcount,
         count(*) FILTER (WHERE eligible)::int AS eligible_count,
         round(count(*) FILTER (WHERE eligible)::numeric / count(*), 4)::text AS eligible_share,
         count(*) FILTER (WHERE activities_month > 0)::int AS active_count,
         round(count(*) FILTER (WHERE activities_month > 0)::numeric / count(*), 4)::text AS adoption_rate,
         sum(activities_month)::int AS activities,
         sum(bonus_amount)::numeric(14, 2)::text AS bonus_cost,
         sum(wellness_days)::int AS wellness_days,
         sum(wellness_cost)::numeric(14, 2)::text AS wellness_cost,
         (sum(bonus_amount) + sum(wellness_cost))::numeric(14, 2)::text AS total_cost,
         round((sum(bonus_amount) + sum(wellness_cost)) / count(*), 2)::numeric(14, 2)::text AS cost_per_employee
    FROM {{employees}}
   GROUP BY team
   ORDER BY team`;

/**
 * The KPI columns a month of a team and of the company share (sport_company_monthly adds the drift
 * against the month before): counts as integers, shares and money as exact numerics.
 */
export const SPORT_KPI_COLUMNS = {
  month: 'text',
  headcount: 'integer',
  eligible_count: 'integer',
  eligible_share: 'numeric',
  active_count: 'integer',
  adoption_rate: 'numeric',
  activities: 'integer',
  bonus_cost: 'numeric',
  wellness_days: 'integer',
  wellness_cost: 'numeric',
  total_cost: 'numeric',
  cost_per_employee: 'numeric',
} as const satisfies Record<string, SqlType>;

export const sportTeamMonthly = definePipeline({
  name: 'sport_team_monthly',
  description: 'Per team and month: headcount, eligible share, adoption rate, bonus cost, wellness days and cost',
  version: 1,
  partitioning: monthly('2025-01'),
  params: {},
  source: { kind: 'derived', inputs: { employees: { pipeline: 'sport_employee_monthly', mapping: identity() } }, query: TEAM_MONTHLY_QUERY },
  schema: z.object({
    team: z.string().min(1),
    month: z.string().regex(/^\d{4}-\d{2}$/),
    headcount: z.number().int().min(1),
    eligible_count: z.number().int().min(0),
    eligible_share: ratio(),
    active_count: z.number().int().min(0),
    adoption_rate: ratio(),
    activities: z.number().int().min(0),
    bonus_cost: money(),
    wellness_days: z.number().int().min(0),
    wellness_cost: money(),
    total_cost: money(),
    cost_per_employee: money(),
  }),
  transform: (row) => row,
  target: {
    table: 'sport_team_monthly',
    columns: { team: 'text', ...SPORT_KPI_COLUMNS },
    key: ['team', 'month'],
  },
  checks: [
    sqlCheck(
      'team_totals_add_up',
      `SELECT count(*) AS value, count(*) = 0 AS passed, '0 teams' AS threshold,
              count(*) || ' team(s) whose figures differ from the employee rows summed again' AS message
         FROM partition_rows t
         LEFT JOIN (SELECT team, count(*) AS n, sum(bonus_amount) AS b, sum(wellness_cost) AS w FROM sport_employee_monthly WHERE month = $1 GROUP BY team) e
           ON e.team = t.team
        WHERE e.team IS NULL OR t.headcount <> e.n OR t.bonus_cost <> e.b OR t.wellness_cost <> e.w OR t.total_cost <> e.b + e.w`,
    ),
  ],
  keepHistory: true,
  maxRejectedRatio: 0,
  minRejectedRows: 1,
});
