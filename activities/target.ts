/**
 * A pipeline's target table, derived from its definition (not a migration: it follows the
 * definition). Checked against the definition on every load (activities/schema-drift.ts): created
 * when missing, added to when the definition gained a nullable column, refused otherwise.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from '../infra/db';
import { shiftKey } from '../core/partition';
import type { PartitionIndex, PipelineDefinition } from '../core/pipeline';
import { ident } from '../core/sql';
import { FailureType, nonRetryable } from './errors';
import { compareTargetShape, driftMessage, readTargetTable, type ActualTable } from './schema-drift';

/** Reserved column holding the partition key of each target row. */
export const PARTITION_COLUMN = 'dp_partition';

/**
 * Makes the pipeline's target table fit its definition before a load. Costs one catalog query when
 * the table already fits; DDL (under a per-table advisory lock) only to create the table or add
 * columns. Nothing is remembered between calls, so a table dropped by hand is simply created again.
 *
 * @throws ApplicationFailure `TargetSchemaDrift` (non-retryable) when the table disagrees with the
 *   definition in a way DataPulse does not migrate (key, type, nullability); the message names the
 *   table, each difference (old and new) and the SQL or `datapulse` command that fixes it.
 */
export async function ensureTargetTable(pool: Pool, def: PipelineDefinition): Promise<void> {
  const existing = await ensureTargetShape(pool, def);
  await ensureTargetIndexes(pool, def, existing?.indexNames ?? []);
}

/** Name of a declared target index: `<table>_<cols>_idx`, cut to PostgreSQL's 63 bytes. */
export function targetIndexName(table: string, columns: readonly string[]): string {
  return `${table}_${columns.join('_')}_idx`.slice(0, 63);
}

/**
 * Name of the index on the target's `dp_partition` column for an access method (Target.partitionIndex):
 * btree `<table>_dp_partition_idx` cut to 63 bytes (the name tables have always had); brin
 * `<table>_dp_partition_brin`, or `dp_part_brin_<hash of the table name>` when that exceeds 63
 * bytes, so that the two never share a name.
 */
export function partitionIndexName(table: string, method: PartitionIndex): string {
  if (method === 'btree') return `${table}_dp_partition_idx`.slice(0, 63);
  const readable = `${table}_dp_partition_brin`;
  return readable.length <= 63 ? readable : `dp_part_brin_${createHash('sha256').update(table).digest('hex').slice(0, 40)}`;
}

/** BRIN summaries per 32 pages (256 KiB): a look-up reads at most that much around each range that may hold the partition. */
const BRIN_PAGES_PER_RANGE = 32;

/**
 * Gives the target its declared `indexes` and its `dp_partition` index of the declared method, given
 * the indexes it has (`existing`, read with its columns): nothing when it has them; otherwise, under
 * the table's DDL lock, `CREATE INDEX IF NOT EXISTS` for each missing one, then the `dp_partition`
 * index of the other method dropped.
 */
async function ensureTargetIndexes(pool: Pool, def: PipelineDefinition, existing: readonly string[]): Promise<void> {
  const table = def.target.table;
  const method = def.target.partitionIndex ?? 'btree';
  const using = method === 'brin' ? ` USING brin` : '';
  const options = method === 'brin' ? ` WITH (pages_per_range = ${BRIN_PAGES_PER_RANGE}, autosummarize = on)` : '';
  const wanted = [
    { name: partitionIndexName(table, method), columns: PARTITION_COLUMN, using, options },
    ...(def.target.indexes ?? []).map((cols) => ({ name: targetIndexName(table, cols), columns: cols.map((c) => ident(c, 'column')).join(', '), using: '', options: '' })),
  ];
  const other = partitionIndexName(table, method === 'btree' ? 'brin' : 'btree');
  const have = new Set(existing);
  const missing = wanted.filter((w) => !have.has(w.name));
  if (missing.length === 0 && !have.has(other)) return;
  await withDdlLock(pool, table, async (client) => {
    const t = ident(table, 'table');
    for (const m of missing) await client.query(`CREATE INDEX IF NOT EXISTS ${ident(m.name)} ON ${t}${m.using} (${m.columns})${m.options}`);
    await client.query(`DROP INDEX IF EXISTS ${ident(other)}`);
  });
}

/** Creates or extends the target table (see ensureTargetTable); returns the table as it was found, undefined when it was created. */
async function ensureTargetShape(pool: Pool, def: PipelineDefinition): Promise<ActualTable | undefined> {
  const existing = await readTargetTable(pool, def.target.table);
  if (existing) {
    const drift = compareTargetShape(def.target, existing);
    if (drift.conflicts.length > 0) {
      const { rows } = await pool.query<{ first: string | null; last: string | null }>(
        `SELECT min(partition_key) AS first, max(partition_key) AS last FROM ledger WHERE pipeline = $1`,
        [def.name],
      );
      const r = rows[0];
      const reload = r?.first && r.last ? { from: r.first, to: shiftKey(def.partitioning.granularity, r.last, 1) } : undefined;
      throw nonRetryable(FailureType.TARGET_SCHEMA_DRIFT, driftMessage(def, existing, drift.conflicts, reload));
    }
    if (drift.additive.length === 0) return existing;
  }
  await withDdlLock(pool, def.target.table, async (client) => {
    const t = ident(def.target.table, 'table');
    if (!existing) {
      const cols = Object.entries(def.target.columns).map(
        ([c, type]) => `${ident(c, 'column')} ${type}${def.target.key.includes(c) ? ' NOT NULL' : ''}`,
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${t} (
           ${cols.join(',\n           ')},
           ${PARTITION_COLUMN} text NOT NULL,
           dp_loaded_at timestamptz NOT NULL DEFAULT now()${primaryKey(def)}
         )`,
      );
      // Its dp_partition index and declared indexes: ensureTargetIndexes, next.
      return;
    }
    for (const [c, type] of Object.entries(def.target.columns)) {
      if (def.target.key.includes(c)) continue;
      await client.query(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${ident(c, 'column')} ${type}`);
    }
  });
  return existing;
}

async function withDdlLock(pool: Pool, table: string, fn: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`datapulse-ddl:${table}`]);
    try {
      await fn(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`datapulse-ddl:${table}`]);
    }
  } finally {
    client.release();
  }
}

/**
 * The target's key columns and primary-key clause: the `key` columns; for `rowKey:
 * 'source-position'` the partition, source file and line (extra NOT NULL columns); none for `none`.
 */
function primaryKey(def: PipelineDefinition): string {
  const rowKey = def.target.rowKey ?? 'columns';
  if (rowKey === 'none') return '';
  if (rowKey === 'source-position') {
    return `,
           dp_source_file text NOT NULL,
           dp_line_no integer NOT NULL,
           PRIMARY KEY (${PARTITION_COLUMN}, dp_source_file, dp_line_no)`;
  }
  return `,
           PRIMARY KEY (${def.target.key.map((k) => ident(k)).join(', ')})`;
}
