/**
 * A file sensor through a worker SIGKILL: the worker process dies right after the sensor has
 * started the partitions of a dropped file; a new worker process takes over. Every partition of the
 * file loads exactly once (one workflow run per id), nothing stays pending, and the sensor keeps
 * working for the next drop.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sensorInfo, signalSensor } from '../../ops/sensors';
import { sensorWorkflowId, type fileSensorWorkflow } from '../../workflows/sensor';
import { createFaultFixture, type FaultFixture } from './fault-fixture';
import { spawnWorker, waitFor, waitForPoller, type WorkerProcess } from './processes';

let f: FaultFixture;
let worker: WorkerProcess;
const HEADER = 'location,date,precipitation,temp_max,temp_min,wind,weather';
const rowsFor = (days: string[]) => [HEADER, ...days.flatMap((d) => [`Seattle,${d},1.0,10.0,5.0,3.0,rain`, `New York,${d},0.0,8.0,1.0,4.0,sun`])].join('\n') + '\n';

beforeAll(async () => {
  f = await createFaultFixture();
  mkdirSync(path.join(f.landingDir, 'city_weather'), { recursive: true });
  worker = spawnWorker(f.workerEnv());
  await waitForPoller(f.client, f.taskQueue, worker);
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await f?.close();
});

async function succeeded(days: string[]): Promise<boolean> {
  const { rows } = await f.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger WHERE pipeline = 'city_weather' AND partition_key = ANY($1::text[]) AND status = 'succeeded'`,
    [days],
  );
  return rows[0]?.n === days.length;
}

describe('file sensor, worker killed with SIGKILL', () => {
  it('loads every partition of the drop exactly once on the new worker, and keeps sensing', async () => {
    const handle = await f.client.workflow.start<typeof fileSensorWorkflow>('fileSensorWorkflow', {
      taskQueue: f.taskQueue,
      workflowId: sensorWorkflowId('city_weather'),
      args: [{ pipeline: 'city_weather', intervalMs: 500 }],
    });
    const days = ['2013-03-01', '2013-03-02', '2013-03-03', '2013-03-04', '2013-03-05', '2013-03-06'];
    writeFileSync(path.join(f.landingDir, 'city_weather', 'march.csv'), rowsFor(days));
    // The sensor has started the partitions: a ledger row appears. Kill the worker there.
    await waitFor('a partition started by the sensor', async () => {
      const { rows } = await f.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger WHERE pipeline = 'city_weather'`);
      return (rows[0]?.n ?? 0) > 0 ? true : undefined;
    }, { everyMs: 50, timeoutMs: 60_000 });
    expect(await worker.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    worker = spawnWorker(f.workerEnv());
    await waitFor('every day of the drop loaded', async () => ((await succeeded(days)) ? true : undefined), { timeoutMs: 150_000, everyMs: 500 });
    for (const d of days) {
      const { count } = await f.client.workflow.count(`WorkflowId = 'city_weather/${d}' AND TaskQueue = '${f.taskQueue}'`);
      expect(count, `runs of city_weather/${d}`).toBe(1);
    }
    const { rows: pending } = await f.pool.query(`SELECT partition_key FROM file_sensor_pending WHERE pipeline = 'city_weather'`);
    expect(pending).toEqual([]);
    const { rows: loaded } = await f.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM city_weather_daily WHERE day >= '2013-03-01' AND day < '2013-03-07'`);
    expect(loaded[0]?.n).toBe(12);

    // The sensor survived: the next drop loads too.
    const more = ['2013-04-01', '2013-04-02'];
    writeFileSync(path.join(f.landingDir, 'city_weather', 'april.csv'), rowsFor(more));
    await waitFor('the next drop loaded', async () => ((await succeeded(more)) ? true : undefined), { timeoutMs: 60_000, everyMs: 250 });
    const status = (await sensorInfo(f.client, 'city_weather')).status!;
    expect(status.started).toBe(8);
    await signalSensor(f.client, 'city_weather', 'stop');
    await handle.result();
  });
});
