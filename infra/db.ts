/**
 * PostgreSQL access shared by activities, the CLI and tests: the pool (with the DataPulse schema on
 * its search_path), versioned migrations, COPY streaming and cursor reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline as streamPipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ident } from '../core/sql';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** Thrown when no PostgreSQL is reachable, with what to set or install. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

export interface PoolOptions {
  readonly connectionString: string;
  readonly schema: string;
  /** @default 10 */
  readonly max?: number;
  readonly applicationName?: string;
}

export function createPool(opts: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'datapulse',
    // Every connection resolves unqualified names in the DataPulse schema first.
    options: `-c search_path=${ident(opts.schema, 'schema')},public`,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client dropped by the server (restart, pg_terminate_backend) must not crash the process.
  pool.on('error', () => undefined);
  // Nor a checked-out one: its running query fails (and the step retries), but the client also emits
  // 'error' ("Connection terminated unexpectedly"), with no pool listener while it is checked out.
  // Released, a dead client is discarded by the pool.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `fn` in a transaction on one client, rolling back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * Creates the schema and applies pending numbered migrations in order, each in its own transaction,
 * recorded in `schema_migrations`. Safe to call from many processes at once (advisory lock).
 */
export async function migrate(pool: Pool, schema: string): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`datapulse-migrate:${schema}`]);
    try {
      // Only when missing: CREATE SCHEMA needs CREATE on the database even with IF NOT EXISTS, and
      // a least-privilege worker role has no such right (README: "Database role").
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema, 'schema')}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${ident(schema, 'schema')}.schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = await client.query<{ version: number }>(`SELECT version FROM ${ident(schema, 'schema')}.schema_migrations`);
      const have = new Set(done.rows.map((r) => r.version));
      for (const m of listMigrations()) {
        if (have.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL search_path TO ${ident(schema, 'schema')}`);
          await client.query(m.sql);
          await client.query(`INSERT INTO ${ident(schema, 'schema')}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
          await client.query('COMMIT');
          applied.push(m.version);
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${m.name} failed: ${(err as Error).message}`);
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`datapulse-migrate:${schema}`]);
    }
  } finally {
    client.release();
  }
  return applied;
}

/**
 * Streams pre-encoded COPY text lines (each ending in `\n`, fields escaped, e.g. by
 * activities/typed-values.ts) into `COPY <target> FROM STDIN` on `client`, in 256 KiB chunks, with
 * backpressure. `target` is the already-quoted table and column list. Returns the lines written.
 */
export async function copyInLines(client: PoolClient, target: string, lines: AsyncIterable<string> | Iterable<string>): Promise<number> {
  let count = 0;
  async function* chunks(): AsyncGenerator<string> {
    let buf = '';
    for await (const line of lines as AsyncIterable<string>) {
      buf += line;
      count++;
      if (buf.length >= 256 * 1024) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  await streamPipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
  return count;
}

/** Undoes COPY text-format escapes of one field (`\\`, `\n`, `\r`, `\t`, `\b`, `\f`, `\v`). */
export function copyUnescape(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' })[c] ?? c);
}

