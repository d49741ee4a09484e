/**
 * Proves data quality checks, the quarantine report and alerts on the real Temporal dev server and
 * PostgreSQL, with a real HTTP server standing in for Slack:
 * - every declared check is measured on the partition's valid rows and stored per partition; a
 *   blocking failure fails validate (non-retryable CheckFailed) naming check, value and threshold,
 *   and nothing is loaded; a re-run replaces the results;
 * - a failed partition posts exactly one alert naming pipeline, partition, reason and UI link; a
 *   failing warning volume check alerts and the partition still loads; a backfill with failures
 *   posts one summary and its children none; a webhook answering 500 or unreachable fails nothing;
 * - `datapulse quarantine` lists rejected rows (file, line, field, reason, raw value) and unplaced
 *   rows, and a re-run clears the partition's quarantine rows;
 * - `datapulse status` shows the failed checks of failed partitions and counts in the range.
 * (August–September 2024 partitions: workflow ids are shared on the server with other files.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { acceptedValues, notNull, range, references, sql, unique, volume, type Check } from '../../core/checks';
import { backfillWorkflowId, startOrAttachBackfill } from '../../ops/backfill-client';
import { workflowUiUrl } from '../../infra/config';
import { createLogger } from '../../infra/logger';
import { daily, definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { decimal, isoDate } from '../../core/schema-helpers';
import { cityWeather } from '../../pipelines/city-weather';
import { weather } from '../../pipelines/weather';
import { quarantineOutput } from '../../scripts/commands/quarantine';
import { pipelineStatus } from '../../scripts/commands/status';
import { createHarness, recordHistory, scheduledActivities, type Harness } from './harness';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

/** A small daily CSV pipeline whose checks the tests can trip one by one. */
function dqPipeline(name: string, checks: readonly Check[]) {
  return definePipeline({
    name,
    description: `checks test pipeline ${name}`,
    version: 1,
    partitioning: daily('2024-01-01'),
    params: {},
    source: { kind: 'csv-files', timeColumn: 'day', requiredColumns: ['station', 'day', 'temp', 'code', 'wind'] },
    schema: z.object({
      station: z.string().min(1),
      day: isoDate(),
      temp: z.literal('').transform(() => null).or(decimal()),
      code: z.string(),
      wind: decimal(),
    }),
    transform: (row) => ({ station: row.station, day: row.day, temp: row.temp, code: row.code, wind: row.wind }),
    target: {
      table: `${name}_daily`,
      columns: { station: 'text', day: 'date', temp: 'double precision', code: 'text', wind: 'double precision' },
      key: ['station', 'day'],
    },
    checks,
  });
}

const dqStrict = dqPipeline('dq_strict', [
  notNull('temp', { minRatio: 0.8 }),
  unique(['station', 'day']),
  acceptedValues('code', ['A', 'B', 'C']),
  range('wind', { min: 0, max: 100 }),
  references('station', { table: 'dq_stations', column: 'id' }),
  volume({ lookback: 5, minRatio: 0.5, maxRatio: 2 }),
  sql(
    'calm_share',
    `SELECT coalesce(avg(CASE WHEN wind = 0 THEN 1 ELSE 0 END), 0)::float8 AS value,
            coalesce(avg(CASE WHEN wind = 0 THEN 1 ELSE 0 END), 0) <= 0.5 AS passed,
            '≤ 0.5' AS threshold
       FROM partition_rows`,
  ),
]);

const dqWarn = dqPipeline('dq_warn', [
  // A broken custom query becomes a failed result; the checks after it still run.
  sql('broken_query', 'SELECT nope FROM missing_table', { severity: 'warning' }),
  unique(['station', 'day'], { severity: 'warning' }),
  volume({ lookback: 5, minRatio: 0.5, maxRatio: 2, severity: 'warning' }),
]);

const dqPlain = dqPipeline('dq_plain', []);

const registry = createRegistry([weather, cityWeather, dqStrict, dqWarn, dqPlain]);

let h: Harness;
let hook: WebhookReceiver;
const logLines: string[] = [];

