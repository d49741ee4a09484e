/**
 * Issue 9 through real partitions (real Temporal dev server, real PostgreSQL, a real HTTP server):
 * - case 1: the offsets PostgreSQL writes place and load every row at its exact UTC instant, and two
 *   spellings of one instant are one row (deduplicated, no duplicate-key error at load);
 * - case 4: a lone surrogate in an API answer fails ingest at once, naming request, record and field;
 * - case 5: an answer drifting to seconds, a Z or another zone loads the same hour; another hour or an
 *   empty answer fails, naming the request and the value;
 * - database errors: a PostgreSQL data error at load fails on the first attempt, naming the partition
 *   and the row PostgreSQL names;
 * - a partition whose window has not ended is refused;
 * - a run terminated from outside is seen as ended by status, recorded by the reconciler (and its
 *   metric), and does not block the next run.
 * (Pipelines are this file's own: workflow ids are shared on the server.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { reconcileRunningPartitions } from '../../activities/run-reconcile';
import { createPipelineMetrics } from '../../infra/metrics';
import { keyForTime } from '../../core/partition';
import { definePipeline, hourly, SourceFormatError } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { decimal, instant } from '../../core/schema-helpers';
import { weather } from '../../pipelines/weather';
import { pipelineStatus } from '../../scripts/commands/status';
import { startRunReconciler } from '../../workers/worker';
import { createLogger } from '../../infra/logger';
import { createHarness, type Harness } from './harness';

// ------------------------------------------------------------------ an API whose answers tests set --

type Answer = { status: number; body: string; delayMs?: number };
let answer: (url: URL) => Answer = () => ({ status: 500, body: '{}' });
const server = http.createServer((req, res) => {
  const a = answer(new URL(req.url ?? '/', 'http://x'));
  setTimeout(() => {
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(a.body);
  }, a.delayMs ?? 0);
});

/** An Open-Meteo answer for one hour, its time written as `time` (raw JSON text, so escapes survive). */
function forecast(time: string, opts: { temperature?: string; utcOffsetSeconds?: number; times?: string[] } = {}): string {
  const times = opts.times ?? [time];
  return (
    `{"utc_offset_seconds":${opts.utcOffsetSeconds ?? 0},"hourly":{"time":${JSON.stringify(times)},` +
    `"temperature_2m":[${times.map(() => opts.temperature ?? '11.5').join(',')}],"precipitation":[${times.map(() => '0.2').join(',')}],` +
    `"wind_speed_10m":[${times.map(() => '3.6').join(',')}]}}`
  );
}

// ------------------------------------------------------------------ pipelines --

const csvReadings = definePipeline({
  name: 'iv_csv',
  description: 'station readings from CSV drops (issue 9 case 1)',
  version: 1,
  partitioning: hourly('2024-01-01T00'),
  params: {},
  source: { kind: 'csv-files', timeColumn: 'ts', requiredColumns: ['station', 'ts', 'value'] },
  schema: z.object({ station: z.string().min(1), ts: instant(), value: decimal() }),
  transform: (r) => ({ station: r.station, ts: r.ts, value: r.value }),
  target: { table: 'iv_readings', columns: { station: 'text', ts: 'timestamptz', value: 'double precision' }, key: ['station', 'ts'] },
});

function httpPipeline(baseUrl: string) {
  return definePipeline({
    ...weather,
    name: 'iv_http',
    params: { locations: [{ id: 'seattle', latitude: 47.61, longitude: -122.33 }] },
    source: { ...(weather.source as Extract<typeof weather.source, { kind: 'http-json' }>), baseUrlEnv: 'IV_HTTP_URL_UNSET', defaultBaseUrl: baseUrl, timeoutMs: 30_000 },
    target: { ...weather.target, table: 'iv_weather' },
    checks: [],
  });
}

