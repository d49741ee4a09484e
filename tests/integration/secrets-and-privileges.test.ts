/**
 * Proves that secrets stay out of logs and workflow histories, and that the worker runs on the
 * least privileges the README documents:
 * - a worker configured with a DATABASE_URL holding a password and a SLACK_WEBHOOK_URL runs one
 *   succeeding and one failing (alerting) partition; every log line (pino, debug, SDK runtime
 *   included) and every string and payload of both histories are searched: neither the password
 *   nor the webhook URL (nor its secret path) appears, while the alert did reach the webhook;
 * - that worker's database role is created with exactly the SQL block of README "Database role"
 *   (names substituted): it migrates (no-op), creates the target table and loads, but cannot
 *   create a schema; the read-only role reads and cannot write.
 * (September 2024 partitions: workflow ids are shared on the server with other files.)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../infra/config';
import { createPool, migrate, type Pool } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { startPartition } from '../../ops/partition-runs';
import { registry } from '../../pipelines';
import { createDataPulseWorker } from '../../workers/worker';
import { createHarness, type Harness } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const README = path.join(__dirname, '..', '..', 'README.md');

/** The SQL block of README's "Database role" section, for one test's role, schema and database names. */
function readmeGrants(names: { worker: string; reader: string; database: string; schema: string; password: string }): string {
  const readme = readFileSync(README, 'utf8');
  const section = readme.split(/^### Database role/m)[1];
  const block = section?.match(/```sql\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README has no ```sql block under "### Database role"');
  return block
    .replace(/\bdatapulse_worker\b/g, names.worker)
    .replace(/\bdatapulse_reader\b/g, names.reader)
    .replace(/'change-me'/g, `'${names.password}'`)
    .replace(/\bDATABASE datapulse\b/g, 'DATABASE @database@')
    .replace(/\bdatapulse\b/g, names.schema)
    .replace(/@database@/g, `"${names.database}"`);
}

function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

/** Every string of a history, with every byte payload decoded as UTF-8 (payloads are JSON). */
function historyText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) historyText(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) historyText(v, out);
  return out;
}

let h: Harness;
let hook: WebhookReceiver;
let config: Config;
let pool: Pool;
let readerPool: Pool;
let worker: Worker;
let running: Promise<void>;
let nativeConnection: NativeConnection;
const lines: string[] = [];
const id = randomBytes(4).toString('hex');
const role = `dp_worker_${id}`;
const reader = `dp_reader_${id}`;
const password = `Pw-${randomBytes(9).toString('hex')}-secret`;

