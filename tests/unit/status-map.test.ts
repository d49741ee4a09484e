/**
 * Proves the partition map of `datapulse status`: states from ledger rows (stale when the params
 * hash or code version differ), counts, runs, the grid/runs switch with elision, the failed list,
 * the JSON document, default ranges, and that 100,000 partitions stay fast and bounded.
 */
import { describe, expect, it } from 'vitest';
import { currentFingerprint } from '../../infra/fingerprint';
import { keysInRange, shiftKey } from '../../core/partition';
import { BackfillMode, PartitionState, planAction } from '../../core/plan';
import {
  computePipelineStatus,
  computeStatus,
  gridLineCount,
  nextCommands,
  renderStatus,
  resolveStatusRange,
  unionSpans,
  statusJson,
  StatusRangeError,
  type StatusLedgerRow,
} from '../../ops/status';
import { registry } from '../../pipelines';
import { cityWeather } from '../../pipelines/city-weather';
import { weather } from '../../pipelines/weather';

const config = { uiUrl: 'http://ui.test', namespace: 'default' };
const CURRENT = { paramsHash: 'p1', codeVersion: 'v1-abc' };

function row(key: string, over: Partial<StatusLedgerRow> = {}): StatusLedgerRow {
  return {
    partition_key: key,
    status: 'succeeded',
    params_hash: CURRENT.paramsHash,
    code_version: CURRENT.codeVersion,
    error: null,
    failed_step: null,
    workflow_id: `weather/${key}`,
    run_id: 'run-1',
    rows_loaded: 3,
    rows_quarantined: 0,
    finished_at: new Date('2024-07-02T00:00:00Z'),
    ...over,
  };
}

const hourly = (rows: StatusLedgerRow[], from: string, to: string) =>
  computeStatus({ pipeline: 'weather', granularity: 'hourly', current: CURRENT }, from, to, rows);

describe('computeStatus', () => {
  const rows = [
    row('2024-07-01T00'),
    row('2024-07-01T01'),
    row('2024-07-01T02', { params_hash: 'p0' }),
    row('2024-07-01T03', { code_version: 'v0-old' }),
    row('2024-07-01T04', { status: 'failed', failed_step: 'ingest', error: 'weather/2024-07-01T04 failed in ingest: not valid JSON', error_type: 'SourceFormatError' }),
    row('2024-07-01T05', { status: 'running', finished_at: null }),
    // 06, 07 missing
    row('2024-07-01T08'),
    row('2024-06-30T23', { status: 'failed' }), // outside the range: ignored
    row('2024-07-01T09', { status: 'failed' }), // at `to` (exclusive): ignored
  ];
  const map = hourly(rows, '2024-07-01T00', '2024-07-01T09');

  it('gives every partition its state and counts them', () => {
    expect(map.total).toBe(9);
    expect(map.counts).toEqual({ succeeded: 3, stale: 2, failed: 1, running: 1, missing: 2 });
    expect(map.rows).toEqual({ loaded: 15, quarantined: 0, deduplicated: 0 });
  });

  it('groups consecutive equal states into runs covering the range', () => {
    expect(map.runs).toEqual([
      { first: '2024-07-01T00', last: '2024-07-01T01', state: 'succeeded', length: 2 },
      { first: '2024-07-01T02', last: '2024-07-01T03', state: 'stale', length: 2 },
      { first: '2024-07-01T04', last: '2024-07-01T04', state: 'failed', length: 1 },
      { first: '2024-07-01T05', last: '2024-07-01T05', state: 'running', length: 1 },
      { first: '2024-07-01T06', last: '2024-07-01T07', state: 'missing', length: 2 },
      { first: '2024-07-01T08', last: '2024-07-01T08', state: 'succeeded', length: 1 },
    ]);
    expect(map.runs.reduce((n, r) => n + r.length, 0)).toBe(map.total);
  });

  it('lists failed partitions with step, error and ids', () => {
    expect(map.failed).toEqual([
      {
        key: '2024-07-01T04',
        step: 'ingest',
        error: 'weather/2024-07-01T04 failed in ingest: not valid JSON',
        errorType: 'SourceFormatError',
        workflowId: 'weather/2024-07-01T04',
        runId: 'run-1',
        finishedAt: '2024-07-02T00:00:00.000Z',
      },
    ]);
  });

  it('uses the definition\'s params hash and code version for staleness', () => {
    const def = registry.get('weather');
    const cur = currentFingerprint(def);
    const m = computePipelineStatus(def, '2024-07-01T00', '2024-07-01T02', [
      row('2024-07-01T00', { params_hash: cur.paramsHash, code_version: cur.codeVersion }),
      row('2024-07-01T01', { params_hash: cur.paramsHash, code_version: 'v0-other' }),
    ]);
    expect(m.runs.map((r) => r.state)).toEqual(['succeeded', 'stale']);
  });

  it('handles daily pipelines', () => {
    const m = computeStatus({ pipeline: 'city_weather', granularity: 'daily', current: CURRENT }, '2012-01-30', '2012-02-02', [
      row('2012-01-31'),
    ]);
    expect(m.total).toBe(3);
    expect(m.runs.map((r) => `${r.first}:${r.state}:${r.length}`)).toEqual(['2012-01-30:missing:1', '2012-01-31:succeeded:1', '2012-02-01:missing:1']);
  });
});

