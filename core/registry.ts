import type { PipelineDefinition } from './pipeline';
import { checkGraph } from './graph';

/** Thrown when a pipeline name is not registered. */
export class UnknownPipelineError extends Error {
  override readonly name = 'UnknownPipelineError';
  constructor(readonly pipeline: string, known: readonly string[]) {
    super(`unknown pipeline "${pipeline}" (known: ${known.join(', ')})`);
  }
}

export interface Registry {
  readonly pipelines: readonly PipelineDefinition[];
  /** Pipeline names in dependency order (every pipeline after the ones it reads). */
  readonly order: readonly string[];
  get(name: string): PipelineDefinition;
  has(name: string): boolean;
}

/** The registry of definitions. Throws on a duplicate name, and PipelineGraphError on unknown inputs or cycles. */
// Definitions are generic in their schema and params; the registry holds them type-erased.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createRegistry(defs: readonly PipelineDefinition<any, any>[]): Registry {
  const byName = new Map<string, PipelineDefinition>();
  for (const d of defs) {
    if (byName.has(d.name)) throw new Error(`pipeline ${d.name} registered twice`);
    byName.set(d.name, d as PipelineDefinition);
  }
  // Unknown inputs, misfit mappings and cycles are refused here, when the registry loads.
  const order = checkGraph([...byName.values()]);
  return {
    pipelines: [...byName.values()],
    order,
    has: (name) => byName.has(name),
    get(name) {
      const d = byName.get(name);
      if (!d) throw new UnknownPipelineError(name, [...byName.keys()]);
      return d;
    },
  };
}
