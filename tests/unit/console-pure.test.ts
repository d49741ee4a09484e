/**
 * The console's pure parts: partition positions and runs (hourly, daily, monthly), chart options
 * from dashboard rows, the pipeline graph, dashboard definitions, exports, HTML escaping, and the
 * bind/token rule — without a database or a browser.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { defineDashboard, DashboardDefinitionError, type DashboardPanel } from '../../core/dashboard';
import type { PipelineDefinition } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { graphOption, panelOption } from '../../console/charts';
import { cellText } from '../../console/routes/dashboards';
import { toCsv, toXlsx } from '../../console/export';
import { escapeHtml, html, page } from '../../console/html';
import { buildConsole, ConsoleConfigError, isLoopback } from '../../console/server';
import { loadConfig } from '../../infra/config';
import type { Pool } from '../../infra/db';
import { declaredInputs, pipelineGraph } from '../../ops/lineage';
import { countRuns, fillRuns, keyPosition, MapKeyError, overlayStale, positionKey } from '../../ops/partition-map';
import { keyEndMs } from '../../ops/overview';
import { stepsFromHistory, traceSearchUrl } from '../../ops/partition-detail';
import { dashboards } from '../../pipelines/dashboards';
import { registry } from '../../pipelines';
import { weather } from '../../pipelines/weather';
import { weatherDaily } from '../../pipelines/weather-daily';

describe('partition positions', () => {
  it('numbers consecutive keys consecutively across day, month, year and leap-day boundaries', () => {
    expect(keyPosition('hourly', '2024-02-29T23') + 1).toBe(keyPosition('hourly', '2024-03-01T00'));
    expect(keyPosition('daily', '2023-12-31') + 1).toBe(keyPosition('daily', '2024-01-01'));
    expect(keyPosition('daily', '2024-02-28') + 2).toBe(keyPosition('daily', '2024-03-01'));
    expect(keyPosition('monthly', '2023-12') + 1).toBe(keyPosition('monthly', '2024-01'));
    for (const [g, k] of [['hourly', '2024-05-01T13'], ['daily', '2024-02-29'], ['monthly', '2024-05']] as const) expect(positionKey(g, keyPosition(g, k))).toBe(k);
  });

  it('refuses malformed and impossible keys with the expected form', () => {
    expect(() => keyPosition('hourly', '2024-05-01')).toThrow(/expected YYYY-MM-DDTHH/);
    expect(() => keyPosition('daily', '2023-02-29')).toThrow(MapKeyError);
    expect(() => keyPosition('monthly', '2024-13')).toThrow(/month 13 out of range/);
    expect(() => keyPosition('hourly', '2024-05-01T24')).toThrow(/hour 24/);
  });

  it('gives the end instant of a month as the first instant of the next', () => {
    expect(new Date(keyEndMs('monthly', '2024-12')).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(new Date(keyEndMs('hourly', '2024-05-01T23')).toISOString()).toBe('2024-05-02T00:00:00.000Z');
  });
});

describe('runs of states', () => {
  it('fills gaps with missing, clips to the range, merges touching runs and counts', () => {
    const runs = fillRuns(
      [
        { start: 8, length: 4, state: 'succeeded' },
        { start: 12, length: 1, state: 'succeeded' },
        { start: 14, length: 1, state: 'failed' },
        { start: 19, length: 5, state: 'stale' },
      ],
      10,
      20,
    );
    expect(runs).toEqual([
      { start: 10, length: 3, state: 'succeeded' },
      { start: 13, length: 1, state: 'missing' },
      { start: 14, length: 1, state: 'failed' },
      { start: 15, length: 4, state: 'missing' },
      { start: 19, length: 1, state: 'stale' },
    ]);
    expect(countRuns(runs)).toEqual({ succeeded: 3, stale: 1, failed: 1, running: 0, missing: 5 });
    expect(fillRuns([], 0, 100_000)).toEqual([{ start: 0, length: 100_000, state: 'missing' }]);
  });

  it('lays stale inputs over succeeded islands only, splitting them and merging adjacent stale keys', () => {
    const islands = [
      { start: 0, length: 10, state: 'succeeded' as const },
      { start: 10, length: 2, state: 'failed' as const },
      { start: 15, length: 5, state: 'succeeded' as const },
    ];
    expect(overlayStale(islands, [3, 4, 9, 11, 15, 30, 4])).toEqual([
      { start: 0, length: 3, state: 'succeeded' },
      { start: 3, length: 2, state: 'stale' },
      { start: 5, length: 4, state: 'succeeded' },
      { start: 9, length: 1, state: 'stale' },
      // failed wins over stale; a stale position outside every island (30) changes nothing.
      { start: 10, length: 2, state: 'failed' },
      { start: 15, length: 1, state: 'stale' },
      { start: 16, length: 4, state: 'succeeded' },
    ]);
    expect(overlayStale(islands, [])).toEqual(islands);
    expect(countRuns(fillRuns(overlayStale(islands, [0, 19]), 0, 20))).toEqual({ succeeded: 13, stale: 2, failed: 2, running: 0, missing: 3 });
  });
});

const panel: DashboardPanel = { id: 't', title: 'Temperature', chart: 'line', query: 'SELECT 1', params: [], x: 'hour', y: ['temperature_c'], series: 'location_id', unit: '°C' };

describe('chart options', () => {
  it('makes one series per location, categories in row order, and a gap (null) where a location has no row', () => {
    const o = panelOption(panel, [
      { hour: '2024-05-01T00', location_id: 'berlin', temperature_c: 10.5 },
      { hour: '2024-05-01T00', location_id: 'seattle', temperature_c: '8.25' },
      { hour: '2024-05-01T01', location_id: 'berlin', temperature_c: 11 },
    ]) as { xAxis: { data: string[] }; series: { name: string; type: string; data: (number | null)[] }[]; yAxis: { name: string } };
    expect(o.xAxis.data).toEqual(['2024-05-01T00', '2024-05-01T01']);
    expect(o.series.map((s) => [s.name, s.type, s.data])).toEqual([
      ['berlin', 'line', [10.5, 11]],
      ['seattle', 'line', [8.25, null]],
    ]);
    expect(o.yAxis.name).toBe('°C');
  });

  it('draws the first column as bars and the rest as lines for bar-line', () => {
    const o = panelOption({ ...panel, chart: 'bar-line', series: undefined, y: ['rain_mm', 'rain_3m_avg_mm'] }, [{ hour: '2012-01', rain_mm: 5, rain_3m_avg_mm: 5 }]) as { series: { name: string; type: string }[] };
    expect(o.series.map((s) => [s.name, s.type])).toEqual([
      ['rain_mm', 'bar'],
      ['rain_3m_avg_mm', 'line'],
    ]);
  });

  it('draws a pie slice per row and leaves out null values', () => {
    const o = panelOption({ ...panel, chart: 'pie', x: 'skill', y: ['missions'], series: undefined, unit: 'missions' }, [
      { skill: 'TypeScript', missions: '12' },
      { skill: 'SAP', missions: 3 },
      { skill: 'COBOL', missions: null },
    ]) as { series: { type: string; data: { name: string; value: number }[] }[] };
    expect(o.series).toHaveLength(1);
    expect(o.series[0]?.type).toBe('pie');
    expect(o.series[0]?.data).toEqual([
      { name: 'TypeScript', value: 12 },
      { name: 'SAP', value: 3 },
    ]);
  });

  it('draws one gauge dial per row with the declared bands as fractions of min..max', () => {
    const gauge: DashboardPanel = { ...panel, chart: 'gauge', x: 'scope', y: ['occupancy_pct'], series: undefined, unit: '%', bands: [{ upTo: 60, color: 'amber' }, { upTo: 90, color: 'green' }, { upTo: 100, color: 'red' }] };
    const o = panelOption(gauge, [
      { scope: 'overall', occupancy_pct: '72.5' },
      { scope: 'month', occupancy_pct: null },
    ]) as { series: { type: string; name: string; data: { value: number | null }[]; axisLine: { lineStyle: { color: [number, string][] } }; detail: { formatter: string } }[] };
    expect(o.series.map((s) => [s.type, s.name, s.data[0]?.value])).toEqual([
      ['gauge', 'overall', 72.5],
      ['gauge', 'month', null],
    ]);
    expect(o.series[0]?.axisLine.lineStyle.color).toEqual([
      [0.6, '#e0a800'],
      [0.9, '#2e9e4f'],
      [1, '#d43c3c'],
    ]);
    expect(o.series[1]?.detail.formatter).toBe('–');
    const scaled = panelOption({ ...gauge, min: 50, max: 150, bands: [{ upTo: 100, color: 'green' }, { upTo: 150, color: 'red' }] }, [{ scope: 'x', occupancy_pct: 1 }]) as { series: { axisLine: { lineStyle: { color: [number, string][] } } }[] };
    expect(scaled.series[0]?.axisLine.lineStyle.color.map((c) => c[0])).toEqual([0.5, 1]);
  });

  it('makes kpi tiles from the first row, one per y column, exact text kept and status names flagged', () => {
    const o = panelOption({ ...panel, chart: 'kpi', x: '', y: ['Revenue', 'Invoices', 'Pipeline status', 'Unpaid'], series: undefined, unit: '' }, [
      { Revenue: '1234567.89', Invoices: 42, 'Pipeline status': 'amber', Unpaid: null },
      { Revenue: '1', Invoices: 1, 'Pipeline status': 'green', Unpaid: 1 },
    ]);
    expect(o).toEqual({
      kpi: [
        { name: 'Revenue', value: '1234567.89', status: null },
        { name: 'Invoices', value: '42', status: null },
        { name: 'Pipeline status', value: 'amber', status: 'amber' },
        { name: 'Unpaid', value: '–', status: null },
      ],
      unit: '',
    });
    expect((panelOption({ ...panel, chart: 'kpi', y: ['a'] }, []) as { kpi: unknown[] }).kpi).toEqual([{ name: 'a', value: '–', status: null }]);
  });

  it('draws the graph from the derived datasets\' inputs, with clickable registered nodes', () => {
    expect(declaredInputs(weatherDaily as unknown as PipelineDefinition)).toEqual([{ input: 'hourly', pipeline: 'weather' }]);
    expect(declaredInputs(weather as unknown as PipelineDefinition)).toEqual([]);
    const g = pipelineGraph(createRegistry([weather, weatherDaily]));
    expect(g.edges).toEqual([{ from: 'weather', to: 'weather_daily', input: 'hourly' }]);
    const o = graphOption(g.nodes, g.edges, (n) => `/pipelines/${n}`) as { series: { data: { name: string; url: string; x: number }[]; links: unknown[] }[] };
    const s = o.series[0];
    expect(s?.data.filter((d) => d.url).map((d) => [d.name, d.url, d.x])).toEqual([
      ['weather', '/pipelines/weather', 130],
      ['weather_daily', '/pipelines/weather_daily', 390],
    ]);
    expect(s?.links).toHaveLength(1);
    expect(pipelineGraph(registry).edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual([
      'city_weather->city_weather_monthly',
      'city_weather_monthly->city_weather_monthly',
      'freelance_invoices->freelance_receivables',
      'freelance_invoices->freelance_revenue',
      'freelance_profiles->freelancers',
      'freelancers->freelance_revenue',
      'freelancers->freelance_skill_supply',
      'sport_activities->sport_employee_monthly',
      'sport_employee_monthly->sport_team_monthly',
      'sport_hr_directory->sport_employee_monthly',
      'sport_team_monthly->sport_company_monthly',
      'weather->weather_daily',
    ]);
    // A dataset reading its own earlier months stays one column right of its input, not pushed away by its self edge.
    const all = pipelineGraph(registry);
    const full = graphOption(all.nodes, all.edges, (n) => `/pipelines/${n}`) as { series: { data: { name: string; x: number }[] }[] };
    const x = Object.fromEntries((full.series[0]?.data ?? []).map((d) => [d.name, d.x]));
    expect([x.weather, x.weather_daily, x.city_weather, x.city_weather_monthly]).toEqual([130, 390, 130, 390]);
  });
});

describe('dashboard table cells', () => {
  it('shows dates as ISO 8601 (a date alone at midnight UTC), other values as their text', () => {
    expect(cellText(new Date('2026-01-05T00:00:00Z'))).toBe('2026-01-05');
    expect(cellText(new Date('2026-01-05T13:04:05.123Z'))).toBe('2026-01-05T13:04:05.123Z');
    expect([cellText(null), cellText(undefined), cellText('4500.00'), cellText(0)]).toEqual(['', '', '4500.00', '0']);
  });
});

describe('dashboard definitions', () => {
  it('ships the weather, freelance and sport dashboards, each panel binding only declared filters', () => {
    expect(dashboards.map((d) => d.name)).toEqual(['weather-hourly', 'weather-daily', 'rainfall-monthly', 'freelance-finance', 'freelance-resources', 'freelance-live', 'sport-benefits']);
  });

  it('refuses a panel whose placeholders and params disagree, and unknown params', () => {
    const base = { name: 'x', title: 'X', description: '', sources: [], filters: [{ name: 'from', kind: 'date' as const, label: 'From', default: '2024-01-01' }] };
    expect(() => defineDashboard({ ...base, panels: [{ ...panel, query: 'SELECT $1, $2', params: ['from'] }] })).toThrow(/uses \$1..\$2 but params lists 1/);
    expect(() => defineDashboard({ ...base, panels: [{ ...panel, query: 'SELECT $1', params: ['city'] }] })).toThrow(DashboardDefinitionError);
  });

  it('refuses gauges without bands, with bands out of order or not ending at max, and bands on other kinds', () => {
    const base = { name: 'x', title: 'X', description: '', sources: [], filters: [] };
    const gauge: DashboardPanel = { ...panel, chart: 'gauge', bands: [{ upTo: 60, color: 'amber' }, { upTo: 100, color: 'green' }] };
    expect(defineDashboard({ ...base, panels: [gauge] }).panels[0]?.chart).toBe('gauge');
    expect(() => defineDashboard({ ...base, panels: [{ ...gauge, bands: [] }] })).toThrow(/a gauge needs bands/);
    expect(() => defineDashboard({ ...base, panels: [{ ...gauge, bands: [{ upTo: 90, color: 'green' }, { upTo: 60, color: 'amber' }] }] })).toThrow(/ascend strictly/);
    expect(() => defineDashboard({ ...base, panels: [{ ...gauge, bands: [{ upTo: 90, color: 'green' }] }] })).toThrow(/last band must end at max \(100\), not 90/);
    expect(() => defineDashboard({ ...base, panels: [{ ...gauge, bands: [{ upTo: 100, color: 'blue' as 'red' }] }] })).toThrow(/band colour blue/);
    expect(() => defineDashboard({ ...base, panels: [{ ...gauge, min: 100, max: 100 }] })).toThrow(/max must be above min/);
    expect(() => defineDashboard({ ...base, panels: [{ ...panel, chart: 'pie', bands: gauge.bands }] })).toThrow(/for gauges only/);
    expect(() => defineDashboard({ ...base, panels: [{ ...panel, chart: 'donut' as 'pie' }] })).toThrow(/unknown chart donut/);
  });
});

describe('exports', () => {
  it('writes CSV with a header, quoting, and formula-looking text neutralised', () => {
    const csv = toCsv(['city', 'note', 'mm'], [
      { city: 'New York, NY', note: '=HYPERLINK("x")', mm: 1.5 },
      { city: 'seattle', note: null, mm: -2 },
    ]);
    expect(csv).toBe('city,note,mm\n"New York, NY","\'=HYPERLINK(""x"")",1.5\nseattle,,-2\n');
  });

  it('writes an Excel sheet per panel with typed cells', async () => {
    const buf = await toXlsx([{ name: 'rainfall', columns: ['month', 'rain_mm'], rows: [{ month: '2012-01', rain_mm: 173.3 }] }]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('rainfall');
    expect(ws?.getRow(1).values).toEqual([undefined, 'month', 'rain_mm']);
    expect(ws?.getRow(2).getCell(2).value).toBe(173.3);
  });
});

describe('partition detail helpers', () => {
  it('times steps from history events (scheduled → closed, attempts from the started event)', () => {
    const t = (s: number) => ({ seconds: s, nanos: 500_000_000 });
    const steps = stepsFromHistory([
      { eventId: '5', eventTime: t(100), activityTaskScheduledEventAttributes: { activityType: { name: 'ingest' } } },
      { eventId: '6', eventTime: t(101), activityTaskStartedEventAttributes: { scheduledEventId: '5', attempt: 3 } },
      { eventId: '7', eventTime: t(104), activityTaskCompletedEventAttributes: { scheduledEventId: '5' } },
      { eventId: '8', eventTime: t(105), activityTaskScheduledEventAttributes: { activityType: { name: 'validate' } } },
    ]);
    expect(steps).toEqual([
      { step: 'ingest', scheduledAt: '1970-01-01T00:01:40.500Z', ms: 4000, attempts: 3, outcome: 'completed' },
      { step: 'validate', scheduledAt: '1970-01-01T00:01:45.500Z', ms: null, attempts: 1, outcome: 'running' },
    ]);
  });

  it('links a partition\'s traces only when a trace UI is configured', () => {
    expect(traceSearchUrl(undefined, 'weather', '2024-05-01T13')).toBeNull();
    expect(traceSearchUrl('http://localhost:16686/', 'weather', '2024-05-01T13')).toBe(
      'http://localhost:16686/search?service=datapulse-worker&tags=%7B%22datapulse.pipeline%22%3A%22weather%22%2C%22datapulse.partition%22%3A%222024-05-01T13%22%7D',
    );
  });
});

describe('safety without a database', () => {
  const noPool = new Proxy({}, { get: () => { throw new Error('no query expected'); } }) as unknown as Pool;
  const opts = { pool: noPool, registry, dashboards, config: loadConfig({}) };

  it('escapes everything interpolated into pages', () => {
    expect(escapeHtml(`<script>"'&`)).toBe('&lt;script&gt;&quot;&#39;&amp;');
    expect(html`<p>${'<b>'}</p>`.value).toBe('<p>&lt;b&gt;</p>');
  });

  it('refuses to bind beyond loopback without a token, and short tokens', async () => {
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && !isLoopback('0.0.0.0')).toBe(true);
    await expect(buildConsole({ ...opts, host: '0.0.0.0' })).rejects.toThrow(ConsoleConfigError);
    await expect(buildConsole({ ...opts, host: '0.0.0.0', token: 'short' })).rejects.toThrow(/at least 16/);
  });

  it('answers 401 without the token, and accepts the bearer token or the cookie set by ?token=', async () => {
    const token = 'a-long-enough-secret-token';
    const app = await buildConsole({ ...opts, host: '0.0.0.0', token });
    try {
      const denied = await app.inject({ url: '/healthz' });
      expect(denied.statusCode).toBe(401);
      expect(denied.body).toContain('Token required');
      expect(denied.body).not.toContain(token);
      expect((await app.inject({ url: '/healthz', headers: { authorization: `Bearer ${token}x` } })).statusCode).toBe(401);
      expect((await app.inject({ url: '/healthz', headers: { authorization: `Bearer ${token}` } })).json()).toEqual({ ok: true });
      const login = await app.inject({ url: `/healthz?token=${token}` });
      expect(login.statusCode).toBe(303);
      expect(login.headers.location).toBe('/healthz');
      const cookie = login.cookies.find((c) => c.name === 'datapulse_token');
      expect(cookie?.httpOnly).toBe(true);
      expect((await app.inject({ url: '/healthz', cookies: { datapulse_token: token } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('serves ECharts from node_modules and only listed assets', async () => {
    const app = await buildConsole(opts);
    try {
      const e = await app.inject({ url: '/assets/echarts.min.js' });
      expect(e.statusCode).toBe(200);
      expect(e.headers['content-type']).toContain('javascript');
      expect(e.body).toContain('echarts');
      expect((await app.inject({ url: '/assets/..%2F..%2Fpackage.json' })).statusCode).toBe(400);
      const missing = await app.inject({ url: '/no/such/page' });
      expect(missing.statusCode).toBe(404);
      expect(missing.body).toContain('/pipelines/weather');
      expect(missing.body).not.toMatch(/at .*\.ts:\d+/);
    } finally {
      await app.close();
    }
  });
});

describe('a database without DataPulse tables', () => {
  it('answers 503 saying to run a worker first, not a stack trace', async () => {
    const missing = Object.assign(new Error('relation "ledger" does not exist'), { code: '42P01' });
    const pool = { query: async () => Promise.reject(missing) } as unknown as Pool;
    const app = await buildConsole({ pool, registry, dashboards, config: loadConfig({}) });
    try {
      const r = await app.inject({ url: '/pipelines/weather' });
      expect(r.statusCode).toBe(503);
      expect(r.body).toContain('start a worker or `datapulse dev` once');
      expect(r.body).not.toMatch(/\.ts:\d+/);
    } finally {
      await app.close();
    }
  });
});

describe('page layout', () => {
  it('declares an empty icon, so browsers do not ask the console for /favicon.ico (a 404 in every console log)', () => {
    const out = page({ title: 'x', nav: { pipelines: [], dashboards: [], actionsEnabled: false } as never, body: html`<p>hi</p>` });
    expect(out).toContain('<link rel="icon" href="data:,">');
  });
});
