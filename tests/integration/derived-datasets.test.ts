/**
 * Derived datasets against the real Temporal dev server and PostgreSQL: a weather_daily partition
 * fails fast (naming the missing hours and the command) until its 24 hours loaded, then equals an
 * independent SQL over the hourly table; its consumed inputs are recorded; an hour re-loaded with
 * different data makes it stale (and only it), an hour re-loaded with the same data makes nothing
 * stale; a query reaching outside its inputs is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { z } from 'zod';
import { rollUp } from '../../core/mapping';
import { daily, definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { keysInRange } from '../../core/partition';
import { staleKeys } from '../../activities/staleness';
import { partitionLineage } from '../../ops/lineage';
import { cityWeather } from '../../pipelines/city-weather';
import { cityWeatherMonthly } from '../../pipelines/city-weather-monthly';
import { weather } from '../../pipelines/weather';
import { weatherDaily } from '../../pipelines/weather-daily';
import { buildConsole } from '../../console/server';
import { dashboards } from '../../pipelines/dashboards';
import { createHarness, type Harness } from './harness';

const DAY = '2023-06-10';
const HOURS = [...keysInRange('hourly', `${DAY}T00`, '2023-06-11T00')];

/** A derived pipeline whose query names a table directly instead of through {{input}}. */
const sneaky = definePipeline({
  ...weatherDaily,
  name: 'sneaky_daily',
  automation: 'manual',
  source: { kind: 'derived', inputs: { hourly: { pipeline: 'weather', mapping: rollUp() } }, query: 'SELECT * FROM ledger' },
  target: { ...weatherDaily.target, table: 'sneaky_daily' },
  partitioning: daily('2020-01-01'),
  schema: z.object({}).passthrough(),
  transform: (row) => row,
});

const registry = createRegistry([weather, cityWeather, weatherDaily, cityWeatherMonthly, sneaky]);

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ registry });
});
afterAll(async () => h?.close());

/** Runs partitions six at a time (each its own workflow). */
async function runAll(pipeline: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 6) await Promise.all(keys.slice(i, i + 6).map((k) => h.run(pipeline, k)));
}

async function failure(pipeline: string, key: string): Promise<string> {
  const err = await h.run(pipeline, key).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return String((err as WorkflowFailedError).cause?.message);
}

