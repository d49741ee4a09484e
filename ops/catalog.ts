/**
 * The landing-file catalog from the operator's side (read-only): how many files a pipeline has per
 * status, and the ones that need attention (missing, unreadable), for `datapulse status`.
 */
import type { Pool } from '../infra/db';

/** A catalogued file that needs attention. */
export interface CatalogProblem {
  readonly file: string;
  readonly status: 'missing' | 'failed';
  readonly error: string | null;
  readonly lastSeen: string;
}

/** A pipeline's landing files by status, and the problem files (at most 20, most recent first). */
export interface CatalogSummary {
  readonly counts: { readonly ok: number; readonly failed: number; readonly missing: number };
  readonly rows: number;
  readonly problems: readonly CatalogProblem[];
}

/** The catalog summary of a pipeline; undefined when it has no catalogued file (or no catalog table). */
export async function catalogSummary(pool: Pool, pipeline: string): Promise<CatalogSummary | undefined> {
  try {
    const c = await pool.query<{ status: 'ok' | 'failed' | 'missing'; n: number; rows: number }>(
      'SELECT status, count(*)::int AS n, coalesce(sum(row_count), 0)::int AS rows FROM file_catalog WHERE pipeline = $1 GROUP BY status',
      [pipeline],
    );
    if (c.rows.length === 0) return undefined;
    const counts = { ok: 0, failed: 0, missing: 0 };
    for (const r of c.rows) counts[r.status] = r.n;
    const p = await pool.query<{ file_name: string; status: 'missing' | 'failed'; error: string | null; last_seen: Date }>(
      `SELECT file_name, status, error, last_seen FROM file_catalog WHERE pipeline = $1 AND status <> 'ok' ORDER BY last_seen DESC, file_name COLLATE "C" LIMIT 20`,
      [pipeline],
    );
    return {
      counts,
      rows: c.rows.find((r) => r.status === 'ok')?.rows ?? 0,
      problems: p.rows.map((r) => ({ file: r.file_name, status: r.status, error: r.error, lastSeen: new Date(r.last_seen).toISOString() })),
    };
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return undefined; // schema from before the catalog
    throw err;
  }
}

/** The lines `datapulse status` prints for a catalog summary. */
export function renderCatalogSummary(s: CatalogSummary): string {
  const lines = [
    `landing files: ${s.counts.ok} ok (${s.rows.toLocaleString('en')} rows), ${s.counts.failed} unreadable, ${s.counts.missing} missing`,
    ...s.problems.map((p) =>
      p.status === 'missing'
        ? `  missing    ${p.file} (last seen ${p.lastSeen}; its partitions are stale and keep their rows until re-run)`
        : `  unreadable ${p.file}: ${p.error ?? '?'}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
