/**
 * The sport-benefit data set generator (scripts/sport-dataset.ts, scripts/generate-sport.ts): the
 * same seed gives the same bytes, the shape the issue asks for (~160 employees in several teams, a
 * year of activities with a seasonal rhythm), every planted defect exactly where the manifest says,
 * and an .xlsx workbook holding the same cells as the CSV.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommuteMode, normalizeCommuteMode } from '../../core/sport-benefits';
import { writeSportDataset } from '../../scripts/generate-sport';
import { generateSportDataset, HR_COLUMNS, type GeneratedActivity, type SportDataset } from '../../scripts/sport-dataset';

let ds: SportDataset;
let out: string;

beforeAll(async () => {
  ds = generateSportDataset();
  out = await mkdtemp(path.join(os.tmpdir(), 'datapulse-sport-gen-'));
  await writeSportDataset(ds, out);
});

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const file = (p: string) => {
  const f = ds.files.find((x) => x.path === p);
  if (!f) throw new Error(`no file ${p}`);
  return f.content;
};
const col = (name: string) => HR_COLUMNS.indexOf(name as (typeof HR_COLUMNS)[number]);
const hrRecords = () => parse(file('sport_hr_directory/employees.csv'), { columns: true }) as Record<string, string>[];
const activities = (): (GeneratedActivity & { file: string })[] =>
  ds.files
    .filter((f) => f.path.endsWith('.ndjson'))
    .flatMap((f) => f.content.split('\n').filter(Boolean).map((l) => ({ ...(JSON.parse(l) as GeneratedActivity), file: f.path })));

describe('determinism', () => {
  it('the same seed writes the same bytes; another seed other data', () => {
    const again = generateSportDataset();
    expect(again.files.map((f) => [f.path, f.content])).toEqual(ds.files.map((f) => [f.path, f.content]));
    expect(again.manifest).toEqual(ds.manifest);
    const other = generateSportDataset({ seed: 14 });
    expect(file('sport_hr_directory/employees.csv')).not.toBe(other.files.find((f) => f.path === 'sport_hr_directory/employees.csv')!.content);
  });
  it('the manifest lists every written file with its row count and sha256', async () => {
    for (const f of ds.files) {
      const entry = ds.manifest.files.find((m) => m.path === f.path)!;
      expect(entry.rows).toBe(f.rows);
      const bytes = await readFile(path.join(out, f.path));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
    }
    expect(JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'))).toEqual(ds.manifest);
  });
});

describe('shape', () => {
  it('~160 employees in six teams, with the HR columns, synthetic addresses and coordinates', () => {
    const rows = hrRecords();
    expect(Object.keys(rows[0]!)).toEqual([...HR_COLUMNS]);
    expect(new Set(rows.map((r) => r.employee_id)).size).toBe(160);
    expect(rows).toHaveLength(162);
    expect(new Set(rows.map((r) => r.team)).size).toBe(6);
    for (const r of rows) {
      expect(r.employee_id).toMatch(/^E\d{4}$/);
      expect(Number(r.home_lat)).toBeGreaterThan(46);
      expect(r.address).toMatch(/^\d+ .+, \d{5} /);
      expect(r.hire_date! > r.birth_date!).toBe(true);
      if (r.gross_annual_salary !== '') expect(r.gross_annual_salary).toMatch(/^\d+\.\d{2}$/);
    }
    // Every commute mode occurs, so eligibility has both outcomes.
    const modes = new Set(rows.map((r) => normalizeCommuteMode(r.commute_mode!)));
    expect([...modes].sort()).toEqual(Object.values(CommuteMode).sort());
  });
  it('a year of activities with a seasonal rhythm and weekend peaks', () => {
    const acts = activities();
    expect(acts.length).toBe(ds.manifest.activityRecords);
    expect(acts.length).toBeGreaterThan(3000);
    const byMonth = new Array(12).fill(0) as number[];
    for (const a of acts) byMonth[Number(a.start_time.slice(5, 7)) - 1]!++;
    expect(byMonth.every((n) => n > 0)).toBe(true);
    expect(byMonth[5]! / byMonth[11]!).toBeGreaterThan(1.6); // June vs December
    // Offsets follow Europe/Paris: +01:00 in January, +02:00 in July.
    expect(acts.find((a) => a.start_time.startsWith('2025-01-'))!.start_time).toMatch(/\+01:00$/);
    expect(acts.find((a) => a.start_time.startsWith('2025-07-'))!.start_time).toMatch(/\+02:00$/);
    // Sports without a distance have none; the others have one.
    expect(acts.filter((a) => a.sport === 'yoga').every((a) => a.distance_m === undefined)).toBe(true);
    expect(acts.filter((a) => a.sport === 'running').every((a) => typeof a.distance_m === 'number')).toBe(true);
    // Someone is near each side of the wellness threshold (15), so a 15 → 12 replay changes something.
    const perEmployee = new Map<string, number>();
    for (const a of acts) perEmployee.set(a.employee_id, (perEmployee.get(a.employee_id) ?? 0) + 1);
    expect([...perEmployee.values()].some((n) => n >= 12 && n < 15)).toBe(true);
    expect([...perEmployee.values()].some((n) => n >= 15)).toBe(true);
  });
});

describe('planted defects are where the manifest says', () => {
  const hrLine = (n: number) => parse(file('sport_hr_directory/employees.csv'), { from_line: n, to_line: n })[0] as string[];
  const ndjsonLine = (p: string, n: number) => JSON.parse(file(p).split('\n')[n - 1]!) as GeneratedActivity;

  it('lists each kind the issue asks for', () => {
    const kinds = new Set(ds.manifest.defects.map((d) => d.kind));
    for (const k of [
      'duplicate-employee-identical',
      'duplicate-employee-changed',
      'missing-salary',
      'unknown-employee-activity',
      'impossible-distance',
      'impossible-duration',
      'commute-mode-spelling',
      'activity-dropped-twice',
      'declared-distance-disagrees',
    ]) {
      expect(kinds.has(k as never), k).toBe(true);
    }
  });

  it('every defect is at its file and line with its value', () => {
    const hrIds = new Set(hrRecords().map((r) => r.employee_id));
    for (const d of ds.manifest.defects) {
      if (d.file.endsWith('.csv')) {
        const row = hrLine(d.line);
        expect(row[0], `${d.kind} ${d.file}:${d.line}`).toBe(d.employeeId);
        expect(row[col(d.field)], d.kind).toBe(String(d.value));
        for (const other of d.alsoAt ?? []) expect(hrLine(other.line)[0]).toBe(d.employeeId);
      } else {
        const a = ndjsonLine(d.file, d.line);
        expect(a.activity_id, `${d.kind} ${d.file}:${d.line}`).toBe(d.activityId);
        expect((a as unknown as Record<string, unknown>)[d.field]).toBe(d.value);
        for (const other of d.alsoAt ?? []) expect(ndjsonLine(other.file, other.line)).toEqual(a);
      }
      if (d.kind === 'unknown-employee-activity') expect(hrIds.has(d.employeeId)).toBe(false);
    }
  });

  it('the identical duplicate is identical, the changed one differs only in where the employee lives', () => {
    const same = ds.manifest.defects.find((d) => d.kind === 'duplicate-employee-identical')!;
    expect(hrLine(same.line)).toEqual(hrLine(same.alsoAt![0]!.line));
    const changed = ds.manifest.defects.find((d) => d.kind === 'duplicate-employee-changed')!;
    const [a, b] = [hrLine(changed.alsoAt![0]!.line), hrLine(changed.line)];
    const differing = HR_COLUMNS.filter((_, i) => a[i] !== b[i]);
    expect(differing).toEqual(expect.arrayContaining(['address', 'home_lat', 'home_lon']));
    expect(['address', 'home_lat', 'home_lon', 'declared_commute_km']).toEqual(expect.arrayContaining(differing));
  });

  it('cycling is spelled three ways, each mapping to cycling_active', () => {
    const spellings = new Set(hrRecords().filter((r) => normalizeCommuteMode(r.commute_mode!) === CommuteMode.CYCLING_ACTIVE).map((r) => r.commute_mode));
    expect([...spellings].sort()).toEqual(['Bike ', 'cycling', 'vélo']);
  });

  it('the impossible distance and duration are impossible; the re-dropped activity is the same record in two files', () => {
    const fast = ds.manifest.defects.find((d) => d.kind === 'impossible-distance')!;
    const a = ndjsonLine(fast.file, fast.line);
    expect((a.distance_m! / a.elapsed_s) * 3.6).toBeGreaterThan(100); // km/h
    const long = ds.manifest.defects.find((d) => d.kind === 'impossible-duration')!;
    expect(ndjsonLine(long.file, long.line).elapsed_s).toBeGreaterThan(24 * 3600);
    const twice = ds.manifest.defects.find((d) => d.kind === 'activity-dropped-twice')!;
    expect(activities().filter((x) => x.activity_id === twice.activityId)).toHaveLength(2);
    expect(ds.manifest.distinctActivities).toBe(ds.manifest.activityRecords - 1);
  });
});

describe('the .xlsx workbook', () => {
  it('holds the CSV rows as typed cells on sheet "employees", and the declared sports on sheet "sports"', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(out, 'sport_hr_directory', 'employees.xlsx'));
    const sheet = wb.getWorksheet('employees')!;
    const csv = hrRecords();
    expect(sheet.rowCount).toBe(csv.length + 1);
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([...HR_COLUMNS]);
    csv.forEach((r, i) => {
      const row = sheet.getRow(i + 2);
      const cell = (c: string) => row.getCell(col(c) + 1).value;
      expect(cell('employee_id')).toBe(r.employee_id);
      expect(cell('birth_date')).toEqual(new Date(`${r.birth_date}T00:00:00Z`));
      // Salary as a number cell whose shortest decimal form is the CSV's amount; missing stays empty.
      const salary = cell('gross_annual_salary');
      if (r.gross_annual_salary === '') expect(salary).toBeNull();
      else expect(Number(salary).toFixed(2)).toBe(r.gross_annual_salary);
      expect(cell('commute_mode')).toBe(r.commute_mode);
      expect(cell('home_lat')).toBe(Number(r.home_lat));
    });
    const sports = wb.getWorksheet('sports')!;
    expect(sports.rowCount - 1).toBe(ds.manifest.files.find((f) => f.path === 'sport_declared_sports/declared-sports.csv')!.rows);
  });
});

describe('other seeds and sizes', () => {
  it.each([
    { seed: 5, employees: 120 },
    { seed: 99, employees: 400, year: 2024 },
  ])('%o: every planted defect is still where its manifest says', (opts) => {
    const other = generateSportDataset(opts);
    expect(other.manifest.employees).toBe(opts.employees);
    expect(other.manifest.defects).toHaveLength(ds.manifest.defects.length);
    for (const d of other.manifest.defects) {
      const f = other.files.find((x) => x.path === d.file)!;
      if (d.file.endsWith('.csv')) {
        const row = parse(f.content, { from_line: d.line, to_line: d.line })[0] as string[];
        expect(row[0], `${d.kind} ${d.file}:${d.line}`).toBe(d.employeeId);
        expect(row[col(d.field)], d.kind).toBe(String(d.value));
      } else {
        const a = JSON.parse(f.content.split('\n')[d.line - 1]!) as Record<string, unknown>;
        expect(a.activity_id, `${d.kind} ${d.file}:${d.line}`).toBe(d.activityId);
        expect(a[d.field]).toBe(d.value);
      }
    }
  });
  it('refuses fewer employees than the planted defects need', () => {
    expect(() => generateSportDataset({ employees: 100 })).toThrow(/at least 120 employees/);
  });
});