describe('weather_daily (derived, roll-up of 24 hours)', () => {
  it('fails fast while hours are missing, naming them and the command that fills them', async () => {
    await runAll('weather', HOURS.slice(0, 20));
    const msg = await failure('weather_daily', DAY);
    expect(msg).toContain(`weather_daily/${DAY} waits for 4 of 24 upstream partition(s) of weather`);
    expect(msg).toContain(`${DAY}T20, ${DAY}T21, ${DAY}T22, ${DAY}T23`);
    expect(msg).toContain(`datapulse backfill weather --from ${DAY}T20 --to 2023-06-11T00`);
    const { rows } = await h.pool.query('SELECT status, error_type FROM ledger WHERE pipeline = $1 AND partition_key = $2', ['weather_daily', DAY]);
    expect(rows[0]).toMatchObject({ status: 'failed', error_type: 'UpstreamNotReady' });
  });

  it('equals an independent SQL over the hourly table once the 24 hours loaded', async () => {
    await runAll('weather', HOURS.slice(20));
    const summary = await h.run('weather_daily', DAY);
    expect(summary).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsLoaded: 3 });
    const { rows: got } = await h.pool.query(
      `SELECT location_id, to_char(day, 'YYYY-MM-DD') AS day, temp_min_c, temp_max_c, temp_mean_c, precipitation_mm, hours FROM weather_daily ORDER BY location_id`,
    );
    const { rows: want } = await h.pool.query(
      `SELECT location_id, to_char((observed_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, min(temperature_c) AS temp_min_c, max(temperature_c) AS temp_max_c,
              round(avg(temperature_c)::numeric, 2)::float8 AS temp_mean_c, round(sum(precipitation_mm)::numeric, 2)::float8 AS precipitation_mm, count(*)::int AS hours
         FROM weather_observations WHERE observed_at >= $1 AND observed_at < $2
        GROUP BY 1, 2 ORDER BY 1`,
      [`${DAY}T00:00:00Z`, '2023-06-11T00:00:00Z'],
    );
    expect(want).toHaveLength(3);
    expect(got).toEqual(want);
    expect(got.every((r) => r.hours === 24)).toBe(true);
  });

  it('records exactly the 24 hours it consumed, with their run ids and data versions', async () => {
    const lineage = await partitionLineage(h.pool, registry, h.config, 'weather_daily', DAY);
    expect(lineage.upstream.map((u) => u.key)).toEqual(HOURS);
    const { rows: ledger } = await h.pool.query('SELECT partition_key, run_id, coalesce(data_checksum, source_checksum) AS version FROM ledger WHERE pipeline = $1 AND partition_key = ANY($2) ORDER BY 1', ['weather', HOURS]);
    expect(lineage.upstream.map((u) => [u.key, u.runId, u.version])).toEqual(ledger.map((l) => [l.partition_key, l.run_id, l.version]));
    const hour = await partitionLineage(h.pool, registry, h.config, 'weather', `${DAY}T13`);
    expect(hour.downstream.map((d) => `${d.pipeline}/${d.key}`)).toEqual([`weather_daily/${DAY}`]);
  });

  it('an hour re-loaded with the same data makes nothing stale', async () => {
    await h.run('weather', `${DAY}T13`);
    expect([...(await staleKeys(h.pool, registry, 'weather_daily')).keys()]).toEqual([]);
  });

  it('an hour re-loaded with different data makes the day stale, and a re-run makes it clean', async () => {
    // One location's temperature breaks: its row is quarantined, the hour loads 2 rows instead of 3.
    h.api.setFaults([{ kind: 'bad-values', latitude: 47.61 }]);
    try {
      await h.run('weather', `${DAY}T13`);
    } finally {
      h.api.clearFaults();
    }
    const stale = await staleKeys(h.pool, registry, 'weather_daily');
    expect([...stale.entries()]).toEqual([[DAY, `input weather/${DAY}T13 re-loaded with different data`]]);
    const lineage = await partitionLineage(h.pool, registry, h.config, 'weather_daily', DAY);
    expect(lineage.upstream.filter((u) => u.changedSince).map((u) => u.key)).toEqual([`${DAY}T13`]);
    // The console says the same on the map, the overview and the partition's page.
    const app = await buildConsole({ pool: h.pool, registry, dashboards, config: h.config });
    try {
      const map = (await app.inject({ url: `/api/pipelines/weather_daily/map?from=2023-06-09&to=2023-06-12` })).json() as { counts: Record<string, number>; runs: { state: string }[] };
      expect(map.counts).toMatchObject({ stale: 1, succeeded: 0 });
      expect(map.runs.map((r) => r.state)).toEqual(['missing', 'stale', 'missing']);
      const overviewPage = await app.inject({ url: '/' });
      expect(/<tr data-pipeline="weather_daily">(?:.(?!<\/tr>))*?<td class="num">(\d+)<\/td><td class="num">(\d+)<\/td>/s.exec(overviewPage.body)?.slice(1, 3)).toEqual(['0', '1']);
      const detail = await app.inject({ url: `/pipelines/weather_daily/partitions/${DAY}` });
      expect(detail.body).toContain(`stale: input weather/${DAY}T13 re-loaded with different data`);
      expect(detail.body).toContain(`npx datapulse backfill weather_daily --from ${DAY} --to 2023-06-11 --stale`);
    } finally {
      await app.close();
    }

    await h.run('weather_daily', DAY);
    expect((await staleKeys(h.pool, registry, 'weather_daily')).size).toBe(0);
    const { rows } = await h.pool.query(`SELECT hours FROM weather_daily WHERE location_id = 'seattle'`);
    expect(rows).toEqual([{ hours: 23 }]);
  });

  it('refuses a query that reaches a table outside its declared inputs', async () => {
    const msg = await failure('sneaky_daily', DAY);
    expect(msg).toMatch(/reads .*\.ledger, outside its declared inputs \(weather_observations\)/);
  });
});
