/**
 * PostgreSQL connections of the worker terminated by the server (pg_terminate_backend, as an admin
 * or a failover would) in the middle of an activity: while load waits on a table lock inside its
 * transaction, and while ingest streams its COPY. The step fails with a connection error, the
 * pool drops the dead connections, the activity retries, and the partition ends with exactly the
 * rows of one clean run and a clean ledger.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { expectExactlyLoaded, lastAttempt } from './fault-fixture';
import { createHarness, type Harness } from './harness';
import { waitFor } from './processes';

let h: Harness;
/** A connection outside the worker's pool, to watch and terminate the worker's backends. */
let admin: pg.Client;
/** application_name of the harness pool (worker and test share it; the test is idle meanwhile). */
let appName: string;
const loaded: string[] = [];

beforeAll(async () => {
  h = await createHarness();
  admin = new pg.Client({ connectionString: inject('databaseUrl'), application_name: 'datapulse-faulttest-admin' });
  await admin.connect();
  appName = (await h.pool.query<{ a: string }>('SELECT application_name AS a FROM pg_stat_activity WHERE pid = pg_backend_pid()')).rows[0]!.a;
  expect(appName).toMatch(/^datapulse-test-/);
});

afterAll(async () => {
  await admin?.end();
  await h?.close();
});

beforeEach(() => h.api.clearFaults());

/**
 * Terminates the backends matching `where` (on pg_stat_activity), returning their pids. Two steps,
 * never `WHERE ... AND pg_terminate_backend(pid)`: PostgreSQL may evaluate the call before the other
 * conditions, on every backend of the server.
 */
async function terminate(where: string, params: unknown[]): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ${where}`, params);
  for (const { pid } of rows) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  return rows.map((r) => r.pid);
}

describe('PostgreSQL connections terminated mid-activity', () => {
  it('load: its backend, blocked on a lock inside the transaction, is terminated; the retry loads exactly once', async () => {
    const partition = '2024-10-04T00';
    await h.run('weather', partition); // previous rows, and the target table exists
    const locker = new pg.Client({ connectionString: inject('databaseUrl'), application_name: 'datapulse-faulttest-lock' });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${h.schema}".weather_observations IN ACCESS EXCLUSIVE MODE`);
      const lockPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const handle = await h.start('weather', partition);
      const blockedPid = async () =>
        (
          await admin.query<{ pid: number; query: string }>(
            `SELECT pid, query FROM pg_stat_activity WHERE application_name = $1 AND $2 = ANY(pg_blocking_pids(pid))`,
            [appName, lockPid],
          )
        ).rows[0];
      const blocked = await waitFor('load to wait on the lock', blockedPid);
      expect(blocked.query).toMatch(/^DELETE FROM "weather_observations"/);
      expect(await terminate(`application_name = $1 AND $2 = ANY(pg_blocking_pids(pid))`, [appName, lockPid])).toEqual([blocked.pid]);
      // The retry (1 s later) opens a new connection and blocks on the lock again.
      const again = await waitFor('the retried load to wait on the lock', async () => {
        const b = await blockedPid();
        return b && b.pid !== blocked.pid ? b : undefined;
      });
      expect(again.query).toMatch(/^DELETE FROM "weather_observations"/);
      await locker.query('COMMIT');

      const summary = await handle.result();
      expect(summary).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsLoaded: 3, rowsQuarantined: 0, rowsDeduplicated: 0 });
      const load = await lastAttempt(h.client, handle.workflowId, (await handle.describe()).runId, 'load');
      expect(load.attempt).toBe(2);
      expect(load.lastFailure?.message).toMatch(/terminating connection due to administrator command/);
    } finally {
      await locker.end();
    }
    loaded.push(partition);
    await expectExactlyLoaded(h.pool, loaded);
  });

  it('ingest: every backend of the worker is terminated while its COPY waits for a slow source; the retry ingests exactly once', async () => {
    const partition = '2024-10-04T01';
    h.api.setFaults([{ kind: 'slow', delayMs: 3000, times: 1 }]);
    const handle = await h.start('weather', partition);
    const copying = await waitFor('ingest to stream its COPY', async () => {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'COPY "dp\\_raw\\_%'`,
        [appName],
      );
      return rows[0];
    });
    expect(await terminate('application_name = $1', [appName])).toContain(copying.pid);

    const summary = await handle.result();
    expect(summary).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsLoaded: 3 });
    const ingest = await lastAttempt(h.client, handle.workflowId, (await handle.describe()).runId, 'ingest');
    expect(ingest.attempt).toBe(2);
    expect(ingest.lastFailure?.message).toMatch(/terminat|Connection/i);
    loaded.push(partition);
    await expectExactlyLoaded(h.pool, loaded);
  });

  it('the worker keeps working afterwards', async () => {
    const partition = '2024-10-04T02';
    expect((await h.run('weather', partition)).rowsLoaded).toBe(3);
    loaded.push(partition);
    await expectExactlyLoaded(h.pool, loaded);
  });
});
