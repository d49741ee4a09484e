/**
 * T2/T3 of the freelance platform (issue 14): derived datasets over the T1 tables
 * (`freelance_profiles`, `freelance_invoices`).
 *
 * - `freelancers` (unpartitioned, from `freelance_profiles`): one row per freelancer id, by the
 *   documented duplicate rule (pipelines/freelance-profiles.ts, `dedupeProfiles`): the latest
 *   `updated_at` wins, ties go to the later record in source order (file name, then element).
 * - `freelance_revenue` (monthly by issue month, from `freelance_invoices` and `freelancers`):
 *   additive facts per (issue month, invoice month, freelancer, skill): invoices, revenue, days
 *   billed, unpaid amount. Invoice references are resolved to ids through the snapshot: an id is
 *   kept when the snapshot has it, a name is matched case-insensitively when exactly one freelancer
 *   has it; anything else stays as written with `known = false` (reported by the `known` warning
 *   check and the dashboards, never dropped). Every indicator is a sum or a ratio of sums over these
 *   rows ({@link INDICATOR_SQL}), so an invoice month spread over two issue months adds up exactly.
 * - `freelance_skill_supply` (unpartitioned, from `freelancers`): per skill, how many freelancers
 *   offer it, how many are available or on mission, and their daily rates.
 *
 * Money stays exact: sums are `numeric`, carried as text (`::text`) through the derived query.
 */
import { z } from 'zod';
import { notNull } from '../core/checks';
import { WORKING_DAYS_SQL } from '../core/business-dates';
import { identity, latest } from '../core/mapping';
import { definePipeline, monthly, unpartitioned } from '../core/pipeline';
import { exactDecimal } from '../core/schema-helpers';
import { SKILLS } from './freelance-skills';
import { PROFILE_TARGET } from './freelance-profiles';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const decimalText = () => exactDecimal({ maxScale: 6 });

export const freelancers = definePipeline({
  name: 'freelancers',
  description: 'One profile per freelancer (latest updated_at wins, then the later record in source order), from freelance_profiles (T2)',
  version: 1,
  partitioning: unpartitioned(),
  params: {},
  source: {
    kind: 'derived',
    inputs: { profiles: { pipeline: 'freelance_profiles', mapping: latest() } },
    query: `
      SELECT DISTINCT ON (profiles.freelancer_id)
             profiles.freelancer_id, profiles.name, profiles.email, profiles.daily_rate_eur::text AS daily_rate_eur,
             profiles.skills, profiles.primary_skill, profiles.skill_categories, profiles.city, profiles.availability,
             to_char(profiles.updated_at, 'YYYY-MM-DD') AS updated_at
        FROM {{profiles}}
       ORDER BY profiles.freelancer_id, profiles.updated_at DESC, profiles.dp_source_file DESC, profiles.dp_line_no DESC`,
  },
  schema: z.object({
    freelancer_id: z.string().min(1),
    name: z.string().min(1),
    email: z.string().min(3),
    daily_rate_eur: decimalText(),
    skills: z.array(z.string()),
    primary_skill: z.string().nullable(),
    skill_categories: z.array(z.string()),
    city: z.string().nullable(),
    availability: z.enum(['available', 'on_mission']).nullable(),
    updated_at: isoDate,
  }),
  transform: (r) => r,
  target: {
    table: 'freelancers',
    // The cleaned profile, one row per freelancer: the snapshot's own columns.
    columns: PROFILE_TARGET.columns,
    key: ['freelancer_id'],
    indexes: [['availability']],
  },
});

