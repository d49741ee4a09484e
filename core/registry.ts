import type { PipelineDefinition } from './pipeline';

/** Thrown when a pipeline name is not registered. */
export class UnknownPipelineError extends Error {
  override readonly name = 'UnknownPipelineError';
  constructor(readonly pipeline: string, known: readonly string[]) {
    super(`unknown pipeline "${pipeline}" (known: ${known.join(', ')})`);
  }
}

export interface Registry {
  readonly pipelines: readonly PipelineDefinition[];
  get(name: string): PipelineDefinition;
  has(name: string): boolean;
}

// Definitions are generic in their schema and params; the registry holds them type-erased.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createRegistry(defs: readonly PipelineDefinition<any, any>[]): Registry {
  const byName = new Map<string, PipelineDefinition>();
  for (const d of defs) {
    if (byName.has(d.name)) throw new Error(`pipeline ${d.name} registered twice`);
    byName.set(d.name, d as PipelineDefinition);
  }
  return {
    pipelines: [...byName.values()],
    has: (name) => byName.has(name),
    get(name) {
      const d = byName.get(name);
      if (!d) throw new UnknownPipelineError(name, [...byName.keys()]);
      return d;
    },
  };
}
