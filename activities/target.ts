/** DDL for a pipeline's target table, derived from its definition (not a migration: it follows the definition). */
import type { Pool } from '../infra/db';
import type { PipelineDefinition } from '../core/pipeline';
import { ident } from '../core/sql';

/** Reserved column holding the partition key of each target row. */
export const PARTITION_COLUMN = 'dp_partition';

export async function ensureTargetTable(pool: Pool, def: PipelineDefinition): Promise<void> {
  const t = ident(def.target.table, 'table');
  const cols = Object.entries(def.target.columns).map(
    ([c, type]) => `${ident(c, 'column')} ${type}${def.target.key.includes(c) ? ' NOT NULL' : ''}`,
  );
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`datapulse-ddl:${def.target.table}`]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${t} (
           ${cols.join(',\n           ')},
           ${PARTITION_COLUMN} text NOT NULL,
           dp_loaded_at timestamptz NOT NULL DEFAULT now()${primaryKey(def)}
         )`,
      );
      for (const [c, type] of Object.entries(def.target.columns)) {
        await client.query(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${ident(c, 'column')} ${type}`);
      }
      await client.query(`CREATE INDEX IF NOT EXISTS ${ident(`${def.target.table}_dp_partition_idx`.slice(0, 63))} ON ${t} (${PARTITION_COLUMN})`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`datapulse-ddl:${def.target.table}`]);
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
