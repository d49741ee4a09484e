/**
 * The console on the real servers (Fastify `inject()`, real PostgreSQL, real Temporal and worker):
 * the map's runs of states agree with `datapulse status` after runs with a failure and a quarantine;
 * the partition page shows ledger, step timings, checks and quarantined rows; unknown names and bad
 * keys give a 404 that lists what exists; read-only refuses actions (and records it); with actions
 * enabled, a POST carrying the CSRF token starts a real backfill, one without is refused; every
 * action is audited; dashboard filters change the rows and exports hold exactly those rows; the
 * monthly rainfall's moving average and year-over-year change are exact.
 * (September 2024 hours: workflow ids are shared on the server with the other integration files.)
 */
import ExcelJS from 'exceljs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../console/server';
import { createLogger } from '../../infra/logger';
import { computePipelineStatus, ledgerRowsInRange } from '../../ops/status';
import { registry } from '../../pipelines';
import { dashboards } from '../../pipelines/dashboards';
import { createHarness, type Harness } from './harness';

let h: Harness;
let app: FastifyInstance;
let readOnly: FastifyInstance;

beforeAll(async () => {
  h = await createHarness();
  await h.run('weather', '2024-09-01T00');
  await h.run('weather', '2024-09-01T01');
  h.api.setFaults([{ kind: 'bad-values', latitude: 52.52, times: 1 }]);
  await h.run('weather', '2024-09-01T02');
  h.api.setFaults([{ kind: 'malformed', times: 5 }]);
  await h.run('weather', '2024-09-01T03').catch(() => undefined);
  h.api.clearFaults();
  const base = { pool: h.pool, registry, dashboards, config: h.config, client: async () => h.client, logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'error', { test: 'console' }) };
  app = await buildConsole({ ...base, actionsEnabled: true });
  readOnly = await buildConsole(base);
});
afterAll(async () => {
  await app?.close();
  await readOnly?.close();
  await h?.close();
});

/** The CSRF form token of a page and the secret cookie that goes with it. */
function csrfOf(page: LightMyRequestResponse): { token: string; cookies: Record<string, string> } {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  expect(token).toBeTruthy();
  return { token: token ?? '', cookies: Object.fromEntries(page.cookies.map((c) => [c.name, c.value])) };
}

