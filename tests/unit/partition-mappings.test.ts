/**
 * Partition mappings of core/mapping.ts on their boundaries: roll-ups across month ends and leap
 * days, trailing windows and offsets at the upstream's first partition, cumulative ranges,
 * unpartitioned snapshots, refused combinations, and the inverse used by automation.
 */
import { describe, it, expect } from 'vitest';
import { cumulative, downstreamRange, identity, latest, MappingError, mappingProblem, offsetBy, rollUp, trailingWindow, upstreamKeys, upstreamRange } from '../../core/mapping';
import { daily, hourly, monthly, unpartitioned } from '../../core/pipeline';

const H = hourly('2024-01-01T00');
const D = daily('2012-01-01');
const M = monthly('2012-01');

describe('identity', () => {
  it('maps a key to itself', () => {
    expect(upstreamKeys(identity(), D, D, '2012-02-29')).toEqual(['2012-02-29']);
    expect(downstreamRange(identity(), D, D, '2012-02-29')).toEqual({ from: '2012-02-29', to: '2012-03-01' });
  });
  it('is refused across grains', () => {
    expect(() => upstreamKeys(identity(), M, D, '2012-03')).toThrow(MappingError);
    expect(mappingProblem(identity(), M, D)).toMatch(/same grain.*rollUp/);
  });
});

describe('roll-up', () => {
  it('a day reads its 24 hours', () => {
    const keys = upstreamKeys(rollUp(), daily('2024-01-01'), H, '2024-05-01');
    expect(keys).toHaveLength(24);
    expect(keys[0]).toBe('2024-05-01T00');
    expect(keys[23]).toBe('2024-05-01T23');
  });
  it('a month reads its days: 31 in March, 29 in a leap February, 28 otherwise', () => {
    expect(upstreamRange(rollUp(), M, D, '2012-03')).toEqual({ from: '2012-03-01', to: '2012-04-01', count: 31 });
    expect(upstreamRange(rollUp(), M, D, '2012-02').count).toBe(29);
    expect(upstreamRange(rollUp(), M, D, '2013-02').count).toBe(28);
    expect(upstreamKeys(rollUp(), M, D, '2012-12').at(-1)).toBe('2012-12-31');
  });
  it('a month reads its hours (744 in March 2024), clipped to the upstream start', () => {
    expect(upstreamRange(rollUp(), monthly('2024-01'), H, '2024-03').count).toBe(744);
    expect(upstreamRange(rollUp(), monthly('2023-01'), H, '2023-12').count).toBe(0);
  });
  it('is refused towards a coarser upstream', () => {
    expect(mappingProblem(rollUp(), D, M)).toMatch(/finer grain/);
  });
  it('inverse: a day feeds its month; the last hour of a day feeds that day only', () => {
    expect(downstreamRange(rollUp(), M, D, '2012-02-29')).toEqual({ from: '2012-02', to: '2012-03' });
    expect(downstreamRange(rollUp(), daily('2024-01-01'), H, '2024-05-01T23')).toEqual({ from: '2024-05-01', to: '2024-05-02' });
  });
});

describe('trailing window and offset', () => {
  it('the last 30 days, ending with the day itself', () => {
    const r = upstreamRange(trailingWindow(30), D, D, '2012-03-01');
    expect(r).toEqual({ from: '2012-02-01', to: '2012-03-02', count: 30 }); // Feb 2012 has 29 days
  });
  it('is clipped at the first upstream partition', () => {
    expect(upstreamRange(trailingWindow(30), D, D, '2012-01-05')).toEqual({ from: '2012-01-01', to: '2012-01-06', count: 5 });
  });
  it('the previous partition of the pipeline itself: empty for the first one', () => {
    expect(upstreamKeys(offsetBy(1), M, M, '2012-01')).toEqual([]);
    expect(upstreamKeys(offsetBy(1), M, M, '2013-01')).toEqual(['2012-12']);
    expect(upstreamKeys(offsetBy(12), M, M, '2013-03')).toEqual(['2012-03']);
  });
  it('3-month moving window of monthly input; a coarser input read by a day', () => {
    expect(upstreamKeys(trailingWindow(3), M, M, '2012-03')).toEqual(['2012-01', '2012-02', '2012-03']);
    expect(upstreamKeys(trailingWindow(1), D, M, '2012-02-29')).toEqual(['2012-02']);
  });
  it('inverse: a month feeds the 3 months whose window holds it; a previous partition feeds the next', () => {
    expect(downstreamRange(trailingWindow(3), M, M, '2012-05')).toEqual({ from: '2012-05', to: '2012-08' });
    expect(downstreamRange(offsetBy(1), M, M, '2012-12')).toEqual({ from: '2013-01', to: '2013-02' });
    expect(downstreamRange(trailingWindow(1), D, M, '2012-02')).toEqual({ from: '2012-02-01', to: '2012-03-01' });
  });
  it('refuses a count below 1 or a negative offset', () => {
    expect(() => trailingWindow(0)).toThrow(RangeError);
    expect(() => offsetBy(-1)).toThrow(RangeError);
  });
});

describe('cumulative', () => {
  it('everything from the first upstream partition to the end of the partition', () => {
    expect(upstreamRange(cumulative(), M, D, '2012-02')).toEqual({ from: '2012-01-01', to: '2012-03-01', count: 60 });
    expect(upstreamRange(cumulative(), D, D, '2012-01-01').count).toBe(1);
  });
  it('inverse: feeds every later partition (open end)', () => {
    expect(downstreamRange(cumulative(), M, D, '2012-02-10')).toEqual({ from: '2012-02', to: undefined });
  });
});

describe('unpartitioned snapshot', () => {
  const S = unpartitioned();
  it('every partition reads the one key "all"', () => {
    expect(upstreamKeys(latest(), D, S, '2012-07-04')).toEqual(['all']);
    expect(upstreamKeys(latest(), S, S, 'all')).toEqual(['all']);
    expect(downstreamRange(latest(), D, S, 'all')).toEqual({ from: '2012-01-01', to: undefined });
  });
  it('latest() only on a static input, and a static input only with latest()', () => {
    expect(mappingProblem(latest(), D, D)).toMatch(/unpartitioned input/);
    expect(mappingProblem(rollUp(), D, S)).toMatch(/latest\(\)/);
    expect(mappingProblem(rollUp(), S, D)).toMatch(/unpartitioned pipeline can only read/);
  });
});

describe('backfill --with-upstream plan', () => {
  it('fills the days before the months (and the earlier months the moving average reads), the hours before the days', async () => {
    const { planWithUpstream } = await import('../../ops/upstream-plan');
    const { registry } = await import('../../pipelines');
    expect(planWithUpstream(registry, 'city_weather_monthly', '2012-02', '2012-04')).toEqual([
      { pipeline: 'city_weather', from: '2012-01-01', to: '2012-04-01', sequential: false },
      { pipeline: 'city_weather_monthly', from: '2012-01', to: '2012-04', sequential: true },
    ]);
    expect(planWithUpstream(registry, 'weather_daily', '2024-05-01', '2024-05-03')).toEqual([
      { pipeline: 'weather', from: '2024-05-01T00', to: '2024-05-03T00', sequential: false },
      { pipeline: 'weather_daily', from: '2024-05-01', to: '2024-05-03', sequential: false },
    ]);
  });
});
