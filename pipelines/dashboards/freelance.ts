/**
 * The freelance platform's dashboards (issue 14): finance (revenue, top freelancers, daily rates),
 * resources (skills, occupancy, who is available) and live (today's activity, overdue invoices,
 * the feeding pipelines' status, refreshed every 30 s). Every query reads the derived tables
 * (`freelance_revenue`, `freelance_skill_supply`, `freelancers`) or the T1 invoices through their
 * indexes; scripts/bench-dashboards.ts times each at 1,000,000 invoices.
 */
import { defineDashboard } from '../../core/dashboard';
import { WORKING_DAYS_SQL } from '../../core/business-dates';

const SKILL_OPTIONS = 'SELECT skill AS value FROM freelance_skill_supply ORDER BY 1';

/** The pipelines the live dashboard shows a status for. */
export const FREELANCE_PIPELINES = ['freelance_profiles', 'freelance_invoices', 'freelancers', 'freelance_revenue', 'freelance_skill_supply', 'freelance_receivables'] as const;

/**
 * One status per pipeline from the ledger: red when a partition failed, amber while one runs or
 * when nothing is loaded yet, or when the last load quarantined rows; green otherwise.
 */
const PIPELINE_STATUS = `
  WITH l AS (
    SELECT p.pipeline,
           count(*) FILTER (WHERE x.status = 'failed') AS failed,
           count(*) FILTER (WHERE x.status = 'running') AS running,
           count(*) FILTER (WHERE x.status = 'succeeded') AS ok
      FROM unnest(ARRAY[${FREELANCE_PIPELINES.map((p) => `'${p}'`).join(', ')}]) AS p(pipeline)
      LEFT JOIN ledger x ON x.pipeline = p.pipeline
     GROUP BY p.pipeline
  )
  SELECT ${FREELANCE_PIPELINES.map(
    (p) => `max(CASE WHEN pipeline = '${p}' THEN CASE WHEN failed > 0 THEN 'red' WHEN running > 0 OR ok = 0 THEN 'amber' ELSE 'green' END END) AS "${p}"`,
  ).join(',\n         ')}
    FROM l`;

export const freelanceFinance = defineDashboard({
  name: 'freelance-finance',
  title: 'Freelance: finance',
  description:
    'Revenue by invoice month (the month worked), top freelancers, average daily rate per skill (revenue over days billed). Known freelancers only in the rankings; invoices of unknown freelancers count in the totals. From freelance_revenue.',
  sources: ['freelance_revenue', 'freelancers'],
  refreshSeconds: 0,
  filters: [
    { name: 'from', kind: 'date', label: 'From month', default: '2025-01-01' },
    { name: 'to', kind: 'date', label: 'To (exclusive)', default: '2026-01-01' },
    { name: 'skill', kind: 'select', label: 'Skill', optionsQuery: SKILL_OPTIONS, allowAll: true },
  ],
  panels: [
    {
      id: 'totals',
      title: 'Totals of the period',
      chart: 'kpi',
      query: `SELECT to_char(coalesce(sum(revenue_eur), 0), 'FM999G999G999G990D00') AS "Revenue (EUR)",
                     coalesce(sum(invoices), 0) AS "Invoices",
                     to_char(sum(revenue_eur) / nullif(sum(days_billed), 0), 'FM999G990D00') AS "Average daily rate (EUR)",
                     to_char(coalesce(sum(unpaid_eur), 0), 'FM999G999G999G990D00') AS "Unpaid (EUR)"
                FROM freelance_revenue
               WHERE invoice_month >= $1::date AND invoice_month < $2::date AND ($3::text IS NULL OR skill = $3)`,
      params: ['from', 'to', 'skill'],
      x: '',
      y: ['Revenue (EUR)', 'Invoices', 'Average daily rate (EUR)', 'Unpaid (EUR)'],
    },
    {
      id: 'top-freelancers',
      title: 'Top 10 freelancers by revenue',
      chart: 'bar',
      query: `SELECT f.name || ' (' || t.freelancer_id || ')' AS freelancer, t.revenue_eur
                FROM (SELECT freelancer_id, sum(revenue_eur) AS revenue_eur
                        FROM freelance_revenue
                       WHERE known AND invoice_month >= $1::date AND invoice_month < $2::date AND ($3::text IS NULL OR skill = $3)
                       GROUP BY freelancer_id
                       ORDER BY 2 DESC, 1
                       LIMIT 10) t
                JOIN freelancers f ON f.freelancer_id = t.freelancer_id
               ORDER BY t.revenue_eur DESC, t.freelancer_id`,
      params: ['from', 'to', 'skill'],
      x: 'freelancer',
      y: ['revenue_eur'],
      unit: 'EUR',
    },
    {
      id: 'monthly-revenue',
      title: 'Revenue per month',
      chart: 'line',
      query: `SELECT to_char(invoice_month, 'YYYY-MM') AS month, sum(revenue_eur) AS revenue_eur
                FROM freelance_revenue
               WHERE invoice_month >= $1::date AND invoice_month < $2::date AND ($3::text IS NULL OR skill = $3)
               GROUP BY invoice_month ORDER BY invoice_month`,
      params: ['from', 'to', 'skill'],
      x: 'month',
      y: ['revenue_eur'],
      unit: 'EUR',
    },
    {
      id: 'daily-rate-per-skill',
      title: 'Average daily rate per skill (billed)',
      chart: 'bar',
      query: `SELECT skill, round(sum(revenue_eur) / nullif(sum(days_billed), 0), 2) AS avg_daily_rate_eur
                FROM freelance_revenue
               WHERE invoice_month >= $1::date AND invoice_month < $2::date
               GROUP BY skill ORDER BY 2 DESC NULLS LAST, 1`,
      params: ['from', 'to'],
      x: 'skill',
      y: ['avg_daily_rate_eur'],
      unit: 'EUR/day',
    },
    {
      id: 'skill-categories',
      title: 'Per skill category',
      chart: 'table',
      query: `SELECT skill_category, sum(invoices) AS invoices, sum(revenue_eur) AS revenue_eur, sum(days_billed) AS days_billed,
                     round(sum(revenue_eur) / nullif(sum(days_billed), 0), 2) AS avg_daily_rate_eur,
                     count(DISTINCT freelancer_id) AS freelancers
                FROM freelance_revenue
               WHERE invoice_month >= $1::date AND invoice_month < $2::date
               GROUP BY skill_category ORDER BY revenue_eur DESC`,
      params: ['from', 'to'],
      x: 'skill_category',
      y: ['revenue_eur'],
    },
  ],
});

