/**
 * `npm run bench:files [-- --days 3650] [--stations 10] [--sample 20] [--write]`
 * `npm run bench:files -- --demo-year [--concurrency 8] [--execution activities|local-activities] [--sqlite] [--profile] [--write]`:
 * the demo's `city_weather` year backfill (see demoYear); `--sqlite` keeps Temporal's state in a file as the demo does; `--profile` adds PostgreSQL time per statement and
 * Temporal round trips per partition (scripts/bench/partition-profile.ts).
 *
 * How ingest's cost grows with landing files. Two layouts of the same rows (`stations` rows per day
 * over `days` days from 2010-01-01): **10 yearly files** (one per 365 days) and **1 file** of all
 * the days. For each, on a fresh PostgreSQL schema, it calls the real `ingest` activity (no Temporal:
 * the step being measured is the one that reads files) for **every** daily partition in order, and
 * reports the wall time, partitions/s, the rows parsed in total (catalog scans + reads) against the
 * rows ingested, and the time of the first partition (which builds the catalog).
 *
 * For comparison it times the pre-catalog way — every partition parses every file of the folder
 * (`readCsvFiles` over the whole folder) — on `sample` partitions spread over the range, and
 * extrapolates to all of them (running it for all 3,650 would take hours: that is the point).
 * `--write` appends the figures to docs/benchmarks.md. A benchmark, not a test: nothing asserts a timing.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createPartitionActivities } from '../activities/partition-activities';
import { intermediateTable } from '../activities/intermediates';
import { readCsvFiles } from '../activities/sources/csv-files';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startOrAttachBackfill } from '../ops/backfill-client';
import { loadConfig, REPO_ROOT, type Config } from '../infra/config';
import { createPool, migrate } from '../infra/db';
import { freePort, resolveDatabase, startDevServer } from '../infra/dev-stack';
import { installTemporalRuntime } from '../infra/temporal-runtime';
import { cityWeather } from '../pipelines/city-weather';
import { createDataPulseWorker } from '../workers/worker';
import { fillCityWeatherLanding } from './commands/landing';
import { createLogger } from '../infra/logger';
import { keyAt, partitionWindow } from '../core/partition';
import { daily, definePipeline } from '../core/pipeline';
import { createRegistry } from '../core/registry';
import { backendCpuSeconds, installSqlProfile, processCpuSeconds, profileHistories } from './bench/partition-profile';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

const START = '2010-01-01';

function benchDef(name: string) {
  return definePipeline({
    name,
    description: 'bench:files readings',
    version: 1,
    partitioning: daily(START),
    params: {},
    source: { kind: 'csv-files', timeColumn: 'day', requiredColumns: ['station', 'day', 'value'] },
    schema: z.object({ station: z.string(), day: z.string(), value: z.string() }),
    transform: (r) => r,
    target: { table: `${name}_t`, columns: { station: 'text', day: 'date', value: 'numeric' }, key: ['station', 'day'] },
  });
}

/** Writes the layout's files; returns the number of rows. */
function writeLayout(folder: string, days: number, stations: number, daysPerFile: number): number {
  mkdirSync(folder, { recursive: true });
  let rows = 0;
  for (let first = 0; first < days; first += daysPerFile) {
    const lines = ['station,day,value'];
    for (let d = first; d < Math.min(days, first + daysPerFile); d++) {
      const day = keyAt('daily', START, d);
      for (let s = 0; s < stations; s++) lines.push(`st${s},${day},${(d * 7 + s) % 1000}.${s}`);
      rows += stations;
    }
    writeFileSync(path.join(folder, `part-${String(first).padStart(5, '0')}.csv`), lines.join('\n') + '\n');
  }
  return rows;
}

/**
 * The demo's year: `city_weather`'s 366 daily partitions of 2012 over its 4 yearly CSV drops (cut
 * from vega-datasets' weather.csv), backfilled as `npm run demo` does (`--concurrency`, default 8 as in the demo), with a real
 * Temporal dev server and an in-process worker. Returns partitions per second.
 */
