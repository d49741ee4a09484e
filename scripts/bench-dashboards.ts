/**
 * `npm run bench:dashboards [-- --invoices 1000000] [--runs 10] [--keep] [--reuse] [--write] [--label after]`
 *
 * Times every panel query of the three freelance dashboards at 1,000,000 invoices (issue 14: each
 * under 300 ms). Setup, in the dedicated schema `dp_bench_dashboards` (dropped and rebuilt; kept
 * with `--keep`; `--reuse` times a schema kept by an earlier `--keep` run without rebuilding it, e.g.
 * after adding an index):
 *
 * 1. generates the landing files with scripts/generate-freelance.ts (`--scale`, seed 42, 24 months,
 *    1,000 freelancers: the planted mess included);
 * 2. cleans them with the pipelines' own row schemas and transforms (freelance_profiles,
 *    freelance_invoices: zod, exact money, dates) in this process and loads the valid rows with a
 *    **direct COPY** into the pipelines' target tables (created by activities/target.ts, with their
 *    declared indexes), duplicates resolved as the pipeline does (last row of a key in a partition
 *    wins) — no Temporal workflow: the setup time is not what is measured;
 * 3. materialises the derived tables `freelancers`, `freelance_revenue`, `freelance_receivables`
 *    (one insert per monthly partition) and `freelance_skill_supply` with the **real derived SQL** of their definitions,
 *    expanded exactly as a partition run expands it (activities/sources/derived.ts), and writes a
 *    ledger row per loaded partition (the live dashboard's status and data-quality panels read it);
 * 4. ANALYZE, then per panel (and the skill filter's options query), with the default filters and
 *    a filtered variant (period + skill; the live dashboard has no filters): 1 warm-up, then
 *    `--runs` timed runs of `panelData` (the console's own read-only query path); prints p50/p95 ms.
 *
 * `--write` appends the table to docs/benchmarks.md. A benchmark, not a test: nothing asserts a timing.
 */
import { appendFileSync, createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execSync } from 'node:child_process';
import { parse } from 'csv-parse';
import { loadConfig, REPO_ROOT } from '../infra/config';
import { copyInLines, createPool, migrate, type Pool } from '../infra/db';
import { resolveDatabase } from '../infra/dev-stack';
import { ensureTargetTable } from '../activities/target';
import { encodeValue } from '../activities/typed-values';
import { expandDerivedQuery, resolveInputs } from '../activities/sources/derived';
import { ident } from '../core/sql';
import type { PipelineDefinition } from '../core/pipeline';
import { partitionWindow } from '../core/partition';
import { filterOptions, panelData, type FilterValues } from '../ops/dashboards';
import { registry } from '../pipelines';
import { freelanceFinance, freelanceLive, freelanceResources } from '../pipelines/dashboards/freelance';
import { generateFreelance } from './generate-freelance';

const SCHEMA = 'dp_bench_dashboards';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const say = (s: string) => process.stdout.write(`${s}\n`);
const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** The target's columns in order, plus dp_partition (and the source position when the target keeps it). */
function copyTarget(def: PipelineDefinition, extra: readonly string[]): string {
  return `${ident(def.target.table, 'table')} (${[...Object.keys(def.target.columns), 'dp_partition', ...extra].map((c) => ident(c, 'column')).join(', ')})`;
}

function encodeRow(def: PipelineDefinition, row: Record<string, unknown>, extra: readonly unknown[]): string {
  const cols = Object.entries(def.target.columns).map(([c, type]) => encodeValue(type, row[c]));
  return `${[...cols, ...extra.map((v) => (v === null ? '\\N' : String(v)))].join('\t')}\n`;
}

/** Cleans the profile files with the pipeline's schema and transform; COPY of the valid records. */
async function loadProfiles(pool: Pool, dir: string): Promise<{ valid: number; refused: number }> {
  const def = registry.get('freelance_profiles');
  let refused = 0;
  const lines: string[] = [];
  for (const file of readdirSync(dir).filter((f) => def.source.kind === 'csv-files' && (def.source.filePattern?.test(f) ?? false)).sort()) {
    const records = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown[];
    records.forEach((rec, i) => {
      const r = def.schema.safeParse(rec);
      if (!r.success) return void refused++;
      lines.push(encodeRow(def, def.transform(r.data, { partition: 'all', params: def.params }), ['all', file, i + 1]));
    });
  }
  const client = await pool.connect();
  try {
    await copyInLines(client, copyTarget(def, ['dp_source_file', 'dp_line_no']), lines);
  } finally {
    client.release();
  }
  return { valid: lines.length, refused };
}