beforeAll(async () => {
  hook = await startWebhookReceiver();
  const logger = createLogger('debug', { test: 'secrets' }, { write: (s: string) => void lines.push(s) });
  // First harness of the file: the SDK runtime (core and workflow logs) logs into `lines` too.
  h = await createHarness({ logger });
  const database = (await h.pool.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? '';
  await h.pool.query(readmeGrants({ worker: role, reader, database, schema: h.schema, password }));

  const env = {
    DATABASE_URL: withCredentials(inject('databaseUrl'), role, password),
    SLACK_WEBHOOK_URL: hook.url,
    DATAPULSE_SCHEMA: h.schema,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATAPULSE_TASK_QUEUE: `${h.config.taskQueue}-least-privilege`,
    LANDING_DIR: h.landingDir,
    METRICS_PORT: '0',
    LOG_LEVEL: 'debug',
    WEATHER_API_URL: h.api.url,
  };
  config = loadConfig(env);
  // What a careless line would log: redaction must hide the secrets by key.
  logger.info({ config }, 'worker configuration');
  pool = createPool({ connectionString: config.databaseUrl ?? '', schema: config.schema, applicationName: 'datapulse-secrets-test' });
  readerPool = createPool({ connectionString: withCredentials(inject('databaseUrl'), reader, password), schema: config.schema, max: 2 });
  // As `datapulse worker` does at start; the schema exists, so no database-level CREATE is needed.
  await migrate(pool, config.schema);
  nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  worker = await createDataPulseWorker({
    connection: nativeConnection,
    config,
    pool,
    registry,
    logger,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    env,
    client: h.client,
    overrides: { shutdownGraceTime: '1 second' },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  await nativeConnection?.close();
  await pool?.end();
  await readerPool?.end();
  if (h) {
    try {
      // One role at a time: the reader's default privileges belong to the worker role.
      for (const r of [reader, role]) {
        if ((await h.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [r])).rowCount) await h.pool.query(`DROP OWNED BY ${r}`);
      }
      await h.pool.query(`DROP ROLE IF EXISTS ${reader}, ${role}`);
    } finally {
      await h.close();
    }
  }
  await hook?.close();
});

describe('secrets', () => {
  let ok: WorkflowHandle;
  let failed: WorkflowHandle;

  it('runs a succeeding and a failing, alerting partition with the secret-bearing configuration', async () => {
    ok = await startPartition(h.client, config, { pipeline: 'weather', partition: '2024-09-20T00', trigger: 'run' });
    expect(await ok.result()).toMatchObject({ rowsLoaded: 3 });
    h.api.setFaults([{ kind: 'malformed', times: 5 }]);
    failed = await startPartition(h.client, config, { pipeline: 'weather', partition: '2024-09-20T01', trigger: 'run' });
    await expect(failed.result()).rejects.toThrow();
    h.api.clearFaults();
    // The webhook URL was used: the alert arrived.
    expect(hook.posts).toHaveLength(1);
    expect(hook.posts[0]?.body.text).toContain('weather/2024-09-20T01 failed in ingest');
  });

  it('keeps the password and the webhook URL out of both histories', async () => {
    for (const handle of [ok, failed]) {
      const text = historyText(await handle.fetchHistory()).join('\n');
      // The decoding works: the input and the activity results are readable here.
      expect(text).toContain('"partition":"2024-09-20T0');
      expect(text).toContain('weather');
      expect(text).not.toContain(password);
      expect(text).not.toContain(hook.url);
      expect(text).not.toContain(hook.secret);
    }
    const failedText = historyText(await failed.fetchHistory()).join('\n');
    expect(failedText).toContain('sendAlert');
    expect(failedText).toContain('"delivered":true');
  });

  it('keeps them out of every log line', () => {
    const all = lines.join('');
    expect(lines.length).toBeGreaterThan(10);
    // The capture works: activity logs, the alert line and the redacted configuration are here.
    expect(all).toContain('"msg":"ingested"');
    expect(all).toContain('alert: partition-failed weather 2024-09-20T01');
    expect(all).toContain('"databaseUrl":"***"');
    expect(all).toContain('"slackWebhookUrl":"***"');
    expect(all).not.toContain(password);
    expect(all).not.toContain(hook.url);
    expect(all).not.toContain(hook.secret);
  });
});

describe('least privileges (README "Database role")', () => {
  it('the worker role loaded through the whole partition and owns only what it created', async () => {
    const { rows } = await h.pool.query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean }>(
      'SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1',
      [role],
    );
    expect(rows).toEqual([{ rolsuper: false, rolcreatedb: false, rolcreaterole: false }]);
    const owned = await h.pool.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tableowner = $2 ORDER BY 1', [h.schema, role]);
    expect(owned.rows.map((r) => r.tablename)).toEqual(['weather_observations']);
    const loaded = await pool.query(`SELECT count(*)::int AS n FROM weather_observations WHERE dp_partition = '2024-09-20T00'`);
    expect(loaded.rows[0].n).toBe(3);
  });

  it('the worker role cannot create schemas; the reader reads and cannot write', async () => {
    await expect(pool.query('CREATE SCHEMA dp_should_not_exist')).rejects.toMatchObject({ code: '42501' });
    const n = await readerPool.query(`SELECT count(*)::int AS n FROM ledger WHERE partition_key LIKE '2024-09-20T%'`);
    expect(n.rows[0].n).toBe(2);
    expect((await readerPool.query('SELECT count(*)::int AS n FROM weather_observations')).rows[0].n).toBe(3);
    await expect(readerPool.query('DELETE FROM ledger')).rejects.toMatchObject({ code: '42501' });
  });
});
