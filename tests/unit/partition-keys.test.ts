/**
 * Partition-key math of core/partition.ts: parsing of hourly/daily keys, half-open windows, UTC-only
 * arithmetic (no DST), shifting across month/year boundaries, range counting and enumeration, and
 * which partition a schedule tick processes.
 */
import { describe, it, expect } from 'vitest';
import {
  Granularity,
  InvalidPartitionKeyError,
  countKeys,
  isValidKey,
  keyAt,
  keyForTime,
  keyToStartMs,
  keysInRange,
  partitionForNominalTime,
  partitionWindow,
  shiftKey,
  stepMs,
} from '../../core/partition';

const H = Granularity.HOURLY;
const D = Granularity.DAILY;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Calls fn, expects it to throw, and returns the error. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

function expectInvalidKey(granularity: Granularity, key: string): InvalidPartitionKeyError {
  const err = thrown(() => keyToStartMs(granularity, key));
  expect(err).toBeInstanceOf(InvalidPartitionKeyError);
  const e = err as InvalidPartitionKeyError;
  expect(e.name).toBe('InvalidPartitionKeyError');
  expect(e.key).toBe(key);
  expect(e.granularity).toBe(granularity);
  expect(e.message).toContain(`"${key}"`);
  expect(e.message).toContain(granularity);
  expect(isValidKey(granularity, key)).toBe(false);
  return e;
}

describe('stepMs', () => {
  it('is one hour for hourly and one day for daily', () => {
    expect(stepMs(H)).toBe(HOUR_MS);
    expect(stepMs(D)).toBe(DAY_MS);
  });
});

describe('hourly key parsing', () => {
  it.each([
    ['2024-05-01T13', Date.UTC(2024, 4, 1, 13)],
    ['2024-05-01T00', Date.UTC(2024, 4, 1, 0)],
    ['2024-05-01T23', Date.UTC(2024, 4, 1, 23)],
    ['2020-01-01T00', Date.UTC(2020, 0, 1, 0)],
    ['2024-12-31T23', Date.UTC(2024, 11, 31, 23)],
  ])('parses %s as a UTC hour', (key, ms) => {
    expect(keyToStartMs(H, key)).toBe(ms);
    expect(isValidKey(H, key)).toBe(true);
  });

  it('accepts the leap day 2024-02-29', () => {
    expect(keyToStartMs(H, '2024-02-29T12')).toBe(Date.UTC(2024, 1, 29, 12));
  });

  it.each(['2024-05-01T1', '2024-5-01T13', '2024-05-01 13', '2024-05-01T013', '2024-05-01t13', ' 2024-05-01T13', '2024-05-01T13 ', '2024-05-01T13:00', '', 'T13'])(
    'rejects the malformed key %j naming the expected format',
    (key) => {
      const e = expectInvalidKey(H, key);
      expect(e.message).toContain('YYYY-MM-DDTHH');
    },
  );

  it('rejects a daily key, naming the hourly format', () => {
    const e = expectInvalidKey(H, '2024-05-01');
    expect(e.message).toContain('YYYY-MM-DDTHH');
  });

  it('rejects hour 24', () => {
    const e = expectInvalidKey(H, '2024-05-01T24');
    expect(e.message).toMatch(/hour 24/);
  });

  it.each([
    ['2024-02-30T00', /day 30/],
    ['2023-02-29T00', /day 29/],
    ['2024-04-31T05', /day 31/],
    ['2024-05-00T05', /day 00/],
    ['2024-13-01T00', /month 13/],
    ['2024-00-10T00', /month 00/],
  ])('rejects the non-existent time %s', (key, reason) => {
    const e = expectInvalidKey(H, key);
    expect(e.message).toMatch(reason);
  });

  it('rejects a non-string key', () => {
    const err = thrown(() => keyToStartMs(H, 2024 as unknown as string));
    expect(err).toBeInstanceOf(InvalidPartitionKeyError);
  });
});

