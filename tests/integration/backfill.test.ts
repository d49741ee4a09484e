/**
 * Proves backfills on the real Temporal dev server and PostgreSQL: 200+ partitions complete with a
 * right ledger row each, continuing-as-new on the way (asserted from the history) and never above
 * the concurrency bound; a second run skips everything; --only-failed touches only the failures; a
 * partition already owned by another run is joined, not run twice; cancel stops the children;
 * concurrency can be changed while it runs; --stale re-reads sources and reruns only what changed.
 * (These tests use February–March 2024 partitions; other files use other ranges.)
 */
import { WorkflowFailedError, type WorkflowExecutionInfo } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backfillWorkflowId, startOrAttachBackfill } from '../../ops/backfill-client';
import { countKeys, keysInRange } from '../../core/partition';
import type { BackfillMode } from '../../core/plan';
import { registry } from '../../pipelines';
import type { BackfillProgress, BackfillSummary } from '../../workflows/backfill';
import { createHarness, recordHistory, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());
beforeEach(() => h.api.clearFaults());

const weather = registry.get('weather');

async function backfill(from: string, to: string, opts: { mode?: BackfillMode; concurrency?: number; childrenPerRun?: number } = {}) {
  return startOrAttachBackfill(h.client, h.config, weather, {
    from,
    to,
    mode: opts.mode ?? 'missing',
    concurrency: opts.concurrency ?? 4,
    childrenPerRun: opts.childrenPerRun,
  });
}

async function ledgerRows(from: string, to: string) {
  const { rows } = await h.pool.query(
    `SELECT partition_key, status, rows_in, rows_valid, rows_quarantined, rows_loaded, rows_deduplicated, run_id, error
       FROM ledger WHERE pipeline = 'weather' AND partition_key >= $1 AND partition_key < $2 ORDER BY partition_key`,
    [from, to],
  );
  return rows;
}

async function childExecutions(from: string, to: string): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  // The weather children (automation also starts the weather_daily days these hours complete).
  for await (const wf of h.client.workflow.list({ query: `WorkflowType = "partitionWorkflow" AND TaskQueue = "${h.config.taskQueue}" AND DataPulsePipeline = "weather"` })) {
    const p = wf.workflowId.split('/')[1] ?? '';
    if (p >= from && p < to) out.push(wf);
  }
  return out;
}

