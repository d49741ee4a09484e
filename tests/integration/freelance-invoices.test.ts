/**
 * T1 freelance invoices through real partitions (real Temporal dev server, real worker, real
 * PostgreSQL) on files written by the project's generator: every planted invoice defect lands
 * where the manifest says (quarantine naming the field, unplaced, deduplicated with the later row
 * kept, loaded), no clean row is rejected, the counts add up per partition and overall, and amounts
 * and dates load exactly (checked against an independent reading of the raw files).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFreelance, type FreelanceManifest, type PlantedDefect } from '../../scripts/generate-freelance';
import { createHarness, intermediateTables, type Harness } from './harness';

const PIPELINE = 'freelance_invoices';
const OPTS = { scale: 500, months: 1, freelancers: 60, seed: 14 };
/** January 2024's invoices are issued from Jan 29 to Feb 5: these two issue months hold all of them. */
const MONTHS = ['2024-01', '2024-02'];

let h: Harness;
let manifest: FreelanceManifest;
let defects: PlantedDefect[];
let rows: string[][];

beforeAll(async () => {
  h = await createHarness();
  manifest = await generateFreelance({ out: h.landingDir, ...OPTS });
  defects = readFileSync(path.join(h.landingDir, 'defects.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PlantedDefect)
    .filter((d) => d.dataset === 'invoices');
  rows = parse(readFileSync(path.join(h.landingDir, PIPELINE, 'invoices-2024-01.csv'))) as string[][];
  for (const month of MONTHS) {
    await h.run(PIPELINE, month);
  }
});
afterAll(async () => h?.close());

/** CSV column index of each field a planted defect names. */
const COLUMN: Record<string, number> = { amount: 2, invoice_month: 3, due_date: 5, paid_date: 6, client: 8 };
const lineKey = (file: string, line: number) => `${file}:${line}`;
const planted = (expected: PlantedDefect['expected']) => defects.filter((d) => d.expected === expected);

/**
 * An independent reading of a clean amount as the generator writes them, in integer cents: the
 * last `,` or `.` followed by 1–2 digits is the decimal separator, everything else but digits and
 * the sign is decoration.
 */
function cents(text: string): bigint {
  const t = text.replace(/€/g, '').trim();
  const m = /^(-?)(.*?)(?:[.,](\d{1,2}))?$/.exec(t)!;
  const int = m[2]!.replace(/[^0-9]/g, '');
  return (BigInt(int) * 100n + BigInt((m[3] ?? '0').padEnd(2, '0'))) * (m[1] === '-' ? -1n : 1n);
}

describe('freelance_invoices T1 on generated files', () => {
  it('plants every invoice defect kind in this one month', () => {
    const kinds = new Set(defects.map((d) => d.kind));
    for (const k of ['duplicate_exact', 'duplicate_corrected', 'zero_amount', 'negative_amount', 'ambiguous_amount', 'unparseable_amount', 'unknown_freelancer', 'unparseable_invoice_month', 'unparseable_due_date', 'unparseable_paid_date', 'unparseable_issue_date', 'missing_client']) {
      expect(kinds.has(k as PlantedDefect['kind']), k).toBe(true);
    }
    expect(manifest.rows.invoices).toBe(rows.length - 1);
  });

  it('quarantines exactly the planted rows, each naming the planted field with a reason', async () => {
    const { rows: q } = await h.pool.query<{ source_file: string; line_no: number; field: string; reason: string; raw_value: string | null }>(
      `SELECT source_file, line_no, field, reason, raw_value FROM quarantine WHERE pipeline = $1 ORDER BY line_no`,
      [PIPELINE],
    );
    const expected = planted('quarantine');
    expect(q.map((r) => `${lineKey(r.source_file, r.line_no)} ${r.field}`).sort()).toEqual(expected.map((d) => `${lineKey(d.file, d.line)} ${d.field}`).sort());
    const byLine = new Map(q.map((r) => [lineKey(r.source_file, r.line_no), r]));
    const reasonFor: Record<string, RegExp> = {
      zero_amount: /amount: must be greater than 0, got 0\.00/,
      negative_amount: /amount: must be greater than 0, got -\d+\.\d\d/,
      ambiguous_amount: /amount: .* is ambiguous/,
      unparseable_amount: /amount: .*(not an amount|not in euros)/,
      unparseable_invoice_month: /invoice_month: .*(not a month|not a day of the calendar)/,
      unparseable_due_date: /due_date: .*(not a date|not a day of the calendar)/,
      unparseable_paid_date: /paid_date: .*(not a date|not a day of the calendar)/,
      missing_client: /client: missing client/,
    };
    for (const d of expected) {
      const r = byLine.get(lineKey(d.file, d.line))!;
      expect(r.reason, `${d.kind} at line ${d.line}`).toMatch(reasonFor[d.kind]!);
      // The raw value shown is the one the source wrote.
      expect(r.raw_value).toBe(rows[d.line - 1]![COLUMN[d.field!]!]);
    }
  });

  it('records rows with an unreadable issue date as unplaced, with the reason', async () => {
    const { rows: u } = await h.pool.query<{ source_file: string; line_no: number; reason: string }>(
      `SELECT source_file, line_no, reason FROM unplaced_records WHERE pipeline = $1`,
      [PIPELINE],
    );
    expect(u.map((r) => lineKey(r.source_file, r.line_no)).sort()).toEqual(planted('unplaced').map((d) => lineKey(d.file, d.line)).sort());
    for (const r of u) expect(r.reason).toMatch(/^issue_date: .* is not an ISO date/);
  });

  it('deduplicates planted duplicates, keeping the later row (a re-export with the payment date wins)', async () => {
    const { rows: ledger } = await h.pool.query<{ partition_key: string; rows_deduplicated: number }>(
      `SELECT partition_key, rows_deduplicated FROM ledger WHERE pipeline = $1`,
      [PIPELINE],
    );
    const dups = planted('deduplicated');
    expect(ledger.reduce((n, l) => n + l.rows_deduplicated, 0)).toBe(dups.length);
    const { rows: loaded } = await h.pool.query<{ invoice_id: string; paid_date: string | null; n: number }>(
      `SELECT invoice_id, paid_date::text, count(*) OVER (PARTITION BY invoice_id)::int AS n FROM freelance_invoices WHERE invoice_id = ANY($1)`,
      [dups.map((d) => d.id)],
    );
    expect(loaded).toHaveLength(dups.length);
    for (const d of dups) {
      const row = loaded.find((l) => l.invoice_id === d.id)!;
      expect(row.n).toBe(1);
      const later = rows[d.replacedBy!.line - 1]!;
      const laterPaid = later[6] === '' ? null : /^\d\d\/\d\d\/\d{4}$/.test(later[6]!) ? `${later[6]!.slice(6)}-${later[6]!.slice(3, 5)}-${later[6]!.slice(0, 2)}` : later[6];
      expect(row.paid_date, `${d.kind} ${d.id}`).toBe(laterPaid);
      if (d.kind === 'duplicate_corrected') expect(row.paid_date).not.toBeNull();
    }
  });

  it('loads unknown freelancers with their reference kept, for T2 to resolve', async () => {
    const unknown = planted('loaded').filter((d) => d.kind === 'unknown_freelancer');
    const { rows: r } = await h.pool.query<{ invoice_id: string; freelancer_id: string | null; freelancer_name: string | null }>(
      `SELECT invoice_id, freelancer_id, freelancer_name FROM freelance_invoices WHERE invoice_id = ANY($1)`,
      [unknown.map((d) => d.id)],
    );
    expect(r).toHaveLength(unknown.length);
    for (const x of r) expect(x.freelancer_id === null ? x.freelancer_name : x.freelancer_id).toMatch(/^(FL-9\d{4}|Inconnu Personne)$/);
  });

  it('adds up: every source row is loaded, quarantined, deduplicated or unplaced, per partition and overall', async () => {
    const { rows: ledger } = await h.pool.query<{ partition_key: string; status: string; rows_in: number; rows_valid: number; rows_quarantined: number; rows_deduplicated: number; rows_loaded: number }>(
      `SELECT partition_key, status, rows_in, rows_valid, rows_quarantined, rows_deduplicated, rows_loaded FROM ledger WHERE pipeline = $1 ORDER BY partition_key`,
      [PIPELINE],
    );
    expect(ledger.map((l) => l.partition_key)).toEqual(MONTHS);
    for (const l of ledger) {
      expect(l.status).toBe('succeeded');
      expect(l.rows_in).toBe(l.rows_valid + l.rows_quarantined);
      expect(l.rows_valid).toBe(l.rows_loaded + l.rows_deduplicated);
    }
    const sum = (k: keyof (typeof ledger)[number]) => ledger.reduce((n, l) => n + Number(l[k]), 0);
    expect(sum('rows_in') + planted('unplaced').length).toBe(rows.length - 1);
    expect(sum('rows_quarantined')).toBe(planted('quarantine').length);
    expect(sum('rows_loaded')).toBe(OPTS.scale - planted('quarantine').length - planted('unplaced').length);
    const { rows: t } = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM freelance_invoices`);
    expect(t[0]!.n).toBe(sum('rows_loaded'));
    expect(await intermediateTables(h.pool)).toEqual([]);
    const { rows: checks } = await h.pool.query<{ outcome: string; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM check_results WHERE pipeline = $1 AND check_name = 'unique(invoice_id)' GROUP BY outcome`,
      [PIPELINE],
    );
    expect(checks.reduce((n, c) => n + c.n, 0)).toBe(MONTHS.length);
  });

  it('loads amounts, dates, days and skills exactly as an independent reading of the raw rows', async () => {
    const bad = new Set(defects.filter((d) => d.expected === 'quarantine' || d.expected === 'unplaced').map((d) => d.line));
    const dupLines = new Set(planted('deduplicated').map((d) => d.line));
    let total = 0n;
    const dayFirst = (s: string) => (/^\d\d\/\d\d\/\d{4}$/.test(s) ? `${s.slice(6)}-${s.slice(3, 5)}-${s.slice(0, 2)}` : s);
    const expected = new Map<string, { amount: bigint; due: string; days: string }>();
    rows.slice(1).forEach((r, i) => {
      const line = i + 2;
      if (bad.has(line) || dupLines.has(line)) return;
      total += cents(r[2]!);
      expected.set(r[0]!, { amount: cents(r[2]!), due: dayFirst(r[5]!), days: r[7]!.replace(',', '.') });
    });
    const { rows: db } = await h.pool.query<{ invoice_id: string; cents: string; due: string; days: string; month: string; issue_ok: boolean; skill: string; cat: string }>(
      `SELECT invoice_id, (amount_eur * 100)::bigint::text AS cents, due_date::text AS due, days_billed::text AS days,
              invoice_month::text AS month, due_date = issue_date + 30 AS issue_ok, skill, skill_category AS cat
         FROM freelance_invoices`,
    );
    expect(db).toHaveLength(expected.size);
    const { rows: sum } = await h.pool.query<{ s: string }>(`SELECT (sum(amount_eur) * 100)::bigint::text AS s FROM freelance_invoices`);
    expect(BigInt(sum[0]!.s)).toBe(total);
    for (const r of db) {
      const e = expected.get(r.invoice_id)!;
      expect(BigInt(r.cents), r.invoice_id).toBe(e.amount);
      expect(r.due).toBe(e.due);
      expect(Number(r.days)).toBe(Number(e.days));
      expect(r.month).toBe('2024-01-01');
      expect(r.issue_ok).toBe(true);
      expect(r.cat).not.toBe('other');
      expect(r.skill).toBe(r.skill.trim());
    }
  });

  it('a re-run of a partition leaves the same rows (only the load time changes)', async () => {
    const before = await h.pool.query(`SELECT to_jsonb(t) - 'dp_loaded_at' AS row FROM freelance_invoices t WHERE dp_partition = $1 ORDER BY invoice_id`, [MONTHS[1]]);
    const s = await h.run(PIPELINE, MONTHS[1]!);
    expect(s.rowsLoaded).toBe(before.rows.length);
    const after = await h.pool.query(`SELECT to_jsonb(t) - 'dp_loaded_at' AS row FROM freelance_invoices t WHERE dp_partition = $1 ORDER BY invoice_id`, [MONTHS[1]]);
    expect(after.rows).toEqual(before.rows);
  });
});
