/**
 * Distributed processing on the real engine (issue 14): two `datapulse worker` processes, started as
 * an operator would, poll the same task queue; one backfill of `freelance_invoices` over every
 * monthly partition of a generated year is spread by Temporal over both, with no code or setting
 * other than a second process. Each worker's own /metrics counts the partitions and rows it loaded,
 * and the workflow histories name the worker that ran each activity: both did part of the work, and
 * together exactly all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/dev-stack';
import { startOrAttachBackfill } from '../../ops/backfill-client';
import { partitionWorkflowId } from '../../core/search-attributes';
import { registry } from '../../pipelines';
import { generateFreelance } from '../../scripts/generate-freelance';
import { createFaultFixture, type FaultFixture } from './fault-fixture';
import { spawnWorker, waitForPoller, type WorkerProcess } from './processes';

// 12 invoice months from 2024-01; the last month's invoices are issued up to early 2025-01.
const FROM = '2024-01';
const TO = '2025-02';
const PARTITIONS = 13;

let f: FaultFixture;
const workers: { proc: WorkerProcess; metricsUrl: string }[] = [];

beforeAll(async () => {
  f = await createFaultFixture();
  await generateFreelance({ out: f.landingDir, scale: 2600, months: 12, freelancers: 40, seed: 11 });
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    workers.push({ proc: spawnWorker({ ...f.workerEnv(), METRICS_PORT: String(port) }), metricsUrl: `http://127.0.0.1:${port}/metrics` });
  }
  for (const w of workers) await waitForPoller(f.client, f.taskQueue, w.proc);
}, 240_000);

afterAll(async () => {
  for (const w of workers) await w.proc.kill('SIGTERM');
  await f?.close();
});

/** One counter's value with label `pipeline="<pipeline>"` from a Prometheus text page (0 when absent). */
function counter(page: string, name: string, pipeline: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`pipeline="${pipeline}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('invoice backfill on two worker processes, same task queue', () => {
  it('spreads the partitions over both workers; their metrics and the histories add up to the whole backfill', async () => {
    const def = registry.get('freelance_invoices');
    const { handle } = await startOrAttachBackfill(f.client, { taskQueue: f.taskQueue }, def, { from: FROM, to: TO, mode: 'force', concurrency: 4 });
    const summary = await handle.result();
    expect(summary).toMatchObject({ failed: 0 });

    const { rows: ledger } = await f.pool.query<{ partition_key: string; run_id: string; rows_loaded: number }>(
      `SELECT partition_key, run_id, rows_loaded FROM ledger WHERE pipeline = 'freelance_invoices' AND status = 'succeeded' ORDER BY partition_key`,
    );
    expect(ledger).toHaveLength(PARTITIONS);
    const totalRows = ledger.reduce((s, r) => s + r.rows_loaded, 0);
    expect(totalRows).toBe((await f.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM freelance_invoices`)).rows[0]!.n);

    // Each worker process's own metrics: the partitions and rows it loaded.
    const pages = await Promise.all(workers.map(async (w) => (await fetch(w.metricsUrl)).text()));
    const partitions = pages.map((p) => counter(p, 'datapulse_partitions_succeeded_total', 'freelance_invoices'));
    const rows = pages.map((p) => counter(p, 'datapulse_rows_loaded_total', 'freelance_invoices'));
    console.info(`[distributed] partitions loaded per worker ${partitions.join(' + ')}, rows ${rows.join(' + ')} (${workers.map((w) => w.proc.identity).join(', ')})`);
    for (const n of partitions) expect(n).toBeGreaterThan(0);
    expect(partitions.reduce((a, b) => a + b, 0)).toBe(PARTITIONS);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(totalRows);

    // The histories: who started each activity of each partition's run.
    const byWorker = new Map<string, number>();
    for (const r of ledger) {
      const history = await f.client.workflow.getHandle(partitionWorkflowId('freelance_invoices', r.partition_key), r.run_id).fetchHistory();
      const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.identity ?? '');
      expect(started.length).toBeGreaterThanOrEqual(4); // ingest, validate, transform, load
      for (const id of started) byWorker.set(id, (byWorker.get(id) ?? 0) + 1);
    }
    expect([...byWorker.keys()].sort()).toEqual(workers.map((w) => w.proc.identity).sort());
    for (const w of workers) expect(byWorker.get(w.proc.identity)).toBeGreaterThan(0);
  });
});
