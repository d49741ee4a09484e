/**
 * The demo: brings the stack up as needed, applies the schedules, backfills two days of hourly
 * `weather` partitions against the offline fixture API and the year 2012 of daily `city_weather`
 * partitions from CSV drops, then prints where to look. Keeps the stack up for browsing until
 * Ctrl-C, unless --exit.
 */
import { Client, Connection } from '@temporalio/client';
import { startOrAttachBackfill } from '../../ops/backfill-client';
import { workflowsQueryUiUrl, workflowUiUrl, type Config } from '../../infra/config';
import { startWeatherApi, type WeatherApiServer } from '../../infra/fixtures/weather-api';
import { applySchedules, scheduleUiUrl } from '../../ops/schedules';
import { clientInterceptors } from '../../infra/temporal-client';
import { registry } from '../../pipelines';
import { follow } from './backfill';
import type { Pool } from '../../infra/db';
import { keysInRange, shiftKey } from '../../core/partition';
import { staleKeys } from '../../activities/staleness';
import { startPartition } from '../../ops/partition-runs';
import { fillCityWeatherLanding } from './landing';
import { say, startLocalStack, untilSignal } from './stack';
import { startConsole, type RunningConsole } from './ui';

const RANGES = [
  { pipeline: 'weather', from: '2024-05-01T00', to: '2024-05-03T00', concurrency: 8 },
  { pipeline: 'city_weather', from: '2012-01-01', to: '2013-01-01', concurrency: 8 },
] as const;

export async function demoCommand(opts: { exit: boolean }): Promise<void> {
  let api: WeatherApiServer | undefined;
  if (!process.env.WEATHER_API_URL) {
    api = await startWeatherApi({ port: 0 });
    process.env.WEATHER_API_URL = api.url;
  }
  const stack = await startLocalStack({ worker: true });
  let failed = 0;
  let console_: RunningConsole | undefined;
  try {
    console_ = await startConsole({ pool: stack.pool, config: stack.config }, { actions: process.env.DATAPULSE_UI_ACTIONS !== '0', fallbackPort: true });
    say(`Console:    ${console_.url} (partition maps, backfills, weather dashboards)`);
    say(`Weather API: ${api ? `offline fixture at ${api.url} (set WEATHER_API_URL to use a real one)` : process.env.WEATHER_API_URL}`);
    const landing = fillCityWeatherLanding(stack.config.landingDir);
    say(`Landing:    ${landing.files.length} CSV drops (${landing.rows} rows of vega-datasets weather.csv) in ${landing.folder}`);
    const connection = await Connection.connect({ address: stack.config.temporalAddress });
    const client = new Client({ connection, namespace: stack.config.namespace, interceptors: clientInterceptors() });
    try {
      for (const r of await applySchedules(client, stack.config, registry)) {
        say(`Schedule:   ${r.scheduleId} ${r.action}${r.paused ? ' (paused)' : ''}  ${scheduleUiUrl(stack.config, r.scheduleId)}`);
      }
      for (const r of RANGES) failed += await backfill(client, stack.config, r);
      failed += await derivedDatasets(client, stack.config, stack.pool, api);
      failed += await (await import('./demo-freelance')).freelanceDemo(client, stack.config, stack.pool, console_.url);
      failed += await (require('./demo-sport') as typeof import('./demo-sport')).sportDemo(client, stack.config, stack.pool);
    } finally {
      await connection.close();
    }
    const { rows } = await stack.pool.query<{ pipeline: string; status: string; partitions: number; rows_in: number; loaded: number; quarantined: number }>(
      `SELECT pipeline, status, count(*)::int AS partitions, sum(rows_in)::int AS rows_in, sum(rows_loaded)::int AS loaded,
              sum(rows_quarantined)::int AS quarantined
         FROM ledger GROUP BY pipeline, status ORDER BY pipeline, status`,
    );
    say();
    say('Ledger:');
    for (const r of rows) say(`  ${r.pipeline.padEnd(22)} ${r.status.padEnd(10)} ${String(r.partitions).padStart(5)} partitions, ${r.rows_in} rows in, ${r.loaded} loaded, ${r.quarantined} quarantined`);
    say();
    say(`Console:                    ${console_.url}  (maps: ${console_.url}pipelines/weather, dashboards: ${console_.url}dashboards/weather-hourly)`);
    say(`Temporal UI (weather runs): ${workflowsQueryUiUrl(stack.config, 'DataPulsePipeline="weather"')}`);
    say(`Temporal UI (CSV runs):     ${workflowsQueryUiUrl(stack.config, 'DataPulsePipeline="city_weather"')}`);
    say(`Temporal UI (automation):   ${workflowsQueryUiUrl(stack.config, 'WorkflowType="automationWorkflow"')}`);
    say('Derived datasets:');
    say('  npx datapulse graph --mermaid   ·   npx datapulse lineage city_weather_monthly 2012-03   ·   npx datapulse status weather_daily --from 2024-05-01 --to 2024-05-03');
    say(`  psql ... -c "SELECT location, month, precipitation_mm, precipitation_3m_avg_mm, precipitation_yoy_mm, temp_mean_c, temp_mean_3m_avg_c FROM ${stack.config.schema}.city_weather_monthly ORDER BY 1, 2"`);
    say('Look at the data:');
    say(`  psql "${stack.db.url.replace(/:[^:@/]+@/, ':***@')}" -c "SELECT location_id, date_trunc('day', observed_at) AS day, round(avg(temperature_c)::numeric, 1) AS avg_c, sum(precipitation_mm) AS rain_mm FROM ${stack.config.schema}.weather_observations GROUP BY 1, 2 ORDER BY 1, 2"`);
    say(`  psql ... -c "SELECT pipeline, partition_key, status, rows_in, rows_valid, rows_quarantined, rows_loaded FROM ${stack.config.schema}.ledger ORDER BY 1, 2"`);
    if (failed > 0) process.exitCode = 1;
    if (opts.exit) return;
    say();
    say('The stack stays up for browsing. Ctrl-C to stop.');
    await Promise.race([untilSignal(), stack.workerDone]);
    say('stopping...');
  } finally {
    await console_?.close();
    await stack.stop();
    await api?.close();
  }
}

