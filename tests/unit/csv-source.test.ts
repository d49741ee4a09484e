/**
 * The csv-files source reader (activities/sources/csv-files.ts): ISO time parsing, keeping only the
 * rows of the partition window with their file line numbers, CSV dialect details (BOM, CRLF,
 * quoted newlines), unplaced and malformed rows, and the non-retryable failures for bad files and
 * a missing landing folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ROW_ERROR_FIELD, listSourceFiles, parseTimeValue, readCsvFiles, type CsvReadContext } from '../../activities/sources/csv-files';
import { FailureType } from '../../core/failure-types';
import { partitionWindow, type PartitionWindow } from '../../core/partition';
import type { CsvFilesSource, SourceRecord } from '../../core/pipeline';

const COLUMNS = ['location', 'date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather'];
const HEADER = COLUMNS.join(',');

const SRC: CsvFilesSource = { kind: 'csv-files', timeColumn: 'date', requiredColumns: COLUMNS };

/** 2012-01-02, the daily partition most tests read. */
const JAN2: PartitionWindow = partitionWindow('daily', '2012-01-02');

type Unplaced = Parameters<CsvReadContext['onUnplaced']>[0];

let root: string;
let dirCount = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'datapulse-csv-source-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh landing folder holding the given files. */
async function landing(files: Record<string, string | Buffer>): Promise<string> {
  const dir = path.join(root, `landing-${++dirCount}`);
  await mkdir(dir);
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  return dir;
}

interface ReadResult {
  records: SourceRecord[];
  unplaced: Unplaced[];
  heartbeats: unknown[];
}

async function read(folder: string, window: PartitionWindow = JAN2, src: CsvFilesSource = SRC): Promise<ReadResult> {
  const unplaced: Unplaced[] = [];
  const heartbeats: unknown[] = [];
  const ctx: CsvReadContext = { folder, heartbeat: (d) => heartbeats.push(d), onUnplaced: (row) => unplaced.push(row) };
  const records: SourceRecord[] = [];
  for await (const r of readCsvFiles(src, window, ctx)) records.push(r);
  return { records, unplaced, heartbeats };
}

/** Reads, expects a failure, and checks it is a non-retryable ApplicationFailure of `type`. */
async function readFailure(folder: string, type: string, src: CsvFilesSource = SRC): Promise<ApplicationFailure> {
  let err: unknown;
  try {
    await read(folder, JAN2, src);
  } catch (e) {
    err = e;
  }
  expect(err, 'reading should have failed').toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.nonRetryable).toBe(true);
  expect(failure.type).toBe(type);
  return failure;
}

function row(date: string, extra: Partial<Record<string, string>> = {}): string {
  const r: Record<string, string> = {
    location: 'Seattle',
    date,
    precipitation: '0.0',
    temp_max: '12.8',
    temp_min: '5.0',
    wind: '4.7',
    weather: 'drizzle',
    ...extra,
  };
  return COLUMNS.map((c) => r[c]).join(',');
}

// --------------------------------------------------------------- parseTimeValue --

