/** Hashes that tell whether a loaded partition is up to date with its definition. */
import { createHash } from 'node:crypto';
import type { PipelineDefinition } from '../core/pipeline';
import type { CurrentFingerprint } from '../core/plan';
import type { Registry } from '../core/registry';

/** JSON with sorted object keys, so equal values always serialise the same way. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

// Definitions are frozen at load time, so their fingerprints are computed once per process.
const paramsHashes = new WeakMap<object, string>();
const codeVersions = new WeakMap<object, string>();

export function paramsHash(def: PipelineDefinition): string {
  let h = paramsHashes.get(def);
  if (h === undefined) paramsHashes.set(def, (h = sha256(canonicalJson(def.params)).slice(0, 16)));
  return h;
}

/**
 * The code version of a pipeline: its declared version plus a hash of everything that shapes its
 * output (transform source, target, schema and source declarations). Editing the transform makes
 * loaded partitions stale even if nobody bumps `version`.
 */
export function codeVersion(def: PipelineDefinition): string {
  let v = codeVersions.get(def);
  if (v === undefined) codeVersions.set(def, (v = computeCodeVersion(def)));
  return v;
}

function computeCodeVersion(def: PipelineDefinition): string {
  const src = def.source;
  // How the target indexes its partition column does not change what is loaded (undefined fields
  // are left out of canonical JSON: the material is what it was before the option existed).
  const target = { ...def.target, partitionIndex: undefined };
  const material = [
    def.transform.toString(),
    canonicalJson(target),
    canonicalJson(Object.fromEntries(Object.entries(src).map(([k, v]) => [k, typeof v === 'function' || v instanceof RegExp ? String(v) : v]))),
    JSON.stringify(def.schema.def ?? null, (_k, v: unknown) => (typeof v === 'function' ? String(v) : v)),
    // The set-based row path computes the same output in SQL (absent: nothing added, versions unchanged).
    ...(def.sql ? [canonicalJson(def.sql)] : []),
  ].join('\n');
  return `v${def.version}-${sha256(material).slice(0, 12)}`;
}

/** The params hash and code version a loaded partition must match to be up to date. */
export function currentFingerprint(def: PipelineDefinition): CurrentFingerprint {
  return { paramsHash: paramsHash(def), codeVersion: codeVersion(def) };
}

/**
 * The params version of a pipeline's output: a hash of its params and of the params of every
 * pipeline it reads, transitively (a derived dataset's figures change when an upstream rule does).
 * Keys `materialization_history` rows, so `datapulse diff` can compare two rule sets.
 */
export function lineageParamsVersion(registry: Pick<Registry, 'get' | 'has'>, name: string): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  const visit = (n: string) => {
    if (seen.has(n) || !registry.has(n)) return;
    seen.add(n);
    const def = registry.get(n);
    parts.push(`${n}=${paramsHash(def)}`);
    if (def.source.kind === 'derived') for (const i of Object.values(def.source.inputs)) visit(i.pipeline);
  };
  visit(name);
  return sha256(parts.sort().join('\n')).slice(0, 12);
}