/**
 * Cleans the invoice files with the pipeline's schema and transform, COPYs the valid rows into an
 * unlogged staging table with their order, then keeps the last row of each (partition, invoice id)
 * — the pipeline's rule — in `freelance_invoices`.
 */
async function loadInvoices(pool: Pool, dir: string): Promise<{ valid: number; refused: number; loaded: number; partitions: string[] }> {
  const def = registry.get('freelance_invoices');
  const cols = Object.keys(def.target.columns);
  await pool.query(`CREATE UNLOGGED TABLE bench_invoices_stage (LIKE freelance_invoices INCLUDING DEFAULTS, dp_seq bigint)`);
  await pool.query(`ALTER TABLE bench_invoices_stage ALTER COLUMN dp_partition DROP NOT NULL`).catch(() => undefined);
  let refused = 0;
  let seq = 0;
  const files = readdirSync(dir).filter((f) => def.source.kind === 'csv-files' && (def.source.filePattern?.test(f) ?? false)).sort();
  async function* rows(): AsyncGenerator<string> {
    for (const file of files) {
      for await (const rec of createReadStream(path.join(dir, file)).pipe(parse({ columns: true, bom: true }))) {
        seq++;
        const r = def.schema.safeParse(rec);
        if (!r.success) {
          refused++;
          continue;
        }
        const row = def.transform(r.data, { partition: '', params: def.params });
        yield encodeRow(def, row, [String(row.issue_date).slice(0, 7), seq]);
      }
    }
  }
  const client = await pool.connect();
  let valid = 0;
  try {
    valid = await copyInLines(client, `bench_invoices_stage (${[...cols, 'dp_partition', 'dp_seq'].map((c) => ident(c, 'column')).join(', ')})`, rows());
  } finally {
    client.release();
  }
  const start = def.partitioning.start;
  const ins = await pool.query(
    `INSERT INTO freelance_invoices (${cols.join(', ')}, dp_partition)
     SELECT DISTINCT ON (dp_partition, invoice_id) ${cols.join(', ')}, dp_partition
       FROM bench_invoices_stage WHERE dp_partition >= $1
      ORDER BY dp_partition, invoice_id, dp_seq DESC`,
    [start],
  );
  const parts = await pool.query<{ p: string }>(`SELECT DISTINCT dp_partition AS p FROM freelance_invoices ORDER BY 1`);
  await pool.query(`DROP TABLE bench_invoices_stage`);
  return { valid, refused, loaded: ins.rowCount ?? 0, partitions: parts.rows.map((r) => r.p) };
}

/** One partition of a derived dataset through its real query (expanded as a partition run does). */
async function materialise(pool: Pool, name: string, key: string): Promise<number> {
  const def = registry.get(name);
  if (def.source.kind !== 'derived') throw new Error(`${name} is not derived`);
  const window = partitionWindow(def.partitioning.granularity, key);
  const named: Record<string, unknown> = {
    partition: key,
    window_start: new Date(Math.max(window.startMs, -8.64e15)).toISOString(),
    window_end: new Date(Math.min(window.endMs, 8.64e15)).toISOString(),
  };
  for (const [p, v] of Object.entries(def.params)) named[`param_${p}`] = v;
  const text = typeof def.source.query === 'function' ? def.source.query({ partition: key, params: def.params }) : def.source.query;
  const inputs = resolveInputs(def, registry, key).map((i) => ({ name: i.name, table: i.def.target.table, range: i.range }));
  const { sql, values } = expandDerivedQuery(text, inputs, SCHEMA, named);
  const cols = Object.keys(def.target.columns).map((c) => ident(c, 'column'));
  // The query's columns as the row schema would type them (it reads them as text or JSON).
  const typed = Object.entries(def.target.columns).map(([c, type]) => `q.${ident(c, 'column')}::${type}`);
  const r = await pool.query(`INSERT INTO ${ident(def.target.table, 'table')} (${cols.join(', ')}, dp_partition) SELECT ${typed.join(', ')}, $${values.length + 1} FROM (${sql}) q`, [
    ...values,
    key,
  ]);
  return r.rowCount ?? 0;
}

