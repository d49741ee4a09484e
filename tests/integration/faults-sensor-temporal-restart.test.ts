/**
 * A file sensor through a Temporal server restart (same port, same SQLite file): the server stops
 * while the partitions of a drop are running, a second file is dropped while it is down, and after
 * the restart every partition of both files has loaded exactly once (one run per workflow id),
 * nothing stays pending, and the same sensor run carries on.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDevServer, type DevServer } from '../../infra/dev-stack';
import { sensorInfo, signalSensor } from '../../ops/sensors';
import { sensorWorkflowId, type fileSensorWorkflow } from '../../workflows/sensor';
import { createFaultFixture, type FaultFixture } from './fault-fixture';
import { spawnWorker, waitFor, waitForPoller, type WorkerProcess } from './processes';

let dir: string;
let port: number;
let server: DevServer;
let f: FaultFixture;
let worker: WorkerProcess;
const HEADER = 'location,date,precipitation,temp_max,temp_min,wind,weather';
const rowsFor = (days: string[]) => [HEADER, ...days.flatMap((d) => [`Seattle,${d},1.0,10.0,5.0,3.0,rain`, `New York,${d},0.0,8.0,1.0,4.0,sun`])].join('\n') + '\n';

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'datapulse-sensor-restart-'));
  port = await freePort();
  server = await startDevServer({ port, dbFile: path.join(dir, 'temporal.sqlite'), headless: true });
  f = await createFaultFixture({ temporalAddress: server.address });
  mkdirSync(path.join(f.landingDir, 'city_weather'), { recursive: true });
  worker = spawnWorker(f.workerEnv());
  await waitForPoller(f.client, f.taskQueue, worker);
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await f?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function succeeded(days: string[]): Promise<number> {
  const { rows } = await f.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ledger WHERE pipeline = 'city_weather' AND partition_key = ANY($1::text[]) AND status = 'succeeded'`,
    [days],
  );
  return rows[0]?.n ?? 0;
}

describe('file sensor, Temporal server restarted', () => {
  it('loses no file and starts no partition twice', async () => {
    const handle = await f.client.workflow.start<typeof fileSensorWorkflow>('fileSensorWorkflow', {
      taskQueue: f.taskQueue,
      workflowId: sensorWorkflowId('city_weather'),
      args: [{ pipeline: 'city_weather', intervalMs: 500 }],
    });
    const first = ['2014-05-01', '2014-05-02', '2014-05-03', '2014-05-04', '2014-05-05', '2014-05-06'];
    const second = ['2014-06-01', '2014-06-02'];
    writeFileSync(path.join(f.landingDir, 'city_weather', 'may.csv'), rowsFor(first));
    await waitFor('a partition of the drop loaded', async () => ((await succeeded(first)) >= 1 ? true : undefined), { timeoutMs: 60_000, everyMs: 100 });
    await server.stop();
    // Dropped while the server is down: the next poll after the restart picks it up.
    writeFileSync(path.join(f.landingDir, 'city_weather', 'june.csv'), rowsFor(second));
    await new Promise((r) => setTimeout(r, 3000));
    server = await startDevServer({ port, dbFile: path.join(dir, 'temporal.sqlite'), headless: true });

    const all = [...first, ...second];
    await waitFor('both drops loaded', async () => ((await succeeded(all)) === all.length ? true : undefined), { timeoutMs: 150_000, everyMs: 500 });
    for (const d of all) {
      const { count } = await f.client.workflow.count(`WorkflowId = 'city_weather/${d}' AND TaskQueue = '${f.taskQueue}'`);
      expect(count, `runs of city_weather/${d}`).toBe(1);
    }
    const { rows: pending } = await f.pool.query(`SELECT partition_key FROM file_sensor_pending WHERE pipeline = 'city_weather'`);
    expect(pending).toEqual([]);
    expect(worker.child.exitCode).toBeNull();
    const status = (await sensorInfo(f.client, 'city_weather')).status!;
    expect(status.started).toBe(all.length);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await signalSensor(f.client, 'city_weather', 'stop');
    await handle.result();
  });
});
