/**
 * Automation of derived datasets on the real servers: 24 hourly loads of a day start its
 * weather_daily partition exactly once, when the last one lands; an hour re-loaded with different
 * data makes the day stale and automation refreshes it; an hour re-loaded with the same data starts
 * nothing; a pipeline with `automation: 'manual'` is never started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysInRange } from '../../core/partition';
import { createRegistry } from '../../core/registry';
import { definePipeline } from '../../core/pipeline';
import { staleKeys } from '../../activities/staleness';
import { cityWeather } from '../../pipelines/city-weather';
import { cityWeatherMonthly } from '../../pipelines/city-weather-monthly';
import { weather } from '../../pipelines/weather';
import { weatherDaily } from '../../pipelines/weather-daily';
import { createHarness, recordHistory, type Harness } from './harness';
import { executions, waitFor } from './processes';
import { automationWorkflowId } from '../../core/automation';

const DAY = '2023-07-20';
const HOURS = [...keysInRange('hourly', `${DAY}T00`, '2023-07-21T00')];

const manualDaily = definePipeline({ ...weatherDaily, name: 'manual_daily', automation: 'manual', target: { ...weatherDaily.target, table: 'manual_daily' } });
const registry = createRegistry([weather, cityWeather, weatherDaily, cityWeatherMonthly, manualDaily]);

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ registry });
});
afterAll(async () => h?.close());


async function ledgerRow(pipeline: string, key: string) {
  const { rows } = await h.pool.query('SELECT status, run_id FROM ledger WHERE pipeline = $1 AND partition_key = $2', [pipeline, key]);
  return rows[0] as { status: string; run_id: string } | undefined;
}

describe('automation', () => {
  it('24 hourly loads start the daily partition once, when the last one lands', async () => {
    for (let i = 0; i < HOURS.length; i += 6) await Promise.all(HOURS.slice(i, i + 6).map((k) => h.run('weather', k)));
    const row = await waitFor('weather_daily to load by automation', async () => ((await ledgerRow('weather_daily', DAY))?.status === 'succeeded' ? ledgerRow('weather_daily', DAY) : undefined));
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM weather_daily');
    expect(rows[0].n).toBe(3);
    // Let any late burst be planned, then count: one execution of the day, started by automation.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await executions(h.client, `weather_daily/${DAY}`, h.config.taskQueue)).toEqual([row.run_id]);
    const child = await h.client.workflow.getHandle(`weather_daily/${DAY}`).describe();
    expect(child.parentExecution?.workflowId).toBe(automationWorkflowId('weather_daily', h.config.taskQueue));
    expect(await ledgerRow('manual_daily', DAY)).toBeUndefined();
  });

  it('an hour re-loaded with the same data starts nothing', async () => {
    const before = await ledgerRow('weather_daily', DAY);
    await h.run('weather', `${DAY}T05`);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await ledgerRow('weather_daily', DAY)).toEqual(before);
    expect(await executions(h.client, `weather_daily/${DAY}`, h.config.taskQueue)).toHaveLength(1);
  });

  it('an hour re-loaded with different data: the day goes stale and automation refreshes it', async () => {
    const before = await ledgerRow('weather_daily', DAY);
    h.api.setFaults([{ kind: 'bad-values', latitude: 47.61 }]);
    try {
      await h.run('weather', `${DAY}T13`);
    } finally {
      h.api.clearFaults();
    }
    const after = await waitFor('automation to re-run the stale day', async () => {
      const r = await ledgerRow('weather_daily', DAY);
      return r && r.status === 'succeeded' && r.run_id !== before?.run_id ? r : undefined;
    });
    expect(after.run_id).not.toBe(before?.run_id);
    expect((await staleKeys(h.pool, registry, 'weather_daily')).size).toBe(0);
    const { rows } = await h.pool.query(`SELECT hours FROM weather_daily WHERE location_id = 'seattle'`);
    expect(rows).toEqual([{ hours: 23 }]);
    // The manual pipeline: a stale mark shows in status, nothing runs it.
    expect(await ledgerRow('manual_daily', DAY)).toBeUndefined();
    await recordHistory(h.client.workflow.getHandle(automationWorkflowId('weather_daily', h.config.taskQueue)), 'automation-burst');
    await recordHistory(h.client.workflow.getHandle(`weather/${DAY}T13`), 'partition-notified-downstream');
  });
});
