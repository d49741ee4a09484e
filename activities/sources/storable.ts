/**
 * What PostgreSQL refuses to store, caught where a value enters (the source), so a bad value becomes
 * a non-retryable error naming the request or file, the line and the field — never a database error
 * retried at ingest or load. PostgreSQL's `text`, `json` and `jsonb` refuse the NUL character
 * (U+0000) and UTF-16 surrogates that are not paired (`"\ud83c"` alone), which JSON can spell but
 * UTF-8 cannot encode. (Times out of PostgreSQL's range are refused by core/time.ts when parsed.)
 */

/** Where a record holds a value PostgreSQL cannot store, and why. */
export interface UnstorableValue {
  /** Dotted path of the field (`hourly.time.3` or `name`). */
  readonly field: string;
  readonly reason: string;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function describeString(s: string): string | undefined {
  if (s.includes('\u0000')) return `contains a NUL character (\\u0000) at position ${s.indexOf('\u0000')}`;
  const lone = LONE_SURROGATE.exec(s);
  if (lone) {
    return `contains a lone UTF-16 surrogate \\u${lone[0].charCodeAt(0).toString(16)} at position ${lone.index} (broken text: half of an emoji or symbol)`;
  }
  return undefined;
}

/**
 * The first value (or key) of `value` that PostgreSQL cannot store, walking objects and arrays;
 * undefined when all of it can be stored. `path` prefixes the field names.
 */
export function findUnstorable(value: unknown, path = ''): UnstorableValue | undefined {
  if (typeof value === 'string') {
    const why = describeString(value);
    return why ? { field: path || '(value)', reason: why } : undefined;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { field: path || '(value)', reason: `is ${value}, which JSON cannot hold` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = findUnstorable(value[i], path ? `${path}.${i}` : String(i));
      if (r) return r;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      const keyWhy = describeString(k);
      if (keyWhy) return { field: path ? `${path}.${JSON.stringify(k)}` : JSON.stringify(k), reason: `field name ${keyWhy}` };
      const r = findUnstorable(v, path ? `${path}.${k}` : k);
      if (r) return r;
    }
  }
  return undefined;
}