describe('renderStatus', () => {
  it('draws one grid line per day for an hourly range, with a header, failures, legend and next command', () => {
    const map = hourly(
      [
        ...[...keysInRange('hourly', '2024-07-01T00', '2024-07-01T20')].map((k) => row(k)),
        row('2024-07-01T20', { status: 'failed', failed_step: 'validate', error: 'too many\nrejected   rows' }),
        row('2024-07-02T03', { params_hash: 'old' }),
      ],
      '2024-07-01T00',
      '2024-07-02T06',
    );
    const out = renderStatus(map, { config });
    const lines = out.split('\n');
    expect(lines[0]).toBe('weather (hourly)  2024-07-01T00 … 2024-07-02T06 [from, to)  30 partitions: 20 succeeded, 1 stale, 1 failed, 0 running, 8 missing');
    expect(out).toContain('  UTC day     0     6     12    18\n');
    expect(out).toContain(`  2024-07-01  ${'█'.repeat(20)}x···\n`);
    expect(out).toContain('  2024-07-02  ···s··\n');
    expect(out).toContain('  2024-07-01T20  validate  too many rejected rows\n');
    expect(out).toContain('http://ui.test/namespaces/default/workflows/weather%2F2024-07-01T20/run-1/history');
    expect(out).toContain('legend: █ succeeded  s stale  x failed  r running  · missing');
    expect(out).toContain('next: re-run failures and fill gaps: datapulse backfill weather --from 2024-07-01T20 --to 2024-07-02T06 --only-failed');
    expect(out).toContain('next: refresh stale (params or code changed): datapulse backfill weather --from 2024-07-02T03 --to 2024-07-02T04');
  });

  it('aligns a range that starts mid-day on the hour columns', () => {
    const out = renderStatus(hourly([row('2024-07-01T22')], '2024-07-01T21', '2024-07-02T01'), { config });
    expect(out).toContain(`  2024-07-01  ${' '.repeat(21)}·█·\n`);
    expect(out).toContain('  2024-07-02  ·\n');
  });

  it('draws one grid line per month for a daily range', () => {
    const map = computeStatus({ pipeline: 'city_weather', granularity: 'daily', current: CURRENT }, '2012-01-01', '2012-03-01', [
      ...[...keysInRange('daily', '2012-01-01', '2012-02-01')].map((k) => row(k)),
      row('2012-02-10', { status: 'running' }),
    ]);
    const out = renderStatus(map, { config });
    expect(out).toContain('  month    1        10        20        30\n');
    expect(out).toContain(`  2012-01  ${'█'.repeat(31)}\n`);
    expect(out).toContain(`  2012-02  ${'·'.repeat(9)}r${'·'.repeat(19)}\n`);
    expect(out).toContain('next: running now: http://ui.test/namespaces/default/workflows?query=');
  });

  it('switches from the grid to runs above ~60 grid lines', () => {
    const rows = [row('2024-01-01T05', { status: 'failed' })];
    const sixty = hourly(rows, '2024-01-01T00', '2024-03-01T00'); // 60 days
    expect(gridLineCount(sixty)).toBe(60);
    expect(renderStatus(sixty, { config })).toContain('  2024-02-29  ····');
    const sixtyOne = hourly(rows, '2024-01-01T00', '2024-03-01T01');
    expect(gridLineCount(sixtyOne)).toBe(61);
    const out = renderStatus(sixtyOne, { config });
    expect(out).not.toContain('UTC day');
    expect(out).toContain('  3 runs of equal states:\n');
    expect(out).toContain('  2024-01-01T00 … 2024-01-01T04  missing   ×5\n');
    expect(out).toContain(`  2024-01-01T05${' '.repeat(18)}failed    ×1\n`);
    expect(out).toContain('  2024-01-01T06 … 2024-03-01T00  missing   ×1435\n');
  });

  it('collapses many runs to at most 40 and says how many were elided', () => {
    // Every fourth hour failed over 100 days: 2 × 600 runs.
    const rows = [...keysInRange('hourly', '2024-01-01T00', '2024-04-10T00')].map((k, i) => row(k, i % 4 === 0 ? { status: 'failed', error: 'boom' } : {}));
    const map = hourly(rows, '2024-01-01T00', '2024-04-10T00');
    expect(map.runs).toHaveLength(1200);
    const out = renderStatus(map, { config });
    const runLines = out.split('\n').filter((l) => / ×\d+$/.test(l));
    expect(runLines).toHaveLength(40);
    expect(out).toMatch(/ {2}… 1160 runs elided \(2024-01-02T16 … 2024-04-08T07: 1740 succeeded, 580 failed\); narrow with --from\/--to, or use --json\n/);
    expect(out).toContain('failed: 600 (first 20)\n');
    expect(out).toContain('  … and 580 more (--json lists them all)\n');
  });

  it('truncates long errors to one line of ~160 characters', () => {
    const map = hourly([row('2024-07-01T00', { status: 'failed', failed_step: 'load', error: `line one\n${'y'.repeat(500)}` })], '2024-07-01T00', '2024-07-01T01');
    const line = renderStatus(map, { config })
      .split('\n')
      .find((l) => l.includes('line one'));
    expect(line).toBeDefined();
    expect(line?.endsWith('…')).toBe(true);
    expect(line?.length).toBeLessThanOrEqual(2 + 13 + 2 + 10 + 160);
  });

  it('names the backfill that runs only the missing partitions when nothing failed, --only-failed when something did', () => {
    const gaps = hourly([row('2024-07-01T01'), row('2024-07-01T03', { params_hash: 'old' })], '2024-07-01T00', '2024-07-01T05');
    const hints = nextCommands(gaps, config);
    expect(hints[0]).toBe('fill gaps: datapulse backfill weather --from 2024-07-01T00 --to 2024-07-01T05 --only-missing');
    expect(hints.join('\n')).not.toContain('--only-failed');
    // What each hinted flag runs, state by state (core/plan.ts): --only-missing touches no failed or stale partition.
    const states = [PartitionState.MISSING, PartitionState.FAILED, PartitionState.STALE, PartitionState.SUCCEEDED, PartitionState.RUNNING];
    expect(states.map((st) => planAction(st, BackfillMode.ONLY_MISSING))).toEqual(['run', 'skip', 'skip', 'skip', 'skip']);
    expect(states.map((st) => planAction(st, BackfillMode.ONLY_FAILED))).toEqual(['run', 'run', 'skip', 'skip', 'run']);
    const failedOnly = hourly([row('2024-07-01T00', { status: 'failed' })], '2024-07-01T00', '2024-07-01T01');
    expect(nextCommands(failedOnly, config)[0]).toBe('re-run failures: datapulse backfill weather --from 2024-07-01T00 --to 2024-07-01T01 --only-failed');
  });

  it('says when everything is up to date', () => {
    const out = renderStatus(hourly([row('2024-07-01T00')], '2024-07-01T00', '2024-07-01T01'), { config });
    expect(out).toContain('next: the 1 partition is up to date\n');
    expect(out).not.toContain('failed:');
  });
});

