/**
 * A real PostgreSQL crash between two steps of a partition. The intermediate tables are UNLOGGED,
 * so crash recovery empties them; the next step must notice (the server start time differs from
 * the one ingest recorded) and the partition workflow must run again from ingest and load exactly
 * once, instead of loading the nothing the crash left.
 *
 * The crash needs a server of its own (the suite's is shared): a throwaway cluster is initialised
 * with the machine's PostgreSQL binaries, stopped with `pg_ctl -m immediate` (no checkpoint, crash
 * recovery on restart) and started again.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/dev-stack';
import { intermediateName } from '../../activities/intermediates';
import { UNLOGGED_MIN_ROWS } from '../../activities/partition-activities';
import { createHarness, intermediateTables, scheduledActivities, type Harness } from './harness';

/** A PostgreSQL server binary of this machine (Debian's layout), the newest version. */
function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', name))) : [];
  const v = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!v) throw new Error(`no PostgreSQL server binaries under ${root} (install the postgresql package): this test crashes a server of its own`);
  return path.join(root, v, 'bin', name);
}

/** Runs a server binary, as the `postgres` user when we are root (PostgreSQL refuses root). */
function asPostgres(bin: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const r = root ? spawnSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8' }) : spawnSync(bin, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

describe('intermediate tables after a PostgreSQL crash', () => {
  let dir: string;
  let port: number;
  let url: string;
  let h: Harness;
  let crashBefore: string | undefined;
  const observed: { before?: number; after?: number; persistence?: string } = {};

  const start = () => asPostgres(pgBin('pg_ctl'), ['-D', dir, '-w', '-l', path.join(dir, 'server.log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const crash = () => asPostgres(pgBin('pg_ctl'), ['-D', dir, '-w', '-m', 'immediate', 'stop']);
  const countRaw = async (ref: { pipeline: string; partition: string }, schema: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query(`SELECT count(*)::int AS n FROM "${schema}"."${intermediateName('raw', ref.pipeline, ref.partition)}"`);
      return r.rows[0].n as number;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'datapulse-crash-pg-'));
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
      chownSync(dir, id('-u'), id('-g'));
    }
    asPostgres(pgBin('initdb'), ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    port = await freePort();
    url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    start();
    h = await createHarness({
      databaseUrl: url,
      wrapActivities: (activities, { schema }) => ({
        ...activities,
        async transform(ref) {
          if (crashBefore === ref.partition) {
            crashBefore = undefined;
            observed.before = await countRaw(ref, schema);
            observed.persistence = (
              await h.pool.query(`SELECT relpersistence::text AS p FROM pg_class WHERE oid = to_regclass($1)`, [`"${schema}"."${intermediateName('raw', ref.pipeline, ref.partition)}"`])
            ).rows[0]?.p;
            crash();
            start();
            // What the crash left: the table, empty (UNLOGGED tables are reset by crash recovery).
            observed.after = await countRaw(ref, schema);
          }
          return activities.transform(ref);
        },
      }),
    });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    try {
      crash();
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a crash between validate and transform empties the raw rows of a big partition; it runs again from ingest and loads exactly once', async () => {
    // Big enough for UNLOGGED intermediate tables (small partitions keep logged ones).
    const n = UNLOGGED_MIN_ROWS + 2000;
    const partition = '2012-01-01';
    const dir = path.join(h.landingDir, 'city_weather');
    mkdirSync(dir, { recursive: true });
    const lines = ['location,date,precipitation,temp_max,temp_min,wind,weather'];
    for (let i = 0; i < n; i++) lines.push(`station-${i},${partition},${i % 30}.5,${10 + (i % 20)},${i % 10},${i % 7}.1,rain`);
    writeFileSync(path.join(dir, `${partition}.csv`), lines.join('\n') + '\n');
    crashBefore = partition;
    const handle = await h.start('city_weather', partition);
    const s = await handle.result();
    expect(observed).toEqual({ before: n, after: 0, persistence: 'u' });
    expect(s).toMatchObject({ rowsIn: n, rowsValid: n, rowsLoaded: n, outcome: 'loaded' });
    expect(await scheduledActivities(handle)).toEqual(['ingest', 'validate', 'transform', 'ingest', 'validate', 'transform', 'load']);
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM city_weather_daily WHERE dp_partition = $1', [partition]);
    expect(rows[0].n).toBe(n);
    expect(await intermediateTables(h.pool)).toEqual([]);
  });
});