beforeAll(async () => {
  hook = await startWebhookReceiver();
  const logger = createLogger('warn', { test: 'checks-and-alerts' }, { write: (s: string) => void logLines.push(s) });
  h = await createHarness({ registry, configOverrides: { slackWebhookUrl: hook.url }, logger });
  await h.pool.query('CREATE TABLE dq_stations (id text PRIMARY KEY)');
  await h.pool.query(`INSERT INTO dq_stations SELECT 's' || lpad(i::text, 2, '0') FROM generate_series(1, 30) i`);
});
afterAll(async () => {
  await h?.close();
  await hook?.close();
});
beforeEach(() => {
  h.api.clearFaults();
  hook.mode = 'ok';
  hook.clear();
  logLines.splice(0);
});

// ---------------------------------------------------------------------------------------------

type Row = [station: string, day: string, temp: string, code: string, wind: string];

function goodRows(day: string, n = 10): Row[] {
  return Array.from({ length: n }, (_, i) => [`s${String(i + 1).padStart(2, '0')}`, day, '12.5', 'A', '5']);
}

function drop(pipeline: string, day: string, rows: readonly Row[], file = `${day}.csv`): void {
  const folder = path.join(h.landingDir, pipeline);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, file), ['station,day,temp,code,wind', ...rows.map((r) => r.join(','))].join('\n') + '\n');
}

async function checkResults(pipeline: string, partition: string) {
  const { rows } = await h.pool.query(
    `SELECT check_name, severity, outcome, value, threshold, message FROM check_results WHERE pipeline = $1 AND partition_key = $2 ORDER BY check_name`,
    [pipeline, partition],
  );
  return rows as { check_name: string; severity: string; outcome: string; value: number | null; threshold: string | null; message: string }[];
}

async function ledger(pipeline: string, partition: string) {
  const { rows } = await h.pool.query('SELECT * FROM ledger WHERE pipeline = $1 AND partition_key = $2', [pipeline, partition]);
  return rows[0];
}

async function failure(p: Promise<unknown>): Promise<{ message: string; type: string | undefined }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as (Error & { type?: string }) | undefined;
  return { message: cause?.message ?? '', type: cause?.type };
}

/** Results of the sendAlert activities a workflow ran, decoded from its history. */
async function alertResults(handle: WorkflowHandle): Promise<{ delivered: boolean; error?: string }[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendAlert').map((e) => String(e.eventId)),
  );
  return events
    .filter((e) => e.activityTaskCompletedEventAttributes && scheduled.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)))
    .map((e) => {
      const data = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
      return JSON.parse(Buffer.from(data ?? new Uint8Array()).toString('utf8')) as { delivered: boolean; error?: string };
    });
}

/** Alert lines of the worker's JSON log (pino, warn). */
function alertLogs(): { alert: string; pipeline: string; partitions: string[]; reason?: string; url?: string; level: number; msg: string; error?: string }[] {
  return logLines
    .flatMap((l) => l.split('\n'))
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.component === 'alerts') as never;
}

async function uiLink(workflowId: string): Promise<string> {
  const { runId } = await h.client.workflow.getHandle(workflowId).describe();
  return workflowUiUrl(h.config, workflowId, runId);
}

// ---------------------------------------------------------------------------------------------

