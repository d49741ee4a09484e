import { definePipeline, type Params, type PipelineDefinition } from './pipeline';
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

/** Params to override, per pipeline: `{ sport_employee_monthly: { bonus_rate: '0.04' } }`. */
export type ParamOverrides = Readonly<Record<string, Params>>;

/** Thrown when params overrides name an unknown pipeline or param, or give a param another type. */
export class ParamOverrideError extends Error {
  override readonly name = 'ParamOverrideError';
}

/**
 * The definitions with some params replaced (each re-checked by `definePipeline`): how an operator
 * changes a rule without editing code (`DATAPULSE_PARAMS`, infra/config.ts). Only existing params may
 * be overridden, with a value of the same JSON type, so a typo fails at start instead of being ignored.
 * Throws ParamOverrideError.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withParamOverrides(defs: readonly PipelineDefinition<any, any>[], overrides: ParamOverrides): PipelineDefinition[] {
  const names = new Set(defs.map((d) => d.name));
  for (const p of Object.keys(overrides)) if (!names.has(p)) throw new ParamOverrideError(`params override names unknown pipeline ${JSON.stringify(p)}`);
  return defs.map((d) => {
    const o = overrides[d.name];
    if (!o) return d as PipelineDefinition;
    for (const [k, v] of Object.entries(o)) {
      if (!(k in d.params)) throw new ParamOverrideError(`params override of ${d.name}: no param ${JSON.stringify(k)} (params: ${Object.keys(d.params).join(', ')})`);
      const was = (d.params as Params)[k];
      if (typeof v !== typeof was || Array.isArray(v) !== Array.isArray(was)) {
        throw new ParamOverrideError(`params override of ${d.name}.${k}: ${JSON.stringify(v)} is not a ${Array.isArray(was) ? 'list' : typeof was} like ${JSON.stringify(was)}`);
      }
    }
    return definePipeline({ ...(d as PipelineDefinition), params: { ...(d.params as Params), ...o } });
  });
}
