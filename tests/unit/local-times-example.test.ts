/**
 * README's example of a file source with local times ("Landing files", "Local times in a file"):
 * the definition below is the README's, character for character (the test checks it), so the
 * example compiles and does what the README says — `2015/01/01 01:00:00` and day-first
 * `01/05/2024 13:00` read in Europe/Paris, placed in UTC hours, the schema's `instant()` giving the
 * same instant; a wall time skipped by the spring change refused (unplaced, and quarantined by the
 * schema); a wall time repeated in autumn read as its second pass (standard time); a form the
 * declared formats do not list refused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyForTime } from '../../core/partition';
import { recordTime } from '../../activities/sources/landing-files';
// README example start
import { z } from 'zod';
import { definePipeline, hourly } from '../../core/pipeline';
import { decimal, instant } from '../../core/schema-helpers';

/** How the files write times: one place, for placement (source) and for the row (schema). */
const TIMES = { format: ['yyyy/MM/dd HH:mm:ss', 'dd/MM/yyyy HH:mm'], zone: 'Europe/Paris' } as const;

export const parisTemperatures = definePipeline({
  name: 'paris_temperatures',
  description: 'Hourly temperature per sensor, from CSV drops written in Paris local time',
  version: 1,
  partitioning: hourly('2015-01-01T00'), // partitions are UTC hours
  params: {},
  source: {
    kind: 'csv-files',
    timeColumn: 'measured_at', // "2015/01/01 01:00:00" or "01/05/2024 13:00" (day first)
    timeFormat: TIMES.format, // first match wins; once declared, only these forms are read
    timeZone: TIMES.zone, // the zone of values written without an offset
    requiredColumns: ['sensor', 'measured_at', 'temp_c'],
  },
  schema: z.object({
    sensor: z.string().trim().min(1),
    measured_at: instant(TIMES), // the same options: the row's instant is the one it was placed by
    temp_c: decimal().pipe(z.number().min(-60).max(60)),
  }),
  transform: (row) => row,
  target: {
    table: 'paris_temperatures',
    columns: { sensor: 'text', measured_at: 'timestamptz', temp_c: 'double precision' },
    key: ['sensor', 'measured_at'],
  },
});
// README example end

const src = (() => {
  const s = parisTemperatures.source;
  if (s.kind !== 'csv-files') throw new Error('the example is a file source');
  return s;
})();

/** The UTC hour a CSV row with this time is placed in, or undefined when it cannot be placed. */
function placed(measuredAt: string): string | undefined {
  const ms = recordTime(src, { sensor: 's1', measured_at: measuredAt, temp_c: '12.5' });
  return ms === undefined ? undefined : keyForTime('hourly', ms);
}

const parse = (measuredAt: string) => parisTemperatures.schema.safeParse({ sensor: 's1', measured_at: measuredAt, temp_c: '12.5' });

describe("README's local-times example", () => {
  it('is the definition README shows', () => {
    const self = readFileSync(__filename, 'utf8');
    const block = self.slice(self.indexOf('// README example start\n') + 24, self.indexOf('// README example end'));
    const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    // README imports from the pipelines folder ('../core/...'), this file from tests/unit.
    expect(readme).toContain(block.replaceAll("'../../core/", "'../core/"));
  });

  it('reads both spellings as Paris wall time: placement and the row agree on the UTC instant', () => {
    expect(placed('2015/01/01 01:00:00')).toBe('2015-01-01T00'); // winter: UTC+1
    expect(parse('2015/01/01 01:00:00')).toMatchObject({ success: true, data: { measured_at: '2015-01-01T00:00:00.000000Z', temp_c: 12.5 } });
    expect(placed('01/05/2024 13:00')).toBe('2024-05-01T11'); // 1 May, summer: UTC+2
    expect(parse('01/05/2024 13:00')).toMatchObject({ success: true, data: { measured_at: '2024-05-01T11:00:00.000000Z' } });
  });

  it('refuses a wall time the spring change skips, and reads a repeated autumn one as its second pass', () => {
    expect(placed('31/03/2024 02:30')).toBeUndefined();
    const gap = parse('31/03/2024 02:30');
    expect(gap.success).toBe(false);
    expect(gap.error?.issues[0]?.message).toBe('"31/03/2024 02:30" does not exist in time zone Europe/Paris (skipped by a daylight-saving change)');
    expect(placed('31/03/2024 03:00')).toBe('2024-03-31T01');
    // 27 Oct 2024 02:00–02:59 happens twice (UTC+2, then UTC+1): read as the second, UTC 01:xx.
    expect(placed('27/10/2024 01:59')).toBe('2024-10-26T23');
    expect(parse('27/10/2024 02:30')).toMatchObject({ success: true, data: { measured_at: '2024-10-27T01:30:00.000000Z' } });
    expect(placed('27/10/2024 02:30')).toBe('2024-10-27T01');
    // README's way out: files that carry the offset, with that form declared, keep it.
    const withOffset = instant({ format: ["yyyy-MM-dd'T'HH:mmZZ"], zone: TIMES.zone });
    expect(withOffset.parse('2024-10-27T02:30+02:00')).toBe('2024-10-27T00:30:00.000000Z');
    expect(withOffset.parse('2024-10-27T02:30+01:00')).toBe('2024-10-27T01:30:00.000000Z');
  });

  it('reads only the declared forms once timeFormat is declared', () => {
    expect(placed('2024-05-01T13:00')).toBeUndefined();
    expect(parse('2024/05/01 13:00').error?.issues[0]?.message).toBe('"2024/05/01 13:00" does not match the declared time format "yyyy/MM/dd HH:mm:ss" or "dd/MM/yyyy HH:mm"');
  });
});
