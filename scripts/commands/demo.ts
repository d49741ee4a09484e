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
    for (const r of rows) say(`  ${r.pipeline.padEnd(14)} ${r.status.padEnd(10)} ${String(r.partitions).padStart(5)} partitions, ${r.rows_in} rows in, ${r.loaded} loaded, ${r.quarantined} quarantined`);
    say();
    say(`Console:                    ${console_.url}  (maps: ${console_.url}pipelines/weather, dashboards: ${console_.url}dashboards/weather-hourly)`);
    say(`Temporal UI (weather runs): ${workflowsQueryUiUrl(stack.config, 'DataPulsePipeline="weather"')}`);
    say(`Temporal UI (CSV runs):     ${workflowsQueryUiUrl(stack.config, 'DataPulsePipeline="city_weather"')}`);
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

async function backfill(client: Client, config: Config, r: (typeof RANGES)[number]): Promise<number> {
  const def = registry.get(r.pipeline);
  const { handle, attached } = await startOrAttachBackfill(client, config, def, { from: r.from, to: r.to, mode: 'missing', concurrency: r.concurrency });
  say();
  say(`Backfill:   ${r.pipeline} [${r.from}, ${r.to}) ${attached ? '(attached)' : ''} ${workflowUiUrl(config, handle.workflowId)}`);
  const summary = await follow(client, config, handle.workflowId);
  return summary?.failed ?? 1;
}