/** Largest number of executions whose [start, close) intervals overlap. */
function maxOverlap(execs: WorkflowExecutionInfo[]): number {
  const points = execs.flatMap((e) => [
    { t: e.startTime.getTime(), d: 1 },
    { t: (e.closeTime ?? new Date(8.64e15)).getTime(), d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d); // closes before opens at the same instant
  let cur = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (cur += p.d));
  return max;
}

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const progressOf = (id: string) => h.client.workflow.getHandle(id).query<BackfillProgress>('progress');

describe('backfill of 216 hourly partitions', () => {
  const from = '2024-02-01T00';
  const to = '2024-02-10T00';
  let first: BackfillSummary;

  it('completes with a right ledger row for every partition, continuing-as-new on the way, within the concurrency bound', async () => {
    const { handle } = await backfill(from, to, { concurrency: 4, childrenPerRun: 60 });
    first = await handle.result();
    const total = countKeys('hourly', from, to);
    expect(total).toBe(216);
    expect(first).toMatchObject({ status: 'completed', total, done: total, failed: 0, skipped: 0, running: 0, remaining: 0 });
    expect(first.runs).toBeGreaterThanOrEqual(4);

    const rows = await ledgerRows(from, to);
    expect(rows.map((r) => r.partition_key)).toEqual([...keysInRange('hourly', from, to)]);
    for (const r of rows) expect(r).toMatchObject({ status: 'succeeded', rows_in: 3, rows_valid: 3, rows_quarantined: 0, rows_loaded: 3, error: null });
    const { rows: target } = await h.pool.query(`SELECT count(*)::int AS n FROM weather_observations WHERE dp_partition >= $1 AND dp_partition < $2`, [from, to]);
    expect(target[0].n).toBe(total * 3);

    // The first run of the parent ended by continuing as new, and kept its history small.
    const firstRun = h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    const history = await firstRun.fetchHistory();
    const events = history.events ?? [];
    expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(events.length).toBeLessThan(10_000);
    await recordHistory(firstRun, 'backfill-continued-as-new');

    // Concurrency, measured independently from the children's own start/close times.
    const execs = await childExecutions(from, to);
    expect(execs).toHaveLength(total);
    expect(maxOverlap(execs)).toBeLessThanOrEqual(4);
    expect(first.maxRunning).toBeLessThanOrEqual(4);
  });

  it('skips every partition when run again', async () => {
    const before = await ledgerRows(from, to);
    const { handle } = await backfill(from, to);
    const again = await handle.result();
    expect(again).toMatchObject({ done: 0, failed: 0, skipped: 216 });
    expect(await ledgerRows(from, to)).toEqual(before);
  });
});

describe('failures and --only-failed', () => {
  const from = '2024-02-15T00';
  const to = '2024-02-16T00';

  it('reports failed partitions with their errors, then re-runs exactly those', async () => {
    // The first 6 requests get malformed JSON: with 3 requests per partition, 2 to 6 partitions fail.
    h.api.setFaults([{ kind: 'malformed', times: 6 }]);
    const { handle } = await backfill(from, to, { concurrency: 2 });
    const s = await handle.result();
    expect(s.failed).toBeGreaterThanOrEqual(2);
    expect(s.failed + s.done).toBe(24);
    expect(s.failures).toHaveLength(s.failed);
    for (const f of s.failures) expect(f.error).toContain('not valid JSON');
    await recordHistory(h.client.workflow.getHandle(handle.workflowId), 'backfill-with-failures');

    const before = await ledgerRows(from, to);
    const failedKeys = before.filter((r) => r.status === 'failed').map((r) => r.partition_key);
    expect(failedKeys.sort()).toEqual(s.failures.map((f) => f.partition).sort());

    const { handle: retry } = await backfill(from, to, { mode: 'only-failed' });
    const r = await retry.result();
    expect(r).toMatchObject({ done: failedKeys.length, failed: 0, skipped: 24 - failedKeys.length });
    const after = await ledgerRows(from, to);
    for (const row of after) {
      const prev = before.find((b) => b.partition_key === row.partition_key)!;
      expect(row.status).toBe('succeeded');
      // Only the failed ones ran again (new run id); the others were not touched.
      if (failedKeys.includes(row.partition_key)) expect(row.run_id).not.toBe(prev.run_id);
      else expect(row.run_id).toBe(prev.run_id);
    }
  });
});

describe('a partition owned by another run', () => {
  it('is joined by the backfill and runs once', async () => {
    const from = '2024-02-20T00';
    const to = '2024-02-20T06';
    const owned = '2024-02-20T02';
    // Slow answers keep the hand-started partition (what a schedule tick starts: same id) running.
    h.api.setFaults([{ kind: 'slow', delayMs: 2500, times: 3 }]);
    const tick = await h.start('weather', owned);
    await waitFor(async () => ((await tick.describe()).status.name === 'RUNNING' && h.api.stats().faultsServed > 0 ? true : undefined), 'the owned partition to run');
    const { handle } = await backfill(from, to, { concurrency: 3 });
    const s = await handle.result();
    expect(s).toMatchObject({ done: 6, failed: 0, joined: 1 });
    const execs = (await childExecutions(from, to)).filter((e) => e.workflowId === `weather/${owned}`);
    expect(execs).toHaveLength(1);
    expect(execs[0]?.runId).toBe((await tick.describe()).runId);
    const rows = await ledgerRows(owned, '2024-02-20T03');
    expect(rows[0]).toMatchObject({ status: 'succeeded', rows_loaded: 3 });
  });
});

describe('steering a running backfill', () => {
  it('cancel stops the running children and reports a summary', async () => {
    const from = '2024-03-01T00';
    const to = '2024-03-03T00';
    h.api.setFaults([{ kind: 'slow', delayMs: 4000 }]);
    const { handle } = await backfill(from, to, { concurrency: 2 });
    await waitFor(async () => ((await progressOf(handle.workflowId)).running === 2 ? true : undefined), 'two running children');
    await handle.signal('cancel');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('BackfillCancelled');
    const summary = cause.details?.[0] as BackfillSummary;
    expect(summary.status).toBe('cancelled');
    expect(summary.done + summary.failed).toBeLessThan(48);
    h.api.clearFaults();
    const execs = await childExecutions(from, to);
    expect(execs.length).toBeGreaterThanOrEqual(2);
    expect(execs.filter((e) => e.status.name === 'RUNNING')).toEqual([]);
    expect(execs.filter((e) => e.status.name === 'CANCELLED').length).toBeGreaterThanOrEqual(1);
    const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM ledger WHERE pipeline = 'weather' AND partition_key >= $1 AND partition_key < $2 AND status = 'running'`, [from, to]);
    expect(rows[0].n).toBe(0);
  });

  it('pauses, resumes and takes a new concurrency while running', async () => {
    const from = '2024-03-05T00';
    const to = '2024-03-05T12';
    h.api.setFaults([{ kind: 'slow', delayMs: 300 }]);
    const { handle, attached } = await backfill(from, to, { concurrency: 1 });
    expect(attached).toBe(false);
    // The same command again attaches instead of starting another backfill.
    const again = await backfill(from, to, { concurrency: 1 });
    expect(again.attached).toBe(true);
    expect(again.handle.workflowId).toBe(backfillWorkflowId('weather', from, to));
    await handle.signal('pause');
    await waitFor(async () => {
      const p = await progressOf(handle.workflowId);
      return p.paused && p.running === 0 ? p : undefined;
    }, 'the pause to drain');
    const paused = await progressOf(handle.workflowId);
    await new Promise((r) => setTimeout(r, 1500));
    const stillPaused = await progressOf(handle.workflowId);
    expect(stillPaused.done).toBe(paused.done);
    await handle.signal('setConcurrency', 3);
    await handle.signal('resume');
    const s = await handle.result();
    expect(s).toMatchObject({ done: 12, failed: 0, concurrency: 3 });
    expect(s.maxRunning).toBe(3);
  });
});

describe('--stale', () => {
  it('re-reads each succeeded partition and reruns only those whose source changed', async () => {
    const from = '2024-03-10T00';
    const to = '2024-03-10T04';
    await (await backfill(from, to)).handle.result();
    const before = await ledgerRows(from, to);
    // Berlin's data for one hour now differs at the source: the bad-values fault makes the first
    // matching answer carry a null temperature, so exactly one partition's checksum changes.
    h.api.setFaults([{ kind: 'bad-values', latitude: 52.52, times: 1 }]);
    const { handle } = await backfill(from, to, { mode: 'stale', concurrency: 1 });
    const s = await handle.result();
    expect(s).toMatchObject({ done: 4, failed: 0, unchanged: 3 });
    const after = await ledgerRows(from, to);
    const changed = after.filter((r, i) => r.run_id !== before[i]?.run_id || r.rows_quarantined !== before[i]?.rows_quarantined);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ status: 'succeeded', rows_in: 3, rows_quarantined: 1, rows_loaded: 2 });
  });
});

describe('continue-as-new without a drain barrier', () => {
  it('hands running children to the next run: a slow child does not hold back the partitions after it', async () => {
    const from = '2024-03-20T00';
    const to = '2024-03-20T12';
    // One request answers after 8 s: with a drain barrier at every continue-as-new (3 children per
    // run), no partition of a later run could start before that slow one finished.
    h.api.setFaults([{ kind: 'slow', delayMs: 8000, times: 1 }]);
    const { handle } = await backfill(from, to, { concurrency: 3, childrenPerRun: 3 });
    const summary = await handle.result();
    expect(summary).toMatchObject({ status: 'completed', total: 12, done: 12, failed: 0 });
    expect(summary.runs).toBeGreaterThanOrEqual(4);

    const { rows } = await h.pool.query<{ partition_key: string; started_at: Date; finished_at: Date; duration_ms: number }>(
      `SELECT partition_key, started_at, finished_at, duration_ms FROM ledger
        WHERE pipeline = 'weather' AND partition_key >= $1 AND partition_key < $2 AND status = 'succeeded' ORDER BY duration_ms DESC`,
      [from, to],
    );
    expect(rows).toHaveLength(12);
    const slow = rows[0]!;
    expect(slow.duration_ms).toBeGreaterThanOrEqual(7000);
    // Partitions that started after the slow one and finished before it: only possible when later
    // runs kept starting children while it ran (its own batch holds at most 2 others).
    const during = rows.filter((r) => r.started_at > slow.started_at && r.finished_at < slow.finished_at);
    expect(during.length).toBeGreaterThanOrEqual(4);

    // The runs after the first waited for handed-over children through awaitPartition, within the bound.
    const execs = await childExecutions(from, to);
    expect(maxOverlap(execs)).toBeLessThanOrEqual(3);
    await recordHistory(h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId), 'backfill-handed-over-first-run');
    await recordHistory(h.client.workflow.getHandle(handle.workflowId), 'backfill-handed-over-last-run');
  });
});
