/**
 * The set-based row path (PipelineDefinition.sql, activities/set-based.ts) on the real servers:
 * the same landing files loaded through `city_weather`'s definition with its SQL and without it
 * give the same target rows, quarantine (file, line, field, reason, raw value) and ledger counts —
 * for clean files, edge values the SQL leaves to JavaScript, duplicated keys across files, files
 * that must fall back to the JavaScript reader (quotes, a wrong field count, a file spanning days),
 * and thousands of random values. SQL that disagrees with the transform fails the partition
 * before anything loads, naming file, line and column.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { mulberry32 } from '../../core/seeded-random';
import { intermediateName } from '../../activities/intermediates';
import { cityWeather } from '../../pipelines/city-weather';
import { createHarness, type Harness } from './harness';

const withSql = definePipeline({ ...cityWeather, name: 'sb_sql', target: { ...cityWeather.target, table: 'sb_sql_daily' }, sql: { ...cityWeather.sql!, minRows: 1 } });
const withoutSql = definePipeline({ ...cityWeather, name: 'sb_js', target: { ...cityWeather.target, table: 'sb_js_daily' }, sql: undefined });
const wrongSql = definePipeline({
  ...cityWeather,
  name: 'sb_wrong',
  target: { ...cityWeather.target, table: 'sb_wrong_daily' },
  // The mean without the transform's rounding: 0.1 and 0.2 give 0.15000000000000002, not 0.15.
  sql: { ...cityWeather.sql!, minRows: 1, select: { ...cityWeather.sql!.select, temp_mean_c: '(temp_max + temp_min) / 2' } },
});

const HEADER = 'location,date,precipitation,temp_max,temp_min,wind,weather';
const W = ['drizzle', 'rain', 'sun', 'snow', 'fog'];

/** Rows of one day: clean ones, then values only JavaScript reads, then rows the schema rejects. */
function edgeDay(day: string): string[] {
  const rows = [
    `seattle,${day},0.5,12.1,5.6,3.2,rain`,
    `Zürich,${day},0,0.1,0.2,1,sun`, // temp_min above temp_max: rejected
    `zurich,${day},-0,0.2,0.1,0,sun`, // -0 precipitation is 0
    `paris,${day},0012.50,-0.5,-0.6,0.0,fog`,
    ` padded ,${day},1,2,1,1,sun`, // trimmed by zod: JavaScript path
    `Ñandú,${day},1,2,1,1,sun`, // non-ASCII edges: JavaScript path
    `expo,${day},1e1,2,1,1,sun`, // exponent: JavaScript path
    `plus,${day},+1.5,2,1,1,sun`,
    `dot,${day},.5,2,1,1,sun`,
    `long,${day},1234567890123456,2,1,1,sun`,
    `hot,${day},1,60.0000001,1,1,sun`, // above 60: rejected
    `edge,${day},1,60,-90,1,sun`,
    `,${day},1,2,1,1,sun`, // empty location: rejected
    `caps,${day},1,2,1,1,Rain`, // not an accepted value: rejected
    `nowind,${day},1,2,1,,sun`, // empty: rejected
    `word,${day},1,abc,1,1,sun`, // rejected
    `seattle,${day},0.7,13.1,6.6,3.3,drizzle`, // same key as line 2: the later line wins
    `tab\there,${day},1,2,1,1,sun`,
  ];
  const rnd = mulberry32(Number(day.replace(/-/g, '')));
  const pick = (lo: number, hi: number, places: number) => (lo + rnd() * (hi - lo)).toFixed(places);
  for (let i = 0; i < 1500; i++) {
    const places = 1 + Math.floor(rnd() * 3);
    const a = pick(-90, 60, places);
    const b = pick(-90, 60, places);
    const [tmax, tmin] = Number(a) >= Number(b) ? [a, b] : [b, a];
    rows.push(`st-${i},${day},${pick(0, 80, places)},${tmax},${tmin},${pick(0, 30, places)},${W[i % 5]}`);
  }
  return rows;
}