describe('parseTimeValue', () => {
  it.each([
    ['2012-01-01', Date.UTC(2012, 0, 1)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2012-01-01T13:45', Date.UTC(2012, 0, 1, 13, 45)],
    ['2012-01-01T13:45:30', Date.UTC(2012, 0, 1, 13, 45, 30)],
    ['2012-01-01T13:45:30.250', Date.UTC(2012, 0, 1, 13, 45, 30, 250)],
    ['2012-01-01T13:45Z', Date.UTC(2012, 0, 1, 13, 45)],
    ['2012-01-01T13:45:30Z', Date.UTC(2012, 0, 1, 13, 45, 30)],
    ['2012-01-01 13:45', Date.UTC(2012, 0, 1, 13, 45)],
    ['2012-01-01T13:45+02:00', Date.UTC(2012, 0, 1, 11, 45)],
    ['2012-01-01T13:45:00-05:00', Date.UTC(2012, 0, 1, 18, 45)],
    ['2012-01-01T01:00+0200', Date.UTC(2011, 11, 31, 23, 0)],
    [' 2012-01-01 ', Date.UTC(2012, 0, 1)],
  ])('parses %j (UTC unless an offset is given)', (input, ms) => {
    expect(parseTimeValue(input)).toBe(ms);
  });

  it.each(['01/02/2012', '2012-02-30', '2013-02-29', '2012-13-01', '2012-1-1', '20120101', '', '   ', 'yesterday', '2012-01-01T', '2012-01-01T25:00', '2012-01-01T13', '2012-01-01T13:45 PST'])(
    'rejects %j',
    (input) => {
      expect(parseTimeValue(input)).toBeUndefined();
    },
  );

  it.each([null, undefined, 20120101, Date.UTC(2012, 0, 1), new Date(Date.UTC(2012, 0, 1)), {}, ['2012-01-01']])('rejects the non-string %j', (input) => {
    expect(parseTimeValue(input)).toBeUndefined();
  });
});

// ------------------------------------------------------------------ readCsvFiles --

describe('readCsvFiles: window and line numbers', () => {
  it('keeps only the rows of the window, with 1-based line numbers (header is line 1)', async () => {
    const folder = await landing({
      'seattle.csv': [HEADER, row('2012-01-01'), row('2012-01-02', { weather: 'rain' }), row('2012-01-03'), row('2012-01-02', { location: 'New York' }), ''].join('\n'),
    });
    const { records, unplaced } = await read(folder);
    expect(unplaced).toEqual([]);
    expect(records.map((r) => [r.sourceFile, r.lineNo, r.record.location, r.record.weather])).toEqual([
      ['seattle.csv', 3, 'Seattle', 'rain'],
      ['seattle.csv', 5, 'New York', 'drizzle'],
    ]);
    expect(records[0]?.record).toEqual({
      location: 'Seattle',
      date: '2012-01-02',
      precipitation: '0.0',
      temp_max: '12.8',
      temp_min: '5.0',
      wind: '4.7',
      weather: 'rain',
    });
  });

  it('uses the half-open window: the end instant belongs to the next partition', async () => {
    const folder = await landing({
      'times.csv': [
        HEADER,
        row('2012-01-01T23:59:59'), // line 2: previous day
        row('2012-01-02T00:00'), // line 3: first instant
        row('2012-01-02T23:59:59.999Z'), // line 4: last instant
        row('2012-01-03T00:00:00Z'), // line 5: window end, excluded
        row('2012-01-02T01:00+02:00'), // line 6: 2012-01-01T23:00Z, excluded
        row('2012-01-03T01:00+02:00'), // line 7: 2012-01-02T23:00Z, included
      ].join('\n'),
    });
    const { records } = await read(folder);
    expect(records.map((r) => r.lineNo)).toEqual([3, 4, 7]);
  });

  it('reads hourly windows too', async () => {
    const folder = await landing({
      'h.csv': [HEADER, row('2012-01-02T12:59'), row('2012-01-02T13:00'), row('2012-01-02T13:30'), row('2012-01-02T14:00')].join('\n'),
    });
    const { records } = await read(folder, partitionWindow('hourly', '2012-01-02T13'));
    expect(records.map((r) => r.lineNo)).toEqual([3, 4]);
  });

  it('counts skipped blank lines in line numbers', async () => {
    const folder = await landing({ 'blank.csv': [HEADER, '', row('2012-01-02'), '', '', row('2012-01-02'), ''].join('\n') });
    const { records } = await read(folder);
    expect(records.map((r) => r.lineNo)).toEqual([3, 6]);
  });

  it('reads every matching file, in name order, and heartbeats after each', async () => {
    const folder = await landing({
      'b.csv': [HEADER, row('2012-01-02', { location: 'B' })].join('\n'),
      'a.CSV': [HEADER, row('2012-01-02', { location: 'A' })].join('\n'),
      'notes.txt': 'not a csv',
      'c.csv.bak': [HEADER, row('2012-01-02', { location: 'C' })].join('\n'),
    });
    await mkdir(path.join(folder, 'dir.csv'));
    const { records, heartbeats } = await read(folder);
    expect(records.map((r) => [r.sourceFile, r.record.location])).toEqual([
      ['a.CSV', 'A'],
      ['b.csv', 'B'],
    ]);
    expect(heartbeats).toEqual([{ file: 'a.CSV' }, { file: 'b.csv' }]);
    expect(await listSourceFiles(SRC, folder)).toEqual(['a.CSV', 'b.csv']);
  });

  it('honours filePattern and delimiter', async () => {
    const folder = await landing({
      'drop-1.tsv': [COLUMNS.join('\t'), row('2012-01-02').replaceAll(',', '\t')].join('\n'),
      'other.csv': [HEADER, row('2012-01-02')].join('\n'),
    });
    const { records } = await read(folder, JAN2, { ...SRC, filePattern: /\.tsv$/, delimiter: '\t' });
    expect(records).toHaveLength(1);
    expect(records[0]?.sourceFile).toBe('drop-1.tsv');
    expect(records[0]?.record.weather).toBe('drizzle');
  });

  it('yields nothing for an empty folder', async () => {
    const folder = await landing({});
    expect((await read(folder)).records).toEqual([]);
  });
});

describe('readCsvFiles: CSV dialect', () => {
  it('handles a UTF-8 BOM (the first column name is not polluted)', async () => {
    const folder = await landing({
      'bom.csv': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([HEADER, row('2012-01-02')].join('\n'))]),
    });
    const { records } = await read(folder);
    expect(records).toHaveLength(1);
    expect(Object.keys(records[0]!.record)).toEqual(COLUMNS);
    expect(records[0]?.record.location).toBe('Seattle');
    expect(records[0]?.lineNo).toBe(2);
  });

  it('handles CRLF line endings (no trailing \\r in the last field)', async () => {
    const folder = await landing({ 'crlf.csv': [HEADER, row('2012-01-01'), row('2012-01-02'), row('2012-01-02', { weather: 'sun' }), ''].join('\r\n') });
    const { records } = await read(folder);
    expect(records.map((r) => [r.lineNo, r.record.weather])).toEqual([
      [3, 'drizzle'],
      [4, 'sun'],
    ]);
  });

  it('handles quoted fields with embedded delimiters, quotes and newlines', async () => {
    const folder = await landing({
      'quoted.csv': [
        HEADER, // line 1
        `"Seattle, WA",2012-01-02,0.0,12.8,5.0,4.7,"drizzle"`, // line 2
        `"New\nYork",2012-01-02,0.0,12.8,5.0,4.7,"say ""sun"""`, // lines 3-4
        row('2012-01-02', { location: 'Boston' }), // line 5
      ].join('\n'),
    });
    const { records } = await read(folder);
    expect(records.map((r) => r.record.location)).toEqual(['Seattle, WA', 'New\nYork', 'Boston']);
    expect(records[1]?.record.weather).toBe('say "sun"');
    // Records after a multi-line one keep their true line numbers.
    expect(records[0]?.lineNo).toBe(2);
    expect(records[2]?.lineNo).toBe(5);
  });

  it('numbers a record with an embedded newline by the line it starts on', async () => {
    const folder = await landing({
      'multiline.csv': [HEADER, `"New\nYork",2012-01-02,0.0,12.8,5.0,4.7,rain`, row('2012-01-02')].join('\n'),
    });
    const { records } = await read(folder);
    expect(records.map((r) => r.lineNo)).toEqual([2, 4]);
  });
});

