/**
 * The landing-file catalog through real partitions (real Temporal, real PostgreSQL): a file is
 * parsed once per content change; partitions read only the files whose rows fall in their window;
 * the most recently modified file wins a duplicated key (ties: the name later in byte order);
 * changed content makes exactly the partitions it touched stale; a vanished file is reported and
 * stales its partitions; an unreadable file fails clearly without losing anything else.
 */
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { daily, definePipeline } from '../../core/pipeline';
import { ledgerRowState, SOURCE_CHANGED_SQL, type LedgerStateRow } from '../../core/plan';
import { createRegistry } from '../../core/registry';
import { filesForPartition, refreshCatalog } from '../../activities/catalog';
import { currentFingerprint } from '../../infra/fingerprint';
import { pipelineStatus } from '../../scripts/commands/status';
import { createHarness, type Harness } from './harness';

const readings = definePipeline({
  name: 'catalog_readings',
  description: 'one reading per station and day, from CSV drops',
  version: 1,
  partitioning: daily('2020-01-01'),
  params: {},
  source: { kind: 'csv-files', timeColumn: 'day', requiredColumns: ['station', 'day', 'value'] },
  schema: z.object({ station: z.string().min(1), day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), value: z.coerce.number() }),
  transform: (r) => ({ station: r.station, day: r.day, value: r.value }),
  target: { table: 'catalog_readings', columns: { station: 'text', day: 'date', value: 'double precision' }, key: ['station', 'day'] },
});

let h: Harness;
const folder = () => path.join(h.landingDir, readings.name);
const csv = (rows: [string, string, number][]) => ['station,day,value', ...rows.map((r) => r.join(','))].join('\n') + '\n';
const drop = (name: string, body: string, mtime?: Date) => {
  writeFileSync(path.join(folder(), name), body);
  if (mtime) utimesSync(path.join(folder(), name), mtime, mtime);
};
const valueOf = async (station: string, day: string) =>
  (await h.pool.query<{ value: number }>('SELECT value FROM catalog_readings WHERE station = $1 AND day = $2', [station, day])).rows[0]?.value;

async function states(keys: string[]): Promise<Record<string, string>> {
  const { rows } = await h.pool.query<LedgerStateRow & { partition_key: string }>(
    `SELECT partition_key, status, params_hash, code_version, ${SOURCE_CHANGED_SQL} FROM ledger WHERE pipeline = $1 AND partition_key = ANY($2::text[])`,
    [readings.name, keys],
  );
  const current = currentFingerprint(readings);
  return Object.fromEntries(keys.map((k) => [k, ledgerRowState(rows.find((r) => r.partition_key === k), current)]));
}

beforeAll(async () => {
  h = await createHarness({ registry: createRegistry([readings]) });
  mkdirSync(path.join(h.landingDir, readings.name), { recursive: true });
});

afterAll(async () => {
  await h?.close();
});

