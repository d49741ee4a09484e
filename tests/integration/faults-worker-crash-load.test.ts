/**
 * The worker process killed with SIGKILL while load's DELETE waits on a table lock, inside the load
 * transaction; then the lock released and a new worker process started. The dead worker's
 * transaction never commits; Temporal notices the dead worker through load's heartbeat timeout and
 * retries load on the new worker; the partition ends with exactly the rows of one clean run (the
 * previous rows stayed in place meanwhile) and a clean ledger.
 */
import pg from 'pg';
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

describe('worker killed with SIGKILL during load', () => {
  it('the transaction dies with the worker and the retry on the new worker loads exactly once', async () => {
    const partition = '2024-10-03T00';
    const start = () => startPartition(f.client, { taskQueue: f.taskQueue }, { pipeline: 'weather', partition });
    // A first clean run: the partition has rows, and this worker has created the target table.
    const first = await (await start()).result();
    expect(first.rowsLoaded).toBe(3);

    const locker = new pg.Client({ connectionString: f.databaseUrl, application_name: 'datapulse-faulttest-lock' });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${f.schema}".weather_observations IN ACCESS EXCLUSIVE MODE`);
      const lockPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

      // Run the partition again: its load blocks on the DELETE that replaces the old rows.
      const handle = await start();
      // Observed from another connection: inside a transaction pg_stat_activity is a frozen snapshot.
      const blocked = await waitFor('the load transaction to wait on the lock', async () => {
        const { rows } = await f.pool.query<{ pid: number; query: string }>(
          `SELECT pid, query FROM pg_stat_activity WHERE application_name = 'datapulse-worker' AND $1 = ANY(pg_blocking_pids(pid))`,
          [lockPid],
        );
        // pg_stat_activity is a snapshot taken at the start of this statement while
        // pg_blocking_pids is live: the row may still show the statement before the DELETE.
        return rows[0] && /^DELETE/.test(rows[0].query) ? rows[0] : undefined;
      });
      expect(blocked.query).toMatch(/^DELETE FROM "weather_observations"/);

      const killedAt = Date.now();
      expect(await worker.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      // The old rows are still there (read inside the lock holder's transaction).
      const old = await locker.query(`SELECT count(*)::int AS n FROM "${f.schema}".weather_observations WHERE dp_partition = $1`, [partition]);
      expect(old.rows[0].n).toBe(3);
      await locker.query('COMMIT');
      // The orphaned backend runs its DELETE, cannot answer the dead client, and rolls back.
      await waitFor('the dead worker’s backend to end', async () => (await f.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [blocked.pid])).rows.length === 0);
      worker = spawnWorker(f.workerEnv());

      const summary = await handle.result();
      console.info(`[faults] load: SIGKILL → partition succeeded on the new worker ${Date.now() - killedAt} ms later`);
      expect(summary).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsLoaded: 3, rowsQuarantined: 0, rowsDeduplicated: 0 });
      const runId = (await handle.describe()).runId;
      const load = await lastAttempt(f.client, handle.workflowId, runId, 'load');
      expect(load.attempt).toBe(2);
      expect(load.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(4); // TIMEOUT_TYPE_HEARTBEAT
      const { rows } = await f.pool.query(`SELECT run_id FROM ledger WHERE pipeline = 'weather' AND partition_key = $1`, [partition]);
      expect(rows[0].run_id).toBe(runId);
    } finally {
      await locker.end();
    }
    await expectExactlyLoaded(f.pool, [partition]);
  });
});
