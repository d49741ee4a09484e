/**
 * The catalog's byte-level scan of plain CSV files (activities/catalog-plain-scan.ts): rows, first
 * line and first byte per partition, time range, sortedness — checked against offsets computed from
 * the file's own text — and what makes it give the file to the general scan.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { daily, definePipeline } from '../../core/pipeline';
import { scanPlainCsv } from '../../activities/catalog-plain-scan';

const def = definePipeline({
  name: 'plain_scan',
  description: 'test',
  version: 1,
  partitioning: daily('2020-01-01'),
  params: {},
  source: { kind: 'csv-files', timeColumn: 'day', requiredColumns: ['station', 'day', 'value'] },
  schema: z.object({ station: z.string(), day: z.string(), value: z.string() }),
  transform: (r) => r,
  target: { table: 'plain_scan', columns: { station: 'text', day: 'date', value: 'text' }, key: ['station', 'day'] },
});
const src = def.source as Extract<typeof def.source, { kind: 'csv-files' }>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'plain-scan-'));
let n = 0;
const scan = (text: string | Buffer) => {
  const file = path.join(dir, `f${n++}.csv`);
  writeFileSync(file, text);
  return scanPlainCsv(def, src, file);
};

describe('plain CSV catalog scan', () => {
  it('a sorted file: rows, first line and first byte of each day, time range (LF and CRLF, BOM, blank lines)', async () => {
    for (const eol of ['\n', '\r\n']) {
      const lines = ['\uFEFFstation,day,value', 'a,2020-01-01,1', 'b,2020-01-01,2', '', 'a,2020-01-02,3', 'b,2020-01-03,4', 'c,2020-01-03,5'];
      const text = lines.join(eol) + eol;
      const s = await scan(text);
      const at = (line: number) => Buffer.byteLength(lines.slice(0, line - 1).map((l) => l + eol).join(''), 'utf8');
      expect(s).toBeDefined();
      expect(s!.rows).toBe(5);
      expect(s!.sorted).toBe(true);
      expect(s!.firstMs).toBe(Date.UTC(2020, 0, 1));
      expect(s!.lastMs).toBe(Date.UTC(2020, 0, 3));
      expect(s!.headerEnd).toBe(at(2));
      expect([...s!.partitions].map(([k, p]) => [k, p.rows, p.firstLine, p.firstByte])).toEqual([
        ['2020-01-01', 2, 2, at(2)],
        ['2020-01-02', 1, 5, at(5)],
        ['2020-01-03', 2, 6, at(6)],
      ]);
    }
  });

  it('an unsorted file: no offsets; checksums change exactly with a partition’s lines or their positions', async () => {
    const base = ['station,day,value', 'a,2020-01-02,1', 'a,2020-01-01,2', 'b,2020-01-02,3'];
    const s = (await scan(base.join('\n')))!;
    expect(s.sorted).toBe(false);
    expect([...s.partitions].map(([k, p]) => [k, p.rows, p.firstLine, p.firstByte])).toEqual([
      ['2020-01-02', 2, undefined, undefined],
      ['2020-01-01', 1, undefined, undefined],
    ]);
    const changed = (await scan([...base.slice(0, 3), 'b,2020-01-02,9'].join('\n')))!;
    expect(changed.partitions.get('2020-01-01')!.sha256).toBe(s.partitions.get('2020-01-01')!.sha256);
    expect(changed.partitions.get('2020-01-02')!.sha256).not.toBe(s.partitions.get('2020-01-02')!.sha256);
    const moved = (await scan(['station,day,value', 'z,2020-01-03,0', ...base.slice(1)].join('\n')))!;
    expect(moved.partitions.get('2020-01-01')!.sha256).not.toBe(s.partitions.get('2020-01-01')!.sha256);
  });

  it('gives the file to the general scan when it has quotes, a bad time, a short row, a lone CR or a missing column', async () => {
    for (const text of [
      'station,day,value\n"a",2020-01-01,1\n',
      'station,day,value\na,2020-13-01,1\n',
      'station,day,value\na,2019-12-31,1\n',
      'station,day,value\na,2020-01-01\n',
      'station,day,value\ra,2020-01-01,1\r',
      'station,value\na,1\n',
      'station,day,day,value\na,2020-01-01,2020-01-01,1\n',
      Buffer.concat([Buffer.from('station,day,value\na,2020-01-01,'), Buffer.from([0xff]), Buffer.from('\n')]),
    ]) {
      expect(await scan(text), JSON.stringify(text)).toBeUndefined();
    }
  });
});