async function demoYear(
  concurrency: number,
  opts: { execution?: 'activities' | 'local-activities'; profile?: boolean; sqlite?: boolean } = {},
): Promise<{
  seconds: number;
  perSecond: number;
  failed: number;
  concurrency: number;
  execution: string;
  temporalStore: string;
  cpuMsPerPartition: { worker: number; temporal: number; postgres: number };
  profile?: unknown;
}> {
  const logger = createLogger('error');
  installTemporalRuntime(logger);
  const landing = mkdtempSync(path.join(os.tmpdir(), 'dp-bench-demo-'));
  // `--sqlite`: the dev server keeps its state in a SQLite file, as `npm run demo` does (.data/temporal.sqlite).
  const server = await startDevServer({ port: await freePort(), headless: true, ...(opts.sqlite ? { dbFile: path.join(landing, 'temporal.sqlite') } : {}) });
  const db = await resolveDatabase({ allowEmbedded: true });
  const schema = `dp_bench_demo_${process.pid}`;
  const config: Config = { ...loadConfig({}), schema, temporalAddress: server.address, taskQueue: `bench-demo-${process.pid}`, landingDir: landing, metricsPort: 0 };
  const pool = createPool({ connectionString: db.url, schema, max: 20, applicationName: `dp-bench-demo-${process.pid}` });
  await migrate(pool, schema);
  fillCityWeatherLanding(landing);
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const registry = createRegistry([cityWeather]);
  const worker = await createDataPulseWorker({ connection: native, config, pool, registry, logger, client });
  const running = worker.run();
  const sql = opts.profile ? installSqlProfile() : undefined;
  try {
    const cpu0 = { node: process.cpuUsage(), temporal: processCpuSeconds(server.process.pid), pg: await backendCpuSeconds(pool) };
    const t0 = performance.now();
    const { handle } = await startOrAttachBackfill(client, config, cityWeather, { from: '2012-01-01', to: '2013-01-01', mode: 'force', concurrency, ...(opts.execution ? { execution: opts.execution } : {}) });
    const summary = await handle.result();
    const seconds = (performance.now() - t0) / 1000;
    const nodeCpu = process.cpuUsage(cpu0.node);
    // CPU milliseconds per partition in each process: what the partitions cost, whatever else shares the machine.
    const cpuMs = (s: number) => Math.round((s * 1000) / 366);
    const cpuMsPerPartition = {
      worker: cpuMs((nodeCpu.user + nodeCpu.system) / 1e6),
      temporal: cpuMs(processCpuSeconds(server.process.pid) - cpu0.temporal),
      postgres: cpuMs((await backendCpuSeconds(pool)) - cpu0.pg),
    };
    const execution = opts.execution ?? cityWeather.execution ?? 'activities';
    const r = { seconds: Math.round(seconds * 10) / 10, perSecond: Math.round((366 / seconds) * 10) / 10, failed: summary.failed, concurrency, execution, temporalStore: opts.sqlite ? 'sqlite file' : 'memory', cpuMsPerPartition };
    if (!sql) return r;
    sql.uninstall();
    const totals = sql.totals();
    const ids = Array.from({ length: 20 }, (_, i) => `city_weather/${keyAt('daily', '2012-01-01', Math.floor((i * 366) / 20))}`);
    const histories = await profileHistories(client, ids);
    const perPartition = (x: number) => Math.round((x / 366) * 10) / 10;
    return {
      ...r,
      profile: {
        sqlStatementsPerPartition: perPartition(totals.count),
        sqlMsPerPartition: perPartition(totals.ms),
        topStatements: sql.report().slice(0, 25).map((s) => ({ ...s, perPartition: perPartition(s.count) })),
        histories,
      },
    };
  } finally {
    sql?.uninstall();
    worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await native.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
    await server.stop();
    await db.stop();
    rmSync(landing, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--demo-year')) {
    const execution = arg('execution', '') as '' | 'activities' | 'local-activities';
    const r = await demoYear(Number(arg('concurrency', '8')), { ...(execution ? { execution } : {}), profile: process.argv.includes('--profile'), sqlite: process.argv.includes('--sqlite') });
    process.stdout.write(`${JSON.stringify({ demoYear: r }, null, process.argv.includes('--profile') ? 1 : 0)}\n`);
    if (process.argv.includes('--write')) {
      const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
      appendFileSync(
        path.join(REPO_ROOT, 'docs', 'benchmarks.md'),
        `\n### bench:files --demo-year — ${new Date().toISOString().slice(0, 16)} UTC (${os.cpus().length}× ${cpu}, Node ${process.version})\n\n` +
          `The demo's \`city_weather\` year (366 daily partitions, 4 yearly CSV drops, concurrency ${r.concurrency}, ${r.execution}, Temporal state in ${r.temporalStore}): **${r.perSecond} partitions/s** ` +
          `(${r.seconds} s, ${r.failed} failed; CPU ms per partition: worker ${r.cpuMsPerPartition.worker}, Temporal ${r.cpuMsPerPartition.temporal}, PostgreSQL ${r.cpuMsPerPartition.postgres}; ` +
          `load average ${os.loadavg()[0]!.toFixed(1)}); before the catalog: 2 partitions/s on the same kind of machine (issue 15's measurement).\n`,
      );
    }
    return;
  }
  const days = Number(arg('days', '3650'));
  const stations = Number(arg('stations', '10'));
  const sample = Number(arg('sample', '20'));
  const write = process.argv.includes('--write');
  const db = await resolveDatabase({ allowEmbedded: true });
  const schema = `dp_bench_files_${process.pid}`;
  const landing = mkdtempSync(path.join(os.tmpdir(), 'dp-bench-files-'));
  const pool = createPool({ connectionString: db.url, schema, max: 4 });
  const results: Record<string, string | number>[] = [];
  try {
    await migrate(pool, schema);
    const layouts = [
      { label: `10 yearly files × 365 days`, name: 'bench_files_yearly', daysPerFile: 365 },
      { label: `1 file of ${days} days`, name: 'bench_files_single', daysPerFile: days },
    ];
    const defs = layouts.map((l) => benchDef(l.name));
    const registry = createRegistry(defs);
    const config = { ...loadConfig({}), schema, landingDir: landing };
    const acts = createPartitionActivities({ pool, registry, config, logger: createLogger('warn') });
    for (const [i, l] of layouts.entries()) {
      const def = defs[i]!;
      const folder = path.join(landing, def.name);
      const rows = writeLayout(folder, days, stations, l.daysPerFile);
      process.stderr.write(`bench:files ${l.label}: ${rows.toLocaleString('en')} rows in ${Math.ceil(days / l.daysPerFile)} file(s)\n`);
      // With the catalog: every partition, in order.
      let ingested = 0;
      let firstMs = 0;
      const t0 = performance.now();
      for (let d = 0; d < days; d++) {
        const key = keyAt('daily', START, d);
        const t = performance.now();
        const r = await acts.ingest({ pipeline: def.name, partition: key });
        if (d === 0) firstMs = performance.now() - t;
        ingested += r.rowsIn;
        await pool.query(`DROP TABLE IF EXISTS ${intermediateTable('raw', def.name, key)}`);
        if (d % 500 === 0) process.stderr.write(`  ${d}/${days} partitions, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      }
      const secs = (performance.now() - t0) / 1000;
      if (ingested !== rows) throw new Error(`ingested ${ingested} of ${rows} rows`);
      const { rows: cat } = await pool.query<{ parsed: number }>('SELECT coalesce(sum(row_count), 0)::int AS parsed FROM file_catalog WHERE pipeline = $1', [def.name]);
      // Rows parsed: the catalog scan of each file once, plus each partition reading its files (a
      // sorted file stops right after the window; counted here as the rows up to the window's end).
      const scanned = cat[0]?.parsed ?? 0;
      // Without the catalog: a sample of partitions, each parsing every file of the folder.
      const every = Math.max(1, Math.floor(days / sample));
      let oldMs = 0;
      let oldRowsParsed = 0;
      let n = 0;
      for (let d = 0; d < days && n < sample; d += every, n++) {
        const w = partitionWindow('daily', keyAt('daily', START, d));
        const t = performance.now();
        let kept = 0;
        for await (const r of readCsvFiles(def.source as never, w, { folder, heartbeat: () => undefined, onUnplaced: () => undefined })) if (r) kept++;
        oldMs += performance.now() - t;
        oldRowsParsed += rows;
        if (kept !== stations) throw new Error(`old path kept ${kept} rows for ${w.key}`);
      }
      const oldPerPartitionMs = oldMs / n;
      const oldSecs = (oldPerPartitionMs * days) / 1000;
      results.push({
        layout: l.label,
        rows,
        partitions: days,
        seconds: Math.round(secs * 10) / 10,
        partitionsPerSecond: Math.round((days / secs) * 10) / 10,
        firstPartitionMs: Math.round(firstMs),
        rowsScannedOnce: scanned,
        oldPerPartitionMs: Math.round(oldPerPartitionMs * 10) / 10,
        oldSecondsExtrapolated: Math.round(oldSecs),
        oldRowsParsed: (oldRowsParsed / n) * days,
        speedup: Math.round((oldSecs / secs) * 10) / 10,
      });
      process.stdout.write(`${JSON.stringify(results.at(-1))}\n`);
    }
    if (write) {
      const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
      const lines = [
        '',
        `### bench:files — ${new Date().toISOString().slice(0, 16)} UTC (${os.cpus().length}× ${cpu}, Node ${process.version}; ${stations} rows per day)`,
        '',
        '| layout | rows | partitions | ingest, all partitions (catalog) | partitions/s | first partition (builds the catalog) | rows parsed (catalog) | before: every partition parses every file (sampled, extrapolated) | rows parsed before | speed-up |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...results.map(
          (r) =>
            `| ${r.layout} | ${Number(r.rows).toLocaleString('en')} | ${Number(r.partitions).toLocaleString('en')} | ${r.seconds} s | **${r.partitionsPerSecond}/s** | ${r.firstPartitionMs} ms | ${Number(r.rowsScannedOnce).toLocaleString('en')} once + the window's rows per partition | ${r.oldPerPartitionMs} ms × ${Number(r.partitions).toLocaleString('en')} ≈ ${r.oldSecondsExtrapolated} s | ${Number(r.oldRowsParsed).toLocaleString('en')} | **${r.speedup}×** |`,
        ),
        '',
      ];
      appendFileSync(path.join(REPO_ROOT, 'docs', 'benchmarks.md'), lines.join('\n'));
    }
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
    await db.stop();
    rmSync(landing, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:files failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
