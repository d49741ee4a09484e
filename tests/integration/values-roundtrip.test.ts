/**
 * Values arrive exactly as the source wrote them, through a real partition on the real servers
 * (CSV file → ingest → validate/transform → load → read back from PostgreSQL):
 * - a property-style run: generated values of every supported SQL type (seeded, with the edges:
 *   type limits, 20-digit decimals, subnormal doubles, leap days, microseconds and offsets,
 *   tabs/newlines/quotes/backslashes/emoji in text, nested JSON) read back exactly, and values the
 *   column cannot take quarantined naming their field while the other rows load;
 * - the cases of the issue: exact decimals in a numeric column, integers out of range quarantined
 *   at validate (not a load retried 8 times), `z.coerce.date()` and bigint fields reaching the
 *   transform as what the schema produced.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sameDecimal } from '../../activities/typed-values';
import { daily, definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { decimal, exactDecimal } from '../../core/schema-helpers';
import { createHarness, type Harness } from './harness';

const DAY = '2024-07-01';

/** Every supported type, parsed from text with the helpers a pipeline author would use. */
const allTypes = definePipeline({
  name: 'all_types',
  description: 'one column of every supported SQL type',
  version: 1,
  partitioning: daily('2024-01-01'),
  params: {},
  source: { kind: 'csv-files', timeColumn: 'day', requiredColumns: ['id', 'day', 't_text', 't_int', 't_big', 't_num', 't_dbl', 't_bool', 't_date', 't_ts', 't_json'] },
  schema: z.object({
    id: z.string(),
    day: z.string(),
    t_text: z.string(),
    t_int: z.string(),
    t_big: z.string().transform((s) => BigInt(s)),
    t_num: exactDecimal(),
    t_dbl: decimal(),
    t_bool: z.enum(['true', 'false']).transform((s) => s === 'true'),
    t_date: z.string(),
    t_ts: z.string(),
    t_json: z.string().transform((s) => JSON.parse(s) as unknown),
  }),
  transform: (r) => ({ ...r }),
  target: {
    table: 'all_types',
    columns: {
      id: 'text',
      t_text: 'text',
      t_int: 'integer',
      t_big: 'bigint',
      t_num: 'numeric',
      t_dbl: 'double precision',
      t_bool: 'boolean',
      t_date: 'date',
      t_ts: 'timestamptz',
      t_json: 'jsonb',
    },
    key: ['id'],
  },
  maxRejectedRatio: 1,
});

/** The cases 2, 3 and 6: exact amounts, integer quantities, a coerced date and a bigint. */
const orders = definePipeline({
  name: 'orders_exact',
  description: 'exact amounts and quantities',
  version: 1,
  partitioning: daily('2024-01-01'),
  params: {},
  source: { kind: 'csv-files', timeColumn: 'day', requiredColumns: ['id', 'day', 'amount', 'qty', 'placed', 'big'] },
  schema: z.object({ id: z.string(), day: z.string(), amount: exactDecimal(), qty: z.coerce.number(), placed: z.coerce.date(), big: z.coerce.bigint() }),
  transform: (r) => ({
    id: r.id,
    amount: r.amount,
    qty: r.qty,
    // What the schema produced arrives here: a Date and a bigint, not strings.
    placed_at: r.placed,
    placed_year: r.placed.getUTCFullYear(),
    big: r.big,
    big_next: r.big + 1n,
  }),
  target: {
    table: 'orders_exact',
    columns: { id: 'text', amount: 'numeric', qty: 'integer', placed_at: 'timestamptz', placed_year: 'integer', big: 'bigint', big_next: 'numeric' },
    key: ['id'],
  },
  maxRejectedRatio: 1,
});

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ registry: createRegistry([allTypes, orders]) });
});
afterAll(async () => h?.close());

const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;
function writeCsv(pipeline: string, name: string, header: string[], rows: string[][]): void {
  const dir = path.join(h.landingDir, pipeline);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), [header.join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\n') + '\n');
}