describe('statusJson', () => {
  it('has the documented shape, with a UI link per failure', () => {
    const map = hourly([row('2024-07-01T00'), row('2024-07-01T01', { status: 'failed', failed_step: 'ingest', error: 'x' })], '2024-07-01T00', '2024-07-01T03');
    const json = JSON.parse(JSON.stringify(statusJson(map, config))) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['pipeline', 'granularity', 'from', 'to', 'total', 'counts', 'rows', 'runs', 'failed']);
    expect(json).toMatchObject({
      pipeline: 'weather',
      from: '2024-07-01T00',
      to: '2024-07-01T03',
      total: 3,
      counts: { succeeded: 1, stale: 0, failed: 1, running: 0, missing: 1 },
      runs: [
        { first: '2024-07-01T00', last: '2024-07-01T00', state: 'succeeded', length: 1 },
        { first: '2024-07-01T01', last: '2024-07-01T01', state: 'failed', length: 1 },
        { first: '2024-07-01T02', last: '2024-07-01T02', state: 'missing', length: 1 },
      ],
      failed: [{ key: '2024-07-01T01', step: 'ingest', error: 'x', workflowId: 'weather/2024-07-01T01', runId: 'run-1', url: 'http://ui.test/namespaces/default/workflows/weather%2F2024-07-01T01/run-1/history' }],
    });
  });
});

