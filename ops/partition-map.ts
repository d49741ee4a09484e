/**
 * The partition map for the console: the states of a range as **runs of equal states**, computed
 * by PostgreSQL with gaps-and-islands SQL over the ledger, so 100,000 partitions cost what a few
 * runs cost (nothing per partition leaves the database, and missing partitions are never rows).
 *
 * Keys become integer positions (epoch hours, epoch days, or year × 12 + month) so that
 * consecutive partitions are consecutive integers; an island of one state starts wherever the state
 * changes or the position jumps (a gap), found in one ordered pass with `lag()`. The gaps between
 * islands and the range's ends are the missing partitions, filled in here.
 *
 * The state rule is the one of core/plan.ts `partitionState` (failed, running, stale when the
 * params hash or code version differs from the definition's or a landing file changed under the
 * partition after its run started, else succeeded), written in SQL. A derived dataset's partitions
 * are also stale when an input they consumed changed or is stale (activities/staleness.ts): those
 * few keys are laid over the islands afterwards ({@link overlayStale}).
 */
import { staleKeys } from '../activities/staleness';
import type { Registry } from '../core/registry';
import type { Pool } from '../infra/db';
import { currentFingerprint } from '../infra/fingerprint';
import { STATIC_KEY } from '../core/partition';
import type { PipelineDefinition } from '../core/pipeline';
import { PartitionState, type CurrentFingerprint } from '../core/plan';

/** Granularities the map draws. `monthly` keys are `2024-05`; it is declared by "Derived datasets". */
export type MapGranularity = 'hourly' | 'daily' | 'monthly';

/** Thrown for a key that is not a valid key of the granularity: names the key and the expected form. */
export class MapKeyError extends Error {
  override readonly name = 'MapKeyError';
}

const KEY_RE: Readonly<Record<MapGranularity, RegExp>> = {
  hourly: /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/,
  daily: /^(\d{4})-(\d{2})-(\d{2})$/,
  monthly: /^(\d{4})-(\d{2})$/,
};
const KEY_FORM: Readonly<Record<MapGranularity, string>> = { hourly: 'YYYY-MM-DDTHH', daily: 'YYYY-MM-DD', monthly: 'YYYY-MM' };
/**
 * The keys' shapes for PostgreSQL's LIKE (rows of another shape are ignored by the map). LIKE, not a
 * regular expression: five times cheaper per row, and the ledger holds only keys that the workflow
 * validated (core/partition.ts) before writing them.
 */
const KEY_SQL_LIKE: Readonly<Record<MapGranularity, string>> = {
  hourly: '____-__-__T__',
  daily: '____-__-__',
  monthly: '____-__',
};

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * The integer position of a key: epoch hours (hourly), epoch days (daily) or year × 12 + month − 1
 * (monthly). Throws MapKeyError for a malformed or impossible key.
 */
export function keyPosition(g: MapGranularity, key: string): number {
  const m = KEY_RE[g].exec(key);
  if (!m) throw new MapKeyError(`invalid ${g} partition key "${key}": expected ${KEY_FORM[g]} (UTC)`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) throw new MapKeyError(`invalid ${g} partition key "${key}": month ${m[2]} out of range`);
  if (g === 'monthly') return y * 12 + mo - 1;
  const d = Number(m[3]);
  const h = g === 'hourly' ? Number(m[4]) : 0;
  if (h > 23) throw new MapKeyError(`invalid ${g} partition key "${key}": hour ${m[4]} out of range`);
  const ms = Date.UTC(y, mo - 1, d, h);
  const dt = new Date(ms);
  if (dt.getUTCDate() !== d || dt.getUTCMonth() !== mo - 1) throw new MapKeyError(`invalid ${g} partition key "${key}": day ${m[3]} does not exist in ${m[1]}-${m[2]}`);
  return g === 'hourly' ? ms / HOUR_MS : ms / DAY_MS;
}

/** The key at a position (inverse of keyPosition). */
export function positionKey(g: MapGranularity, pos: number): string {
  if (g === 'monthly') return `${pad(Math.floor(pos / 12), 4)}-${pad((pos % 12) + 1)}`;
  const d = new Date(pos * (g === 'hourly' ? HOUR_MS : DAY_MS));
  const day = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return g === 'hourly' ? `${day}T${pad(d.getUTCHours())}` : day;
}

/** True when `key` is a valid key of the granularity. */
export function isMapKey(g: MapGranularity, key: string): boolean {
  try {
    keyPosition(g, key);
    return true;
  } catch {
    return false;
  }
}

/** A run of consecutive partitions in one state: positions [start, start + length). */
export interface MapRun {
  readonly start: number;
  readonly length: number;
  readonly state: PartitionState;
}

/** What the console draws: the range, the runs covering it exactly, and the counts per state. */
export interface PartitionMap {
  readonly pipeline: string;
  readonly granularity: MapGranularity;
  /** Inclusive key. */
  readonly from: string;
  /** Exclusive key. */
  readonly to: string;
  /** Position of `from`. */
  readonly fromPos: number;
  readonly total: number;
  readonly counts: Readonly<Record<PartitionState, number>>;
  /** Ordered, adjacent, covering [fromPos, fromPos + total) exactly. */
  readonly runs: readonly MapRun[];
}

