/**
 * The one way DataPulse reads a point in time from source data, for every source and every schema
 * (file placement, HTTP adapters, `instant()` in schema helpers). Built on luxon (pure JavaScript,
 * IANA zones through the runtime's Intl, no Node modules, no clock in parsing): see README "Times".
 *
 * Rules:
 * - Accepted without a declared format: ISO 8601 in extended form (`2024-05-01`, `2024-05-01T13:30`,
 *   `2024-05-01T13:30:00.123456+02:00`, `...Z`), the forms PostgreSQL writes (`2024-05-01 13:15:00+00`,
 *   `2024-05-01 19:20:00+05:30`, `2024-05-01 10:05:00-03`, fractions up to microseconds) and the
 *   unambiguous spreadsheet form `2024/05/01 13:30[:00]`. Day-first/month-first forms (`05/01/2024`)
 *   are ambiguous and need a declared format.
 * - A declared format is a luxon format string (`dd.MM.yyyy HH:mm`, tokens:
 *   https://moment.github.io/luxon/#/parsing?id=table-of-tokens), a list of them (first match wins),
 *   or one of the numeric forms `unix-s`, `unix-ms`, `excel-serial` (days since 1899-12-30, the
 *   serial dates spreadsheets export, as wall time in the declared zone).
 * - A value without an offset is wall time in the declared zone (`UTC` unless declared), never in the
 *   zone of the process, the database session or the server. A wall time the zone skips (a DST gap) is
 *   refused; a repeated one (DST fold) is resolved as luxon does (the
 *   second pass, standard time): declare the offset in the data when that matters.
 * - An instant is kept to the microsecond (PostgreSQL's precision); digits beyond are refused unless 0.
 * - Supported years are 0001–9999 (inside PostgreSQL's timestamptz and date ranges); others are refused.
 * - Two spellings of one instant give one canonical text, {@link Instant.iso}, so keys, deduplication
 *   and placement agree on it.
 */
import { DateTime, FixedOffsetZone, IANAZone, type Zone } from 'luxon';

/** Numeric time formats a source may declare instead of a luxon format string. */
export const NumericTimeFormat = {
  /** Seconds since 1970-01-01T00:00Z (fractions allowed). */
  UNIX_SECONDS: 'unix-s',
  /** Milliseconds since 1970-01-01T00:00Z. */
  UNIX_MILLIS: 'unix-ms',
  /** Spreadsheet serial date: days since 1899-12-30 (fraction = time of day), wall time in the declared zone. */
  EXCEL_SERIAL: 'excel-serial',
} as const;
export type NumericTimeFormat = (typeof NumericTimeFormat)[keyof typeof NumericTimeFormat];

/** How a source writes its times. */
export interface TimeParseOptions {
  /** A luxon format, a list of them, or a {@link NumericTimeFormat}. @default ISO 8601 + PostgreSQL + yyyy/MM/dd forms */
  readonly format?: string | readonly string[];
  /** IANA zone (`Europe/Berlin`) or fixed offset (`UTC+2`) for values written without an offset. @default "UTC" */
  readonly zone?: string | Zone;
}

/** A parsed instant, exact to the microsecond. */
export interface Instant {
  /** Epoch milliseconds (floor of the instant): for placement in windows, which start on whole ms. */
  readonly epochMs: number;
  /** Microseconds below the millisecond, 0–999. */
  readonly micros: number;
  /** Canonical UTC text, always `YYYY-MM-DDTHH:MM:SS.ffffffZ`: equal instants give equal text. */
  readonly iso: string;
}

/** The outcome of parsing: the instant, or the reason it was refused (for a quarantine or unplaced row). */
export type TimeParseResult = { readonly ok: true; readonly instant: Instant } | { readonly ok: false; readonly reason: string };

/** Thrown when a declared time zone or format is not usable. */
export class TimeConfigError extends Error {
  override readonly name = 'TimeConfigError';
}

// Supported instants: 0001-01-01T00:00Z to 9999-12-31T23:59:59.999Z (Date.UTC maps years 0–99 to 19xx).
const MIN_MS = (() => {
  const d = new Date(0);
  d.setUTCFullYear(1, 0, 1);
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime();
})();
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const NOT_A_TIME =
  'is not an ISO date or date-time (YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|±HH[:MM]]) nor a PostgreSQL timestamp (YYYY-MM-DD HH:MM:SS±HH); declare timeFormat for other forms';

