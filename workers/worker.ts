/**
 * The DataPulse worker: hosts every workflow and activity on one task queue. Start as many as you
 * like, on as many machines as you like; they share the queue and nothing else.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig, redactUrl, type Config } from '../lib/config';
import { createPool, migrate, type Pool } from '../lib/db';
import { resolveDatabase } from '../lib/dev-stack';
import { createLogger, type Logger } from '../lib/logger';
import type { Registry } from '../lib/registry';
import { installTemporalRuntime } from '../lib/temporal-runtime';

export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.ts');

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
    maxConcurrentActivityTaskExecutions: 50,
    maxConcurrentWorkflowTaskExecutions: 50,
    shutdownGraceTime: '10 seconds',
    ...opts.overrides,
  });
}

/** `datapulse worker`: connect, migrate, run until SIGINT/SIGTERM, then drain and close. */
export async function runWorkerProcess(registry: Registry, config: Config = loadConfig()): Promise<void> {
  const logger = createLogger(config.logLevel, { role: 'worker', taskQueue: config.taskQueue });
  installTemporalRuntime(logger);
  const db = await resolveDatabase({ allowEmbedded: false });
  const pool = createPool({ connectionString: db.url, schema: config.schema, applicationName: 'datapulse-worker' });
  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  try {
    await migrate(pool, config.schema);
    connection = await NativeConnection.connect({ address: config.temporalAddress });
    clientConnection = await Connection.connect({ address: config.temporalAddress });
    const client = new Client({ connection: clientConnection, namespace: config.namespace });
    const worker = await createDataPulseWorker({ connection, config, pool, registry, logger, client });
    logger.info(
      { temporal: config.temporalAddress, namespace: config.namespace, database: redactUrl(db.url), schema: config.schema },
      'worker started; Ctrl-C to stop',
    );
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await connection?.close();
    await clientConnection?.close();
    await pool.end();
  }
}
