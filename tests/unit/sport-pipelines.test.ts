/**
 * The sport-benefit pipelines' parts (pipelines/sport-hr-directory.ts, pipelines/sport-activities.ts)
 * on the generated data set: every HR row and activity event passes the schema except the planted
 * defects that must be quarantined, each failing on the field the manifest names; the transforms
 * produce exactly the target's columns; the checks name target columns; the workbook's typed cells
 * parse like the CSV text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeHrWorkbook } from '../../scripts/generate-sport';
import { generateSportDataset, type SportDataset } from '../../scripts/sport-dataset';
import { activityChecks, activityEventSchema, activityTransform, ACTIVITIES_TARGET, offsetInstant } from '../../pipelines/sport-activities';
import { declaredSportChecks, declaredSportSchema, declaredSportTransform, DECLARED_SPORTS_TARGET } from '../../pipelines/sport-declared-sports';
import { hrChecks, hrEmployeeSchema, hrEmployeeTransform, HR_REQUIRED_COLUMNS, HR_TARGET } from '../../pipelines/sport-hr-directory';
import type { Check } from '../../core/checks';
import { compareDecimal } from '../../core/schema-helpers';
import type { Target } from '../../core/pipeline';

let ds: SportDataset;
beforeAll(() => {
  ds = generateSportDataset();
});

const content = (p: string) => ds.files.find((f) => f.path === p)!.content;
const issuePath = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join('.'));

function checkColumns(checks: readonly Check[]): string[] {
  return checks.flatMap((c) => ('columns' in c ? [...c.columns] : 'column' in c ? [c.column] : []));
}
function expectChecksOnTarget(checks: readonly Check[], target: Target) {
  for (const col of checkColumns(checks)) expect(Object.keys(target.columns)).toContain(col);
  for (const k of target.key) expect(Object.keys(target.columns)).toContain(k);
}

describe('HR directory', () => {
  const rows = () => parse(content('sport_hr_directory/employees.csv'), { columns: true }) as Record<string, string>[];

  it('every row passes but the missing salary, quarantined on gross_annual_salary', () => {
    const failures = rows()
      .map((r, i) => ({ line: i + 2, id: r.employee_id, res: hrEmployeeSchema.safeParse(r) }))
      .filter((x) => !x.res.success);
    const planted = ds.manifest.defects.find((d) => d.kind === 'missing-salary')!;
    expect(failures.map((f) => [f.line, f.id, issuePath(f.res)])).toEqual([[planted.line, planted.employeeId, ['gross_annual_salary']]]);
    expect(failures[0]!.res.error!.issues[0]!.message).toMatch(/missing value/);
  });

  it('normalises the spellings of the commute mode and keeps HR’s', () => {
    for (const d of ds.manifest.defects.filter((x) => x.kind === 'commute-mode-spelling')) {
      const row = rows()[d.line - 2]!;
      const out = hrEmployeeTransform(hrEmployeeSchema.parse(row));
      expect(out).toMatchObject({ commute_mode: 'cycling_active', commute_mode_raw: d.value });
    }
    expect(issuePath(hrEmployeeSchema.safeParse({ ...rows()[0], commute_mode: 'jetpack' }))).toEqual(['commute_mode']);
  });

  it('the transform yields exactly the target columns, money kept as exact text', () => {
    const r = rows()[0]!;
    const out = hrEmployeeTransform(hrEmployeeSchema.parse(r));
    expect(Object.keys(out).sort()).toEqual(Object.keys(HR_TARGET.columns).sort());
    expect(out.gross_annual_salary).toBe(r.gross_annual_salary);
    expect(Object.keys(r).sort()).toEqual([...HR_REQUIRED_COLUMNS].sort());
    expect(hrEmployeeTransform(hrEmployeeSchema.parse({ ...r, declared_commute_km: '' })).declared_commute_km).toBeNull();
    expectChecksOnTarget(hrChecks, HR_TARGET);
  });

  it('refuses what a careful HR extract never holds', () => {
    const r = rows()[0]!;
    expect(issuePath(hrEmployeeSchema.safeParse({ ...r, gross_annual_salary: '42 350,50' }))).toEqual(['gross_annual_salary']);
    expect(issuePath(hrEmployeeSchema.safeParse({ ...r, gross_annual_salary: '42350.505' }))).toEqual(['gross_annual_salary']);
    expect(issuePath(hrEmployeeSchema.safeParse({ ...r, employee_id: '42' }))).toEqual(['employee_id']);
    expect(issuePath(hrEmployeeSchema.safeParse({ ...r, hire_date: '1900-01-01' }))).toEqual(['hire_date']);
    expect(issuePath(hrEmployeeSchema.safeParse({ ...r, home_lat: '123.4' }))).toEqual(['home_lat']);
  });

  describe('from the .xlsx workbook', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'datapulse-sport-xlsx-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    it('typed cells (dates, numbers, an empty salary) parse to the same rows as the CSV text', async () => {
      const file = path.join(dir, 'employees.xlsx');
      await writeHrWorkbook(ds, file);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      const sheet = wb.getWorksheet('employees')!;
      const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
      const csv = rows();
      for (let i = 0; i < csv.length; i++) {
        const values = (sheet.getRow(i + 2).values as unknown[]).slice(1);
        const record = Object.fromEntries(header.map((h, k) => [h, values[k] ?? null]));
        const fromXlsx = hrEmployeeSchema.safeParse(record);
        const fromCsv = hrEmployeeSchema.safeParse(csv[i]);
        expect(fromXlsx.success, `row ${i + 2}`).toBe(fromCsv.success);
        if (fromCsv.success && fromXlsx.success) {
          // A number cell has no trailing zeros ("49594.1" for "49594.10"): the same numeric value.
          const { gross_annual_salary: a, ...x } = hrEmployeeTransform(fromXlsx.data);
          const { gross_annual_salary: b, ...c } = hrEmployeeTransform(fromCsv.data);
          expect(x).toEqual(c);
          expect(compareDecimal(String(a), String(b)), `${String(a)} vs ${String(b)}`).toBe(0);
        }
      }
    });
  });
});

describe('activities', () => {
  const events = () =>
    ds.files
      .filter((f) => f.path.endsWith('.ndjson'))
      .flatMap((f) => f.content.split('\n').filter(Boolean).map((l, i) => ({ file: f.path, line: i + 1, record: JSON.parse(l) as Record<string, unknown> })));

  it('every event passes but the impossible distance and duration, each on its field', () => {
    const failures = events()
      .map((e) => ({ ...e, res: activityEventSchema.safeParse(e.record) }))
      .filter((e) => !e.res.success)
      .map((e) => ({ file: e.file, line: e.line, fields: issuePath(e.res) }));
    const expected = ds.manifest.defects
      .filter((d) => d.kind === 'impossible-distance' || d.kind === 'impossible-duration')
      .map((d) => ({ file: d.file, line: d.line, fields: [d.field] }));
    expect(failures.sort((a, b) => a.file.localeCompare(b.file))).toEqual(expected.sort((a, b) => a.file.localeCompare(b.file)));
  });

  it('the unknown employee is well formed (the reference check and the KPIs catch it, see the module)', () => {
    const d = ds.manifest.defects.find((x) => x.kind === 'unknown-employee-activity')!;
    const e = events().find((x) => x.file === d.file && x.line === d.line)!;
    expect(activityEventSchema.safeParse(e.record).success).toBe(true);
    expect(activityChecks.find((c) => c.kind === 'references')).toMatchObject({ column: 'employee_id', severity: 'warning' });
  });

  it('the transform yields the target columns with the instant in UTC', () => {
    const out = activityTransform(activityEventSchema.parse({ activity_id: 'A1', employee_id: 'E0001', start_time: '2025-06-12T07:42:00+02:00', sport: 'Yoga', elapsed_s: 3600 }));
    expect(Object.keys(out).sort()).toEqual(Object.keys(ACTIVITIES_TARGET.columns).sort());
    expect(out).toMatchObject({ started_at: new Date('2025-06-12T05:42:00Z'), sport: 'yoga', distance_m: null, comment: null });
    expectChecksOnTarget(activityChecks, ACTIVITIES_TARGET);
  });

  it('times must state their offset and exist', () => {
    const s = offsetInstant();
    expect(s.parse('2025-03-30T03:30:00+02:00')).toEqual(new Date('2025-03-30T01:30:00Z'));
    expect(s.parse('2025-06-12T07:42Z')).toEqual(new Date('2025-06-12T07:42:00Z'));
    for (const bad of ['2025-06-12T07:42:00', '2025-02-29T10:00:00+01:00', '2025-06-12T24:00:00Z', '2025-06-12 07:42:00+02:00', '2025-06-12T07:42:00+15:00']) {
      expect(s.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('declared sports', () => {
  it('every declaration passes, lower-cased, in the target shape', () => {
    const rows = parse(content('sport_declared_sports/declared-sports.csv'), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(100);
    for (const r of rows) {
      const out = declaredSportTransform(declaredSportSchema.parse(r));
      expect(Object.keys(out).sort()).toEqual(Object.keys(DECLARED_SPORTS_TARGET.columns).sort());
    }
    expect(declaredSportTransform(declaredSportSchema.parse({ employee_id: 'E0001', sport: ' Running ' }))).toEqual({ employee_id: 'E0001', sport: 'running' });
    expect(issuePath(declaredSportSchema.safeParse({ employee_id: 'E0001', sport: '' }))).toEqual(['sport']);
    expectChecksOnTarget(declaredSportChecks, DECLARED_SPORTS_TARGET);
  });
});
