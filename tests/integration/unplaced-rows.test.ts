/**
 * Proves, on the real servers, what an operator is told about rows no partition can own (issue 16,
 * items 1 and 2):
 * - a re-run (`backfill --stale` or `--force`) of a loaded partition whose source rows can no longer
 *   be placed (the landing file was replaced by one whose time column does not parse) fails
 *   (`SourceRowsUnplaced`) and keeps the rows loaded before, instead of deleting them and saying green;
 *   the backfill summary and `status` show the unplaced count;
 * - unplaced rows follow each file's current content: fixing the file clears them, a removed file
 *   takes its unplaced rows with it, and a file with a few bad lines among good ones still loads.
 * (Pipeline `i16_unplaced`: workflow ids and tables unique to this file.)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { renderBackfillSummary, startOrAttachBackfill } from '../../ops/backfill-client';
import { quarantineReport } from '../../ops/quarantine';
import { unplacedTotals } from '../../ops/unplaced';
import { cityWeather } from '../../pipelines/city-weather';
import { pipelineStatus } from '../../scripts/commands/status';
import { createHarness, type Harness } from './harness';

const pipeline = definePipeline({
  name: 'i16_unplaced',
  description: 'city_weather columns, for the unplaced-rows tests',
  version: 1,
  partitioning: cityWeather.partitioning,
  params: {},
  source: cityWeather.source,
  schema: cityWeather.schema,
  transform: cityWeather.transform,
  target: { ...cityWeather.target, table: 'i16_unplaced_daily' },
});
const registry = createRegistry([pipeline]);
const COLUMNS = 'location,date,precipitation,temp_max,temp_min,wind,weather';

let h: Harness;
const folder = () => path.join(h.landingDir, pipeline.name);
const write = (name: string, lines: string[]) => writeFileSync(path.join(folder(), name), [COLUMNS, ...lines].join('\n') + '\n');
const good = (days: string[]) => days.flatMap((d) => [`Seattle,${d},1.0,10.0,5.0,3.0,rain`, `New York,${d},0.0,8.0,1.0,4.0,sun`]);
/** The same rows with US dates (01/02/2012): nothing parses as an ISO date. */
const usDates = (days: string[]) => good(days).map((l) => l.replace(/(\d{4})-(\d{2})-(\d{2})/, '$2/$3/$1'));

async function targetRows(): Promise<number> {
  const { rows } = await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM i16_unplaced_daily');
  return rows[0]?.n ?? 0;
}
async function ledger(key: string) {
  const { rows } = await h.pool.query(`SELECT status, rows_loaded, error_type, error FROM ledger WHERE pipeline = $1 AND partition_key = $2`, [pipeline.name, key]);
  return rows[0] as { status: string; rows_loaded: number; error_type: string | null; error: string | null } | undefined;
}
async function backfill(mode: 'missing' | 'stale' | 'force' | 'only-failed', from = '2012-01-01', to = '2012-01-03') {
  const { handle } = await startOrAttachBackfill(h.client, h.config, pipeline, { from, to, mode, concurrency: 2 });
  return handle.result();
}
const deps = () => ({ pool: h.pool, config: h.config, registry });

beforeAll(async () => {
  h = await createHarness({ registry });
  mkdirSync(folder(), { recursive: true });
});
afterAll(async () => h?.close());

describe('a re-run that can place no row', () => {
  it('loads the good file first', async () => {
    write('drop.csv', good(['2012-01-01', '2012-01-02']));
    const s = await backfill('missing');
    expect(s).toMatchObject({ done: 2, failed: 0 });
    expect(await targetRows()).toBe(4);
    expect(await unplacedTotals(h.pool, pipeline.name)).toEqual({ rows: 0, files: 0 });
  });

  it('fails --stale and --force instead of deleting the loaded rows, and says why', async () => {
    write('drop.csv', usDates(['2012-01-01', '2012-01-02']));
    for (const mode of ['stale', 'force'] as const) {
      const s = await backfill(mode);
      expect(s.failed).toBe(2);
      expect(s.done).toBe(0);
      expect(s.failures[0]?.error).toContain('could not be placed');
      expect(await targetRows()).toBe(4);
      const l = await ledger('2012-01-01');
      expect(l).toMatchObject({ status: 'failed', rows_loaded: 2, error_type: 'SourceRowsUnplaced' });
      expect(l?.error).toContain('drop.csv line 2');
      expect(l?.error).toContain('the 2 rows loaded before are kept');

      const unplaced = await unplacedTotals(h.pool, pipeline.name);
      expect(unplaced).toEqual({ rows: 4, files: 1 });
      const text = renderBackfillSummary(h.config, s, unplaced).join('\n');
      expect(text).toContain('FINISHED WITH FAILURES');
      expect(text).toContain('2 failed');
      expect(text).toContain('4 source rows in 1 file could not be placed in any partition');
    }
    const { map, output } = await pipelineStatus(deps(), pipeline.name, { from: '2012-01-01', to: '2012-01-03' });
    expect(map.counts).toMatchObject({ failed: 2, succeeded: 0 });
    expect(map.unplaced).toEqual({ rows: 4, files: 1 });
    expect(output).toContain('unplaced: 4 source rows in 1 file could not be placed in any partition');
    expect(output).not.toContain('up to date');
  });

  it('fails a never-loaded partition when a whole file could not be placed', async () => {
    await expect(h.run(pipeline.name, '2012-01-05')).rejects.toThrow(WorkflowFailedError);
    expect(await ledger('2012-01-05')).toMatchObject({ status: 'failed', error_type: 'SourceRowsUnplaced' });
  });
});

describe('unplaced rows follow the files', () => {
  it('clears them once the file is fixed and the partitions re-run', async () => {
    write('drop.csv', good(['2012-01-01', '2012-01-02']));
    const s = await backfill('only-failed'); // what status proposes for failed partitions
    expect(s).toMatchObject({ done: 2, failed: 0 });
    expect(await targetRows()).toBe(4);
    expect(await unplacedTotals(h.pool, pipeline.name)).toEqual({ rows: 0, files: 0 });
    const q = await quarantineReport(h.pool, pipeline, '2012-01-01');
    expect(q.unplaced?.total).toBe(0);
    const { output } = await pipelineStatus(deps(), pipeline.name, { from: '2012-01-01', to: '2012-01-03' });
    expect(output).not.toContain('unplaced:');
  });

  it('keeps a partly bad file loading, and forgets a removed file', async () => {
    write('extra.csv', [...good(['2012-01-03']), 'Boston,someday,1.0,10.0,5.0,3.0,rain']);
    const loaded = await h.run(pipeline.name, '2012-01-03');
    expect(loaded).toMatchObject({ rowsLoaded: 2, unplaced: 1 });
    // A legitimately empty partition is no failure: the file's other rows were placed.
    const empty = await h.run(pipeline.name, '2012-01-09');
    expect(empty).toMatchObject({ rowsLoaded: 0, unplaced: 1 });
    expect(await unplacedTotals(h.pool, pipeline.name)).toEqual({ rows: 1, files: 1 });
    const q = await quarantineReport(h.pool, pipeline, '2012-01-03');
    expect(q.unplaced?.rows.map((r) => [r.sourceFile, r.lineNo])).toEqual([['extra.csv', 4]]);

    rmSync(path.join(folder(), 'extra.csv'));
    await h.run(pipeline.name, '2012-01-02');
    expect(await unplacedTotals(h.pool, pipeline.name)).toEqual({ rows: 0, files: 0 });
  });
});
