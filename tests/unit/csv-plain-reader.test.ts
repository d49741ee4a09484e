/**
 * The quote-free CSV reader (activities/sources/csv-files.ts) gives exactly what csv-parse gives:
 * the same records, fields, line numbers, unplaced rows and file scans, for generated files mixing
 * CRLF, LF and lone CR line ends, empty lines, a BOM, multi-byte text, ragged rows, other
 * delimiters, resumed reads and sorted files cut at the window's end. Files holding a quote
 * character still go through csv-parse (same result either way).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readCsvFiles, type CsvReadContext, type CsvResumePoint, type FileScan } from '../../activities/sources/csv-files';
import { lineStartOffsets } from '../../activities/catalog';
import { partitionWindow } from '../../core/partition';
import type { CsvFilesSource, SourceRecord } from '../../core/pipeline';
import { mulberry32 } from '../../core/seeded-random';

let root: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'datapulse-csv-plain-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const rng = mulberry32;

const VALUES = ['', ' ', 'Zürich', '東京', '12.5', '-3', 'x y', '🌧', "it's", 'a;b', 'tab\there', 'é'];

/** A quote-free CSV file: header, then rows over three days, with random line ends and oddities. */
function generate(seed: number, delimiter: string, sortedByDay: boolean, minRows = 20): string {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ends = ['\n', '\r\n', '\r'];
  let out = r() < 0.3 ? '\uFEFF' : '';
  if (r() < 0.2) out += pick(ends);
  out += ['station', 'ts', 'value', 'note'].join(delimiter) + pick(ends);
  const rows = minRows + Math.floor(r() * 60);
  for (let i = 0; i < rows; i++) {
    const day = sortedByDay ? 1 + Math.floor((i * 3) / rows) : 1 + Math.floor(r() * 3);
    const ts = r() < 0.05 ? 'not-a-time' : `2024-05-0${day}T${String(Math.floor(r() * 24)).padStart(2, '0')}:00`;
    let fields = [`s${i}`, ts, pick(VALUES), pick(VALUES)].map((f) => f.split(delimiter).join(' '));
    if (r() < 0.1) fields = fields.slice(0, 2 + Math.floor(r() * 2)); // too few fields
    if (r() < 0.05) fields.push('extra');
    out += fields.join(delimiter);
    if (r() < 0.1) out += pick(ends); // an empty line
    if (i < rows - 1 || r() < 0.7) out += pick(ends);
  }
  return out;
}

interface Outcome {
  records: SourceRecord[];
  unplaced: unknown[];
  scans: FileScan[];
}

async function readWith(reader: 'auto' | 'csv-parse', folder: string, src: CsvFilesSource, day: string, extra: Partial<CsvReadContext> = {}): Promise<Outcome> {
  const out: Outcome = { records: [], unplaced: [], scans: [] };
  const ctx: CsvReadContext = {
    folder,
    heartbeat: () => undefined,
    onUnplaced: (u) => void out.unplaced.push(u),
    onFileScanned: (s) => void out.scans.push(s),
    reader,
    ...extra,
  };
  for await (const rec of readCsvFiles(src, partitionWindow('daily', day), ctx)) out.records.push(rec);
  return out;
}

describe('quote-free CSV reader', () => {
  for (const delimiter of [',', ';', '\t', '||']) {
    it(`reads 40 generated files exactly as csv-parse does (delimiter ${JSON.stringify(delimiter)})`, async () => {
      for (let seed = 1; seed <= 40; seed++) {
        const folder = path.join(root, `f${++n}`);
        await mkdir(folder);
        const text = generate(seed * 97 + delimiter.length, delimiter, false);
        await writeFile(path.join(folder, 'a.csv'), text);
        const src: CsvFilesSource = { kind: 'csv-files', timeColumn: 'ts', requiredColumns: ['station', 'ts'], delimiter };
        for (const day of ['2024-05-01', '2024-05-02']) {
          const plain = await readWith('auto', folder, src, day);
          const parsed = await readWith('csv-parse', folder, src, day);
          expect(plain, `seed ${seed} day ${day}`).toEqual(parsed);
          expect(parsed.records.length + parsed.unplaced.length).toBeGreaterThan(0);
        }
      }
    });
  }

  it('reads files spanning many read chunks (line ends and characters split across chunks) as csv-parse does', async () => {
    for (let seed = 1; seed <= 2; seed++) {
      const folder = path.join(root, `big${++n}`);
      await mkdir(folder);
      await writeFile(path.join(folder, 'a.csv'), generate(seed * 7, ',', false, 12_000));
      const src: CsvFilesSource = { kind: 'csv-files', timeColumn: 'ts', requiredColumns: ['station', 'ts'] };
      const plain = await readWith('auto', folder, src, '2024-05-03');
      expect(plain.records.length).toBeGreaterThan(3000);
      expect(plain, `seed ${seed}`).toEqual(await readWith('csv-parse', folder, src, '2024-05-03'));
    }
  });

  it('resumes a sorted file at a line and stops at the window end exactly as csv-parse does', async () => {
    let resumed = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const folder = path.join(root, `r${++n}`);
      await mkdir(folder);
      const text = generate(seed * 31, ',', true);
      const full = path.join(folder, 'a.csv');
      await writeFile(full, text);
      const src: CsvFilesSource = { kind: 'csv-files', timeColumn: 'ts', requiredColumns: ['station', 'ts'] };
      // Where day 2's first row starts (as the catalog records it), from a full read.
      const all = await readWith('csv-parse', folder, src, '2024-05-02');
      const first = all.records[0];
      // The header ends where the file's first data row starts (placed or not), as in the catalog.
      const day1 = await readWith('csv-parse', folder, src, '2024-05-01');
      const firstData = Math.min(...[...day1.records, ...(day1.unplaced as SourceRecord[])].map((r) => r.lineNo));
      if (!first || !Number.isFinite(firstData) || first.lineNo === firstData) continue;
      const offsets = await lineStartOffsets(full, [firstData, first.lineNo]);
      const resume: CsvResumePoint = { headerEnd: offsets.get(firstData)!, byte: offsets.get(first.lineNo)!, line: first.lineNo };
      const extra = { resume: new Map([['a.csv', resume]]), sortedFiles: new Set(['a.csv']) };
      const plain = await readWith('auto', folder, src, '2024-05-02', extra);
      const parsed = await readWith('csv-parse', folder, src, '2024-05-02', extra);
      expect(plain, `seed ${seed}`).toEqual(parsed);
      // Sorted by day: the resumed read finds the day's rows on the lines a full read finds them.
      expect(plain.records.map((r) => r.lineNo)).toEqual(all.records.map((r) => r.lineNo));
      resumed++;
    }
    expect(resumed).toBeGreaterThan(20);
  });

  it('leaves files with a quote character to csv-parse (quoted newlines keep their start line)', async () => {
    const folder = path.join(root, `q${++n}`);
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.csv'), 'station,ts,note\ns1,2024-05-01T01:00,"two\nlines"\ns2,2024-05-01T02:00,plain\n');
    const src: CsvFilesSource = { kind: 'csv-files', timeColumn: 'ts', requiredColumns: ['station', 'ts'] };
    const auto = await readWith('auto', folder, src, '2024-05-01');
    expect(auto.records.map((r) => [r.lineNo, r.record.note])).toEqual([
      [2, 'two\nlines'],
      [4, 'plain'],
    ]);
    expect(auto).toEqual(await readWith('csv-parse', folder, src, '2024-05-01'));
  });
});