let h: Harness;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  h = await createHarness({ registry: createRegistry([csvReadings, httpPipeline(url)]) });
});
afterAll(async () => {
  await h?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function landCsv(name: string, lines: string[]): void {
  const dir = path.join(h.landingDir, 'iv_csv');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
}

async function failureOf(pipeline: string, partition: string): Promise<{ message: string; type: string | undefined; attempt: number }> {
  const handle = await h.start(pipeline, partition);
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as { message: string; type?: string };
  const history = await handle.fetchHistory();
  const attempt = Math.max(0, ...(history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0));
  return { message: cause.message, type: cause.type, attempt };
}

async function ledger(pipeline: string, partition: string) {
  const { rows } = await h.pool.query('SELECT * FROM ledger WHERE pipeline = $1 AND partition_key = $2', [pipeline, partition]);
  return rows[0];
}

describe('case 1: offsets PostgreSQL itself writes', () => {
  it('loads all five rows in hour 13, each at its exact UTC instant', async () => {
    landCsv('pg-export.csv', [
      'station,ts,value',
      's1,2024-05-01T13:30:00Z,1.0',
      's2,2024-05-01 13:15:00+00,2.0',
      's3,2024-05-01 15:45:10.123456+02,3.0',
      's4,2024-05-01 19:20:00+05:30,4.0',
      's5,2024-05-01 10:05:00-03,5.0',
    ]);
    const s = await h.run('iv_csv', '2024-05-01T13');
    expect(s).toMatchObject({ rowsIn: 5, rowsValid: 5, rowsQuarantined: 0, rowsLoaded: 5, unplaced: 0 });
    const { rows } = await h.pool.query(
      `SELECT station, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS utc, value FROM iv_readings WHERE dp_partition = $1 ORDER BY station`,
      ['2024-05-01T13'],
    );
    expect(rows).toEqual([
      { station: 's1', utc: '2024-05-01T13:30:00.000000', value: 1 },
      { station: 's2', utc: '2024-05-01T13:15:00.000000', value: 2 },
      { station: 's3', utc: '2024-05-01T13:45:10.123456', value: 3 },
      { station: 's4', utc: '2024-05-01T13:50:00.000000', value: 4 },
      { station: 's5', utc: '2024-05-01T13:05:00.000000', value: 5 },
    ]);
    const { rows: unplaced } = await h.pool.query(`SELECT count(*)::int AS n FROM unplaced_records WHERE pipeline = 'iv_csv'`);
    expect(unplaced[0].n).toBe(0);
  });

  it('two spellings of one instant are one row: deduplicated (last wins), never a duplicate key at load', async () => {
    landCsv('pg-export-14.csv', ['station,ts,value', 's1,2024-05-01T14:30:00Z,1.0', 's1,2024-05-01 16:30:00+02,2.0', 's1,2024-05-01 09:30:00.000000-05,3.0']);
    const s = await h.run('iv_csv', '2024-05-01T14');
    expect(s).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsDeduplicated: 2, rowsLoaded: 1 });
    const { rows } = await h.pool.query(`SELECT station, value FROM iv_readings WHERE dp_partition = '2024-05-01T14'`);
    expect(rows).toEqual([{ station: 's1', value: 3 }]);
  });
});

describe('database errors are classified', () => {
  it('a PostgreSQL data error at load fails on the first attempt, naming partition and row', async () => {
    // Hour 13 created the table; a unique index on value makes two equal values a 23505 at load.
    await h.pool.query('CREATE UNIQUE INDEX iv_readings_value_unique ON iv_readings (value) WHERE value >= 7');
    landCsv('pg-export-15.csv', ['station,ts,value', 's1,2024-05-01T15:10:00Z,7.0', 's2,2024-05-01T15:20:00Z,7.0']);
    const f = await failureOf('iv_csv', '2024-05-01T15');
    expect(f.type).toBe('DatabaseDataError');
    expect(f.attempt).toBe(1);
    expect(f.message).toContain('iv_csv/2024-05-01T15 load: PostgreSQL refused the data (SQLSTATE 23505)');
    expect(f.message).toContain('Key (value)=(7) already exists');
    const l = await ledger('iv_csv', '2024-05-01T15');
    expect(l).toMatchObject({ status: 'failed', failed_step: 'load', error_type: 'DatabaseDataError' });
    await h.pool.query('DROP INDEX iv_readings_value_unique');
  });
});

describe('case 4: text PostgreSQL cannot store', () => {
  it('a lone surrogate in the answer fails ingest at once, naming request, record and field', async () => {
    answer = () => ({ status: 200, body: forecast('2024-05-01T13:00', { temperature: '"11.5 \\ud83c"' }) });
    const f = await failureOf('iv_http', '2024-05-01T13');
    expect(f.type).toBe('SourceFormatError');
    expect(f.attempt).toBe(1);
    expect(f.message).toMatch(/forecast\?location=seattle: record 1, field temperature_2m: contains a lone UTF-16 surrogate \\ud83c/);
    expect(f.message).not.toMatch(/invalid input syntax/);
  });
});

