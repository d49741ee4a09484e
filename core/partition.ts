/**
 * Partition-key math. Pure and deterministic: imported by workflows as well as activities,
 * so it must not touch Node modules, the clock or randomness.
 *
 * Keys are UTC: hourly `2024-05-01T13`, daily `2024-05-01`, monthly `2024-05`, and the single key
 * `all` of an unpartitioned (static) pipeline — a snapshot table re-loaded as a whole. A key names
 * the half-open window [start, end) of its hour, day or calendar month; `all` names all of time.
 *
 * Internally every key has an integer **index** (hours or days since the epoch, months since year 0),
 * so shifting and counting are exact for months of 28–31 days and leap years alike.
 */

export const Granularity = {
  HOURLY: 'hourly',
  DAILY: 'daily',
  MONTHLY: 'monthly',
  /** Unpartitioned: one key, `all` (a snapshot such as an employee directory). */
  STATIC: 'static',
} as const;
export type Granularity = (typeof Granularity)[keyof typeof Granularity];

/** The one key of a static (unpartitioned) pipeline. */
export const STATIC_KEY = 'all';

export interface Partitioning {
  readonly granularity: Granularity;
  /** First partition that exists for the pipeline (inclusive). `all` for static pipelines. */
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
/** The window of the static key: every instant a JavaScript Date can hold. */
const TIME_MIN_MS = -8.64e15;
const TIME_MAX_MS = 8.64e15;
const HOURLY_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;
const DAILY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTHLY_RE = /^(\d{4})-(\d{2})$/;

const EXPECTED: Record<Granularity, string> = {
  hourly: 'YYYY-MM-DDTHH (UTC hour)',
  daily: 'YYYY-MM-DD (UTC day)',
  monthly: 'YYYY-MM (UTC calendar month)',
  static: `"${STATIC_KEY}" (an unpartitioned pipeline has one key)`,
};

/**
 * Length of one partition in milliseconds, for the fixed-length granularities (hourly, daily).
 * Throws for monthly (28–31 days) and static: use `partitionWindow` or `shiftKey` instead.
 */
export function stepMs(granularity: Granularity): number {
  if (granularity === Granularity.HOURLY) return HOUR_MS;
  if (granularity === Granularity.DAILY) return DAY_MS;
  throw new Error(`${granularity} partitions have no fixed length; use partitionWindow/shiftKey`);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * The integer position of a key on its granularity's axis: hours / days since 1970-01-01 (UTC),
 * months since 0000-01, and 0 for the static key. Throws InvalidPartitionKeyError.
 */
export function keyToIndex(granularity: Granularity, key: string): number {
  if (typeof key !== 'string') throw new InvalidPartitionKeyError(String(key), granularity, 'not a string');
  if (granularity === Granularity.STATIC) {
    if (key !== STATIC_KEY) throw new InvalidPartitionKeyError(key, granularity, `expected ${EXPECTED.static}`);
    return 0;
  }
  if (granularity === Granularity.MONTHLY) {
    const m = MONTHLY_RE.exec(key);
    if (!m) throw new InvalidPartitionKeyError(key, granularity, `expected ${EXPECTED.monthly}`);
    const month = Number(m[2]);
    if (month < 1 || month > 12) throw new InvalidPartitionKeyError(key, granularity, `month ${m[2]} out of range`);
    return Number(m[1]) * 12 + month - 1;
  }
  const hourly = granularity === Granularity.HOURLY;
  if (!hourly && granularity !== Granularity.DAILY) throw new InvalidPartitionKeyError(key, granularity, 'unknown granularity');
  const m = (hourly ? HOURLY_RE : DAILY_RE).exec(key);
  if (!m) throw new InvalidPartitionKeyError(key, granularity, `expected ${EXPECTED[granularity]}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = hourly ? Number(m[4]) : 0;
  if (month < 1 || month > 12) throw new InvalidPartitionKeyError(key, granularity, `month ${m[2]} out of range`);
  if (hour > 23) throw new InvalidPartitionKeyError(key, granularity, `hour ${m[4]} out of range`);
  const ms = Date.UTC(year, month - 1, day, hour);
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    throw new InvalidPartitionKeyError(key, granularity, `day ${m[3]} does not exist in ${m[1]}-${m[2]}`);
  }
  return Math.round(ms / (hourly ? HOUR_MS : DAY_MS));
}

/** The key at an index (inverse of keyToIndex). */
export function indexToKey(granularity: Granularity, index: number): string {
  if (granularity === Granularity.STATIC) return STATIC_KEY;
  if (granularity === Granularity.MONTHLY) return `${pad(Math.floor(index / 12), 4)}-${pad((((index % 12) + 12) % 12) + 1)}`;
  return keyForTime(granularity, index * stepMs(granularity));
}

/** Epoch milliseconds of the start of the partition at `index`. */
function indexStartMs(granularity: Granularity, index: number): number {
  if (granularity === Granularity.STATIC) return index <= 0 ? TIME_MIN_MS : TIME_MAX_MS;
  if (granularity === Granularity.MONTHLY) return Date.UTC(Math.floor(index / 12), ((index % 12) + 12) % 12, 1);
  return index * stepMs(granularity);
}

/** Parses a key and returns the epoch milliseconds of its start. Throws InvalidPartitionKeyError. */
export function keyToStartMs(granularity: Granularity, key: string): number {
  return indexStartMs(granularity, keyToIndex(granularity, key));
}

/** The key of the partition that contains the instant `ms` (`all` for static pipelines). */
export function keyForTime(granularity: Granularity, ms: number): string {
  if (granularity === Granularity.STATIC) return STATIC_KEY;
  const d = new Date(ms);
  const month = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}`;
  if (granularity === Granularity.MONTHLY) return month;
  const day = `${month}-${pad(d.getUTCDate())}`;
  return granularity === Granularity.HOURLY ? `${day}T${pad(d.getUTCHours())}` : day;
}

export function isValidKey(granularity: Granularity, key: string): boolean {
  try {
    keyToIndex(granularity, key);
    return true;
  } catch {
    return false;
  }
}

/** The half-open window [start, end) of a key: one hour, one day, one calendar month, or all of time. */
export function partitionWindow(granularity: Granularity, key: string): PartitionWindow {
  const i = keyToIndex(granularity, key);
  return { key, startMs: indexStartMs(granularity, i), endMs: indexStartMs(granularity, i + 1) };
}

/** The key `n` partitions after `key` (n may be negative). A static key shifts to itself. */
export function shiftKey(granularity: Granularity, key: string, n: number): string {
  return indexToKey(granularity, keyToIndex(granularity, key) + n);
}

/**
 * Number of partitions in the half-open range [from, to). Zero when to <= from. For static
 * pipelines, 1 (the range is always the one key).
 */
export function countKeys(granularity: Granularity, from: string, to: string): number {
  if (granularity === Granularity.STATIC) {
    keyToIndex(granularity, from);
    keyToIndex(granularity, to);
    return 1;
  }
  const diff = keyToIndex(granularity, to) - keyToIndex(granularity, from);
  return diff <= 0 ? 0 : diff;
}

/** Keys of [from, to), lazily, so a ten-year hourly range is never held in memory at once. */
export function* keysInRange(granularity: Granularity, from: string, to: string): Generator<string> {
  const n = countKeys(granularity, from, to);
  const first = keyToIndex(granularity, from);
  for (let i = 0; i < n; i++) yield indexToKey(granularity, first + i);
}

/** The key at offset `index` from `from` (used by backfills to walk a range by position). */
export function keyAt(granularity: Granularity, from: string, index: number): string {
  return shiftKey(granularity, from, index);
}

/**
 * The partition a schedule tick at nominal time `nominalMs` should process: the latest complete
 * partition, `lag` partitions back. With lag 1, the 14:05 tick of an hourly schedule runs 13:00, and
 * the tick on 1 June of a monthly schedule runs May. A static pipeline's tick always runs `all`.
 */
export function partitionForNominalTime(granularity: Granularity, nominalMs: number, lag = 1): string {
  return shiftKey(granularity, keyForTime(granularity, nominalMs), -lag);
}