describe('readCsvFiles: unplaced and malformed rows', () => {
  it('reports rows with an unparseable date through onUnplaced and does not yield them', async () => {
    const folder = await landing({
      'dates.csv': [HEADER, row('01/02/2012'), row('2012-01-02'), row('2012-02-30'), row(''), row('2012-01-02')].join('\n'),
    });
    const { records, unplaced } = await read(folder);
    expect(records.map((r) => r.lineNo)).toEqual([3, 6]);
    expect(unplaced.map((u) => [u.sourceFile, u.lineNo, u.record.date])).toEqual([
      ['dates.csv', 2, '01/02/2012'],
      ['dates.csv', 4, '2012-02-30'],
      ['dates.csv', 5, ''],
    ]);
    for (const u of unplaced) {
      expect(u.reason).toContain('date');
      expect(u.reason).toContain('not an ISO date');
      expect(u.record.location).toBe('Seattle');
    }
    expect(unplaced[0]?.reason).toContain('01/02/2012');
  });

  it('reports rows dated before the pipeline\'s first partition as unplaced', async () => {
    const folder = await landing({ 'early.csv': [HEADER, row('2011-12-31'), row('2012-01-02')].join('\n') });
    const unplaced: Unplaced[] = [];
    const ctx: CsvReadContext = {
      folder,
      heartbeat: () => undefined,
      onUnplaced: (r) => unplaced.push(r),
      firstPartitionStartMs: Date.parse('2012-01-01T00:00:00Z'),
    };
    const records: SourceRecord[] = [];
    for await (const r of readCsvFiles(SRC, JAN2, ctx)) records.push(r);
    expect(records.map((r) => r.lineNo)).toEqual([3]);
    expect(unplaced.map((u) => [u.lineNo, u.record.date])).toEqual([[2, '2011-12-31']]);
    expect(unplaced[0]?.reason).toContain("before the pipeline's first partition");
  });

  it('reports unplaced rows even when they are outside every window (they are never dropped silently)', async () => {
    const folder = await landing({ 'x.csv': [HEADER, row('not-a-date')].join('\n') });
    const { records, unplaced } = await read(folder, partitionWindow('daily', '1999-01-01'));
    expect(records).toEqual([]);
    expect(unplaced).toHaveLength(1);
  });

  it('marks a row with too few fields via ROW_ERROR_FIELD, filling missing columns with null', async () => {
    const short = row('2012-01-02').split(',').slice(0, 6).join(',');
    const folder = await landing({ 'short.csv': [HEADER, short, row('2012-01-02')].join('\n') });
    const { records } = await read(folder);
    expect(records).toHaveLength(2);
    expect(records[0]?.lineNo).toBe(2);
    expect(records[0]?.record[ROW_ERROR_FIELD]).toBe('expected 7 fields, found 6');
    expect(records[0]?.record.weather).toBeNull();
    expect(records[1]?.record).not.toHaveProperty(ROW_ERROR_FIELD);
  });

  it('marks a row with too many fields via ROW_ERROR_FIELD', async () => {
    const folder = await landing({ 'long.csv': [HEADER, `${row('2012-01-02')},extra`].join('\n') });
    const { records } = await read(folder);
    expect(records).toHaveLength(1);
    expect(records[0]?.record[ROW_ERROR_FIELD]).toBe('expected 7 fields, found 8');
    expect(Object.values(records[0]!.record)).not.toContain('extra');
  });

  it('uses the distinctive ROW_ERROR_FIELD key', () => {
    expect(ROW_ERROR_FIELD).toBe('__dp_row_error');
    expect(COLUMNS).not.toContain(ROW_ERROR_FIELD);
  });
});

