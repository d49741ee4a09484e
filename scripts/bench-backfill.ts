/**
 * `npm run bench:backfill -- --n 1000 [--concurrency 32] [--write]`: backfills N hourly partitions
 * of a tiny pipeline (one row per partition from the offline fixture API) on a fresh dev server
 * and schema, and reports partitions per second, Temporal round trips per partition and the
 * worker's peak memory. `--write` appends the figures to docs/benchmarks.md.
 * A benchmark, not a test: nothing here asserts a timing.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { type z } from 'zod';
import { startOrAttachBackfill } from '../ops/backfill-client';
import { loadConfig, REPO_ROOT, type Config } from '../infra/config';
import { createPool, migrate } from '../infra/db';
import { freePort, resolveDatabase, startDevServer } from '../infra/dev-stack';
import { startWeatherApi } from '../infra/fixtures/weather-api';
import { createLogger } from '../infra/logger';
import { keyAt } from '../core/partition';
import { definePipeline, hourly } from '../core/pipeline';
import { createRegistry } from '../core/registry';
import { installTemporalRuntime } from '../infra/temporal-runtime';
import { weather } from '../pipelines/weather';
import { createDataPulseWorker } from '../workers/worker';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

/** The weather pipeline cut down to one location: the smallest real source there is. */
const benchTiny = definePipeline({
  ...weather,
  name: 'bench_tiny',
  description: 'weather for one location (benchmark)',
  partitioning: hourly('2000-01-01T00'),
  params: { locations: [{ id: 'bench', latitude: 10, longitude: 10 }] },
  schema: weather.schema as z.ZodType<Record<string, unknown>>,
  transform: weather.transform as (row: Record<string, unknown>) => Record<string, unknown>,
  target: { ...weather.target, table: 'bench_tiny_observations' },
});

async function main(): Promise<void> {
  const n = Number(arg('n', '1000'));
  const concurrency = Number(arg('concurrency', '32'));
  const from = arg('from', '2010-01-01T00');
  const write = process.argv.includes('--write');
  const execution = process.argv.includes('--local-activities') ? ('local-activities' as const) : ('activities' as const);
  const to = keyAt('hourly', from, n);
  const logger = createLogger('error');
  installTemporalRuntime(logger);

  const server = await startDevServer({ port: await freePort(), headless: true });
  const db = await resolveDatabase({ allowEmbedded: true });
  const schema = `dp_bench_${process.pid}`;
  const api = await startWeatherApi({ port: 0 });
  const config: Config = { ...loadConfig({}), schema, temporalAddress: server.address, taskQueue: `bench-${process.pid}`, metricsPort: 0 };
  const pool = createPool({ connectionString: db.url, schema, max: 20 });
  await migrate(pool, schema);
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const registry = createRegistry([benchTiny]);
  const worker = await createDataPulseWorker({ connection: native, config, pool, registry, logger, client, env: { WEATHER_API_URL: api.url } });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
  const running = worker.run();
  try {
    process.stderr.write(`bench: ${n} partitions [${from}, ${to}), concurrency ${concurrency}, ${execution}, on ${os.cpus().length} cores\n`);
    const t0 = Date.now();
    const { handle } = await startOrAttachBackfill(client, config, registry.get('bench_tiny'), { from, to, mode: 'force', concurrency, execution });
    const progress = setInterval(async () => {
      const p = await client.workflow.getHandle(handle.workflowId).query<{ done: number; failed: number; rate: number }>('progress').catch(() => undefined);
      if (p) {
        const eta = p.rate > 0 ? Math.round((n - p.done - p.failed) / p.rate) : -1;
        process.stderr.write(`  ${p.done + p.failed}/${n} (${p.rate}/s, ETA ${eta}s)\n`);
      }
    }, 5000);
    const summary = await handle.result();
    clearInterval(progress);
    const secs = (Date.now() - t0) / 1000;
    // Round trips per partition: workflow tasks + activity tasks in a sample of child histories, plus the parent's share.
    const sample = Math.min(20, n);
    let childTasks = 0;
    for (let i = 0; i < sample; i++) {
      const h = await client.workflow.getHandle(`bench_tiny/${keyAt('hourly', from, Math.floor((i * n) / sample))}`).fetchHistory();
      childTasks += (h.events ?? []).filter((e) => e.workflowTaskScheduledEventAttributes || e.activityTaskScheduledEventAttributes).length;
    }
    let parentTasks = 0;
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) {
      const h = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      parentTasks += (h.events ?? []).filter((e) => e.workflowTaskScheduledEventAttributes || e.activityTaskScheduledEventAttributes).length;
    }
    const roundTrips = childTasks / sample + parentTasks / n;
    const line = {
      n,
      concurrency,
      execution,
      seconds: Math.round(secs * 10) / 10,
      perSecond: Math.round((n / secs) * 10) / 10,
      roundTripsPerPartition: Math.round(roundTrips * 10) / 10,
      peakRssMiB: Math.round(peakRss / 1024 / 1024),
      failed: summary.failed,
      parentRuns: summary.runs,
      yearOfHoursMinutes: Math.round((8760 / (n / secs) / 60) * 10) / 10,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (write) {
      const file = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
      if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n\nWritten by `npm run bench:backfill -- --n N --write`.\n\n');
      const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
      appendFileSync(
        file,
        `| ${new Date().toISOString().slice(0, 16)} | ${n} | ${execution} | ${concurrency} | ${line.seconds} s | **${line.perSecond}/s** | ${line.roundTripsPerPartition} | ${line.peakRssMiB} MiB | ${line.failed} | ${os.cpus().length}× ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version} |\n`,
      );
    }
  } finally {
    clearInterval(sampler);
    worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await native.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
    await api.close();
    await server.stop();
    await db.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
