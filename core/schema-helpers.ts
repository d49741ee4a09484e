/**
 * Small zod building blocks for raw records whose values arrive as text (CSV) or loosely typed
 * JSON. They accept exactly one canonical form and reject the rest with a reason an operator can
 * act on, rather than guessing ("4 500€", "450,50" and "NaN" are rejected, not coerced).
 */
import { z } from 'zod';
import { assertTimeOptions, parseInstant, type TimeParseOptions } from './time';

const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A finite number, given as a JSON number or a plain decimal string ("12.5", "-3", "1e3"). */
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
    return n;
  });
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
