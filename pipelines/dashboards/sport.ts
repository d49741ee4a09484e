/**
 * The sport-benefit dashboard (issue 13): KPIs of the last month of the period (eligible population,
 * adoption rate, bonus cost, wellness days and their cost, total and per employee), trends by month,
 * cost per team, and the replay's before/after (the two newest params versions kept in
 * `materialization_history`, the same rule as `datapulse diff`). Filters: period and team. Reads the
 * derived datasets `sport_team_monthly` (and, for the replay, its kept materializations).
 */
import { defineDashboard } from '../../core/dashboard';

/** The period's months for the team filter ($1 from, $2 to exclusive, $3 team or NULL). */
const TEAM_MONTHS = `SELECT * FROM sport_team_monthly
  WHERE month >= to_char($1::date, 'YYYY-MM') AND month < to_char($2::date, 'YYYY-MM') AND ($3::text IS NULL OR team = $3)`;

/** The last month of the period that has data. */
const LAST_MONTH = `(SELECT max(month) FROM (${TEAM_MONTHS}) m)`;

export const sportBenefits = defineDashboard({
  name: 'sport-benefits',
  title: 'Sport benefits: cost and adoption',
  description: 'Bonus and wellness-day cost of the sport scheme, eligible population and adoption, per team and month (derived datasets sport_team_monthly, sport_company_monthly)',
  sources: ['sport_team_monthly', 'sport_company_monthly', 'sport_employee_monthly'],
  refreshSeconds: 60,
  filters: [
    { name: 'from', kind: 'date', label: 'From', default: '2025-01-01' },
    { name: 'to', kind: 'date', label: 'To (exclusive)', default: '2026-01-01' },
    { name: 'team', kind: 'select', label: 'Team', optionsQuery: 'SELECT DISTINCT team AS value FROM sport_team_monthly ORDER BY 1', allowAll: true },
  ],
  panels: [
    {
      id: 'kpis',
      title: 'Last month of the period (bonus: annual amounts committed; wellness: year to date)',
      chart: 'kpi',
      query: `SELECT max(month) AS "Month",
                     sum(eligible_count) AS "Eligible employees",
                     sum(headcount) AS "Headcount",
                     round(100.0 * sum(active_count) / nullif(sum(headcount), 0), 1) AS "Adoption rate (%)",
                     sum(bonus_cost) AS "Bonus cost (EUR)",
                     sum(wellness_days) AS "Wellness days",
                     sum(wellness_cost) AS "Wellness cost (EUR)",
                     sum(total_cost) AS "Total cost (EUR)",
                     round(sum(total_cost) / nullif(sum(headcount), 0), 2) AS "Cost per employee (EUR)"
                FROM (${TEAM_MONTHS}) t WHERE month = ${LAST_MONTH}`,
      params: ['from', 'to', 'team'],
      x: 'Month',
      y: ['Eligible employees', 'Headcount', 'Adoption rate (%)', 'Bonus cost (EUR)', 'Wellness days', 'Wellness cost (EUR)', 'Total cost (EUR)', 'Cost per employee (EUR)'],
    },
    {
      id: 'cost-trend',
      title: 'Cost by month',
      chart: 'bar-line',
      query: `SELECT month, sum(total_cost) AS total_cost, sum(bonus_cost) AS bonus_cost, sum(wellness_cost) AS wellness_cost
                FROM (${TEAM_MONTHS}) t GROUP BY month ORDER BY month`,
      params: ['from', 'to', 'team'],
      x: 'month',
      y: ['total_cost', 'bonus_cost', 'wellness_cost'],
      unit: 'EUR',
    },
    {
      id: 'adoption-trend',
      title: 'Eligible share and adoption rate by month',
      chart: 'line',
      query: `SELECT month, round(100.0 * sum(eligible_count) / sum(headcount), 1) AS eligible_pct,
                     round(100.0 * sum(active_count) / sum(headcount), 1) AS adoption_pct
                FROM (${TEAM_MONTHS}) t GROUP BY month ORDER BY month`,
      params: ['from', 'to', 'team'],
      x: 'month',
      y: ['eligible_pct', 'adoption_pct'],
      unit: '%',
    },
    {
      id: 'adoption-gauge',
      title: 'Adoption rate, last month',
      chart: 'gauge',
      query: `SELECT 'adoption' AS name, round(100.0 * sum(active_count) / nullif(sum(headcount), 0), 1) AS adoption_pct
                FROM (${TEAM_MONTHS}) t WHERE month = ${LAST_MONTH}`,
      params: ['from', 'to', 'team'],
      x: 'name',
      y: ['adoption_pct'],
      unit: '%',
      bands: [
        { upTo: 30, color: 'red' },
        { upTo: 50, color: 'amber' },
        { upTo: 100, color: 'green' },
      ],
    },
    {
      id: 'cost-per-team',
      title: 'Cost per team, last month',
      chart: 'bar',
      query: `SELECT team, bonus_cost, wellness_cost, cost_per_employee FROM (${TEAM_MONTHS}) t WHERE month = ${LAST_MONTH} ORDER BY team`,
      params: ['from', 'to', 'team'],
      x: 'team',
      y: ['bonus_cost', 'wellness_cost', 'cost_per_employee'],
      unit: 'EUR',
    },
    {
      id: 'cost-split',
      title: 'Bonus and wellness cost, last month',
      chart: 'pie',
      query: `SELECT 'bonus' AS part, sum(bonus_cost) AS cost FROM (${TEAM_MONTHS}) t WHERE month = ${LAST_MONTH}
              UNION ALL SELECT 'wellness days', sum(wellness_cost) FROM (${TEAM_MONTHS}) t WHERE month = ${LAST_MONTH}`,
      params: ['from', 'to', 'team'],
      x: 'part',
      y: ['cost'],
      unit: 'EUR',
    },
    {
      id: 'replay',
      title: "Replay: the year's cost as of the period's last month, before and after the last params change (datapulse diff sport_team_monthly)",
      chart: 'table',
      query: `WITH v AS (
                SELECT params_version, row_number() OVER (ORDER BY min(loaded_at) DESC, params_version) AS n
                  FROM materialization_history WHERE pipeline = 'sport_team_monthly' GROUP BY params_version),
              -- A month's costs are already the year's (bonus: annual amounts; wellness: year to date), so
              -- the period is read at its last month, never summed over months.
              parts AS (SELECT max(partition_key) AS partition_key FROM materialization_history h JOIN v USING (params_version)
                         WHERE h.pipeline = 'sport_team_monthly' AND v.n <= 2
                           AND h.partition_key >= to_char($1::date, 'YYYY-MM') AND h.partition_key < to_char($2::date, 'YYYY-MM')
                        HAVING max(partition_key) IS NOT NULL),
              before AS (SELECT h.rows FROM materialization_history h JOIN v USING (params_version) JOIN parts USING (partition_key)
                          WHERE h.pipeline = 'sport_team_monthly' AND v.n = 2),
              after AS (SELECT DISTINCT ON (h.partition_key) h.rows FROM materialization_history h JOIN parts USING (partition_key) LEFT JOIN v USING (params_version)
                         WHERE h.pipeline = 'sport_team_monthly' ORDER BY h.partition_key, (v.n = 1) DESC NULLS LAST, h.loaded_at DESC),
              x AS (SELECT r->>'team' AS team, (r->>'total_cost')::numeric AS b, 0::numeric AS a FROM before, jsonb_array_elements(before.rows) r
                    UNION ALL SELECT r->>'team', 0, (r->>'total_cost')::numeric FROM after, jsonb_array_elements(after.rows) r)
              SELECT coalesce(team, 'TOTAL') AS team, sum(b) AS before_eur, sum(a) AS after_eur, sum(a) - sum(b) AS change_eur
                FROM x WHERE $3::text IS NULL OR team = $3 OR team IS NULL
               GROUP BY ROLLUP (team) HAVING (SELECT count(*) FROM v) >= 2 ORDER BY team NULLS LAST`,
      params: ['from', 'to', 'team'],
      x: 'team',
      y: ['before_eur', 'after_eur', 'change_eur'],
    },
  ],
});
