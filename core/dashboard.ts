/**
 * KPI dashboards as definitions: plain data next to the pipelines (pipelines/dashboards/*.ts).
 * A dashboard has filters (dates, selects) and panels; each panel is a SQL query over target
 * tables whose `$n` placeholders are bound, in order, to the filter values named in `params`
 * (never interpolated), and a chart kind. ops/dashboards.ts runs them; console/charts.ts turns rows
 * into ECharts options.
 */
import { assertIdentifier } from './sql';

/** A date filter (`YYYY-MM-DD`), bound as text; the SQL casts it (`$1::date`). */
export interface DateFilter {
  readonly name: string;
  readonly kind: 'date';
  readonly label: string;
  readonly default: string;
}

/**
 * A select filter. Options come from `options` or from `optionsQuery` (one text column `value`,
 * no parameters). `allowAll` adds "all", bound as SQL NULL (write `($n::text IS NULL OR col = $n)`).
 */
export interface SelectFilter {
  readonly name: string;
  readonly kind: 'select';
  readonly label: string;
  readonly options?: readonly string[];
  readonly optionsQuery?: string;
  readonly allowAll?: boolean;
  /** @default "all" when allowAll, else the first option */
  readonly default?: string;
}

export type DashboardFilter = DateFilter | SelectFilter;

/** `line` and `bar` draw every `y` column per series; `bar-line` draws the first as bars, the rest as lines. */
export const CHART_KINDS = ['line', 'bar', 'bar-line', 'table'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

export interface DashboardPanel {
  readonly id: string;
  readonly title: string;
  readonly chart: ChartKind;
  /** SELECT over target tables (unqualified names resolve in the DataPulse schema). */
  readonly query: string;
  /** Filter names bound to $1, $2, ... in this order. */
  readonly params: readonly string[];
  /** Column on the x axis (category, in row order). */
  readonly x: string;
  /** Value columns. */
  readonly y: readonly string[];
  /** Column whose values split the rows into series (e.g. the location). */
  readonly series?: string;
  /** Axis label, e.g. "°C" or "mm". */
  readonly unit?: string;
}

export interface Dashboard {
  /** Identifier used in URLs: lower-case letters, digits, _ and -. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Tables (or pipelines) the dashboard reads, for the overview and lineage. */
  readonly sources: readonly string[];
  readonly filters: readonly DashboardFilter[];
  readonly panels: readonly DashboardPanel[];
  /** Seconds between refreshes in the browser; 0 turns it off. @default 30 */
  readonly refreshSeconds?: number;
}

/** Thrown when a dashboard definition is inconsistent (names the dashboard and what is wrong). */
export class DashboardDefinitionError extends Error {
  override readonly name = 'DashboardDefinitionError';
}

const NAME_RE = /^[a-z][a-z0-9_-]{0,62}$/;

/** Declares a dashboard, checking names, filters and each panel's params once at load time. */
export function defineDashboard(d: Dashboard): Dashboard {
  const fail = (msg: string): never => {
    throw new DashboardDefinitionError(`dashboard ${JSON.stringify(d.name)}: ${msg}`);
  };
  if (!NAME_RE.test(d.name)) fail('name must be lower-case letters, digits, _ or -');
  const filters = new Set<string>();
  for (const f of d.filters) {
    try {
      assertIdentifier(f.name, 'filter');
    } catch (err) {
      fail((err as Error).message);
    }
    if (filters.has(f.name)) fail(`filter ${f.name} declared twice`);
    filters.add(f.name);
    if (f.kind === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(f.default)) fail(`filter ${f.name}: default must be YYYY-MM-DD`);
    if (f.kind === 'select' && !f.options && !f.optionsQuery) fail(`filter ${f.name}: needs options or optionsQuery`);
  }
  const panels = new Set<string>();
  for (const p of d.panels) {
    if (!NAME_RE.test(p.id)) fail(`panel id ${JSON.stringify(p.id)} must be lower-case letters, digits, _ or -`);
    if (panels.has(p.id)) fail(`panel ${p.id} declared twice`);
    panels.add(p.id);
    if (!(CHART_KINDS as readonly string[]).includes(p.chart)) fail(`panel ${p.id}: unknown chart ${p.chart}`);
    for (const name of p.params) if (!filters.has(name)) fail(`panel ${p.id}: param ${name} is not a filter`);
    const highest = Math.max(0, ...[...p.query.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    if (highest !== p.params.length) fail(`panel ${p.id}: query uses $1..$${highest} but params lists ${p.params.length}`);
    if (p.y.length === 0) fail(`panel ${p.id}: y must name at least one column`);
  }
  if (d.refreshSeconds !== undefined && (d.refreshSeconds < 0 || !Number.isInteger(d.refreshSeconds))) fail('refreshSeconds must be a non-negative integer');
  return Object.freeze(d);
}
