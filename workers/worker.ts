/**
 * The DataPulse worker: hosts every workflow and activity on one task queue. Start as many as you
 * like, on as many machines as you like; they share the queue and nothing else.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { activityInterceptors } from '../infra/activity-interceptors';
import { loadConfig, redactUrl, type Config } from '../infra/config';
import { createPool, migrate, type Pool } from '../infra/db';
import { freePort, resolveDatabase } from '../infra/dev-stack';
import { createLogger, type Logger } from '../infra/logger';
import { createPipelineMetrics, startMetricsServer, type MetricsServer, type PipelineMetrics } from '../infra/metrics';
import type { Registry } from '../core/registry';
import { WORKFLOWS_PATH, workflowInterceptorModules } from './workflow-paths';
import { clientInterceptors } from '../infra/temporal-client';
import { installTemporalRuntime } from '../infra/temporal-runtime';
import { startTelemetry, tracingRequested, workflowSinks } from '../infra/telemetry';

export { WORKFLOWS_PATH, WORKFLOW_INTERCEPTORS_PATH, WORKFLOW_TRACING_INTERCEPTORS_PATH, workflowInterceptorModules } from './workflow-paths';

/**
 * Options for bundleWorkflowCode / runReplayHistories: everything a worker may run (tracing
 * included), as used by the CI bundle check, the tests' shared bundle and the replay test.
 */
export const WORKFLOW_BUNDLE_OPTIONS: { readonly workflowsPath: string; readonly workflowInterceptorModules: string[] } = {
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: workflowInterceptorModules(true),
};

export interface DataPulseWorkerOptions {
  readonly connection: NativeConnection;
  readonly config: Config;
  readonly pool: Pool;
  readonly registry: Registry;
  readonly logger: Logger;
  /** A prebuilt workflow bundle (tests build one once); otherwise the workflows are bundled now. */
  readonly workflowBundle?: { code: string } | { codePath: string };
  readonly env?: NodeJS.ProcessEnv;
  /** Client the activities use to wait on workflows other runs own (backfills, schedule ticks). */
  readonly client?: Client;
  /** Prometheus metrics the activity interceptors record. @default a private registry nobody serves */
  readonly metrics?: PipelineMetrics;
  /**
   * Bundle the OpenTelemetry workflow interceptors (ignored with a prebuilt bundle, which holds
   * what it was built with). @default whether tracing is configured (OTEL_EXPORTER_OTLP_ENDPOINT / DATAPULSE_TRACE_CONSOLE)
   */
  readonly tracing?: boolean;
  /** Extra worker options (tuning, shutdown behaviour). */
  readonly overrides?: Partial<WorkerOptions>;
}

export async function createDataPulseWorker(opts: DataPulseWorkerOptions): Promise<Worker> {
  const activities = createActivities({
    pool: opts.pool,
    registry: opts.registry,
    config: opts.config,
    logger: opts.logger,
    env: opts.env,
    client: opts.client,
  });
  return Worker.create({
    connection: opts.connection,
    namespace: opts.config.namespace,
    taskQueue: opts.config.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    // Tracing, metrics and log labels around every activity and workflow (a prebuilt bundle must
    // contain the interceptor modules: build it with WORKFLOW_BUNDLE_OPTIONS).
    interceptors: {
      activity: activityInterceptors(opts.metrics ?? createPipelineMetrics({ processMetrics: false })),
      workflowModules: workflowInterceptorModules(opts.tracing ?? tracingRequested()),
    },
    sinks: workflowSinks(),
    maxConcurrentActivityTaskExecutions: 50,
    maxConcurrentWorkflowTaskExecutions: 50,
    shutdownGraceTime: '10 seconds',
    ...opts.overrides,
  });
}

/**
 * `datapulse worker`: tracing first, connect, migrate, serve /metrics (METRICS_PORT; 0: none), run
 * until SIGINT/SIGTERM, then drain, close the metrics server and flush the traces.
 */
export async function runWorkerProcess(registry: Registry, config: Config = loadConfig()): Promise<void> {
  const telemetry = startTelemetry({ serviceName: 'datapulse-worker' });
  let metricsServer: MetricsServer | undefined;
  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  let pool: Pool | undefined;
  let bundleDir: string | undefined;
  try {
    const logger = createLogger(config.logLevel, { role: 'worker', taskQueue: config.taskQueue });
    // The SDK's Prometheus exporter listens on loopback only; /metrics appends what it serves.
    const sdkMetrics = config.metricsPort > 0 ? `127.0.0.1:${await freePort()}` : undefined;
    const runtime = installTemporalRuntime(logger, { metricsBindAddress: sdkMetrics });
    const db = await resolveDatabase({ allowEmbedded: false });
    pool = createPool({ connectionString: db.url, schema: config.schema, applicationName: 'datapulse-worker' });
    await migrate(pool, config.schema);
    const metrics = createPipelineMetrics({ pool, pipelines: registry, logger });
    connection = await NativeConnection.connect({ address: config.temporalAddress });
    clientConnection = await Connection.connect({ address: config.temporalAddress });
    const client = new Client({ connection: clientConnection, namespace: config.namespace, interceptors: clientInterceptors() });
    // Bundled in a child process: webpack's heap never becomes part of this long-running process.
    bundleDir = mkdtempSync(path.join(os.tmpdir(), 'datapulse-workflows-'));
    const codePath = path.join(bundleDir, 'workflow-bundle.js');
    try {
      // The child runs TypeScript like this process: through tsx's hook (the `tsx` CLI passes it in
      // execArgv; `bin/datapulse.cjs` registers it in-process, so name it explicitly then).
      const loader = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : [...process.execArgv, '--require', require.resolve('tsx/cjs')];
      await promisify(execFile)(process.execPath, [...loader, path.join(__dirname, 'bundle-workflows.ts'), codePath, telemetry.enabled ? 'tracing' : ''], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      throw new Error(`bundling the workflows failed: ${(err as { stderr?: string }).stderr || (err as Error).message}`);
    }
    const worker = await createDataPulseWorker({ connection, config, pool, registry, logger, client, metrics, tracing: telemetry.enabled, workflowBundle: { codePath } });
    // Served once the worker exists (bundled, connected): the compose healthcheck scrapes it.
    if (config.metricsPort > 0) {
      metricsServer = await startMetricsServer({ port: config.metricsPort, registry: metrics.registry, temporalMetricsUrl: runtime.metricsUrl, logger });
    }
    logger.info(
      {
        temporal: config.temporalAddress,
        namespace: config.namespace,
        database: redactUrl(db.url),
        schema: config.schema,
        metrics: metricsServer ? `:${metricsServer.port}/metrics` : 'off',
        tracing: telemetry.enabled,
      },
      'worker started; Ctrl-C to stop',
    );
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await metricsServer?.close();
    await connection?.close();
    await clientConnection?.close();
    await pool?.end();
    await telemetry.shutdown();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  }
}
