/**
 * The derived source: a partition's rows computed by one SQL query over the target tables of the
 * pipelines it declares as inputs, each restricted to the upstream partitions its mapping selects.
 *
 * One REPEATABLE READ, READ ONLY transaction holds the readiness check (every mapped upstream
 * partition succeeded), the versions consumed (run id and data checksum of each upstream partition)
 * and the query itself, so what is recorded as consumed is exactly what the query read.
 *
 * How the query is kept inside its inputs: it names them only as `{{input}}` placeholders, expanded
 * here to sub-selects of validated, quoted table names with a bound partition range; every other
 * value is a bound `:name` parameter. Before it runs, `EXPLAIN (FORMAT JSON)` lists every relation
 * the plan touches, and any that is not one of the inputs' tables (a table named directly, a view's
 * base tables, a catalog) fails the partition with UndeclaredInput. The READ ONLY transaction keeps
 * a function call from writing anything.
 */
import type { Pool, PoolClient } from '../../infra/db';
import { Granularity, keysInRange, STATIC_KEY, type PartitionWindow } from '../../core/partition';
import { describeMapping, upstreamRange, type KeyRange } from '../../core/mapping';
import type { DerivedSource, Params, PipelineDefinition, SourceRecord } from '../../core/pipeline';
import type { Registry } from '../../core/registry';
import { assertIdentifier, ident } from '../../core/sql';
import { FailureType, nonRetryable } from '../errors';
import { ensureTargetTable } from '../target';

/** One upstream partition a derived partition read: which load (run id, data version) it was. */
export interface ConsumedInput {
  readonly inputName: string;
  readonly upstreamPipeline: string;
  readonly upstreamKey: string;
  readonly upstreamRunId: string | null;
  readonly upstreamVersion: string | null;
  readonly upstreamLoadedAt: string | null;
}

export interface DerivedReadOptions {
  readonly pool: Pool;
  readonly registry: Registry;
  readonly heartbeat: (details?: unknown) => void;
  /** Called once the query has been read completely, with every upstream partition it consumed. */
  readonly onConsumed: (consumed: readonly ConsumedInput[]) => Promise<void> | void;
  /** Rows fetched per round trip. @default 2000 */
  readonly batchSize?: number;
}

interface ResolvedInput {
  readonly name: string;
  readonly def: PipelineDefinition;
  readonly range: KeyRange;
  readonly mappingText: string;
}

/** The upstream partitions of each input for one derived partition (pure given the registry). */
export function resolveInputs(def: PipelineDefinition, registry: Registry, key: string): ResolvedInput[] {
  if (def.source.kind !== 'derived') throw new Error(`${def.name} is not a derived pipeline`);
  return Object.entries(def.source.inputs).map(([name, input]) => {
    const up = registry.get(input.pipeline);
    return { name, def: up, range: upstreamRange(input.mapping, def.partitioning, up.partitioning, key), mappingText: describeMapping(input.mapping) };
  });
}