describe('case 5: upstream format drift', () => {
  it.each([
    ['seconds added', '2024-05-02T13:00:00', 0, '2024-05-02T13'],
    ['a Z', '2024-05-02T14:00Z', 0, '2024-05-02T14'],
    ['another zone, with its offset', '2024-05-02T17:00+02:00', 0, '2024-05-02T15'],
    ['another zone, as wall time with utc_offset_seconds', '2024-05-02T18:00', 7200, '2024-05-02T16'],
  ])('an answer with %s loads the same hour', async (_label, time, offset, partition) => {
    answer = () => ({ status: 200, body: forecast(time, { utcOffsetSeconds: offset }) });
    const s = await h.run('iv_http', partition);
    expect(s).toMatchObject({ rowsIn: 1, rowsValid: 1, rowsLoaded: 1 });
    const { rows } = await h.pool.query(`SELECT observed_at FROM iv_weather WHERE dp_partition = $1`, [partition]);
    expect((rows[0].observed_at as Date).toISOString()).toBe(`${partition}:00:00.000Z`);
  });

  it('an answer holding another hour fails, naming the request and the value', async () => {
    // The API ignored timezone=GMT and answered Berlin wall time without saying so.
    answer = () => ({ status: 200, body: forecast('2024-05-02T19:00') });
    const f = await failureOf('iv_http', '2024-05-02T17');
    expect(f.type).toBe('SourceFormatError');
    expect(f.attempt).toBe(1);
    expect(f.message).toContain('forecast?location=seattle: hourly.time[0] = "2024-05-02T19:00" is 2024-05-02T19:00:00.000000Z');
    expect(f.message).toContain('outside the requested hour 2024-05-02T17');
    expect((await ledger('iv_http', '2024-05-02T17')).status).toBe('failed');
  });

  it('an answer with no hour at all is a failure, never a green partition of 0 rows', async () => {
    answer = () => ({ status: 200, body: forecast('', { times: [] }) });
    const f = await failureOf('iv_http', '2024-05-02T18');
    expect(f.type).toBe('SourceFormatError');
    expect(f.message).toMatch(/forecast\?location=seattle: the source answered \(HTTP 200\) but with no record for 2024-05-02T18/);
  });

  it('SourceFormatError from the adapter is the pipeline API type', () => {
    expect(new SourceFormatError('x').name).toBe('SourceFormatError');
  });
});

describe('windows that are not over', () => {
  it('refuses the partition of the current hour at once and records it as failed', async () => {
    answer = (url) => ({ status: 200, body: forecast(`${url.searchParams.get('start_hour')}`) });
    const current = keyForTime('hourly', Date.now());
    const f = await failureOf('iv_http', current);
    expect(f.type).toBe('WindowNotClosed');
    expect(f.attempt).toBe(1);
    expect(f.message).toMatch(/its data cannot be complete yet/);
    expect(await ledger('iv_http', current)).toMatchObject({ status: 'failed', failed_step: 'ingest', error_type: 'WindowNotClosed' });
  });
});

describe('runs ended from outside', () => {
  it('a terminated run is ended for status, the reconciler and its metric, and does not block the next run', async () => {
    const key = '2024-05-03T01';
    answer = () => ({ status: 200, body: forecast('2024-05-03T01:00'), delayMs: 4000 });
    const handle = await h.start('iv_http', key);
    // ingest marks the ledger running before it calls the (slow) source.
    for (let i = 0; i < 100 && (await ledger('iv_http', key))?.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await ledger('iv_http', key)).status).toBe('running');
    await handle.terminate('operator pressed Terminate in the UI');

    // status (read-only) already shows it as failed, with what Temporal says; the ledger is untouched.
    const { map } = await pipelineStatus({ pool: h.pool, config: h.config, registry: createRegistry([csvReadings]), temporal: h.client }, 'iv_csv', {
      from: '2024-05-01T13',
      to: '2024-05-01T14',
    });
    expect(map.counts.succeeded).toBe(1); // another pipeline: unaffected
    const reg = createRegistry([httpPipeline('http://unused')]);
    const st = await pipelineStatus({ pool: h.pool, config: h.config, registry: reg, temporal: h.client }, 'iv_http', { from: key, to: '2024-05-03T02' });
    expect(st.map.counts).toMatchObject({ failed: 1, running: 0 });
    expect(st.map.failed[0]).toMatchObject({ key, step: 'workflow', errorType: 'WorkflowTerminated' });
    expect(st.map.failed[0]?.error).toMatch(/Temporal recorded the run as TERMINATED at /);
    expect((await ledger('iv_http', key)).status).toBe('running');

    // The worker's reconciler records it once, and counts it.
    const metrics = createPipelineMetrics({ processMetrics: false });
    const reconciler = startRunReconciler({ pool: h.pool, client: h.client, logger: createLogger('silent'), metrics, intervalMs: 3_600_000 });
    try {
      for (let i = 0; i < 100 && (await ledger('iv_http', key)).status === 'running'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await reconciler.runOnce()).toEqual([]); // recorded once, by the first tick
    } finally {
      reconciler.stop();
    }
    expect(await reconcileRunningPartitions(h.pool, h.client, { pipeline: 'iv_http' })).toEqual([]);
    const l = await ledger('iv_http', key);
    expect(l).toMatchObject({ status: 'failed', failed_step: 'workflow', error_type: 'WorkflowTerminated' });
    expect(l.finished_at).toBeInstanceOf(Date);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/datapulse_partitions_failed_total\{pipeline="iv_http",step="workflow",error_type="WorkflowTerminated"\} 1/);

    // The next run is not blocked by it.
    answer = () => ({ status: 200, body: forecast('2024-05-03T01:00') });
    const s = await h.run('iv_http', key);
    // The terminated run's ingest may still be reading (4 s): the new one waits for it, then replaces its rows.
    expect(s).toMatchObject({ rowsIn: 1, rowsLoaded: 1, rowsDeduplicated: 0 });
    expect((await ledger('iv_http', key)).status).toBe('succeeded');
  });
});
