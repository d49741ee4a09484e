/**
 * The pipeline graph: which pipelines read which (derived sources' inputs), checked when the
 * registry loads (unknown inputs, mappings that do not fit, cycles named), in dependency order.
 * Pure: used by the registry, the CLI (`datapulse graph`), automation and `backfill --with-upstream`.
 */
import { describeMapping, mappingProblem, type PartitionMapping } from './mapping';
import type { PipelineDefinition } from './pipeline';

/** One edge: `downstream` reads `upstream` as input `input` through `mapping`. */
export interface GraphEdge {
  readonly upstream: string;
  readonly downstream: string;
  readonly input: string;
  readonly mapping: PartitionMapping;
}

/** Thrown when the registry's inputs do not form a valid graph: unknown input, bad mapping, cycle. */
export class PipelineGraphError extends Error {
  override readonly name = 'PipelineGraphError';
}

type Def = Pick<PipelineDefinition, 'name' | 'partitioning' | 'source'>;

/** The edges of every derived pipeline's inputs, in registry order. Self-edges (own earlier partitions) included. */
export function graphEdges(defs: readonly Def[]): GraphEdge[] {
  const edges: GraphEdge[] = [];
  for (const d of defs) {
    if (d.source.kind !== 'derived') continue;
    for (const [input, i] of Object.entries(d.source.inputs)) edges.push({ upstream: i.pipeline, downstream: d.name, input, mapping: i.mapping });
  }
  return edges;
}

/**
 * Checks the graph and returns the pipelines in dependency order (every pipeline after all it reads).
 * Throws PipelineGraphError naming the unknown input, the misfit mapping, or the cycle
 * (`a → b → a`). A pipeline reading its own earlier partitions is not a cycle.
 */
export function checkGraph(defs: readonly Def[]): string[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const edges = graphEdges(defs);
  for (const e of edges) {
    const up = byName.get(e.upstream);
    if (!up) throw new PipelineGraphError(`pipeline "${e.downstream}": input ${e.input} reads unknown pipeline "${e.upstream}" (known: ${[...byName.keys()].join(', ')})`);
    const down = byName.get(e.downstream)!;
    const problem = mappingProblem(e.mapping, down.partitioning, up.partitioning);
    if (problem) throw new PipelineGraphError(`pipeline "${e.downstream}": input ${e.input} (${e.upstream}, ${describeMapping(e.mapping)}): ${problem}`);
  }
  const reads = new Map<string, string[]>(defs.map((d) => [d.name, []]));
  for (const e of edges) if (e.upstream !== e.downstream) reads.get(e.downstream)!.push(e.upstream);
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new PipelineGraphError(`pipelines form a cycle: ${cycle.join(' → ')} (each reads the next; a derived dataset cannot depend on itself except on its own earlier partitions)`);
    }
    state.set(name, 'visiting');
    for (const up of reads.get(name) ?? []) visit(up, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const d of defs) visit(d.name, []);
  return order;
}

/** The pipelines that read `pipeline` directly, with how (self-edges excluded). */
export function downstreamEdges(defs: readonly Def[], pipeline: string): GraphEdge[] {
  return graphEdges(defs).filter((e) => e.upstream === pipeline && e.downstream !== pipeline);
}

/** Every pipeline `pipeline` reads, transitively, in dependency order (itself excluded). */
export function upstreamClosure(defs: readonly Def[], pipeline: string): string[] {
  const order = checkGraph(defs);
  const edges = graphEdges(defs);
  const need = new Set<string>();
  const walk = (name: string) => {
    for (const e of edges) {
      if (e.downstream === name && e.upstream !== name && !need.has(e.upstream)) {
        need.add(e.upstream);
        walk(e.upstream);
      }
    }
  };
  walk(pipeline);
  return order.filter((n) => need.has(n));
}

/** The graph as text: one line per pipeline in dependency order, with its inputs and mappings. */
export function renderGraphText(defs: readonly Def[]): string[] {
  const order = checkGraph(defs);
  const byName = new Map(defs.map((d) => [d.name, d]));
  const edges = graphEdges(defs);
  return order.map((name) => {
    const d = byName.get(name)!;
    const ins = edges.filter((e) => e.downstream === name).map((e) => `${e.input} ← ${e.upstream} ${describeMapping(e.mapping)}`);
    const outs = edges.filter((e) => e.upstream === name && e.downstream !== name).map((e) => e.downstream);
    return `${name} (${d.partitioning.granularity}, ${d.source.kind})${ins.length ? `  reads: ${ins.join('; ')}` : ''}${outs.length ? `  → ${[...new Set(outs)].join(', ')}` : ''}`;
  });
}

/** The graph as a Mermaid flowchart (`flowchart LR`), edges labelled with the input and mapping. */
export function renderGraphMermaid(defs: readonly Def[]): string[] {
  const order = checkGraph(defs);
  const byName = new Map(defs.map((d) => [d.name, d]));
  const lines = ['flowchart LR'];
  for (const name of order) lines.push(`  ${name}["${name}<br/>${byName.get(name)!.partitioning.granularity}"]`);
  for (const e of graphEdges(defs)) lines.push(`  ${e.upstream} -->|"${e.input}: ${describeMapping(e.mapping)}"| ${e.downstream}`);
  return lines;
}
