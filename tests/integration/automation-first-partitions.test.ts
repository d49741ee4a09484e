/**
 * Automation on a fresh database (real Temporal dev server, worker and PostgreSQL): a derived
 * dataset read through `latest()` or `cumulative()` gets its very first partition by automation once
 * every upstream partition it maps to has loaded — `freelancers/all` after `freelance_profiles/all`
 * (README: "then freelancers/all follows by automation"), `freelance_skill_supply/all` after it, a
 * month of `freelance_revenue` whose invoices loaded before the snapshot it also reads, and the
 * first day of a `cumulative()` dataset once all its hours loaded — each started once, with the
 * shared partition workflow id, by the downstream's automation workflow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { automationWorkflowId } from '../../core/automation';
import { cumulative } from '../../core/mapping';
import { keysInRange } from '../../core/partition';
import { daily, definePipeline, hourly } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { freelanceInvoices } from '../../pipelines/freelance-invoices';
import { freelanceRevenue, freelancers, freelanceSkillSupply } from '../../pipelines/freelance-indicators';
import { freelanceProfiles } from '../../pipelines/freelance-profiles';
import { weather } from '../../pipelines/weather';
import { generateFreelance } from '../../scripts/generate-freelance';
import { createHarness, type Harness } from './harness';
import { executions, waitFor } from './processes';

const DAY = '2023-07-20';
const HOURS = [...keysInRange('hourly', `${DAY}T00`, '2023-07-21T00')];
const MONTH = '2024-01';

/** Hourly weather whose first partition is DAY's first hour, so a cumulative input can be complete. */
const weatherFromDay = definePipeline({ ...weather, partitioning: hourly(`${DAY}T00`) });

/** Hours of data per location from the first hour to the end of the day (a running count). */
const weatherToDate = definePipeline({
  name: 'weather_to_date',
  description: 'Hours of weather data per location up to the end of the day',
  version: 1,
  partitioning: daily(DAY),
  params: {},
  source: {
    kind: 'derived',
    inputs: { hourly: { pipeline: 'weather', mapping: cumulative() } },
    query: `SELECT location_id, (:partition)::date AS day, count(DISTINCT observed_at)::int AS hours FROM {{hourly}} GROUP BY location_id ORDER BY location_id`,
  },
  schema: z.object({ location_id: z.string().min(1), day: z.string(), hours: z.number().int().min(1) }),
  transform: (row) => row,
  target: { table: 'weather_to_date', columns: { location_id: 'text', day: 'date', hours: 'integer' }, key: ['location_id', 'day'] },
});

// The revenue's alerts are not what this file tests (freelance-platform.test.ts does): no post-load action.
const registry = createRegistry([weatherFromDay, weatherToDate, freelanceProfiles, freelancers, freelanceSkillSupply, freelanceInvoices, { ...freelanceRevenue, afterLoad: [] }]);

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ registry });
  await generateFreelance({ out: h.landingDir, scale: 200, months: 1, freelancers: 20, seed: 3 });
}, 120_000);
afterAll(async () => h?.close());

async function ledgerRow(pipeline: string, key: string) {
  const { rows } = await h.pool.query('SELECT status, run_id FROM ledger WHERE pipeline = $1 AND partition_key = $2', [pipeline, key]);
  return rows[0] as { status: string; run_id: string } | undefined;
}

/** The ledger row once the partition succeeded. */
async function loaded(pipeline: string, key: string) {
  return waitFor(`${pipeline}/${key} to load by automation`, async () => {
    const row = await ledgerRow(pipeline, key);
    return row?.status === 'succeeded' ? row : undefined;
  });
}

/** The partition's one execution was started by the pipeline's automation workflow. */
async function expectStartedOnceByAutomation(pipeline: string, key: string, runId: string): Promise<void> {
  expect(await executions(h.client, `${pipeline}/${key}`, h.config.taskQueue)).toEqual([runId]);
  const run = await h.client.workflow.getHandle(`${pipeline}/${key}`).describe();
  expect(run.parentExecution?.workflowId).toBe(automationWorkflowId(pipeline, h.config.taskQueue));
}

describe('automation on a fresh database', () => {
  it('latest(): a snapshot load starts the first partition of the datasets reading it, and of a month waiting for it', async () => {
    // Invoices first: their month of revenue also reads freelancers/all, which does not exist yet.
    await h.run('freelance_invoices', MONTH);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await ledgerRow('freelance_revenue', MONTH)).toBeUndefined();

    await h.run('freelance_profiles', 'all');
    const people = await loaded('freelancers', 'all');
    const supply = await loaded('freelance_skill_supply', 'all');
    const revenue = await loaded('freelance_revenue', MONTH);
    const { rows } = await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM freelancers');
    expect(rows[0]!.n).toBe(20);
    // Let any late burst be planned, then count: one execution each, started by automation.
    await new Promise((r) => setTimeout(r, 4_000));
    await expectStartedOnceByAutomation('freelancers', 'all', people.run_id);
    await expectStartedOnceByAutomation('freelance_skill_supply', 'all', supply.run_id);
    await expectStartedOnceByAutomation('freelance_revenue', MONTH, revenue.run_id);
    // Only the month whose invoices loaded: the next one reads invoices that do not exist.
    expect(await ledgerRow('freelance_revenue', '2024-02')).toBeUndefined();
  });

  it('cumulative(): the first day starts once every hour up to its end has loaded', async () => {
    for (let i = 0; i < HOURS.length; i += 6) await Promise.all(HOURS.slice(i, i + 6).map((k) => h.run('weather', k)));
    const day = await loaded('weather_to_date', DAY);
    const { rows } = await h.pool.query<{ location_id: string; hours: number }>('SELECT location_id, hours FROM weather_to_date ORDER BY location_id');
    expect(rows).toEqual(['berlin', 'new_york', 'seattle'].map((location_id) => ({ location_id, hours: 24 })));
    await new Promise((r) => setTimeout(r, 4_000));
    await expectStartedOnceByAutomation('weather_to_date', DAY, day.run_id);
    expect(await ledgerRow('weather_to_date', '2023-07-21')).toBeUndefined();
  });
});