let h: Harness;
/** Per partition of sb_sql: raw rows COPYed by PostgreSQL (record null) seen at validate. */
const setBasedRows = new Map<string, number>();
/** Per partition of sb_sql: what ingest's result says the set-based path read. */
const ingestSays = new Map<string, unknown>();

function drop(name: string, body: string, mtime: Date): void {
  for (const p of [withSql, withoutSql, wrongSql]) {
    const dir = path.join(h.landingDir, p.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, name), body);
    utimesSync(path.join(dir, name), mtime, mtime);
  }
}

async function sameResults(partition: string): Promise<void> {
  const a = await h.run(withSql.name, partition);
  const b = await h.run(withoutSql.name, partition);
  const counts = (s: typeof a) => ({ in: s.rowsIn, valid: s.rowsValid, quarantined: s.rowsQuarantined, deduplicated: s.rowsDeduplicated, loaded: s.rowsLoaded });
  expect(counts(a)).toEqual(counts(b));
  const cols = Object.keys(cityWeather.target.columns).join(', ');
  for (const [x, y] of [
    ['sb_sql_daily', 'sb_js_daily'],
    ['sb_js_daily', 'sb_sql_daily'],
  ]) {
    const diff = await h.pool.query(`SELECT ${cols} FROM ${x} WHERE dp_partition = $1 EXCEPT SELECT ${cols} FROM ${y} WHERE dp_partition = $1`, [partition]);
    expect(diff.rows, `${x} rows missing from ${y}`).toEqual([]);
  }
  const q = async (p: string) =>
    (
      await h.pool.query(
        'SELECT source_file, line_no, field, reason, raw_value, record FROM quarantine WHERE pipeline = $1 AND partition_key = $2 ORDER BY source_file, line_no',
        [p, partition],
      )
    ).rows;
  expect(await q(withSql.name)).toEqual(await q(withoutSql.name));
}

beforeAll(async () => {
  h = await createHarness({
    registry: createRegistry([withSql, withoutSql, wrongSql]),
    wrapActivities: (activities, { pool }) => ({
      ...activities,
      async ingest(ref) {
        const r = await activities.ingest(ref);
        if (ref.pipeline === withSql.name) ingestSays.set(ref.partition, r.setBased);
        return r;
      },
      async validate(ref) {
        if (ref.pipeline === withSql.name) {
          const r = await pool.query(`SELECT count(*) FILTER (WHERE record IS NULL)::int AS n FROM "${intermediateName('raw', ref.pipeline, ref.partition)}"`);
          setBasedRows.set(ref.partition, r.rows[0].n);
        }
        return activities.validate(ref);
      },
    }),
  });
});

afterAll(async () => h?.close());

