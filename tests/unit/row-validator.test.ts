/**
 * The fast accept path for row schemas (activities/row-validator.ts) accepts only rows zod accepts,
 * with zod's exact output, and leaves every other row to zod: checked on every pipeline of the
 * repository (and the schemas of the value round-trip tests) with generated records mixing good and
 * bad values, and on the bad-input corpus's files read as the CSV source reads them.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { compileRowSchema } from '../../activities/row-validator';
import { readCsvFiles } from '../../activities/sources/csv-files';
import { registry } from '../../pipelines/index';
import { cityWeather } from '../../pipelines/city-weather';
import { canonicalDecimal, decimal, exactDecimal, instant, isoDate, strictBoolean } from '../../core/schema-helpers';
import { WHOLE_TIME } from '../../activities/sources/landing-files';
import { mulberry32 } from '../../core/seeded-random';

const rng = mulberry32;

const POOL: unknown[] = [
  '', ' ', '0', '1', '-1', '12.5', ' 12.50 ', '+3', '1e3', '1e400', '-0', '523189076432153.91', 'abc', 'NaN', '4 500€', '450,50',
  'true', 'false', 'yes', 'n/a', '2024-05-01', '2012-01-01', '2024-02-30', '2024-05-01T13:00:00Z', '2024-05-01 13:00', '0000-01-01',
  'sun', 'rain', 'fog', 'snow', 'drizzle', 'hail', 'Zürich', 'x\u0000y', null, 1, 0, -5, 2.5, true, false, 70, -100,
];

/** Records over `keys` (plus sometimes a missing or an extra key) with values drawn from the pool and `extra`. */
function records(keys: readonly string[], seed: number, count: number, extra: readonly unknown[]): Record<string, unknown>[] {
  const r = rng(seed);
  const values = [...POOL, ...extra];
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const rec: Record<string, unknown> = {};
    for (const k of keys) if (r() > 0.02) rec[k] = values[Math.floor(r() * values.length)];
    if (r() < 0.05) rec.unexpected = 'x';
    out.push(rec);
  }
  return out;
}

/** Accepted by the fast path ⇒ accepted by zod with the same output (same keys, same values). */
function expectAgrees(schema: z.ZodType, recs: readonly Record<string, unknown>[]): { fast: number; zodOk: number } {
  const fast = compileRowSchema(schema);
  let nFast = 0;
  let nZod = 0;
  for (const rec of recs) {
    let zr: { success: boolean; data?: unknown } | undefined;
    try {
      zr = schema.safeParse(rec);
    } catch {
      zr = undefined; // a throwing transform: the fast path must not accept the row either
    }
    if (zr?.success) nZod++;
    const f = fast?.(rec);
    if (!f) continue;
    nFast++;
    expect(zr?.success, JSON.stringify(rec)).toBe(true);
    expect(f.value).toStrictEqual(zr!.data);
    expect(Object.keys(f.value as object)).toEqual(Object.keys(zr!.data as object));
  }
  return { fast: nFast, zodOk: nZod };
}

