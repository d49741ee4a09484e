import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { connectClient } from '../../infra/temporal-client';
import { filePipelines, startSensors } from '../../ops/sensors';
import { registry } from '../../pipelines';
import { formatSensorStarts } from './sensor';
import { workflowsQueryUiUrl } from '../../infra/config';
import { startWeatherApi, type WeatherApiServer } from '../../infra/fixtures/weather-api';
import { say, startLocalStack, untilSignal } from './stack';
import { startConsole, type RunningConsole } from './ui';

export async function devCommand(opts: { worker: boolean }): Promise<void> {
  let api: WeatherApiServer | undefined;
  if (opts.worker && !process.env.WEATHER_API_URL) {
    // Offline by default: the in-process worker reads the fixture. Set WEATHER_API_URL for a real API.
    api = await startWeatherApi({ port: 0 });
    process.env.WEATHER_API_URL = api.url;
  }
  const stack = await startLocalStack({ worker: opts.worker });
  let console_: RunningConsole | undefined;
  try {
    // Local and loopback: actions on unless DATAPULSE_UI_ACTIONS=0.
    console_ = await startConsole({ pool: stack.pool, config: stack.config }, { actions: process.env.DATAPULSE_UI_ACTIONS !== '0', fallbackPort: true });
    say(`Weather API: ${api ? `offline fixture at ${api.url} (set WEATHER_API_URL to use a real one)` : (process.env.WEATHER_API_URL ?? '(worker not started here)')}`);
    say();
    say(`Console:     ${console_.url}`);
    if (opts.worker) {
      // Sensors: files dropped in a file pipeline's landing folder load within its interval, no command typed.
      for (const def of filePipelines(registry)) mkdirSync(path.join(stack.config.landingDir, def.name), { recursive: true });
      const client = await connectClient(stack.config);
      try {
        for (const line of formatSensorStarts(await startSensors(client, stack.config, registry), stack.config)) say(`Sensor:      ${line}`);
      } finally {
        await client.connection.close();
      }
      say(`Landing:     drop files in ${stack.config.landingDir}/<pipeline>/ (${filePipelines(registry).map((d) => d.name).join(', ')})`);
    }
    say(`Temporal UI: ${workflowsQueryUiUrl(stack.config, 'DataPulsePipeline="weather"')}`);
    say(`Try:         npx datapulse run weather ${new Date(Date.now() - 7_200_000).toISOString().slice(0, 13)}`);
    say('             npx datapulse backfill weather --from 2024-01-01T00 --to 2024-01-08T00');
    say('             npx datapulse schedule apply && npx datapulse status weather');
    say('Ctrl-C stops the stack.');
    await Promise.race([untilSignal(), stack.workerDone]);
    say('stopping...');
  } finally {
    await console_?.close();
    await stack.stop();
    await api?.close();
  }
}
