/**
 * Validate holds one pool connection, whatever it reads: more validates at once than the pool has
 * connections all finish. (Before, each took a reader connection for the rows JavaScript judges and
 * then a transaction connection: with every connection held as a reader, each waited for a second
 * one until the pool's 10-second timeout failed them all.) Real PostgreSQL, the activities called
 * directly, a pool of 2 connections and 6 validates started together.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createRegistry } from '../../core/registry';
import { createPartitionActivities } from '../../activities/partition-activities';
import { createPool, migrate, type Pool } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { cityWeather } from '../../pipelines/city-weather';

const DAYS = ['2012-03-01', '2012-03-02', '2012-03-03', '2012-03-04', '2012-03-05', '2012-03-06'];
const schema = `dp_test_onecon_${randomBytes(4).toString('hex')}`;
let pool: Pool;
let landing: string;

beforeAll(async () => {
  pool = createPool({ connectionString: inject('databaseUrl'), schema, max: 2 });
  await migrate(pool, schema);
  landing = mkdtempSync(path.join(os.tmpdir(), 'dp-onecon-'));
  const folder = path.join(landing, cityWeather.name);
  mkdirSync(folder, { recursive: true });
  // One file per day, each with a row the schema rejects, so JavaScript judges rows and quarantines one.
  for (const day of DAYS) {
    writeFileSync(
      path.join(folder, `${day}.csv`),
      ['location,date,precipitation,temp_max,temp_min,wind,weather', `Seattle,${day},1.0,10.5,5.0,3.0,rain`, `New York,${day},0.0,8.0,1.0,4.0,sun`, `Paris,${day},0.0,8.0,1.0,4.0,hail`].join('\n') + '\n',
    );
  }
});

afterAll(async () => {
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool?.end();
  if (landing) rmSync(landing, { recursive: true, force: true });
});

it('six validates at once on a pool of two connections all finish, each with its rows judged', async () => {
  const activities = createPartitionActivities({ pool, registry: createRegistry([cityWeather]), config: { landingDir: landing }, logger: createLogger('error') });
  for (const day of DAYS) await activities.ingest({ pipeline: cityWeather.name, partition: day });
  // Before, this rejected: "timeout exceeded when trying to connect".
  const results = await Promise.all(DAYS.map((day) => activities.validate({ pipeline: cityWeather.name, partition: day })));
  expect(results.map((r) => [r.rowsValid, r.rowsQuarantined])).toEqual(DAYS.map(() => [2, 1]));
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM quarantine WHERE pipeline = $1 AND field = 'weather'`, [cityWeather.name]);
  expect(rows[0]?.n).toBe(DAYS.length);
});