describe('resolveStatusRange', () => {
  const now = Date.parse('2024-07-10T13:25:00Z');

  it('covers the known span (ledger and landing files) by default, not through the present', () => {
    expect(resolveStatusRange(weather, {}, { first: '2024-07-01T05', last: '2024-07-03T10' }, now)).toEqual({ from: '2024-07-01T05', to: '2024-07-03T11' });
    expect(resolveStatusRange(cityWeather, {}, { first: '2012-01-01', last: '2015-12-31' }, now)).toEqual({ from: '2012-01-01', to: '2016-01-01' });
    // --from after everything known: through the present.
    expect(resolveStatusRange(weather, { from: '2024-07-08T00' }, { first: '2024-07-01T05', last: '2024-07-03T10' }, now)).toEqual({ from: '2024-07-08T00', to: '2024-07-10T13' });
    expect(unionSpans({ first: '2015-12-30', last: '2015-12-30' }, undefined, { first: '2015-12-28', last: '2015-12-31' })).toEqual({ first: '2015-12-28', last: '2015-12-31' });
    expect(unionSpans(undefined)).toBeUndefined();
  });

  it('looks back 7 days (hourly) / 90 days (daily) when the ledger is empty', () => {
    expect(resolveStatusRange(weather, {}, undefined, now)).toEqual({ from: '2024-07-03T13', to: '2024-07-10T13' });
    expect(resolveStatusRange(cityWeather, {}, undefined, now)).toEqual({ from: shiftKey('daily', '2024-07-10', -90), to: '2024-07-10' });
    expect(resolveStatusRange(weather, { to: '2024-07-02T00' }, { first: '2024-07-05T00', last: '2024-07-06T00' }, now)).toEqual({ from: '2024-06-25T00', to: '2024-07-02T00' });
  });

  it('takes explicit keys and rejects bad ones in one line naming the flag', () => {
    expect(resolveStatusRange(weather, { from: '2024-07-01T00', to: '2024-07-02T00' }, undefined, now)).toEqual({ from: '2024-07-01T00', to: '2024-07-02T00' });
    expect(() => resolveStatusRange(weather, { from: '2024-07-01' }, undefined, now)).toThrow(
      '--from: invalid hourly partition key "2024-07-01": expected YYYY-MM-DDTHH (UTC hour)',
    );
    expect(() => resolveStatusRange(cityWeather, { to: '2024-02-30' }, undefined, now)).toThrow('--to: invalid daily partition key "2024-02-30": day 30 does not exist in 2024-02');
    expect(() => resolveStatusRange(weather, { from: '2024-07-02T00', to: '2024-07-01T00' }, undefined, now)).toThrow(StatusRangeError);
    expect(() => resolveStatusRange(weather, { from: '2024-07-02T00', to: '2024-07-01T00' }, undefined, now)).toThrow(/^empty range: --to 2024-07-01T00 must be after --from 2024-07-02T00/);
    expect(() => resolveStatusRange(weather, { from: '2019-12-31T23' }, undefined, now)).toThrow('--from 2019-12-31T23 is before the first partition of weather (2020-01-01T00)');
  });
});

describe('100,000 partitions', () => {
  it('computes and renders quickly with a bounded number of lines', () => {
    const from = '2020-01-01T00';
    const to = shiftKey('hourly', from, 100_000);
    const rows: StatusLedgerRow[] = [];
    let i = 0;
    for (const k of keysInRange('hourly', from, to)) {
      const m = i++ % 97;
      if (m === 0) continue; // missing
      rows.push(row(k, m === 1 ? { status: 'failed', failed_step: 'ingest', error: 'e'.repeat(4000) } : m === 2 ? { code_version: 'old' } : {}));
    }
    const t0 = performance.now();
    const map = hourly(rows, from, to);
    const out = renderStatus(map, { config });
    const json = JSON.stringify(statusJson(map, config));
    const ms = performance.now() - t0;
    expect(map.total).toBe(100_000);
    expect(Object.values(map.counts).reduce((a, b) => a + b, 0)).toBe(100_000);
    expect(map.counts.missing).toBe(1031);
    expect(map.runs.reduce((n, r) => n + r.length, 0)).toBe(100_000);
    const lines = out.split('\n');
    expect(lines.length).toBeLessThan(120);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(300);
    expect(json.length).toBeGreaterThan(0);
    expect(ms).toBeLessThan(5_000);
  });
});