/** Occupancy of one month for the freelancers who billed in it (optionally of one skill), in %. */
const MONTH_OCCUPANCY = (monthParam: string, skillParam: string) => `
  SELECT round(100 * sum(days_billed) / (${WORKING_DAYS_SQL(`date_trunc('month', ${monthParam}::date)::date`)} * nullif(count(DISTINCT freelancer_id), 0)), 1)
    FROM freelance_revenue
   WHERE known AND invoice_month = date_trunc('month', ${monthParam}::date)::date AND (${skillParam}::text IS NULL OR skill = ${skillParam})`;

export const freelanceResources = defineDashboard({
  name: 'freelance-resources',
  title: 'Freelance: resources',
  description:
    'Skills on offer, occupancy (days billed over working days, Monday–Friday, of the freelancers who billed in the month; bands 60 % and 90 %), who is available. From freelancers, freelance_skill_supply and freelance_revenue.',
  sources: ['freelancers', 'freelance_skill_supply', 'freelance_revenue'],
  refreshSeconds: 0,
  filters: [
    { name: 'month', kind: 'date', label: 'Month', default: '2025-12-01' },
    { name: 'skill', kind: 'select', label: 'Skill', optionsQuery: SKILL_OPTIONS, allowAll: true },
  ],
  panels: [
    {
      id: 'skills-available',
      title: 'Available freelancers per skill',
      chart: 'pie',
      query: `SELECT skill, available FROM freelance_skill_supply WHERE ($1::text IS NULL OR skill = $1) AND available > 0 ORDER BY available DESC, skill`,
      params: ['skill'],
      x: 'skill',
      y: ['available'],
      unit: 'freelancers',
    },
    {
      id: 'occupancy',
      title: 'Occupancy rate',
      chart: 'gauge',
      query: `SELECT 'month ' || to_char($1::date, 'YYYY-MM') AS scope, (${MONTH_OCCUPANCY('$1', '$2')}) AS occupancy_pct
              UNION ALL
              SELECT '12 months to ' || to_char($1::date, 'YYYY-MM'),
                     (SELECT round(100 * sum(o.days) / nullif(sum(o.available), 0), 1)
                        FROM (SELECT invoice_month, sum(days_billed) AS days,
                                     ${WORKING_DAYS_SQL('invoice_month')} * count(DISTINCT freelancer_id) AS available
                                FROM freelance_revenue
                               WHERE known AND invoice_month > (date_trunc('month', $1::date) - interval '12 months') AND invoice_month <= $1::date
                                 AND ($2::text IS NULL OR skill = $2)
                               GROUP BY invoice_month) o)`,
      params: ['month', 'skill'],
      x: 'scope',
      y: ['occupancy_pct'],
      unit: '%',
      min: 0,
      max: 100,
      bands: [
        { upTo: 60, color: 'amber' },
        { upTo: 90, color: 'green' },
        { upTo: 100, color: 'red' },
      ],
    },
    {
      id: 'availability',
      title: 'Available vs on mission',
      chart: 'bar',
      query: `SELECT coalesce(availability, 'unknown') AS availability, count(*) AS freelancers
                FROM freelancers WHERE ($1::text IS NULL OR skills ? $1)
               GROUP BY 1 ORDER BY 1`,
      params: ['skill'],
      x: 'availability',
      y: ['freelancers'],
    },
    {
      id: 'skills-in-demand',
      title: 'Top skills in demand (days billed, 12 months to the month)',
      chart: 'bar',
      query: `SELECT skill, sum(days_billed) AS days_billed
                FROM freelance_revenue
               WHERE invoice_month > (date_trunc('month', $1::date) - interval '12 months') AND invoice_month <= $1::date
               GROUP BY skill ORDER BY 2 DESC, 1 LIMIT 10`,
      params: ['month'],
      x: 'skill',
      y: ['days_billed'],
      unit: 'days',
    },
    {
      id: 'available-freelancers',
      title: 'Available freelancers',
      chart: 'table',
      query: `SELECT freelancer_id, name, primary_skill, skills, daily_rate_eur, city
                FROM freelancers
               WHERE availability = 'available' AND ($1::text IS NULL OR skills ? $1)
               ORDER BY daily_rate_eur, freelancer_id LIMIT 200`,
      params: ['skill'],
      x: 'freelancer_id',
      y: ['daily_rate_eur'],
    },
  ],
});

