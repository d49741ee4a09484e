/**
 * Proves the worker's Prometheus endpoint after real runs on the real Temporal dev server and
 * PostgreSQL: row counters equal what the runs loaded, succeeded/failed partitions and the duration
 * histogram count them, the freshness lag comes from the ledger, and the Temporal SDK's own
 * `temporal_*` metrics are served on the same endpoint. (Partitions of 2022 belong to this file.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionWindow } from '../../core/partition';
import { createHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ metrics: true });
});
afterAll(async () => h?.close());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it: no escaped quotes in our label values). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(h.metricsUrl!);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  return { text, samples: parse(text) };
}

/** Sum of a metric's samples whose labels include `labels`. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

describe('worker metrics endpoint', () => {
  it('counts the rows and partitions of real runs, and serves the freshness lag and the SDK metrics', async () => {
    const a = await h.run('weather', '2022-03-01T00');
    const b = await h.run('weather', '2022-03-01T01');
    const before = (await scrape()).samples;
    const w = { pipeline: 'weather' };
    expect(value(before, 'datapulse_rows_in_total', w)).toBe(a.rowsIn + b.rowsIn);
    expect(value(before, 'datapulse_rows_valid_total', w)).toBe(a.rowsValid + b.rowsValid);
    expect(value(before, 'datapulse_rows_quarantined_total', w)).toBe(a.rowsQuarantined + b.rowsQuarantined);
    expect(value(before, 'datapulse_rows_loaded_total', w)).toBe(a.rowsLoaded + b.rowsLoaded);
    expect(a.rowsLoaded + b.rowsLoaded).toBe(6);
    expect(value(before, 'datapulse_partitions_succeeded_total', w)).toBe(2);
    expect(value(before, 'datapulse_partitions_failed_total', w)).toBe(0);
    expect(value(before, 'datapulse_partition_duration_seconds_count', { ...w, outcome: 'succeeded' })).toBe(2);

    // A failed partition: counted with its step and error type, rows of a failed ingest are not.
    h.api.setFaults([{ kind: 'malformed' }]);
    try {
      await expect(h.run('weather', '2022-03-01T05')).rejects.toThrow(/Workflow execution failed/);
    } finally {
      h.api.setFaults([]);
    }
    const t0 = Date.now();
    const { text, samples: after } = await scrape();
    const t1 = Date.now();
    const failed = after.filter((s) => s.name === 'datapulse_partitions_failed_total' && s.labels.pipeline === 'weather');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ labels: { pipeline: 'weather', step: 'ingest' }, value: 1 });
    expect(failed[0]!.labels.error_type).toMatch(/\w+/);
    expect(value(after, 'datapulse_partition_duration_seconds_count', { ...w, outcome: 'failed' })).toBe(1);
    expect(value(after, 'datapulse_rows_loaded_total', w)).toBe(6);
    expect(value(after, 'datapulse_partitions_succeeded_total', w)).toBe(2);

    // Freshness: now minus the end of the newest succeeded partition (2022-03-01T01 ends at 02:00).
    const end = partitionWindow('hourly', '2022-03-01T01').endMs;
    const lag = after.find((s) => s.name === 'datapulse_freshness_lag_seconds' && s.labels.pipeline === 'weather');
    expect(lag).toBeDefined();
    expect(lag!.value).toBeGreaterThanOrEqual((t0 - end) / 1000 - 1);
    expect(lag!.value).toBeLessThanOrEqual((t1 - end) / 1000 + 1);
    // city_weather never succeeded here: no lag sample rather than a made-up one.
    expect(after.some((s) => s.name === 'datapulse_freshness_lag_seconds' && s.labels.pipeline === 'city_weather')).toBe(false);

    // The Temporal SDK's runtime metrics on the same endpoint.
    expect(text).toMatch(/^# TYPE temporal_\w+/m);
    expect(after.some((s) => s.name.startsWith('temporal_activity_execution') || s.name.startsWith('temporal_workflow_completed'))).toBe(true);
  });

  it('answers other paths with 404', async () => {
    const res = await fetch(h.metricsUrl!.replace(/\/metrics$/, '/'));
    expect(res.status).toBe(404);
  });
});
