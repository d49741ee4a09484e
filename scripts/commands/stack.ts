/** Brings up the local stack for `dev` and `demo`: Temporal, PostgreSQL, migrations and a worker. */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, redactUrl, type Config } from '../../infra/config';
import { createPool, migrate, type Pool } from '../../infra/db';
import { DATA_DIR, ensureSearchAttributes, freePort, isPortOpen, resolveDatabase, startDevServer, type DevServer, type LocalDatabase } from '../../infra/dev-stack';
import { createLogger } from '../../infra/logger';
import { createPipelineMetrics, startMetricsServer, type MetricsServer } from '../../infra/metrics';
import { clientInterceptors } from '../../infra/temporal-client';
import { installTemporalRuntime } from '../../infra/temporal-runtime';
import { registry } from '../../pipelines';
import { createDataPulseWorker } from '../../workers/worker';

export interface LocalStack {
  readonly config: Config;
  readonly db: LocalDatabase;
  readonly pool: Pool;
  readonly temporal: DevServer | undefined;
  readonly worker: Worker | undefined;
  /** Resolves when the worker stops (Ctrl-C or shutdown()). */
  readonly workerDone: Promise<void>;
  stop(): Promise<void>;
}

export function say(line = ''): void {
  process.stderr.write(`${line}\n`);
}

export async function startLocalStack(opts: { worker: boolean }): Promise<LocalStack> {
  let config = loadConfig();
  let temporal: DevServer | undefined;
  const explicitAddress = Boolean(process.env.TEMPORAL_ADDRESS);
  const [host, portStr] = config.temporalAddress.split(':');
  if (explicitAddress || (host === '127.0.0.1' && (await isPortOpen(Number(portStr))))) {
    say(`Temporal:   using the server at ${config.temporalAddress}`);
    await ensureSearchAttributes(config.temporalAddress, config.namespace);
  } else {
    say('Temporal:   starting the dev server (SQLite in .data/temporal.sqlite)...');
    temporal = await startDevServer({ port: Number(portStr) || 7233, dbFile: path.join(DATA_DIR, 'temporal.sqlite'), log: say });
    config = { ...config, temporalAddress: temporal.address, uiUrl: process.env.TEMPORAL_UI_URL ?? temporal.uiUrl ?? config.uiUrl };
  }
  const db = await resolveDatabase({ allowEmbedded: true, log: say });
  say(`PostgreSQL: ${db.description} (${redactUrl(db.url)}), schema ${config.schema}`);
  const pool = createPool({ connectionString: db.url, schema: config.schema, applicationName: 'datapulse-dev' });
  await migrate(pool, config.schema);

  let worker: Worker | undefined;
  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  let metricsServer: MetricsServer | undefined;
  let workerDone: Promise<void> = Promise.resolve();
  if (opts.worker) {
    const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', { role: 'worker' });
    const runtime = installTemporalRuntime(logger, config.metricsPort > 0 ? { metricsBindAddress: `127.0.0.1:${await freePort()}` } : {});
    const metrics = createPipelineMetrics({ pool, pipelines: registry, logger });
    connection = await NativeConnection.connect({ address: config.temporalAddress });
    clientConnection = await Connection.connect({ address: config.temporalAddress });
    const client = new Client({ connection: clientConnection, namespace: config.namespace, interceptors: clientInterceptors() });
    worker = await createDataPulseWorker({ connection, config, pool, registry, logger, client, metrics });
    workerDone = worker.run();
    say(`Worker:     polling task queue "${config.taskQueue}"`);
    if (config.metricsPort > 0) {
      // Locally a second worker may hold the port already: the dev stack goes on without metrics.
      metricsServer = await startMetricsServer({ port: config.metricsPort, registry: metrics.registry, temporalMetricsUrl: runtime.metricsUrl, logger }).catch(
        (err: Error) => {
          say(`Metrics:    not served (${err.message}); set METRICS_PORT to a free port`);
          return undefined;
        },
      );
      if (metricsServer) say(`Metrics:    http://localhost:${metricsServer.port}/metrics`);
    }
  }
  let stopped = false;
  return {
    config,
    db,
    pool,
    temporal,
    worker,
    workerDone,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone.catch(() => undefined);
      await metricsServer?.close();
      await connection?.close().catch(() => undefined);
      await clientConnection?.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await temporal?.stop();
      await db.stop().catch(() => undefined);
    },
  };
}

/** Resolves on the first SIGINT/SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSig = (sig: string) => {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
      resolve(sig);
    };
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
  });
}
