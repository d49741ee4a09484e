/**
 * `backfill --with-upstream`: the ranges of every pipeline a backfill range needs, in dependency
 * order (upstream first). Pure over the registry: each input's mapping turns the downstream range
 * into the upstream range (mappings are monotone, so the first and last keys bound it), merged as
 * the hull when several downstreams need one pipeline. A pipeline reading its own earlier
 * partitions is extended back to the start of that chain and runs one partition at a time.
 */
import { graphEdges, upstreamClosure } from '../core/graph';
import { upstreamRange } from '../core/mapping';
import { shiftKey, STATIC_KEY } from '../core/partition';
import type { Registry } from '../core/registry';

/** One backfill of the plan: [from, to) of `pipeline`. */
export interface PlannedBackfill {
  readonly pipeline: string;
  readonly from: string;
  readonly to: string;
  /** The pipeline reads its own earlier partitions: its partitions must run one at a time, in order. */
  readonly sequential: boolean;
}

/** The backfills that fill [from, to) of `pipeline` and everything it reads, upstream first. */
export function planWithUpstream(registry: Registry, pipeline: string, from: string, to: string): PlannedBackfill[] {
  const edges = graphEdges(registry.pipelines);
  const order = [...upstreamClosure(registry.pipelines, pipeline), pipeline];
  const need = new Map<string, { from: string; to: string }>([[pipeline, { from, to }]]);
  for (const name of [...order].reverse()) {
    let r = need.get(name);
    if (!r) continue;
    const down = registry.get(name);
    // Reading its own earlier partitions (running totals, moving averages): those must exist too,
    // back to where the chain starts (already loaded ones are skipped by the backfill's plan).
    for (const self of edges.filter((x) => x.downstream === name && x.upstream === name)) {
      for (;;) {
        const earlier = upstreamRange(self.mapping, down.partitioning, down.partitioning, r.from);
        if (earlier.count === 0 || earlier.from >= r.from) break;
        r = { from: earlier.from, to: r.to };
      }
    }
    need.set(name, r);
    const last = down.partitioning.granularity === 'static' ? STATIC_KEY : shiftKey(down.partitioning.granularity, r.to, -1);
    for (const e of edges.filter((x) => x.downstream === name && x.upstream !== name)) {
      const up = registry.get(e.upstream);
      const a = upstreamRange(e.mapping, down.partitioning, up.partitioning, r.from);
      const b = upstreamRange(e.mapping, down.partitioning, up.partitioning, last);
      const lo = a.count > 0 ? a.from : b.from;
      const hi = b.count > 0 ? b.to : a.to;
      if (a.count === 0 && b.count === 0) continue;
      const prev = need.get(e.upstream);
      need.set(e.upstream, prev ? { from: prev.from < lo ? prev.from : lo, to: prev.to > hi ? prev.to : hi } : { from: lo, to: hi });
    }
  }
  return order
    .filter((n) => need.has(n))
    .map((n) => ({ pipeline: n, ...need.get(n)!, sequential: edges.some((e) => e.upstream === n && e.downstream === n) }));
}
