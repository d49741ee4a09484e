/**
 * Encodes the values a pipeline's transform produced into PostgreSQL's COPY text format for the
 * target column's declared type, checking first that the database will take the value exactly as
 * it is — so a bad value is a quarantined row naming its field, never a database error at load:
 *
 * - `integer` / `bigint`: whole numbers within the type's range (-2^31..2^31-1, -2^63..2^63-1),
 *   given as a safe JS integer, a bigint or an integer string ("9007199254740993" stays exact);
 * - `numeric`: an exact decimal string ("523189076432153.91"), a bigint, or a JS number (written as
 *   its shortest round-trip form, which is the value the number holds);
 * - `double precision`: a finite JS number (or a decimal string), written in its shortest
 *   round-trip form, so the float PostgreSQL stores is the one the transform produced;
 * - `boolean`: `true` / `false` only (parse spellings in the schema, not here);
 * - `date`: `YYYY-MM-DD` that exists, or a Date (its UTC day), years 1–9999;
 * - `timestamptz`: a Date, or an ISO 8601 date-time string with `Z` or an offset (microseconds
 *   kept); a zone-less string is refused here: times are instants once parsed (ARCHITECTURE.md inv. 7);
 * - `text`: any string PostgreSQL can store: no NUL character, no lone UTF-16 surrogate;
 * - `jsonb`: any JSON value without NUL characters or lone surrogates.
 *
 * Pure: no I/O. Ranges and rules from PostgreSQL's documentation, "Data Types" (8.1 numeric types,
 * 8.5 date/time types, 8.14 JSON types) and "COPY" (text format escapes).
 */
import type { SqlType } from '../core/pipeline';
import { canonicalDecimal, DECIMAL_RE } from '../core/schema-helpers';

export { canonicalDecimal };

/** A value the target column cannot take, with the reason (the caller adds file, line and field). */
export class ValueRejected extends Error {
  override readonly name = 'ValueRejected';
}

const INT_RE = /^[+-]?\d+$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;
// A lone surrogate, or a NUL, makes text PostgreSQL cannot store.
const UNSTORABLE_RE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// In JSON text: a \u0000 escape or an escaped lone surrogate (jsonb refuses both).
const UNSTORABLE_JSON_RE = /\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/;

const INT_RANGE = {
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
} as const;

/** Escapes a string for COPY's text format (backslash, newline, carriage return, tab). */
export function copyEscape(s: string): string {
  if (!/[\\\n\r\t]/.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

function integer(v: unknown, type: 'integer' | 'bigint'): string {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new ValueRejected(`${describe(v)} is not a whole number (column type ${type})`);
    if (!Number.isSafeInteger(v)) throw new ValueRejected(`${describe(v)} is beyond the exact range of a JS number; produce it as a bigint or a string`);
    n = BigInt(v);
  } else if (typeof v === 'string' && INT_RE.test(v.trim())) n = BigInt(v.trim());
  else throw new ValueRejected(`${describe(v)} is not a whole number (column type ${type})`);
  const [min, max] = INT_RANGE[type];
  if (n < min || n > max) throw new ValueRejected(`${n} is out of range for type ${type} (${min} to ${max})`);
  return n.toString();
}

function exactDecimal(v: unknown, type: 'numeric' | 'double precision'): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ValueRejected(`${describe(v)} is not a finite number (column type ${type})`);
    // The shortest string that reads back as the same double: exactly the value the number holds.
    return Object.is(v, -0) ? '-0' : String(v);
  }
  if (typeof v === 'bigint') {
    if (type === 'double precision' && (v > 2n ** 53n || v < -(2n ** 53n))) {
      throw new ValueRejected(`${v} has more digits than a double precision keeps; declare the column numeric`);
    }
    return v.toString();
  }
  if (typeof v === 'string' && DECIMAL_RE.test(v.trim())) {
    const s = v.trim();
    if (type === 'double precision') {
      const n = Number(s);
      if (!Number.isFinite(n)) throw new ValueRejected(`${describe(v)} is beyond the range of double precision`);
      if (!sameDecimal(s, String(n))) {
        throw new ValueRejected(`${describe(v)} has more significant digits than a double precision keeps (it would load as ${n}); declare the column numeric`);
      }
      return String(n);
    }
    return s;
  }
  throw new ValueRejected(`${describe(v)} is not a number (column type ${type})`);
}

