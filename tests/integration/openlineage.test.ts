/**
 * OpenLineage run events with OPENLINEAGE_URL set, received by a real local HTTP server: a derived
 * partition that cannot run yet sends START then FAIL (with the error), and once its inputs loaded
 * START then COMPLETE with its run id, its input and output tables and its nominal time; every
 * event has the shape the OpenLineage 2-0-2 RunEvent schema requires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { keysInRange } from '../../core/partition';
import { OPENLINEAGE_SCHEMA_URL } from '../../activities/openlineage';
import { createHarness, type Harness } from './harness';
import { waitFor } from './processes';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const DAY = '2023-09-05';
const HOURS = [...keysInRange('hourly', `${DAY}T00`, '2023-09-06T00')];

/** The required structure of an OpenLineage RunEvent (spec 2-0-2, $defs/RunEvent, Run, Job, Dataset, facets). */
const facet = z.object({ _producer: z.string().url(), _schemaURL: z.string().url() }).passthrough();
const dataset = z.object({ namespace: z.string().min(1), name: z.string().min(1) }).passthrough();
const RunEvent = z
  .object({
    eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']),
    eventTime: z.string().datetime({ offset: true }),
    producer: z.string().url(),
    schemaURL: z.string().url(),
    run: z.object({ runId: z.string().uuid(), facets: z.record(z.string(), facet).optional() }),
    job: z.object({ namespace: z.string().min(1), name: z.string().min(1), facets: z.record(z.string(), facet).optional() }),
    inputs: z.array(dataset).optional(),
    outputs: z.array(dataset).optional(),
  })
  .strict();
type RunEvent = z.infer<typeof RunEvent>;

let h: Harness;
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await createHarness({ env: { OPENLINEAGE_URL: new URL(receiver.url).origin } });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const events = (job: string): RunEvent[] =>
  receiver.posts.filter((p) => p.path === '/api/v1/lineage' && (p.body as { job?: { name?: string } }).job?.name === job).map((p) => RunEvent.parse(p.body));

describe('OpenLineage run events', () => {
  it('START then FAIL with the error for a derived partition whose inputs are missing', async () => {
    await h.run('weather_daily', DAY).catch(() => undefined);
    const evs = events('weather_daily');
    expect(evs.map((e) => e.eventType)).toEqual(['START', 'FAIL']);
    expect(evs[0]!.run.runId).toBe(evs[1]!.run.runId);
    expect(String(evs[1]!.run.facets?.errorMessage?.message)).toContain('waits for 24 of 24 upstream partition(s) of weather');
  });

  it('START then COMPLETE with run id, input and output tables and nominal time once the inputs loaded', async () => {
    receiver.clear();
    for (let i = 0; i < HOURS.length; i += 6) await Promise.all(HOURS.slice(i, i + 6).map((k) => h.run('weather', k)));
    const complete = await waitFor('the COMPLETE event of weather_daily', () => events('weather_daily').find((e) => e.eventType === 'COMPLETE'));
    const run = events('weather_daily').filter((e) => e.run.runId === complete.run.runId);
    expect(run.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    const { rows } = await h.pool.query(`SELECT run_id FROM ledger WHERE pipeline = 'weather_daily' AND partition_key = $1`, [DAY]);
    expect(complete.run.runId).toBe(rows[0].run_id);
    expect(complete.schemaURL).toBe(OPENLINEAGE_SCHEMA_URL);
    expect(complete.job).toEqual({ namespace: 'datapulse', name: 'weather_daily' });
    const db = (await h.pool.query<{ d: string }>('SELECT current_database() AS d')).rows[0]!.d;
    expect(complete.inputs).toEqual([{ namespace: expect.stringMatching(/^postgres:\/\/[^/]+:\d+$/), name: `${db}.${h.schema}.weather_observations` }]);
    expect(complete.outputs).toEqual([{ namespace: complete.inputs![0]!.namespace, name: `${db}.${h.schema}.weather_daily` }]);
    expect(complete.run.facets?.nominalTime).toMatchObject({ nominalStartTime: `${DAY}T00:00:00.000Z`, nominalEndTime: '2023-09-06T00:00:00.000Z' });
    // The hourly source partitions report their API as input.
    const hour = events('weather').find((e) => e.eventType === 'COMPLETE')!;
    expect(hour.inputs).toEqual([{ namespace: h.api.url, name: 'weather' }]);
    expect(hour.outputs?.[0]?.name).toBe(`${db}.${h.schema}.weather_observations`);
  });
});
