/**
 * `npm run generate:sport -- --out <dir> [--seed S] [--year Y] [--employees N]`: writes the
 * sport-benefit data set (scripts/sport-dataset.ts) into `<dir>`, one folder per pipeline, plus
 * `manifest.json` listing every file and every planted defect. `--out .data/landing` drops it
 * where the pipelines read. Deterministic: the same options write the same bytes (the .xlsx holds
 * the same cells; see writeHrWorkbook).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import ExcelJS from 'exceljs';
import { generateSportDataset, HR_COLUMNS, SPORT_PIPELINE_FOLDERS, SPORTS_COLUMNS, type GeneratedFile, type SportDataset } from './sport-dataset';

/**
 * The HR extract as HR sends it: an .xlsx workbook with a sheet `employees` (typed cells: dates as
 * dates, salary and coordinates as numbers, the missing salary as an empty cell) and a sheet
 * `sports`, built from the CSV rows so both hold the same data. Written with exceljs (MIT, the most
 * used maintained xlsx writer/reader on npm that installs from the registry; SheetJS no longer
 * publishes there, its npm copy 0.18.5 is unmaintained). Workbook dates are fixed to the extract day.
 */
export async function writeHrWorkbook(dataset: SportDataset, file: string): Promise<void> {
  const wb = new ExcelJS.Workbook();
  const extractDay = new Date(Date.UTC(dataset.manifest.year, 11, 31));
  wb.creator = 'HR (synthetic)';
  wb.created = extractDay;
  wb.modified = extractDay;
  const hr = wb.addWorksheet('employees');
  hr.columns = HR_COLUMNS.map((c) => ({ header: c, key: c, width: Math.max(12, c.length + 2) }));
  const hrCsv = dataset.files.find((f) => f.path === `${SPORT_PIPELINE_FOLDERS.hr}/employees.csv`)!;
  for (const r of parseCsv(hrCsv)) {
    const num = (s: string | undefined) => (s === undefined || s === '' ? null : Number(s));
    const date = (s: string | undefined) => (s ? new Date(`${s}T00:00:00Z`) : null);
    hr.addRow({
      ...r,
      birth_date: date(r.birth_date),
      hire_date: date(r.hire_date),
      gross_annual_salary: num(r.gross_annual_salary),
      paid_leave_days: num(r.paid_leave_days),
      home_lat: num(r.home_lat),
      home_lon: num(r.home_lon),
      declared_commute_km: num(r.declared_commute_km),
    });
  }
  hr.getColumn('birth_date').numFmt = 'yyyy-mm-dd';
  hr.getColumn('hire_date').numFmt = 'yyyy-mm-dd';
  hr.getColumn('gross_annual_salary').numFmt = '#,##0.00';
  const sports = wb.addWorksheet('sports');
  sports.columns = SPORTS_COLUMNS.map((c) => ({ header: c, key: c, width: 14 }));
  for (const r of parseCsv(dataset.files.find((f) => f.path === `${SPORT_PIPELINE_FOLDERS.sports}/declared-sports.csv`)!)) sports.addRow(r);
  await wb.xlsx.writeFile(file);
}

/** Reads back the generator's own CSV (RFC 4180, header line) into records. */
function parseCsv(file: GeneratedFile): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = file.content;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  const [header, ...data] = rows;
  return data.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

/** Writes the data set under `outDir`; returns the manifest path. */
export async function writeSportDataset(dataset: SportDataset, outDir: string): Promise<string> {
  for (const f of dataset.files) {
    const target = path.join(outDir, f.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.content);
  }
  await writeHrWorkbook(dataset, path.join(outDir, SPORT_PIPELINE_FOLDERS.hr, 'employees.xlsx'));
  const manifestPath = path.join(outDir, 'manifest.json');
  writeFileSync(manifestPath, `${JSON.stringify(dataset.manifest, null, 2)}\n`);
  return manifestPath;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

async function main(): Promise<void> {
  const opts = new Command()
    .name('generate-sport')
    .description('write the sport-benefit demo data set (HR extract, declared sports, a year of activities, planted defects)')
    .requiredOption('--out <dir>', 'output folder (e.g. .data/landing: one sub-folder per pipeline)')
    .option('--seed <n>', 'random seed', nonNegativeInt, 13)
    .option('--year <yyyy>', 'calendar year of the activities', nonNegativeInt, 2025)
    .option('--employees <n>', 'distinct employees (at least 120)', nonNegativeInt, 160)
    .parse()
    .opts<{ out: string; seed: number; year: number; employees: number }>();
  const dataset = generateSportDataset({ seed: opts.seed, year: opts.year, employees: opts.employees });
  const manifest = await writeSportDataset(dataset, opts.out);
  const m = dataset.manifest;
  console.log(
    `wrote ${m.files.length} files to ${opts.out}: ${m.employees} employees (${m.hrRows} HR rows), ${m.activityRecords} activity records ` +
      `(${m.distinctActivities} distinct), ${m.defects.length} planted defects; manifest ${manifest}`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`generate-sport: ${(err as Error).message}`);
    process.exit(1);
  });
}