describe('readCsvFiles: failures', () => {
  it('a missing required column is a non-retryable SourceFormatError naming the file and the column', async () => {
    const header = COLUMNS.filter((c) => c !== 'temp_min').join(',');
    const folder = await landing({ 'no-temp-min.csv': [header, 'Seattle,2012-01-02,0.0,12.8,4.7,drizzle'].join('\n') });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.type).toBe('SourceFormatError');
    expect(f.message).toContain('no-temp-min.csv');
    expect(f.message).toContain('temp_min');
    expect(f.message).toMatch(/missing column/);
  });

  it('names every missing column', async () => {
    const folder = await landing({ 'few.csv': ['location,date,weather', 'Seattle,2012-01-02,rain'].join('\n') });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    for (const c of ['precipitation', 'temp_max', 'temp_min', 'wind']) expect(f.message).toContain(c);
    expect(f.message).toContain('few.csv');
  });

  it('hints at the delimiter when the header looks like another dialect', async () => {
    const folder = await landing({ 'semi.csv': [COLUMNS.join(';'), row('2012-01-02').replaceAll(',', ';')].join('\n') });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.message).toContain('semi.csv');
    expect(f.message).toMatch(/delimiter/);
  });

  it('an empty file is a non-retryable SourceFormatError naming the file', async () => {
    const folder = await landing({ 'empty.csv': '' });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.message).toContain('empty.csv');
    expect(f.message).toMatch(/empty/);
  });

  it('a file of blank lines is treated as empty', async () => {
    const folder = await landing({ 'blank.csv': '\n\n\r\n' });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.message).toContain('blank.csv');
  });

  it('an unterminated quote is a non-retryable SourceFormatError naming the file', async () => {
    const folder = await landing({ 'quote.csv': [HEADER, row('2012-01-02'), `"Seattle,2012-01-02,0.0,12.8,5.0,4.7,drizzle`, row('2012-01-02')].join('\n') });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.message).toContain('quote.csv');
    expect(f.message).toMatch(/unreadable CSV/);
  });

  it('a stray quote inside an unquoted field is a non-retryable SourceFormatError naming the file', async () => {
    const folder = await landing({ 'stray.csv': [HEADER, `"Seattle"x,2012-01-02,0.0,12.8,5.0,4.7,drizzle`].join('\n') });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.message).toContain('stray.csv');
  });

  it('a missing landing folder is a non-retryable ConfigError naming the folder', async () => {
    const folder = path.join(root, 'does-not-exist');
    const f = await readFailure(folder, FailureType.CONFIG);
    expect(f.type).toBe('ConfigError');
    expect(f.message).toContain(folder);
  });

  it('a bad file fails the read even after good files were read', async () => {
    const folder = await landing({
      'a.csv': [HEADER, row('2012-01-02')].join('\n'),
      'b.csv': '',
    });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.message).toContain('b.csv');
  });
});

