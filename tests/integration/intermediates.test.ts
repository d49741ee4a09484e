/**
 * A partition's intermediate rows (per-partition raw and staging tables) on the real servers:
 * dropped once it loads, kept with DATAPULSE_KEEP_INTERMEDIATES, kept when it fails; and when they
 * vanish between two steps (dropped by hand, lost in a database crash) the partition workflow runs
 * again from ingest and loads exactly once, instead of loading nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intermediateName } from '../../activities/intermediates';
import { createHarness, intermediateTables, recordHistory, scheduledActivities, type Harness } from './harness';

describe('intermediate tables of a partition', () => {
  let h: Harness;
  let dropBeforeTransform: string | undefined;
  let dropRawBeforeLoad: string | undefined;
  beforeAll(async () => {
    h = await createHarness({
      wrapActivities: (activities, { pool }) => ({
        ...activities,
        async transform(ref) {
          if (dropBeforeTransform === ref.partition) {
            dropBeforeTransform = undefined;
            // What a crash of an unlogged table, or an operator's DROP, leaves: no staged rows.
            await pool.query(`DROP TABLE "${intermediateName('stg', ref.pipeline, ref.partition)}"`);
          }
          return activities.transform(ref);
        },
        async load(input) {
          if (dropRawBeforeLoad === input.partition) {
            dropRawBeforeLoad = undefined;
            await pool.query(`DROP TABLE "${intermediateName('raw', input.pipeline, input.partition)}"`);
          }
          return activities.load(input);
        },
      }),
    });
  });
  afterAll(async () => h?.close());

  it('a loaded partition leaves none behind', async () => {
    const s = await h.run('weather', '2024-11-01T00');
    expect(s.rowsLoaded).toBe(3);
    expect(await intermediateTables(h.pool)).toEqual([]);
  });

  it('lost between validate and transform: the workflow runs again from ingest and loads exactly once', async () => {
    const partition = '2024-11-01T01';
    dropBeforeTransform = partition;
    const handle = await h.start('weather', partition);
    const s = await handle.result();
    expect(s).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsLoaded: 3, outcome: 'loaded' });
    expect(await scheduledActivities(handle)).toEqual(['ingest', 'validate', 'transform', 'ingest', 'validate', 'transform', 'load']);
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM weather_observations WHERE dp_partition = $1', [partition]);
    expect(rows[0].n).toBe(3);
    expect(await intermediateTables(h.pool)).toEqual([]);
    await recordHistory(handle, 'partition-intermediates-lost-rerun');
  });

  it('raw rows lost between transform and load: nothing is loaded from that pass, the partition runs again from ingest', async () => {
    const partition = '2024-11-01T03';
    dropRawBeforeLoad = partition;
    const handle = await h.start('weather', partition);
    const s = await handle.result();
    expect(s).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsLoaded: 3, outcome: 'loaded' });
    expect(await scheduledActivities(handle)).toEqual(['ingest', 'validate', 'transform', 'load', 'ingest', 'validate', 'transform', 'load']);
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM weather_observations WHERE dp_partition = $1', [partition]);
    expect(rows[0].n).toBe(3);
    expect(await intermediateTables(h.pool)).toEqual([]);
  });

  it('a failed partition keeps them for diagnosis', async () => {
    const partition = '2024-11-01T02';
    h.api.setFaults([{ kind: 'bad-values', times: 3 }]);
    await h.run('weather', partition).catch(() => undefined);
    h.api.clearFaults();
    const { rows } = await h.pool.query(`SELECT status FROM ledger WHERE pipeline = 'weather' AND partition_key = $1`, [partition]);
    expect(rows[0].status).toBe('failed');
    expect(await intermediateTables(h.pool)).toEqual(expect.arrayContaining([intermediateName('raw', 'weather', partition)]));
    // A small partition's intermediate tables are ordinary (logged) ones: UNLOGGED is for big reads.
    const persistence = await h.pool.query(`SELECT relpersistence::text AS p FROM pg_class WHERE oid = to_regclass($1)`, [intermediateName('raw', 'weather', partition)]);
    expect(persistence.rows[0].p).toBe('p');
  });
});

describe('DATAPULSE_KEEP_INTERMEDIATES=1', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ configOverrides: { keepIntermediates: true } });
  });
  afterAll(async () => h?.close());

  it('keeps the raw and staged rows of a loaded partition', async () => {
    const partition = '2024-11-02T00';
    await h.run('weather', partition);
    expect(await intermediateTables(h.pool)).toEqual([intermediateName('raw', 'weather', partition), intermediateName('stg', 'weather', partition)]);
    const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM "${intermediateName('stg', 'weather', partition)}"`);
    expect(rows[0].n).toBe(3);
  });
});
