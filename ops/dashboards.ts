/**
 * Runs KPI dashboard definitions (core/dashboard.ts): resolves filter values from a request
 * (validated: dates are real dates, selects are one of their options), reads select options, and
 * runs each panel's query with the values bound. Read-only: each query runs in a READ ONLY
 * transaction with a statement timeout.
 */
import type { Pool } from '../infra/db';
import type { Dashboard, DashboardFilter, DashboardPanel } from '../core/dashboard';

/** Thrown for a filter value a dashboard does not accept: names the dashboard, filter and value. */
export class DashboardFilterError extends Error {
  override readonly name = 'DashboardFilterError';
}

/** Thrown for an unknown dashboard or panel: lists the known ones. */
export class UnknownDashboardError extends Error {
  override readonly name = 'UnknownDashboardError';
}

/** Resolved filter values by name; null means "all" (SQL NULL). */
export type FilterValues = Readonly<Record<string, string | null>>;

/** A filter with its current value and (selects) options. */
export interface ResolvedFilter {
  readonly filter: DashboardFilter;
  readonly value: string | null;
  readonly options: readonly string[];
}

/** Rows of one panel, columns in select order. */
export interface PanelData {
  readonly panel: DashboardPanel;
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
  /** Set when the query could not run (e.g. the target table is not loaded yet). */
  readonly error: string | null;
}

/** Statement timeout of dashboard queries. @default 10000 ms */
export const DASHBOARD_QUERY_TIMEOUT_MS = 10_000;

/** Finds a dashboard by name. Throws UnknownDashboardError naming the known ones. */
export function findDashboard(dashboards: readonly Dashboard[], name: string): Dashboard {
  const d = dashboards.find((x) => x.name === name);
  if (!d) throw new UnknownDashboardError(`unknown dashboard "${name}" (known: ${dashboards.map((x) => x.name).join(', ')})`);
  return d;
}

async function readOnly<T>(pool: Pool, fn: (q: <R extends Record<string, unknown>>(sql: string, values?: unknown[]) => Promise<{ rows: R[]; fields: { name: string }[] }>) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${DASHBOARD_QUERY_TIMEOUT_MS}`);
    const result = await fn(async (sql, values) => client.query(sql, values));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

function missingTable(err: unknown): boolean {
  return (err as { code?: string }).code === '42P01';
}

/** The options of a select filter (static, or its optionsQuery; empty when the table does not exist yet). */
export async function filterOptions(pool: Pool, f: DashboardFilter): Promise<string[]> {
  if (f.kind !== 'select') return [];
  if (f.options) return [...f.options];
  try {
    return await readOnly(pool, async (q) => (await q<{ value: unknown }>(f.optionsQuery ?? '')).rows.map((r) => String(r.value)));
  } catch (err) {
    if (missingTable(err)) return [];
    throw err;
  }
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/**
 * Filter values from a request's query (missing → default). Throws DashboardFilterError for a bad
 * date or an option the select does not have.
 */
export async function resolveFilters(pool: Pool, d: Dashboard, query: Readonly<Record<string, unknown>>): Promise<ResolvedFilter[]> {
  const out: ResolvedFilter[] = [];
  for (const f of d.filters) {
    const raw = query[f.name];
    const given = typeof raw === 'string' && raw !== '' ? raw : undefined;
    if (f.kind === 'date') {
      const v = given ?? f.default;
      if (!validDate(v)) throw new DashboardFilterError(`dashboard ${d.name}: filter ${f.name}: "${v}" is not a date (YYYY-MM-DD)`);
      out.push({ filter: f, value: v, options: [] });
      continue;
    }
    const options = await filterOptions(pool, f);
    const fallback = f.default ?? (f.allowAll ? 'all' : options[0]);
    const v = given ?? fallback ?? null;
    if (v === 'all' && f.allowAll) out.push({ filter: f, value: null, options });
    else if (v === null) out.push({ filter: f, value: null, options });
    else if (options.includes(v)) out.push({ filter: f, value: v, options });
    else throw new DashboardFilterError(`dashboard ${d.name}: filter ${f.name}: "${v}" is not one of ${[...(f.allowAll ? ['all'] : []), ...options].join(', ') || '(no options yet)'}`);
  }
  return out;
}

/** Filter values by name, from resolved filters. */
export function filterValues(filters: readonly ResolvedFilter[]): FilterValues {
  return Object.fromEntries(filters.map((f) => [f.filter.name, f.value]));
}

/** Runs one panel's query with its params bound from `values`. A missing target table is reported, not thrown. */
export async function panelData(pool: Pool, panel: DashboardPanel, values: FilterValues): Promise<PanelData> {
  const bound = panel.params.map((p) => values[p] ?? null);
  try {
    const r = await readOnly(pool, (q) => q<Record<string, unknown>>(panel.query, bound));
    return { panel, columns: r.fields.map((f) => f.name), rows: r.rows, error: null };
  } catch (err) {
    if (missingTable(err)) return { panel, columns: [], rows: [], error: `no data yet: ${(err as Error).message}` };
    throw err;
  }
}

/** Every panel of a dashboard for the given values. */
export async function dashboardData(pool: Pool, d: Dashboard, values: FilterValues): Promise<PanelData[]> {
  return Promise.all(d.panels.map((p) => panelData(pool, p, values)));
}
