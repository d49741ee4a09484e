/**
 * Small zod building blocks for raw records whose values arrive as text (CSV) or loosely typed
 * JSON. They accept exactly one canonical form and reject the rest with a reason an operator can
 * act on, rather than guessing ("4 500€", "450,50" and "NaN" are rejected, not coerced).
 */
import { z } from 'zod';
import { assertTimeOptions, parseInstant, type TimeParseOptions } from './time';

export const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The canonical form of a decimal string: sign, significant digits without leading or trailing
 * zeros, and the power of ten of its last digit ("-0012.500" → "-125e-1"); used to compare two
 * spellings of one decimal exactly.
 */
export function canonicalDecimal(s: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m) return s;
  const frac = m[3] ?? '';
  let exp = Number(m[4] ?? 0) - frac.length;
  let digits = ((m[2] ?? '') + frac).replace(/^0+/, '');
  if (digits === '') return '0';
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exp += trailing;
  return `${m[1] === '-' ? '-' : ''}${digits}e${exp}`;
}

/** Up to 15 digits, no exponent: e.g. "-12.50", "0.000123". */
const SHORT_DECIMAL_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)\s*$/;

/**
 * Whether a plain decimal string surely reads back exactly from the double nearest to it: at most
 * 15 digits and no exponent. Any decimal of 15 significant digits or fewer (within the normal range,
 * which 15 digits without an exponent cannot leave) survives decimal → double → shortest decimal
 * unchanged (IEEE 754 binary64 keeps 15 decimal digits: DBL_DIG in C's <float.h>), so the exact
 * comparison {@link decimal} makes is then known to pass without computing it.
 */
function fitsDouble(v: string): boolean {
  if (!SHORT_DECIMAL_RE.test(v)) return false;
  let digits = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  return digits <= 15;
}

/**
 * A finite number, given as a JSON number or a plain decimal string ("12.5", "-3", "1e3"), for
 * `double precision` columns. A string with more significant digits than a double keeps
 * ("523189076432153.91" would become ...153.94) is refused with a reason rather than silently
 * rounded: declare the column `numeric` and use {@link exactDecimal} for such values.
 */
export function decimal() {
  return z.unknown().transform((v, ctx) => {
    if (v === null || v === undefined || v === '') {
      ctx.addIssue({ code: 'custom', message: `missing value (${v === '' ? 'empty' : String(v)})` });
      return z.NEVER;
    }
    if (typeof v !== 'number' && typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected a number, got ${typeof v}` });
      return z.NEVER;
    }
    const n = typeof v === 'number' ? v : DECIMAL_RE.test(v.trim()) ? Number(v.trim()) : Number.NaN;
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `not a plain decimal number: ${JSON.stringify(v).slice(0, 80)}` });
      return z.NEVER;
    }
    if (typeof v === 'string' && !fitsDouble(v) && canonicalDecimal(v) !== canonicalDecimal(String(n))) {
      ctx.addIssue({
        code: 'custom',
        message: `${v.trim()} has more significant digits than a double keeps (it would become ${n}); use exactDecimal() and a numeric column`,
      });
      return z.NEVER;
    }
    return n;
  });
}

/**
 * An exact decimal for `numeric` columns (money, quantities): a plain decimal string or a JSON
 * number, kept as the string the source wrote (trimmed, a leading "+" dropped), never through a
 * float. Options bound it exactly (compared as decimals, not floats). Thousands separators,
 * currency signs and decimal commas are refused with a reason; parse those formats explicitly.
 */
export function exactDecimal(opts: { min?: string; max?: string; maxScale?: number } = {}) {
  return z.unknown().transform((v, ctx) => {
    if (v === null || v === undefined || v === '') {
      ctx.addIssue({ code: 'custom', message: `missing value (${v === '' ? 'empty' : String(v)})` });
      return z.NEVER;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) {
      ctx.addIssue({ code: 'custom', message: `not a finite number: ${v}` });
      return z.NEVER;
    }
    const s = typeof v === 'number' ? String(v) : typeof v === 'string' || typeof v === 'bigint' ? String(v).trim() : '';
    if (!DECIMAL_RE.test(s)) {
      ctx.addIssue({ code: 'custom', message: `not a plain decimal number: ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)?.slice(0, 80)}` });
      return z.NEVER;
    }
    const scale = /\.(\d*)/.exec(s.split(/[eE]/)[0] ?? '')?.[1]?.length ?? 0;
    if (opts.maxScale !== undefined && scale > opts.maxScale) {
      ctx.addIssue({ code: 'custom', message: `${s} has ${scale} decimal places, more than ${opts.maxScale}` });
      return z.NEVER;
    }
    if (opts.min !== undefined && compareDecimal(s, opts.min) < 0) {
      ctx.addIssue({ code: 'custom', message: `${s} is below ${opts.min}` });
      return z.NEVER;
    }
    if (opts.max !== undefined && compareDecimal(s, opts.max) > 0) {
      ctx.addIssue({ code: 'custom', message: `${s} is above ${opts.max}` });
      return z.NEVER;
    }
    return s.startsWith('+') ? s.slice(1) : s;
  });
}

/** Compares two decimal strings exactly: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const parse = (s: string) => {
    const c = canonicalDecimal(s);
    if (c === '0') return { neg: false, digits: '0', exp: 0 };
    const m = /^(-?)(\d+)e(-?\d+)$/.exec(c)!;
    return { neg: m[1] === '-', digits: m[2]!, exp: Number(m[3]) };
  };
  const x = parse(a);
  const y = parse(b);
  const sign = (v: { neg: boolean; digits: string }) => (v.digits === '0' ? 0 : v.neg ? -1 : 1);
  if (sign(x) !== sign(y)) return sign(x) < sign(y) ? -1 : 1;
  if (sign(x) === 0) return 0;
  // Same sign: the one with more digits before the point is larger (bounded work for any exponent);
  // then align to a common exponent and compare digit strings as integers.
  const magX = x.digits.length + x.exp;
  const magY = y.digits.length + y.exp;
  if (magX !== magY) return (magX < magY ? -1 : 1) * (x.neg ? -1 : 1);
  const e = Math.min(x.exp, y.exp);
  const xi = BigInt(x.digits + '0'.repeat(x.exp - e));
  const yi = BigInt(y.digits + '0'.repeat(y.exp - e));
  const cmp = xi === yi ? 0 : xi < yi ? -1 : 1;
  return x.neg ? -cmp : cmp;
}

/** An ISO calendar date YYYY-MM-DD that exists, in years 0001–9999 (PostgreSQL has no year 0000). */
export function isoDate() {
  return z.string().refine((s) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
    const r = parseInstant(s);
    return r.ok && r.instant.iso.startsWith(s);
  }, 'expected a date YYYY-MM-DD (years 0001–9999)');
}

/** An ISO local time at minute precision, YYYY-MM-DDTHH:MM (UTC), as Open-Meteo returns. */
export function isoMinute() {
  return z.string().refine((s) => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(s)) return false;
    const d = new Date(`${s}:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'expected a time YYYY-MM-DDTHH:MM');
}