describe('daily key parsing', () => {
  it.each([
    ['2024-05-01', Date.UTC(2024, 4, 1)],
    ['2012-01-01', Date.UTC(2012, 0, 1)],
    ['2024-12-31', Date.UTC(2024, 11, 31)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
  ])('parses %s as a UTC day', (key, ms) => {
    expect(keyToStartMs(D, key)).toBe(ms);
    expect(isValidKey(D, key)).toBe(true);
  });

  it.each(['2024-5-01', '2024-05-1', '24-05-01', '2024/05/01', '2024-05-01 ', '', '20240501'])(
    'rejects the malformed key %j naming the expected format',
    (key) => {
      const e = expectInvalidKey(D, key);
      expect(e.message).toContain('YYYY-MM-DD');
    },
  );

  it('rejects an hourly key, naming the daily format', () => {
    const e = expectInvalidKey(D, '2024-05-01T13');
    expect(e.message).toContain('YYYY-MM-DD (UTC day)');
  });

  it.each([
    ['2024-02-30', /day 30/],
    ['2023-02-29', /day 29/],
    ['1900-02-29', /day 29/],
    ['2024-06-31', /day 31/],
    ['2024-13-01', /month 13/],
    ['2024-00-01', /month 00/],
  ])('rejects the non-existent day %s', (key, reason) => {
    const e = expectInvalidKey(D, key);
    expect(e.message).toMatch(reason);
  });
});

describe('partitionWindow', () => {
  it('gives the half-open hour [start, start + 1 h) of an hourly key', () => {
    const w = partitionWindow(H, '2024-05-01T13');
    expect(w).toEqual({ key: '2024-05-01T13', startMs: Date.UTC(2024, 4, 1, 13), endMs: Date.UTC(2024, 4, 1, 14) });
    expect(w.endMs - w.startMs).toBe(3_600_000);
  });

  it('gives the half-open day [start, start + 24 h) of a daily key', () => {
    const w = partitionWindow(D, '2024-05-01');
    expect(w).toEqual({ key: '2024-05-01', startMs: Date.UTC(2024, 4, 1), endMs: Date.UTC(2024, 4, 2) });
    expect(w.endMs - w.startMs).toBe(86_400_000);
  });

  it('windows of consecutive keys tile time without gap or overlap', () => {
    const a = partitionWindow(H, '2024-05-01T23');
    const b = partitionWindow(H, '2024-05-02T00');
    expect(a.endMs).toBe(b.startMs);
    expect(keyForTime(H, a.endMs)).toBe(b.key); // the end instant belongs to the next partition
    expect(keyForTime(H, a.endMs - 1)).toBe(a.key);
    const d1 = partitionWindow(D, '2024-02-28');
    const d2 = partitionWindow(D, '2024-02-29');
    expect(d1.endMs).toBe(d2.startMs);
  });

  it('throws InvalidPartitionKeyError for an invalid key', () => {
    expect(() => partitionWindow(H, '2024-05-01')).toThrow(InvalidPartitionKeyError);
    expect(() => partitionWindow(D, '2024-02-30')).toThrow(InvalidPartitionKeyError);
  });
});

describe('UTC only, no DST', () => {
  it.each([
    // EU: clocks go forward at 01:00 UTC on 2024-03-31, back at 01:00 UTC on 2024-10-27.
    ['2024-03-31T00', '2024-03-31T01', '2024-03-31T02'],
    ['2024-10-27T00', '2024-10-27T01', '2024-10-27T02'],
    // US: 02:00 local on 2024-03-10 and 2024-11-03.
    ['2024-03-10T01', '2024-03-10T02', '2024-03-10T03'],
    ['2024-11-03T00', '2024-11-03T01', '2024-11-03T02'],
  ])('%s, %s and %s all exist and are one hour apart', (a, b, c) => {
    const [ma, mb, mc] = [a, b, c].map((k) => keyToStartMs(H, k)) as [number, number, number];
    expect(mb - ma).toBe(HOUR_MS);
    expect(mc - mb).toBe(HOUR_MS);
    expect(shiftKey(H, a, 1)).toBe(b);
    expect(shiftKey(H, b, 1)).toBe(c);
    expect(partitionWindow(H, b).endMs - partitionWindow(H, b).startMs).toBe(HOUR_MS);
  });

  it.each(['2024-03-31', '2024-10-27', '2024-03-10', '2024-11-03', '2024-05-01', '2024-02-29'])(
    'the day %s has exactly 24 hourly partitions',
    (day) => {
      const from = `${day}T00`;
      const to = `${shiftKey(D, day, 1)}T00`;
      expect(countKeys(H, from, to)).toBe(24);
      const keys = [...keysInRange(H, from, to)];
      expect(keys).toHaveLength(24);
      expect(keys[0]).toBe(`${day}T00`);
      expect(keys[23]).toBe(`${day}T23`);
      expect(new Set(keys).size).toBe(24);
      expect(partitionWindow(D, day).endMs - partitionWindow(D, day).startMs).toBe(DAY_MS);
    },
  );
});

describe('shiftKey', () => {
  it.each([
    [H, '2024-12-31T23', 1, '2025-01-01T00'],
    [H, '2025-01-01T00', -1, '2024-12-31T23'],
    [H, '2024-01-31T23', 1, '2024-02-01T00'],
    [H, '2024-02-28T23', 1, '2024-02-29T00'],
    [H, '2023-02-28T23', 1, '2023-03-01T00'],
    [H, '2024-05-01T13', 0, '2024-05-01T13'],
    [H, '2024-05-01T13', -14, '2024-04-30T23'],
    [H, '2024-05-01T00', 24, '2024-05-02T00'],
    [H, '2024-01-01T00', 8784, '2025-01-01T00'],
    [D, '2024-02-28', 1, '2024-02-29'],
    [D, '2024-02-29', 1, '2024-03-01'],
    [D, '2023-02-28', 1, '2023-03-01'],
    [D, '2024-12-31', 1, '2025-01-01'],
    [D, '2025-01-01', -1, '2024-12-31'],
    [D, '2024-03-01', -1, '2024-02-29'],
    [D, '2024-03-01', -366, '2023-03-01'],
    [D, '2024-05-01', 0, '2024-05-01'],
  ] as const)('%s: %s %+d → %s', (g, key, n, expected) => {
    expect(shiftKey(g, key, n)).toBe(expected);
  });

  it('keyAt walks a range by position', () => {
    expect(keyAt(H, '2024-12-31T22', 0)).toBe('2024-12-31T22');
    expect(keyAt(H, '2024-12-31T22', 2)).toBe('2025-01-01T00');
  });

  it('rejects an invalid starting key', () => {
    expect(() => shiftKey(D, '2024-02-30', 1)).toThrow(InvalidPartitionKeyError);
  });
});

describe('countKeys and keysInRange', () => {
  it('counts the half-open range [from, to)', () => {
    expect(countKeys(H, '2024-05-01T00', '2024-05-01T01')).toBe(1);
    expect(countKeys(H, '2024-05-01T00', '2024-05-01T05')).toBe(5);
    expect([...keysInRange(H, '2024-05-01T22', '2024-05-02T01')]).toEqual(['2024-05-01T22', '2024-05-01T23', '2024-05-02T00']);
    expect([...keysInRange(D, '2024-02-27', '2024-03-02')]).toEqual(['2024-02-27', '2024-02-28', '2024-02-29', '2024-03-01']);
    expect(countKeys(D, '2024-02-27', '2024-03-02')).toBe(4);
  });

  it('an empty range has no keys', () => {
    expect(countKeys(H, '2024-05-01T13', '2024-05-01T13')).toBe(0);
    expect([...keysInRange(H, '2024-05-01T13', '2024-05-01T13')]).toEqual([]);
    expect(countKeys(D, '2024-05-01', '2024-05-01')).toBe(0);
    expect([...keysInRange(D, '2024-05-01', '2024-05-01')]).toEqual([]);
  });

  it('a reversed range has no keys', () => {
    expect(countKeys(H, '2024-05-02T00', '2024-05-01T00')).toBe(0);
    expect([...keysInRange(H, '2024-05-02T00', '2024-05-01T00')]).toEqual([]);
    expect(countKeys(D, '2025-01-01', '2024-01-01')).toBe(0);
    expect([...keysInRange(D, '2025-01-01', '2024-01-01')]).toEqual([]);
  });

  it('one year of hours is 8760 in 2023 and 8784 in the leap year 2024', () => {
    expect(countKeys(H, '2023-01-01T00', '2024-01-01T00')).toBe(8760);
    expect(countKeys(H, '2024-01-01T00', '2025-01-01T00')).toBe(8784);
    expect(countKeys(D, '2023-01-01', '2024-01-01')).toBe(365);
    expect(countKeys(D, '2024-01-01', '2025-01-01')).toBe(366);
    let n = 0;
    let last = '';
    for (const k of keysInRange(H, '2024-01-01T00', '2025-01-01T00')) {
      n++;
      last = k;
    }
    expect(n).toBe(8784);
    expect(last).toBe('2024-12-31T23');
  });

  it('keysInRange agrees with countKeys and yields strictly increasing, valid keys', () => {
    const keys = [...keysInRange(H, '2023-12-30T05', '2024-01-02T07')];
    expect(keys).toHaveLength(countKeys(H, '2023-12-30T05', '2024-01-02T07'));
    for (let i = 1; i < keys.length; i++) {
      expect(keyToStartMs(H, keys[i]!) - keyToStartMs(H, keys[i - 1]!)).toBe(HOUR_MS);
    }
  });

  it('keysInRange is lazy: taking the first 3 keys of a 100-year hourly range is instant', () => {
    const t0 = performance.now();
    const gen = keysInRange(H, '2000-01-01T00', '2100-01-01T00');
    const first: string[] = [];
    for (const k of gen) {
      first.push(k);
      if (first.length === 3) break;
    }
    const elapsed = performance.now() - t0;
    expect(first).toEqual(['2000-01-01T00', '2000-01-01T01', '2000-01-01T02']);
    expect(elapsed).toBeLessThan(100);
    expect(countKeys(H, '2000-01-01T00', '2100-01-01T00')).toBe(876_600);
  });

  it('keysInRange is lazy even for a range far too large to materialise (8000 years of hours)', () => {
    const t0 = performance.now();
    const gen = keysInRange(H, '1970-01-01T00', '9999-12-31T23');
    expect(gen.next()).toEqual({ value: '1970-01-01T00', done: false });
    expect(gen.next()).toEqual({ value: '1970-01-01T01', done: false });
    expect(gen.return(undefined)).toEqual({ value: undefined, done: true });
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('rejects invalid bounds', () => {
    expect(() => countKeys(H, '2024-05-01', '2024-05-02')).toThrow(InvalidPartitionKeyError);
    expect(() => [...keysInRange(D, '2024-05-01', '2024-13-01')]).toThrow(InvalidPartitionKeyError);
  });
});

describe('keyForTime', () => {
  it('gives the partition containing an instant', () => {
    expect(keyForTime(H, Date.UTC(2024, 4, 1, 13, 59, 59, 999))).toBe('2024-05-01T13');
    expect(keyForTime(H, Date.UTC(2024, 4, 1, 14))).toBe('2024-05-01T14');
    expect(keyForTime(D, Date.UTC(2024, 4, 1, 23, 59, 59, 999))).toBe('2024-05-01');
    expect(keyForTime(D, Date.UTC(2024, 4, 2))).toBe('2024-05-02');
    expect(keyForTime(H, Date.parse('2024-05-01T01:30:00+02:00'))).toBe('2024-04-30T23');
  });

  it.each(['2024-05-01T13', '2024-12-31T23', '2024-02-29T00', '2024-03-31T01', '2024-03-10T02', '2000-01-01T00'])(
    'round-trips the hourly key %s',
    (key) => {
      const ms = keyToStartMs(H, key);
      expect(keyForTime(H, ms)).toBe(key);
      expect(keyForTime(H, ms + HOUR_MS - 1)).toBe(key);
    },
  );

  it.each(['2024-05-01', '2024-12-31', '2024-02-29', '2012-01-01'])('round-trips the daily key %s', (key) => {
    const ms = keyToStartMs(D, key);
    expect(keyForTime(D, ms)).toBe(key);
    expect(keyForTime(D, ms + DAY_MS - 1)).toBe(key);
  });

  it('round-trips every hour of a year', () => {
    for (const k of keysInRange(H, '2024-01-01T00', '2025-01-01T00')) {
      expect(keyForTime(H, keyToStartMs(H, k))).toBe(k);
    }
  });
});

describe('partitionForNominalTime', () => {
  it('a 14:05 tick with lag 1 processes the 13:00 hour', () => {
    expect(partitionForNominalTime(H, Date.UTC(2024, 4, 1, 14, 5), 1)).toBe('2024-05-01T13');
  });

  it('a tick exactly at 14:00 with lag 1 processes the 13:00 hour', () => {
    expect(partitionForNominalTime(H, Date.UTC(2024, 4, 1, 14, 0), 1)).toBe('2024-05-01T13');
  });

  it('lag defaults to 1', () => {
    expect(partitionForNominalTime(H, Date.UTC(2024, 4, 1, 14, 5))).toBe('2024-05-01T13');
  });

  it('a daily tick at 2024-05-02T00:10 with lag 1 processes 2024-05-01', () => {
    expect(partitionForNominalTime(D, Date.UTC(2024, 4, 2, 0, 10), 1)).toBe('2024-05-01');
  });

  it('lag 0 processes the partition containing the tick', () => {
    expect(partitionForNominalTime(H, Date.UTC(2024, 4, 1, 14, 5), 0)).toBe('2024-05-01T14');
    expect(partitionForNominalTime(H, Date.UTC(2024, 4, 1, 14, 0), 0)).toBe('2024-05-01T14');
    expect(partitionForNominalTime(D, Date.UTC(2024, 4, 2, 0, 10), 0)).toBe('2024-05-02');
  });

  it('crosses the year boundary', () => {
    expect(partitionForNominalTime(H, Date.UTC(2025, 0, 1, 0, 0), 1)).toBe('2024-12-31T23');
    expect(partitionForNominalTime(D, Date.UTC(2025, 0, 1, 0, 30), 1)).toBe('2024-12-31');
    expect(partitionForNominalTime(H, Date.UTC(2025, 0, 1, 1, 0), 3)).toBe('2024-12-31T22');
  });
});

describe('monthly keys (YYYY-MM)', () => {
  const M = Granularity.MONTHLY;
  it('parses a month to its first instant and its window to the next month', () => {
    expect(keyToStartMs(M, '2024-05')).toBe(Date.UTC(2024, 4, 1));
    expect(partitionWindow(M, '2024-02')).toEqual({ key: '2024-02', startMs: Date.UTC(2024, 1, 1), endMs: Date.UTC(2024, 2, 1) });
    expect(partitionWindow(M, '2023-02').endMs - partitionWindow(M, '2023-02').startMs).toBe(28 * DAY_MS);
    expect(partitionWindow(M, '2024-02').endMs - partitionWindow(M, '2024-02').startMs).toBe(29 * DAY_MS); // leap year
    expect(partitionWindow(M, '2024-12').endMs).toBe(Date.UTC(2025, 0, 1));
  });
  it.each(['2024-13', '2024-00', '2024-5', '2024-05-01', '2024', 'all'])('refuses %s', (key) => {
    expectInvalidKey(M, key);
  });
  it('shifts and counts across year ends exactly', () => {
    expect(shiftKey(M, '2024-12', 1)).toBe('2025-01');
    expect(shiftKey(M, '2024-01', -1)).toBe('2023-12');
    expect(shiftKey(M, '2012-03', -12)).toBe('2011-03');
    expect(countKeys(M, '2012-01', '2013-01')).toBe(12);
    expect(countKeys(M, '2013-01', '2012-01')).toBe(0);
    expect([...keysInRange(M, '2012-11', '2013-02')]).toEqual(['2012-11', '2012-12', '2013-01']);
    expect(keyAt(M, '2012-01', 14)).toBe('2013-03');
  });
  it('places instants in their month: the last millisecond of a month belongs to it', () => {
    expect(keyForTime(M, Date.UTC(2024, 2, 1) - 1)).toBe('2024-02');
    expect(keyForTime(M, Date.UTC(2024, 2, 1))).toBe('2024-03');
  });
  it('a tick on the 1st processes the month that just ended', () => {
    expect(partitionForNominalTime(M, Date.UTC(2024, 5, 1, 1), 1)).toBe('2024-05');
    expect(partitionForNominalTime(M, Date.UTC(2025, 0, 1, 1), 1)).toBe('2024-12');
    expect(partitionForNominalTime(M, Date.UTC(2025, 0, 1, 1), 0)).toBe('2025-01');
  });
  it('has no fixed step length', () => {
    expect(() => stepMs(M)).toThrow(/no fixed length/);
  });
});

describe('static (unpartitioned) key', () => {
  const S = Granularity.STATIC;
  it('has the one key "all", covering all of time', () => {
    const w = partitionWindow(S, 'all');
    expect(w.startMs).toBeLessThan(Date.UTC(1900, 0, 1));
    expect(w.endMs).toBeGreaterThan(Date.UTC(3000, 0, 1));
    expect(keyForTime(S, Date.UTC(2024, 4, 1))).toBe('all');
    expect(shiftKey(S, 'all', -1)).toBe('all');
    expect(countKeys(S, 'all', 'all')).toBe(1);
    expect([...keysInRange(S, 'all', 'all')]).toEqual(['all']);
    expect(partitionForNominalTime(S, Date.UTC(2024, 4, 1), 1)).toBe('all');
  });
  it('refuses any other key', () => {
    expectInvalidKey(S, '2024-05-01');
  });
});