/** mulberry32: a small seeded PRNG, so a failure is reproducible. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Generated {
  id: string;
  text: string;
  int: string;
  big: string;
  num: string;
  dbl: number;
  bool: boolean;
  date: string;
  ts: { written: string; utcMicros: string };
  json: unknown;
}

function generate(n: number, seed: number): Generated[] {
  const r = prng(seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const digits = (k: number) => Array.from({ length: k }, () => Math.floor(r() * 10)).join('');
  const texts = ['plain', 'tab\there', 'line\nbreak', 'cr\rlf\r\n', 'back\\slash', 'quote"s', 'émoji 🎉', '中文', ' spaced ', '', 'a,b;c', '\\N', '=1+2'];
  const dbls = [0, -0.5, 0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -123456.789, 2 ** 53, 1e-10];
  const out: Generated[] = [];
  for (let i = 0; i < n; i++) {
    const y = 1 + Math.floor(r() * 9999);
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    const mo = 1 + Math.floor(r() * 12);
    const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
    const d = 1 + Math.floor(r() * dim);
    const pad = (x: number, w = 2) => String(x).padStart(w, '0');
    const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
    // A timestamp written with an offset; its UTC reading with microseconds is what must come back.
    const base = Date.UTC(1970 + Math.floor(r() * 100), Math.floor(r() * 12), 1 + Math.floor(r() * 28), Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 60));
    const micros = Math.floor(r() * 1e6);
    const offsetMin = pick([0, 60, 120, 330, -180, -570, 345]);
    const local = new Date(base + offsetMin * 60000).toISOString().slice(0, 19).replace('T', ' ');
    const sign = offsetMin < 0 ? '-' : '+';
    const off = `${sign}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
    out.push({
      id: `r${i}`,
      text: pick(texts) + (r() < 0.3 ? digits(3) : ''),
      int: String(pick([0, 1, -1, 2147483647, -2147483648, Math.floor(r() * 2 ** 32) - 2 ** 31])),
      big: pick(['9223372036854775807', '-9223372036854775808', '9007199254740993', `${r() < 0.5 ? '-' : ''}${digits(1 + Math.floor(r() * 18))}`.replace(/^(-?)0+(\d)/, '$1$2')]),
      num: pick([`${digits(20)}.${digits(10)}`, `-0.${digits(19)}`, '523189076432153.91', '98765432109876543210', `${digits(3)}`]).replace(/^0+(\d)/, '$1'),
      dbl: r() < 0.5 ? pick(dbls) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20),
      bool: r() < 0.5,
      date,
      ts: { written: `${local}.${pad(micros, 6)}${off}`, utcMicros: `${new Date(base).toISOString().slice(0, 19)}.${pad(micros, 6)}` },
      json: { a: pick(texts), n: Math.floor(r() * 1000), list: [1, 'two', null, true], nested: { deep: digits(5) } },
    });
  }
  return out;
}

describe('every supported SQL type, generated values, through a real partition', () => {
  it('reads back exactly what went in; values a column cannot take are quarantined naming the field', async () => {
    const good = generate(400, 20241129);
    const bad: { id: string; field: string; row: Partial<Record<string, string>> }[] = [
      { id: 'bad-int', field: 't_int', row: { t_int: '3000000000' } },
      { id: 'bad-int-neg', field: 't_int', row: { t_int: '-2147483649' } },
      { id: 'bad-big', field: 't_big', row: { t_big: '9223372036854775808' } },
      { id: 'bad-date', field: 't_date', row: { t_date: '2023-02-29' } },
      { id: 'bad-ts', field: 't_ts', row: { t_ts: '2024-05-01 13:00:00' } },
      { id: 'bad-dbl', field: 't_dbl', row: { t_dbl: '523189076432153.91' } },
    ];
    const header = ['id', 'day', 't_text', 't_int', 't_big', 't_num', 't_dbl', 't_bool', 't_date', 't_ts', 't_json'];
    const rows = good.map((g) => [g.id, DAY, g.text, g.int, g.big, g.num, String(g.dbl), String(g.bool), g.date, g.ts.written, JSON.stringify(g.json)]);
    const sample = rows[0]!;
    for (const b of bad) rows.push(header.map((col, k) => (col === 'id' ? b.id : (b.row[col] ?? sample[k]!))));
    writeCsv('all_types', 'values.csv', header, rows);

    const s = await h.run('all_types', DAY);
    expect(s).toMatchObject({ rowsIn: good.length + bad.length, rowsLoaded: good.length, rowsQuarantined: bad.length });

    const q = await h.pool.query<{ raw: string; field: string; reason: string }>(
      `SELECT record->>'id' AS raw, field, reason FROM quarantine WHERE pipeline = 'all_types' AND partition_key = $1 ORDER BY line_no`,
      [DAY],
    );
    expect(q.rows.map((r) => [r.raw, r.field])).toEqual(bad.map((b) => [b.id, b.field]));
    for (const r of q.rows) expect(r.reason).toMatch(new RegExp(`^${r.field}: `));

    const { rows: back } = await h.pool.query(
      `SELECT id, t_text, t_int::text AS t_int, t_big::text AS t_big, t_num::text AS t_num, t_dbl, t_bool, t_date::text AS t_date,
              to_char(t_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS t_ts, t_json
         FROM all_types WHERE dp_partition = $1`,
      [DAY],
    );
    const byId = new Map(back.map((r: Record<string, unknown>) => [r.id, r]));
    expect(byId.size).toBe(good.length);
    for (const g of good) {
      const r = byId.get(g.id) as Record<string, unknown>;
      expect(r.t_text, g.id).toBe(g.text);
      expect(r.t_int, g.id).toBe(g.int);
      expect(r.t_big, g.id).toBe(g.big);
      expect(sameDecimal(r.t_num as string, g.num), `${g.id}: ${r.t_num as string} vs ${g.num}`).toBe(true);
      expect(Object.is(r.t_dbl, g.dbl) || r.t_dbl === g.dbl, `${g.id}: ${r.t_dbl as number} vs ${g.dbl}`).toBe(true);
      expect(r.t_bool, g.id).toBe(g.bool);
      expect(r.t_date, g.id).toBe(g.date);
      expect(r.t_ts, g.id).toBe(g.ts.utcMicros);
      expect(r.t_json, g.id).toEqual(g.json);
    }
  });
});

describe('the issue cases', () => {
  it('exact decimals, integer range at validate, a coerced date and a bigint reach the transform typed', async () => {
    const header = ['id', 'day', 'amount', 'qty', 'placed', 'big'];
    const amounts = ['523189076432153.91', '98765432109876543210', '0.9876543210987654321', '9007199254740993', '12345678.123456789'];
    const rows = amounts.map((a, i) => [`o${i}`, DAY, a, String(i + 1), '2024-05-01T13:30:00Z', '9007199254740993']);
    rows.push(['o-big-qty', DAY, '1.00', '3000000000', '2024-05-01T13:30:00Z', '1']);
    rows.push(['o-neg-qty', DAY, '1.00', '-2147483649', '2024-05-01T13:30:00Z', '1']);
    writeCsv('orders_exact', 'orders.csv', header, rows);

    const s = await h.run('orders_exact', DAY);
    expect(s).toMatchObject({ rowsIn: 7, rowsLoaded: 5, rowsQuarantined: 2 });
    const { rows: back } = await h.pool.query(
      `SELECT id, amount::text AS amount, qty, to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS placed, placed_year, big::text AS big, big_next::text AS big_next
         FROM orders_exact ORDER BY id`,
    );
    expect(back.map((r: { amount: string }) => r.amount)).toEqual(amounts);
    expect(back[0]).toMatchObject({ placed: '2024-05-01 13:30:00', placed_year: 2024, big: '9007199254740993', big_next: '9007199254740994' });
    const q = await h.pool.query(`SELECT field, reason, raw_value FROM quarantine WHERE pipeline = 'orders_exact' ORDER BY line_no`);
    expect(q.rows).toEqual([
      { field: 'qty', reason: 'qty: 3000000000 is out of range for type integer (-2147483648 to 2147483647)', raw_value: '3000000000' },
      { field: 'qty', reason: 'qty: -2147483649 is out of range for type integer (-2147483648 to 2147483647)', raw_value: '-2147483649' },
    ]);
  });
});
