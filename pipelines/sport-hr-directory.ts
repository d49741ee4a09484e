/**
 * Sport benefits (issue 13): the HR directory — the employee extract HR drops as an `.xlsx` workbook
 * (sheet `employees`; the same data as CSV is accepted by {@link hrDirectoryPipeline}`('csv')`) — as
 * the clean, typed snapshot table `sport_hr_employees`, one row per employee id (the last row in
 * source order wins). Unpartitioned: one partition `all`, re-loaded as a whole when the file changes.
 *
 * Business rules (distance, eligibility, amounts) are not applied here: they live in the derived
 * datasets (pipelines/sport-employee-monthly.ts), so a rule change replays those without re-reading
 * this source. Rows are untimed (no `timeColumn`): a missing hire date is quarantined naming the
 * field, never an unplaced row.
 */
import { z } from 'zod';
import { notNull, unique, type Check } from '../core/checks';
import { definePipeline, unpartitioned, type Target } from '../core/pipeline';
import { decimal, exactDecimal, isoDate } from '../core/schema-helpers';
import { normalizeCommuteMode } from '../core/sport-benefits';

/** Columns every HR extract must have (the generator's HR_COLUMNS). */
export const HR_REQUIRED_COLUMNS = [
  'employee_id',
  'last_name',
  'first_name',
  'birth_date',
  'team',
  'hire_date',
  'gross_annual_salary',
  'contract_type',
  'paid_leave_days',
  'address',
  'home_lat',
  'home_lon',
  'commute_mode',
  'declared_commute_km',
] as const;

export const CONTRACT_TYPES = ['CDI', 'CDD', 'apprenticeship', 'internship'] as const;

/** An HR employee id: `E` and four digits. */
export const employeeId = () => z.string().trim().regex(/^E\d{4}$/, 'expected an employee id E0000');

/** A date cell: `YYYY-MM-DD` text (CSV) or a Date at UTC midnight (a spreadsheet date cell). */
function dateCell() {
  return z.preprocess((v) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 10) : v), isoDate());
}

const text = (what: string) => z.string().trim().min(1, `empty ${what}`);

/** One row of the HR extract, as read from CSV (text) or a workbook (typed cells). */
export const hrEmployeeSchema = z
  .object({
    employee_id: employeeId(),
    last_name: text('last name'),
    first_name: text('first name'),
    birth_date: dateCell(),
    team: text('team'),
    hire_date: dateCell(),
    gross_annual_salary: exactDecimal({ min: '0', maxScale: 2 }),
    contract_type: z.enum(CONTRACT_TYPES),
    paid_leave_days: decimal().pipe(z.number().int('paid leave days must be whole').min(0).max(60)),
    address: text('address'),
    home_lat: decimal().pipe(z.number().min(-90).max(90)),
    home_lon: decimal().pipe(z.number().min(-180).max(180)),
    commute_mode: z.string().transform((raw, ctx) => {
      const mode = normalizeCommuteMode(raw);
      if (!mode) {
        ctx.addIssue({ code: 'custom', message: `unknown commute mode ${JSON.stringify(raw).slice(0, 60)} (expected walking/running, cycling/scooter/other active, public transport or car)` });
        return z.NEVER;
      }
      return { mode, raw };
    }),
    declared_commute_km: z.union([z.literal('').transform(() => null), z.null(), z.undefined().transform(() => null), decimal().pipe(z.number().min(0).max(1000))]),
  })
  .refine((r) => r.hire_date > r.birth_date, { message: 'hired before being born', path: ['hire_date'] });

export type HrEmployeeRow = z.infer<typeof hrEmployeeSchema>;

/** From a valid HR row to the target's shape: the commute mode canonical, its HR spelling kept. */
export function hrEmployeeTransform(row: HrEmployeeRow): Record<string, unknown> {
  return {
    employee_id: row.employee_id,
    last_name: row.last_name,
    first_name: row.first_name,
    birth_date: row.birth_date,
    team: row.team,
    hire_date: row.hire_date,
    gross_annual_salary: row.gross_annual_salary,
    contract_type: row.contract_type,
    paid_leave_days: row.paid_leave_days,
    address: row.address,
    home_lat: row.home_lat,
    home_lon: row.home_lon,
    commute_mode: row.commute_mode.mode,
    commute_mode_raw: row.commute_mode.raw,
    declared_commute_km: row.declared_commute_km,
  };
}

export const HR_TARGET: Target = {
  table: 'sport_hr_employees',
  columns: {
    employee_id: 'text',
    last_name: 'text',
    first_name: 'text',
    birth_date: 'date',
    team: 'text',
    hire_date: 'date',
    gross_annual_salary: 'numeric',
    contract_type: 'text',
    paid_leave_days: 'integer',
    address: 'text',
    home_lat: 'double precision',
    home_lon: 'double precision',
    commute_mode: 'text',
    commute_mode_raw: 'text',
    declared_commute_km: 'double precision',
  },
  key: ['employee_id'],
};

/**
 * Completeness and uniqueness of HR ids. Duplicated ids are a warning (HR extracts repeat rows; the
 * last one wins and the rest are counted as deduplicated); a row without an id cannot pass the
 * schema, so completeness is also watched as quarantined rows.
 */
export const hrChecks: readonly Check[] = [notNull('employee_id', { minRatio: 1 }), unique(['employee_id'], { severity: 'warning' })];

/**
 * The HR directory pipeline reading the extract as `format`: `xlsx` (the workbook HR sends, sheet
 * `employees`, files `employees*.xlsx`; the registered one) or `csv` (files `employees*.csv`, the
 * same columns). Both give the same rows (tests/integration/sport-benefits.test.ts). To take CSV
 * extracts instead, register `hrDirectoryPipeline('csv')` in pipelines/index.ts.
 */
export function hrDirectoryPipeline(format: 'xlsx' | 'csv') {
  return definePipeline({
    name: 'sport_hr_directory',
    description: `HR directory of the sport-benefit scheme (${format} extract): one row per employee, unpartitioned snapshot`,
    version: 1,
    partitioning: unpartitioned(),
    source:
      format === 'xlsx'
        ? { kind: 'csv-files', format: 'xlsx', sheet: 'employees', filePattern: /^employees.*\.xlsx$/i, requiredColumns: HR_REQUIRED_COLUMNS }
        : { kind: 'csv-files', format: 'csv', filePattern: /^employees.*\.csv$/i, requiredColumns: HR_REQUIRED_COLUMNS },
    schema: hrEmployeeSchema,
    transform: hrEmployeeTransform,
    target: HR_TARGET,
    checks: hrChecks,
    params: {},
    // One bad row of 160 is quarantined; a whole extract that does not parse fails.
    maxRejectedRatio: 0.2,
  });
}

/** The registered HR directory: the workbook. */
export const sportHrDirectory = hrDirectoryPipeline('xlsx');