/**
 * A point in time, read by core/time.ts (ISO 8601, PostgreSQL's and spreadsheets' forms, or the
 * declared `format`; zone-less values in the declared `zone`, default UTC). Outputs the canonical
 * UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so two spellings of one instant become one value (keys and
 * deduplication agree with what PostgreSQL stores). Use the same options as the source's
 * `timeFormat` / `timeZone`, so placement and the row agree.
 */
export function instant(opts: TimeParseOptions = {}) {
  assertTimeOptions(opts);
  return z.unknown().transform((v, ctx) => {
    const r = parseInstant(v, opts);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.reason });
      return z.NEVER;
    }
    return r.instant.iso;
  });
}

/** Spellings {@link strictBoolean} accepts (compared case-insensitively, after trimming). */
export const BOOLEAN_SPELLINGS = {
  true: ['true', 't', 'yes', 'y', '1', 'on'],
  false: ['false', 'f', 'no', 'n', '0', 'off'],
} as const;

/**
 * A boolean that means what it says: JSON `true`/`false`, the numbers 1/0, or one of
 * {@link BOOLEAN_SPELLINGS} (`true/false`, `t/f`, `yes/no`, `y/n`, `1/0`, `on/off`; any case — the
 * spellings PostgreSQL's boolean input accepts). Anything else (blank, `n/a`, `null`, `2`, `maybe`)
 * is rejected with the value quoted, so it is quarantined instead of guessed. Never use
 * `z.coerce.boolean()` for source data: it is JavaScript truthiness, so "false", "0" and "no" become true.
 */
export function strictBoolean() {
  return z.unknown().transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    if (v === 1 || v === 0) return v === 1;
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if ((BOOLEAN_SPELLINGS.true as readonly string[]).includes(s)) return true;
      if ((BOOLEAN_SPELLINGS.false as readonly string[]).includes(s)) return false;
    }
    ctx.addIssue({
      code: 'custom',
      message: `not a boolean: ${v === undefined ? 'missing' : JSON.stringify(v).slice(0, 80)} (expected true/false, t/f, yes/no, y/n, 1/0 or on/off)`,
    });
    return z.NEVER;
  });
}
