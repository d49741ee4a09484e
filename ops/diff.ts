/**
 * `datapulse diff <pipeline> --from A --to B`: a measure of a derived dataset before and after a
 * params change, per group (e.g. per team) and in total, from the materializations kept per params
 * version (`materialization_history`, migration 013; pipelines with `keepHistory: true`).
 *
 * Versions are `lineageParamsVersion` hashes (infra/fingerprint.ts: the pipeline's params and those of
 * every pipeline it reads). Which rows stand for a partition under a version:
 * - `from` (before): the partition's materialization under version A; a partition never
 *   materialized under A counts as empty;
 * - `to` (after): its materialization under version B, or — when it was not recomputed under B
 *   because nothing it reads changed (staleness follows data versions) — its latest materialization.
 * Sums are exact (PostgreSQL numeric over the kept jsonb numerics) and returned as decimal text.
 */
import type { Pool } from '../infra/db';
import type { Registry } from '../core/registry';

/** One params version of a pipeline's kept materializations. */
export interface ParamsVersion {
  readonly version: string;
  readonly partitions: number;
  readonly firstLoadedAt: string;
  readonly lastLoadedAt: string;
}

/** Thrown when a diff is asked of a pipeline or version that cannot be compared. */
export class DiffError extends Error {
  override readonly name = 'DiffError';
}

/** The params versions kept for `pipeline`, oldest first (by first load). */
export async function paramsVersions(pool: Pick<Pool, 'query'>, pipeline: string): Promise<ParamsVersion[]> {
  const { rows } = await pool.query<{ version: string; partitions: number; first: Date; last: Date }>(
    `SELECT params_version AS version, count(*)::int AS partitions, min(loaded_at) AS first, max(loaded_at) AS last
       FROM materialization_history WHERE pipeline = $1 GROUP BY params_version ORDER BY min(loaded_at), params_version`,
    [pipeline],
  );
  return rows.map((r) => ({ version: r.version, partitions: r.partitions, firstLoadedAt: r.first.toISOString(), lastLoadedAt: r.last.toISOString() }));
}

/** Before, after and after − before of one measure, as exact decimal text. */
export interface DiffFigures {
  readonly before: string;
  readonly after: string;
  readonly delta: string;
}

export interface DiffResult {
  readonly pipeline: string;
  readonly from: string;
  readonly to: string;
  readonly measure: string;
  readonly groupBy: string;
  /** The one partition compared, or null for all. */
  readonly partition: string | null;
  readonly groups: readonly ({ readonly group: string } & DiffFigures)[];
  readonly total: DiffFigures;
}

export interface DiffOptions {
  readonly pipeline: string;
  /** Version (or a unique prefix) before the change. @default the second newest */
  readonly from?: string;
  /** Version (or a unique prefix) after the change. @default the newest */
  readonly to?: string;
  /** Numeric target column summed. @default `total_cost` when the target has it, else its first numeric column */
  readonly measure?: string;
  /** Target column grouped by. @default the first key column that is not `month` */
  readonly groupBy?: string;
  /** Only this partition (e.g. `2025-12`, the year's figures of a year-to-date dataset). @default every partition */
  readonly partition?: string;
}

function resolveVersion(versions: readonly ParamsVersion[], asked: string | undefined, fallbackIndex: number, what: string): string {
  if (asked === undefined) {
    const v = versions[fallbackIndex];
    if (!v) throw new DiffError(`no ${what} version to compare: ${versions.length} params version(s) kept (change a param, then backfill --stale)`);
    return v.version;
  }
  const hits = versions.filter((v) => v.version.startsWith(asked));
  if (hits.length !== 1) {
    throw new DiffError(`${what} version ${JSON.stringify(asked)} ${hits.length ? 'is ambiguous' : 'is not kept'} (kept: ${versions.map((v) => v.version).join(', ') || 'none'})`);
  }
  return hits[0]!.version;
}

/**
 * A measure before and after, per group and in total. Throws DiffError for a pipeline without
 * `keepHistory`, an unknown column, or a version that is not kept (or an ambiguous prefix).
 */
export async function costDiff(pool: Pick<Pool, 'query'>, registry: Registry, opts: DiffOptions): Promise<DiffResult> {
  const def = registry.get(opts.pipeline);
  if (!def.keepHistory) throw new DiffError(`${def.name} keeps no materialization history (keepHistory is not set): nothing to compare`);
  const cols = def.target.columns;
  const numeric = Object.keys(cols).filter((c) => cols[c] === 'numeric' || cols[c] === 'integer');
  const measure = opts.measure ?? ('total_cost' in cols ? 'total_cost' : numeric[0]);
  if (!measure || !numeric.includes(measure)) throw new DiffError(`measure ${JSON.stringify(opts.measure)} is not a numeric column of ${def.name} (numeric: ${numeric.join(', ')})`);
  const groupBy = opts.groupBy ?? def.target.key.find((k) => k !== 'month') ?? def.target.key[0]!;
  if (!(groupBy in cols)) throw new DiffError(`group ${JSON.stringify(groupBy)} is not a column of ${def.name}`);
  const versions = await paramsVersions(pool, def.name);
  const to = resolveVersion(versions, opts.to, versions.length - 1, 'to');
  const from = resolveVersion(versions, opts.from, versions.length - 2, 'from');
  const { rows } = await pool.query<{ grp: string | null; before: string; after: string; delta: string }>(
    `WITH h AS (SELECT * FROM materialization_history WHERE pipeline = $1),
     parts AS (SELECT DISTINCT partition_key FROM h WHERE params_version IN ($2, $3) AND ($6::text IS NULL OR partition_key = $6)),
     before AS (SELECT h.partition_key, h.rows FROM h JOIN parts USING (partition_key) WHERE h.params_version = $2),
     after AS (
       SELECT DISTINCT ON (h.partition_key) h.partition_key, h.rows
         FROM h JOIN parts USING (partition_key)
        ORDER BY h.partition_key, (h.params_version = $3) DESC, h.loaded_at DESC),
     v AS (
       SELECT r->>$4 AS grp, (r->>$5)::numeric AS x, 0::numeric AS y FROM before, jsonb_array_elements(before.rows) r
       UNION ALL
       SELECT r->>$4, 0, (r->>$5)::numeric FROM after, jsonb_array_elements(after.rows) r)
     SELECT grp, sum(x)::text AS before, sum(y)::text AS after, (sum(y) - sum(x))::text AS delta
       FROM v GROUP BY ROLLUP (grp) ORDER BY grp NULLS LAST`,
    [def.name, from, to, groupBy, measure, opts.partition ?? null],
  );
  const total = rows.find((r) => r.grp === null) ?? { before: '0', after: '0', delta: '0' };
  return {
    pipeline: def.name,
    from,
    to,
    measure,
    groupBy,
    partition: opts.partition ?? null,
    groups: rows.filter((r) => r.grp !== null).map((r) => ({ group: r.grp!, before: r.before, after: r.after, delta: r.delta })),
    total: { before: total.before, after: total.after, delta: total.delta },
  };
}
