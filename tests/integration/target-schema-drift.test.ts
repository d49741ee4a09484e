/**
 * Proves, on the real servers, that a changed definition meets its existing target table openly
 * (issue 16, item 3): an added column is migrated; a changed key, type or nullability fails the load
 * at once (`TargetSchemaDrift`, one attempt) with a message naming table, column, old and new and
 * the fix; a table dropped by hand is created again by the next load (no per-process memory of
 * having created it). One worker: the definition is swapped under it, as a deploy would.
 * (Pipeline `i16_drift`: workflow ids and tables unique to this file.)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipeline, type PipelineDefinition } from '../../core/pipeline';
import { UnknownPipelineError, type Registry } from '../../core/registry';
import { cityWeather } from '../../pipelines/city-weather';
import { partitionIndexName } from '../../activities/target';
import { codeVersion } from '../../infra/fingerprint';
import { createHarness, type Harness } from './harness';

const base = definePipeline({
  name: 'i16_drift',
  description: 'city_weather columns, for the schema drift tests',
  version: 1,
  partitioning: cityWeather.partitioning,
  params: {},
  source: cityWeather.source,
  schema: cityWeather.schema,
  transform: cityWeather.transform,
  target: { ...cityWeather.target, table: 'i16_drift_daily' },
});
const withNote = definePipeline({
  ...base,
  transform: (row, ctx) => ({ ...base.transform(row, ctx), note: `from ${row.location}` }),
  target: { ...base.target, columns: { ...base.target.columns, note: 'text' } },
});
const keyChanged = definePipeline({ ...base, target: { ...base.target, key: ['location', 'day', 'conditions'] } });
const typeChanged = definePipeline({ ...base, target: { ...base.target, columns: { ...base.target.columns, temp_max_c: 'numeric' } } });

let current: PipelineDefinition = base as PipelineDefinition;
/** The registry a deploy would change: the worker reads the definition at each activity. */
const registry: Registry = {
  get pipelines() {
    return [current];
  },
  get order() {
    return [current.name];
  },
  has: (name) => name === current.name,
  get(name) {
    if (name !== current.name) throw new UnknownPipelineError(name, [current.name]);
    return current;
  },
};
const use = (def: unknown) => (current = def as PipelineDefinition);

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ registry });
  const folder = path.join(h.landingDir, base.name);
  mkdirSync(folder, { recursive: true });
  const days = ['2012-01-01', '2012-01-02', '2012-01-03', '2012-01-04', '2012-01-05'];
  writeFileSync(
    path.join(folder, 'drop.csv'),
    ['location,date,precipitation,temp_max,temp_min,wind,weather', ...days.flatMap((d) => [`Seattle,${d},1.0,10.5,5.0,3.0,rain`, `New York,${d},0.0,8.0,1.0,4.0,sun`])].join('\n') + '\n',
  );
});
afterAll(async () => h?.close());