describe('checks', () => {
  it('stores every check per partition; volume is skipped until 3 succeeded partitions precede it', async () => {
    for (const day of ['2024-09-01', '2024-09-02', '2024-09-03', '2024-09-04', '2024-09-05']) {
      drop('dq_strict', day, goodRows(day));
      expect(await h.run('dq_strict', day)).toMatchObject({ rowsLoaded: 10 });
    }
    const first = await checkResults('dq_strict', '2024-09-01');
    expect(first.map((r) => [r.check_name, r.outcome])).toEqual([
      ['accepted_values(code)', 'passed'],
      ['calm_share', 'passed'],
      ['not_null(temp)', 'passed'],
      ['range(wind)', 'passed'],
      ['references(station->dq_stations.id)', 'passed'],
      ['unique(station,day)', 'passed'],
      ['volume', 'skipped'],
    ]);
    expect(first.find((r) => r.check_name === 'volume')?.message).toBe('10 rows; only 0 succeeded partitions before this one, 3 needed to compare');
    expect((await checkResults('dq_strict', '2024-09-03')).find((r) => r.check_name === 'volume')?.outcome).toBe('skipped');
    expect((await checkResults('dq_strict', '2024-09-04')).find((r) => r.check_name === 'volume')).toMatchObject({
      outcome: 'passed',
      value: 10,
      message: '10 rows vs median 10 of the last 3 succeeded partitions (allowed 0.5×–2×)',
    });
    expect(hook.posts).toHaveLength(0);
  });

  it('fails validate on a blocking volume drop, naming check, value and threshold; loads nothing; alerts once', async () => {
    drop('dq_strict', '2024-09-06', goodRows('2024-09-06'));
    await h.run('dq_strict', '2024-09-06');
    drop('dq_strict', '2024-09-06', goodRows('2024-09-06', 2));
    hook.clear();
    const handle = await h.start('dq_strict', '2024-09-06');
    const f = await failure(handle.result());
    const expected = 'check volume failed: 2 rows vs median 10 of the last 5 succeeded partitions (allowed 0.5×–2×)';
    expect(f).toEqual({ type: 'CheckFailed', message: `dq_strict/2024-09-06 failed in validate: ${expected}` });
    // Non-retryable: validate ran once; nothing after it.
    expect(await scheduledActivities(handle)).toEqual(['ingest', 'validate', 'recordFailure', 'sendAlert']);
    expect(await ledger('dq_strict', '2024-09-06')).toMatchObject({ status: 'failed', failed_step: 'validate', error_type: 'CheckFailed', error: expected });
    // The target keeps the previous run's 10 rows: the load did not happen.
    const { rows } = await h.pool.query(`SELECT count(*)::int AS n FROM dq_strict_daily WHERE dp_partition = '2024-09-06'`);
    expect(rows[0].n).toBe(10);
    expect((await checkResults('dq_strict', '2024-09-06')).find((r) => r.check_name === 'volume')).toMatchObject({
      severity: 'blocking',
      outcome: 'failed',
      value: 2,
      threshold: '5–20 rows (0.5×–2× median 10)',
    });

    expect(hook.posts).toHaveLength(1);
    const text = hook.posts[0]?.body.text ?? '';
    expect(text).toContain('dq_strict/2024-09-06 failed a blocking check');
    expect(text).toContain('partition: `2024-09-06`');
    expect(text).toContain(`reason: CheckFailed: ${expected}`);
    expect(text).toContain(await uiLink('dq_strict/2024-09-06'));
    await recordHistory(handle, 'partition-failed-check-alerted');
  });

  it('reports every failing check of a partition in one message, and a fixed re-run replaces the results', async () => {
    const d = '2024-09-07';
    drop('dq_strict', d, [
      ['s01', d, '', 'A', '0'],
      ['s02', d, '', 'A', '0'],
      ['s03', d, '', 'A', '0'],
      ['s04', d, '12', 'Z', '0'],
      ['s05', d, '12', 'A', '150'],
      ['x99', d, '12', 'A', '0'],
      ['s07', d, '12', 'A', '0'],
      ['s08', d, '12', 'A', '5'],
      ['s09', d, '12', 'A', '5'],
      ['s09', d, '12', 'A', '5'],
    ]);
    const f = await failure(h.run('dq_strict', d));
    const expected = [
      'check not_null(temp) failed: 70% of 10 rows have temp (3 null; allowed ≥ 80%)',
      'check unique(station,day) failed: 1 row repeats a (station, day) seen before (1 key affected; allowed 0)',
      'check accepted_values(code) failed: 1 row has a code outside [A, B, C] (1 distinct value)',
      'check range(wind) failed: 1 row has wind outside [0, 100] (1 above; observed 0 – 150)',
      'check references(station->dq_stations.id) failed: 1 row has a station missing from dq_stations.id (1 distinct value)',
      'check calm_share failed: value 0.6 (allowed ≤ 0.5)',
    ].join('; ');
    expect(f.type).toBe('CheckFailed');
    expect(f.message).toBe(`dq_strict/${d} failed in validate: ${expected}`);
    const results = await checkResults('dq_strict', d);
    expect(results.map((r) => [r.check_name, r.outcome, r.value, r.threshold])).toEqual([
      ['accepted_values(code)', 'failed', 1, 'in [A, B, C]'],
      ['calm_share', 'failed', 0.6, '≤ 0.5'],
      ['not_null(temp)', 'failed', 0.7, '≥ 80%'],
      ['range(wind)', 'failed', 1, '[0, 100]'],
      ['references(station->dq_stations.id)', 'failed', 1, '0 missing'],
      ['unique(station,day)', 'failed', 1, '0 duplicate rows'],
      ['volume', 'passed', 10, '5–20 rows (0.5×–2× median 10)'],
    ]);
    expect(hook.posts).toHaveLength(1);

    drop('dq_strict', d, goodRows(d));
    hook.clear();
    expect(await h.run('dq_strict', d)).toMatchObject({ rowsLoaded: 10 });
    const after = await checkResults('dq_strict', d);
    expect(after).toHaveLength(7);
    expect(after.every((r) => r.outcome === 'passed')).toBe(true);
    expect(hook.posts).toHaveLength(0);
  });

  it('shows failed checks of failed partitions and the counts of the range in `datapulse status`', async () => {
    const { map, output } = await pipelineStatus({ pool: h.pool, config: h.config, registry }, 'dq_strict', { from: '2024-09-01', to: '2024-09-08' });
    expect(map.counts).toMatchObject({ succeeded: 6, failed: 1 });
    expect(map.checks).toEqual({
      failed: 1,
      warnings: 0,
      ofFailed: { '2024-09-06': [{ name: 'volume', severity: 'blocking', value: 2, threshold: '5–20 rows (0.5×–2× median 10)', message: '2 rows vs median 10 of the last 5 succeeded partitions (allowed 0.5×–2×)' }] },
    });
    expect(output).toContain('  checks: 1 failed (blocking), 0 warnings\n');
    expect(output).toContain('check volume (blocking) failed: 2 rows vs median 10 of the last 5 succeeded partitions (allowed 0.5×–2×)');
    const json = JSON.parse((await pipelineStatus({ pool: h.pool, config: h.config, registry }, 'dq_strict', { from: '2024-09-01', to: '2024-09-08', json: true })).output);
    expect(json.checks).toEqual({ failed: 1, warnings: 0 });
    expect(json.failed[0].checks).toHaveLength(1);
  });
});