/** The derived keys the demo's backfills feed (filled by automation as their inputs land). */
const DERIVED = [
  { pipeline: 'weather_daily', keys: ['2024-05-01', '2024-05-02'] },
  { pipeline: 'city_weather_monthly', keys: [...keysInRange('monthly', '2012-01', '2013-01')] },
] as const;

/**
 * Shows the derived datasets filling in (automation starts them as their inputs load), then one
 * upstream hour re-loaded with changed data: the day that read it goes stale and automation
 * refreshes it; then the hour is restored (and the day refreshed again). Returns failures.
 */
async function derivedDatasets(client: Client, config: Config, pool: Pool, api: WeatherApiServer | undefined): Promise<number> {
  say();
  say('Derived:    weather_daily (days of weather) and city_weather_monthly (months of city_weather) fill in as their inputs land');
  const loaded = async (pipeline: string, keys: readonly string[]) =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger WHERE pipeline = $1 AND status = 'succeeded' AND partition_key = ANY($2)`, [pipeline, keys])).rows[0]?.n ?? 0;
  let last = '';
  let deadline = Date.now() + 15_000;
  let backfilled = false;
  for (;;) {
    const counts = await Promise.all(DERIVED.map(async (d) => ({ ...d, n: await loaded(d.pipeline, d.keys) })));
    const line = counts.map((c) => `${c.pipeline} ${c.n}/${c.keys.length}`).join('  ·  ');
    if (line !== last) {
      say(`            ${line}`);
      // Automation is making progress: keep waiting; 15 s without any means nothing is coming.
      deadline = Math.max(deadline, Date.now() + 15_000);
    }
    last = line;
    if (counts.every((c) => c.n === c.keys.length)) break;
    if (Date.now() > deadline) {
      if (backfilled) return 1;
      // Inputs loaded before (a second demo run) start nothing: fill what is missing as an operator would.
      say('            not all loaded by automation: backfilling the rest (datapulse backfill <pipeline> --from … --to …)');
      for (const d of DERIVED) {
        const def = registry.get(d.pipeline);
        const to = shiftKey(def.partitioning.granularity, d.keys[d.keys.length - 1]!, 1);
        const { handle } = await startOrAttachBackfill(client, config, def, { from: d.keys[0]!, to, mode: 'missing', concurrency: 1 });
        await follow(client, config, handle.workflowId);
      }
      backfilled = true;
      deadline = Date.now() + 10_000;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (!api) return 0;
  const hour = '2024-05-01T13';
  const day = '2024-05-01';
  const runOf = async () => (await pool.query<{ run_id: string }>(`SELECT run_id FROM ledger WHERE pipeline = 'weather_daily' AND partition_key = $1 AND status = 'succeeded'`, [day])).rows[0]?.run_id;
  for (const change of ['changed', 'restored'] as const) {
    const before = await runOf();
    if (change === 'changed') api.setFaults([{ kind: 'bad-values', latitude: 47.61 }]);
    try {
      await (await startPartition(client, config, { pipeline: 'weather', partition: hour, trigger: 'run' })).result();
    } finally {
      api.clearFaults();
    }
    const stale = await staleKeys(pool, registry, 'weather_daily', day, '2024-05-03');
    say(`Upstream:   weather/${hour} re-loaded with ${change === 'changed' ? "changed data (Seattle's reading broke: 2 rows instead of 3)" : 'the original data again'}`);
    say(`            stale now: ${stale.size ? [...stale].map(([k, why]) => `weather_daily/${k} (${why})`).join(', ') : 'nothing'}`);
    const t0 = Date.now();
    await waitUntil(async () => (await runOf()) !== before && (await staleKeys(pool, registry, 'weather_daily', day, '2024-05-03')).size === 0, 60_000);
    say(`            refreshed by automation in ${((Date.now() - t0) / 1000).toFixed(1)} s; npx datapulse status weather_daily --from 2024-05-01 --to 2024-05-03 shows it clean`);
  }
  return 0;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function backfill(client: Client, config: Config, r: (typeof RANGES)[number]): Promise<number> {
  const def = registry.get(r.pipeline);
  const { handle, attached } = await startOrAttachBackfill(client, config, def, { from: r.from, to: r.to, mode: 'missing', concurrency: r.concurrency });
  say();
  say(`Backfill:   ${r.pipeline} [${r.from}, ${r.to}) ${attached ? '(attached)' : ''} ${workflowUiUrl(config, handle.workflowId)}`);
  const summary = await follow(client, config, handle.workflowId);
  return summary?.failed ?? 1;
}