describe('readCsvFiles: encodings, line ends and ambiguous headers', () => {
  it('fails a Latin-1 file at its first non-UTF-8 byte, naming line and byte, instead of garbling it', async () => {
    const folder = await landing({ 'latin1.csv': Buffer.from([HEADER, row('2012-01-02'), row('2012-01-02', { location: 'Zürich' })].join('\n'), 'latin1') });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.message).toMatch(/^latin1\.csv line 3: invalid UTF-8 byte 0xfc .*Latin-1/);
  });

  it('fails a UTF-16 file naming its byte-order mark, and a NUL byte naming its line', async () => {
    const utf16 = await landing({ 'u16.csv': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from([HEADER, row('2012-01-02')].join('\r\n'), 'utf16le')]) });
    expect((await readFailure(utf16, FailureType.SOURCE_FORMAT)).message).toContain('u16.csv line 1: invalid UTF-8 byte 0xff (a UTF-16 byte-order mark)');
    const nul = await landing({ 'nul.csv': [HEADER, row('2012-01-02'), '', row('2012-01-02', { location: 'A\u0000B' })].join('\n') });
    expect((await readFailure(nul, FailureType.SOURCE_FORMAT)).message).toContain('nul.csv line 4: NUL byte');
  });

  it('reads multi-byte UTF-8 split across read chunks, with exact line numbers, for LF, CRLF and CR files', async () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const lines = [HEADER];
      const expected: number[] = [];
      for (let i = 0; i < 3000; i++) {
        const multi = i % 5 === 0;
        lines.push(row('2012-01-02', { location: multi ? `"Zü${eol}東京 🌧 ${i}"` : `Zü東🌧${i}` }));
        expected.push(lines.length + Math.ceil(i / 5)); // each multi-line record before this one adds a line
      }
      const folder = await landing({ 'big.csv': lines.join(eol) });
      const { records } = await read(folder);
      expect(records.map((r) => r.lineNo)).toEqual(expected);
      expect(records[5]?.record.location).toBe(`Zü${eol}東京 🌧 5`);
    }
  });

  it('numbers records right after a quoted CRLF in a CRLF file (csv-parse counts it twice)', async () => {
    const folder = await landing({
      'excel.csv': [HEADER, row('2012-01-02', { location: '"Seattle\r\nDowntown"' }), row('2012-01-02', { location: 'Boston' })].join('\r\n'),
    });
    const { records } = await read(folder);
    expect(records.map((r) => [r.lineNo, r.record.location])).toEqual([
      [2, 'Seattle\r\nDowntown'],
      [4, 'Boston'],
    ]);
  });

  it('splits a file mixing CRLF, LF and CR line ends on every one of them', async () => {
    const folder = await landing({
      'mixed.csv': `${HEADER}\r\n${row('2012-01-02', { location: 'A' })}\n${row('2012-01-02', { location: 'B' })}\r${row('2012-01-02', { location: 'C' })}\r\n`,
    });
    const { records } = await read(folder);
    expect(records.map((r) => [r.lineNo, r.record.location, r.record[ROW_ERROR_FIELD]])).toEqual([
      [2, 'A', undefined],
      [3, 'B', undefined],
      [4, 'C', undefined],
    ]);
  });

  it('refuses a required column given twice, and the reserved row-error column', async () => {
    const twice = await landing({ 'twice.csv': [`${HEADER},wind`, `${row('2012-01-02')},99`].join('\n') });
    expect((await readFailure(twice, FailureType.SOURCE_FORMAT)).message).toBe('twice.csv line 1: column(s) wind appear more than once in the header');
    const reserved = await landing({ 'reserved.csv': [`${HEADER},${ROW_ERROR_FIELD}`, `${row('2012-01-02')},x`].join('\n') });
    expect((await readFailure(reserved, FailureType.SOURCE_FORMAT)).message).toContain(`column ${ROW_ERROR_FIELD} is reserved`);
  });

  it('a quote opening inside an unquoted field (csv-parse code without the CSV_ prefix) is still a clear SourceFormatError', async () => {
    const folder = await landing({ 'opening.csv': [HEADER, row('2012-01-02'), row('2012-01-02', { location: 'Coeur d"Alene' })].join('\n') });
    const f = await readFailure(folder, FailureType.SOURCE_FORMAT);
    expect(f.message).toMatch(/^opening\.csv line 3: unreadable CSV: Invalid Opening Quote/);
  });
});
