/**
 * The console in a real browser (Debian's Chromium via playwright-core) against the real Temporal
 * dev server, PostgreSQL and worker: a person navigates, reads the map after a run with a failure,
 * opens a partition, changes a dashboard's filters and sees other data, exports CSV and Excel and
 * finds the right rows in them, starts a backfill and watches it finish; a read-only console
 * offers no action and refuses one posted anyway.
 * With DATAPULSE_SCREENSHOTS=1 (`npm run screenshots`) each page is saved under docs/screenshots/.
 * (October 2024 hours: workflow ids are shared on the server with the other test files.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../console/server';
import { createLogger } from '../../infra/logger';
import { startOrAttachBackfill } from '../../ops/backfill-client';
import { registry } from '../../pipelines';
import { dashboards } from '../../pipelines/dashboards';
import { fillCityWeatherLanding } from '../../scripts/commands/landing';
import { createHarness, type Harness } from '../integration/harness';
import { launchChromium } from '../../scripts/browser';

const SHOTS = process.env.DATAPULSE_SCREENSHOTS === '1';
const SHOT_DIR = path.join(__dirname, '..', '..', 'docs', 'screenshots');

let h: Harness;
let browser: Browser;
let url: string;
let readOnlyUrl: string;
const closers: (() => Promise<void>)[] = [];

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: path.join(SHOT_DIR, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  h = await createHarness();
  for (const k of ['2024-10-01T00', '2024-10-01T01', '2024-10-01T02']) await h.run('weather', k);
  h.api.setFaults([{ kind: 'bad-values', latitude: 52.52, times: 1 }]);
  await h.run('weather', '2024-10-01T03');
  h.api.setFaults([{ kind: 'malformed', times: 5 }]);
  await h.run('weather', '2024-10-01T04').catch(() => undefined);
  h.api.clearFaults();
  for (const k of ['2024-10-01T05', '2024-10-01T06', '2024-10-01T07']) await h.run('weather', k);
  // Fifteen months of daily CSV partitions for the daily and monthly dashboards (year-over-year needs two Januaries).
  fillCityWeatherLanding(h.landingDir);
  const { handle } = await startOrAttachBackfill(h.client, h.config, registry.get('city_weather'), { from: '2012-01-01', to: '2013-04-01', mode: 'missing', concurrency: 16, execution: 'local-activities' });
  await handle.result();
  // The monthly rainfall dashboard reads the derived months (each month also reads the ones before it).
  const monthly = await startOrAttachBackfill(h.client, h.config, registry.get('city_weather_monthly'), { from: '2012-01', to: '2013-04', mode: 'missing', concurrency: 1 });
  await monthly.handle.result();
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'error', { test: 'console-e2e' });
  for (const actionsEnabled of [true, false]) {
    const app = await buildConsole({ pool: h.pool, registry, dashboards, config: h.config, client: async () => h.client, actionsEnabled, logger });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    if (actionsEnabled) url = address;
    else readOnlyUrl = address;
  }
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  for (const c of closers) await c();
  await h?.close();
});

async function open(path_: string, base = url): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const r = await page.goto(base + path_);
  expect(r?.status(), path_).toBe(200);
  return page;
}

describe('console in Chromium', () => {
  it('navigates from the overview to a pipeline map and a dashboard, and draws the pipeline graph', async () => {
    const page = await open('/');
    await expect.poll(() => page.locator('#graph canvas').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'weather' }).first().textContent()).toContain('late');
    await shot(page, 'overview');
    await page.getByRole('table').getByRole('link', { name: 'weather', exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('weather');
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Rainfall per month' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Rainfall per month');
    await page.close();
  });

  it('shows the map\'s states after a run with a failure, with hover and click to the partition', async () => {
    const page = await open('/pipelines/weather?from=2024-09-30T22&to=2024-10-01T10');
    await page.locator('canvas#map[data-ready="true"]').waitFor();
    expect(await page.locator('[data-count="succeeded"]').textContent()).toBe('7');
    expect(await page.locator('[data-count="failed"]').textContent()).toBe('1');
    expect(await page.locator('[data-count="missing"]').textContent()).toBe('4');
    await shot(page, 'partition-map-hourly');
    const at = await page.evaluate(() => (globalThis as unknown as { __mapCellCenter(k: string): { x: number; y: number } }).__mapCellCenter('2024-10-01T04'));
    await page.mouse.move(at.x, at.y);
    await expect.poll(() => page.getByRole('status').textContent()).toBe('2024-10-01T04 — failed');
    const ok = await page.evaluate(() => (globalThis as unknown as { __mapCellCenter(k: string): { x: number; y: number } }).__mapCellCenter('2024-10-01T02'));
    await page.mouse.move(ok.x, ok.y);
    await expect.poll(() => page.getByRole('status').textContent()).toBe('2024-10-01T02 — succeeded');
    await page.mouse.move(at.x, at.y);
    await page.mouse.click(at.x, at.y);
    await page.waitForURL('**/pipelines/weather/partitions/2024-10-01T04');
    expect(await page.locator('h1 .state').textContent()).toBe('failed');
    expect(await page.getByRole('table', { name: 'ledger' }).textContent()).toContain('SourceFormatError');
    await page.close();

    const daily = await open('/pipelines/city_weather?from=2012-01-01&to=2013-04-01');
    await daily.locator('canvas#map[data-ready="true"]').waitFor();
    expect(await daily.locator('[data-count="succeeded"]').textContent()).toBe('456');
    await shot(daily, 'partition-map-daily');
    await daily.close();
  });

  it('shows a partition\'s quarantined rows, steps and checks', async () => {
    const page = await open('/pipelines/weather/partitions/2024-10-01T03');
    const q = page.getByRole('table', { name: 'quarantine' });
    expect(await q.getByRole('row').count()).toBe(2);
    expect(await q.textContent()).toContain('forecast?location=berlin');
    expect(await page.getByRole('table', { name: 'steps' }).getByRole('row').count()).toBe(5);
    expect(await page.getByRole('link', { name: 'Temporal history' }).getAttribute('href')).toContain('weather%2F2024-10-01T03');
    await shot(page, 'partition-detail');
    await page.close();
  });

  it('changes the charts\' data when a filter changes', async () => {
    const page = await open('/dashboards/weather-hourly?from=2024-10-01&to=2024-10-02');
    await page.locator('body[data-charts-ready="true"]').waitFor();
    const seriesNames = () =>
      page.evaluate(() => ((globalThis as unknown as { __charts: Record<string, { getOption(): { series: { name: string; data: unknown[] }[] } }> }).__charts.temperature?.getOption().series ?? []).map((s) => s.name).sort());
    expect(await seriesNames()).toEqual(['berlin', 'new_york', 'seattle']);
    await shot(page, 'dashboard-weather-hourly');
    await page.getByLabel('Location').selectOption('berlin');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/location=berlin/);
    await page.locator('body[data-charts-ready="true"]').waitFor();
    expect(await seriesNames()).toEqual(['berlin']);
    await page.close();

    const daily = await open('/dashboards/weather-daily?from=2012-01-01&to=2013-01-01');
    await daily.locator('body[data-charts-ready="true"]').waitFor();
    await shot(daily, 'dashboard-weather-daily');
    await daily.close();
  });

  it('exports the panel\'s rows to CSV and Excel files that open with the right rows', async () => {
    const page = await open('/dashboards/rainfall-monthly?from=2012-01-01&to=2013-04-01&location=Seattle');
    await page.locator('body[data-charts-ready="true"]').waitFor();
    await shot(page, 'dashboard-rainfall-monthly');
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.locator('section[data-panel="rainfall"]').getByRole('link', { name: 'CSV' }).click()]);
    const csv = readFileSync((await csvDownload.path()) ?? '', 'utf8').trim().split('\n');
    expect(csv[0]).toBe('month,rain_mm,rain_3m_avg_mm,yoy_change_pct');
    expect(csv).toHaveLength(16);
    const jan = await h.pool.query<{ mm: string }>(`SELECT round(sum(precipitation_mm)::numeric, 1)::text AS mm FROM city_weather_daily WHERE location = 'Seattle' AND day >= '2013-01-01' AND day < '2013-02-01'`);
    expect(csv.find((l) => l.startsWith('2013-01,'))?.split(',')[1]).toBe(String(Number(jan.rows[0]?.mm)));
    const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Excel (all panels)' }).click()]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile((await xlsxDownload.path()) ?? '');
    expect(wb.worksheets.map((w) => w.name)).toEqual(['rainfall', 'yoy']);
    expect(wb.getWorksheet('rainfall')?.rowCount).toBe(16);
    expect(wb.getWorksheet('rainfall')?.getRow(14).getCell(1).value).toBe('2013-01');
    await page.close();
  });

  it('starts a real backfill from the map and shows its progress to the end', async () => {
    const page = await open('/pipelines/weather?from=2024-10-02T00&to=2024-10-02T04');
    await page.getByLabel('Mode').selectOption('missing');
    await page.getByRole('button', { name: 'Backfill this range' }).click();
    await page.waitForURL(/\/backfills\?started=/);
    const row = page.locator('tr[data-backfill="backfill/weather/2024-10-02T00..2024-10-02T04"]');
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 60_000 }).toBe('COMPLETED');
    await shot(page, 'backfills');
    const ledger = await h.pool.query(`SELECT count(*)::int AS n FROM ledger WHERE pipeline = 'weather' AND partition_key >= '2024-10-02T00' AND partition_key < '2024-10-02T04' AND status = 'succeeded'`);
    expect(ledger.rows[0]?.n).toBe(4);
    await page.close();
  });

  it('offers no action on a read-only console and refuses one posted anyway', async () => {
    const page = await open('/pipelines/weather?from=2024-10-03T00&to=2024-10-03T02', readOnlyUrl);
    expect(await page.getByRole('button', { name: 'Backfill this range' }).count()).toBe(0);
    expect(await page.locator('header .mode').textContent()).toBe('read-only');
    const r = await page.request.post(`${readOnlyUrl}/actions/backfill`, { form: { pipeline: 'weather', from: '2024-10-03T00', to: '2024-10-03T02', mode: 'force' } });
    expect(r.status()).toBe(403);
    expect(await r.text()).toContain('read-only');
    await expect(h.client.workflow.getHandle('backfill/weather/2024-10-03T00..2024-10-03T02').describe()).rejects.toThrow();
    await page.close();
  });
});