describe('fast accept path for row schemas', () => {
  for (const def of registry.pipelines) {
    it(`agrees with zod on ${def.name}'s schema`, () => {
      const shape = (def.schema as unknown as { shape?: Record<string, unknown>; _zod: { def: { shape?: Record<string, unknown>; in?: { _zod: { def: { shape?: object } } } } } })._zod.def;
      const keys = Object.keys(shape.shape ?? shape.in?._zod.def.shape ?? {});
      const extra = def.target.columns ? Object.keys(def.target.columns) : [];
      const res = expectAgrees(def.schema, records(keys, def.name.length * 7919, 3000, extra));
      expect(res.zodOk + res.fast).toBeGreaterThanOrEqual(res.fast);
    });
  }

  it('accepts every valid city_weather row (the fast path is taken), with zod output, and leaves bad ones to zod', () => {
    const r = rng(42);
    const recs: Record<string, unknown>[] = [];
    for (let i = 0; i < 5000; i++) {
      const tmax = Math.round((r() * 120 - 60) * 10) / 10;
      const tmin = Math.round((tmax - r() * 30) * 10) / 10;
      recs.push({
        location: r() < 0.05 ? '  ' : `  st-${i} `,
        date: r() < 0.03 ? '2012-02-30' : '2012-01-01',
        precipitation: r() < 0.03 ? '-1' : r() < 0.03 ? '1.00000000000000000001' : String(Math.round(r() * 300) / 10),
        temp_max: r() < 0.03 ? 'NaN' : tmax.toFixed(1),
        temp_min: r() < 0.05 ? String(tmax + 1) : tmin.toFixed(1),
        wind: r() < 0.03 ? '' : ` ${(r() * 9).toFixed(2)}`,
        weather: r() < 0.03 ? 'hail' : ['sun', 'rain', 'fog', 'snow', 'drizzle'][i % 5],
      });
    }
    const res = expectAgrees(cityWeather.schema, recs);
    expect(res.zodOk).toBeGreaterThan(3000);
    expect(res.fast).toBe(res.zodOk);
  });

  it('agrees with zod on the helpers and parts it supports, and compiles nothing it does not know', () => {
    const shape = {
      a: z.string().trim().min(2).max(8).regex(/^[a-z ]+$/),
      b: z.number().int().min(0).nullable(),
      c: z.boolean().optional(),
      d: exactDecimal({ min: '0', max: '1000', maxScale: 2 }),
      e: decimal().pipe(z.number().max(50)),
      f: isoDate(),
      g: instant(),
      h: strictBoolean(),
      i: z.unknown().transform((v) => v).pipe(z.any()).nullable(),
      j: z.enum(['sun', 'rain']).transform((s) => s.toUpperCase()),
    };
    const supported = z.object(shape).refine((o) => o.a !== 'zz', { message: 'no zz', path: ['a'] });
    expect(compileRowSchema(supported)).toBeDefined();
    // `or` and `catch` are not supported: a schema using them is left to zod whole.
    expect(compileRowSchema(z.object({ ...shape, i: z.literal('x').or(z.literal('y')) }))).toBeUndefined();
    expect(compileRowSchema(z.object({ ...shape, i: z.string().catch('') }))).toBeUndefined();
    // A valid row with zero to two fields replaced by pool values.
    const base: Record<string, unknown> = { a: ' ab cd ', b: 3, c: true, d: '999.99', e: '12.5', f: '2024-05-01', g: '2024-05-01 13:00:00+02', h: 'on', i: 'x', j: 'sun' };
    const r = rng(7);
    const values = [...POOL, 'ab cd', 'zz', 3, 999.99, '999.99', '1000.001', 'T', 'on', 'x', undefined];
    const recs = Array.from({ length: 20_000 }, () => {
      const rec = { ...base };
      for (let k = Math.floor(r() * 3); k > 0; k--) rec[Object.keys(base)[Math.floor(r() * 10)]!] = values[Math.floor(r() * values.length)];
      return rec;
    });
    const res = expectAgrees(supported, recs);
    expect(res.fast).toBeGreaterThan(2000);
    expect(res.fast).toBeLessThan(20_000);
    expect(compileRowSchema(z.object({ n: z.coerce.number() }))).toBeUndefined();
    expect(compileRowSchema(z.object({ n: z.string() }).passthrough())).toBeUndefined();
  });

  it('agrees with zod on every row of the bad-input corpus, read as the CSV source reads it', async () => {
    const folder = path.join(__dirname, '..', 'fixtures', 'bad-input');
    const src = { kind: 'csv-files' as const, timeColumn: 'date', requiredColumns: [] as string[] };
    const recs: Record<string, unknown>[] = [];
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.csv'))) {
      try {
        for await (const r of readCsvFiles(src, WHOLE_TIME, { folder, files: [file], heartbeat: () => undefined, onUnplaced: (u) => void recs.push(u.record) })) {
          recs.push(r.record);
        }
      } catch {
        // unreadable files fail the whole read: nothing reaches the schema
      }
    }
    expect(recs.length).toBeGreaterThan(10);
    expectAgrees(cityWeather.schema, recs);
  });
});

describe('decimal(): the shortcut for short decimals', () => {
  it('accepts and refuses exactly what the exact comparison accepts and refuses, for 20,000 generated decimals', () => {
    const r = rng(99);
    const schema = decimal();
    for (let i = 0; i < 20_000; i++) {
      const intDigits = Math.floor(r() * 12);
      const fracDigits = Math.floor(r() * 8);
      const digit = () => String(Math.floor(r() * 10));
      let s = (r() < 0.3 ? '-' : r() < 0.1 ? '+' : '') + Array.from({ length: intDigits }, digit).join('');
      if (fracDigits > 0 || intDigits === 0) s += '.' + Array.from({ length: Math.max(1, fracDigits) }, digit).join('');
      if (r() < 0.1) s = ` ${s} `;
      const n = Number(s.trim());
      const exact = canonicalDecimal(s) === canonicalDecimal(String(n));
      const got = schema.safeParse(s);
      expect(got.success, s).toBe(exact);
      if (got.success) expect(got.data).toBe(n);
    }
  });
});
