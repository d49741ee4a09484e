/**
 * Lineage for the console: the pipeline graph from the registry, and per partition what fed it
 * (upstream) and what it fed (downstream).
 *
 * Until "Derived datasets" lands (core/graph.ts, lineage records), edges come from each definition's
 * optional `inputs` (`{ [name]: { pipeline, mapping } }`), read defensively, and a partition's lineage
 * lists the input pipelines without keys (no records to read yet). When lineage records exist, only
 * `partitionLineage` changes.
 */
import type { Pool } from '../infra/db';
import type { PipelineDefinition } from '../core/pipeline';
import type { Registry } from '../core/registry';

/** One node of the pipeline graph. */
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

/** The inputs a definition declares (empty for source pipelines). Tolerates any shape. */
export function declaredInputs(def: PipelineDefinition): { input: string; pipeline: string }[] {
  const inputs = (def as { inputs?: unknown }).inputs;
  if (!inputs || typeof inputs !== 'object') return [];
  const out: { input: string; pipeline: string }[] = [];
  const entries: [string, unknown][] = Array.isArray(inputs) ? inputs.map((v, i) => [String(i), v]) : Object.entries(inputs);
  for (const [name, v] of entries) {
    const p = v && typeof v === 'object' ? (v as { pipeline?: unknown }).pipeline : undefined;
    if (typeof p === 'string') out.push({ input: name, pipeline: p });
  }
  return out;
}

/** Nodes and edges of the registry's pipelines. Edges to unregistered pipelines are kept (drawn as such). */
export function pipelineGraph(registry: Registry): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = registry.pipelines.map((d) => ({ name: d.name, granularity: String(d.partitioning.granularity), description: d.description }));
  const edges = registry.pipelines.flatMap((d) => declaredInputs(d).map((i) => ({ from: i.pipeline, to: d.name, input: i.input })));
  return { nodes, edges };
}

/** A neighbour of a partition: a pipeline and, when known, the partition keys involved. */
export interface LineageLink {
  readonly pipeline: string;
  readonly input?: string;
  /** Empty when unknown (no lineage records yet). */
  readonly keys: readonly string[];
}

/** What fed a partition and what it fed. */
export interface PartitionLineage {
  readonly upstream: readonly LineageLink[];
  readonly downstream: readonly LineageLink[];
}

/**
 * Lineage of one partition. Today: the declared inputs (upstream) and the pipelines that declare
 * this one as an input (downstream), without keys. `pool` is where lineage records will be read.
 */
export async function partitionLineage(_pool: Pool, registry: Registry, pipeline: string, _key: string): Promise<PartitionLineage> {
  const def = registry.get(pipeline);
  const upstream = declaredInputs(def).map((i) => ({ pipeline: i.pipeline, input: i.input, keys: [] }));
  const downstream = registry.pipelines.flatMap((d) =>
    declaredInputs(d)
      .filter((i) => i.pipeline === pipeline)
      .map((i) => ({ pipeline: d.name, input: i.input, keys: [] })),
  );
  return { upstream, downstream };
}
