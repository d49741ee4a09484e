/**
 * T1 of the freelance platform (issue 14): invoices as the business exports them (CSV files
 * `invoices-*.csv` in `LANDING_DIR/freelance_invoices/`, see scripts/generate-freelance.ts), cleaned
 * into one row per invoice in `freelance_invoices`.
 *
 * Rules (each rejected row goes to quarantine naming its field and the reason):
 * - **Placement**: monthly partitions by `issue_date` (ISO `YYYY-MM-DD`): 25 partitions for two
 *   years instead of ~740 days, so a backfill is quick; "invoices today" reads the `issue_date`
 *   index. A row whose issue date cannot be read belongs to no month: it is recorded in
 *   `unplaced_records` with the reason, never dropped.
 * - **Amounts**: `money({ positive: true })` (core/money.ts): `4500€`, `4 500,00 €`, `4500.00`,
 *   `4.500,00`, ... kept as exact decimals in a `numeric` column; ambiguous (`4,500`), zero, negative,
 *   non-euro and non-amount text are refused with the reason.
 * - **Dates**: issue, due and paid dates ISO or `dd/MM/yyyy` → `date`; the invoice month `Oct-2025`,
 *   `2025-10` or a full date → the first day of that month. An empty paid date means unpaid (null);
 *   any other unreadable date is refused. A due or paid date before the issue date is refused.
 * - **Days billed**: a decimal with `.` or `,` (`6,75`), more than 0 and at most 31.
 * - **Freelancer**: kept as sent: an id (`FL-00042`) goes to `freelancer_id`, anything else is a name
 *   (spaces collapsed) in `freelancer_name`. Resolving names and spotting unknown freelancers needs
 *   the profiles snapshot (`freelancers`): that join is T2's (README "Freelance platform").
 * - **Client** is required (trimmed, spaces collapsed); the **skill** is normalised through the
 *   catalog (pipelines/freelance-skills.ts), with its category.
 * - **Duplicates**: the key is `invoice_id`. Rows of one partition sharing it are one invoice sent
 *   twice; the last in source order wins (files by name, then line), so a re-export that adds the
 *   payment date replaces the earlier row. The `unique(invoice_id)` warning records how many.
 */
import { z } from 'zod';
import { unique } from '../core/checks';
import { businessDate, businessMonth, optionalBusinessDate } from '../core/business-dates';
import { money } from '../core/money';
import { definePipeline, monthly } from '../core/pipeline';
import { compareDecimal, exactDecimal } from '../core/schema-helpers';
import { normaliseSkill } from './freelance-skills';

/** Freelancer ids as the platform writes them. */
export const FREELANCER_ID_RE = /^FL-\d{5}$/i;

const collapse = (s: string) => s.normalize('NFC').replace(/\s+/g, ' ').trim();

/** Days billed: `6`, `6.75` or `6,75` → exact decimal text, within (0, 31]. */
const daysBilled = () =>
  z
    .unknown()
    .transform((v) => (typeof v === 'string' && /^\s*\d+,\d+\s*$/.test(v) ? v.replace(',', '.') : v))
    .pipe(exactDecimal({ maxScale: 2, max: '31' }))
    .refine((s) => compareDecimal(s, '0') > 0, 'must be more than 0 days');

const invoiceSchema = z
  .object({
    invoice_id: z.string().trim().regex(/^\S+$/, 'missing invoice id (or it contains spaces)'),
    freelancer: z.string().transform(collapse).pipe(z.string().min(1, 'missing freelancer (id or name)')),
    amount: money({ positive: true }),
    invoice_month: businessMonth(),
    issue_date: businessDate(),
    due_date: businessDate(),
    paid_date: optionalBusinessDate(),
    days_billed: daysBilled(),
    client: z.string().transform(collapse).pipe(z.string().min(1, 'missing client')),
    skill: z.string().transform((s, ctx) => {
      const n = normaliseSkill(s);
      if (!n) {
        ctx.addIssue({ code: 'custom', message: 'missing skill' });
        return z.NEVER;
      }
      return n;
    }),
  })
  .superRefine((r, ctx) => {
    // ISO dates compare as text.
    if (r.due_date < r.issue_date) ctx.addIssue({ code: 'custom', path: ['due_date'], message: `due ${r.due_date} before issue ${r.issue_date}` });
    if (r.paid_date !== null && r.paid_date < r.issue_date) ctx.addIssue({ code: 'custom', path: ['paid_date'], message: `paid ${r.paid_date} before issue ${r.issue_date}` });
  });

export const freelanceInvoices = definePipeline({
  name: 'freelance_invoices',
  description: 'Freelance platform invoices from CSV exports: exact euro amounts, normalised dates and skills, one row per invoice (T1)',
  version: 1,
  partitioning: monthly('2024-01'),
  params: {},
  source: {
    kind: 'csv-files',
    filePattern: /^invoices.*\.csv$/i,
    timeColumn: 'issue_date',
    requiredColumns: ['invoice_id', 'freelancer', 'amount', 'invoice_month', 'issue_date', 'due_date', 'paid_date', 'days_billed', 'client', 'skill'],
  },
  schema: invoiceSchema,
  transform: (r) => ({
    invoice_id: r.invoice_id,
    freelancer_id: FREELANCER_ID_RE.test(r.freelancer) ? r.freelancer.toUpperCase() : null,
    freelancer_name: FREELANCER_ID_RE.test(r.freelancer) ? null : r.freelancer,
    amount_eur: r.amount,
    invoice_month: r.invoice_month,
    issue_date: r.issue_date,
    due_date: r.due_date,
    paid_date: r.paid_date,
    days_billed: r.days_billed,
    client: r.client,
    skill: r.skill.skill,
    skill_category: r.skill.category,
  }),
  target: {
    table: 'freelance_invoices',
    columns: {
      invoice_id: 'text',
      freelancer_id: 'text',
      freelancer_name: 'text',
      amount_eur: 'numeric',
      invoice_month: 'date',
      issue_date: 'date',
      due_date: 'date',
      paid_date: 'date',
      days_billed: 'numeric',
      client: 'text',
      skill: 'text',
      skill_category: 'text',
    },
    key: ['invoice_id'],
    // The live dashboard (invoices today, the last 10) and the overdue alert (due, unpaid).
    indexes: [['issue_date'], ['due_date']],
  },
  checks: [
    // Exports repeat invoices by design (re-exports after payment): worth counting, not a stop.
    unique(['invoice_id'], { severity: 'warning' }),
  ],
});
