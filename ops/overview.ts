/**
 * The console's overview: per pipeline, its freshness (now minus the end of the newest succeeded
 * partition, against the declared `freshness` expectation), its last run, the failures of the
 * last day and the partitions stale now. A few aggregate queries per pipeline, whatever the ledger size.
 */
import { staleKeys } from '../activities/staleness';
import type { Pool } from '../infra/db';
import { currentFingerprint } from '../infra/fingerprint';
import type { PipelineDefinition } from '../core/pipeline';
import type { Registry } from '../core/registry';
import { isUnpartitioned, keyPosition, mapGranularity, type MapGranularity } from './partition-map';

/** One pipeline's line on the overview. */
export interface PipelineOverview {
  readonly name: string;
  readonly description: string;
  /** `static`: an unpartitioned snapshot (one partition, `all`). */
  readonly granularity: MapGranularity | 'static';
  /** Newest succeeded (or stale) partition key, if any. */
  readonly newestLoaded: string | null;
  /** Milliseconds from the end of the newest loaded partition to now; null when nothing loaded. */
  readonly lagMs: number | null;
  /** The declared expectation, in milliseconds. */
  readonly expectedLagMs: number;
  /** `fresh` within the expectation, `late` beyond it, `never` when nothing loaded. */
  readonly freshness: 'fresh' | 'late' | 'never';
  readonly lastRun: { readonly key: string; readonly status: string; readonly finishedAt: string | null } | null;
  /** Partitions that failed in the last 24 hours (by finish time). */
  readonly failedLastDay: number;
  /**
   * Partitions stale now: params or code version differ from the definition's, a landing file in
   * the window changed after the run started, or (derived datasets, with the registry) an input they
   * consumed changed or is stale. A current count, not the last day's: stale stays until refreshed.
   */
  readonly stale: number;
  readonly running: number;
  readonly partitions: number;
}

const HOUR_MS = 3_600_000;

/** End instant of a partition key (ms). Monthly: the first instant of the next month. */
export function keyEndMs(g: MapGranularity, key: string): number {
  const pos = keyPosition(g, key) + 1;
  if (g === 'hourly') return pos * HOUR_MS;
  if (g === 'daily') return pos * 24 * HOUR_MS;
  return Date.UTC(Math.floor(pos / 12), pos % 12, 1);
}

/** The declared expectation (`freshness.expectWithinMinutes`), else two partitions (a snapshot: one day since its load). */
export function expectedLagMs(def: Pick<PipelineDefinition, 'partitioning' | 'freshness'>): number {
  if (def.freshness) return def.freshness.expectWithinMinutes * 60_000;
  if (isUnpartitioned(def)) return 24 * HOUR_MS;
  const g = mapGranularity(def);
  return 2 * (g === 'hourly' ? HOUR_MS : g === 'daily' ? 24 * HOUR_MS : 31 * 24 * HOUR_MS);
}

/** The overview line of one pipeline. */
export async function pipelineOverview(pool: Pool, def: PipelineDefinition, nowMs: number, registry?: Registry): Promise<PipelineOverview> {
  const g = isUnpartitioned(def) ? 'static' : mapGranularity(def);
  const fp = currentFingerprint(def);
  const { rows } = await pool.query<{ newest: string | null; newest_at: Date | null; failed: number; stale: number; running: number; n: number }>(
    `SELECT max(partition_key) FILTER (WHERE status = 'succeeded') AS newest,
            max(finished_at) FILTER (WHERE status = 'succeeded') AS newest_at,
            count(*) FILTER (WHERE status = 'failed' AND finished_at > $2::timestamptz - interval '1 day')::int AS failed,
            count(*) FILTER (WHERE status = 'succeeded'
                              AND (params_hash IS DISTINCT FROM $3 OR code_version IS DISTINCT FROM $4
                                   OR (source_changed_at IS NOT NULL AND source_changed_at > coalesce(started_at, '-infinity'::timestamptz))))::int AS stale,
            count(*) FILTER (WHERE status = 'running')::int AS running,
            count(*)::int AS n
       FROM ledger WHERE pipeline = $1`,
    [def.name, new Date(nowMs).toISOString(), fp.paramsHash, fp.codeVersion],
  );
  const last = await pool.query<{ partition_key: string; status: string; finished_at: Date | null }>(
    `SELECT partition_key, status, finished_at FROM ledger WHERE pipeline = $1 ORDER BY updated_at DESC LIMIT 1`,
    [def.name],
  );
  const r = rows[0];
  const newest = r?.newest ?? null;
  // A snapshot is as fresh as its last load; a partition as fresh as the end of its window.
  const lagMs = !newest ? null : g === 'static' ? (r?.newest_at ? nowMs - r.newest_at.getTime() : null) : nowMs - keyEndMs(g, newest);
  const expected = expectedLagMs(def);
  const l = last.rows[0];
  return {
    name: def.name,
    description: def.description,
    granularity: g,
    newestLoaded: newest,
    lagMs,
    expectedLagMs: expected,
    freshness: lagMs === null ? 'never' : lagMs <= expected ? 'fresh' : 'late',
    lastRun: l ? { key: l.partition_key, status: l.status, finishedAt: l.finished_at ? l.finished_at.toISOString() : null } : null,
    failedLastDay: r?.failed ?? 0,
    stale: def.source.kind === 'derived' && registry ? (await staleKeys(pool, registry, def.name)).size : (r?.stale ?? 0),
    running: r?.running ?? 0,
    partitions: r?.n ?? 0,
  };
}

/** Every registered pipeline's overview line, in registry order. */
export async function overview(pool: Pool, registry: Registry, nowMs: number): Promise<PipelineOverview[]> {
  return Promise.all(registry.pipelines.map((d) => pipelineOverview(pool, d, nowMs, registry)));
}

/** "3 h 20 min", "2 d 4 h", "45 s": a duration for people. */
export function humanDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return `${d} d ${h % 24} h`;
}
