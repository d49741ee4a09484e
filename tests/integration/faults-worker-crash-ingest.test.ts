/**
 * The worker process killed with SIGKILL — no graceful shutdown, no chance to report — while ingest
 * waits on a slow HTTP answer, then a new worker process started. Temporal notices the dead worker
 * through ingest's heartbeat timeout and retries ingest on the new worker; the partition ends with
 * exactly the rows of one clean run and a clean ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPartition } from '../../ops/partition-runs';
import { closeFaultFixture, createFaultFixture, expectExactlyLoaded, lastAttempt, spawnPollingWorker, type FaultFixture } from './fault-fixture';
import { spawnWorker, waitFor, type WorkerProcess } from './processes';

let f: FaultFixture;
let worker: WorkerProcess;

beforeAll(async () => {
  f = await createFaultFixture();
  worker = await spawnPollingWorker(f);
});

afterAll(() => closeFaultFixture(f, worker));

describe('worker killed with SIGKILL during ingest', () => {
  it('the new worker retries ingest after the heartbeat timeout; rows and ledger exact', async () => {
    const before = '2024-10-02T00';
    const partition = '2024-10-02T01';
    const start = (key: string) => startPartition(f.client, { taskQueue: f.taskQueue }, { pipeline: 'weather', partition: key });
    // A partition loaded before the crash must come through untouched.
    await (await start(before)).result();

    f.api.setFaults([{ kind: 'slow', delayMs: 12_000, times: 1 }]);
    const handle = await start(partition);
    await waitFor('the first forecast request to hang in the worker', () => f.api.stats().faultsServed >= 1);
    const { rows } = await f.pool.query(`SELECT status FROM ledger WHERE pipeline = 'weather' AND partition_key = $1`, [partition]);
    expect(rows[0]?.status).toBe('running');

    const killedAt = Date.now();
    expect(await worker.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    worker = spawnWorker(f.workerEnv());

    const summary = await handle.result();
    console.info(`[faults] ingest: SIGKILL → partition succeeded on the new worker ${Date.now() - killedAt} ms later`);
    expect(summary).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsLoaded: 3, rowsQuarantined: 0, rowsDeduplicated: 0 });
    const ingest = await lastAttempt(f.client, handle.workflowId, (await handle.describe()).runId, 'ingest');
    expect(ingest.attempt).toBe(2);
    expect(ingest.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(4); // TIMEOUT_TYPE_HEARTBEAT
    // The killed attempt's request was cut; the retry asked again: 1 (slow) + 3 + 3 for `before`.
    expect(f.api.stats().byPath['/v1/forecast']).toBe(7);
    await expectExactlyLoaded(f.pool, [before, partition]);
  });
});