const form = (o: Record<string, string>) => ({ payload: new URLSearchParams(o).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

describe('operations pages', () => {
  it('serves a map from its cache until the ledger changes, and never after', async () => {
    const url = '/api/pipelines/weather/map?from=2024-09-01T00&to=2024-09-01T02';
    const get = async () => {
      const r = await app.inject({ url });
      return { cache: r.headers['x-datapulse-map-cache'], states: (r.json() as { runs: { state: string; length: number }[] }).runs.map((x) => `${x.state}:${x.length}`) };
    };
    await expect.poll(async () => (await get()).cache, { timeout: 10_000 }).toBe('hit');
    expect(await get()).toEqual({ cache: 'hit', states: ['succeeded:2'] });
    // Another pipeline's ledger changes: this source pipeline's map stays cached.
    await h.pool.query(`INSERT INTO ledger (pipeline, partition_key, status) VALUES ('city_weather', '1999-01-01', 'failed')`);
    expect((await get()).cache).toBe('hit');
    // Its own ledger changes (committed by another connection): the very next request sees it.
    await h.pool.query(`UPDATE ledger SET status = 'failed' WHERE pipeline = 'weather' AND partition_key = '2024-09-01T01'`);
    try {
      expect(await get()).toEqual({ cache: 'miss', states: ['succeeded:1', 'failed:1'] });
      expect(await get()).toEqual({ cache: 'hit', states: ['succeeded:1', 'failed:1'] });
    } finally {
      await h.pool.query(`UPDATE ledger SET status = 'succeeded' WHERE pipeline = 'weather' AND partition_key = '2024-09-01T01'`);
      await h.pool.query(`DELETE FROM ledger WHERE pipeline = 'city_weather' AND partition_key = '1999-01-01'`);
    }
    expect(await get()).toEqual({ cache: 'miss', states: ['succeeded:2'] });
    // A rolled-back change is never announced, and the cached map stays right.
    expect((await get()).cache).toBe('hit');
    const c = await h.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`UPDATE ledger SET status = 'failed' WHERE pipeline = 'weather' AND partition_key = '2024-09-01T00'`);
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }
    expect(await get()).toEqual({ cache: 'hit', states: ['succeeded:2'] });
  });

  it('maps the runs of states exactly as datapulse status does', async () => {
    const r = await app.inject({ url: '/api/pipelines/weather/map?from=2024-08-31T22&to=2024-09-01T06' });
    expect(r.statusCode).toBe(200);
    const map = r.json() as { total: number; counts: Record<string, number>; runs: { start: number; length: number; state: string }[] };
    expect(map.total).toBe(8);
    expect(map.counts).toEqual({ succeeded: 3, stale: 0, failed: 1, running: 0, missing: 4 });
    expect(map.runs.map((x) => [x.state, x.length])).toEqual([
      ['missing', 2],
      ['succeeded', 3],
      ['failed', 1],
      ['missing', 2],
    ]);
    const cli = computePipelineStatus(registry.get('weather'), '2024-08-31T22', '2024-09-01T06', await ledgerRowsInRange(h.pool, 'weather', '2024-08-31T22', '2024-09-01T06'));
    expect(map.runs.map((x) => [x.state, x.length])).toEqual(cli.runs.map((x) => [x.state, x.length]));

    await h.pool.query(`UPDATE ledger SET code_version = 'v0-old' WHERE pipeline = 'weather' AND partition_key = '2024-09-01T01'`);
    try {
      const stale = (await app.inject({ url: '/api/pipelines/weather/map?from=2024-09-01T00&to=2024-09-01T03' })).json() as { runs: { state: string }[] };
      expect(stale.runs.map((x) => x.state)).toEqual(['succeeded', 'stale', 'succeeded']);
    } finally {
      await h.pool.query(
        `UPDATE ledger SET code_version = (SELECT code_version FROM ledger WHERE pipeline = 'weather' AND partition_key = '2024-09-01T00') WHERE pipeline = 'weather' AND partition_key = '2024-09-01T01'`,
      );
    }
    const page = await app.inject({ url: '/pipelines/weather?from=2024-08-31T22&to=2024-09-01T06' });
    expect(page.body).toContain('data-count="failed">1<');
    expect(page.body).toContain('Backfill this range');
  });

  it('shows a partition: ledger, step timings from its history, checks, quarantined rows, links', async () => {
    const r = await app.inject({ url: '/pipelines/weather/partitions/2024-09-01T02' });
    expect(r.statusCode).toBe(200);
    const runId = (await h.pool.query<{ run_id: string }>(`SELECT run_id FROM ledger WHERE pipeline = 'weather' AND partition_key = '2024-09-01T02'`)).rows[0]?.run_id;
    expect(r.body).toContain(`weather%2F2024-09-01T02/${runId}/history`);
    for (const step of ['ingest', 'validate', 'transform', 'load']) expect(r.body).toMatch(new RegExp(`<td>${step}</td><td>[^<]+</td><td class="num">\\d+</td><td class="num">1</td><td>completed</td>`));
    expect(r.body).toContain('1 in all');
    expect(r.body).toMatch(/<td>forecast\?location=berlin<\/td><td class="num">\d+<\/td><td>temperature_2m<\/td>/);
    expect(r.body).toMatch(/<td>volume<\/td><td>volume<\/td><td>blocking<\/td><td>(passed|skipped)<\/td>/);
    expect(r.body).toContain('none (a source pipeline)');

    const failed = await app.inject({ url: '/pipelines/weather/partitions/2024-09-01T03' });
    expect(failed.body).toContain('<span class="state failed">failed</span>');
    expect(failed.body).toContain('SourceFormatError');
  });

  it('says what exists on a 404: unknown pipeline, bad key, unknown dashboard', async () => {
    for (const [url, says] of [
      ['/pipelines/nope', `unknown pipeline &quot;nope&quot; (known: ${registry.pipelines.map((p) => p.name).join(', ')})`],
      ['/pipelines/weather/partitions/2024-09-01', 'invalid hourly partition key &quot;2024-09-01&quot;: expected YYYY-MM-DDTHH (UTC)'],
      ['/pipelines/weather/partitions/2024-02-30T01', 'day 30 does not exist'],
      ['/dashboards/nope', `unknown dashboard &quot;nope&quot; (known: ${dashboards.map((d) => d.name).join(', ')})`],
      ['/pipelines/freelance_profiles/partitions/2024-01-01', 'invalid partition key &quot;2024-01-01&quot;: freelance_profiles is unpartitioned, its one partition is &quot;all&quot;'],
    ]) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(404);
      expect(r.body).toContain(says);
      expect(r.body).toContain('<a href="/pipelines/city_weather">city_weather</a> — daily');
      expect(r.body).not.toMatch(/\.ts:\d+|at async/);
    }
    expect((await app.inject({ url: '/api/pipelines/nope/map' })).json()).toEqual({ error: `unknown pipeline "nope" (known: ${registry.pipelines.map((p) => p.name).join(', ')})` });
  });

  it('shows freshness against the declared expectation and the last day\'s failures', async () => {
    const r = await app.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    const row = /<tr data-pipeline="weather">([\s\S]*?)<\/tr>/.exec(r.body)?.[1] ?? '';
    expect(row).toContain('late —');
    expect(row).toContain('(2024-09-01T02), expected within 2 h 0 min');
    expect(row).toMatch(/<td class="num">1<\/td><td class="num">0<\/td><td class="num">0<\/td><td class="num">4<\/td>/);
    expect(r.body).toContain('id="graph-option"');
    // An unpartitioned snapshot: no map, its one partition's page instead.
    expect(/<tr data-pipeline="freelance_profiles">([\s\S]*?)<\/tr>/.exec(r.body)?.[1]).toContain('unpartitioned (snapshot)');
    const map = await app.inject({ url: '/pipelines/freelance_profiles' });
    expect([map.statusCode, map.headers.location]).toEqual([303, '/pipelines/freelance_profiles/partitions/all']);
    const all = await app.inject({ url: '/pipelines/freelance_profiles/partitions/all' });
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain('No ledger row: this partition has not run.');
  });
});

