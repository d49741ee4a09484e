/**
 * Proves `datapulse status` without a range on the real servers (issue 16, item 6): it covers the
 * span the ledger and the landing files cover — not the pipeline's start through today — and shows
 * deduplicated rows, with singular words for one partition and one run.
 * (Pipeline `i16_status`: workflow ids and tables unique to this file.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { renderStatus } from '../../ops/status';
import { cityWeather } from '../../pipelines/city-weather';
import { pipelineStatus } from '../../scripts/commands/status';
import { createHarness, type Harness } from './harness';

const pipeline = definePipeline({
  name: 'i16_status',
  description: 'city_weather columns, for the status default range',
  version: 1,
  partitioning: cityWeather.partitioning,
  params: {},
  source: cityWeather.source,
  schema: cityWeather.schema,
  transform: cityWeather.transform,
  target: { ...cityWeather.target, table: 'i16_status_daily' },
});
const registry = createRegistry([pipeline]);

let h: Harness;
const deps = () => ({ pool: h.pool, config: h.config, registry, now: () => Date.parse('2026-11-29T09:00:00Z') });

beforeAll(async () => {
  h = await createHarness({ registry });
  const folder = path.join(h.landingDir, pipeline.name);
  mkdirSync(folder, { recursive: true });
  const days = ['2015-12-28', '2015-12-29', '2015-12-30', '2015-12-31'];
  writeFileSync(
    path.join(folder, 'seattle-2015.csv'),
    [
      'location,date,precipitation,temp_max,temp_min,wind,weather',
      ...days.map((d) => `Seattle,${d},1.0,10.0,5.0,3.0,rain`),
      'Seattle,2015-12-30,2.0,11.0,6.0,3.0,rain', // a second line for the same key: deduplicated
    ].join('\n') + '\n',
  );
  await h.run(pipeline.name, '2015-12-30');
});
afterAll(async () => h?.close());

describe('status without a range', () => {
  it('covers the span of the ledger and the landing files, not the years up to today', async () => {
    const { map, output } = await pipelineStatus(deps(), pipeline.name);
    expect(map.from).toBe('2015-12-28');
    expect(map.to).toBe('2016-01-01');
    expect(map.total).toBe(4);
    expect(map.counts).toMatchObject({ succeeded: 1, missing: 3 });
    expect(output).toContain('next: fill gaps: datapulse backfill i16_status --from 2015-12-28 --to 2016-01-01 --only-missing');
  });

  it('shows deduplicated rows and says "1 partition" and "1 run"', async () => {
    const { map, output } = await pipelineStatus(deps(), pipeline.name, { from: '2015-12-30', to: '2015-12-31' });
    expect(map.rows).toEqual({ loaded: 1, quarantined: 0, deduplicated: 1 });
    expect(output).toContain('[from, to)  1 partition: 1 succeeded');
    expect(output).toContain('  rows loaded 1, quarantined 0, deduplicated 1');
    expect(output).toContain('next: the 1 partition is up to date');
    expect(renderStatus(map, { config: h.config, maxGridLines: 0 })).toContain('  1 run of equal states:\n');
  });
});