export const freelanceRevenue = definePipeline({
  name: 'freelance_revenue',
  description: 'Revenue, days billed and unpaid amounts per invoice month, freelancer (resolved to an id) and skill, from freelance_invoices and freelancers (T2)',
  version: 1,
  partitioning: monthly('2024-01'),
  /** Occupancy alert band in % (issue 14): a month's pool occupancy outside it alerts once. */
  params: { occupancy_low_pct: 60, occupancy_high_pct: 90 },
  // Overdue and occupancy alerts are evaluated after every load (activities/freelance-alerts.ts).
  afterLoad: ['freelance-alerts'],
  source: {
    kind: 'derived',
    inputs: {
      invoices: { pipeline: 'freelance_invoices', mapping: identity() },
      freelancers: { pipeline: 'freelancers', mapping: latest() },
    },
    query: `
      WITH names AS (
        SELECT lower(freelancers.name) AS lname, min(freelancers.freelancer_id) AS freelancer_id
          FROM {{freelancers}}
         GROUP BY lower(freelancers.name)
        HAVING count(*) = 1
      ), ids AS (
        SELECT freelancers.freelancer_id FROM {{freelancers}}
      ), resolved AS (
        SELECT invoices.invoice_month, invoices.skill, invoices.skill_category, invoices.amount_eur, invoices.days_billed, invoices.paid_date,
               coalesce(ids.freelancer_id, names.freelancer_id) AS freelancer_id,
               coalesce(invoices.freelancer_id, invoices.freelancer_name) AS written
          FROM {{invoices}}
          LEFT JOIN ids ON ids.freelancer_id = invoices.freelancer_id
          LEFT JOIN names ON invoices.freelancer_id IS NULL AND names.lname = lower(invoices.freelancer_name)
      )
      SELECT :partition AS issue_month,
             to_char(invoice_month, 'YYYY-MM-DD') AS invoice_month,
             coalesce(freelancer_id, written) AS freelancer_ref,
             freelancer_id,
             freelancer_id IS NOT NULL AS known,
             skill, skill_category,
             count(*)::int AS invoices,
             sum(amount_eur)::text AS revenue_eur,
             sum(days_billed)::text AS days_billed,
             coalesce(sum(amount_eur) FILTER (WHERE paid_date IS NULL), 0)::text AS unpaid_eur
        FROM resolved
       GROUP BY invoice_month, coalesce(freelancer_id, written), freelancer_id, skill, skill_category
       ORDER BY invoice_month, freelancer_ref, skill`,
  },
  schema: z.object({
    issue_month: z.string().regex(/^\d{4}-\d{2}$/),
    invoice_month: isoDate,
    freelancer_ref: z.string().min(1),
    freelancer_id: z.string().nullable(),
    known: z.boolean(),
    skill: z.string().min(1),
    skill_category: z.string().min(1),
    invoices: z.number().int().min(1),
    revenue_eur: decimalText(),
    days_billed: decimalText(),
    unpaid_eur: decimalText(),
  }),
  transform: (r) => r,
  target: {
    table: 'freelance_revenue',
    columns: {
      issue_month: 'text',
      invoice_month: 'date',
      freelancer_ref: 'text',
      freelancer_id: 'text',
      known: 'boolean',
      skill: 'text',
      skill_category: 'text',
      invoices: 'integer',
      revenue_eur: 'numeric',
      days_billed: 'numeric',
      unpaid_eur: 'numeric',
    },
    key: ['issue_month', 'invoice_month', 'freelancer_ref', 'skill'],
    indexes: [['invoice_month', 'skill'], ['freelancer_id', 'invoice_month']],
  },
  // Invoices whose freelancer the snapshot does not know: loaded with known = false, counted here.
  checks: [notNull('freelancer_id', { severity: 'warning' })],
});

/** The catalog's skill → category, as SQL VALUES rows (skills outside it are `other`). */
const SKILL_CATEGORY_VALUES = Object.entries(SKILLS)
  .map(([name, { category }]) => `('${name.replace(/'/g, "''")}', '${category}')`)
  .join(', ');

export const freelanceSkillSupply = definePipeline({
  name: 'freelance_skill_supply',
  description: 'Per skill: freelancers offering it, available or on mission, and their daily rates, from freelancers (T3)',
  version: 1,
  partitioning: unpartitioned(),
  params: {},
  source: {
    kind: 'derived',
    inputs: { freelancers: { pipeline: 'freelancers', mapping: latest() } },
    query: `
      SELECT s.skill,
             coalesce(c.category, 'other') AS skill_category,
             count(*)::int AS freelancers,
             count(*) FILTER (WHERE freelancers.availability = 'available')::int AS available,
             count(*) FILTER (WHERE freelancers.availability = 'on_mission')::int AS on_mission,
             round(avg(freelancers.daily_rate_eur), 2)::text AS avg_daily_rate_eur,
             min(freelancers.daily_rate_eur)::text AS min_daily_rate_eur,
             max(freelancers.daily_rate_eur)::text AS max_daily_rate_eur
        FROM {{freelancers}}
       CROSS JOIN LATERAL jsonb_array_elements_text(freelancers.skills) AS s(skill)
        LEFT JOIN (VALUES ${SKILL_CATEGORY_VALUES}) AS c(skill, category) ON c.skill = s.skill
       GROUP BY s.skill, c.category
       ORDER BY s.skill`,
  },
  schema: z.object({
    skill: z.string().min(1),
    skill_category: z.string().min(1),
    freelancers: z.number().int().min(1),
    available: z.number().int().min(0),
    on_mission: z.number().int().min(0),
    avg_daily_rate_eur: decimalText(),
    min_daily_rate_eur: decimalText(),
    max_daily_rate_eur: decimalText(),
  }),
  transform: (r) => r,
  target: {
    table: 'freelance_skill_supply',
    columns: {
      skill: 'text',
      skill_category: 'text',
      freelancers: 'integer',
      available: 'integer',
      on_mission: 'integer',
      avg_daily_rate_eur: 'numeric',
      min_daily_rate_eur: 'numeric',
      max_daily_rate_eur: 'numeric',
    },
    key: ['skill'],
  },
});

/**
 * The indicators as SQL over the derived tables, shared by the dashboards, the alerts, the
 * benchmark and the tests (so what is tested is what is shown). Each is a complete SELECT; `$n`
 * placeholders are documented per query.
 */
export const INDICATOR_SQL = {
  /**
   * Occupancy per freelancer and invoice month: days billed over the month's working days
   * (Monday–Friday, core/business-dates.ts `workingDaysInMonth`), in %. Known freelancers only.
   * $1, $2: months [from, to) as dates.
   */
  occupancyPerFreelancerMonth: `
    SELECT r.freelancer_id, r.invoice_month, sum(r.days_billed) AS days_billed,
           ${WORKING_DAYS_SQL('r.invoice_month')} AS working_days,
           round(100 * sum(r.days_billed) / ${WORKING_DAYS_SQL('r.invoice_month')}, 1) AS occupancy_pct
      FROM freelance_revenue r
     WHERE r.known AND r.invoice_month >= $1::date AND r.invoice_month < $2::date
     GROUP BY r.freelancer_id, r.invoice_month`,
} as const;
