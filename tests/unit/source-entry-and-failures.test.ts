/**
 * Issue 9, the pure parts: values PostgreSQL would refuse are found where they enter
 * (activities/sources/storable.ts), PostgreSQL errors are classified (data → non-retryable, the rest
 * retried), windows that are not over are refused, and silence is not success for the volume check.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { classifyStepError, isDataError } from '../../activities/db-errors';
import { findUnstorable } from '../../activities/sources/storable';
import { assertWindowEnded } from '../../activities/windows';
import { evaluateVolume, volume } from '../../core/checks';
import { FailureType, NON_RETRYABLE_TYPES } from '../../core/failure-types';
import { daily, hourly } from '../../core/pipeline';
import { partitionWindow } from '../../core/partition';
import { InvalidRangeError, validateRange } from '../../ops/backfill-client';

/** A node-postgres server error, as `pg` builds it (an Error with the protocol's fields). */
function pgError(code: string, message: string, extra: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR', ...extra });
}

const REF = { pipeline: 'orders', partition: '2024-05-01T13' };

describe('findUnstorable (case 4)', () => {
  it('finds a lone surrogate, naming the field', () => {
    const rec = JSON.parse('{"station":"s1","value":"11.5 \\ud83c"}') as Record<string, unknown>;
    expect(findUnstorable(rec)).toEqual({ field: 'value', reason: expect.stringMatching(/lone UTF-16 surrogate \\ud83c at position 5/) });
  });

  it('finds NUL, nested values and bad keys; accepts paired surrogates (emoji) and plain text', () => {
    expect(findUnstorable({ a: { b: ['ok', 'x\u0000y'] } })).toEqual({ field: 'a.b.1', reason: expect.stringMatching(/NUL character/) });
    expect(findUnstorable({ ['k\udc00']: 1 })?.reason).toMatch(/field name contains a lone UTF-16 surrogate \\udc00/);
    expect(findUnstorable({ a: '🌧 11.5', b: 'Zürich', c: 1.5, d: null, e: true })).toBeUndefined();
    expect(findUnstorable({ low: '\udc00 first' })?.field).toBe('low');
  });
});

describe('classifyStepError: database errors are classified', () => {
  it.each([
    ['22003', 'value "3000000000" is out of range for type integer'],
    ['22P02', 'invalid input syntax for type json'],
    ['22008', 'date/time field value out of range: "2024-02-30"'],
    ['23505', 'duplicate key value violates unique constraint "orders_pkey"'],
    ['23502', 'null value in column "id" violates not-null constraint'],
  ])('SQLSTATE %s is a non-retryable DatabaseDataError naming partition, step and what PostgreSQL said', (code, message) => {
    const err = pgError(code, message, { detail: 'Key (id)=(7) already exists.', table: 'orders', column: 'qty', where: 'COPY raw_records, line 3, column record: "{}"' });
    expect(isDataError(err)).toBe(true);
    const out = classifyStepError(err, 'load', REF);
    expect(out).toBeInstanceOf(ApplicationFailure);
    const f = out as ApplicationFailure;
    expect(f.nonRetryable).toBe(true);
    expect(f.type).toBe(FailureType.DATABASE_DATA);
    expect(NON_RETRYABLE_TYPES).toContain(f.type);
    expect(f.message).toContain(`orders/2024-05-01T13 load: PostgreSQL refused the data (SQLSTATE ${code}): ${message}`);
    expect(f.message).toContain('detail: Key (id)=(7) already exists.');
    expect(f.message).toContain('table orders, column qty');
    expect(f.message).toContain('where: COPY raw_records, line 3');
  });

  it.each([
    ['08006', 'connection failure'],
    ['40001', 'could not serialize access due to concurrent update'],
    ['40P01', 'deadlock detected'],
    ['57P01', 'terminating connection due to administrator command'],
    ['53300', 'too many connections'],
  ])('SQLSTATE %s is left as it is, to be retried', (code, message) => {
    const err = pgError(code, message);
    expect(isDataError(err)).toBe(false);
    expect(classifyStepError(err, 'load', REF)).toBe(err);
  });

  it('leaves socket errors and ApplicationFailures alone', () => {
    const sock = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(classifyStepError(sock, 'ingest', REF)).toBe(sock);
    const app = ApplicationFailure.create({ type: 'X', message: 'y', nonRetryable: false });
    expect(classifyStepError(app, 'ingest', REF)).toBe(app);
  });
});

describe('windows that are not over', () => {
  const w = partitionWindow('hourly', '2024-05-01T13');
  it('refuses a partition whose window ends after now, non-retryably', () => {
    let err: unknown;
    try {
      assertWindowEnded(REF, w, w.endMs - 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(FailureType.WINDOW_OPEN);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(/window ends at 2024-05-01T14:00:00.000Z/);
  });

  it('runs it from the moment its window ends', () => {
    expect(() => assertWindowEnded(REF, w, w.endMs)).not.toThrow();
  });

  it('refuses a backfill reaching past now, naming the last ended partition', () => {
    const def = { name: 'weather', partitioning: hourly('2024-01-01T00') };
    const now = Date.UTC(2024, 4, 1, 13, 20);
    expect(validateRange(def, '2024-05-01T00', '2024-05-01T13', now)).toBe(13);
    expect(() => validateRange(def, '2024-05-01T00', '2024-05-01T14', now)).toThrow(InvalidRangeError);
    expect(() => validateRange(def, '2024-05-01T00', '2024-05-01T14', now)).toThrow(/use --to 2024-05-01T13 \(the last ended partition is 2024-05-01T12\)/);
    const d = { name: 'city', partitioning: daily('2024-01-01') };
    expect(() => validateRange(d, '2024-04-01', '2024-05-02', now)).toThrow(/reaches past now/);
  });
});

describe('silence is not success: the volume check', () => {
  it('fails zero rows against a median of zero, and before there is history', () => {
    const v = volume();
    expect(evaluateVolume(v, { rows: 0, history: [0, 0, 0, 0] })).toMatchObject({ outcome: 'failed', value: 0 });
    expect(evaluateVolume(v, { rows: 0, history: [] }).outcome).toBe('failed');
    expect(evaluateVolume(v, { rows: 0, history: [72, 70, 75] }).message).toMatch(/0 rows: the source yielded nothing .*median 72/);
  });

  it('lets zero pass where the check says empty partitions are normal', () => {
    const v = volume({ allowEmpty: true });
    expect(evaluateVolume(v, { rows: 0, history: [0, 0, 0] }).outcome).toBe('passed');
    expect(evaluateVolume(v, { rows: 0, history: [] }).outcome).toBe('skipped');
  });
});
