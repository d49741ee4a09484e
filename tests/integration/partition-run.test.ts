/**
 * Proves one partition end to end on the real Temporal dev server and real PostgreSQL: the weather
 * partition loads exactly the expected rows, re-running changes nothing, two starts meet on one
 * execution, the history holds the four activities, and the CSV pipeline loads real data.
 * (Each integration file uses its own partitions: workflow ids are shared on the server.)
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateObservation } from '../../infra/fixtures/weather-api';
import { weather } from '../../pipelines/weather';
import { vegaWeatherCsvPath } from '../../scripts/commands/landing';
import { PARTITION_SA, PIPELINE_SA } from '../../core/search-attributes';
import { createHarness, recordHistory, scheduledActivities, type Harness, intermediateTables } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

const HOUR = '2024-05-01T13';

async function targetRows(): Promise<Record<string, unknown>[]> {
  const { rows } = await h.pool.query(
    `SELECT location_id, observed_at, temperature_c, precipitation_mm, wind_speed_ms, dp_partition
       FROM weather_observations ORDER BY location_id, observed_at`,
  );
  return rows;
}

describe('weather partition', () => {
  it('loads one row per location with the values the API served, and a ledger row that adds up', async () => {
    const summary = await h.run('weather', HOUR);
    const locations = weather.params.locations as { id: string; latitude: number; longitude: number }[];
    expect(summary).toMatchObject({ pipeline: 'weather', partition: HOUR, rowsIn: 3, rowsValid: 3, rowsQuarantined: 0, rowsLoaded: 3 });

    const rows = await targetRows();
    expect(rows).toHaveLength(locations.length);
    for (const loc of locations) {
      const obs = generateObservation(loc.latitude, loc.longitude, '2024-05-01T13:00');
      const row = rows.find((r) => r.location_id === loc.id);
      expect(row).toBeDefined();
      expect((row!.observed_at as Date).toISOString()).toBe('2024-05-01T13:00:00.000Z');
      expect(row!.temperature_c).toBe(obs.temperature_2m);
      expect(row!.precipitation_mm).toBe(obs.precipitation);
      expect(row!.wind_speed_ms).toBeCloseTo(obs.wind_speed_10m / 3.6, 2);
      expect(row!.dp_partition).toBe(HOUR);
    }

    const { rows: ledger } = await h.pool.query('SELECT * FROM ledger WHERE pipeline = $1 AND partition_key = $2', ['weather', HOUR]);
    const l = ledger[0];
    expect(l).toMatchObject({ status: 'succeeded', rows_in: 3, rows_valid: 3, rows_quarantined: 0, rows_deduplicated: 0, rows_loaded: 3, error: null });
    expect(l.rows_in).toBe(l.rows_valid + l.rows_quarantined);
    expect(l.rows_valid).toBe(l.rows_loaded + l.rows_deduplicated);
    expect(l.source_checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(l.params_hash).toMatch(/^[0-9a-f]{16}$/);
    expect(l.code_version).toMatch(/^v1-[0-9a-f]{12}$/);
    expect(l.workflow_id).toBe(`weather/${HOUR}`);
    expect(l.run_id).toBeTruthy();
    expect(l.finished_at.getTime()).toBeGreaterThanOrEqual(l.started_at.getTime());
  });

  it('records the four activities in order in the history, with pipeline and partition search attributes', async () => {
    const handle = h.client.workflow.getHandle(`weather/${HOUR}`);
    expect(await scheduledActivities(handle)).toEqual(['ingest', 'validate', 'transform', 'load']);
    await recordHistory(handle, 'partition-succeeded');
    const desc = await handle.describe();
    expect(desc.typedSearchAttributes.get(PIPELINE_SA)).toBe('weather');
    expect(desc.typedSearchAttributes.get(PARTITION_SA)).toBe(HOUR);
    const found: string[] = [];
    for await (const wf of h.client.workflow.list({ query: `DataPulsePipeline = "weather" AND DataPulsePartition = "${HOUR}"` })) found.push(wf.workflowId);
    expect(found).toContain(`weather/${HOUR}`);
  });

  it('gives the same rows and ledger checksum when run again', async () => {
    const before = await targetRows();
    const { rows: l1 } = await h.pool.query('SELECT source_checksum, run_id FROM ledger WHERE partition_key = $1', [HOUR]);
    const again = await h.run('weather', HOUR);
    expect(again.rowsLoaded).toBe(3);
    expect(await targetRows()).toEqual(before);
    const { rows: l2 } = await h.pool.query('SELECT source_checksum, run_id, status FROM ledger WHERE partition_key = $1', [HOUR]);
    expect(l2[0].source_checksum).toBe(l1[0].source_checksum);
    expect(l2[0].run_id).not.toBe(l1[0].run_id);
    // A succeeded partition leaves no intermediate rows behind (DATAPULSE_KEEP_INTERMEDIATES unset).
    expect(await intermediateTables(h.pool)).toEqual([]);
  });

  it('makes two simultaneous starts of one partition meet on a single execution', async () => {
    const key = '2024-05-01T14';
    const [a, b] = await Promise.all([h.start('weather', key), h.start('weather', key)]);
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(ra).toEqual(rb);
    const runA = (await a.describe()).runId;
    const runB = (await b.describe()).runId;
    expect(runA).toBe(runB);
    expect(h.api.stats().byPath['/v1/forecast']).toBeGreaterThan(0);
  });
});

describe('city_weather partition (CSV drops in the landing folder)', () => {
  it('loads the rows of the day from the real vega-datasets weather.csv', async () => {
    const folder = path.join(h.landingDir, 'city_weather');
    mkdirSync(folder, { recursive: true });
    copyFileSync(vegaWeatherCsvPath(), path.join(folder, 'weather.csv'));
    const summary = await h.run('city_weather', '2012-01-03');
    expect(summary).toMatchObject({ rowsIn: 2, rowsValid: 2, rowsQuarantined: 0, rowsLoaded: 2 });
    const { rows } = await h.pool.query(
      `SELECT location, to_char(day, 'YYYY-MM-DD') AS day, precipitation_mm, temp_max_c, temp_min_c, temp_mean_c, wind_ms, conditions
         FROM city_weather_daily ORDER BY location`,
    );
    // From weather.csv: "New York,2012-01-03,0.0,0.6,-8.9,8.2,sun" and "Seattle,2012-01-03,0.8,11.7,7.2,2.3,rain"
    expect(rows).toEqual([
      { location: 'New York', day: '2012-01-03', precipitation_mm: 0, temp_max_c: 0.6, temp_min_c: -8.9, temp_mean_c: -4.15, wind_ms: 8.2, conditions: 'sun' },
      { location: 'Seattle', day: '2012-01-03', precipitation_mm: 0.8, temp_max_c: 11.7, temp_min_c: 7.2, temp_mean_c: 9.45, wind_ms: 2.3, conditions: 'rain' },
    ]);
  });
});
