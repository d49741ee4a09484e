/**
 * Per-file test harness: its own PostgreSQL schema, task queue, landing folder and fixture weather
 * API, and a real worker on the shared real Temporal dev server. Nothing is shared between files.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../infra/config';
import { createPool, migrate, type Pool } from '../../infra/db';
import { freePort } from '../../infra/dev-stack';
import { startWeatherApi, type WeatherApiServer } from '../../infra/fixtures/weather-api';
import { createLogger, type Logger } from '../../infra/logger';
import { createPipelineMetrics, startMetricsServer, type MetricsServer } from '../../infra/metrics';
import type { Registry } from '../../core/registry';
import { clientInterceptors } from '../../infra/temporal-client';
import { startPartition } from '../../ops/partition-runs';
import { installTemporalRuntime } from '../../infra/temporal-runtime';
import { registry as defaultRegistry } from '../../pipelines';
import { terminateAutomation } from './processes';
import { createDataPulseWorker } from '../../workers/worker';
import { createActivities, type Activities } from '../../activities';
import type { partitionWorkflow, PartitionSummary } from '../../workflows/partition';

/** The partition intermediate tables (activities/intermediates.ts) present in the pool's schema. */
export async function intermediateTables(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND (tablename LIKE 'dp\\_raw\\_%' OR tablename LIKE 'dp\\_stg\\_%') ORDER BY 1`,
  );
  return rows.map((r) => r.tablename);
}

export interface Harness {
  readonly config: Config;
  readonly pool: Pool;
  readonly client: Client;
  readonly api: WeatherApiServer;
  readonly landingDir: string;
  readonly schema: string;
  readonly worker: Worker;
  /** With `metrics: true`: the worker's /metrics URL (DataPulse + Temporal SDK metrics). */
  readonly metricsUrl?: string;
  start(pipeline: string, partition: string): Promise<WorkflowHandle<typeof partitionWorkflow>>;
  run(pipeline: string, partition: string): Promise<PartitionSummary>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly registry?: Registry;
  readonly workerOverrides?: Parameters<typeof createDataPulseWorker>[0]['overrides'];
  /** Serve the worker's metrics as `datapulse worker` does (first harness of the file: also the SDK's). */
  readonly metrics?: boolean;
  /** Logger of the worker (and of the SDK runtime, if this is the file's first harness). */
  readonly logger?: Logger;
  /**
   * Wraps the worker's activities (built exactly as the worker builds them), e.g. to inject a fault
   * between two steps of a real partition run.
   */
  readonly wrapActivities?: (activities: Activities, deps: { pool: Pool; schema: string }) => Activities;
  /** Extra environment of the worker's activities, e.g. `{ OPENLINEAGE_URL }`. */
  readonly env?: Record<string, string>;
  /** Worker configuration to change, e.g. `{ slackWebhookUrl }` for alert tests. */
  readonly configOverrides?: Partial<Config>;
  /** PostgreSQL to use instead of the suite's (e.g. a private server a test crashes). */
  readonly databaseUrl?: string;
}

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const id = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const schema = `dp_test_${id}`;
  const landingDir = mkdtempSync(path.join(os.tmpdir(), 'datapulse-landing-'));
  const config: Config = {
    ...loadConfig({}),
    schema,
    temporalAddress: inject('temporalAddress'),
    taskQueue: `test-${id}`,
    landingDir,
    metricsPort: 0,
    ...opts.configOverrides,
  };
  const logger = opts.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'error', { test: schema });
  const runtime = installTemporalRuntime(logger, opts.metrics ? { metricsBindAddress: `127.0.0.1:${await freePort()}` } : {});
  const pool = createPool({ connectionString: opts.databaseUrl ?? inject('databaseUrl'), schema, applicationName: `datapulse-test-${id}` });
  await migrate(pool, schema);
  const registry = opts.registry ?? defaultRegistry;
  const metrics = opts.metrics ? createPipelineMetrics({ pool, pipelines: registry, freshnessCacheMs: 0, processMetrics: false }) : undefined;
  let metricsServer: MetricsServer | undefined;
  if (metrics) metricsServer = await startMetricsServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, temporalMetricsUrl: runtime.metricsUrl, logger });
  const api = await startWeatherApi({ port: 0 });
  const nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  const connection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({ connection, namespace: config.namespace, interceptors: clientInterceptors() });
  const worker = await createDataPulseWorker({
    connection: nativeConnection,
    config,
    pool,
    registry,
    logger,
    metrics,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    env: { WEATHER_API_URL: api.url, ...opts.env },
    client,
    overrides: {
      shutdownGraceTime: '1 second',
      ...(opts.wrapActivities
        ? { activities: opts.wrapActivities(createActivities({ pool, registry, config, logger, env: { WEATHER_API_URL: api.url, ...opts.env }, client }), { pool, schema }) }
        : {}),
      ...opts.workerOverrides,
    },
  });
  await terminateAutomation(client).catch(() => undefined);
  const running = worker.run();
  const h: Harness = {
    config,
    pool,
    client,
    api,
    landingDir,
    schema,
    worker,
    metricsUrl: metricsServer?.url,
    start: (pipeline, partition) => startPartition(client, config, { pipeline, partition, trigger: 'run' }),
    async run(pipeline, partition) {
      return (await h.start(pipeline, partition)).result();
    },
    async close() {
      worker.shutdown();
      await running.catch(() => undefined);
      await terminateAutomation(client, config.taskQueue).catch(() => undefined);
      await metricsServer?.close();
      await connection.close();
      await nativeConnection.close();
      await api.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
      rmSync(landingDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Activity types in a workflow's history, in the order they were scheduled. */
export async function scheduledActivities(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?');
}

/**
 * With DATAPULSE_RECORD_HISTORIES=1, saves a finished workflow's history under
 * tests/fixtures/histories/ for the replay test. Re-record after an intended, versioned change.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.DATAPULSE_RECORD_HISTORIES !== '1') return;
  // The CLI writes the canonical proto3 JSON that historyFromJSON() reads back.
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const { ensureTemporalCli } = await import('../../infra/temporal-cli');
  const json = execFileSync(ensureTemporalCli(), ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', inject('temporalAddress'), '--output', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const dir = path.join(__dirname, '..', 'fixtures', 'histories');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), json);
}
