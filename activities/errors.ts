/**
 * The failure taxonomy, in one place. Bad data and bad configuration are non-retryable with a
 * message an operator can act on; everything else is retried by the activity's retry policy.
 */
import { ApplicationFailure } from '@temporalio/common';

import { type FailureType } from '../core/failure-types';

export { FailureType, NON_RETRYABLE_TYPES } from '../core/failure-types';

export function nonRetryable(type: FailureType, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause });
}

export function retryable(type: FailureType, message: string, opts: { nextRetryDelayMs?: number; cause?: Error } = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: false,
    nextRetryDelay: opts.nextRetryDelayMs,
    cause: opts.cause,
  });
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds; undefined when absent/invalid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
