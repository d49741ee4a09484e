/**
 * `npm run bench:bulk [-- --rows 100000,1000000] [--rounds 3] [--write] [--label after] [--partition-index btree|brin]`
 *
 * Generates one CSV file per size with the `city_weather` columns (one daily partition each), then,
 * alternating in the same run, loads each file (a) with PostgreSQL's own `COPY ... FROM STDIN` (via
 * pg-copy-streams) into a table of the same shape (same column types, same primary key) and (b)
 * through DataPulse: a real partition workflow on a fresh Temporal dev server, run by a real worker
 * in its own process. Prints, per size: the median seconds of each, the ratio of DataPulse's rate to
 * COPY's, per-step times (from the workflow history), the worker's idle and peak resident memory
 * (from /proc), and the bytes the partition leaves in the DataPulse schema against the target
 * table's own size. Each round is a first load on both sides (COPY's table is created anew, the
 * DataPulse target dropped before the run); one more DataPulse run into the loaded table is
 * reported apart as the re-load (replacing the partition's rows). Every measured load starts right
 * after a CHECKPOINT. `--write` appends the figures to docs/benchmarks.md.
 * A benchmark, not a test: nothing here asserts a timing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client, Connection } from '@temporalio/client';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig, REPO_ROOT, type Config } from '../infra/config';
import { createPool, migrate, type Pool } from '../infra/db';
import { freePort, resolveDatabase, startDevServer } from '../infra/dev-stack';
import { startPartition } from '../ops/partition-runs';
import { benchBulkLarge, benchBulkSmall } from './bench/bulk-pipelines';

const PARTITION = '2012-01-01';
// Read by scripts/bench/bulk-pipelines.ts, in this process and the worker's.
if (process.argv.includes('--partition-index')) process.env.DATAPULSE_BENCH_PARTITION_INDEX = arg('partition-index', '');
const WEATHER = ['drizzle', 'rain', 'sun', 'snow', 'fog'];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

/** Writes `rows` rows of city_weather columns, all in one day, one station per row (unique keys). */
async function generate(file: string, rows: number): Promise<number> {
  const out = createWriteStream(file);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write('location,date,precipitation,temp_max,temp_min,wind,weather\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const tmax = ((i * 37) % 400) / 10 - 5; // -5.0 .. 34.9
    const tmin = tmax - ((i * 13) % 100) / 10;
    buf += `station-${String(i).padStart(7, '0')},${PARTITION},${((i * 7) % 300) / 10},${tmax.toFixed(1)},${tmin.toFixed(1)},${((i * 11) % 90) / 10},${WEATHER[i % 5]}\n`;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return statSync(file).size;
}

/** Resident memory of a process in bytes (Linux /proc), 0 when gone. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every 50 ms; `peak()` returns the peak since the last `reset()`. */
function rssSampler(pid: number) {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
  return { reset: () => (peak = rssOf(pid)), peak: () => Math.max(peak, rssOf(pid)), stop: () => clearInterval(timer) };
}

async function rawCopy(pool: Pool, table: string, file: string): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(
      `CREATE TABLE ${table} (location text NOT NULL, date date NOT NULL, precipitation double precision, temp_max double precision,
         temp_min double precision, wind double precision, weather text, PRIMARY KEY (location, date))`,
    );
    const t0 = performance.now();
    await pipeline(createReadStream(file), client.query(copyFrom(`COPY ${table} FROM STDIN (FORMAT csv, HEADER true)`)));
    return (performance.now() - t0) / 1000;
  } finally {
    client.release();
  }
}

/** Seconds each activity ran (started → completed), from the partition workflow's history. */
async function stepSeconds(client: Client, workflowId: string): Promise<Record<string, number>> {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  const typeByScheduled = new Map<string, string>();
  const startedAt = new Map<string, number>();
  const out: Record<string, number> = {};
  const ms = (t: unknown) => {
    const ts = t as { seconds?: { toNumber?: () => number } | number; nanos?: number } | null | undefined;
    const s = typeof ts?.seconds === 'number' ? ts.seconds : (ts?.seconds?.toNumber?.() ?? 0);
    return s * 1000 + (ts?.nanos ?? 0) / 1e6;
  };
  for (const e of h.events ?? []) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) typeByScheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    if (e.activityTaskStartedEventAttributes) startedAt.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), ms(e.eventTime));
    if (e.activityTaskCompletedEventAttributes) {
      const sid = String(e.activityTaskCompletedEventAttributes.scheduledEventId);
      const name = typeByScheduled.get(sid) ?? '?';
      out[name] = Math.round(((ms(e.eventTime) - (startedAt.get(sid) ?? ms(e.eventTime))) / 1000) * 100) / 100;
    }
  }
  return out;
}

