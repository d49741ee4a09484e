/**
 * Lineage of one partition, from the consumed-input records: the upstream partitions it read (which
 * load: run id, data version, load time, UI link) and the downstream partitions that read it, each
 * marked when the version it read is no longer current.
 */
import { workflowUiUrl, type Config } from '../infra/config';
import type { Pool } from '../infra/db';
import { partitionWindow } from '../core/partition';
import type { Registry } from '../core/registry';
import { graphEdges } from '../core/graph';
import type { PipelineDefinition } from '../core/pipeline';
import { partitionWorkflowId } from '../core/search-attributes';

/** One upstream partition a partition consumed. */
export interface LineageUpstream {
  readonly input: string;
  readonly pipeline: string;
  readonly key: string;
  readonly runId: string | null;
  readonly version: string | null;
  readonly loadedAt: string | null;
  /** The upstream's load now differs from the one read (re-loaded with other data). */
  readonly changedSince: boolean;
  readonly uiUrl: string;
}

/** One downstream partition that consumed this one. */
export interface LineageDownstream {
  readonly pipeline: string;
  readonly key: string;
  readonly input: string;
  readonly consumedAt: string;
  /** It read a version of this partition that is no longer the current one. */
  readonly readOlderVersion: boolean;
  readonly uiUrl: string;
}

export interface Lineage {
  readonly pipeline: string;
  readonly partition: string;
  readonly upstream: readonly LineageUpstream[];
  readonly downstream: readonly LineageDownstream[];
}

/** Reads the lineage of `pipeline`/`partition`. Throws UnknownPipelineError / InvalidPartitionKeyError first. */
export async function partitionLineage(pool: Pick<Pool, 'query'>, registry: Registry, config: Pick<Config, 'uiUrl' | 'namespace'>, pipeline: string, partition: string): Promise<Lineage> {
  partitionWindow(registry.get(pipeline).partitioning.granularity, partition);
  const up = await pool.query<{
    input_name: string;
    upstream_pipeline: string;
    upstream_key: string;
    upstream_run_id: string | null;
    upstream_version: string | null;
    upstream_loaded_at: Date | null;
    current_version: string | null;
  }>(
    `SELECT pi.input_name, pi.upstream_pipeline, pi.upstream_key, pi.upstream_run_id, pi.upstream_version, pi.upstream_loaded_at,
            coalesce(u.data_checksum, u.source_checksum) AS current_version
       FROM partition_inputs pi
       LEFT JOIN ledger u ON u.pipeline = pi.upstream_pipeline AND u.partition_key = pi.upstream_key
      WHERE pi.pipeline = $1 AND pi.partition_key = $2
      ORDER BY pi.input_name, pi.upstream_pipeline, pi.upstream_key`,
    [pipeline, partition],
  );
  const down = await pool.query<{ pipeline: string; partition_key: string; input_name: string; consumed_at: Date; upstream_version: string | null; current_version: string | null }>(
    `SELECT pi.pipeline, pi.partition_key, pi.input_name, pi.consumed_at, pi.upstream_version,
            coalesce(u.data_checksum, u.source_checksum) AS current_version
       FROM partition_inputs pi
       LEFT JOIN ledger u ON u.pipeline = pi.upstream_pipeline AND u.partition_key = pi.upstream_key
      WHERE pi.upstream_pipeline = $1 AND pi.upstream_key = $2
      ORDER BY pi.pipeline, pi.partition_key`,
    [pipeline, partition],
  );
  return {
    pipeline,
    partition,
    upstream: up.rows.map((r) => ({
      input: r.input_name,
      pipeline: r.upstream_pipeline,
      key: r.upstream_key,
      runId: r.upstream_run_id,
      version: r.upstream_version,
      loadedAt: r.upstream_loaded_at ? r.upstream_loaded_at.toISOString() : null,
      changedSince: r.current_version !== r.upstream_version,
      uiUrl: workflowUiUrl(config, partitionWorkflowId(r.upstream_pipeline, r.upstream_key), r.upstream_run_id ?? undefined),
    })),
    downstream: down.rows.map((r) => ({
      pipeline: r.pipeline,
      key: r.partition_key,
      input: r.input_name,
      consumedAt: r.consumed_at.toISOString(),
      readOlderVersion: r.current_version !== r.upstream_version,
      uiUrl: workflowUiUrl(config, partitionWorkflowId(r.pipeline, r.partition_key)),
    })),
  };
}

