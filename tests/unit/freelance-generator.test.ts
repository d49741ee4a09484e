/**
 * The freelance data generator is deterministic, plants every defect kind it lists, and its
 * manifest points at the rows it planted (the integration tests rely on those pointers).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFECTS, generateFreelance, type FreelanceManifest, type PlantedDefect } from '../../scripts/generate-freelance';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'freelance-gen-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[path.relative(dir, path.join(e.parentPath, e.name))] = readFileSync(path.join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

describe('generate-freelance', () => {
  const opts = { scale: 600, months: 2, freelancers: 60, seed: 7 };

  it('writes the same bytes for the same arguments, and other bytes for another seed', async () => {
    const a = tmp();
    const b = tmp();
    const c = tmp();
    await generateFreelance({ out: a, ...opts });
    await generateFreelance({ out: b, ...opts });
    await generateFreelance({ out: c, ...opts, seed: 8 });
    expect(readTree(a)).toEqual(readTree(b));
    expect(readTree(c)['freelance_invoices/invoices-2024-01.csv']).not.toEqual(readTree(a)['freelance_invoices/invoices-2024-01.csv']);
  });

  it('plants every defect kind, and each manifest entry points at its row', async () => {
    const out = tmp();
    const manifest: FreelanceManifest = await generateFreelance({ out, ...opts });
    const defects = readFileSync(path.join(out, 'defects.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PlantedDefect);
    for (const kind of Object.keys(DEFECTS)) expect(defects.some((d) => d.kind === kind), kind).toBe(true);
    expect(Object.values(manifest.defects).reduce((a, b) => a + (b ?? 0), 0)).toBe(defects.length);

    const csv = new Map<string, string[][]>();
    let invoiceRows = 0;
    for (const f of manifest.files.invoices) {
      const rows = parse(readFileSync(path.join(out, 'freelance_invoices', f)), { relax_column_count: false }) as string[][];
      expect(rows[0]).toEqual(['invoice_id', 'freelancer', 'amount', 'invoice_month', 'issue_date', 'due_date', 'paid_date', 'days_billed', 'client', 'skill']);
      csv.set(f, rows);
      invoiceRows += rows.length - 1;
    }
    expect(invoiceRows).toBe(manifest.rows.invoices);
    // Clean invoices plus one extra row per planted duplicate.
    expect(invoiceRows).toBe(opts.scale + (manifest.defects.duplicate_exact ?? 0) + (manifest.defects.duplicate_corrected ?? 0));

    const profiles = new Map(manifest.files.profiles.map((f) => [f, JSON.parse(readFileSync(path.join(out, 'freelance_profiles', f), 'utf8')) as Record<string, unknown>[]]));
    expect([...profiles.values()].reduce((n, p) => n + p.length, 0)).toBe(manifest.rows.profiles);

    for (const d of defects) {
      if (d.dataset === 'invoices') {
        // No quoted newlines are written, so CSV line n is parsed record n - 1.
        const row = csv.get(d.file)?.[d.line - 1];
        expect(row?.[0], `${d.kind} ${d.file}:${d.line}`).toBe(d.id);
        if (d.replacedBy) {
          const later = csv.get(d.replacedBy.file)?.[d.replacedBy.line - 1];
          expect(later?.[0]).toBe(d.id);
          expect(d.replacedBy.line).toBeGreaterThan(d.line);
          if (d.kind === 'duplicate_exact') expect(later).toEqual(row);
          if (d.kind === 'duplicate_corrected') expect([row?.[6], later?.[6] === '']).toEqual(['', false]);
        }
      } else {
        const item = profiles.get(d.file)?.[d.line - 1];
        expect(item?.id, `${d.kind} ${d.file}:${d.line}`).toBe(d.id);
      }
    }
    const byKind = (k: string) => defects.filter((d) => d.kind === k);
    const amountOf = (d: PlantedDefect) => csv.get(d.file)![d.line - 1]![2];
    expect(byKind('ambiguous_amount').every((d) => /^\d{1,3}[.,]\d{3}€?$/.test(amountOf(d)!))).toBe(true);
    expect(byKind('negative_amount').every((d) => amountOf(d)!.startsWith('-'))).toBe(true);
  });

  it('refuses out-of-range options', async () => {
    await expect(generateFreelance({ out: tmp(), scale: 10, months: 24 })).rejects.toThrow(/--scale/);
    await expect(generateFreelance({ out: tmp(), months: 0 })).rejects.toThrow(/--months/);
  });
});