async function schemaBytes(pool: Pool, schema: string, exclude: readonly string[]): Promise<{ total: number; byTable: Record<string, number> }> {
  const r = await pool.query<{ relname: string; bytes: string }>(
    `SELECT c.relname, pg_total_relation_size(c.oid)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'm', 'p') ORDER BY 2 DESC`,
    [schema],
  );
  const byTable: Record<string, number> = {};
  let total = 0;
  for (const row of r.rows) {
    if (exclude.includes(row.relname)) continue;
    byTable[row.relname] = Number(row.bytes);
    total += Number(row.bytes);
  }
  return { total, byTable };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const mib = (b: number) => Math.round(b / 2 ** 20);

async function waitForWorker(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('worker started')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code}: ${out.slice(-2000)}`)));
  });
}

async function main(): Promise<void> {
  const sizes = arg('rows', '100000,1000000').split(',').map(Number);
  const rounds = Number(arg('rounds', '3'));
  const label = `${arg('label', 'current')}${process.env.DATAPULSE_BENCH_PARTITION_INDEX ? `, dp_partition ${process.env.DATAPULSE_BENCH_PARTITION_INDEX}` : ''}`;
  const write = process.argv.includes('--write');
  const server = await startDevServer({ port: await freePort(), headless: true });
  const db = await resolveDatabase({ allowEmbedded: true });
  const schema = `dp_bench_bulk_${process.pid}`;
  const landing = mkdtempSync(path.join(os.tmpdir(), 'dp-bench-bulk-'));
  const config: Config = { ...loadConfig({}), schema, temporalAddress: server.address, taskQueue: `bench-bulk-${process.pid}`, landingDir: landing, metricsPort: 0 };
  const pool = createPool({ connectionString: db.url, schema, max: 4 });
  await migrate(pool, schema);
  const defs = [benchBulkSmall, benchBulkLarge];
  const files: { rows: number; def: (typeof defs)[number]; file: string; bytes: number }[] = [];
  for (const [i, rows] of sizes.entries()) {
    const def = defs[Math.min(i, defs.length - 1)]!;
    mkdirSync(path.join(landing, def.name), { recursive: true });
    const file = path.join(landing, def.name, `${PARTITION}.csv`);
    process.stderr.write(`bench:bulk generating ${rows.toLocaleString('en')} rows → ${file}\n`);
    files.push({ rows, def, file, bytes: await generate(file, rows) });
  }
  const worker = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'bench', 'bulk-worker.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      DATAPULSE_SCHEMA: schema,
      TEMPORAL_ADDRESS: server.address,
      DATAPULSE_TASK_QUEUE: config.taskQueue,
      LANDING_DIR: landing,
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const results: Record<string, unknown>[] = [];
  try {
    await waitForWorker(worker);
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = rssOf(worker.pid!);
    const sampler = rssSampler(worker.pid!);
    let peak = 0;
    /** One partition run through the worker: seconds, step seconds, and the RSS peak recorded. */
    const runPartition = async (pipeline: string, rows: number) => {
      sampler.reset();
      const t0 = performance.now();
      const handle = await startPartition(client, config, { pipeline, partition: PARTITION });
      const summary = await handle.result();
      const seconds = (performance.now() - t0) / 1000;
      peak = Math.max(peak, sampler.peak());
      if (summary.rowsLoaded !== rows) throw new Error(`loaded ${summary.rowsLoaded} of ${rows} rows`);
      return { seconds, steps: await stepSeconds(client, handle.workflowId) };
    };
    // Each measured load starts from a checkpoint, so that neither side pays for writing out the
    // other's dirty pages, or for a checkpoint the other's WAL started (needs superuser or pg_checkpoint).
    const settle = () => pool.query('CHECKPOINT').catch(() => undefined);
    for (const f of files) {
      const copySecs: number[] = [];
      const dpSecs: number[] = [];
      let steps: Record<string, number> = {};
      peak = 0;
      for (let r = 0; r < rounds; r++) {
        await settle();
        const c = await rawCopy(pool, `bench_copy_${f.def.name}`, f.file);
        copySecs.push(c);
        process.stderr.write(`  ${f.rows.toLocaleString('en')} rows round ${r + 1}: COPY ${c.toFixed(2)} s\n`);
        // Like COPY's table, the target starts empty: both sides measure a first load.
        await pool.query(`DROP TABLE IF EXISTS ${f.def.target.table}`);
        await settle();
        const run = await runPartition(f.def.name, f.rows);
        dpSecs.push(run.seconds);
        steps = run.steps;
        process.stderr.write(`  ${f.rows.toLocaleString('en')} rows round ${r + 1}: DataPulse ${run.seconds.toFixed(2)} s ${JSON.stringify(steps)}\n`);
      }
      // Then once more into the loaded table: a re-load replaces the partition's rows (DELETE + INSERT).
      await settle();
      const reload = await runPartition(f.def.name, f.rows);
      process.stderr.write(`  ${f.rows.toLocaleString('en')} rows re-load: DataPulse ${reload.seconds.toFixed(2)} s ${JSON.stringify(reload.steps)}\n`);
      await pool.query(`DROP TABLE IF EXISTS bench_copy_${f.def.name}`);
      const bytes = await schemaBytes(pool, schema, []);
      const targetBytes = bytes.byTable[f.def.target.table] ?? 0;
      const copyMedian = median(copySecs);
      const dpMedian = median(dpSecs);
      results.push({
        rows: f.rows,
        fileMiB: Math.round((f.bytes / 2 ** 20) * 10) / 10,
        copySeconds: Math.round(copyMedian * 100) / 100,
        dataPulseSeconds: Math.round(dpMedian * 100) / 100,
        reloadSeconds: Math.round(reload.seconds * 100) / 100,
        reloadSteps: reload.steps,
        ratio: Math.round((copyMedian / dpMedian) * 1000) / 1000,
        // Per round: the first includes the catalog's scan of the new file; later rounds find it catalogued.
        roundRatios: copySecs.map((c, i) => Math.round((c / dpSecs[i]!) * 1000) / 1000),
        rowsPerSecond: Math.round(f.rows / dpMedian),
        steps,
        idleRssMiB: mib(idleRss),
        peakRssMiB: mib(peak),
        schemaMiB: Math.round((bytes.total / 2 ** 20) * 10) / 10,
        targetMiB: Math.round((targetBytes / 2 ** 20) * 10) / 10,
        schemaOverTarget: targetBytes ? Math.round((bytes.total / targetBytes) * 100) / 100 : null,
        largestTables: Object.fromEntries(Object.entries(bytes.byTable).slice(0, 5).map(([k, v]) => [k, mib(v)])),
      });
      process.stdout.write(`${JSON.stringify(results.at(-1))}\n`);
      // Measure the next size on its own: drop this size's target and intermediates.
      await pool.query(`DROP TABLE IF EXISTS ${f.def.target.table}`);
      for (const t of ['quarantine']) {
        await pool.query(`DELETE FROM ${t} WHERE pipeline = $1`, [f.def.name]).catch(() => undefined);
      }
    }
    sampler.stop();
    if (write) {
      const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
      const lines = [
        '',
        `### bench:bulk — ${label}, ${new Date().toISOString().slice(0, 16)} UTC (${os.cpus().length}× ${cpu}, Node ${process.version}, ${rounds} rounds, medians)`,
        '',
        '| rows | file | COPY | DataPulse | ratio (DataPulse rate / COPY rate) | ingest / validate / transform / load | re-load | worker RSS idle → peak | schema after / target table |',
        '| ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |',
        ...results.map((r) => {
          const s = r.steps as Record<string, number>;
          return `| ${(r.rows as number).toLocaleString('en')} | ${r.fileMiB} MiB | ${r.copySeconds} s | ${r.dataPulseSeconds} s | **${r.ratio}×** | ${s.ingest ?? '?'} / ${s.validate ?? '?'} / ${s.transform ?? '?'} / ${s.load ?? '?'} s | ${r.reloadSeconds} s | ${r.idleRssMiB} → ${r.peakRssMiB} MiB | ${r.schemaMiB} / ${r.targetMiB} MiB (${r.schemaOverTarget}×) |`;
        }),
        '',
      ];
      appendFileSync(path.join(REPO_ROOT, 'docs', 'benchmarks.md'), lines.join('\n'));
    }
  } finally {
    worker.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    worker.kill('SIGKILL');
    await connection.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
    await server.stop();
    await db.stop();
    rmSync(landing, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:bulk failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
