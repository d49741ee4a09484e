/** Read-only commands (status, quarantine) share this: a small pool, one clear line when the database is unreachable. */
import { redactUrl, type Config } from '../../infra/config';
import { createPool, type Pool } from '../../infra/db';
import { resolveDatabase } from '../../infra/dev-stack';

export async function withLedgerPool<T>(config: Config, applicationName: string, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const db = await resolveDatabase({ allowEmbedded: false });
  const pool = createPool({ connectionString: db.url, schema: config.schema, max: 4, applicationName });
  try {
    return await fn(pool).catch((err: unknown) => {
      const code = (err as { code?: string }).code;
      if (code === 'ECONNREFUSED' || code === '28P01' || code === '3D000') {
        throw new Error(`cannot query ${redactUrl(db.url)} (${db.description}): ${(err as Error).message}`);
      }
      throw err;
    });
  } finally {
    await pool.end();
    await db.stop();
  }
}