describe('actions', () => {
  it('refuses every action on a read-only console, before its CSRF check, and records who tried', async () => {
    const page = await readOnly.inject({ url: '/pipelines/weather?from=2024-09-02T00&to=2024-09-02T03' });
    expect(page.body).not.toContain('Backfill this range');
    const r = await readOnly.inject({ method: 'POST', url: '/actions/backfill', ...form({ pipeline: 'weather', from: '2024-09-02T00', to: '2024-09-02T03', mode: 'missing' }) });
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('read-only');
    const { rows } = await h.pool.query(`SELECT actor, action, pipeline, outcome, detail, params FROM console_actions ORDER BY id DESC LIMIT 1`);
    expect(rows[0]).toMatchObject({ action: 'backfill', pipeline: 'weather', outcome: 'refused', detail: 'read-only console', params: { from: '2024-09-02T00', mode: 'missing' } });
    expect(rows[0].actor).toMatch(/^local:/);
  });

  it('refuses a POST without the CSRF token, and a GET cannot change anything', async () => {
    const r = await app.inject({ method: 'POST', url: '/actions/backfill', ...form({ pipeline: 'weather', from: '2024-09-03T00', to: '2024-09-03T02' }) });
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('CSRF');
    expect((await app.inject({ url: '/actions/backfill' })).statusCode).toBe(404);
    await expect(h.client.workflow.getHandle('backfill/weather/2024-09-03T00..2024-09-03T02').describe()).rejects.toThrow();
  });

  it('starts a real backfill over the selected range with its mode, shows its progress, and audits it', async () => {
    const page = await app.inject({ url: '/pipelines/weather?from=2024-09-02T00&to=2024-09-02T03' });
    const { token, cookies } = csrfOf(page);
    const r = await app.inject({
      method: 'POST',
      url: '/actions/backfill',
      cookies,
      ...form({ _csrf: token, pipeline: 'weather', from: '2024-09-02T00', to: '2024-09-02T03', mode: 'missing', concurrency: '2' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-datapulse-user': 'ops.alice' },
    });
    expect(r.statusCode).toBe(303);
    const id = 'backfill/weather/2024-09-02T00..2024-09-02T03';
    expect(r.headers.location).toBe(`/backfills?started=${encodeURIComponent(id)}`);
    const summary = (await h.client.workflow.getHandle(id).result()) as { done: number; failed: number; mode: string };
    expect(summary).toMatchObject({ done: 3, failed: 0, mode: 'missing' });
    const listedRes = await app.inject({ url: '/api/backfills?pipeline=weather' });
    expect(listedRes.statusCode, listedRes.body).toBe(200);
    const listed = listedRes.json() as { backfills: { workflowId: string; status: string; progress: unknown }[] };
    expect(listed.backfills.find((b) => b.workflowId === id)).toMatchObject({ status: 'COMPLETED', progress: { total: 3, done: 3, failed: 0 } });
    const { rows } = await h.pool.query(`SELECT actor, action, target, outcome, detail FROM console_actions WHERE action = 'backfill' AND outcome = 'ok'`);
    expect(rows).toEqual([{ actor: expect.stringMatching(/^local:.+ \(ops\.alice\)$/), action: 'backfill', target: '2024-09-02T00..2024-09-02T03', outcome: 'ok', detail: r.headers.location }]);
  });

  it('says what runs each pipeline: a schedule, a file sensor, or automation, with pause/resume only where there is something to pause', async () => {
    const body = (await app.inject({ url: '/' })).body;
    const row = (name: string) => new RegExp(`<tr data-pipeline="${name}">(.*?)</tr>`, 's').exec(body)?.[1] ?? '';
    expect(row('weather')).toContain('Pause schedule');
    expect(row('weather')).not.toContain('Pause sensor');
    expect(row('city_weather')).toContain('Pause schedule');
    expect(row('city_weather')).toContain('Resume sensor');
    expect(row('weather_daily')).toContain('automation: runs when its inputs load');
    expect(row('weather_daily')).not.toContain('Pause');
    const ro = (await readOnly.inject({ url: '/' })).body;
    expect(ro).toContain('automation: runs when its inputs load');
    expect(ro).not.toContain('Pause schedule');
  });

  it('re-runs failed partitions and runs one partition, refusing a bad range with a clear message', async () => {
    const page = await app.inject({ url: '/pipelines/weather/partitions/2024-09-01T03' });
    const { token, cookies } = csrfOf(page);
    const run = await app.inject({ method: 'POST', url: '/actions/run', cookies, ...form({ _csrf: token, pipeline: 'weather', key: '2024-09-01T03' }) });
    expect(run.statusCode).toBe(303);
    await h.client.workflow.getHandle('weather/2024-09-01T03').result();
    const l = await h.pool.query(`SELECT status FROM ledger WHERE pipeline = 'weather' AND partition_key = '2024-09-01T03'`);
    expect(l.rows[0]?.status).toBe('succeeded');
    const bad = await app.inject({ method: 'POST', url: '/actions/rerun-failed', cookies, ...form({ _csrf: token, pipeline: 'weather', from: '2024-09-02T00', to: '2024-09-01T00' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('empty range');
    // A sensor action for a pipeline that reads no landing files is refused, saying why.
    const noSensor = await app.inject({ method: 'POST', url: '/actions/sensor', cookies, ...form({ _csrf: token, pipeline: 'weather', op: 'pause' }) });
    expect(noSensor.statusCode).toBe(400);
    expect(noSensor.body).toContain('pipeline weather does not read landing files: it has no sensor');
    const audit = await h.pool.query(`SELECT action, outcome FROM console_actions WHERE action IN ('run', 'rerun-failed') ORDER BY id`);
    expect(audit.rows).toEqual([
      { action: 'run', outcome: 'ok' },
      { action: 'rerun-failed', outcome: 'error' },
    ]);
  });
});

describe('dashboards', () => {
  it('filters change the rows; CSV and Excel exports hold exactly those rows', async () => {
    const all = (await app.inject({ url: '/api/dashboards/weather-hourly?from=2024-09-01&to=2024-09-02&location=all' })).json() as { panels: { id: string; rows: number; option: { series: { name: string }[] } }[] };
    const temp = all.panels.find((p) => p.id === 'temperature');
    expect(temp?.option.series.map((s) => s.name).sort()).toEqual(['berlin', 'new_york', 'seattle']);
    const berlin = (await app.inject({ url: '/api/dashboards/weather-hourly?from=2024-09-01&to=2024-09-02&location=berlin' })).json() as typeof all;
    expect(berlin.panels.find((p) => p.id === 'temperature')?.option.series.map((s) => s.name)).toEqual(['berlin']);
    const { rows } = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM weather_observations WHERE location_id = 'berlin' AND observed_at >= '2024-09-01' AND observed_at < '2024-09-02'`);
    expect(berlin.panels.find((p) => p.id === 'temperature')?.rows).toBe(rows[0]?.n);

    const csv = await app.inject({ url: '/dashboards/weather-hourly/export.csv?panel=temperature&from=2024-09-01&to=2024-09-02&location=berlin' });
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('hour,location_id,temperature_c');
    expect(lines).toHaveLength((rows[0]?.n ?? 0) + 1);
    expect(lines.slice(1).every((l) => l.split(',')[1] === 'berlin')).toBe(true);

    const xlsx = await app.inject({ url: '/dashboards/weather-hourly/export.xlsx?from=2024-09-01&to=2024-09-02&location=berlin' });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['temperature', 'precipitation', 'wind']);
    expect(wb.getWorksheet('temperature')?.rowCount).toBe((rows[0]?.n ?? 0) + 1);

    const bad = await app.inject({ url: '/dashboards/weather-hourly?location=atlantis' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('filter location: &quot;atlantis&quot; is not one of all, berlin, new_york, seattle');
    expect((await app.inject({ url: '/dashboards/weather-hourly?from=2024-02-30' })).statusCode).toBe(400);
    const page = await app.inject({ url: '/dashboards/weather-hourly?from=2024-09-01&to=2024-09-02&refresh=5' });
    expect(page.body).toContain('data-refresh="5"');
  });

  it('shows monthly rainfall, its 3-month moving average and the year-over-year change as city_weather_monthly holds them', async () => {
    await h.pool.query(`CREATE TABLE city_weather_monthly (location text, month text, precipitation_mm double precision, precipitation_3m_avg_mm double precision, precipitation_yoy_mm double precision)`);
    await h.pool.query(`INSERT INTO city_weather_monthly VALUES
      ('seattle', '2011-12', 7, 7, NULL),
      ('seattle', '2012-01', 30, 30, NULL), ('seattle', '2012-02', 60, 45, NULL), ('seattle', '2012-03', 0, 30, NULL),
      ('seattle', '2013-01', 45, 45, 15), ('seattle', '2013-02', 30, 37.5, -30), ('seattle', '2014-01', 1, 1, -44),
      ('new_york', '2012-01', 99, 99, NULL)`);
    const r = (await app.inject({ url: '/api/dashboards/rainfall-monthly?from=2012-01-15&to=2013-02-01&location=seattle' })).json() as { panels: { id: string; option: { xAxis: { data: string[] }; series: { name: string; data: (number | null)[] }[] } }[] };
    const rain = r.panels.find((p) => p.id === 'rainfall')?.option;
    // [2012-01-15, 2013-02-01): January 2012 has days in the range, February 2013 has none.
    expect(rain?.xAxis.data).toEqual(['2012-01', '2012-02', '2012-03', '2013-01']);
    expect(rain?.series.map((s) => [s.name, s.data])).toEqual([
      ['rain_mm', [30, 60, 0, 45]],
      ['rain_3m_avg_mm', [30, 45, 30, 45]],
    ]);
    // 2013-01: 45 mm against 30 mm a year before (45 − 15) is +50 %.
    expect(r.panels.find((p) => p.id === 'yoy')?.option.series[0]?.data).toEqual([null, null, null, 50]);
  });
});
