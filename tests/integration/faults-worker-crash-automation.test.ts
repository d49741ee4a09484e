/**
 * A `datapulse worker` process SIGKILLed right after the last hour of a day loads — between the
 * upstream load and the downstream start — then a new worker started: the daily partition still
 * ends loaded exactly once (one execution of weather_daily/<day>, started by automation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysInRange } from '../../core/partition';
import { startPartition } from '../../ops/partition-runs';
import { closeFaultFixture, createFaultFixture, spawnPollingWorker, type FaultFixture } from './fault-fixture';
import { executions, spawnWorker, waitFor, type WorkerProcess } from './processes';

const DAY = '2023-08-02';
const HOURS = [...keysInRange('hourly', `${DAY}T00`, '2023-08-03T00')];

let f: FaultFixture;
let worker: WorkerProcess;

beforeAll(async () => {
  f = await createFaultFixture();
  worker = await spawnPollingWorker(f);
});

afterAll(() => closeFaultFixture(f, worker));

const status = async (pipeline: string, key: string) =>
  (await f.pool.query<{ status: string }>('SELECT status FROM ledger WHERE pipeline = $1 AND partition_key = $2', [pipeline, key])).rows[0]?.status;

describe('worker killed between an upstream load and the downstream start', () => {
  it('the daily partition is still started, and loaded exactly once', async () => {
    const run = (k: string) => startPartition(f.client, { taskQueue: f.taskQueue }, { pipeline: 'weather', partition: k });
    for (let i = 0; i < 23; i += 6) await Promise.all(HOURS.slice(i, Math.min(i + 6, 23)).map(async (k) => (await run(k)).result()));
    expect(await status('weather_daily', DAY)).toBeUndefined();

    const last = await run(HOURS[23]!);
    await waitFor('the last hour to load', async () => (await status('weather', HOURS[23]!)) === 'succeeded', { everyMs: 10 });
    expect(await worker.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const startedBeforeKill = await status('weather_daily', DAY);
    console.info(`[faults] automation: SIGKILL after the upstream load; weather_daily state at the kill: ${startedBeforeKill ?? 'not started'}`);
    worker = spawnWorker(f.workerEnv());
    await last.result();

    await waitFor('weather_daily to load', async () => (await status('weather_daily', DAY)) === 'succeeded', { timeoutMs: 150_000 }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; worker output: ${worker.output()}`);
    });
    const { rows } = await f.pool.query(`SELECT count(*)::int AS n FROM weather_daily WHERE dp_partition = $1`, [DAY]);
    expect(rows[0].n).toBe(3);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await executions(f.client, `weather_daily/${DAY}`, f.taskQueue)).toHaveLength(1);
    const { rows: inputs } = await f.pool.query('SELECT count(*)::int AS n FROM partition_inputs WHERE pipeline = $1 AND partition_key = $2', ['weather_daily', DAY]);
    expect(inputs[0].n).toBe(24);
  });
});