describe('alerts', () => {
  it('a warning volume check that fails alerts once, and the partition still loads', async () => {
    for (const day of ['2024-08-01', '2024-08-02', '2024-08-03', '2024-08-04', '2024-08-05']) {
      drop('dq_warn', day, goodRows(day));
      await h.run('dq_warn', day);
    }
    // Warnings that are not about volume are recorded, not alerted; the checks after a broken query still ran.
    expect(hook.posts).toHaveLength(0);
    const first = await checkResults('dq_warn', '2024-08-01');
    expect(first.map((r) => [r.check_name, r.outcome])).toEqual([
      ['broken_query', 'failed'],
      ['unique(station,day)', 'passed'],
      ['volume', 'skipped'],
    ]);
    expect(first[0]?.message).toBe('its query failed: relation "missing_table" does not exist');

    drop('dq_warn', '2024-08-06', goodRows('2024-08-06', 25));
    const s = await h.run('dq_warn', '2024-08-06');
    expect(s).toMatchObject({ rowsLoaded: 25 });
    expect(hook.posts).toHaveLength(1);
    const text = hook.posts[0]?.body.text ?? '';
    expect(text).toContain('volume anomaly in dq_warn/2024-08-06');
    expect(text).toContain('check volume (warning) failed: 25 rows vs median 10 of the last 5 succeeded partitions (allowed 0.5×–2×)');
    expect(text).toContain(await uiLink('dq_warn/2024-08-06'));
    const logs = alertLogs();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 40, alert: 'volume-anomaly', pipeline: 'dq_warn', partitions: ['2024-08-06'], url: await uiLink('dq_warn/2024-08-06') });
    await recordHistory(h.client.workflow.getHandle('dq_warn/2024-08-06'), 'partition-volume-anomaly-alerted');
  });

  it('a webhook answering 500 or unreachable fails nothing; the alert is logged', async () => {
    hook.mode = 'error';
    drop('dq_warn', '2024-08-07', goodRows('2024-08-07', 2));
    const handle = await h.start('dq_warn', '2024-08-07');
    expect(await handle.result()).toMatchObject({ rowsLoaded: 2 });
    expect(hook.posts.map((p) => p.status)).toEqual([500]);
    const [r] = await alertResults(handle);
    expect(r?.delivered).toBe(false);
    expect(r?.error).toContain('500');
    expect(r?.error).not.toContain(hook.secret);
    const logs = alertLogs();
    expect(logs.map((l) => l.msg)).toEqual([expect.stringMatching(/^alert: volume-anomaly dq_warn 2024-08-07/), 'alert could not be sent to Slack; it is in this log only']);
    expect(logLines.join('')).not.toContain(hook.secret);

    await hook.stop();
    try {
      drop('dq_warn', '2024-08-08', goodRows('2024-08-08', 2));
      const h8 = await h.start('dq_warn', '2024-08-08');
      expect(await h8.result()).toMatchObject({ rowsLoaded: 2 });
      const [r8] = await alertResults(h8);
      expect(r8?.delivered).toBe(false);
      expect(r8?.error).toMatch(/ECONNREFUSED/);
      expect(r8?.error).not.toContain(hook.secret);

      // A failing partition keeps its own failure when the alert cannot be sent.
      h.api.setFaults([{ kind: 'malformed', times: 5 }]);
      const h10 = await h.start('weather', '2024-08-10T01');
      const f = await failure(h10.result());
      expect(f.type).toBe('SourceFormatError');
      expect(f.message).toContain('not valid JSON');
      expect(await ledger('weather', '2024-08-10T01')).toMatchObject({ status: 'failed', error_type: 'SourceFormatError' });
      expect((await alertResults(h10))[0]?.delivered).toBe(false);
    } finally {
      await hook.restart();
    }
  });

  it('a failed partition posts exactly one alert with pipeline, partition, reason and Temporal UI link', async () => {
    h.api.setFaults([{ kind: 'malformed', times: 5 }]);
    const f = await failure(h.run('weather', '2024-08-10T00'));
    expect(f.type).toBe('SourceFormatError');
    expect(hook.posts).toHaveLength(1);
    const post = hook.posts[0]!;
    expect(post.path).toBe(new URL(hook.url).pathname);
    const text = post.body.text ?? '';
    expect(text).toContain('DataPulse weather/2024-08-10T00 failed in ingest');
    expect(text).toContain('pipeline: `weather`  partition: `2024-08-10T00`');
    expect(text).toMatch(/reason: SourceFormatError: forecast\?location=seattle.*not valid JSON/);
    expect(text).toContain(`Temporal UI: ${await uiLink('weather/2024-08-10T00')}`);
    expect(alertLogs()).toMatchObject([{ alert: 'partition-failed', pipeline: 'weather', partitions: ['2024-08-10T00'] }]);
  });

  it('a backfill with failures posts one summary (10 listed + the count) and its children none', async () => {
    const from = '2024-08-12T00';
    const to = '2024-08-13T00';
    // Berlin's answer is malformed for the first 12 requests: exactly 12 partitions fail (non-retryable).
    h.api.setFaults([{ kind: 'malformed', latitude: 52.52, times: 12 }]);
    const { handle } = await startOrAttachBackfill(h.client, h.config, weather, { from, to, mode: 'missing', concurrency: 4 });
    const summary = await handle.result();
    expect(summary).toMatchObject({ total: 24, done: 12, failed: 12, status: 'completed' });
    expect(hook.posts).toHaveLength(1);
    const text = hook.posts[0]?.body.text ?? '';
    expect(text).toContain(`DataPulse backfill of weather ${from} … ${to}: 12 partitions failed* (of 24)`);
    expect(text.split('\n').filter((l) => l.startsWith('• `2024-08-12T'))).toHaveLength(10);
    expect(text).toContain('… and 2 more');
    expect(text).toContain(`Temporal UI: ${await uiLink(backfillWorkflowId('weather', from, to))}`);
    expect(text).toContain(`datapulse backfill weather --from ${from} --to ${to} --only-failed`);
    expect(alertLogs()).toMatchObject([{ alert: 'backfill-failed', pipeline: 'weather' }]);
    // No child alerted by itself.
    const failedChild = summary.failures[0]?.partition ?? '';
    expect(await scheduledActivities(h.client.workflow.getHandle(`weather/${failedChild}`))).toEqual(['ingest', 'recordFailure']);
    await recordHistory(h.client.workflow.getHandle(backfillWorkflowId('weather', from, to)), 'backfill-failures-summary-alerted');
  });
});