/** Binds `:name` parameters and expands `{{input}}` placeholders into positional SQL. */
export function expandDerivedQuery(
  text: string,
  inputs: readonly { name: string; table: string; range: KeyRange }[],
  schema: string,
  named: Readonly<Record<string, unknown>>,
): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const bind = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const byName = new Map(inputs.map((i) => [i.name, i]));
  let sql = text.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    const i = byName.get(name);
    if (!i) throw nonRetryable(FailureType.CONFIG, `derived query names {{${name}}}, which is not a declared input (inputs: ${[...byName.keys()].join(', ')})`);
    const table = `${ident(schema, 'schema')}.${ident(i.table, 'table')}`;
    const alias = ident(name, 'input');
    if (i.range.count === 0) return `(SELECT * FROM ${table} WHERE false) AS ${alias}`;
    if (i.range.from === STATIC_KEY) return `(SELECT * FROM ${table} WHERE dp_partition = ${bind(STATIC_KEY)}) AS ${alias}`;
    return `(SELECT * FROM ${table} WHERE dp_partition >= ${bind(i.range.from)} AND dp_partition < ${bind(i.range.to)}) AS ${alias}`;
  });
  if (/\{\{/.test(sql)) throw nonRetryable(FailureType.CONFIG, 'derived query has a malformed {{placeholder}}: use {{input_name}}');
  const positions = new Map<string, string>();
  sql = sql.replace(/(?<![:\w]):([a-z_][a-z0-9_]*)/g, (_, name: string) => {
    if (!(name in named)) throw nonRetryable(FailureType.CONFIG, `derived query uses :${name}, which is not a bound value (known: ${Object.keys(named).map((n) => `:${n}`).join(', ')})`);
    let p = positions.get(name);
    if (!p) {
      p = bind(named[name]);
      positions.set(name, p);
    }
    return p;
  });
  return { sql, values };
}

/** Every (schema, relation) an EXPLAIN (FORMAT JSON) plan touches. */
export function planRelations(plan: unknown): { schema: string | undefined; relation: string }[] {
  const out: { schema: string | undefined; relation: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (typeof n['Relation Name'] === 'string') out.push({ schema: typeof n.Schema === 'string' ? n.Schema : undefined, relation: n['Relation Name'] });
    for (const v of Object.values(n)) if (typeof v === 'object') walk(v);
  };
  walk(plan);
  return out;
}

function missingMessage(def: PipelineDefinition, key: string, input: ResolvedInput, missing: string[]): string {
  const up = input.def.name;
  const g = input.def.partitioning.granularity;
  const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length} in all)` : '');
  const fill =
    g === Granularity.STATIC
      ? `datapulse run ${up} ${STATIC_KEY}`
      : `datapulse backfill ${up} --from ${missing[0]} --to ${keyAfter(input, missing[missing.length - 1]!)}`;
  return (
    `${def.name}/${key} waits for ${missing.length} of ${input.range.count} upstream partition(s) of ${up} (input ${input.name}, ${input.mappingText}) not loaded: ${shown}. ` +
    `Fill them: ${fill} (or: datapulse backfill ${def.name} --from ${key} --to <next> --with-upstream)`
  );
}

function keyAfter(input: ResolvedInput, key: string): string {
  const keys = keysInRange(input.def.partitioning.granularity, key, input.range.to);
  keys.next();
  const n = keys.next();
  return n.done ? input.range.to : n.value;
}

interface LedgerVersion {
  partition_key: string;
  run_id: string | null;
  version: string | null;
  finished_at: Date | null;
}

/** Reads one derived partition: readiness, relation check, the query, then `onConsumed`. */
export async function* readDerived(def: PipelineDefinition, window: PartitionWindow, params: Params, opts: DerivedReadOptions): AsyncGenerator<SourceRecord> {
  const source = def.source as DerivedSource;
  const key = window.key;
  const inputs = resolveInputs(def, opts.registry, key);
  // An input that never loaded has no table yet (a pipeline reading its own earlier partitions, on
  // its first partition): create it empty, as its first load would, so the query can name it.
  for (const input of inputs) await ensureTargetTable(opts.pool, input.def);
  const client: PoolClient = await opts.pool.connect();
  let open = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    open = true;
    const schema = (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s;
    if (!schema) throw nonRetryable(FailureType.CONFIG, 'no current schema: set DATAPULSE_SCHEMA');
    const consumed: ConsumedInput[] = [];
    for (const input of inputs) {
      if (input.range.count === 0) continue;
      const cond =
        input.range.from === STATIC_KEY
          ? { sql: 'partition_key = $3', values: [STATIC_KEY] }
          : { sql: 'partition_key >= $3 AND partition_key < $4', values: [input.range.from, input.range.to] };
      const res = await client.query<LedgerVersion>(
        `SELECT partition_key, run_id, coalesce(data_checksum, source_checksum) AS version, finished_at
           FROM ledger WHERE pipeline = $1 AND status = $2 AND ${cond.sql} ORDER BY partition_key`,
        [input.def.name, 'succeeded', ...cond.values],
      );
      const have = new Map(res.rows.map((r) => [r.partition_key, r]));
      const expected = input.range.from === STATIC_KEY ? [STATIC_KEY] : [...keysInRange(input.def.partitioning.granularity, input.range.from, input.range.to)];
      const missing = expected.filter((k) => !have.has(k));
      if (missing.length > 0) throw nonRetryable(FailureType.UPSTREAM_NOT_READY, missingMessage(def, key, input, missing));
      for (const k of expected) {
        const r = have.get(k)!;
        consumed.push({
          inputName: input.name,
          upstreamPipeline: input.def.name,
          upstreamKey: k,
          upstreamRunId: r.run_id,
          upstreamVersion: r.version,
          upstreamLoadedAt: r.finished_at ? r.finished_at.toISOString() : null,
        });
      }
    }
    const named: Record<string, unknown> = {
      partition: key,
      window_start: new Date(Math.max(window.startMs, -8.64e15)).toISOString(),
      window_end: new Date(Math.min(window.endMs, 8.64e15)).toISOString(),
    };
    for (const [p, v] of Object.entries(params)) {
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) named[`param_${assertIdentifier(p, 'param')}`] = v;
    }
    const text = typeof source.query === 'function' ? source.query({ partition: key, params }) : source.query;
    const { sql, values } = expandDerivedQuery(
      text,
      inputs.map((i) => ({ name: i.name, table: i.def.target.table, range: i.range })),
      schema,
      named,
    );
    const explain = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
    const allowed = new Set(inputs.map((i) => i.def.target.table));
    const outside = planRelations(explain.rows[0]?.['QUERY PLAN']).filter((r) => !allowed.has(r.relation) || (r.schema !== undefined && r.schema !== schema));
    if (outside.length > 0) {
      throw nonRetryable(
        FailureType.UNDECLARED_INPUT,
        `derived query of ${def.name} reads ${[...new Set(outside.map((r) => `${r.schema ?? '?'}.${r.relation}`))].join(', ')}, outside its declared inputs (${[...allowed].join(', ')}); name inputs only as {{input}}`,
      );
    }
    await client.query(`DECLARE dp_derived NO SCROLL CURSOR FOR SELECT to_jsonb(q) AS record FROM (${sql}) AS q`, values);
    const batch = opts.batchSize ?? 2000;
    let line = 0;
    for (;;) {
      const res = await client.query<{ record: Record<string, unknown> }>(`FETCH ${batch} FROM dp_derived`);
      for (const r of res.rows) yield { sourceFile: `derived:${def.name}`, lineNo: ++line, record: r.record };
      opts.heartbeat({ rows: line });
      if (res.rows.length < batch) break;
    }
    await client.query('COMMIT');
    open = false;
    await opts.onConsumed(consumed);
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/**
 * Replaces the consumed-input records of one partition (rows of `partition_inputs`), on the given
 * client so a caller can make it part of its own transaction (e.g. load's). `consumedRunId` is the
 * run of the derived partition that read them.
 */
export async function recordConsumedInputs(
  client: Pick<PoolClient, 'query'>,
  ref: { pipeline: string; partition: string; consumedRunId: string | null },
  consumed: readonly ConsumedInput[],
): Promise<void> {
  await client.query('DELETE FROM partition_inputs WHERE pipeline = $1 AND partition_key = $2', [ref.pipeline, ref.partition]);
  for (let i = 0; i < consumed.length; i += 1000) {
    const chunk = consumed.slice(i, i + 1000);
    await client.query(
      `INSERT INTO partition_inputs (pipeline, partition_key, input_name, upstream_pipeline, upstream_key, upstream_run_id, upstream_version, upstream_loaded_at, consumed_run_id)
       SELECT $1, $2, c.input_name, c.upstream_pipeline, c.upstream_key, c.upstream_run_id, c.upstream_version, c.upstream_loaded_at, $3
         FROM jsonb_to_recordset($4::jsonb) AS c(input_name text, upstream_pipeline text, upstream_key text, upstream_run_id text, upstream_version text, upstream_loaded_at timestamptz)`,
      [
        ref.pipeline,
        ref.partition,
        ref.consumedRunId,
        JSON.stringify(
          chunk.map((c) => ({
            input_name: c.inputName,
            upstream_pipeline: c.upstreamPipeline,
            upstream_key: c.upstreamKey,
            upstream_run_id: c.upstreamRunId,
            upstream_version: c.upstreamVersion,
            upstream_loaded_at: c.upstreamLoadedAt,
          })),
        ),
      ],
    );
  }
}