async function ledgerRow(pool: Pool, pipeline: string, key: string, rows: number): Promise<void> {
  await pool.query(
    `INSERT INTO ledger (pipeline, partition_key, status, rows_in, rows_valid, rows_quarantined, rows_deduplicated, rows_loaded, started_at, finished_at, updated_at)
     VALUES ($1, $2, 'succeeded', $3, $3, 0, 0, $3, now(), now(), now())`,
    [pipeline, key, rows],
  );
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Timing {
  readonly dashboard: string;
  readonly panel: string;
  readonly variant: string;
  readonly rows: number;
  readonly p50: number;
  readonly p95: number;
}

async function time(runs: number, fn: () => Promise<number>): Promise<{ rows: number; p50: number; p95: number }> {
  let rows = await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    rows = await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { rows, p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

async function main(): Promise<void> {
  const invoices = Number(arg('invoices', '1000000'));
  const runs = Number(arg('runs', '10'));
  const label = arg('label', 'after');
  const db = await resolveDatabase({ allowEmbedded: false });
  const config = loadConfig({});
  const admin = createPool({ connectionString: config.databaseUrl ?? db.url, schema: 'public', applicationName: 'datapulse-bench-dashboards' });
  const reuse = flag('reuse') && (await admin.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${SCHEMA}.freelance_revenue`])).rows[0]!.ok;
  if (!reuse) await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
  const pool = createPool({ connectionString: config.databaseUrl ?? db.url, schema: SCHEMA, applicationName: 'datapulse-bench-dashboards', max: 4 });
  await migrate(pool, SCHEMA);
  const out = mkdtempSync(path.join(os.tmpdir(), 'datapulse-bench-dashboards-'));
  const tAll = performance.now();
  try {
    let t0 = performance.now();
    let loaded = 0;
    let revenueRows = 0;
    if (reuse) {
      for (const name of ['freelance_invoices', 'freelancers', 'freelance_revenue', 'freelance_skill_supply', 'freelance_receivables']) await ensureTargetTable(pool, registry.get(name)); // indexes and tables added since
      // A monthly derived table added since the kept run: materialise it from the kept invoices.
      if ((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM freelance_receivables')).rows[0]!.n === 0) {
        for (const { p } of (await pool.query<{ p: string }>('SELECT DISTINCT dp_partition AS p FROM freelance_invoices ORDER BY 1')).rows) {
          await ledgerRow(pool, 'freelance_receivables', p, await materialise(pool, 'freelance_receivables', p));
        }
      }
      await pool.query('ANALYZE');
      loaded = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM freelance_invoices')).rows[0]!.n;
      revenueRows = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM freelance_revenue')).rows[0]!.n;
      say(`reusing schema ${SCHEMA} kept by an earlier run: ${loaded.toLocaleString('en')} invoices, freelance_revenue ${revenueRows.toLocaleString('en')} rows; ANALYZE`);
    } else {
    const manifest = await generateFreelance({ out, scale: invoices, seed: 42 });
    say(`generated ${invoices.toLocaleString('en')} clean invoices (+ planted duplicates and defects) over ${manifest.months.length} months in ${secs(t0)}`);
    for (const name of ['freelance_profiles', 'freelance_invoices', 'freelancers', 'freelance_revenue', 'freelance_skill_supply', 'freelance_receivables']) await ensureTargetTable(pool, registry.get(name));

    t0 = performance.now();
    const prof = await loadProfiles(pool, path.join(out, 'freelance_profiles'));
    await ledgerRow(pool, 'freelance_profiles', 'all', prof.valid);
    const inv = await loadInvoices(pool, path.join(out, 'freelance_invoices'));
    for (const p of inv.partitions) await ledgerRow(pool, 'freelance_invoices', p, (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM freelance_invoices WHERE dp_partition = $1', [p])).rows[0]!.n);
    say(
      `setup (direct COPY of rows cleaned by the pipelines' schemas, not a workflow run): profiles ${prof.valid} valid, ${prof.refused} refused; ` +
        `invoices ${inv.valid.toLocaleString('en')} valid, ${inv.refused} refused, ${inv.loaded.toLocaleString('en')} loaded after duplicates in ${inv.partitions.length} monthly partitions; ${secs(t0)}`,
    );

    t0 = performance.now();
    await ledgerRow(pool, 'freelancers', 'all', await materialise(pool, 'freelancers', 'all'));
    for (const p of inv.partitions) {
      const n = await materialise(pool, 'freelance_revenue', p);
      revenueRows += n;
      await ledgerRow(pool, 'freelance_revenue', p, n);
      await ledgerRow(pool, 'freelance_receivables', p, await materialise(pool, 'freelance_receivables', p));
    }
    await ledgerRow(pool, 'freelance_skill_supply', 'all', await materialise(pool, 'freelance_skill_supply', 'all'));
    await pool.query('ANALYZE');
    say(`derived tables by their real SQL: freelance_revenue ${revenueRows.toLocaleString('en')} rows in ${inv.partitions.length} partitions; ANALYZE; ${secs(t0)}`);
    loaded = inv.loaded;
    }

    // The filtered variant: a quarter (finance), a month (resources), and the skill billed most.
    const skill = (await pool.query<{ skill: string }>(`SELECT skill FROM freelance_revenue GROUP BY skill ORDER BY sum(days_billed) DESC LIMIT 1`)).rows[0]!.skill;
    const variants: { dashboard: typeof freelanceFinance; variant: string; values: FilterValues }[] = [
      { dashboard: freelanceFinance, variant: 'default', values: { from: '2025-01-01', to: '2026-01-01', skill: null } },
      { dashboard: freelanceFinance, variant: `2025-04..06, ${skill}`, values: { from: '2025-04-01', to: '2025-07-01', skill } },
      { dashboard: freelanceResources, variant: 'default', values: { month: '2025-12-01', skill: null } },
      { dashboard: freelanceResources, variant: `2025-06, ${skill}`, values: { month: '2025-06-01', skill } },
      { dashboard: freelanceLive, variant: 'default', values: {} },
    ];
    const timings: Timing[] = [];
    for (const d of [freelanceFinance, freelanceResources]) {
      for (const f of d.filters.filter((x) => x.kind === 'select')) {
        const t = await time(runs, async () => (await filterOptions(pool, f)).length);
        timings.push({ dashboard: d.name, panel: `filter ${f.name} (options)`, variant: '-', ...t });
      }
    }
    for (const v of variants) {
      for (const panel of v.dashboard.panels) {
        const t = await time(runs, async () => {
          const r = await panelData(pool, panel, v.values);
          if (r.error) throw new Error(`${v.dashboard.name}/${panel.id}: ${r.error}`);
          return r.rows.length;
        });
        timings.push({ dashboard: v.dashboard.name, panel: panel.id, variant: v.variant, ...t });
      }
    }
    const load = execSync('uptime').toString().trim();
    const slow = timings.filter((t) => t.p95 >= 300);
    const table = [
      `| dashboard | panel | filters | rows | p50 ms | p95 ms |`,
      `| --- | --- | --- | ---: | ---: | ---: |`,
      ...timings.map((t) => `| ${t.dashboard} | ${t.panel} | ${t.variant} | ${t.rows} | ${t.p50.toFixed(1)} | ${t.p95.toFixed(1)} |`),
    ];
    say('');
    for (const l of table) say(l);
    say('');
    say(`${timings.length} queries, ${runs} runs each after 1 warm-up; slowest p95 ${Math.max(...timings.map((t) => t.p95)).toFixed(1)} ms; at or over 300 ms: ${slow.length === 0 ? 'none' : slow.map((t) => `${t.dashboard}/${t.panel} (${t.variant})`).join(', ')}`);
    say(`machine: ${os.cpus().length} cores, uptime: ${load}; total ${secs(tAll)}`);
    if (flag('write')) {
      appendFileSync(
        path.join(REPO_ROOT, 'docs', 'benchmarks.md'),
        [
          '',
          `### Dashboards at ${(reuse ? loaded : invoices).toLocaleString('en')} invoices — ${label} (${new Date().toISOString().slice(0, 10)})`,
          '',
          `\`npm run bench:dashboards\`; ${runs} runs after 1 warm-up; ${loaded.toLocaleString('en')} invoices loaded, freelance_revenue ${revenueRows.toLocaleString('en')} rows. Machine: ${os.cpus().length} cores, \`uptime\`: ${load}.`,
          '',
          ...table,
          '',
        ].join('\n'),
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
    if (!flag('keep')) await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
    await pool.end();
    await db.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
