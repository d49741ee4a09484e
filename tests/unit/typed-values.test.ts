/**
 * Values meet the target column's type exactly before they reach PostgreSQL
 * (activities/typed-values.ts), and the schema helpers keep decimals exact (core/schema-helpers.ts):
 * every value the database would refuse or change is refused here with a reason.
 */
import { describe, expect, it } from 'vitest';
import { canonicalDecimal, encodeValue, sameDecimal, ValueRejected } from '../../activities/typed-values';
import { compareDecimal, decimal, exactDecimal } from '../../core/schema-helpers';

const rejects = (type: Parameters<typeof encodeValue>[0], v: unknown, reason: RegExp) => {
  expect(() => encodeValue(type, v)).toThrow(ValueRejected);
  expect(() => encodeValue(type, v)).toThrow(reason);
};

describe('integer and bigint: whole numbers within the type', () => {
  it.each([
    ['integer', 2147483647, '2147483647'],
    ['integer', -2147483648, '-2147483648'],
    ['integer', '42', '42'],
    ['bigint', 9223372036854775807n, '9223372036854775807'],
    ['bigint', '9007199254740993', '9007199254740993'],
    ['bigint', -9223372036854775808n, '-9223372036854775808'],
  ] as const)('%s %s → %s', (type, v, out) => expect(encodeValue(type, v)).toBe(out));

  it('refuses values out of range, naming the type and its range', () => {
    rejects('integer', 3000000000, /3000000000 is out of range for type integer \(-2147483648 to 2147483647\)/);
    rejects('integer', '-2147483649', /out of range for type integer/);
    rejects('bigint', '9223372036854775808', /out of range for type bigint/);
  });
  it('refuses fractions, unsafe JS integers and non-numbers', () => {
    rejects('integer', 1.5, /not a whole number/);
    rejects('bigint', 9007199254740993, /beyond the exact range of a JS number/);
    rejects('integer', 'twelve', /not a whole number/);
    rejects('integer', true, /not a whole number/);
  });
});

describe('numeric and double precision: exact', () => {
  it.each(['523189076432153.91', '98765432109876543210', '0.9876543210987654321', '9007199254740993', '12345678.123456789', '-0.000001', '1e-30'])(
    'numeric keeps %s as written',
    (v) => expect(encodeValue('numeric', v)).toBe(v),
  );
  it('numeric from a bigint or a number', () => {
    expect(encodeValue('numeric', 9007199254740993n)).toBe('9007199254740993');
    expect(encodeValue('numeric', 0.1)).toBe('0.1');
  });
  it('double precision writes the shortest round-trip form of the number', () => {
    for (const n of [0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -0, 123456789.123]) expect(Number(encodeValue('double precision', n))).toBe(n);
  });
  it('double precision refuses a decimal string it would round, and non-finite numbers', () => {
    rejects('double precision', '523189076432153.91', /more significant digits than a double precision keeps \(it would load as 523189076432153\.9/);
    rejects('double precision', Number.NaN, /not a finite number/);
    rejects('numeric', Number.POSITIVE_INFINITY, /not a finite number/);
    rejects('numeric', '4 500,00 €', /not a number/);
  });
  it('compares decimals exactly', () => {
    expect(canonicalDecimal('-0012.500')).toBe('-125e-1');
    expect(sameDecimal('0.10', '1e-1')).toBe(true);
    expect(sameDecimal('1000', '1e3')).toBe(true);
    expect(sameDecimal('0.1', '0.10000000000000001')).toBe(false);
    expect(compareDecimal('98765432109876543210', '98765432109876543209.999')).toBe(1);
    expect(compareDecimal('-1e-400', '0')).toBe(-1);
    expect(compareDecimal('1e999999', '2')).toBe(1);
    expect(compareDecimal('2.50', '2.5')).toBe(0);
  });
});

describe('schema helpers', () => {
  it('decimal() refuses a string a double would round instead of changing it', () => {
    const r = decimal().safeParse('523189076432153.91');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/more significant digits than a double keeps .*use exactDecimal\(\)/);
    expect(decimal().parse('12.5')).toBe(12.5);
    expect(decimal().parse('0.10')).toBe(0.1);
  });
  it('exactDecimal() keeps the source text and bounds it exactly', () => {
    expect(exactDecimal().parse(' +523189076432153.91 ')).toBe('523189076432153.91');
    expect(exactDecimal().parse(12.5)).toBe('12.5');
    expect(exactDecimal({ min: '0' }).safeParse('-0.01').success).toBe(false);
    expect(exactDecimal({ max: '99999999999999999999' }).safeParse('100000000000000000000').success).toBe(false);
    expect(exactDecimal({ maxScale: 2 }).safeParse('1.005').error?.issues[0]?.message).toBe('1.005 has 3 decimal places, more than 2');
    expect(exactDecimal().safeParse('4 500,00').success).toBe(false);
  });
});

describe('dates and times', () => {
  it('date: existing days of years 1–9999, or a Date as its UTC day', () => {
    expect(encodeValue('date', '2024-02-29')).toBe('2024-02-29');
    expect(encodeValue('date', new Date(Date.UTC(2024, 4, 1, 23, 30)))).toBe('2024-05-01');
    rejects('date', '2023-02-29', /not a date YYYY-MM-DD that exists/);
    rejects('date', '10000-01-01', /not a date/);
    rejects('date', new Date(Date.UTC(-1, 0, 1)), /outside the years 1–9999/);
  });
  it('timestamptz: instants only, microseconds kept', () => {
    expect(encodeValue('timestamptz', '2024-05-01 15:45:10.123456+02')).toBe('2024-05-01 15:45:10.123456+02');
    expect(encodeValue('timestamptz', new Date(Date.UTC(2024, 4, 1, 13, 5)))).toBe('2024-05-01T13:05:00.000Z');
    rejects('timestamptz', '2024-05-01 13:00', /has no zone or offset/);
    rejects('timestamptz', '2024-05-01T25:00:00Z', /not a time that exists/);
    rejects('timestamptz', new Date(Number.NaN), /Invalid Date/);
  });
});

describe('text, boolean and jsonb: what PostgreSQL can store', () => {
  it('escapes COPY specials and keeps any valid Unicode', () => {
    expect(encodeValue('text', 'a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(encodeValue('text', 'émoji 🎉 ok')).toBe('émoji 🎉 ok');
  });
  it('refuses NUL and lone surrogates', () => {
    rejects('text', 'a\u0000b', /NUL character/);
    rejects('text', '11.5 \ud83c', /lone UTF-16 surrogate/);
    rejects('jsonb', { t: '11.5 \ud83c' }, /lone UTF-16 surrogate/);
    rejects('jsonb', { t: 'a\u0000' }, /NUL/);
    expect(encodeValue('jsonb', { t: '🎉' })).toBe('{"t":"🎉"}');
  });
  it('booleans are booleans', () => {
    expect(encodeValue('boolean', false)).toBe('f');
    rejects('boolean', 'false', /not a boolean/);
    rejects('boolean', 0, /not a boolean/);
  });
  it('null and undefined are SQL NULL', () => {
    expect(encodeValue('integer', null)).toBe('\\N');
    expect(encodeValue('text', undefined)).toBe('\\N');
  });
  it('jsonb refuses what JSON cannot hold', () => {
    rejects('jsonb', { n: 1n }, /cannot be written as JSON/);
  });
});