const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

/** The zone for `zone` (default UTC). Throws TimeConfigError naming the zone when it is unknown. */
export function resolveZone(zone: string | Zone | undefined): Zone {
  if (zone === undefined) return FixedOffsetZone.utcInstance;
  if (typeof zone !== 'string') {
    if (!zone.isValid) throw new TimeConfigError(`time zone ${zone.name} is not valid`);
    return zone;
  }
  if (zone === 'UTC' || zone === 'Z' || zone === 'GMT') return FixedOffsetZone.utcInstance;
  const fixed = FixedOffsetZone.parseSpecifier(zone);
  if (fixed) return fixed;
  if (IANAZone.isValidZone(zone)) return IANAZone.create(zone);
  throw new TimeConfigError(`time zone ${JSON.stringify(zone)} is not an IANA zone (e.g. "Europe/Berlin") or a fixed offset (e.g. "UTC+2")`);
}

/** The fixed-offset zone `seconds` east of UTC (an API's `utc_offset_seconds`), e.g. 7200 → UTC+2. */
export function offsetZone(seconds: number): Zone {
  if (!Number.isInteger(seconds) || Math.abs(seconds) > 18 * 3600 || seconds % 60 !== 0) {
    throw new TimeConfigError(`UTC offset of ${seconds} s is not a whole number of minutes within ±18 h`);
  }
  return FixedOffsetZone.instance(seconds / 60);
}

/** Checks declared options once (at definition time). Throws TimeConfigError. */
export function assertTimeOptions(opts: TimeParseOptions): void {
  resolveZone(opts.zone);
  const formats = opts.format === undefined ? [] : typeof opts.format === 'string' ? [opts.format] : opts.format;
  if (opts.format !== undefined && formats.length === 0) throw new TimeConfigError('time format list is empty');
  for (const f of formats) if (typeof f !== 'string' || f.trim() === '') throw new TimeConfigError('time format must be a non-empty string');
}

