/**
 * Classifies PostgreSQL errors escaping a partition step (Temporal would otherwise retry them all):
 * - SQLSTATE class 22 (data exception: out of range, invalid text, bad date) and 23 (integrity
 *   constraint violation: duplicate key, not null) are the data's fault: retrying cannot help, so
 *   they become non-retryable `DatabaseDataError`s naming the pipeline, partition, step and, where
 *   PostgreSQL says it (detail, COPY line, column, constraint), the row and field.
 * - Everything else (class 08 connection, 40001 serialization failure, 40P01 deadlock, 57P0x
 *   shutdown, 53xxx resources, socket errors) is left as it is: the step's retry policy retries it.
 * Source: PostgreSQL's "Appendix A. PostgreSQL Error Codes".
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, nonRetryable } from './errors';
import type { PartitionRef } from './types';

/** The fields node-postgres puts on a server error (`DatabaseError`). */
interface PgErrorFields {
  readonly code?: unknown;
  readonly detail?: unknown;
  readonly where?: unknown;
  readonly column?: unknown;
  readonly table?: unknown;
  readonly constraint?: unknown;
  readonly dataType?: unknown;
}

/** Whether `err` is a PostgreSQL data error (SQLSTATE class 22 or 23): the row's fault, never retried. */
export function isDataError(err: unknown): boolean {
  const code = (err as PgErrorFields | null)?.code;
  return err instanceof Error && typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/**
 * The error a step should throw for `err`: a non-retryable DatabaseDataError for a data error,
 * `err` itself otherwise (ApplicationFailures keep their own classification).
 */
export function classifyStepError(err: unknown, step: string, ref: PartitionRef): unknown {
  if (err instanceof ApplicationFailure || !isDataError(err)) return err;
  const e = err as Error & PgErrorFields;
  const parts = [`${ref.pipeline}/${ref.partition} ${step}: PostgreSQL refused the data (SQLSTATE ${String(e.code)}): ${e.message}`];
  if (typeof e.detail === 'string' && e.detail) parts.push(`detail: ${e.detail}`);
  if (typeof e.table === 'string' && e.table) parts.push(`table ${e.table}${typeof e.column === 'string' && e.column ? `, column ${e.column}` : ''}`);
  else if (typeof e.column === 'string' && e.column) parts.push(`column ${e.column}`);
  if (typeof e.constraint === 'string' && e.constraint) parts.push(`constraint ${e.constraint}`);
  if (typeof e.where === 'string' && e.where) parts.push(`where: ${e.where.split('\n')[0]}`);
  parts.push('not retried: fix the data or the transform, then re-run the partition');
  return nonRetryable(FailureType.DATABASE_DATA, parts.join('; ').slice(0, 3000), e);
}

/** `fn` with its PostgreSQL data errors failing at once (see classifyStepError); `step` names it. */
export function classifyingDataErrors<I extends PartitionRef, O>(step: string, fn: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input: I) => {
    try {
      return await fn(input);
    } catch (err) {
      throw classifyStepError(err, step, input);
    }
  };
}
