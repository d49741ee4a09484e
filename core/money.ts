/**
 * Money as business exports write it, read into exact decimal strings (never a float).
 *
 * Accepted (euro only; the sign € or the code EUR before or after, with or without a space, or none):
 * - plain decimals: `4500`, `4500.00`, `4500,5`, `-12.30`;
 * - grouped thousands: `4 500,00 €` (space, no-break space U+00A0, thin space U+2009 or narrow
 *   no-break space U+202F, as French spreadsheets and typesetting export), `4.500,00`, `4,500.00`, `4'500.00`, `1.234.567`, `1,234,567`;
 * - JSON numbers: `450`, `450.5` (their shortest decimal spelling, which is what the exporter wrote).
 *
 * Refused, each with a reason an operator can act on:
 * - ambiguous: one `,` or `.` followed by exactly three digits and nothing else (`4,500`, `1.200€`):
 *   it is a thousands separator in one locale and a decimal separator in another, and guessing
 *   changes the amount a thousandfold;
 * - badly grouped thousands (`45 00`, `4.50.000`), mixed group separators (`1.234 567`), two
 *   decimal separators, a decimal separator that also groups (`1,234,56`);
 * - more decimal places than allowed (2 for money unless told otherwise);
 * - another currency (`$`, `£`, `USD`, ...), text that is not an amount (`n/a`, `4500 euros`),
 *   empty values, non-finite numbers.
 *
 * Why hand-written: the task is a strict grammar over text, not arithmetic. The money libraries on
 * npm either parse through `Number` (currency.js: floats) or do not parse locale-formatted text at
 * all (dinero.js, big.js, decimal.js), and `Intl.NumberFormat` only formats. Nothing here touches a
 * float: digits are moved as text. Pure: no I/O, no Node modules (workflows may import core/).
 */
import { z } from 'zod';

/** The outcome of {@link parseMoney}: the exact amount, or why the text was refused. */
export type MoneyParseResult =
  | {
      readonly ok: true;
      /** Exact decimal text, `.` as decimal separator, no grouping, scale padded to `scale` (`"4500.00"`, `"-12.30"`). */
      readonly amount: string;
      /** The currency the text named (`EUR`), or null when it named none. */
      readonly currency: 'EUR' | null;
    }
  | { readonly ok: false; readonly reason: string };

/** Options of {@link parseMoney}. */
export interface MoneyParseOptions {
  /** Decimal places an amount may have, and that the result is padded to. @default 2 */
  readonly scale?: number;
  /** Refuse amounts that name no currency. @default false */
  readonly requireCurrency?: boolean;
}

/** Spaces a grouped amount may use between thousands: space, no-break space, narrow no-break space. */
const SPACES = /[ \u00a0\u2009\u202f]/g;
const GROUP_CHARS = new Set([' ', '\u00a0', '\u2009', '\u202f', '.', ',', "'"]);
const OTHER_CURRENCY = /(\$|£|¥|₣|CHF|USD|GBP|JPY|CAD|AUD)/i;

/**
 * Parses one amount as exported (see the module comment for the accepted and refused forms).
 * Never throws for bad input: returns `{ ok: false, reason }`.
 */