describe('file catalog', () => {
  it('records each file once (size, sha256, rows, time range, sorted) and gives a partition only the files of its window', async () => {
    drop('2020.csv', csv([['A', '2020-01-01', 1], ['B', '2020-01-01', 2], ['A', '2020-01-02', 3]]), new Date('2024-01-01T00:00:00Z'));
    drop('2021.csv', csv([['A', '2021-01-02', 5], ['A', '2021-01-01', 4]]), new Date('2024-01-02T00:00:00Z'));
    const first = await refreshCatalog(h.pool, readings, folder());
    expect(first).toMatchObject({ added: ['2020.csv', '2021.csv'], changed: [], failed: [], missing: [] });
    expect(first.touched).toEqual(['2020-01-01', '2020-01-02', '2021-01-01', '2021-01-02']);
    const { rows } = await h.pool.query(
      `SELECT file_name, size_bytes::int AS size, length(sha256) AS sha_len, format, status, row_count, unplaced_count,
              to_char(first_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS first, to_char(last_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS last, sorted_by_time
         FROM file_catalog WHERE pipeline = $1 ORDER BY file_name`,
      [readings.name],
    );
    expect(rows).toEqual([
      { file_name: '2020.csv', size: 63, sha_len: 64, format: 'csv', status: 'ok', row_count: 3, unplaced_count: 0, first: '2020-01-01', last: '2020-01-02', sorted_by_time: true },
      { file_name: '2021.csv', size: 48, sha_len: 64, format: 'csv', status: 'ok', row_count: 2, unplaced_count: 0, first: '2021-01-01', last: '2021-01-02', sorted_by_time: false },
    ]);
    // Nothing changed on disk: no file is parsed again.
    expect(await refreshCatalog(h.pool, readings, folder())).toMatchObject({ added: [], changed: [], unchanged: 2, touched: [] });
    // Sorted CSV: the partition reads the header (bytes 0-17), then from its first row (line 4, byte 48).
    expect(await filesForPartition(h.pool, readings.name, '2020-01-02')).toEqual([{ name: '2020.csv', sortedByTime: true, rows: 1, resume: { headerEnd: 18, byte: 48, line: 4 } }]);
    expect(await filesForPartition(h.pool, readings.name, '2021-01-01')).toEqual([{ name: '2021.csv', sortedByTime: false, rows: 1 }]);
    expect(await filesForPartition(h.pool, readings.name, '2022-01-01')).toEqual([]);
    const s = await h.run(readings.name, '2020-01-01');
    expect(s).toMatchObject({ rowsIn: 2, rowsLoaded: 2 });
    expect(await h.run(readings.name, '2020-01-02')).toMatchObject({ rowsIn: 1, rowsLoaded: 1 });
    // Read from the resume point, the row keeps its line number.
    expect(await h.run(readings.name, '2021-01-02')).toMatchObject({ rowsIn: 1, rowsLoaded: 1 });
  });

  it('an older drop never overwrites a newer one, whatever the names; equal times go to the name later in byte order', async () => {
    // z_old sorts last by name but was modified first: the newer a_new must win.
    drop('a_new.csv', csv([['P', '2020-02-01', 20]]), new Date('2024-03-02T00:00:00Z'));
    drop('z_old.csv', csv([['P', '2020-02-01', 10]]), new Date('2024-03-01T00:00:00Z'));
    expect(await h.run(readings.name, '2020-02-01')).toMatchObject({ rowsIn: 2, rowsLoaded: 1, rowsDeduplicated: 1 });
    expect(await valueOf('P', '2020-02-01')).toBe(20);
    // Same modification time: "b.csv" > "B.csv" in byte order (a case-insensitive collation would say otherwise).
    const t = new Date('2024-03-03T00:00:00Z');
    drop('b.csv', csv([['Q', '2020-02-02', 2]]), t);
    drop('B.csv', csv([['Q', '2020-02-02', 1]]), t);
    expect(await filesForPartition(h.pool, readings.name, '2020-02-02').catch(() => [])).toEqual([]); // not scanned yet
    await h.run(readings.name, '2020-02-02');
    expect((await filesForPartition(h.pool, readings.name, '2020-02-02')).map((f) => f.name)).toEqual(['B.csv', 'b.csv']);
    expect(await valueOf('Q', '2020-02-02')).toBe(2);
  });

  it('changed content makes exactly the partitions it touched stale (before and after); identical content changes nothing', async () => {
    drop('march.csv', csv([['M', '2020-03-01', 1], ['M', '2020-03-02', 2], ['M', '2020-03-03', 3]]), new Date('2024-04-01T00:00:00Z'));
    for (const d of ['2020-03-01', '2020-03-02', '2020-03-03', '2020-03-04']) await h.run(readings.name, d);
    expect(await states(['2020-03-01', '2020-03-02', '2020-03-03', '2020-03-04'])).toEqual({
      '2020-03-01': 'succeeded',
      '2020-03-02': 'succeeded',
      '2020-03-03': 'succeeded',
      '2020-03-04': 'succeeded',
    });
    // Re-dropping the same bytes (new modification time) changes nothing.
    drop('march.csv', csv([['M', '2020-03-01', 1], ['M', '2020-03-02', 2], ['M', '2020-03-03', 3]]), new Date('2024-04-05T00:00:00Z'));
    expect(await refreshCatalog(h.pool, readings, folder())).toMatchObject({ changed: [], unchanged: expect.any(Number), touched: [] });
    // Day 2's value changes and day 3's row moves to day 4: days 2, 3 and 4 are stale, day 1 is not.
    drop('march.csv', csv([['M', '2020-03-01', 1], ['M', '2020-03-02', 22], ['M', '2020-03-04', 3]]), new Date('2024-04-06T00:00:00Z'));
    const changes = await refreshCatalog(h.pool, readings, folder());
    expect(changes).toMatchObject({ changed: ['march.csv'], touched: ['2020-03-02', '2020-03-03', '2020-03-04'] });
    expect(await states(['2020-03-01', '2020-03-02', '2020-03-03', '2020-03-04'])).toEqual({
      '2020-03-01': 'succeeded',
      '2020-03-02': 'stale',
      '2020-03-03': 'stale',
      '2020-03-04': 'stale',
    });
    const { rows } = await h.pool.query('SELECT source_change FROM ledger WHERE pipeline = $1 AND partition_key = $2', [readings.name, '2020-03-02']);
    expect(rows[0]?.source_change).toBe('march.csv changed');
    // Re-running them settles them, with the new content.
    for (const d of ['2020-03-02', '2020-03-03', '2020-03-04']) await h.run(readings.name, d);
    expect(await states(['2020-03-02', '2020-03-03', '2020-03-04'])).toEqual({ '2020-03-02': 'succeeded', '2020-03-03': 'succeeded', '2020-03-04': 'succeeded' });
    expect(await valueOf('M', '2020-03-02')).toBe(22);
    expect(await valueOf('M', '2020-03-03')).toBeUndefined();
  });

  it('a file that disappears is reported missing and stales its partitions, which keep their rows until re-run', async () => {
    drop('april.csv', csv([['R', '2020-04-01', 7]]), new Date('2024-05-01T00:00:00Z'));
    await h.run(readings.name, '2020-04-01');
    rmSync(path.join(folder(), 'april.csv'));
    expect(await refreshCatalog(h.pool, readings, folder())).toMatchObject({ missing: ['april.csv'], touched: ['2020-04-01'] });
    const { rows } = await h.pool.query('SELECT status, last_seen IS NOT NULL AS seen FROM file_catalog WHERE pipeline = $1 AND file_name = $2', [readings.name, 'april.csv']);
    expect(rows).toEqual([{ status: 'missing', seen: true }]);
    expect(await states(['2020-04-01'])).toEqual({ '2020-04-01': 'stale' });
    const { output } = await pipelineStatus({ pool: h.pool, config: h.config, registry: createRegistry([readings]) }, readings.name, { from: '2020-04-01', to: '2020-04-02' });
    expect(output).toContain('missing    april.csv (last seen');
    expect(output).toMatch(/landing files: \d+ ok .* 1 missing/);
    expect(await valueOf('R', '2020-04-01')).toBe(7);
    expect(await h.run(readings.name, '2020-04-01')).toMatchObject({ rowsIn: 0, rowsLoaded: 0 });
    expect(await valueOf('R', '2020-04-01')).toBeUndefined();
  });

  it('an unreadable new file fails partitions naming it (its range is unknown) and loses nothing else; removed, all loads again', async () => {
    drop('broken.csv', 'station,day,value\nS,2020-05-01,"unclosed\n', new Date('2024-06-01T00:00:00Z'));
    const err = await h.run(readings.name, '2020-05-01').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(/broken.csv line \d+: unreadable CSV/);
    const { rows } = await h.pool.query('SELECT status, error FROM file_catalog WHERE pipeline = $1 AND file_name = $2', [readings.name, 'broken.csv']);
    expect(rows[0]).toMatchObject({ status: 'failed' });
    expect(rows[0]?.error).toMatch(/broken.csv line \d+: unreadable CSV/);
    // Loaded partitions keep their rows.
    expect(await valueOf('A', '2020-01-01')).toBe(1);
    rmSync(path.join(folder(), 'broken.csv'));
    drop('may.csv', csv([['S', '2020-05-01', 9]]), new Date('2024-06-02T00:00:00Z'));
    expect(await h.run(readings.name, '2020-05-01')).toMatchObject({ rowsIn: 1, rowsLoaded: 1 });
  });
});