/** Ranges larger than this are refused by the console (a bound on the page, not on the SQL). */
export const MAX_MAP_PARTITIONS = 1_000_000;

/**
 * Fills the gaps of islands (sorted, non-overlapping, inside [fromPos, toPos)) with `missing` runs
 * and merges touching runs of one state. Pure.
 */
export function fillRuns(islands: readonly MapRun[], fromPos: number, toPos: number): MapRun[] {
  const out: MapRun[] = [];
  const push = (r: MapRun) => {
    if (r.length <= 0) return;
    const last = out[out.length - 1];
    if (last && last.state === r.state && last.start + last.length === r.start) out[out.length - 1] = { ...last, length: last.length + r.length };
    else out.push(r);
  };
  let cursor = fromPos;
  for (const i of [...islands].sort((a, b) => a.start - b.start)) {
    const start = Math.max(i.start, cursor);
    const end = Math.min(i.start + i.length, toPos);
    if (end <= start) continue;
    push({ start: cursor, length: start - cursor, state: PartitionState.MISSING });
    push({ start, length: end - start, state: i.state });
    cursor = end;
  }
  push({ start: cursor, length: toPos - cursor, state: PartitionState.MISSING });
  return out;
}

/**
 * Marks the succeeded partitions at `stalePositions` stale, splitting the islands they fall in
 * (islands sorted and non-overlapping; other states are left as they are: failed and running win).
 * Pure; O(islands + positions).
 */
export function overlayStale(islands: readonly MapRun[], stalePositions: readonly number[]): MapRun[] {
  const stale = [...new Set(stalePositions)].sort((a, b) => a - b);
  if (stale.length === 0) return [...islands];
  const out: MapRun[] = [];
  let j = 0;
  for (const run of islands) {
    const end = run.start + run.length;
    while (j < stale.length && stale[j]! < run.start) j++;
    if (run.state !== PartitionState.SUCCEEDED || j >= stale.length || stale[j]! >= end) {
      out.push(run);
      continue;
    }
    let cursor = run.start;
    while (j < stale.length && stale[j]! < end) {
      const p = stale[j]!;
      if (p > cursor) out.push({ start: cursor, length: p - cursor, state: PartitionState.SUCCEEDED });
      const last = out[out.length - 1];
      if (last && last.state === PartitionState.STALE && last.start + last.length === p) out[out.length - 1] = { ...last, length: last.length + 1 };
      else out.push({ start: p, length: 1, state: PartitionState.STALE });
      cursor = p + 1;
      j++;
    }
    if (cursor < end) out.push({ start: cursor, length: end - cursor, state: PartitionState.SUCCEEDED });
  }
  return out;
}

/** Counts per state of runs. Pure. */
export function countRuns(runs: readonly MapRun[]): Record<PartitionState, number> {
  const counts: Record<PartitionState, number> = { succeeded: 0, stale: 0, failed: 0, running: 0, missing: 0 };
  for (const r of runs) counts[r.state] += r.length;
  return counts;
}

/** SQL expression of a key's position, per granularity (the key column is `partition_key`). */
function positionSql(g: MapGranularity): string {
  switch (g) {
    case 'hourly':
      return `((substr(partition_key, 1, 10)::date - date '1970-01-01') * 24 + substr(partition_key, 12, 2)::int)`;
    case 'daily':
      return `(partition_key::date - date '1970-01-01')`;
    default:
      return `(substr(partition_key, 1, 4)::int * 12 + substr(partition_key, 6, 2)::int - 1)`;
  }
}

/**
 * The islands of equal state of one pipeline's ledger within [from, to): one row per island, not
 * per partition. Keys of other shapes are ignored.
 */
export async function ledgerIslands(
  pool: Pool,
  input: { pipeline: string; granularity: MapGranularity; current: CurrentFingerprint },
  from: string,
  to: string,
): Promise<MapRun[]> {
  const g = input.granularity;
  // One pass in key order (the primary key's index: no sort): a row starts an island when its state
  // or its position is not the previous row's continuation; a running sum numbers the islands.
  const { rows } = await pool.query<{ state: PartitionState; start: string; length: number }>(
    `WITH keyed AS (
       SELECT partition_key, ${positionSql(g)} AS pos,
              CASE WHEN status = 'failed' THEN 'failed'
                   WHEN status = 'running' THEN 'running'
                   WHEN params_hash IS DISTINCT FROM $4 OR code_version IS DISTINCT FROM $5
                     OR (source_changed_at IS NOT NULL AND source_changed_at > coalesce(started_at, '-infinity'::timestamptz)) THEN 'stale'
                   ELSE 'succeeded' END AS state
         FROM ledger
        WHERE pipeline = $1 AND partition_key >= $2 AND partition_key < $3 AND partition_key LIKE $6
     ), marked AS (
       SELECT partition_key, pos, state,
              CASE WHEN state = lag(state) OVER w AND pos = lag(pos) OVER w + 1 THEN 0 ELSE 1 END AS starts
         FROM keyed WINDOW w AS (ORDER BY partition_key)
     ), numbered AS (
       SELECT pos, state, sum(starts) OVER (ORDER BY partition_key ROWS UNBOUNDED PRECEDING) AS island FROM marked
     )
     SELECT state, min(pos)::text AS start, count(*)::int AS length
       FROM numbered GROUP BY island, state ORDER BY island`,
    [input.pipeline, from, to, input.current.paramsHash, input.current.codeVersion, KEY_SQL_LIKE[g]],
  );
  return rows.map((r) => ({ state: r.state, start: Number(r.start), length: r.length }));
}