export function parseMoney(input: unknown, opts: MoneyParseOptions = {}): MoneyParseResult {
  const scale = opts.scale ?? 2;
  if (input === null || input === undefined) return { ok: false, reason: 'missing amount' };
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, reason: `not a finite number: ${input}` };
    // String(n) is the shortest text that reads back as n: the exporter's digits, not binary noise.
    const text = String(input);
    if (/e/i.test(text)) return { ok: false, reason: `number ${text} is not a plain amount` };
    return finish(text.startsWith('-') ? '-' : '', text.replace('-', '').split('.')[0]!, text.split('.')[1] ?? '', scale, null, text, opts);
  }
  if (typeof input !== 'string') return { ok: false, reason: `expected an amount as text or number, got ${typeof input}` };
  const original = input;
  let s = input.trim();
  if (s === '') return { ok: false, reason: 'missing amount (empty)' };
  if (OTHER_CURRENCY.test(s)) return { ok: false, reason: `${quote(original)} is not in euros (only € / EUR are accepted)` };
  let currency: 'EUR' | null = null;
  const marks = s.match(/€|\bEUR\b/gi) ?? [];
  if (marks.length > 1) return { ok: false, reason: `${quote(original)} names the currency twice` };
  if (marks.length === 1) {
    const m = /^(€|EUR)[ \u00a0\u2009\u202f]*(.*)$/i.exec(s) ?? /^(.*?)[ \u00a0\u2009\u202f]*(€|EUR)$/i.exec(s);
    if (!m) return { ok: false, reason: `${quote(original)}: the currency must come before or after the amount` };
    s = (/^(€|EUR)$/i.test(m[1]!) ? m[2] : m[1])!.trim();
    currency = 'EUR';
  }
  let sign = '';
  if (/^[+-]/.test(s)) {
    sign = s[0] === '-' ? '-' : '';
    s = s.slice(1).trimStart();
  }
  if (!/^[0-9 \u00a0\u2009\u202f.,']+$/.test(s) || !/^\d/.test(s) || !/\d$/.test(s)) {
    return { ok: false, reason: `${quote(original)} is not an amount (expected digits, optional thousands separators, a decimal part and €)` };
  }
  for (let i = 1; i < s.length; i++) {
    if (GROUP_CHARS.has(s[i]!) && GROUP_CHARS.has(s[i - 1]!)) return { ok: false, reason: `${quote(original)} has two separators in a row` };
  }
  const seps = [...s].filter((ch) => GROUP_CHARS.has(ch));
  const kinds = new Set(seps.map((ch) => (ch.match(SPACES) ? ' ' : ch)));
  let intPart: string;
  let fracPart = '';
  let decimalSep: string | undefined;
  if (kinds.size === 0) {
    intPart = s;
  } else if (kinds.size === 1) {
    const [k] = [...kinds] as [string];
    const count = seps.length;
    if (k === ' ' || k === "'" || count > 1) {
      // Spaces and apostrophes only ever group; a `.` or `,` seen twice cannot be the decimal separator.
      intPart = s;
    } else {
      const [before, after] = s.split(k) as [string, string];
      // More than three digits (or a lone 0) before it: it cannot group thousands, so it is decimal.
      if (after.length === 3 && before.length <= 3 && before !== '0') {
        return {
          ok: false,
          reason: `${quote(original)} is ambiguous: "${k}" followed by three digits may separate thousands (${before}${after}) or decimals (${before}.${after}); export with two decimals (${before}${after},00) or without grouping`,
        };
      }
      intPart = before;
      fracPart = after;
      decimalSep = k;
    }
  } else {
    // Two kinds: the last separator is the decimal one, every other separator groups.
    const last = s.search(/[.,][0-9]*$/);
    if (last < 0) return { ok: false, reason: `${quote(original)}: the decimal separator must be "." or ","` };
    decimalSep = s[last]!;
    intPart = s.slice(0, last);
    fracPart = s.slice(last + 1);
    if (intPart.includes(decimalSep)) return { ok: false, reason: `${quote(original)}: "${decimalSep}" is used both to group thousands and as decimal separator` };
    const groupKinds = new Set([...intPart].filter((ch) => GROUP_CHARS.has(ch)).map((ch) => (ch.match(SPACES) ? ' ' : ch)));
    if (groupKinds.size > 1) return { ok: false, reason: `${quote(original)} mixes thousands separators (${[...groupKinds].map((g) => JSON.stringify(g)).join(', ')})` };
  }
  if (/[^0-9]/.test(intPart)) {
    const groups = intPart.split(/[ \u00a0\u2009\u202f.,']/);
    if (!/^\d{1,3}$/.test(groups[0]!) || groups.slice(1).some((g) => !/^\d{3}$/.test(g))) {
      return { ok: false, reason: `${quote(original)}: thousands must be grouped by three digits (e.g. 1 234 567,89)` };
    }
    if (groups[0] === '0') return { ok: false, reason: `${quote(original)}: a grouped amount cannot start with 0` };
    intPart = groups.join('');
  }
  if (decimalSep !== undefined && fracPart === '') return { ok: false, reason: `${quote(original)} ends with a decimal separator` };
  return finish(sign, intPart, fracPart, scale, currency, original, opts);
}

function finish(sign: string, intPart: string, fracPart: string, scale: number, currency: 'EUR' | null, original: string, opts: MoneyParseOptions): MoneyParseResult {
  if (fracPart.length > scale) {
    return { ok: false, reason: `${quote(original)} has ${fracPart.length} decimal places, more than the ${scale} an amount may have` };
  }
  if (opts.requireCurrency && currency === null) return { ok: false, reason: `${quote(original)} names no currency (expected € or EUR)` };
  const int = intPart.replace(/^0+(?=\d)/, '');
  const frac = fracPart.padEnd(scale, '0');
  const isZero = /^0*$/.test(int + frac);
  return { ok: true, amount: `${isZero ? '' : sign}${int}${scale > 0 ? `.${frac}` : ''}`, currency };
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/** True when the exact decimal text from {@link parseMoney} is strictly above zero. */
export function isPositiveAmount(amount: string): boolean {
  return !amount.startsWith('-') && /[1-9]/.test(amount);
}

/** Options of the {@link money} schema helper. */
export interface MoneySchemaOptions extends MoneyParseOptions {
  /** Refuse zero and negative amounts (an invoice of 0 € or -450 € is an error, not a credit note). @default false */
  readonly positive?: boolean;
}

/**
 * Zod helper: an amount in any accepted export format (see {@link parseMoney}) → its exact decimal
 * text, for a `numeric` column. Refused values become a quarantine reason naming the field, e.g.
 * `amount: "4,500" is ambiguous: ...` or `amount: must be greater than 0, got -450.00`.
 */
export function money(opts: MoneySchemaOptions = {}) {
  return z.unknown().optional().transform((v, ctx) => {
    const r = parseMoney(v, opts);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.reason });
      return z.NEVER;
    }
    if (opts.positive && !isPositiveAmount(r.amount)) {
      ctx.addIssue({ code: 'custom', message: `must be greater than 0, got ${r.amount}` });
      return z.NEVER;
    }
    return r.amount;
  });
}