async function columns(): Promise<Record<string, string>> {
  const { rows } = await h.pool.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'i16_drift_daily'`,
    [h.schema],
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
}

/** Runs a partition expected to fail; returns its error message, type and the load attempts made. */
async function failing(partition: string) {
  const handle = await h.start(base.name, partition);
  const started = Date.now();
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
  const { rows } = await h.pool.query<{ error: string; error_type: string; failed_step: string }>(
    'SELECT error, error_type, failed_step FROM ledger WHERE pipeline = $1 AND partition_key = $2',
    [base.name, partition],
  );
  return { ...rows[0]!, maxAttempt: Math.max(...attempts), ms: Date.now() - started };
}

describe('target table drift', () => {
  it('creates the table, then adds a new nullable column in place', async () => {
    use(base);
    await h.run(base.name, '2012-01-01');
    use(withNote);
    const s = await h.run(base.name, '2012-01-02');
    expect(s.rowsLoaded).toBe(2);
    expect((await columns()).note).toBe('text');
    const { rows } = await h.pool.query('SELECT day::text, note FROM i16_drift_daily ORDER BY day, location');
    expect(rows.map((r: { note: string | null }) => r.note)).toEqual([null, null, 'from New York', 'from Seattle']);
  });

  it('refuses a changed key at once, naming table, key and fix', async () => {
    use(keyChanged);
    const f = await failing('2012-01-03');
    expect(f).toMatchObject({ error_type: 'TargetSchemaDrift', failed_step: 'load', maxAttempt: 1 });
    expect(f.ms).toBeLessThan(20_000);
    expect(f.error).toContain(`"${h.schema}"."i16_drift_daily"`);
    expect(f.error).toContain('primary key is (location, day) in the table, (location, day, conditions) in the definition');
    expect(f.error).toContain('column conditions is nullable in the table, NOT NULL in the definition');
    expect(f.error).toContain(`DROP TABLE "${h.schema}"."i16_drift_daily"`);
    expect(f.error).toContain('datapulse backfill i16_drift --from 2012-01-01 --to 2012-01-04 --force');
  });

  it('refuses a changed column type at once, naming column, old and new type', async () => {
    use(typeChanged);
    const f = await failing('2012-01-03');
    expect(f).toMatchObject({ error_type: 'TargetSchemaDrift', maxAttempt: 1 });
    expect(f.error).toContain('column temp_max_c is double precision in the table, numeric in the definition');
    expect(f.error).toContain('ALTER TABLE');
  });

  it('creates the table again when it was dropped by hand, without a worker restart', async () => {
    use(base);
    await h.pool.query('DROP TABLE i16_drift_daily');
    const s = await h.run(base.name, '2012-01-04');
    expect(s.rowsLoaded).toBe(2);
    const { rows } = await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM i16_drift_daily');
    expect(rows[0]?.n).toBe(2);
  });
});

describe('the dp_partition index (target.partitionIndex)', () => {
  const btree = definePipeline({ ...base, target: { ...base.target, partitionIndex: 'btree' } });
  const brin = definePipeline({ ...base, target: { ...base.target, partitionIndex: 'brin' } });
  /** The table's indexes on dp_partition: name, access method and storage options. */
  async function partitionIndexes() {
    const { rows } = await h.pool.query<{ name: string; method: string; options: string[] | null }>(
      `SELECT c.relname AS name, am.amname AS method, c.reloptions AS options
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
         JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
        WHERE n.nspname = $1 AND t.relname = 'i16_drift_daily' AND a.attname = 'dp_partition'`,
      [h.schema],
    );
    return rows;
  }
  /** The plan of a load's DELETE when a sequential scan is ruled out (the tables here are tiny). */
  async function deletePlan(partition: string): Promise<string> {
    const client = await h.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN DELETE FROM i16_drift_daily WHERE dp_partition = '${partition}'`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  it('switches an existing table between btree and BRIN on the next load; loads replace each partition either way; code version unchanged', async () => {
    expect(codeVersion(btree)).toBe(codeVersion(brin));
    use(btree);
    await h.pool.query('DROP TABLE IF EXISTS i16_drift_daily');
    await h.run(base.name, '2012-01-01');
    expect(await partitionIndexes()).toEqual([{ name: 'i16_drift_daily_dp_partition_idx', method: 'btree', options: null }]);

    use(brin);
    await h.run(base.name, '2012-01-02');
    expect(await partitionIndexes()).toEqual([{ name: 'i16_drift_daily_dp_partition_brin', method: 'brin', options: ['pages_per_range=32', 'autosummarize=on'] }]);
    expect(await deletePlan('2012-01-01')).toContain('Bitmap Index Scan on i16_drift_daily_dp_partition_brin');
    // The file changes one value of 2012-01-01: its re-load replaces that day's rows through the BRIN index.
    const file = path.join(h.landingDir, base.name, 'drop.csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Seattle,2012-01-01,1.0,10.5', 'Seattle,2012-01-01,1.0,11.5'));
    await h.run(base.name, '2012-01-01');
    const { rows } = await h.pool.query<{ day: string; n: number; max: number }>(
      `SELECT day::text, count(*)::int AS n, max(temp_max_c) AS max FROM i16_drift_daily GROUP BY day ORDER BY day`,
    );
    expect(rows).toEqual([
      { day: '2012-01-01', n: 2, max: 11.5 },
      { day: '2012-01-02', n: 2, max: 10.5 },
    ]);

    use(btree);
    await h.run(base.name, '2012-01-03');
    expect((await partitionIndexes()).map((i) => `${i.name} ${i.method}`)).toEqual(['i16_drift_daily_dp_partition_idx btree']);
    expect(await deletePlan('2012-01-01')).toContain('i16_drift_daily_dp_partition_idx');
  });

  it('names a long table\'s BRIN index apart from its btree index (63 bytes)', () => {
    const long = 'a'.repeat(60);
    expect(partitionIndexName(long, 'btree')).toBe(`${long}_dp`);
    expect(partitionIndexName(long, 'brin')).toMatch(/^dp_part_brin_[0-9a-f]{40}$/);
    expect(partitionIndexName('city_weather_daily', 'brin')).toBe('city_weather_daily_dp_partition_brin');
  });
});