/** True for an unpartitioned pipeline (one partition, `all`): it has no map, only its partition's page. */
export function isUnpartitioned(def: Pick<PipelineDefinition, 'partitioning'>): boolean {
  return (def.partitioning as { granularity: string }).granularity === 'static';
}

/**
 * Checks a partition key of a pipeline for the console: `all` for an unpartitioned pipeline, else a
 * key of its granularity. Throws MapKeyError naming the key and what is expected.
 */
export function assertPartitionKey(def: Pick<PipelineDefinition, 'name' | 'partitioning'>, key: string): void {
  if (isUnpartitioned(def)) {
    if (key !== STATIC_KEY) throw new MapKeyError(`invalid partition key "${key}": ${def.name} is unpartitioned, its one partition is "${STATIC_KEY}"`);
    return;
  }
  keyPosition(mapGranularity(def), key);
}

/** The granularity of a definition as the map sees it (monthly once "Derived datasets" declares it). */
export function mapGranularity(def: Pick<PipelineDefinition, 'partitioning'>): MapGranularity {
  const g = (def.partitioning as { granularity: string }).granularity;
  if (g === 'hourly' || g === 'daily' || g === 'monthly') return g;
  throw new MapKeyError(`granularity ${g} is not drawn by the console yet`);
}

/**
 * The map of [from, to) for a pipeline. With `registry`, a derived dataset's partitions whose inputs
 * changed or are stale show as stale (without it, only its own fingerprint and source count).
 * Throws MapKeyError for bad keys or an empty/oversized range.
 */
export async function partitionMap(
  pool: Pool,
  def: PipelineDefinition,
  from: string,
  to: string,
  opts: { current?: CurrentFingerprint; registry?: Registry } = {},
): Promise<PartitionMap> {
  const g = mapGranularity(def);
  const fromPos = keyPosition(g, from);
  const toPos = keyPosition(g, to);
  if (toPos <= fromPos) throw new MapKeyError(`empty range: to ${to} must be after from ${from} (the range is [from, to))`);
  if (toPos - fromPos > MAX_MAP_PARTITIONS) throw new MapKeyError(`range ${from} … ${to} holds ${toPos - fromPos} partitions (at most ${MAX_MAP_PARTITIONS})`);
  let islands = await ledgerIslands(pool, { pipeline: def.name, granularity: g, current: opts.current ?? currentFingerprint(def) }, from, to);
  if (opts.registry && def.source.kind === 'derived') {
    const stale = await staleKeys(pool, opts.registry, def.name, from, to);
    islands = overlayStale(islands, [...stale.keys()].filter((k) => isMapKey(g, k)).map((k) => keyPosition(g, k)));
  }
  const runs = fillRuns(islands, fromPos, toPos);
  return { pipeline: def.name, granularity: g, from, to, fromPos, total: toPos - fromPos, counts: countRuns(runs), runs };
}

/**
 * The default range of the map: from the earliest ledger key (or `lookback` partitions back) to the
 * partition after the latest ledger key or the present, whichever is later, at most `max` long.
 */
export async function defaultMapRange(pool: Pool, def: PipelineDefinition, nowMs: number, max = 24 * 31): Promise<{ from: string; to: string }> {
  const g = mapGranularity(def);
  const { rows } = await pool.query<{ lo: string | null; hi: string | null }>(
    'SELECT min(partition_key) AS lo, max(partition_key) AS hi FROM ledger WHERE pipeline = $1 AND partition_key LIKE $2',
    [def.name, KEY_SQL_LIKE[g]],
  );
  const nowPos = g === 'monthly' ? new Date(nowMs).getUTCFullYear() * 12 + new Date(nowMs).getUTCMonth() : Math.floor(nowMs / (g === 'hourly' ? HOUR_MS : DAY_MS));
  const lo = rows[0]?.lo && isMapKey(g, rows[0].lo) ? keyPosition(g, rows[0].lo) : undefined;
  const hi = rows[0]?.hi && isMapKey(g, rows[0].hi) ? keyPosition(g, rows[0].hi) + 1 : undefined;
  const end = hi ?? nowPos;
  let start = lo ?? end - Math.min(max, g === 'hourly' ? 7 * 24 : g === 'daily' ? 90 : 24);
  if (end - start > max) start = end - max;
  if (end <= start) start = end - 1;
  return { from: positionKey(g, start), to: positionKey(g, end) };
}
