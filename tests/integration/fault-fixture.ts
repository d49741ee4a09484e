/**
 * What the process-level fault tests share: an own schema, task queue, landing folder and fixture
 * weather API, a client, the environment for `spawnWorker`, and the exact rows and ledger a clean
 * run of the `weather` pipeline must leave (computed from the fixture's deterministic data).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect, inject } from 'vitest';
import { createPool, migrate, type Pool } from '../../infra/db';
import { generateObservation, startWeatherApi, type WeatherApiServer } from '../../infra/fixtures/weather-api';
import { weather } from '../../pipelines/weather';
import { intermediateTables } from './harness';
import { spawnWorker, terminateAutomation, waitForPoller, type WorkerProcess } from './processes';

export interface FaultFixture {
  readonly schema: string;
  readonly taskQueue: string;
  readonly landingDir: string;
  /** The test's own pool (application_name `datapulse-faulttest`), never the worker's. */
  readonly pool: Pool;
  readonly client: Client;
  readonly api: WeatherApiServer;
  readonly databaseUrl: string;
  /** Environment for `spawnWorker`: this fixture's server, database, schema, queue, API and folder. */
  workerEnv(temporalAddress?: string): Record<string, string>;
  close(): Promise<void>;
}

export async function createFaultFixture(opts: { temporalAddress?: string } = {}): Promise<FaultFixture> {
  const id = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const schema = `dp_fault_${id}`;
  const taskQueue = `fault-${id}`;
  const databaseUrl = inject('databaseUrl');
  const temporalAddress = opts.temporalAddress ?? inject('temporalAddress');
  const landingDir = mkdtempSync(path.join(os.tmpdir(), 'datapulse-fault-'));
  const pool = createPool({ connectionString: databaseUrl, schema, applicationName: 'datapulse-faulttest', max: 4 });
  await migrate(pool, schema);
  const api = await startWeatherApi({ port: 0 });
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  await terminateAutomation(client).catch(() => undefined);
  return {
    schema,
    taskQueue,
    landingDir,
    pool,
    client,
    api,
    databaseUrl,
    workerEnv: (address = temporalAddress) => ({
      TEMPORAL_ADDRESS: address,
      DATABASE_URL: databaseUrl,
      DATAPULSE_SCHEMA: schema,
      DATAPULSE_TASK_QUEUE: taskQueue,
      WEATHER_API_URL: api.url,
      LANDING_DIR: landingDir,
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    }),
    async close() {
      await terminateAutomation(client, taskQueue).catch(() => undefined);
      await connection.close();
      await api.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
      rmSync(landingDir, { recursive: true, force: true });
    },
  };
}

interface Location {
  id: string;
  latitude: number;
  longitude: number;
}

/** The rows one clean run of `weather` loads for `hours`, in (partition, location) order. */
export function expectedWeatherRows(hours: readonly string[]) {
  const locations = (weather.params.locations as unknown as Location[]).slice().sort((a, b) => (a.id < b.id ? -1 : 1));
  return [...hours].sort().flatMap((hour) =>
    locations.map((loc) => {
      const o = generateObservation(loc.latitude, loc.longitude, `${hour}:00`);
      return {
        dp_partition: hour,
        location_id: loc.id,
        observed_at: new Date(`${hour}:00:00Z`),
        temperature_c: o.temperature_2m,
        precipitation_mm: o.precipitation,
        wind_speed_ms: Math.round((o.wind_speed_10m / 3.6) * 100) / 100,
      };
    }),
  );
}

/**
 * The whole target table and ledger hold exactly what clean runs of `hours` leave: every row once,
 * with the right values, nothing else; every ledger row succeeded with counts that add up; no
 * partition left `running`; staging tables consistent with the ledger.
 */
export async function expectExactlyLoaded(pool: Pool, hours: readonly string[]): Promise<void> {
  const { rows } = await pool.query(
    `SELECT dp_partition, location_id, observed_at, temperature_c, precipitation_mm, wind_speed_ms
       FROM weather_observations ORDER BY dp_partition, location_id`,
  );
  expect(rows).toEqual(expectedWeatherRows(hours));
  const n = weather.params.locations.length;
  const ledger = await pool.query(
    `SELECT partition_key, status, rows_in, rows_valid, rows_quarantined, rows_deduplicated, rows_loaded, error
       FROM ledger WHERE pipeline = 'weather' ORDER BY partition_key`,
  );
  expect(ledger.rows).toEqual(
    [...hours].sort().map((hour) => ({
      partition_key: hour,
      status: 'succeeded',
      rows_in: n,
      rows_valid: n,
      rows_quarantined: 0,
      rows_deduplicated: 0,
      rows_loaded: n,
      error: null,
    })),
  );
  // (Derived partitions that automation starts after these loads are checked by their own tests.)
  const running = await pool.query(`SELECT pipeline, partition_key FROM ledger WHERE status <> 'succeeded' AND pipeline = 'weather'`);
  expect(running.rows).toEqual([]);
  expect((await pool.query('SELECT count(*)::int AS n FROM quarantine')).rows[0].n).toBe(0);
  // Every partition loaded, so none left intermediate rows behind (a retried step replaced its table).
  expect(await intermediateTables(pool)).toEqual([]);
}

/** The attempt and last failure of the final start of activity `type` in one run, from its history. */
export async function lastAttempt(client: Client, workflowId: string, runId: string, type: string) {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
  const started = events.find(
    (e) => e.activityTaskStartedEventAttributes && String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(scheduled?.eventId),
  );
  return { attempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0, lastFailure: started?.activityTaskStartedEventAttributes?.lastFailure };
}

/** A `datapulse worker` process on the fixture's task queue, once Temporal sees it polling. */
export async function spawnPollingWorker(f: FaultFixture): Promise<WorkerProcess> {
  const worker = spawnWorker(f.workerEnv());
  await waitForPoller(f.client, f.taskQueue, worker);
  return worker;
}

/** Stops the worker process a fault test left running (SIGTERM), then closes the fixture; either may be missing. */
export async function closeFaultFixture(f: FaultFixture | undefined, worker: WorkerProcess | undefined): Promise<void> {
  await worker?.kill('SIGTERM');
  await f?.close();
}
