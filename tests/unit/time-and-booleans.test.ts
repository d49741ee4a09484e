/**
 * core/time.ts (the one time parser of every source and schema), the `instant()` and
 * `strictBoolean()` schema helpers, and the CSV line number of a broken record (issue 9, cases 1, 7, 8).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readCsvFiles } from '../../activities/sources/csv-files';
import { partitionWindow } from '../../core/partition';
import { definePipeline, hourly, PipelineDefinitionError } from '../../core/pipeline';
import { instant, isoDate, strictBoolean } from '../../core/schema-helpers';
import { parseInstant, TimeConfigError } from '../../core/time';

function iso(value: unknown, opts?: Parameters<typeof parseInstant>[1]): string {
  const r = parseInstant(value, opts);
  if (!r.ok) throw new Error(r.reason);
  return r.instant.iso;
}

function reason(value: unknown, opts?: Parameters<typeof parseInstant>[1]): string {
  const r = parseInstant(value, opts);
  if (r.ok) throw new Error(`expected a refusal, got ${r.instant.iso}`);
  return r.reason;
}

describe('parseInstant: the forms PostgreSQL writes (case 1)', () => {
  it.each([
    ['2024-05-01T13:30:00Z', '2024-05-01T13:30:00.000000Z'],
    ['2024-05-01 13:15:00+00', '2024-05-01T13:15:00.000000Z'],
    ['2024-05-01 15:45:10.123456+02', '2024-05-01T13:45:10.123456Z'],
    ['2024-05-01 19:20:00+05:30', '2024-05-01T13:50:00.000000Z'],
    ['2024-05-01 10:05:00-03', '2024-05-01T13:05:00.000000Z'],
  ])('%s is %s', (input, expected) => {
    expect(iso(input)).toBe(expected);
  });

  it('two spellings of one instant give one canonical text', () => {
    const spellings = ['2024-05-01T13:00:00Z', '2024-05-01T13:00Z', '2024-05-01 13:00:00+00', '2024-05-01T15:00:00+02:00', '2024-05-01 08:00:00-05', '2024-05-01T13:00:00.000000Z', '2024/05/01 13:00'];
    expect(new Set(spellings.map((s) => iso(s)))).toEqual(new Set(['2024-05-01T13:00:00.000000Z']));
  });

  it('keeps microseconds exactly and refuses precision PostgreSQL cannot store', () => {
    expect(iso('2024-05-01T13:00:00.000001Z')).toBe('2024-05-01T13:00:00.000001Z');
    expect(iso('2024-05-01T13:00:00.9999990Z')).toBe('2024-05-01T13:00:00.999999Z');
    expect(reason('2024-05-01T13:00:00.0000001Z')).toMatch(/more precision than microseconds/);
  });
});

describe('parseInstant: zones', () => {
  it('a zone-less value is in the declared zone, UTC by default, whatever TZ the process has', () => {
    const before = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles';
    try {
      expect(iso('2024-05-01 13:00')).toBe('2024-05-01T13:00:00.000000Z');
      expect(iso('2024-05-01 13:00', { zone: 'Europe/Berlin' })).toBe('2024-05-01T11:00:00.000000Z');
      expect(iso('2024-05-01 13:00', { zone: 'UTC+5:30' })).toBe('2024-05-01T07:30:00.000000Z');
      // An explicit offset wins over the declared zone.
      expect(iso('2024-05-01 13:00+00', { zone: 'Europe/Berlin' })).toBe('2024-05-01T13:00:00.000000Z');
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('refuses a wall time a DST change skips', () => {
    expect(reason('2024-03-31 02:30', { zone: 'Europe/Berlin' })).toMatch(/does not exist in time zone Europe\/Berlin/);
    expect(iso('2024-03-31 03:30', { zone: 'Europe/Berlin' })).toBe('2024-03-31T01:30:00.000000Z');
  });

  it('refuses an unknown zone as configuration, naming it', () => {
    expect(() => parseInstant('2024-05-01', { zone: 'Mars/Olympus' })).toThrow(TimeConfigError);
    expect(() =>
      definePipeline({
        name: 'bad_zone',
        description: '',
        version: 1,
        partitioning: hourly('2024-01-01T00'),
        params: {},
        source: { kind: 'csv-files', timeColumn: 't', requiredColumns: ['t'], timeZone: 'Mars/Olympus' },
        schema: z.object({ t: z.string() }),
        transform: (r) => r,
        target: { table: 'bad_zone', columns: { t: 'text' }, key: ['t'] },
      }),
    ).toThrow(PipelineDefinitionError);
  });
});

describe('parseInstant: declared formats and spreadsheet exports', () => {
  it('reads a declared luxon format in the declared zone', () => {
    expect(iso('01.05.2024 15:30', { format: 'dd.MM.yyyy HH:mm', zone: 'Europe/Berlin' })).toBe('2024-05-01T13:30:00.000000Z');
    expect(iso('5/1/2024 1:30 PM', { format: ['M/d/yyyy h:mm a', 'M/d/yyyy'] })).toBe('2024-05-01T13:30:00.000000Z');
    expect(reason('2024-05-01', { format: 'dd.MM.yyyy' })).toMatch(/does not match the declared time format "dd.MM.yyyy"/);
  });

  it('reads spreadsheet serial dates and epoch numbers when declared', () => {
    expect(iso('45413.5625', { format: 'excel-serial' })).toBe('2024-05-01T13:30:00.000000Z');
    expect(iso(45413.5625, { format: 'excel-serial', zone: 'Europe/Berlin' })).toBe('2024-05-01T11:30:00.000000Z');
    expect(iso('1714570200', { format: 'unix-s' })).toBe('2024-05-01T13:30:00.000000Z');
    expect(iso(1714570200000, { format: 'unix-ms' })).toBe('2024-05-01T13:30:00.000000Z');
    expect(reason(45413.5)).toMatch(/declare a numeric time format/);
  });

  it('never guesses day/month order or a bare number', () => {
    expect(reason('05/01/2024')).toMatch(/declare timeFormat/);
    expect(reason('20240501')).toMatch(/declare timeFormat/);
  });

  it('refuses dates outside 0001–9999 (PostgreSQL range) and days that do not exist', () => {
    expect(reason('0000-12-31T23:00:00Z')).toMatch(/outside the supported years/);
    expect(reason('2023-02-29')).toMatch(/not an ISO date/);
    expect(iso('0001-01-01')).toBe('0001-01-01T00:00:00.000000Z');
    expect(iso('9999-12-31 23:59:59.999999+00')).toBe('9999-12-31T23:59:59.999999Z');
  });
});

describe('isoDate() keeps to dates PostgreSQL stores', () => {
  it('refuses year 0000 (PostgreSQL has none) and accepts 0001 and 9999', () => {
    expect(isoDate().safeParse('0000-01-01').success).toBe(false);
    expect(isoDate().safeParse('0001-01-01').success).toBe(true);
    expect(isoDate().safeParse('9999-12-31').success).toBe(true);
    expect(isoDate().safeParse('2024-02-30').success).toBe(false);
  });
});

describe('instant() schema helper', () => {
  it('outputs the canonical instant and quarantines the rest with the reason', () => {
    const s = z.object({ ts: instant() });
    expect(s.parse({ ts: '2024-05-01 19:20:00+05:30' })).toEqual({ ts: '2024-05-01T13:50:00.000000Z' });
    const bad = s.safeParse({ ts: '2024-13-01' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['ts']);
  });
});

describe('strictBoolean (case 7)', () => {
  const s = z.object({ flag: strictBoolean() });
  it.each([
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['no', false],
    [' No ', false],
    ['f', false],
    ['off', false],
    [false, false],
    [0, false],
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['Y', true],
    ['on', true],
    [true, true],
    [1, true],
  ])('%j is %s', (input, expected) => {
    expect(s.parse({ flag: input })).toEqual({ flag: expected });
  });

  it.each(['', '   ', 'n/a', 'N/A', 'null', 'maybe', '2', 2, null, undefined, 'truee'])('%j is quarantined, naming the field', (input) => {
    const r = s.safeParse({ flag: input });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['flag']);
    expect(r.error?.issues[0]?.message).toMatch(/not a boolean/);
  });

  it('z.coerce.boolean() is the trap it replaces: "false" becomes true', () => {
    expect(z.coerce.boolean().parse('false')).toBe(true);
  });
});

describe('CSV line numbers (case 8)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'datapulse-case8-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('a broken quote in a CRLF file with multi-line fields is reported once, at the line its record starts', async () => {
    const lines = [
      'station,ts,note', // 1
      's1,2024-05-01T13:00Z,"two', // 2
      'lines"', // 3
      's2,2024-05-01T13:01Z,"also', // 4
      'two"', // 5
      's3,2024-05-01T13:02Z,"broken', // 6: the quote never closes
      's4,2024-05-01T13:03Z,ok', // 7
      's5,2024-05-01T13:04Z,ok', // 8
    ];
    await writeFile(path.join(dir, 'crlf.csv'), `${lines.join('\r\n')}\r\n`);
    let err: unknown;
    const lineNos: number[] = [];
    try {
      for await (const r of readCsvFiles({ kind: 'csv-files', timeColumn: 'ts', requiredColumns: ['station', 'ts'] }, partitionWindow('hourly', '2024-05-01T13'), {
        folder: dir,
        heartbeat: () => undefined,
        onUnplaced: () => undefined,
      })) {
        lineNos.push(r.lineNo);
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplicationFailure);
    const msg = (err as ApplicationFailure).message;
    expect(msg).toMatch(/^crlf\.csv line 6: unreadable CSV: Quote Not Closed/);
    expect(msg.match(/line \d+/g)).toEqual(['line 6']);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
  });
});