/** What `datapulse lineage` prints: upstream grouped by input, then downstream. */
export function renderLineage(l: Lineage): string {
  const lines = [`${l.pipeline}/${l.partition}`];
  const inputs = [...new Set(l.upstream.map((u) => `${u.input}\u0000${u.pipeline}`))];
  lines.push(l.upstream.length ? `  consumed ${l.upstream.length} upstream partition(s):` : '  consumed no upstream partitions (not derived, or not loaded yet)');
  for (const id of inputs) {
    const [input, pipeline] = id.split('\u0000') as [string, string];
    const rows = l.upstream.filter((u) => u.input === input && u.pipeline === pipeline);
    lines.push(`  input ${input} ← ${pipeline}: ${rows.length} partition(s)`);
    for (const u of rows) {
      lines.push(`    ${u.key}  loaded ${u.loadedAt ?? '?'}  run ${u.runId ?? '?'}${u.changedSince ? '  (re-loaded since: this partition is stale)' : ''}  ${u.uiUrl}`);
    }
  }
  lines.push(l.downstream.length ? `  consumed by ${l.downstream.length} downstream partition(s):` : '  consumed by no downstream partition');
  for (const d of l.downstream) {
    lines.push(`    ${d.pipeline}/${d.key}  (input ${d.input}, read ${d.consumedAt})${d.readOlderVersion ? '  stale: read an older load' : ''}  ${d.uiUrl}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One node of the pipeline graph, as the console draws it. */
export interface GraphNode {
  readonly name: string;
  readonly granularity: string;
  readonly description: string;
}

/** An edge upstream → downstream, named after the downstream's input. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly input: string;
}

/** The inputs a definition declares (empty for source pipelines). */
export function declaredInputs(def: PipelineDefinition): { input: string; pipeline: string }[] {
  return graphEdges([def]).map((e) => ({ input: e.input, pipeline: e.upstream }));
}

/** Nodes and edges of the registry's pipelines (core/graph.ts), for the console's graph. */
export function pipelineGraph(registry: Registry): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = registry.pipelines.map((d) => ({ name: d.name, granularity: String(d.partitioning.granularity), description: d.description }));
  const edges = graphEdges(registry.pipelines).map((e) => ({ from: e.upstream, to: e.downstream, input: e.input }));
  return { nodes, edges };
}

/** A neighbour of a partition for the console: a pipeline, the input, and the partition keys involved. */
export interface LineageLink {
  readonly pipeline: string;
  readonly input?: string;
  readonly keys: readonly string[];
}

/** What fed a partition and what it fed, grouped by pipeline and input. */
export interface PartitionLineage {
  readonly upstream: readonly LineageLink[];
  readonly downstream: readonly LineageLink[];
}

/** {@link partitionLineage} grouped by (pipeline, input) with their keys, as the partition page lists it. */
export async function partitionLinks(pool: Pick<Pool, 'query'>, registry: Registry, config: Pick<Config, 'uiUrl' | 'namespace'>, pipeline: string, key: string): Promise<PartitionLineage> {
  const l = await partitionLineage(pool, registry, config, pipeline, key);
  const group = (items: readonly { pipeline: string; input: string; key: string }[]): LineageLink[] => {
    const by = new Map<string, { pipeline: string; input: string; keys: string[] }>();
    for (const i of items) {
      const k = `${i.pipeline}\u0000${i.input}`;
      const g = by.get(k) ?? { pipeline: i.pipeline, input: i.input, keys: [] };
      g.keys.push(i.key);
      by.set(k, g);
    }
    return [...by.values()];
  };
  return { upstream: group(l.upstream), downstream: group(l.downstream) };
}
