/**
 * Pure parts of the landing-file path: the precedence tie-break (byte order, not locale), default
 * file patterns per format, dot paths into nested records, Excel cell values, and the definition
 * rules for formats, sensors and row keys.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { byteOrder } from '../../activities/catalog';
import { filePattern, valueAt } from '../../activities/sources/landing-files';
import { cellValue } from '../../activities/sources/xlsx-files';
import { daily, definePipeline, type CsvFilesSource, type Target } from '../../core/pipeline';

const base = {
  name: 'lf',
  description: 'x',
  version: 1,
  partitioning: daily('2024-01-01'),
  params: {},
  schema: z.object({ a: z.string() }),
  transform: (r: { a: string }) => ({ a: r.a }),
};
const src = (extra: Partial<CsvFilesSource>): CsvFilesSource => ({ kind: 'csv-files', timeColumn: 't', requiredColumns: [], ...extra });
const target = (extra: Partial<Target> = {}): Target => ({ table: 'lf', columns: { a: 'text' }, key: ['a'], ...extra });

describe('landing files', () => {
  it('breaks precedence ties by UTF-8 byte order, whatever the locale', () => {
    const names = ['b.csv', 'B.csv', 'é.csv', 'a.csv', 'Z.csv'];
    expect([...names].sort(byteOrder)).toEqual(['B.csv', 'Z.csv', 'a.csv', 'b.csv', 'é.csv']);
    expect(['b.csv', 'B.csv'].sort((x, y) => x.localeCompare(y))).toEqual(['b.csv', 'B.csv']); // what a collation would do
  });

  it('picks files by the format’s extensions unless a pattern is declared', () => {
    expect(filePattern(src({})).test('x.CSV')).toBe(true);
    expect(filePattern(src({ format: 'json' })).test('x.json')).toBe(true);
    expect(filePattern(src({ format: 'ndjson' })).test('x.jsonl')).toBe(true);
    expect(filePattern(src({ format: 'ndjson' })).test('x.json')).toBe(false);
    expect(filePattern(src({ format: 'xlsx' })).test('hr.xlsx')).toBe(true);
    expect(filePattern(src({ format: 'xlsx' })).test('~$hr.xlsx')).toBe(false); // Excel's lock file
    expect(filePattern(src({ format: 'json', filePattern: /^p-.*\.txt$/ })).test('p-1.txt')).toBe(true);
  });

  it('reads a time column by exact name first, then as a dot path', () => {
    expect(valueAt({ 'meta.ts': 'flat', meta: { ts: 'nested' } }, 'meta.ts')).toBe('flat');
    expect(valueAt({ meta: { ts: 'nested' } }, 'meta.ts')).toBe('nested');
    expect(valueAt({ meta: null }, 'meta.ts')).toBeUndefined();
  });

  it('turns Excel cells into values: dates as wall-clock text, formulas as cached results, rich text and links as text', () => {
    expect(cellValue(new Date(Date.UTC(2024, 0, 5)))).toBe('2024-01-05');
    expect(cellValue(new Date(Date.UTC(2024, 0, 5, 13, 30)))).toBe('2024-01-05T13:30:00');
    expect(cellValue({ formula: 'A1*2', result: 12.5 })).toBe(12.5);
    expect(cellValue({ formula: 'A1', result: { error: '#N/A' } } as never)).toBe('#N/A');
    expect(cellValue({ formula: 'NOW()' } as never)).toBeNull();
    expect(cellValue({ richText: [{ text: 'Zü' }, { text: 'rich' }] })).toBe('Zürich');
    expect(cellValue({ text: 'site', hyperlink: 'https://example.org' })).toBe('site');
    expect(cellValue(null)).toBeNull();
  });

  it('refuses inconsistent file-source and row-key declarations at definition time', () => {
    const def = (source: CsvFilesSource, t: Target = target()) => () => definePipeline({ ...base, source, target: t });
    expect(def(src({ format: 'json', jsonPath: 'data.items' }))).not.toThrow();
    expect(def(src({ format: 'xml' as never }))).toThrow(/source.format must be one of csv, json, ndjson, xlsx/);
    expect(def(src({ jsonPath: 'data' }))).toThrow(/jsonPath applies to format "json" only/);
    expect(def(src({ format: 'json', jsonPath: 'data..items' }))).toThrow(/must be dot-separated names/);
    expect(def(src({ sheet: 'Export' }))).toThrow(/apply to format "xlsx" only/);
    expect(def(src({ format: 'xlsx', headerRow: 0 }))).toThrow(/headerRow must be a positive integer/);
    expect(def(src({ sensorIntervalSeconds: 0.5 }))).toThrow(/sensorIntervalSeconds must be at least 1/);
    expect(def(src({}), target({ key: [] }))).toThrow(/target.key must name at least one column \(or set target.rowKey/);
    expect(def(src({}), target({ key: [], rowKey: 'source-position' }))).not.toThrow();
    expect(def(src({}), target({ rowKey: 'none' }))).toThrow(/target.key must be empty with target.rowKey 'none'/);
    expect(def(src({}), target({ key: [], rowKey: 'none', columns: { a: 'text', dp_line_no: 'integer' } }))).toThrow(/column dp_line_no is reserved/);
    expect(() => definePipeline({ ...base, source: src({}), target: target(), minRejectedRows: 0 })).toThrow(/minRejectedRows must be a positive integer/);
  });
});

describe('line start offsets (where a sorted CSV partition is resumed)', () => {
  it('counts CRLF, LF and lone CR as one line break each, like the CSV reader', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { lineStartOffsets } = await import('../../activities/catalog');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dp-lines-'));
    try {
      const file = path.join(dir, 'x.csv');
      writeFileSync(file, 'h\r\nab\ncd\re\r\n\r\nlast');
      const m = await lineStartOffsets(file, [1, 2, 3, 4, 5, 6]);
      expect(Object.fromEntries(m)).toEqual({ 1: 0, 2: 3, 3: 6, 4: 9, 5: 12, 6: 14 });
      const big = 'x'.repeat(65_532); // the CR is the last byte of the first 64 KiB chunk
      writeFileSync(file, `h\r\n${big}\r\nz\n`); // a CRLF across the 64 KiB read boundary is still one break
      expect(Object.fromEntries(await lineStartOffsets(file, [3]))).toEqual({ 3: 3 + big.length + 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
