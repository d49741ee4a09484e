/**
 * Windows that are not over: a partition's source cannot be complete before its window ends, so a
 * run of such a partition is refused (non-retryable `WindowNotClosed`) instead of loading part of the
 * window and recording it as succeeded, which backfills would then skip forever. The refusal is
 * recorded as a failed partition, so the next schedule tick, `backfill` (failed partitions are run
 * by default) or `run` after the window's end processes it in full.
 */
import { STATIC_KEY, type PartitionWindow } from '../core/partition';
import { FailureType, nonRetryable } from './errors';
import type { PartitionRef } from './types';

/**
 * Throws a non-retryable WindowNotClosed failure when `window` ends after `nowMs` (epoch ms). The one
 * partition `all` of an unpartitioned snapshot never closes and is loaded as it is now.
 */
export function assertWindowEnded(ref: PartitionRef, window: PartitionWindow, nowMs: number): void {
  if (window.endMs <= nowMs || window.key === STATIC_KEY) return;
  throw nonRetryable(
    FailureType.WINDOW_OPEN,
    `${ref.pipeline}/${ref.partition}: the partition's window ends at ${new Date(window.endMs).toISOString()}, ` +
      `${Math.ceil((window.endMs - nowMs) / 60_000)} min from now; its data cannot be complete yet, so it is not loaded. ` +
      `Run it after its end (the schedule does; backfill re-runs failed partitions)`,
  );
}
