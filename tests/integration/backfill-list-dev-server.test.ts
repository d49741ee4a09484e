/**
 * Proves `datapulse backfill list` works on the SQLite-backed Temporal dev server (issue 16, item 5):
 * the visibility query carries no ORDER BY (which the dev server refuses), and the backfills come
 * back newest first, sorted on the client. (Pipeline `i16_list`: ids unique to this file.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackfills, startOrAttachBackfill } from '../../ops/backfill-client';
import { definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { weather } from '../../pipelines/weather';
import { createHarness, type Harness } from './harness';

const listed = definePipeline({ ...weather, name: 'i16_list', target: { ...weather.target, table: 'i16_list_hourly' } });

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ registry: createRegistry([listed]) });
});
afterAll(async () => h?.close());

describe('backfill list on the dev server', () => {
  it('lists backfills newest first without a server-side ORDER BY', async () => {
    const first = await startOrAttachBackfill(h.client, h.config, listed, { from: '2024-11-01T00', to: '2024-11-01T01', mode: 'force', concurrency: 1 });
    await first.handle.result();
    const second = await startOrAttachBackfill(h.client, h.config, listed, { from: '2024-11-02T00', to: '2024-11-02T01', mode: 'force', concurrency: 1 });
    await second.handle.result();

    const all = await listBackfills(h.client, { limit: 50 });
    const ours = all.filter((b) => b.workflowId.startsWith('backfill/i16_list/'));
    expect(ours.map((b) => b.workflowId).slice(0, 2)).toEqual([
      'backfill/i16_list/2024-11-02T00..2024-11-02T01',
      'backfill/i16_list/2024-11-01T00..2024-11-01T01',
    ]);
    expect(ours[0]?.status).toBe('COMPLETED');
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.startTime.getTime()).toBeGreaterThanOrEqual(all[i]!.startTime.getTime());
  });
});