describe('set-based row path', () => {
  it('a one-day file: PostgreSQL reads it, and the result is the JavaScript path’s, edge values and rejections included', async () => {
    const rows = edgeDay('2012-01-01');
    drop('day-2012-01-01.csv', [HEADER, ...rows].join('\n') + '\n', new Date('2024-01-01T00:00:00Z'));
    await sameResults('2012-01-01');
    expect(setBasedRows.get('2012-01-01')).toBe(rows.length);
    expect(ingestSays.get('2012-01-01')).toEqual({ files: 1, rows: rows.length });
    const q = await h.pool.query<{ line_no: number; field: string }>(
      `SELECT line_no, field FROM quarantine WHERE pipeline = 'sb_sql' AND partition_key = '2012-01-01' ORDER BY line_no`,
    );
    // Lines of the file (header = line 1): the rejected rows, named where the file has them.
    expect(q.rows.map((r) => [r.line_no, r.field])).toEqual([
      [3, 'temp_min'],
      [12, 'temp_max'],
      [14, 'location'],
      [15, 'weather'],
      [16, 'wind'],
      [17, 'temp_max'],
    ]);
    const seattle = await h.pool.query(`SELECT precipitation_mm, conditions FROM sb_sql_daily WHERE location = 'seattle' AND day = '2012-01-01'`);
    expect(seattle.rows).toEqual([{ precipitation_mm: 0.7, conditions: 'drizzle' }]);
  });

  it('two files of one day: the newer file wins a duplicated key, as on the JavaScript path; CRLF line ends read alike', async () => {
    drop('b-old.csv', [HEADER, 'seattle,2012-01-02,1,10,5,1,rain', ...edgeDay('2012-01-02').slice(20, 200)].join('\r\n') + '\r\n', new Date('2024-01-02T00:00:00Z'));
    drop('a-new.csv', [HEADER, 'seattle,2012-01-02,2,11,6,2,sun'].join('\r\n') + '\r\n', new Date('2024-01-03T00:00:00Z'));
    await sameResults('2012-01-02');
    expect(setBasedRows.get('2012-01-02')).toBe(182);
    const r = await h.pool.query(`SELECT precipitation_mm FROM sb_sql_daily WHERE location = 'seattle' AND day = '2012-01-02'`);
    expect(r.rows).toEqual([{ precipitation_mm: 2 }]);
  });

  it('files PostgreSQL must not read (quotes, a short row, a blank line) and a file spanning days fall back to JavaScript, with the same result', async () => {
    drop('quoted.csv', [HEADER, '"seattle",2012-01-03,1,10,5,1,rain', 'nyc,2012-01-03,1,10,5,1,"sun"'].join('\n') + '\n', new Date('2024-01-04T00:00:00Z'));
    drop('short.csv', [HEADER, 'boston,2012-01-03,1,10,5,1,rain', 'short,2012-01-03,1,10'].join('\n') + '\n', new Date('2024-01-05T00:00:00Z'));
    drop('blank.csv', [HEADER, 'denver,2012-01-03,1,10,5,1,rain', '', 'austin,2012-01-03,1,10,5,1,sun'].join('\n') + '\n', new Date('2024-01-06T00:00:00Z'));
    drop('span.csv', [HEADER, 'miami,2012-01-03,1,10,5,1,rain', 'miami,2012-01-04,1,10,5,1,rain'].join('\n') + '\n', new Date('2024-01-07T00:00:00Z'));
    drop('whole.csv', [HEADER, 'seattle,2012-01-03,3,12,7,3,snow', 'nyc,2012-01-03,3,12,7,3,snow'].join('\n') + '\n', new Date('2024-01-08T00:00:00Z'));
    await sameResults('2012-01-03');
    // Only whole.csv (2 rows) took the set-based path; its rows come last in precedence and win.
    expect(setBasedRows.get('2012-01-03')).toBe(2);
    expect(ingestSays.get('2012-01-03')).toEqual({ files: 1, rows: 2 });
    const r = await h.pool.query(`SELECT location, conditions FROM sb_sql_daily WHERE day = '2012-01-03' ORDER BY location`);
    expect(r.rows).toEqual([
      { location: 'austin', conditions: 'sun' },
      { location: 'boston', conditions: 'rain' },
      { location: 'denver', conditions: 'rain' },
      { location: 'miami', conditions: 'rain' },
      { location: 'nyc', conditions: 'snow' },
      { location: 'seattle', conditions: 'snow' },
    ]);
  });

  it('SQL that disagrees with the transform fails the partition before load, naming file, line and column', async () => {
    drop('wrong-2012-01-05.csv', [HEADER, 'a,2012-01-05,1,0.2,0.1,1,sun', 'b,2012-01-05,1,2,1,1,sun'].join('\n') + '\n', new Date('2024-01-09T00:00:00Z'));
    const err = await h.run(wrongSql.name, '2012-01-05').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const led = await h.pool.query(`SELECT status, failed_step, error, error_type FROM ledger WHERE pipeline = 'sb_wrong' AND partition_key = '2012-01-05'`);
    expect(led.rows[0]).toMatchObject({ status: 'failed', failed_step: 'validate', error_type: 'ConfigError' });
    expect(led.rows[0].error).toMatch(/wrong-2012-01-05\.csv line 2: column temp_mean_c is "0\.15000000000000002" in SQL and "0\.15" in JavaScript/);
    const loaded = await h.pool.query(`SELECT to_regclass('sb_wrong_daily') AS t`);
    if (loaded.rows[0].t) expect((await h.pool.query('SELECT count(*)::int AS n FROM sb_wrong_daily')).rows[0].n).toBe(0);
  });
});