/** Canonical text of an instant (see {@link Instant.iso}). */
export function canonicalIso(epochMs: number, micros = 0): string {
  const base = new Date(epochMs).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ for years 0000–9999
  return `${base.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : v instanceof Date ? v.toISOString() : JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

function done(dt: DateTime, micros: number, raw: unknown): TimeParseResult {
  const ms = dt.toMillis();
  if (!(ms >= MIN_MS && ms <= MAX_MS)) return { ok: false, reason: `${show(raw)} is outside the supported years 0001–9999` };
  return { ok: true, instant: { epochMs: ms, micros, iso: canonicalIso(ms, micros) } };
}

/** Fraction of seconds after `HH:MM:SS` with more than 3 digits: luxon keeps milliseconds only. */
const LONG_FRACTION = /(:\d{2})[.,](\d{4,})/;

/**
 * Parses one value as an instant, following the module's rules. Never throws for bad data (the
 * reason says what is wrong, quoting the value); throws TimeConfigError for a bad zone.
 */
export function parseInstant(value: unknown, opts: TimeParseOptions = {}): TimeParseResult {
  // The same text again (a day's partition repeats its date on every row): the same answer. A
  // pure function of (value, format, zone), so one remembered entry is exact.
  if (typeof value === 'string' && value === last.value && opts.format === last.format && opts.zone === last.zone) return last.result;
  const result = parseInstantUncached(value, opts);
  if (typeof value === 'string') {
    last.value = value;
    last.format = opts.format;
    last.zone = opts.zone;
    last.result = result;
  }
  return result;
}

/** The last string {@link parseInstant} read, with its options and answer. */
const last: { value: string | undefined; format: TimeParseOptions['format']; zone: TimeParseOptions['zone']; result: TimeParseResult } = {
  value: undefined,
  format: undefined,
  zone: undefined,
  result: { ok: false, reason: '' },
};

function parseInstantUncached(value: unknown, opts: TimeParseOptions): TimeParseResult {
  if (typeof value === 'string' && opts.format === undefined) {
    const fast = parseIsoFast(value, opts.zone === undefined || opts.zone === 'UTC' || opts.zone === 'Z' || opts.zone === 'GMT');
    if (fast) return fast;
  }
  return parseInstantWithLuxon(value, opts);
}

// The common strict forms: YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,9}]]][Z|±HH[[:]MM]].
const ISO_FAST = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The same reading as the luxon path for the forms sources write most (ISO 8601 and PostgreSQL's,
 * years 100–9999, a value with an offset, or zone-less in UTC), without luxon's cost per value
 * (tens of µs: it dominated the placement of a million CSV rows). Returns undefined for anything
 * else — other zones (DST rules), leap seconds, hour 24, odd offsets, bad values — which then take
 * the luxon path, so reasons and edge cases stay exactly its own. Equivalence is unit-tested.
 */
function parseIsoFast(value: string, utcZone: boolean): TimeParseResult | undefined {
  const m = ISO_FAST.exec(value.trim());
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, off] = m;
  if (off === undefined && !utcZone) return undefined;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  if (y < 100 || mo < 1 || mo > 12 || d < 1) return undefined;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return undefined;
  const h = hs === undefined ? 0 : Number(hs);
  const mi = mis === undefined ? 0 : Number(mis);
  const sec = ss === undefined ? 0 : Number(ss);
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  let ms = 0;
  let micros = 0;
  if (frac !== undefined) {
    if (frac.length > 6 && /[1-9]/.test(frac.slice(6))) return undefined;
    const f = frac.padEnd(6, '0');
    ms = Number(f.slice(0, 3));
    micros = Number(f.slice(3, 6));
  }
  let offsetMin = 0;
  if (off !== undefined && off !== 'Z' && off !== 'z') {
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 18 || om > 59 || (digits.length !== 2 && digits.length !== 4)) return undefined;
    offsetMin = (off[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const epochMs = Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMin * 60_000;
  if (!(epochMs >= MIN_MS && epochMs <= MAX_MS)) return undefined;
  return { ok: true, instant: { epochMs, micros, iso: canonicalIso(epochMs, micros) } };
}

/**
 * {@link parseInstant} through luxon only (no fast path): every form, zone and declared format.
 * Exported for the test that proves the fast path reads exactly as this does.
 */
export function parseInstantWithLuxon(value: unknown, opts: TimeParseOptions = {}): TimeParseResult {
  const zone = resolveZone(opts.zone);
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) return { ok: false, reason: 'invalid Date' };
    return done(DateTime.fromMillis(ms, { zone: 'UTC' }), 0, value);
  }
  const formats = opts.format === undefined ? undefined : typeof opts.format === 'string' ? [opts.format] : opts.format;
  if (formats && formats.length === 1 && isNumericFormat(formats[0]!)) return parseNumeric(value, formats[0] as NumericTimeFormat, zone);
  if (typeof value !== 'string') {
    if (value === null || value === undefined) return { ok: false, reason: `missing: ${NOT_A_TIME}` };
    return { ok: false, reason: `expected a date/time text, got ${typeof value} ${show(value)}${typeof value === 'number' ? ' (declare a numeric time format: unix-s, unix-ms, excel-serial)' : ''}` };
  }
  const text = value.trim();
  if (text === '') return { ok: false, reason: `empty: ${NOT_A_TIME}` };
  if (formats) {
    for (const f of formats) {
      if (isNumericFormat(f)) {
        const r = parseNumeric(text, f, zone);
        if (r.ok) return r;
        continue;
      }
      const dt = DateTime.fromFormat(text, f, { zone, setZone: true });
      if (dt.isValid) return checkGap(dt, text, zone, (t, z) => DateTime.fromFormat(t, f, z), value);
    }
    return { ok: false, reason: `${show(value)} does not match the declared time format ${formats.map((f) => JSON.stringify(f)).join(' or ')}` };
  }
  // Built-in forms need the extended calendar date first (2024-05-01 or 2024/05/01): a bare
  // 20240501 or 2024 is more likely a number than a date, and day/month order is never guessed.
  const c0 = text.charCodeAt(4);
  const c1 = text.charCodeAt(7);
  if (!(text.length >= 10 && (c0 === 45 || c0 === 47) && c1 === c0)) {
    return { ok: false, reason: `${show(value)} ${NOT_A_TIME}` };
  }
  let micros = 0;
  let t = text;
  const frac = LONG_FRACTION.exec(text);
  if (frac) {
    const digits = frac[2]!;
    if (/[1-9]/.test(digits.slice(6))) return { ok: false, reason: `${show(value)} has more precision than microseconds, which PostgreSQL cannot store` };
    micros = Number(digits.slice(3, 6).padEnd(3, '0'));
    t = text.replace(LONG_FRACTION, `$1.${digits.slice(0, 3)}`);
  }
  const candidates: ((s: string, o: { zone: Zone; setZone: boolean }) => DateTime)[] =
    c0 === 47
      ? [(s, o) => DateTime.fromFormat(s, 'yyyy/MM/dd HH:mm:ss', o), (s, o) => DateTime.fromFormat(s, 'yyyy/MM/dd HH:mm', o), (s, o) => DateTime.fromFormat(s, 'yyyy/MM/dd', o)]
      : [(s, o) => DateTime.fromISO(s, o), (s, o) => DateTime.fromSQL(s, o)];
  let explanation: string | null = null;
  for (const parse of candidates) {
    const dt = parse(t, { zone, setZone: true });
    if (dt.isValid) {
      // ISO allows an hour alone (T13); a CSV time of "2024-05-01T13" is more likely a partition key typo.
      if (/[T ]\d{2}(?![:\d])/.test(t)) return { ok: false, reason: `${show(value)} has an hour without minutes` };
      const r = checkGap(dt, t, zone, parse, value);
      return r.ok ? { ok: true, instant: { ...r.instant, micros, iso: canonicalIso(r.instant.epochMs, micros) } } : r;
    }
    explanation ??= dt.invalidReason === 'unparsable' ? null : dt.invalidExplanation;
  }
  return {
    ok: false,
    reason: explanation
      ? `${show(value)} is not an ISO date or date-time that exists: ${explanation}`
      : `${show(value)} ${NOT_A_TIME}`,
  };
}

/**
 * Refuses a zone-less wall time the zone skips: parsed in the zone and in UTC, the wall clocks
 * differ only when luxon had to move the time out of a DST gap (values with an offset keep theirs).
 */
function checkGap(
  dt: DateTime,
  text: string,
  zone: Zone,
  parse: (s: string, o: { zone: Zone; setZone: boolean }) => DateTime,
  raw: unknown,
): TimeParseResult {
  const wall = parse(text, { zone: FixedOffsetZone.utcInstance, setZone: true });
  const fmt = "yyyy-MM-dd'T'HH:mm:ss.SSS";
  if (wall.isValid && wall.toFormat(fmt) !== dt.toFormat(fmt)) {
    return { ok: false, reason: `${show(raw)} does not exist in time zone ${zone.name} (skipped by a daylight-saving change)` };
  }
  return done(dt, 0, raw);
}

function isNumericFormat(f: string): f is NumericTimeFormat {
  return (Object.values(NumericTimeFormat) as string[]).includes(f);
}

function parseNumeric(value: unknown, format: NumericTimeFormat, zone: Zone): TimeParseResult {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[+-]?\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(n)) return { ok: false, reason: `${show(value)} is not a number (declared time format ${format})` };
  if (format === NumericTimeFormat.UNIX_SECONDS) return done(DateTime.fromMillis(Math.round(n * 1000), { zone: 'UTC' }), 0, value);
  if (format === NumericTimeFormat.UNIX_MILLIS) {
    if (!Number.isInteger(n)) return { ok: false, reason: `${show(value)} is not a whole number of milliseconds` };
    return done(DateTime.fromMillis(n, { zone: 'UTC' }), 0, value);
  }
  // Excel serial: wall time in the declared zone, to the millisecond.
  const wall = DateTime.fromMillis(EXCEL_EPOCH_MS + Math.round(n * DAY_MS), { zone: 'UTC' });
  const dt = DateTime.fromObject(wall.toObject(), { zone });
  if (!dt.isValid || dt.toFormat('yyyy-MM-dd HH:mm:ss.SSS') !== wall.toFormat('yyyy-MM-dd HH:mm:ss.SSS')) {
    return { ok: false, reason: `${show(value)} is not a wall time that exists in time zone ${zone.name}` };
  }
  return done(dt, 0, value);
}
