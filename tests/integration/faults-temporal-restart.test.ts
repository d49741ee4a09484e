/**
 * The Temporal server stopped and started again (same port, same persistent SQLite file) in the
 * middle of a 48-partition backfill with slow source answers and concurrency 2, with a real worker
 * process on it. The backfill resumes from the server's durable state and finishes; every
 * partition ran exactly once (one execution per workflow id), is loaded exactly once with the
 * right values, and the ledger is clean.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrAttachBackfill } from '../../ops/backfill-client';
import { freePort, startDevServer, type DevServer } from '../../infra/dev-stack';
import { keysInRange } from '../../core/partition';
import { BackfillMode } from '../../core/plan';
import { weather } from '../../pipelines/weather';
import { createFaultFixture, expectExactlyLoaded, type FaultFixture } from './fault-fixture';
import { spawnWorker, waitFor, waitForPoller, type WorkerProcess } from './processes';

const FROM = '2024-11-01T00';
const TO = '2024-11-03T00';
const HOURS = [...keysInRange(weather.partitioning.granularity, FROM, TO)];

let dir: string;
let port: number;
let server: DevServer;
let f: FaultFixture;
let worker: WorkerProcess;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'datapulse-temporal-restart-'));
  port = await freePort();
  server = await startDevServer({ port, dbFile: path.join(dir, 'temporal.sqlite'), headless: true });
  f = await createFaultFixture({ temporalAddress: server.address });
  worker = spawnWorker(f.workerEnv());
  await waitForPoller(f.client, f.taskQueue, worker);
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await f?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function succeeded(): Promise<number> {
  const { rows } = await f.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger WHERE status = 'succeeded'`);
  return rows[0]?.n ?? 0;
}

describe('Temporal server restarted in the middle of a backfill', () => {
  it('the backfill finishes after the restart; each partition ran and loaded exactly once', async () => {
    expect(HOURS).toHaveLength(48);
    // Every forecast request answers after 300 ms: about a second per partition, two at a time.
    f.api.setFaults([{ kind: 'slow', delayMs: 300 }]);
    const { handle } = await startOrAttachBackfill(f.client, { taskQueue: f.taskQueue }, weather, {
      from: FROM,
      to: TO,
      mode: BackfillMode.MISSING,
      concurrency: 2,
    });

    await waitFor('a few partitions to succeed', async () => (await succeeded()) >= 8, { timeoutMs: 90_000 });
    const stoppedAt = Date.now();
    await server.stop();
    const doneBeforeStop = await succeeded();
    expect(doneBeforeStop).toBeLessThan(HOURS.length);
    // Down for a few seconds; the worker's in-flight activities keep running meanwhile.
    await new Promise((r) => setTimeout(r, 4000));
    server = await startDevServer({ port, dbFile: path.join(dir, 'temporal.sqlite'), headless: true });
    console.info(`[faults] temporal: server down for ${Date.now() - stoppedAt} ms with ${doneBeforeStop}/48 partitions done`);

    // The same worker process reconnects by itself (no restart needed).
    const summary = await handle.result();
    console.info(`[faults] temporal: backfill finished ${Date.now() - stoppedAt} ms after the stop; worker restarts: 0`);
    expect(worker.child.exitCode).toBeNull();
    expect(summary).toMatchObject({ status: 'completed', total: 48, done: 48, failed: 0, skipped: 0, joined: 0 });

    // One execution per partition workflow id, all completed, and the ledger names that run.
    const runs = new Map<string, string[]>();
    // (weather partitions: the derived weather_daily days that automation starts after them are not this test's subject)
    for await (const wf of f.client.workflow.list({ query: `WorkflowType = 'partitionWorkflow' AND DataPulsePipeline = 'weather'` })) {
      runs.set(wf.workflowId, [...(runs.get(wf.workflowId) ?? []), `${wf.runId}:${wf.status.name}`]);
    }
    expect([...runs.keys()].sort()).toEqual(HOURS.map((h) => `weather/${h}`));
    const { rows: ledger } = await f.pool.query<{ partition_key: string; run_id: string }>(`SELECT partition_key, run_id FROM ledger WHERE pipeline = 'weather' ORDER BY 1`);
    for (const l of ledger) expect(runs.get(`weather/${l.partition_key}`)).toEqual([`${l.run_id}:COMPLETED`]);

    await expectExactlyLoaded(f.pool, HOURS);
  });
});
