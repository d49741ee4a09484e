/**
 * `npm run bench:ui`: how fast the console's partition map renders 100,000 partitions in headless
 * Chromium. Seeds a ledger of 100,000 hourly `weather` partitions (schema dp_bench_ui) in two
 * shapes — realistic (long runs, scattered failures, a stale block, gaps: a few hundred runs) and
 * worst case (the state changes at every partition: 100,000 runs) — serves the console on it and
 * measures, per shape, cold (the ledger changed just before each load, so the console computes the
 * map) and warm (served from the console's map cache: nothing changed since the last load), the
 * median of 5 page loads of:
 *   - query: the map's JSON from the server (gaps-and-islands SQL + fill), ms;
 *   - page HTML received: navigation start → the page (with the runs inline) fully received, ms;
 *   - drawing: the map script alone, from parsing the runs to handlers attached, ms;
 *   - ready: navigation start → map drawn with its handlers attached (`__mapReady.readyAt`,
 *     taken in the page), ms;
 *   - interactive: navigation start → the main thread runs its next task after ready, so an input
 *     event is handled (`__mapReady.interactiveAt`, taken in the page), ms; each load then hovers a
 *     cell and waits for its tooltip, so the handlers are proven to answer.
 * Prints a Markdown table for docs/benchmarks.md.
 */
import { performance } from 'node:perf_hooks';
import { buildConsole } from '../console/server';
import { loadConfig } from '../infra/config';
import { createPool, migrate } from '../infra/db';
import { resolveDatabase } from '../infra/dev-stack';
import { currentFingerprint } from '../infra/fingerprint';
import { registry } from '../pipelines';
import { dashboards } from '../pipelines/dashboards';
import { launchChromium } from './browser';

const N = 100_000;
const FROM = '2012-01-01T00';
const SCHEMA = 'dp_bench_ui';
const LOADS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const db = await resolveDatabase({ allowEmbedded: false });
  const pool = createPool({ connectionString: db.url, schema: SCHEMA, applicationName: 'datapulse-bench-ui' });
  const def = registry.get('weather');
  const fp = currentFingerprint(def);
  const to = new Date(Date.parse(`${FROM}:00:00Z`) + N * 3_600_000).toISOString().slice(0, 13);
  const shapes: Record<string, string> = {
    // i = hour index. Long runs: failures every 500 h, a stale block, 24 h gaps every 10,000 h, the last 3 running.
    realistic: `CASE WHEN i >= ${N - 3} THEN 'running' WHEN i % 500 = 250 THEN 'failed' WHEN i BETWEEN 40000 AND 44999 THEN 'stale' ELSE 'succeeded' END`,
    // Every partition differs from its neighbour: the most runs a map can have.
    'worst case': `(ARRAY['succeeded', 'failed', 'stale', 'running'])[1 + i % 4]`,
  };
  const out: string[] = [];
  const browser = await launchChromium();
  const version = browser.version();
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await migrate(pool, SCHEMA);
    for (const [shape, stateSql] of Object.entries(shapes)) {
      await pool.query('DELETE FROM ledger');
      await pool.query(
        `INSERT INTO ledger (pipeline, partition_key, status, params_hash, code_version, finished_at)
         SELECT 'weather', to_char(timestamp '2012-01-01' + i * interval '1 hour', 'YYYY-MM-DD"T"HH24'),
                CASE WHEN s = 'stale' THEN 'succeeded' ELSE s END, $1, CASE WHEN s = 'stale' THEN 'v0-old' ELSE $2 END, now()
           FROM (SELECT i, ${stateSql} AS s FROM generate_series(0, ${N - 1}) i) g
          WHERE NOT (${shape === 'realistic' ? 'i % 10000 BETWEEN 5000 AND 5023' : 'false'})`,
        [fp.paramsHash, fp.codeVersion],
      );
      await pool.query('ANALYZE ledger');
      const app = await buildConsole({ pool, registry, dashboards, config: loadConfig({}) });
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `${base}/pipelines/weather?from=${FROM}&to=${to}`;
      for (const cache of ['cold', 'warm'] as const) {
      const query: number[] = [];
      const ready: number[] = [];
      const interactive: number[] = [];
      const draw: number[] = [];
      const response: number[] = [];
      let runs = 0;
      for (let i = 0; i < LOADS + 1; i++) {
        // Cold: a ledger write of the pipeline (announced by its trigger) before each load, so the
        // console computes the map afresh; warm: nothing changed since the previous load.
        if (cache === 'cold') await pool.query(`UPDATE ledger SET updated_at = now() WHERE pipeline = 'weather' AND partition_key = $1`, [FROM]);
        const t0 = performance.now();
        const r = await fetch(`${base}/api/pipelines/weather/map?from=${FROM}&to=${to}`);
        const map = (await r.json()) as { total: number; runs: unknown[] };
        const q = performance.now() - t0;
        if (i > 0 && r.headers.get('x-datapulse-map-cache') !== (cache === 'cold' ? 'miss' : 'hit')) throw new Error(`expected a cache ${cache === 'cold' ? 'miss' : 'hit'}, got ${r.headers.get('x-datapulse-map-cache')}`);
        if (cache === 'cold') await pool.query(`UPDATE ledger SET updated_at = now() WHERE pipeline = 'weather' AND partition_key = $1`, [FROM]);
        if (map.total !== N) throw new Error(`map has ${map.total} partitions, expected ${N}`);
        runs = map.runs.length;
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(url);
        await page.waitForFunction(() => (globalThis as unknown as { __mapReady?: unknown }).__mapReady !== undefined);
        // Times taken inside the page (ms since navigation start), not when the automation saw them.
        await page.waitForFunction(() => (globalThis as unknown as { __mapReady: { interactiveAt: number | null } }).__mapReady.interactiveAt !== null);
        const readyMs = (await page.evaluate('__mapReady.readyAt')) as number;
        const interactiveAtMs = (await page.evaluate('__mapReady.interactiveAt')) as number;
        const drawMs = (await page.evaluate('__mapReady.drawMs')) as number;
        const responseMs = (await page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")) as number;
        const at = await page.evaluate(() => (globalThis as unknown as { __mapCellCenter(k: string): { x: number; y: number } }).__mapCellCenter('2012-01-01T13'));
        await page.mouse.move(at.x, at.y);
        await page.waitForFunction(() => ((globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }).document.getElementById('map-tip')?.textContent ?? '').startsWith('2012-01-01T13'));
        const interactiveMs = interactiveAtMs; // the hover above checks the handlers answer
        await page.close();
        if (i === 0) continue; // warm-up: first connection, JIT, PostgreSQL cache
        query.push(q);
        ready.push(readyMs);
        interactive.push(interactiveMs);
        draw.push(drawMs);
        response.push(responseMs);
      }
      out.push(`| ${shape} | ${cache} | ${N.toLocaleString('en')} | ${runs.toLocaleString('en')} | ${median(query).toFixed(0)} | ${median(response).toFixed(0)} | ${median(draw).toFixed(0)} | ${median(ready).toFixed(0)} | ${median(interactive).toFixed(0)} |`);
      process.stderr.write(`${out[out.length - 1]}\n`);
      }
      await app.close();
    }
  } finally {
    await browser.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
    await pool.end();
    await db.stop();
  }
  process.stdout.write(`Chromium ${version}, median of ${LOADS} loads after one warm-up\n\n`);
  process.stdout.write('| ledger shape | map cache | partitions | runs | map JSON from the server (ms) | page HTML received (ms) | drawing in the page (ms) | page ready: drawn + handlers (ms) | interactive: next task after ready (ms) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-ui: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
