/**
 * The worker process killed with SIGKILL while PostgreSQL's COPY of a big landing file (the
 * set-based path, activities/set-based.ts) is streaming into the raw table, then a new worker
 * process started. The dead worker's transaction dies with its connection (nothing of the partial
 * COPY stays); Temporal notices through ingest's heartbeat timeout and retries ingest on the new
 * worker, which reads the file again; the partition ends with exactly the file's rows, once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intermediateName } from '../../activities/intermediates';
import { startPartition } from '../../ops/partition-runs';
import { closeFaultFixture, createFaultFixture, lastAttempt, spawnPollingWorker, type FaultFixture } from './fault-fixture';
import { spawnWorker, waitFor, type WorkerProcess } from './processes';

let f: FaultFixture;
let worker: WorkerProcess;

beforeAll(async () => {
  f = await createFaultFixture();
  worker = await spawnPollingWorker(f);
});

afterAll(() => closeFaultFixture(f, worker));

describe('worker killed with SIGKILL during the set-based COPY', () => {
  it('the new worker reads the file again after the heartbeat timeout; rows and ledger exact', async () => {
    const partition = '2012-03-01';
    // Big enough for the COPY to be caught running (~2 million rows, ~100 MB).
    const n = 2_000_000;
    const dir = path.join(f.landingDir, 'city_weather');
    mkdirSync(dir, { recursive: true });
    const lines = ['location,date,precipitation,temp_max,temp_min,wind,weather'];
    for (let i = 0; i < n; i++) lines.push(`station-${i},${partition},${i % 30}.5,${10 + (i % 20)},${i % 10},${i % 7}.1,sun`);
    writeFileSync(path.join(dir, `${partition}.csv`), lines.join('\n') + '\n');

    const handle = await startPartition(f.client, { taskQueue: f.taskQueue }, { pipeline: 'city_weather', partition });
    const raw = intermediateName('raw', 'city_weather', partition);
    await waitFor(
      'the set-based COPY to be streaming',
      async () => {
        const r = await f.pool.query(`SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1`, [`COPY "${raw}"%dp_typed%`]);
        return r.rowCount! > 0;
      },
      { timeoutMs: 120_000, everyMs: 20 },
    );
    const killedAt = Date.now();
    expect(await worker.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    worker = spawnWorker(f.workerEnv());

    const summary = await handle.result();
    console.info(`[faults] set-based COPY: SIGKILL → partition succeeded on the new worker ${Date.now() - killedAt} ms later`);
    expect(summary).toMatchObject({ rowsIn: n, rowsValid: n, rowsLoaded: n, rowsQuarantined: 0, rowsDeduplicated: 0 });
    const ingest = await lastAttempt(f.client, handle.workflowId, (await handle.describe()).runId, 'ingest');
    expect(ingest.attempt).toBe(2);
    const { rows } = await f.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT location)::int AS distinct_locations FROM city_weather_daily WHERE dp_partition = $1`,
      [partition],
    );
    expect(rows[0]).toEqual({ n, distinct_locations: n });
    const led = await f.pool.query(`SELECT status, rows_in, rows_loaded FROM ledger WHERE pipeline = 'city_weather' AND partition_key = $1`, [partition]);
    expect(led.rows[0]).toEqual({ status: 'succeeded', rows_in: n, rows_loaded: n });
    const left = await f.pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'dp\\_%'`);
    expect(left.rows[0].n).toBe(0);
  }, 240_000);
});
