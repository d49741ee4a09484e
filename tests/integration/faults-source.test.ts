/**
 * The source API misbehaving, on the real servers, with the exact rows checked afterwards: a request
 * hanging past the per-request timeout is abandoned and retried; a storm of 500, 429, hang and 503
 * on successive attempts ends in one clean load; a truncated or malformed answer fails the partition
 * at once while the rows of the previous run stay untouched and nothing of the failed attempt
 * (not even the requests that had succeeded) is kept; the next clean run loads exactly once.
 *
 * The `weather` pipeline here is the real definition with a 2 s request timeout instead of 15 s.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { definePipeline, type HttpJsonSource } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { weather } from '../../pipelines/weather';
import { expectExactlyLoaded, expectedWeatherRows, lastAttempt } from './fault-fixture';
import { intermediateName } from '../../activities/intermediates';
import { createHarness, intermediateTables, type Harness } from './harness';

const TIMEOUT_MS = 2000;
const weatherShortTimeout = definePipeline({ ...weather, source: { ...(weather.source as HttpJsonSource), timeoutMs: TIMEOUT_MS } });

let h: Harness;
const loaded: string[] = [];

beforeAll(async () => {
  h = await createHarness({ registry: createRegistry([weatherShortTimeout]) });
});
afterAll(async () => h?.close());
beforeEach(() => h.api.clearFaults());

async function ingestAttempt(partition: string) {
  const handle = h.client.workflow.getHandle(`weather/${partition}`);
  return lastAttempt(h.client, handle.workflowId, (await handle.describe()).runId, 'ingest');
}

async function rowsOf(partition: string) {
  const { rows } = await h.pool.query(
    `SELECT dp_partition, location_id, observed_at, temperature_c, precipitation_mm, wind_speed_ms
       FROM weather_observations WHERE dp_partition = $1 ORDER BY location_id`,
    [partition],
  );
  return rows;
}

describe('source faults', () => {
  it('a request hanging past the timeout is abandoned and retried; rows exact', async () => {
    const partition = '2023-03-01T00';
    h.api.setFaults([{ kind: 'hang', times: 1 }]);
    const s = await h.run('weather', partition);
    expect(s).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsLoaded: 3, rowsQuarantined: 0, rowsDeduplicated: 0 });
    expect(h.api.stats().faultsServed).toBe(1);
    const ingest = await ingestAttempt(partition);
    expect(ingest.attempt).toBe(2);
    expect(ingest.lastFailure?.message).toBe(`forecast?location=seattle: no complete answer within ${TIMEOUT_MS} ms`);
    expect(ingest.lastFailure?.applicationFailureInfo?.type).toBe('SourceUnavailable');
    loaded.push(partition);
    await expectExactlyLoaded(h.pool, loaded);
  });

  it('500, 429, a hang and 503 on successive attempts end in one clean load', async () => {
    const partition = '2023-03-01T01';
    const before = h.api.stats();
    h.api.setFaults([
      { kind: 'status', status: 500, times: 1 },
      { kind: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      { kind: 'hang', times: 1 },
      { kind: 'status', status: 503, times: 1 },
    ]);
    const s = await h.run('weather', partition);
    expect(s).toMatchObject({ rowsIn: 3, rowsLoaded: 3 });
    const after = h.api.stats();
    expect(after.faultsServed - before.faultsServed).toBe(4);
    // Four attempts died on their first request; the fifth made all three.
    expect(after.byPath['/v1/forecast']! - before.byPath['/v1/forecast']!).toBe(4 + 3);
    const ingest = await ingestAttempt(partition);
    expect(ingest.attempt).toBe(5);
    expect(ingest.lastFailure?.message).toContain('HTTP 503');
    loaded.push(partition);
    await expectExactlyLoaded(h.pool, loaded);
  });

  it('a truncated answer fails a re-run at once; the previous rows stay; the next clean run loads exactly once', async () => {
    const partition = '2023-03-01T02';
    await h.run('weather', partition);
    const previous = await rowsOf(partition);
    expect(previous).toEqual(expectedWeatherRows([partition]));

    h.api.setFaults([{ kind: 'truncated', times: 1 }]);
    const err = await h.run('weather', partition).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toContain(`weather/${partition} failed in ingest: forecast?location=seattle: response is not valid JSON`);
    expect((await ingestAttempt(partition)).attempt).toBe(1);
    const { rows: ledger } = await h.pool.query(`SELECT status, failed_step, error_type FROM ledger WHERE pipeline = 'weather' AND partition_key = $1`, [partition]);
    expect(ledger).toEqual([{ status: 'failed', failed_step: 'ingest', error_type: 'SourceFormatError' }]);
    expect(await rowsOf(partition)).toEqual(previous);

    await h.run('weather', partition);
    loaded.push(partition);
    await expectExactlyLoaded(h.pool, loaded);
  });

  it('a malformed third answer fails ingest whole: nothing of the first two answers is kept', async () => {
    const partition = '2023-03-01T03';
    // Berlin is the third request; Seattle and New York answer normally first.
    h.api.setFaults([{ kind: 'malformed', latitude: 52.52, times: 1 }]);
    const err = await h.run('weather', partition).catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause?.message).toContain('forecast?location=berlin: response is not valid JSON');
    expect(await intermediateTables(h.pool)).not.toContain(intermediateName('raw', 'weather', partition));
    expect(await rowsOf(partition)).toEqual([]);

    await h.run('weather', partition);
    loaded.push(partition);
    await expectExactlyLoaded(h.pool, loaded);
  });
});
