/**
 * Schema drift between a pipeline's `target` definition and its existing table: read from
 * pg_catalog on every load (one small query, no memory across loads, so a table dropped or altered
 * by hand is seen at once), compared here.
 *
 * Rules (README "Changing a target"): a column of the definition missing from the table, outside
 * the key, is *additive* and is added (nullable). Anything else that makes the table disagree — a
 * changed `target.key` (primary key), a changed column type, a changed nullability, a column the
 * definition dropped that is still NOT NULL without a default — is a *conflict*: the load fails at
 * once, non-retryably, with the differences and the SQL to fix it. Columns the definition dropped
 * that are nullable are left alone (never dropped automatically: they may hold data someone reads).
 */
import type { PoolClient, Pool } from '../infra/db';
import type { PipelineDefinition } from '../core/pipeline';
import { ident } from '../core/sql';

/** A column of the existing table, as pg_catalog describes it. */
export interface ActualColumn {
  readonly name: string;
  /** `format_type(atttypid, atttypmod)`, e.g. `double precision`, `timestamp with time zone`. */
  readonly type: string;
  readonly notNull: boolean;
  readonly hasDefault: boolean;
}

/** The existing table: its schema, columns and primary key (columns in key order). */
export interface ActualTable {
  readonly schema: string;
  readonly columns: readonly ActualColumn[];
  readonly primaryKey: readonly string[];
  /** Name of the primary key constraint, for the fix's SQL. */
  readonly primaryKeyName: string | null;
  /** Names of the table's indexes (read with the columns, so that a load lists them in the same query). */
  readonly indexNames?: readonly string[];
}

/** What `compareTargetShape` found: columns to add, and conflicts to refuse (one line each, plus a fix). */
export interface TargetDrift {
  readonly additive: readonly { readonly column: string; readonly type: string }[];
  readonly conflicts: readonly { readonly message: string; readonly fix: string }[];
}

/** Quotes a name read from the catalog (not validated: it may be one someone created by hand). */
function quoteCatalogName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Reserved columns DataPulse adds to every target table (see target.ts). */
const RESERVED = new Set(['dp_partition', 'dp_loaded_at']);

/**
 * The definition's type names as `format_type` spells them. Types outside this map compare as
 * written (lower case, single spaces).
 */
const CANONICAL: Readonly<Record<string, string>> = {
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  float8: 'double precision',
  bool: 'boolean',
  varchar: 'character varying',
};

/** `format_type`'s spelling of a definition's SQL type. */
export function canonicalType(t: string): string {
  const s = t.trim().toLowerCase().replace(/\s+/g, ' ');
  return CANONICAL[s] ?? s;
}

/** Reads the table `name` of the connection's current schema; undefined when it does not exist. */
export async function readTargetTable(db: Pool | PoolClient, name: string): Promise<ActualTable | undefined> {
  const { rows } = await db.query<{
    schema: string;
    name: string;
    type: string;
    not_null: boolean;
    has_default: boolean;
    pk_pos: number | null;
    pk_name: string | null;
    index_names: string[];
  }>(
    `SELECT n.nspname AS schema, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            a.atthasdef AS has_default, array_position(i.indkey::int2[], a.attnum) AS pk_pos, pk.conname AS pk_name,
            (SELECT coalesce(array_agg(ci.relname::text), '{}') FROM pg_index x JOIN pg_class ci ON ci.oid = x.indexrelid WHERE x.indrelid = c.oid) AS index_names
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
       LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
      WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'p')
      ORDER BY a.attnum`,
    [name],
  );
  if (rows.length === 0) return undefined;
  return {
    schema: rows[0]!.schema,
    columns: rows.map((r) => ({ name: r.name, type: r.type, notNull: r.not_null, hasDefault: r.has_default })),
    primaryKey: rows
      .filter((r) => r.pk_pos !== null)
      .sort((a, b) => (a.pk_pos ?? 0) - (b.pk_pos ?? 0))
      .map((r) => r.name),
    primaryKeyName: rows[0]!.pk_name,
    indexNames: rows[0]!.index_names,
  };
}

