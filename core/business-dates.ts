/**
 * Calendar dates and months as business exports write them (invoices, profiles), read on luxon
 * (the date library the issue9 branch brings to core/time.ts; pure JavaScript, no clock in parsing).
 * Results are plain calendar text — a date has no time or zone — so `2025-10-14` stays that day in
 * every zone.
 *
 * - Dates: ISO `2025-10-14`, or the day-first form French exports use, `14/10/2025` (declared here:
 *   these sources are day-first, never month-first). A day that does not exist (`31/02/2025`,
 *   `2025-13-01`) or any other text is refused with a reason.
 * - Months: `Oct-2025` (English three-letter month, any case), `2025-10`, or a full date in one of
 *   the forms above (its month). Result: the first day of the month, `2025-10-01`, for a `date` column.
 *
 * Years are limited to 1900–2999: an invoice dated 0025 or 20255 is a typo, not history.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';

/** The outcome of a parse: ISO calendar text, or the reason the value was refused. */
export type CalendarParseResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string };

/** The date formats accepted, as luxon format strings (tokens: https://moment.github.io/luxon/#/parsing). */
export const DATE_FORMATS = ['yyyy-MM-dd', 'dd/MM/yyyy'] as const;
/** The month formats accepted besides a full date. */
export const MONTH_FORMATS = ['LLL-yyyy', 'yyyy-MM'] as const;

const MIN_YEAR = 1900;
const MAX_YEAR = 2999;

/** True when `text` has the shape of one of the {@link DATE_FORMATS} (luxon alone accepts `2025-1-5`). */
function looksLikeDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) || /^\d{2}\/\d{2}\/\d{4}$/.test(text);
}

function fromFormats(text: string, formats: readonly string[]): DateTime | undefined {
  for (const f of formats) {
    const d = DateTime.fromFormat(text, f, { zone: 'UTC', locale: 'en-US' });
    if (d.isValid) return d;
  }
  return undefined;
}

function inRange(d: DateTime, original: string): CalendarParseResult | undefined {
  if (d.year < MIN_YEAR || d.year > MAX_YEAR) return { ok: false, reason: `${JSON.stringify(original)}: year ${d.year} is outside ${MIN_YEAR}–${MAX_YEAR}` };
  return undefined;
}

/**
 * A calendar date from `yyyy-MM-dd` or `dd/MM/yyyy` → `yyyy-MM-dd`. Never throws for bad input.
 */
export function parseBusinessDate(input: unknown): CalendarParseResult {
  if (input === null || input === undefined) return { ok: false, reason: 'missing date' };
  if (typeof input !== 'string') return { ok: false, reason: `expected a date as text, got ${typeof input}` };
  const text = input.trim();
  if (text === '') return { ok: false, reason: 'missing date (empty)' };
  if (!looksLikeDate(text)) return { ok: false, reason: `${JSON.stringify(input.slice(0, 60))} is not a date (expected YYYY-MM-DD or DD/MM/YYYY)` };
  const d = fromFormats(text, DATE_FORMATS);
  if (!d) return { ok: false, reason: `${JSON.stringify(text)} is not a day of the calendar` };
  return inRange(d, text) ?? { ok: true, value: d.toISODate()! };
}

/**
 * An invoice month from `Oct-2025`, `2025-10` or a full date (see {@link parseBusinessDate}) → the
 * first day of that month, `2025-10-01`. Never throws for bad input.
 */
export function parseBusinessMonth(input: unknown): CalendarParseResult {
  if (input === null || input === undefined) return { ok: false, reason: 'missing month' };
  if (typeof input !== 'string') return { ok: false, reason: `expected a month as text, got ${typeof input}` };
  const text = input.trim();
  if (text === '') return { ok: false, reason: 'missing month (empty)' };
  if (looksLikeDate(text)) {
    const r = parseBusinessDate(text);
    return r.ok ? { ok: true, value: `${r.value.slice(0, 7)}-01` } : r;
  }
  // luxon matches month names case-sensitively; exports write OCT-2025 and oct-2025 too.
  const normalised = /^[A-Za-z]{3}-\d{4}$/.test(text) ? text[0]!.toUpperCase() + text.slice(1, 3).toLowerCase() + text.slice(3) : text;
  const d = /^([A-Z][a-z]{2}-\d{4}|\d{4}-\d{2})$/.test(normalised) ? fromFormats(normalised, MONTH_FORMATS) : undefined;
  if (!d) return { ok: false, reason: `${JSON.stringify(input.slice(0, 60))} is not a month (expected Oct-2025, 2025-10 or a date)` };
  return inRange(d, text) ?? { ok: true, value: d.startOf('month').toISODate()! };
}

function required(parse: (v: unknown) => CalendarParseResult) {
  return z.unknown().optional().transform((v, ctx): string => {
    const r = parse(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.reason });
      return z.NEVER;
    }
    return r.value;
  });
}

/** Zod helper: a required calendar date (see {@link parseBusinessDate}) → `yyyy-MM-dd`. */
export function businessDate() {
  return required(parseBusinessDate);
}

/** Zod helper: an optional calendar date: empty or missing → null, else as {@link businessDate}. */
export function optionalBusinessDate() {
  return z.unknown().optional().transform((v, ctx): string | null => {
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return null;
    const r = parseBusinessDate(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.reason });
      return z.NEVER;
    }
    return r.value;
  });
}

/** Zod helper: an invoice month (see {@link parseBusinessMonth}) → the first day of the month. */
export function businessMonth() {
  return required(parseBusinessMonth);
}

/**
 * Working days of a month: Monday to Friday, public holidays not removed (the occupancy denominator,
 * as the issue defines it: days billed over working days available). `month` is `YYYY-MM` or any
 * `YYYY-MM-DD` of the month. The SQL form used by the indicators is
 * {@link WORKING_DAYS_SQL}. Throws RangeError for a malformed month.
 */
export function workingDaysInMonth(month: string): number {
  const m = /^(\d{4})-(\d{2})(?:-\d{2})?$/.exec(month);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new RangeError(`expected a month YYYY-MM, got ${JSON.stringify(month)}`);
  const year = Number(m[1]);
  const month0 = Number(m[2]) - 1;
  const days = new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
  let n = 0;
  for (let d = 1; d <= days; d++) {
    const wd = new Date(Date.UTC(year, month0, d)).getUTCDay();
    if (wd !== 0 && wd !== 6) n++;
  }
  return n;
}

/**
 * {@link workingDaysInMonth} in SQL, for a `date` expression `m` holding the month's first day:
 * `WORKING_DAYS_SQL('invoice_month')` → an integer expression.
 */
export function WORKING_DAYS_SQL(m: string): string {
  return `(SELECT count(*)::int FROM generate_series(${m}, (${m} + interval '1 month' - interval '1 day'), interval '1 day') AS wd(d) WHERE extract(isodow FROM wd.d) < 6)`;
}
