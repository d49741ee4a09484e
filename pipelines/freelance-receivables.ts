/**
 * `freelance_receivables` (issue 14, T3): unpaid invoices per issue month and due date — count and
 * exact amount — from `freelance_invoices` (identity mapping, monthly). The live dashboard's
 * "Overdue invoices" count sums it over due dates before today: a few hundred rows instead of
 * counting every unpaid invoice at each 30-second refresh (at 1,000,000 invoices the count over
 * `freelance_invoices` took ~270 ms; docs/benchmarks.md, "Dashboards at 1M invoices").
 */
import { z } from 'zod';
import { identity } from '../core/mapping';
import { definePipeline, monthly } from '../core/pipeline';
import { exactDecimal } from '../core/schema-helpers';

export const freelanceReceivables = definePipeline({
  name: 'freelance_receivables',
  description: 'Unpaid freelance invoices per issue month and due date: count and amount, from freelance_invoices (T3)',
  version: 1,
  partitioning: monthly('2024-01'),
  params: {},
  source: {
    kind: 'derived',
    inputs: { invoices: { pipeline: 'freelance_invoices', mapping: identity() } },
    query: `
      SELECT :partition AS issue_month, to_char(due_date, 'YYYY-MM-DD') AS due_date,
             count(*)::int AS unpaid_invoices, sum(amount_eur)::text AS unpaid_eur
        FROM {{invoices}}
       WHERE paid_date IS NULL
       GROUP BY due_date ORDER BY due_date`,
  },
  schema: z.object({
    issue_month: z.string().regex(/^\d{4}-\d{2}$/),
    due_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    unpaid_invoices: z.number().int().min(1),
    unpaid_eur: exactDecimal({ maxScale: 6 }),
  }),
  transform: (r) => r,
  target: {
    table: 'freelance_receivables',
    columns: { issue_month: 'text', due_date: 'date', unpaid_invoices: 'integer', unpaid_eur: 'numeric' },
    key: ['issue_month', 'due_date'],
    indexes: [['due_date']],
  },
});