export const freelanceLive = defineDashboard({
  name: 'freelance-live',
  title: 'Freelance: live',
  description:
    'Missions in progress, invoices issued today, the last 10 invoices, overdue invoices (due date passed, unpaid) and the status of the pipelines that feed these pages (green: loaded; amber: running, not loaded yet; red: a partition failed). Refreshes every 30 s.',
  sources: ['freelance_invoices', 'freelance_receivables', 'freelancers', 'ledger'],
  refreshSeconds: 30,
  filters: [],
  panels: [
    {
      id: 'now',
      title: 'Now',
      chart: 'kpi',
      query: `SELECT (SELECT count(*) FROM freelancers WHERE availability = 'on_mission') AS "Missions in progress",
                     (SELECT count(*) FROM freelance_invoices WHERE issue_date = current_date) AS "Invoices today",
                     (SELECT coalesce(sum(unpaid_invoices), 0) FROM freelance_receivables WHERE due_date < current_date) AS "Overdue invoices"`,
      params: [],
      x: '',
      y: ['Missions in progress', 'Invoices today', 'Overdue invoices'],
    },
    { id: 'pipelines', title: 'Pipelines feeding this page', chart: 'kpi', query: PIPELINE_STATUS, params: [], x: '', y: [...FREELANCE_PIPELINES] },
    {
      id: 'last-invoices',
      title: 'Last 10 invoices',
      chart: 'table',
      query: `SELECT invoice_id, issue_date, coalesce(freelancer_id, freelancer_name) AS freelancer, client, skill, amount_eur, paid_date
                FROM freelance_invoices ORDER BY issue_date DESC, invoice_id DESC LIMIT 10`,
      params: [],
      x: 'invoice_id',
      y: ['amount_eur'],
    },
    {
      id: 'overdue',
      title: 'Overdue invoices (oldest due first)',
      chart: 'table',
      query: `SELECT invoice_id, due_date, current_date - due_date AS days_late, coalesce(freelancer_id, freelancer_name) AS freelancer, client, amount_eur
                FROM freelance_invoices WHERE due_date < current_date AND paid_date IS NULL
               ORDER BY due_date, invoice_id LIMIT 20`,
      params: [],
      x: 'invoice_id',
      y: ['amount_eur'],
    },
    {
      id: 'data-quality',
      title: 'Data quality per load',
      chart: 'table',
      query: `SELECT pipeline, count(*) AS partitions, sum(rows_in) AS rows_in, sum(rows_valid) AS valid, sum(rows_quarantined) AS quarantined,
                     sum(rows_deduplicated) AS deduplicated, sum(rows_loaded) AS loaded, max(finished_at) AS last_load
                FROM ledger WHERE pipeline IN (${FREELANCE_PIPELINES.map((p) => `'${p}'`).join(', ')})
               GROUP BY pipeline ORDER BY pipeline`,
      params: [],
      x: 'pipeline',
      y: ['loaded'],
    },
  ],
});
