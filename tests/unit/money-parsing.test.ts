/**
 * Money parsing (core/money.ts): every accepted export format gives the exact decimal text, every
 * refused one gives a reason that says why; the zod helper turns those into quarantine messages.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isPositiveAmount, money, parseMoney } from '../../core/money';

const NBSP = '\u00a0';
const NNBSP = '\u202f';
const THIN = '\u2009';

describe('parseMoney: accepted formats', () => {
  it.each([
    ['4500€', '4500.00', 'EUR'],
    ['450€', '450.00', 'EUR'],
    ['450 €', '450.00', 'EUR'],
    ['4 500,00 €', '4500.00', 'EUR'],
    [`4${NBSP}500,00${NBSP}€`, '4500.00', 'EUR'],
    [`4${NNBSP}500,00${NNBSP}€`, '4500.00', 'EUR'],
    ['4500.00', '4500.00', null],
    ['4.500,00', '4500.00', null],
    ['4,500.00', '4500.00', null],
    ["4'500.00", '4500.00', null],
    ['4500,5', '4500.50', null],
    ['4500,50€', '4500.50', 'EUR'],
    ['4500', '4500.00', null],
    ['1.234.567', '1234567.00', null],
    ['1,234,567', '1234567.00', null],
    ['1 234 567,89', '1234567.89', null],
    ['1.234.567,89 EUR', '1234567.89', 'EUR'],
    ['EUR 4500', '4500.00', 'EUR'],
    ['€4,500.00', '4500.00', 'EUR'],
    ['-4 500,00 €', '-4500.00', 'EUR'],
    ['-4500.00', '-4500.00', null],
    ['+12.3', '12.30', null],
    ['0€', '0.00', 'EUR'],
    ['-0,00', '0.00', null],
    ['0,50', '0.50', null],
    ['  4500€  ', '4500.00', 'EUR'],
    ['12345.67', '12345.67', null],
    [`4${THIN}500,00${THIN}€`, '4500.00', 'EUR'],
    [`4${THIN}500,00 €`, '4500.00', 'EUR'],
    [`1${NBSP}234${NBSP}567,89`, '1234567.89', null],
    ['4 500 €', '4500.00', 'EUR'],
    ['4500,00 EUR', '4500.00', 'EUR'],
    ['4.500,00€', '4500.00', 'EUR'],
    ['1 234,5', '1234.50', null],
    ['12,345,678', '12345678.00', null],
  ])('%j → %s', (text, amount, currency) => {
    expect(parseMoney(text)).toEqual({ ok: true, amount, currency });
  });

  it('reads JSON numbers by their shortest decimal spelling, never through binary noise', () => {
    expect(parseMoney(450)).toEqual({ ok: true, amount: '450.00', currency: null });
    expect(parseMoney(450.1)).toEqual({ ok: true, amount: '450.10', currency: null });
    expect(parseMoney(-3.05)).toEqual({ ok: true, amount: '-3.05', currency: null });
    expect(parseMoney(0.1 + 0.2)).toMatchObject({ ok: false, reason: expect.stringMatching(/17 decimal places/) });
  });

  it('keeps amounts beyond a double exactly', () => {
    expect(parseMoney('9 007 199 254 740 993,01 €')).toEqual({ ok: true, amount: '9007199254740993.01', currency: 'EUR' });
  });

  it('pads or keeps the scale asked for', () => {
    expect(parseMoney('4500', { scale: 0 })).toEqual({ ok: true, amount: '4500', currency: null });
    expect(parseMoney('4,5', { scale: 4 })).toEqual({ ok: true, amount: '4.5000', currency: null });
  });
});

describe('parseMoney: refused formats, with a reason', () => {
  it.each([
    ['4,500', /ambiguous.*thousands.*\(4500\).*decimals \(4\.500\)/],
    ['4,500€', /ambiguous/],
    ['4,500 €', /ambiguous/],
    ['1,000', /ambiguous/],
    ['4.500', /ambiguous/],
    ['1.200€', /ambiguous/],
    ['-4,500', /ambiguous/],
    ['4500.000', /3 decimal places, more than the 2/],
    ['0,500', /3 decimal places/],
    ['4500,123 €', /3 decimal places/],
    ['45 00', /grouped by three/],
    ['4.50.000', /grouped by three/],
    ['1.234 567', /decimal separator must be|grouped/],
    ['1 234.567,00', /mixes thousands separators/],
    ['1,234,56', /grouped by three/],
    ['1.234,567.89', /used both to group thousands and as decimal separator|mixes/],
    ['4500.', /not an amount|ends with/],
    ['4500 USD', /not in euros/],
    ['CHF 4500', /not in euros/],
    ['4500 CHF', /not in euros/],
    ['4500 $', /not in euros/],
    ['¥4500', /not in euros/],
    ['TBD', /not an amount/],
    ['$4500', /not in euros/],
    ['£4500', /not in euros/],
    ['4500 € €', /currency twice/],
    ['45€00', /before or after/],
    ['n/a', /not an amount/],
    ['quatre mille', /not an amount/],
    ['45OO€', /not an amount/],
    ['4500 euros', /not an amount/],
    ['--4500', /not an amount/],
    ['4  500', /two separators in a row/],
    ['', /missing amount/],
    ['   ', /missing amount/],
  ])('%j', (text, reason) => {
    const r = parseMoney(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('refuses missing values, non-finite numbers and other types', () => {
    expect(parseMoney(null)).toEqual({ ok: false, reason: 'missing amount' });
    expect(parseMoney(undefined)).toEqual({ ok: false, reason: 'missing amount' });
    expect(parseMoney(Number.NaN)).toMatchObject({ ok: false, reason: expect.stringMatching(/finite/) });
    expect(parseMoney(Infinity)).toMatchObject({ ok: false });
    expect(parseMoney(1e21)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a plain amount/) });
    expect(parseMoney({ amount: 1 })).toMatchObject({ ok: false, reason: expect.stringMatching(/object/) });
  });

  it('can require a currency', () => {
    expect(parseMoney('4500', { requireCurrency: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/names no currency/) });
    expect(parseMoney('4500€', { requireCurrency: true })).toMatchObject({ ok: true });
  });
});

describe('money() schema helper', () => {
  const schema = z.object({ amount: money({ positive: true }) });

  it('gives the exact text for a valid amount', () => {
    expect(schema.parse({ amount: '4 500,00 €' })).toEqual({ amount: '4500.00' });
  });

  it.each([
    ['0€', /must be greater than 0, got 0\.00/],
    ['0', /must be greater than 0, got 0\.00/],
    ['0,00 €', /must be greater than 0, got 0\.00/],
    ['-0', /must be greater than 0, got 0\.00/],
    ['-450€', /must be greater than 0, got -450\.00/],
    ['-4 500,00 €', /must be greater than 0, got -4500\.00/],
    ['-0,01', /must be greater than 0, got -0\.01/],
    ['4,500', /ambiguous/],
    ['4500 USD', /not in euros/],
    ['n/a', /not an amount/],
  ])('refuses %j naming the field', (amount, reason) => {
    const r = schema.safeParse({ amount });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['amount']);
    expect(r.error?.issues[0]?.message).toMatch(reason);
  });

  it('names a missing key as a missing amount (JSON records may omit it)', () => {
    const r = schema.safeParse({});
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['amount', 'missing amount']]);
  });

  it('accepts zero and negatives unless told positive', () => {
    expect(money().parse('-12,50')).toBe('-12.50');
  });

  it('isPositiveAmount', () => {
    expect([isPositiveAmount('0.01'), isPositiveAmount('0.00'), isPositiveAmount('-1.00'), isPositiveAmount('10')]).toEqual([true, false, false, true]);
  });
});