describe('quarantine', () => {
  it('lists rejected rows with file, line, field, reason and raw value; a re-run clears only that partition', async () => {
    h.api.setFaults([{ kind: 'bad-values', latitude: 52.52 }]);
    await h.run('weather', '2024-08-20T00');
    await h.run('weather', '2024-08-20T01');
    h.api.clearFaults();
    const deps = { pool: h.pool, registry, config: h.config };
    const { report, output } = await quarantineOutput(deps, 'weather', '2024-08-20T00');
    expect(report).toMatchObject({
      total: 1,
      rows: [{ sourceFile: 'forecast?location=berlin', lineNo: 1, field: 'temperature_2m', reason: 'temperature_2m: missing value (null)', rawValue: 'null' }],
      ledger: { status: 'succeeded' },
      unplaced: null,
      rerun: 'datapulse run weather 2024-08-20T00',
    });
    expect(output).toContain('weather 2024-08-20T00: 1 quarantined row\n');
    expect(output).toMatch(/forecast\?location=berlin\s+1\s+temperature_2m\s+"null"\s+temperature_2m: missing value \(null\)/);
    expect(output).toContain('re-run: datapulse run weather 2024-08-20T00');

    // The real CLI prints the same report.
    const cli = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'datapulse.cjs'), 'quarantine', 'weather', '2024-08-20T00'], {
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), DATAPULSE_SCHEMA: h.schema },
    });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toBe(output);

    // The source is fixed (faults cleared): re-running replaces the partition's quarantine rows.
    expect(await h.run('weather', '2024-08-20T00')).toMatchObject({ rowsQuarantined: 0, rowsLoaded: 3 });
    expect((await quarantineOutput(deps, 'weather', '2024-08-20T00')).report.total).toBe(0);
    const { rows } = await h.pool.query(`SELECT partition_key, count(*)::int AS n FROM quarantine WHERE pipeline = 'weather' AND partition_key LIKE '2024-08-20T%' GROUP BY 1`);
    expect(rows).toEqual([{ partition_key: '2024-08-20T01', n: 1 }]);
  });

  it('shows unplaced rows for file sources, honours --limit and --json', async () => {
    const d = '2024-08-25';
    drop('dq_plain', d, [
      ['s01', d, '1', 'A', '5'],
      ['s02', d, '1', 'A', 'abc'],
      ['s03', '25/08/2024', '1', 'A', '5'],
      ['s04', d, '1', 'A', '-'],
      ['s05', d, '1', 'A', '5'],
      ['s06', d, '1', 'A', '5'],
    ]);
    expect(await h.run('dq_plain', d)).toMatchObject({ rowsIn: 5, rowsQuarantined: 2, rowsLoaded: 3, unplaced: 1 });
    const deps = { pool: h.pool, registry, config: h.config };
    const { report, output } = await quarantineOutput(deps, 'dq_plain', d);
    expect(report.rows).toEqual([
      { sourceFile: `${d}.csv`, lineNo: 3, field: 'wind', reason: expect.stringContaining('not a plain decimal number'), rawValue: 'abc' },
      { sourceFile: `${d}.csv`, lineNo: 5, field: 'wind', reason: expect.stringContaining('not a plain decimal number'), rawValue: '-' },
    ]);
    expect(report.unplaced).toEqual({ total: 1, rows: [{ sourceFile: `${d}.csv`, lineNo: 4, reason: expect.stringContaining('25/08/2024') }] });
    expect(output).toContain(`unplaced rows of dq_plain (no partition can own them: their time column is unreadable): 1`);
    expect(output).toContain(`${d}.csv:4`);

    const limited = await quarantineOutput(deps, 'dq_plain', d, { limit: 1, json: true });
    const json = JSON.parse(limited.output);
    expect(json).toMatchObject({ pipeline: 'dq_plain', partition: d, total: 2, limit: 1, rerun: `datapulse run dq_plain ${d}` });
    expect(json.rows).toHaveLength(1);
    expect((await quarantineOutput(deps, 'dq_plain', d, { limit: 1 })).output).toContain('2 quarantined rows (first 1; --limit N for more');
  });
});
