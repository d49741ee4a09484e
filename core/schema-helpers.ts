/**
 * Small zod building blocks for raw records whose values arrive as text (CSV) or loosely typed
 * JSON. They accept exactly one canonical form and reject the rest with a reason an operator can
 * act on, rather than guessing ("4 500€", "450,50" and "NaN" are rejected, not coerced).
 */
import { z } from 'zod';

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

/** An ISO calendar date YYYY-MM-DD that exists. */
export function isoDate() {
  return z.string().refine((s) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'expected a date YYYY-MM-DD');
}

/** An ISO local time at minute precision, YYYY-MM-DDTHH:MM (UTC), as Open-Meteo returns. */
export function isoMinute() {
  return z.string().refine((s) => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(s)) return false;
    const d = new Date(`${s}:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'expected a time YYYY-MM-DDTHH:MM');
}
