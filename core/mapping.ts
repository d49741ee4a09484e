/**
 * Partition mappings: which upstream partitions a derived partition reads. A mapping is a small
 * value (like Dagster's `TimeWindowPartitionMapping`) and the functions here are pure, so workflows,
 * readiness, planning, status and lineage all use the same answer.
 *
 * Every mapping selects a contiguous range [from, to) of upstream keys (clipped to the upstream's
 * first partition), which keeps a 10-year cumulative input one range instead of 87,600 keys.
 */
import { Granularity, keyForTime, keyToIndex, partitionWindow, shiftKey, STATIC_KEY, type Partitioning } from './partition';

export const MappingKind = {
  IDENTITY: 'identity',
  ROLL_UP: 'roll-up',
  WINDOW: 'window',
  CUMULATIVE: 'cumulative',
  LATEST: 'latest',
} as const;
export type MappingKind = (typeof MappingKind)[keyof typeof MappingKind];

/** Same grain: partition k reads upstream partition k. */
export interface IdentityMapping {
  readonly kind: 'identity';
}
/** Every upstream partition that overlaps the partition's window: 24 hours → a day, a month's days → a month. */
export interface RollUpMapping {
  readonly kind: 'roll-up';
}
/**
 * The `count` upstream partitions ending with the last one that overlaps the partition's window,
 * moved back by `offset` partitions. `window(30)`: the last 30 days; `window(1, { offset: 1 })`: the
 * previous partition (of the pipeline itself, for running totals).
 */
export interface WindowMapping {
  readonly kind: 'window';
  readonly count: number;
  readonly offset: number;
}
/** Everything from the upstream's first partition up to the end of the partition's window. */
export interface CumulativeMapping {
  readonly kind: 'cumulative';
}
/** An unpartitioned (static) upstream: its one partition `all`, as of its latest successful load. */
export interface LatestMapping {
  readonly kind: 'latest';
}

export type PartitionMapping = IdentityMapping | RollUpMapping | WindowMapping | CumulativeMapping | LatestMapping;

/** Same grain: partition k reads upstream partition k. */
export const identity = (): IdentityMapping => ({ kind: 'identity' });
/** Every upstream partition overlapping the window (hour → day → month). */
export const rollUp = (): RollUpMapping => ({ kind: 'roll-up' });
/**
 * The last `count` upstream partitions up to the window's end, moved back `offset` partitions.
 * Throws RangeError unless count ≥ 1 and offset ≥ 0 are integers.
 */
export const trailingWindow = (count: number, opts: { offset?: number } = {}): WindowMapping => {
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`trailingWindow count must be a positive integer, got ${count}`);
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`trailingWindow offset must be a non-negative integer, got ${offset}`);
  return { kind: 'window', count, offset };
};
/** The upstream partition `n` steps back (n ≥ 1): `offsetBy(1)` on the pipeline itself is "my previous partition". */
export const offsetBy = (n: number): WindowMapping => trailingWindow(1, { offset: n });
/** Everything up to the end of the partition (running totals from the start). */
export const cumulative = (): CumulativeMapping => ({ kind: 'cumulative' });
/** The latest load of an unpartitioned (static) upstream. */
export const latest = (): LatestMapping => ({ kind: 'latest' });

/** A half-open range [from, to) of upstream keys; empty when count is 0. */
export interface KeyRange {
  readonly from: string;
  readonly to: string;
  /** Number of keys in [from, to). */
  readonly count: number;
}

/** Thrown when a mapping cannot connect two partitionings (e.g. identity across grains). */
export class MappingError extends Error {
  override readonly name = 'MappingError';
}

const GRAIN_ORDER: Record<Granularity, number> = { hourly: 0, daily: 1, monthly: 2, static: 3 };

/**
 * Checks that `mapping` can map partitions of `down` to partitions of `up`; returns a reason when it
 * cannot (identity across grains, roll-up to a finer grain, a static input without `latest()` or
 * `latest()` on a partitioned input, a static pipeline reading a partitioned input).
 */
export function mappingProblem(mapping: PartitionMapping, down: Partitioning, up: Partitioning): string | undefined {
  const upStatic = up.granularity === Granularity.STATIC;
  if (mapping.kind === MappingKind.LATEST) return upStatic ? undefined : `latest() reads an unpartitioned input, but this one is ${up.granularity}`;
  if (upStatic) return `an unpartitioned input is read with latest(), not ${mapping.kind}`;
  if (down.granularity === Granularity.STATIC) return `an unpartitioned pipeline can only read unpartitioned inputs (latest()), not a ${up.granularity} one`;
  if (mapping.kind === MappingKind.IDENTITY && up.granularity !== down.granularity) {
    return `identity() needs the same grain, but ${down.granularity} reads ${up.granularity}: use rollUp() or trailingWindow()`;
  }
  if (mapping.kind === MappingKind.ROLL_UP && GRAIN_ORDER[up.granularity] > GRAIN_ORDER[down.granularity]) {
    return `rollUp() reads a finer grain, but ${down.granularity} reads ${up.granularity}: use trailingWindow(1) to read the ${up.granularity} partition that holds it`;
  }
  return undefined;
}