/** Whether two decimal strings denote the same number exactly ("0.10" and "1e-1" do). */
export function sameDecimal(a: string, b: string): boolean {
  return canonicalDecimal(a) === canonicalDecimal(b);
}

function validYmd(y: number, mo: number, d: number): boolean {
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1) return false;
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

function date(v: unknown): string {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new ValueRejected('Invalid Date (column type date)');
    const y = v.getUTCFullYear();
    if (y < 1 || y > 9999) throw new ValueRejected(`${describe(v)} is outside the years 1–9999`);
    return v.toISOString().slice(0, 10);
  }
  if (typeof v === 'string') {
    const m = DATE_RE.exec(v.trim());
    if (m && validYmd(Number(m[1]), Number(m[2]), Number(m[3]))) return v.trim();
  }
  throw new ValueRejected(`${describe(v)} is not a date YYYY-MM-DD that exists (column type date)`);
}

function timestamptz(v: unknown): string {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new ValueRejected('Invalid Date (column type timestamptz)');
    const y = v.getUTCFullYear();
    if (y < 1 || y > 9999) throw new ValueRejected(`${describe(v)} is outside the years 1–9999`);
    return v.toISOString();
  }
  if (typeof v === 'string') {
    const s = v.trim();
    const m = TIMESTAMP_RE.exec(s);
    if (m) {
      const [, y, mo, d, h, mi, sec] = m;
      if (validYmd(Number(y), Number(mo), Number(d)) && Number(h) < 24 && Number(mi) < 60 && Number(sec ?? 0) < 60) return s;
      throw new ValueRejected(`${describe(v)} is not a time that exists (column type timestamptz)`);
    }
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(s)) {
      throw new ValueRejected(`${describe(v)} has no zone or offset: parse it into an instant (a Date) in the schema, with the source's declared zone`);
    }
  }
  throw new ValueRejected(`${describe(v)} is not a date-time with an offset (column type timestamptz)`);
}

function text(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') s = String(v);
  else throw new ValueRejected(`${describe(v)} is not text (column type text)`);
  if (UNSTORABLE_RE.test(s)) {
    throw new ValueRejected(s.includes('\u0000') ? 'contains a NUL character, which PostgreSQL text cannot store' : 'contains a lone UTF-16 surrogate (broken Unicode), which PostgreSQL text cannot store');
  }
  return s;
}

function jsonb(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (err) {
    throw new ValueRejected(`cannot be written as JSON: ${(err as Error).message}`);
  }
  if (s === undefined) throw new ValueRejected(`${describe(v)} is not a JSON value (column type jsonb)`);
  if (UNSTORABLE_JSON_RE.test(s)) throw new ValueRejected('holds a NUL character or a lone UTF-16 surrogate, which jsonb cannot store');
  return s;
}

/**
 * The COPY text field for `value` in a column of `type`: `\N` for null/undefined, else the escaped
 * text. Throws ValueRejected naming the reason when the column cannot take the value exactly.
 */
export function encodeValue(type: SqlType, value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  switch (type) {
    case 'integer':
    case 'bigint':
      return integer(value, type);
    case 'numeric':
    case 'double precision':
      return exactDecimal(value, type);
    case 'boolean':
      if (typeof value !== 'boolean') throw new ValueRejected(`${describe(value)} is not a boolean (parse spellings in the schema, e.g. with strictBoolean())`);
      return value ? 't' : 'f';
    case 'date':
      return date(value);
    case 'timestamptz':
      return copyEscape(timestamptz(value));
    case 'text':
      return copyEscape(text(value));
    case 'jsonb':
      return copyEscape(jsonb(value));
  }
}
