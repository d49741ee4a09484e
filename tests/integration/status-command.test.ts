/**
 * Proves `datapulse status` on the real servers: partitions run through Temporal into the ledger,
 * then the map of a range that also holds missing keys has the right states, counts and failures,
 * a changed code version shows as stale, the default range is the span the ledger covers, and the
 * gaps hint names `--only-missing`, whose backfill runs the missing partitions and nothing else.
 * (July 2024 hours: workflow ids are shared on the server with the other integration files.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../pipelines';
import { pipelineStatus } from '../../scripts/commands/status';
import { startOrAttachBackfill } from '../../ops/backfill-client';
import { createHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.run('weather', '2024-07-01T00');
  await h.run('weather', '2024-07-01T01');
  await h.run('weather', '2024-07-01T03');
  h.api.setFaults([{ kind: 'malformed', times: 5 }]);
  await h.run('weather', '2024-07-01T04').catch(() => undefined);
  h.api.clearFaults();
});
afterAll(async () => h?.close());

const deps = () => ({ pool: h.pool, config: h.config, registry });

describe('status', () => {
  it('maps succeeded, failed and missing partitions of a range', async () => {
    const { map, output } = await pipelineStatus(deps(), 'weather', { from: '2024-06-30T22', to: '2024-07-01T06' });
    expect(map.total).toBe(8);
    expect(map.counts).toEqual({ succeeded: 3, stale: 0, failed: 1, running: 0, missing: 4 });
    expect(map.rows).toEqual({ loaded: 9, quarantined: 0, deduplicated: 0 });
    expect(map.runs.map((r) => [r.first, r.last, r.state, r.length])).toEqual([
      ['2024-06-30T22', '2024-06-30T23', 'missing', 2],
      ['2024-07-01T00', '2024-07-01T01', 'succeeded', 2],
      ['2024-07-01T02', '2024-07-01T02', 'missing', 1],
      ['2024-07-01T03', '2024-07-01T03', 'succeeded', 1],
      ['2024-07-01T04', '2024-07-01T04', 'failed', 1],
      ['2024-07-01T05', '2024-07-01T05', 'missing', 1],
    ]);
    expect(map.failed).toHaveLength(1);
    const f = map.failed[0];
    expect(f).toMatchObject({ key: '2024-07-01T04', step: 'ingest', errorType: 'SourceFormatError', workflowId: 'weather/2024-07-01T04' });
    expect(f?.error).toContain('not valid JSON');
    expect(f?.runId).toMatch(/.+/);

    expect(output).toContain('weather (hourly)  2024-06-30T22 … 2024-07-01T06 [from, to)  8 partitions: 3 succeeded, 0 stale, 1 failed, 0 running, 4 missing');
    expect(output).toContain('  2024-06-30  ' + ' '.repeat(22) + '··\n');
    expect(output).toContain('  2024-07-01  ██·█x·\n');
    expect(output).toContain(`/namespaces/default/workflows/weather%2F2024-07-01T04/${f?.runId}/history`);
    expect(output).toContain('next: re-run failures and fill gaps: datapulse backfill weather --from 2024-06-30T22 --to 2024-07-01T06 --only-failed');
  });

  it('prints JSON for scripts', async () => {
    const { output } = await pipelineStatus(deps(), 'weather', { from: '2024-07-01T00', to: '2024-07-01T05', json: true });
    const doc = JSON.parse(output) as { total: number; counts: Record<string, number>; failed: { key: string; url: string }[] };
    expect(doc.total).toBe(5);
    expect(doc.counts).toMatchObject({ succeeded: 3, failed: 1, missing: 1 });
    expect(doc.failed.map((x) => x.key)).toEqual(['2024-07-01T04']);
    expect(doc.failed[0]?.url).toContain('weather%2F2024-07-01T04');
  });

  it('shows a partition loaded with another code version as stale', async () => {
    await h.pool.query(`UPDATE ledger SET code_version = 'v0-old' WHERE pipeline = 'weather' AND partition_key = '2024-07-01T01'`);
    try {
      const { map } = await pipelineStatus(deps(), 'weather', { from: '2024-07-01T00', to: '2024-07-01T02' });
      expect(map.runs.map((r) => r.state)).toEqual(['succeeded', 'stale']);
    } finally {
      await h.pool.query(
        `UPDATE ledger SET code_version = (SELECT code_version FROM ledger WHERE pipeline = 'weather' AND partition_key = '2024-07-01T00')
          WHERE pipeline = 'weather' AND partition_key = '2024-07-01T01'`,
      );
    }
  });

  it('defaults to the span of the ledger (issue 16: not through the present)', async () => {
    const now = Date.parse('2024-07-02T10:30:00Z');
    const { map } = await pipelineStatus({ ...deps(), now: () => now }, 'weather');
    expect(map.from).toBe('2024-07-01T00');
    expect(map.to).toBe('2024-07-01T05');
    expect(map.total).toBe(5);
    expect(map.counts).toMatchObject({ succeeded: 3, failed: 1, missing: 1 });
  });

  it('rejects bad keys and unknown pipelines in one line', async () => {
    await expect(pipelineStatus(deps(), 'weather', { from: '2024-07-01' })).rejects.toThrow(/^--from: invalid hourly partition key "2024-07-01"/);
    await expect(pipelineStatus(deps(), 'nope', {})).rejects.toThrow('unknown pipeline "nope" (known: ');
  });

  it('hints --only-missing for gaps, and that backfill fills them without re-running the failed or loaded ones', async () => {
    const { output } = await pipelineStatus(deps(), 'weather', { from: '2024-07-01T00', to: '2024-07-01T03' });
    expect(output).toContain('next: fill gaps: datapulse backfill weather --from 2024-07-01T02 --to 2024-07-01T03 --only-missing');
    const runIds = async () =>
      (await h.pool.query<{ partition_key: string; status: string; run_id: string }>(`SELECT partition_key, status, run_id FROM ledger WHERE pipeline = 'weather' ORDER BY 1`)).rows;
    const before = await runIds();
    const { handle } = await startOrAttachBackfill(h.client, h.config, registry.get('weather'), { from: '2024-07-01T00', to: '2024-07-01T06', mode: 'only-missing', concurrency: 2 });
    expect(await handle.result()).toMatchObject({ total: 6, done: 2, failed: 0, skipped: 4 });
    const after = await runIds();
    expect(after.map((r) => `${r.partition_key} ${r.status}`)).toEqual(
      ['00 succeeded', '01 succeeded', '02 succeeded', '03 succeeded', '04 failed', '05 succeeded'].map((s) => `2024-07-01T${s}`),
    );
    // The loaded and the failed partitions kept their runs.
    for (const b of before) expect(after.find((a) => a.partition_key === b.partition_key)?.run_id).toBe(b.run_id);
    const { map } = await pipelineStatus(deps(), 'weather', { from: '2024-07-01T00', to: '2024-07-01T06' });
    expect(map.counts).toMatchObject({ missing: 0, failed: 1 });
  });
});
