/**
 * Sport benefits (issue 13), derived: the company total per month, from `sport_team_monthly`, with
 * the previous month's total cost and the drift between them. The **cost drift** check warns (and
 * alerts, outside backfills) when the total cost moves more than `cost_drift_pct` percent from the
 * previous month's; the first month, or a previous cost of zero, does not drift.
 */
import { z } from 'zod';
import { sql as sqlCheck } from '../core/checks';
import { trailingWindow } from '../core/mapping';
import { definePipeline, monthly } from '../core/pipeline';
import { exactDecimal } from '../core/schema-helpers';
import { DEFAULT_SPORT_PARAMS } from '../core/sport-benefits';
import { SPORT_KPI_COLUMNS } from './sport-team-monthly';

const money = () => exactDecimal({ min: '0', maxScale: 2 });

/** The params: a month's total cost moving more than this percentage from the previous month's warns. */
export const COMPANY_PARAMS = { cost_drift_pct: DEFAULT_SPORT_PARAMS.costDriftPct } as const;

export const COMPANY_MONTHLY_QUERY = `
  WITH cur AS (SELECT * FROM {{teams}} WHERE month = :partition),
       prev AS (SELECT sum(total_cost) AS total_cost FROM {{teams}} WHERE month < :partition HAVING count(*) > 0)
  SELECT :partition AS month,
         sum(headcount)::int AS headcount,
         sum(eligible_count)::int AS eligible_count,
         round(sum(eligible_count)::numeric / sum(headcount), 4)::text AS eligible_share,
         sum(active_count)::int AS active_count,
         round(sum(active_count)::numeric / sum(headcount), 4)::text AS adoption_rate,
         sum(activities)::int AS activities,
         sum(bonus_cost)::numeric(14, 2)::text AS bonus_cost,
         sum(wellness_days)::int AS wellness_days,
         sum(wellness_cost)::numeric(14, 2)::text AS wellness_cost,
         sum(total_cost)::numeric(14, 2)::text AS total_cost,
         round(sum(total_cost) / sum(headcount), 2)::numeric(14, 2)::text AS cost_per_employee,
         (SELECT total_cost::numeric(14, 2)::text FROM prev) AS previous_total_cost,
         (SELECT CASE WHEN total_cost > 0 THEN round((sum(cur.total_cost) - total_cost) * 100 / total_cost, 2)::text END FROM prev) AS cost_drift_pct
    FROM cur
  HAVING count(*) > 0`;

export const sportCompanyMonthly = definePipeline({
  name: 'sport_company_monthly',
  description: 'Company total per month (from sport_team_monthly) with the cost drift against the previous month',
  version: 1,
  partitioning: monthly('2025-01'),
  params: COMPANY_PARAMS,
  source: {
    kind: 'derived',
    // This month and the one before (for the drift).
    inputs: { teams: { pipeline: 'sport_team_monthly', mapping: trailingWindow(2) } },
    query: COMPANY_MONTHLY_QUERY,
  },
  schema: z.object({
    month: z.string().regex(/^\d{4}-\d{2}$/),
    headcount: z.number().int().min(1),
    eligible_count: z.number().int().min(0),
    eligible_share: exactDecimal({ min: '0', max: '1' }),
    active_count: z.number().int().min(0),
    adoption_rate: exactDecimal({ min: '0', max: '1' }),
    activities: z.number().int().min(0),
    bonus_cost: money(),
    wellness_days: z.number().int().min(0),
    wellness_cost: money(),
    total_cost: money(),
    cost_per_employee: money(),
    previous_total_cost: money().nullable(),
    cost_drift_pct: exactDecimal().nullable(),
  }),
  transform: (row) => row,
  target: {
    table: 'sport_company_monthly',
    columns: { ...SPORT_KPI_COLUMNS, previous_total_cost: 'numeric', cost_drift_pct: 'numeric' },
    key: ['month'],
  },
  checks: [
    sqlCheck(
      'cost_drift',
      `SELECT coalesce(abs(cost_drift_pct), 0) AS value, coalesce(abs(cost_drift_pct) <= (:param_cost_drift_pct)::numeric, true) AS passed,
              '≤ ' || (:param_cost_drift_pct)::numeric || '% from the previous month' AS threshold,
              CASE WHEN cost_drift_pct IS NULL THEN 'no previous month to compare with'
                   ELSE 'total cost ' || total_cost || ' against ' || previous_total_cost || ' the month before: ' || cost_drift_pct || '%' END AS message
         FROM partition_rows`,
      { severity: 'warning', alert: true },
    ),
  ],
  keepHistory: true,
  maxRejectedRatio: 0,
  minRejectedRows: 1,
});
