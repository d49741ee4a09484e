/**
 * The pipeline graph of core/graph.ts as the registry checks it at load time: dependency order,
 * unknown inputs and misfit mappings refused with the pipeline and input named, cycles refused with
 * the cycle spelled out, a pipeline reading its own earlier partitions accepted; and the text and
 * Mermaid renderings of the real registry. Also the monthly schedule spec.
 */
import { describe, expect, it } from 'vitest';
import { checkGraph, PipelineGraphError, renderGraphMermaid, renderGraphText, upstreamClosure } from '../../core/graph';
import { identity, offsetBy, type rollUp } from '../../core/mapping';
import { daily, definePipeline, hourly, monthly, PipelineDefinitionError, type PipelineDefinition } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { registry } from '../../pipelines';
import { weatherDaily } from '../../pipelines/weather-daily';
import { cityWeatherMonthly } from '../../pipelines/city-weather-monthly';
import { scheduleSpecFor, needsSchedule } from '../../ops/schedules';

type Def = Pick<PipelineDefinition, 'name' | 'partitioning' | 'source'>;
const csv = { kind: 'csv-files', timeColumn: 't', requiredColumns: [] } as const;
const src = (name: string, partitioning = daily('2024-01-01')): Def => ({ name, partitioning, source: csv });
const derived = (name: string, inputs: Record<string, { pipeline: string; mapping: ReturnType<typeof identity | typeof rollUp | typeof offsetBy> }>, partitioning = daily('2024-01-01')): Def => ({
  name,
  partitioning,
  source: { kind: 'derived', inputs, query: 'SELECT 1' },
});

describe('checkGraph', () => {
  it('orders pipelines after the ones they read', () => {
    const defs = [derived('c', { x: { pipeline: 'b', mapping: identity() } }), derived('b', { x: { pipeline: 'a', mapping: identity() } }), src('a')];
    expect(checkGraph(defs)).toEqual(['a', 'b', 'c']);
    expect(upstreamClosure(defs, 'c')).toEqual(['a', 'b']);
  });
  it('refuses an unknown input, naming pipeline, input and the known ones', () => {
    expect(() => checkGraph([src('a'), derived('b', { days: { pipeline: 'nope', mapping: identity() } })])).toThrow(
      new PipelineGraphError('pipeline "b": input days reads unknown pipeline "nope" (known: a, b)'),
    );
  });
  it('refuses a cycle, spelling it out', () => {
    const defs = [derived('a', { x: { pipeline: 'c', mapping: identity() } }), derived('b', { x: { pipeline: 'a', mapping: identity() } }), derived('c', { x: { pipeline: 'b', mapping: identity() } })];
    expect(() => checkGraph(defs)).toThrow(/pipelines form a cycle: a → c → b → a/);
  });
  it('refuses a mapping that does not fit the two grains', () => {
    expect(() => checkGraph([src('h', hourly('2024-01-01T00')), derived('d', { hours: { pipeline: 'h', mapping: identity() } })])).toThrow(
      /pipeline "d": input hours \(h, identity\(\)\): identity\(\) needs the same grain/,
    );
  });
  it('accepts a pipeline reading its own earlier partitions, and refuses one reading its own current partition', () => {
    expect(checkGraph([src('a'), derived('b', { a: { pipeline: 'a', mapping: identity() }, prev: { pipeline: 'b', mapping: offsetBy(1) } })])).toEqual(['a', 'b']);
    expect(() => definePipeline({ ...weatherDaily, source: { kind: 'derived', inputs: { me: { pipeline: 'weather_daily', mapping: identity() } }, query: 'SELECT 1' } })).toThrow(PipelineDefinitionError);
  });
  it('the registry itself refuses a cycle when it loads', () => {
    const a = definePipeline({ ...weatherDaily, name: 'loop_a', source: { kind: 'derived', inputs: { b: { pipeline: 'loop_b', mapping: identity() } }, query: 'SELECT 1' } });
    const b = definePipeline({ ...weatherDaily, name: 'loop_b', source: { kind: 'derived', inputs: { a: { pipeline: 'loop_a', mapping: identity() } }, query: 'SELECT 1' } });
    expect(() => createRegistry([a, b])).toThrow(/cycle: loop_a → loop_b → loop_a/);
  });
});

describe('the registry graph', () => {
  it('prints as text and Mermaid', () => {
    expect(renderGraphText(registry.pipelines)).toContain('city_weather_monthly (monthly, derived)  reads: days ← city_weather rollUp(); history ← city_weather_monthly trailingWindow(12, { offset: 1 })');
    const mermaid = renderGraphMermaid(registry.pipelines);
    expect(mermaid[0]).toBe('flowchart LR');
    expect(mermaid).toContain('  weather -->|"hourly: rollUp()"| weather_daily');
    expect(mermaid).toContain('  city_weather -->|"days: rollUp()"| city_weather_monthly');
  });
});

describe('schedules of monthly and derived pipelines', () => {
  it('a monthly pipeline ticks on the 1st of each month at 01:00 UTC by default', () => {
    const m = definePipeline({ ...cityWeatherMonthly, name: 'm_sched', automation: 'manual', partitioning: monthly('2012-01') });
    expect(scheduleSpecFor(m)).toEqual({ calendars: [{ dayOfMonth: 1, hour: 1, minute: 0, comment: 'monthly partition' }] });
    expect(needsSchedule(m)).toBe(true);
  });
  it('derived datasets with automation get no schedule', () => {
    expect(needsSchedule(weatherDaily)).toBe(false);
    expect(needsSchedule(registry.get('weather'))).toBe(true);
  });
});
