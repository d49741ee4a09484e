/**
 * A fast accept path for a pipeline's zod row schema, used by validate before zod itself.
 *
 * Zod's general machinery (issue lists, payload objects, pipes, memoisation) cost about as much per
 * row as all the rest of a row's path together (measured in docs/benchmarks.md, "Bulk loads").
 * {@link compileRowSchema} walks the schema once and builds a plain function that runs the *same*
 * parts of the schema — its type tests, and its own check, refine and transform functions in zod's
 * order — on a row, and answers either "valid, with this output" or "not sure". It is never the
 * judge of a bad row: anything it is not sure of (a failed check, an absent key, an issue added by a
 * transform, a value a part it does not know would see) is handed to zod's `safeParse`, so reasons,
 * fields and quarantine contents stay exactly zod's. The output of an accepted row equals zod's
 * (proven in tests/unit/row-validator.test.ts on every pipeline of the repository and the
 * bad-input corpus).
 *
 * Supported parts (zod 4): object (default strip mode, no catchall), string, number, boolean,
 * enum, literal, unknown/any, nullable, optional, pipe, transform, and any check on them
 * (min/max/length/regex/trim/refine...). A schema using anything else compiles to `undefined`
 * (validate then uses zod alone). Pure: no I/O.
 */
import type { z } from 'zod';

/** The outcome of the fast path: the row's parsed value, or undefined when zod must decide. */
export type FastParse = (input: unknown) => { readonly value: unknown } | undefined;

/** Internal shapes of zod 4 schemas and checks that this module reads (stable parts of zod's core). */
interface ZodInternals {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly checks?: readonly CheckInternals[];
      readonly coerce?: boolean;
      readonly shape?: Record<string, ZodInternals>;
      readonly catchall?: unknown;
      readonly innerType?: ZodInternals;
      readonly in?: ZodInternals;
      readonly out?: ZodInternals;
      readonly entries?: Record<string, unknown>;
      readonly values?: readonly unknown[];
      readonly transform?: (value: unknown, payload: Payload) => unknown;
    };
  };
}

interface CheckInternals {
  readonly _zod: {
    readonly def: { readonly when?: (payload: Payload) => boolean };
    readonly check: (payload: Payload) => unknown;
  };
}

interface Payload {
  value: unknown;
  issues: unknown[];
  addIssue?: (issue: unknown) => void;
}

/** Marker for "not sure": the row goes to zod. */
const UNSURE: unique symbol = Symbol('unsure');
type Step = (value: unknown) => unknown;

class Unsupported extends Error {
  override readonly name = 'Unsupported';
}

/**
 * The fast accept function for `schema`, or undefined when the schema uses a part this module does
 * not know (then zod alone validates).
 */
export function compileRowSchema(schema: z.ZodType): FastParse | undefined {
  let step: Step;
  try {
    step = compile(schema as unknown as ZodInternals);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  return (input) => {
    let out: unknown;
    try {
      out = step(input);
    } catch {
      // A check or transform that throws is zod's to report (or to throw) as it always does.
      return undefined;
    }
    return out === UNSURE ? undefined : { value: out };
  };
}

function compile(schema: ZodInternals): Step {
  const def = schema?._zod?.def;
  if (!def) throw new Unsupported('not a zod 4 schema');
  const base = compileType(def);
  const checks = def.checks ?? [];
  if (checks.length === 0) return base;
  return (value) => {
    const v = base(value);
    if (v === UNSURE) return UNSURE;
    return runChecks(v, checks);
  };
}

/** Runs zod checks in order on a valid value; UNSURE when any adds an issue or is asynchronous. */
function runChecks(value: unknown, checks: readonly CheckInternals[]): unknown {
  const payload: Payload = { value, issues: [] };
  for (const ch of checks) {
    if (ch._zod.def.when && !ch._zod.def.when(payload)) continue;
    const r = ch._zod.check(payload);
    if (r instanceof Promise) return UNSURE;
    if (payload.issues.length > 0) return UNSURE;
  }
  return payload.value;
}

function compileType(def: ZodInternals['_zod']['def']): Step {
  switch (def.type) {
    case 'string':
      if (def.coerce) throw new Unsupported('coerce');
      return (v) => (typeof v === 'string' ? v : UNSURE);
    case 'number':
      if (def.coerce) throw new Unsupported('coerce');
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : UNSURE);
    case 'boolean':
      if (def.coerce) throw new Unsupported('coerce');
      return (v) => (typeof v === 'boolean' ? v : UNSURE);
    case 'unknown':
    case 'any':
      return (v) => v;
    case 'enum': {
      const values = new Set(Object.values(def.entries ?? {}));
      return (v) => (values.has(v) ? v : UNSURE);
    }
    case 'literal': {
      const values = new Set(def.values ?? []);
      return (v) => (values.has(v) ? v : UNSURE);
    }
    case 'nullable': {
      const inner = compile(def.innerType!);
      return (v) => (v === null ? null : inner(v));
    }
    case 'optional': {
      const inner = compile(def.innerType!);
      return (v) => (v === undefined ? UNSURE : inner(v));
    }
    case 'pipe': {
      const a = compile(def.in!);
      const b = compile(def.out!);
      return (v) => {
        const x = a(v);
        return x === UNSURE ? UNSURE : b(x);
      };
    }
    case 'transform': {
      const fn = def.transform;
      if (typeof fn !== 'function') throw new Unsupported('transform without a function');
      return (v) => {
        const payload: Payload = { value: v, issues: [] };
        payload.addIssue = (issue) => void payload.issues.push(issue);
        const out = fn(v, payload);
        if (out instanceof Promise || payload.issues.length > 0) return UNSURE;
        return out;
      };
    }
    case 'object': {
      if (def.catchall !== undefined) throw new Unsupported('catchall');
      const shape = def.shape ?? {};
      if (Object.getOwnPropertySymbols(shape).length > 0) throw new Unsupported('symbol keys');
      const fields = Object.keys(shape).map((k) => [k, compile(shape[k]!)] as const);
      return (input) => {
        if (typeof input !== 'object' || input === null || Array.isArray(input)) return UNSURE;
        const rec = input as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [k, f] of fields) {
          // Absent keys and undefined results follow zod's optional rules: leave them to zod.
          if (!(k in rec)) return UNSURE;
          const v = f(rec[k]);
          if (v === UNSURE || v === undefined) return UNSURE;
          out[k] = v;
        }
        return out;
      };
    }
    default:
      throw new Unsupported(def.type);
  }
}
