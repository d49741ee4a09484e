/**
 * Proves how a partition reacts to a misbehaving source and bad rows, on the real servers:
 * 500 and 429 are retried until the partition succeeds; malformed JSON fails it at once
 * (non-retryable) with a message naming the request; invalid rows are quarantined with field and
 * reason while the rest load, and the ledger counts add up; duplicates are counted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, recordHistory, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());
beforeEach(() => h.api.clearFaults());

async function ledger(pipeline: string, partition: string) {
  const { rows } = await h.pool.query('SELECT * FROM ledger WHERE pipeline = $1 AND partition_key = $2', [pipeline, partition]);
  return rows[0];
}

async function ingestAttempts(workflowId: string): Promise<number> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
  // The first started event belongs to ingest; its attempt says how many tries it took.
  return started[0]?.activityTaskStartedEventAttributes?.attempt ?? 0;
}

describe('source failures', () => {
  it('retries HTTP 500 and succeeds', async () => {
    h.api.setFaults([{ kind: 'status', status: 500, times: 2 }]);
    const s = await h.run('weather', '2024-06-01T00');
    expect(s.rowsLoaded).toBe(3);
    expect(h.api.stats().faultsServed).toBe(2);
    expect(await ingestAttempts('weather/2024-06-01T00')).toBe(3);
    expect((await ledger('weather', '2024-06-01T00')).status).toBe('succeeded');
    await recordHistory(h.client.workflow.getHandle('weather/2024-06-01T00'), 'partition-retried-500');
  });

  it('retries HTTP 429 after its Retry-After and succeeds', async () => {
    const before = h.api.stats().faultsServed;
    h.api.setFaults([{ kind: 'rate-limit', retryAfterSeconds: 1, times: 1 }]);
    const s = await h.run('weather', '2024-06-01T01');
    expect(s.rowsLoaded).toBe(3);
    expect(h.api.stats().faultsServed - before).toBe(1);
    expect(await ingestAttempts('weather/2024-06-01T01')).toBe(2);
    // The retry was scheduled with the server's delay, not the policy's 1 s default backoff: the
    // failure recorded in the history carries next_retry_delay.
    const history = await h.client.workflow.getHandle('weather/2024-06-01T01').fetchHistory();
    const json = JSON.stringify(history);
    expect(json).toContain('SourceRateLimited');
  });

  it('fails malformed JSON at once, non-retryably, with a message naming the request', async () => {
    h.api.setFaults([{ kind: 'malformed', times: 5 }]);
    const handle = await h.start('weather', '2024-06-01T02');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const msg = (err as WorkflowFailedError).cause?.message ?? '';
    expect(msg).toContain('weather/2024-06-01T02 failed in ingest');
    expect(msg).toContain('forecast?location=seattle');
    expect(msg).toContain('not valid JSON');
    expect(await ingestAttempts('weather/2024-06-01T02')).toBe(1);
    expect(h.api.stats().faultsServed).toBeGreaterThanOrEqual(1);
    const l = await ledger('weather', '2024-06-01T02');
    expect(l).toMatchObject({ status: 'failed', failed_step: 'ingest', error_type: 'SourceFormatError' });
    expect(l.error).toContain('not valid JSON');
    await recordHistory(handle, 'partition-failed-malformed');
  });

  it('fails a truncated body the same clear way', async () => {
    h.api.setFaults([{ kind: 'truncated', times: 5 }]);
    const err = await h.run('weather', '2024-06-01T03').catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause?.message).toMatch(/not valid JSON/);
  });
});

describe('bad rows', () => {
  it('quarantines invalid rows with field and reason, loads the rest, and the ledger adds up', async () => {
    // Berlin's answer carries a null temperature at index 0; the other two locations are clean.
    h.api.setFaults([{ kind: 'bad-values', latitude: 52.52 }]);
    const s = await h.run('weather', '2024-06-02T00');
    expect(s).toMatchObject({ rowsIn: 3, rowsValid: 2, rowsQuarantined: 1, rowsLoaded: 2, rowsDeduplicated: 0 });
    const { rows } = await h.pool.query(
      `SELECT source_file, line_no, field, reason, raw_value, record FROM quarantine WHERE pipeline = 'weather' AND partition_key = '2024-06-02T00'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source_file: 'forecast?location=berlin', line_no: 1, field: 'temperature_2m', raw_value: 'null' });
    expect(rows[0].reason).toBe('temperature_2m: missing value (null)');
    expect(rows[0].record.location_id).toBe('berlin');
    const l = await ledger('weather', '2024-06-02T00');
    expect(l.rows_in).toBe(l.rows_valid + l.rows_quarantined);
    expect(l.rows_valid).toBe(l.rows_loaded + l.rows_deduplicated);
    const { rows: loaded } = await h.pool.query(`SELECT location_id FROM weather_observations WHERE dp_partition = '2024-06-02T00' ORDER BY 1`);
    expect(loaded.map((r) => r.location_id)).toEqual(['new_york', 'seattle']);
  });

  it('quarantines bad CSV rows with file, line, field and reason, and counts duplicate keys', async () => {
    const folder = path.join(h.landingDir, 'city_weather');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      path.join(folder, 'drop.csv'),
      [
        'location,date,precipitation,temp_max,temp_min,wind,weather',
        'Seattle,2013-03-01,1.0,10.0,5.0,3.0,rain',
        'Seattle,2013-03-01,2.0,11.0,6.0,3.5,rain', // duplicate key: the later row wins
        'New York,2013-03-01,"4 500€",8.0,1.0,4.0,sun',
        'Boston,2013-03-01,0.0,7.0,2.0,4.0,hail',
        'Paris,01/03/2013,0.0,7.0,2.0,4.0,sun', // not ISO: no partition can own it
        'Oslo,2013-03-02,0.0,1.0,-2.0,4.0,snow', // another partition
      ].join('\n'),
    );
    const s = await h.run('city_weather', '2013-03-01');
    expect(s).toMatchObject({ rowsIn: 4, rowsValid: 2, rowsQuarantined: 2, rowsDeduplicated: 1, rowsLoaded: 1, unplaced: 1 });
    const { rows } = await h.pool.query(`SELECT source_file, line_no, field, reason, raw_value FROM quarantine WHERE partition_key = '2013-03-01' ORDER BY line_no`);
    expect(rows).toEqual([
      { source_file: 'drop.csv', line_no: 4, field: 'precipitation', reason: expect.stringContaining('not a plain decimal number'), raw_value: '4 500€' },
      { source_file: 'drop.csv', line_no: 5, field: 'weather', reason: expect.stringMatching(/^weather: /), raw_value: 'hail' },
    ]);
    const { rows: loaded } = await h.pool.query(`SELECT location, precipitation_mm FROM city_weather_daily WHERE dp_partition = '2013-03-01'`);
    expect(loaded).toEqual([{ location: 'Seattle', precipitation_mm: 2 }]);
    const { rows: unplaced } = await h.pool.query(`SELECT source_file, line_no, reason FROM unplaced_records`);
    expect(unplaced).toEqual([{ source_file: 'drop.csv', line_no: 6, reason: expect.stringContaining('is not an ISO date') }]);
  });

  it('fails the partition when too many rows are rejected, naming the commonest reason', async () => {
    h.api.setFaults([{ kind: 'bad-values' }]);
    const err = await h.run('weather', '2024-06-02T01').catch((e: unknown) => e);
    const msg = (err as WorkflowFailedError).cause?.message ?? '';
    expect(msg).toContain('failed in validate');
    expect(msg).toMatch(/3 of 3 rows rejected/);
    expect(msg).toContain('temperature_2m');
    expect((await ledger('weather', '2024-06-02T01')).error_type).toBe('RejectedRatioExceeded');
    await recordHistory(h.client.workflow.getHandle('weather/2024-06-02T01'), 'partition-failed-rejected-ratio');
  });
});
