/**
 * The pure side of data quality checks and alerts: check constructors reject bad declarations,
 * measurements are judged with the documented thresholds and messages, and alert texts carry
 * pipeline, partition(s), reason and the Temporal UI link while scrubbing the webhook URL.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AlertKind, createAlerter, formatAlert, scrub } from '../../activities/alerts';
import {
  acceptedValues,
  blockingFailureMessage,
  CheckDefinitionError,
  evaluateAcceptedValues,
  evaluateNotNull,
  evaluateRange,
  evaluateReferences,
  evaluateSql,
  evaluateUnique,
  evaluateVolume,
  median,
  notNull,
  range,
  references,
  sql,
  unique,
  volume,
} from '../../core/checks';
import { createLogger } from '../../infra/logger';
import { daily, definePipeline, PipelineDefinitionError } from '../../core/pipeline';
import { InvalidIdentifierError } from '../../core/sql';
import { registry } from '../../pipelines';

describe('check declarations', () => {
  it('derive names, default to blocking, and validate identifiers and bounds', () => {
    expect(notNull('temp', { minRatio: 0.9 })).toEqual({ kind: 'not_null', name: 'not_null(temp)', severity: 'blocking', column: 'temp', minRatio: 0.9 });
    expect(unique(['a', 'b'], { severity: 'warning' })).toMatchObject({ name: 'unique(a,b)', severity: 'warning' });
    expect(references('station', { table: 'stations', column: 'id' }).name).toBe('references(station->stations.id)');
    expect(volume()).toMatchObject({ name: 'volume', lookback: 7, minRatio: 0.5, maxRatio: 2, minHistory: 3 });
    expect(() => notNull('Temp; DROP TABLE x')).toThrow(InvalidIdentifierError);
    expect(() => references('a', { table: 'x"y', column: 'id' })).toThrow(InvalidIdentifierError);
    expect(() => notNull('t', { minRatio: 1.5 })).toThrow(CheckDefinitionError);
    expect(() => range('t', {})).toThrow(/give min, max or both/);
    expect(() => range('t', { min: 5, max: 1 })).toThrow(/min 5 is above max 1/);
    expect(() => volume({ lookback: 2, minHistory: 3 })).toThrow(/minHistory/);
    expect(() => volume({ maxRatio: 0.5 })).toThrow(/maxRatio/);
    expect(() => sql('x', 'SELECT $3')).toThrow(/only \$1 \(partition key\) and \$2 \(pipeline\)/);
    expect(() => sql('Bad Name', 'SELECT 1')).toThrow(/invalid check name/);
    expect(() => acceptedValues('c', [])).toThrow(/at least one value/);
  });

  it('are checked by definePipeline: two checks with one name are refused', () => {
    const def = {
      name: 'checks_unit',
      description: 'x',
      version: 1,
      partitioning: daily('2024-01-01'),
      params: {},
      source: { kind: 'csv-files' as const, timeColumn: 'day', requiredColumns: ['day'] },
      schema: z.object({ day: z.string() }),
      transform: (r: { day: string }) => ({ day: r.day }),
      target: { table: 'checks_unit', columns: { day: 'date' as const }, key: ['day'] },
    };
    expect(() => definePipeline({ ...def, checks: [volume(), volume({ severity: 'warning' })] })).toThrow(PipelineDefinitionError);
    expect(() => definePipeline({ ...def, checks: [volume(), volume({ name: 'volume_warn', severity: 'warning' })] })).not.toThrow();
  });

  it('the registered pipelines declare the documented checks', () => {
    expect(registry.get('weather').checks?.map((c) => `${c.name}:${c.severity}`)).toEqual([
      'not_null(temperature_c):blocking',
      'unique(location_id,observed_at):blocking',
      'range(wind_speed_ms):warning',
      'volume:blocking',
    ]);
    expect(registry.get('city_weather').checks?.map((c) => `${c.name}:${c.severity}`)).toEqual([
      'accepted_values(conditions):blocking',
      'unique(location,day):warning',
      'volume:warning',
    ]);
  });
});

describe('checks name target columns (they see the rows as they will load)', () => {
  const base = {
    name: 'chk',
    description: 'check column test',
    version: 1,
    partitioning: daily('2024-01-01'),
    params: {},
    source: { kind: 'csv-files' as const, timeColumn: 'day', requiredColumns: ['day'] },
    schema: z.object({ day: z.string(), temp: z.string() }),
    transform: (r: { day: string; temp: string }) => ({ day: r.day, temperature_c: Number(r.temp), label: 'x' }),
    target: { table: 'chk', columns: { day: 'date', temperature_c: 'double precision', label: 'text' } as const, key: ['day'] },
  };
  it.each([
    [range('temperature', { max: 60 }), /check range\(temperature\) names column temperature, which the target does not have/],
    [acceptedValues('lable', ['x']), /names column lable/],
    [unique(['day', 'tmp']), /names column tmp/],
    [notNull('temp'), /names column temp, which the target does not have \(checks see the target's columns: day, temperature_c, label\)/],
    [range('label', { min: 0 }), /range needs a numeric column, label is text/],
  ])('refuses %j when the pipeline is defined', (check, message) => {
    expect(() => definePipeline({ ...base, checks: [check] })).toThrow(message);
  });
  it('accepts checks on target columns', () => {
    expect(definePipeline({ ...base, checks: [range('temperature_c', { min: -90 }), unique(['day']), acceptedValues('label', ['x'])] }).checks).toHaveLength(3);
  });
});

describe('check evaluation', () => {
  it('median of odd and even counts', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('volume: too few, too many, within, and skipped without enough history', () => {
    const v = volume({ lookback: 5, minRatio: 0.5, maxRatio: 2 });
    const few = evaluateVolume(v, { rows: 3, history: [72, 70, 75, 72, 71] });
    expect(few).toMatchObject({ outcome: 'failed', value: 3, threshold: '36–144 rows (0.5×–2× median 72)' });
    expect(blockingFailureMessage([few])).toBe('check volume failed: 3 rows vs median 72 of the last 5 succeeded partitions (allowed 0.5×–2×)');
    expect(evaluateVolume(v, { rows: 145, history: [72, 72, 72] }).outcome).toBe('failed');
    expect(evaluateVolume(v, { rows: 144, history: [72, 72, 72] }).outcome).toBe('passed');
    expect(evaluateVolume(v, { rows: 36, history: [72, 72, 72] }).outcome).toBe('passed');
    expect(evaluateVolume(v, { rows: 1, history: [72, 72] })).toMatchObject({
      outcome: 'skipped',
      message: '1 row; only 2 succeeded partitions before this one, 3 needed to compare',
    });
    // A source that used to deliver nothing and now delivers rows is "too many".
    expect(evaluateVolume(v, { rows: 4, history: [0, 0, 0] }).outcome).toBe('failed');
  });

  it('not-null ratio, uniqueness, accepted values, ranges and references', () => {
    expect(evaluateNotNull(notNull('t', { minRatio: 0.9 }), { rows: 10, nonNull: 9 })).toMatchObject({ outcome: 'passed', value: 0.9, threshold: '≥ 90%' });
    expect(evaluateNotNull(notNull('t', { minRatio: 0.9 }), { rows: 10, nonNull: 8 })).toMatchObject({
      outcome: 'failed',
      message: '80% of 10 rows have t (2 null; allowed ≥ 90%)',
    });
    expect(evaluateNotNull(notNull('t'), { rows: 0, nonNull: 0 }).outcome).toBe('skipped');
    expect(evaluateUnique(unique(['k']), { rows: 5, duplicateRows: 0, duplicateKeys: 0 }).outcome).toBe('passed');
    expect(evaluateUnique(unique(['k', 'd']), { rows: 5, duplicateRows: 2, duplicateKeys: 1 }).message).toBe(
      '2 rows repeat a (k, d) seen before (1 key affected; allowed 0)',
    );
    expect(evaluateAcceptedValues(acceptedValues('c', ['a', 'b']), { rows: 4, outside: 3, distinctOutside: 2 })).toMatchObject({
      outcome: 'failed',
      value: 3,
      threshold: 'in [a, b]',
    });
    expect(evaluateRange(range('w', { max: 10 }), { rows: 3, below: 0, above: 1, notNumeric: 1, min: 1, max: 12 })).toMatchObject({
      outcome: 'failed',
      value: 2,
      threshold: '≤ 10',
      message: '2 rows have w outside ≤ 10 (1 above, 1 not a number; observed 1 – 12)',
    });
    expect(evaluateReferences(references('s', { table: 't', column: 'id' }), { rows: 3, missing: 0, distinctMissing: 0 }).outcome).toBe('passed');
  });

  it('custom SQL: one row with value and passed, or a failed result saying what was expected', () => {
    const c = sql('my_check', 'SELECT 1');
    expect(evaluateSql(c, [{ value: '0.25', passed: true, threshold: '≤ 0.5' }])).toMatchObject({ outcome: 'passed', value: 0.25, message: 'value 0.25 (allowed ≤ 0.5)' });
    expect(evaluateSql(c, [{ value: null, passed: false, message: 'no data' }])).toMatchObject({ outcome: 'failed', value: null, message: 'no data' });
    expect(evaluateSql(c, []).message).toMatch(/^query returned 0 rows; expected exactly one row/);
    expect(evaluateSql(c, [{ value: 1, passed: 't' }]).outcome).toBe('failed');
    expect(evaluateSql(c, [{ value: 'abc', passed: true }]).outcome).toBe('failed');
  });
});

describe('alerts', () => {
  const ui = { uiUrl: 'http://ui.test', namespace: 'default' };

  it('a partition alert names pipeline, partition, reason and the run link', () => {
    const text = formatAlert(
      { kind: AlertKind.CHECK_FAILED, pipeline: 'weather', partitions: ['2024-08-01T03'], reason: 'CheckFailed: check volume failed: 3 rows <x>', workflowId: 'weather/2024-08-01T03', runId: 'r1', step: 'validate' },
      ui,
    );
    expect(text).toContain('weather/2024-08-01T03 failed a blocking check');
    expect(text).toContain('partition: `2024-08-01T03`');
    expect(text).toContain('reason: CheckFailed: check volume failed: 3 rows &lt;x&gt;');
    expect(text).toContain('Temporal UI: http://ui.test/namespaces/default/workflows/weather%2F2024-08-01T03/r1/history');
  });

  it('a backfill summary lists at most 10 partitions and the count', () => {
    const failures = Array.from({ length: 12 }, (_, i) => ({ partition: `2024-08-01T${String(i).padStart(2, '0')}`, error: 'boom' }));
    const text = formatAlert(
      {
        kind: AlertKind.BACKFILL_FAILED,
        pipeline: 'weather',
        partitions: failures.slice(0, 10).map((f) => f.partition),
        failures: failures.slice(0, 10),
        failedCount: 12,
        total: 24,
        range: { from: '2024-08-01T00', to: '2024-08-02T00' },
        reason: '12 of 24 partitions failed',
        workflowId: 'backfill/weather/2024-08-01T00..2024-08-02T00',
      },
      ui,
    );
    expect(text.split('\n').filter((l) => l.startsWith('• '))).toHaveLength(10);
    expect(text).toContain('… and 2 more');
    expect(text).toContain('12 partitions failed* (of 24)');
    expect(text).toContain('--only-failed');
  });

  it('scrubs the webhook URL and its secret path from error text', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXsecret';
    expect(scrub(`POST ${url} failed`, url)).toBe('POST <webhook> failed');
    expect(scrub('GET /services/T000/B000/XXXXsecret 404', url)).toBe('GET <webhook-path> 404');
  });

  it('without a webhook, logs at warn and reports not delivered', async () => {
    const lines: string[] = [];
    const alerter = createAlerter({ config: { ...ui, slackWebhookUrl: undefined }, logger: createLogger('warn', {}, { write: (s: string) => void lines.push(s) }) });
    const out = await alerter.send({ kind: AlertKind.PARTITION_FAILED, pipeline: 'weather', partitions: ['2024-08-01T03'], reason: 'x', workflowId: 'weather/2024-08-01T03' });
    expect(out.delivered).toBe(false);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 40, alert: 'partition-failed', pipeline: 'weather', partitions: ['2024-08-01T03'], url: 'http://ui.test/namespaces/default/workflows/weather%2F2024-08-01T03' });
  });
});
