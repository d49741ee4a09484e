/**
 * Partition-key math. Pure and deterministic: imported by workflows as well as activities,
 * so it must not touch Node modules, the clock or randomness.
 *
 * Keys are UTC: hourly `2024-05-01T13`, daily `2024-05-01`. A key names the half-open window
 * [start, end) of its hour or day.
 */

export const Granularity = {
  HOURLY: 'hourly',
  DAILY: 'daily',
} as const;
export type Granularity = (typeof Granularity)[keyof typeof Granularity];

export interface Partitioning {
  readonly granularity: Granularity;
  /** First partition that exists for the pipeline (inclusive). */
  readonly start: string;
}

export interface PartitionWindow {
  readonly key: string;
  /** Inclusive start, epoch milliseconds (UTC). */
  readonly startMs: number;
  /** Exclusive end, epoch milliseconds (UTC). */
  readonly endMs: number;
}

/** Thrown when a string is not a valid partition key for a granularity. */
export class InvalidPartitionKeyError extends Error {
  override readonly name = 'InvalidPartitionKeyError';
  constructor(
    readonly key: string,
    readonly granularity: Granularity,
    reason: string,
  ) {
    super(`invalid ${granularity} partition key "${key}": ${reason}`);
  }
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const HOURLY_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;
const DAILY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function stepMs(granularity: Granularity): number {
  return granularity === Granularity.HOURLY ? HOUR_MS : DAY_MS;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Parses a key and returns the epoch milliseconds of its start. Throws InvalidPartitionKeyError. */
export function keyToStartMs(granularity: Granularity, key: string): number {
  if (typeof key !== 'string') throw new InvalidPartitionKeyError(String(key), granularity, 'not a string');
  const re = granularity === Granularity.HOURLY ? HOURLY_RE : DAILY_RE;
  const m = re.exec(key);
  if (!m) {
    const expected = granularity === Granularity.HOURLY ? 'YYYY-MM-DDTHH (UTC hour)' : 'YYYY-MM-DD (UTC day)';
    throw new InvalidPartitionKeyError(key, granularity, `expected ${expected}`);
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = granularity === Granularity.HOURLY ? Number(m[4]) : 0;
  if (month < 1 || month > 12) throw new InvalidPartitionKeyError(key, granularity, `month ${m[2]} out of range`);
  if (hour > 23) throw new InvalidPartitionKeyError(key, granularity, `hour ${m[4]} out of range`);
  const ms = Date.UTC(year, month - 1, day, hour);
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    throw new InvalidPartitionKeyError(key, granularity, `day ${m[3]} does not exist in ${m[1]}-${m[2]}`);
  }
  return ms;
}

/** The key of the partition that contains the instant `ms`. */
export function keyForTime(granularity: Granularity, ms: number): string {
  const d = new Date(ms);
  const day = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return granularity === Granularity.HOURLY ? `${day}T${pad(d.getUTCHours())}` : day;
}

export function isValidKey(granularity: Granularity, key: string): boolean {
  try {
    keyToStartMs(granularity, key);
    return true;
  } catch {
    return false;
  }
}

export function partitionWindow(granularity: Granularity, key: string): PartitionWindow {
  const startMs = keyToStartMs(granularity, key);
  return { key, startMs, endMs: startMs + stepMs(granularity) };
}

/** The key `n` partitions after `key` (n may be negative). */
export function shiftKey(granularity: Granularity, key: string, n: number): string {
  return keyForTime(granularity, keyToStartMs(granularity, key) + n * stepMs(granularity));
}

/** Number of partitions in the half-open range [from, to). Zero when to <= from. */
export function countKeys(granularity: Granularity, from: string, to: string): number {
  const diff = keyToStartMs(granularity, to) - keyToStartMs(granularity, from);
  return diff <= 0 ? 0 : Math.round(diff / stepMs(granularity));
}

/** Keys of [from, to), lazily, so a ten-year hourly range is never held in memory at once. */
export function* keysInRange(granularity: Granularity, from: string, to: string): Generator<string> {
  const step = stepMs(granularity);
  const end = keyToStartMs(granularity, to);
  for (let ms = keyToStartMs(granularity, from); ms < end; ms += step) yield keyForTime(granularity, ms);
}

/** The key at offset `index` from `from` (used by backfills to walk a range by position). */
export function keyAt(granularity: Granularity, from: string, index: number): string {
  return shiftKey(granularity, from, index);
}

/**
 * The partition a schedule tick at nominal time `nominalMs` should process: the latest complete
 * partition, `lag` partitions back. With lag 1, the 14:05 tick of an hourly schedule runs 13:00.
 */
export function partitionForNominalTime(granularity: Granularity, nominalMs: number, lag = 1): string {
  return keyForTime(granularity, nominalMs - lag * stepMs(granularity));
}