function range(g: Granularity, fromIdx: number, toIdx: number, upStart: string): KeyRange {
  const from = Math.max(fromIdx, keyToIndex(g, upStart));
  const count = Math.max(0, toIdx - from);
  const fromKey = shiftKey(g, upStart, from - keyToIndex(g, upStart));
  return { from: fromKey, to: shiftKey(g, fromKey, count), count };
}

/**
 * The upstream keys partition `key` of `down` reads through `mapping`, as a range clipped to the
 * upstream's first partition (so the first partition's `offsetBy(1)` is empty). Throws MappingError
 * when the mapping does not fit the two partitionings, InvalidPartitionKeyError on a bad key.
 */
export function upstreamRange(mapping: PartitionMapping, down: Partitioning, up: Partitioning, key: string): KeyRange {
  const problem = mappingProblem(mapping, down, up);
  if (problem) throw new MappingError(problem);
  const g = up.granularity;
  if (mapping.kind === MappingKind.LATEST) return { from: STATIC_KEY, to: STATIC_KEY, count: 1 };
  const w = partitionWindow(down.granularity, key);
  const first = keyToIndex(g, keyForTime(g, w.startMs));
  // The last upstream partition overlapping the window, + 1.
  const end = keyToIndex(g, keyForTime(g, w.endMs - 1)) + 1;
  switch (mapping.kind) {
    case MappingKind.IDENTITY:
    case MappingKind.ROLL_UP:
      return range(g, first, end, up.start);
    case MappingKind.WINDOW:
      return range(g, end - mapping.offset - mapping.count, end - mapping.offset, up.start);
    case MappingKind.CUMULATIVE:
      return range(g, keyToIndex(g, up.start), end, up.start);
  }
}

/** The upstream keys of `upstreamRange`, in order. */
export function upstreamKeys(mapping: PartitionMapping, down: Partitioning, up: Partitioning, key: string): string[] {
  const r = upstreamRange(mapping, down, up, key);
  if (mapping.kind === MappingKind.LATEST) return [STATIC_KEY];
  return Array.from({ length: r.count }, (_, i) => shiftKey(up.granularity, r.from, i));
}

/**
 * The downstream keys whose upstream range contains upstream key `upKey`: a range [from, to) of
 * `down` keys, where `to` is undefined when every later partition reads it (cumulative, and every
 * partition of a pipeline reading a static input). `from` is never before the downstream's start.
 * Used by automation (what to start when `upKey` loads) and staleness (what it can make stale).
 */
export function downstreamRange(mapping: PartitionMapping, down: Partitioning, up: Partitioning, upKey: string): { from: string; to: string | undefined } | undefined {
  const problem = mappingProblem(mapping, down, up);
  if (problem) throw new MappingError(problem);
  const dg = down.granularity;
  const downStart = keyToIndex(dg, down.start);
  const clip = (fromIdx: number, toIdx: number | undefined) => {
    const from = Math.max(fromIdx, downStart);
    if (toIdx !== undefined && toIdx <= from) return undefined;
    return { from: shiftKey(dg, down.start, from - downStart), to: toIdx === undefined ? undefined : shiftKey(dg, down.start, toIdx - downStart) };
  };
  if (mapping.kind === MappingKind.LATEST) return clip(downStart, undefined);
  const g = up.granularity;
  const u = partitionWindow(g, upKey);
  if (mapping.kind === MappingKind.CUMULATIVE) return clip(keyToIndex(dg, keyForTime(dg, u.startMs)), undefined);
  // Upstream partitions that may be read at all: u itself (identity/roll-up) or the ones whose
  // window reaches u (offset back, count wide). Candidates are the downstream keys overlapping that
  // span; the forward mapping then decides exactly (cheap: a handful of keys).
  const shift = mapping.kind === MappingKind.WINDOW ? mapping.offset : 0;
  const width = mapping.kind === MappingKind.WINDOW ? mapping.count : 1;
  const spanStart = partitionWindow(g, shiftKey(g, upKey, shift)).startMs;
  const spanEnd = partitionWindow(g, shiftKey(g, upKey, shift + width - 1)).endMs;
  const candFrom = keyToIndex(dg, keyForTime(dg, spanStart));
  const candTo = keyToIndex(dg, keyForTime(dg, spanEnd - 1)) + 1;
  const ui = keyToIndex(g, upKey);
  let lo: number | undefined;
  let hi: number | undefined;
  for (let i = Math.max(candFrom, downStart); i < candTo; i++) {
    const r = upstreamRange(mapping, down, up, shiftKey(dg, down.start, i - downStart));
    if (r.count > 0 && keyToIndex(g, r.from) <= ui && ui < keyToIndex(g, r.to)) {
      lo ??= i;
      hi = i + 1;
    }
  }
  return lo === undefined || hi === undefined ? undefined : clip(lo, hi);
}

/** `rollUp()`, `trailingWindow(30)`, `offsetBy(1)`, ...: how a mapping reads in graphs and errors. */
export function describeMapping(m: PartitionMapping): string {
  switch (m.kind) {
    case MappingKind.WINDOW:
      return m.count === 1 && m.offset > 0 ? `offsetBy(${m.offset})` : `trailingWindow(${m.count}${m.offset ? `, { offset: ${m.offset} }` : ''})`;
    case MappingKind.ROLL_UP:
      return 'rollUp()';
    default:
      return `${m.kind}()`;
  }
}