/** Compares the definition's target with the existing table (pure). */
export function compareTargetShape(target: PipelineDefinition['target'], table: ActualTable): TargetDrift {
  const t = `${ident(table.schema, 'schema')}.${ident(target.table, 'table')}`;
  const actual = new Map(table.columns.map((c) => [c.name, c]));
  const additive: { column: string; type: string }[] = [];
  const conflicts: { message: string; fix: string }[] = [];
  const list = (cols: readonly string[]) => `(${cols.join(', ')})`;
  // The primary key the definition asks for: target.key, or for rows without a natural key the
  // source position (partition, file, line) or none (target.rowKey).
  const rowKey = target.rowKey ?? 'columns';
  const expectedKey = rowKey === 'none' ? [] : rowKey === 'source-position' ? ['dp_partition', 'dp_source_file', 'dp_line_no'] : target.key;
  const positionColumns = new Set(rowKey === 'source-position' ? ['dp_source_file', 'dp_line_no'] : []);
  if (list(table.primaryKey) !== list(expectedKey)) {
    const drop = table.primaryKeyName ? `DROP CONSTRAINT ${quoteCatalogName(table.primaryKeyName)}` : '';
    const add = expectedKey.length ? `ADD PRIMARY KEY (${expectedKey.map((k) => ident(k, 'column')).join(', ')})` : '';
    conflicts.push({
      message: `primary key is ${table.primaryKey.length ? list(table.primaryKey) : 'missing'} in the table, ${expectedKey.length ? list(expectedKey) : 'none'} in the definition (${rowKey === 'columns' ? 'target.key' : `target.rowKey ${rowKey}`})`,
      fix: `ALTER TABLE ${t} ${[drop, add].filter(Boolean).join(', ')};`,
    });
  }
  for (const [name, type] of Object.entries(target.columns)) {
    const col = actual.get(name);
    const wantNotNull = target.key.includes(name);
    if (!col) {
      if (wantNotNull) {
        conflicts.push({
          message: `key column ${name} is missing from the table`,
          fix: `ALTER TABLE ${t} ADD COLUMN ${ident(name, 'column')} ${type}; -- fill it, then SET NOT NULL and change the primary key`,
        });
      } else additive.push({ column: name, type });
      continue;
    }
    if (col.type !== canonicalType(type)) {
      conflicts.push({
        message: `column ${name} is ${col.type} in the table, ${canonicalType(type)} in the definition`,
        fix: `ALTER TABLE ${t} ALTER COLUMN ${ident(name, 'column')} TYPE ${type} USING ${ident(name, 'column')}::${type};`,
      });
    }
    if (col.notNull !== wantNotNull) {
      conflicts.push({
        message: `column ${name} is ${col.notNull ? 'NOT NULL' : 'nullable'} in the table, ${wantNotNull ? 'NOT NULL in the definition (key column)' : 'nullable in the definition (not a key column)'}`,
        fix: `ALTER TABLE ${t} ALTER COLUMN ${ident(name, 'column')} ${wantNotNull ? 'SET' : 'DROP'} NOT NULL;`,
      });
    }
  }
  const partition = actual.get('dp_partition');
  if (!partition) conflicts.push({ message: 'column dp_partition (the partition key DataPulse adds) is missing: the table was not created by DataPulse', fix: `DROP TABLE ${t};` });
  for (const col of table.columns) {
    if (col.name in target.columns || RESERVED.has(col.name) || positionColumns.has(col.name)) continue;
    if (col.notNull && !col.hasDefault) {
      conflicts.push({
        message: `column ${col.name} is NOT NULL in the table but not in the definition (a load cannot fill it)`,
        fix: `ALTER TABLE ${t} ALTER COLUMN ${quoteCatalogName(col.name)} DROP NOT NULL;`,
      });
    }
  }
  return { additive, conflicts };
}

/**
 * The operator's message for conflicts: the table, each difference, and the two ways out — alter
 * the table to match (SQL given), or drop it and reload the ledger's partitions of the pipeline.
 */
export function driftMessage(
  def: Pick<PipelineDefinition, 'name' | 'target'>,
  table: ActualTable,
  conflicts: TargetDrift['conflicts'],
  reload: { from: string; to: string } | undefined,
): string {
  const t = `${ident(table.schema, 'schema')}.${ident(def.target.table, 'table')}`;
  return [
    `target table ${t} does not match the definition of pipeline ${def.name}: ${conflicts.map((c) => c.message).join('; ')}.`,
    `DataPulse only adds new nullable columns by itself. Fix: alter the table to match (${conflicts.map((c) => c.fix).join(' ')})`,
    `or rebuild it: DROP TABLE ${t}; then ` +
      (reload ? `datapulse backfill ${def.name} --from ${reload.from} --to ${reload.to} --force` : `re-run the pipeline's partitions (datapulse backfill ${def.name} ... --force)`),
  ].join(' ');
}
