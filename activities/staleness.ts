/**
 * Staleness that propagates, computed from the ledger and the consumed-input records alone — no
 * source is re-read. A succeeded partition is stale when:
 * - its pipeline's params hash or code version differs from the current definition; or
 * - an upstream partition it consumed has since loaded a different data version
 *   (`coalesce(data_checksum, source_checksum)` differs from the one recorded when it was read); or
 * - an upstream partition it consumed is itself stale (transitively, through any depth).
 * An upstream re-loaded with the same data (same checksum) makes nothing stale; an upstream being
 * re-loaded right now, or whose re-load failed, still holds the rows that were read: not stale either.
 */
import type { Pool } from '../infra/db';
import { currentFingerprint } from '../infra/fingerprint';
import type { Registry } from '../core/registry';

/** A stale partition and the first reason found (`input weather/2024-05-01T13 re-loaded`, `definition changed`). */
export interface StalePartition {
  readonly pipeline: string;
  readonly partitionKey: string;
  readonly reason: string;
}

/**
 * Every stale succeeded partition of the pipelines that `pipelines` names (all when omitted), with
 * staleness propagated from every pipeline of the registry. Keys within [from, to) when given.
 */
export async function stalePartitions(
  pool: Pick<Pool, 'query'>,
  registry: Registry,
  filter: { pipelines?: readonly string[]; from?: string; to?: string } = {},
): Promise<StalePartition[]> {
  const fps = registry.pipelines.map((d) => ({ name: d.name, ...currentFingerprint(d) }));
  const { rows } = await pool.query<{ pipeline: string; partition_key: string; reason: string }>(
    `WITH RECURSIVE cur(pipeline, params_hash, code_version) AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
     ), direct AS (
       SELECT l.pipeline, l.partition_key, 'definition changed (params or code)'::text AS reason
         FROM ledger l JOIN cur c ON c.pipeline = l.pipeline
        WHERE l.status = 'succeeded' AND (l.params_hash IS DISTINCT FROM c.params_hash OR l.code_version IS DISTINCT FROM c.code_version)
       UNION ALL
       SELECT pi.pipeline, pi.partition_key, 'input ' || pi.upstream_pipeline || '/' || pi.upstream_key || ' re-loaded with different data'
         FROM partition_inputs pi
         JOIN ledger d ON d.pipeline = pi.pipeline AND d.partition_key = pi.partition_key AND d.status = 'succeeded'
         JOIN ledger u ON u.pipeline = pi.upstream_pipeline AND u.partition_key = pi.upstream_key
        WHERE u.status = 'succeeded' AND coalesce(u.data_checksum, u.source_checksum) IS DISTINCT FROM pi.upstream_version
     ), stale(pipeline, partition_key, reason) AS (
       SELECT pipeline, partition_key, reason FROM direct
       UNION
       SELECT pi.pipeline, pi.partition_key, 'input ' || s.pipeline || '/' || s.partition_key || ' is stale'
         FROM stale s
         JOIN partition_inputs pi ON pi.upstream_pipeline = s.pipeline AND pi.upstream_key = s.partition_key
         JOIN ledger d ON d.pipeline = pi.pipeline AND d.partition_key = pi.partition_key AND d.status = 'succeeded'
     )
     SELECT pipeline, partition_key, min(reason) AS reason FROM stale
      WHERE ($4::text[] IS NULL OR pipeline = ANY($4::text[]))
        AND ($5::text IS NULL OR partition_key >= $5) AND ($6::text IS NULL OR partition_key < $6)
      GROUP BY pipeline, partition_key
      ORDER BY pipeline, partition_key`,
    [fps.map((f) => f.name), fps.map((f) => f.paramsHash), fps.map((f) => f.codeVersion), filter.pipelines ?? null, filter.from ?? null, filter.to ?? null],
  );
  return rows.map((r) => ({ pipeline: r.pipeline, partitionKey: r.partition_key, reason: r.reason }));
}

/** The stale keys of one pipeline in [from, to), with their reasons. */
export async function staleKeys(pool: Pick<Pool, 'query'>, registry: Registry, pipeline: string, from?: string, to?: string): Promise<Map<string, string>> {
  const list = await stalePartitions(pool, registry, { pipelines: [pipeline], from, to });
  return new Map(list.map((s) => [s.partitionKey, s.reason]));
}
