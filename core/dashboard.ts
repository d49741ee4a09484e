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

/**
 * `line` and `bar` draw every `y` column per series; `bar-line` draws the first as bars, the rest as lines.
 * `pie` draws one slice per row (name from `x`, value from the first `y` column).
 * `gauge` draws one dial per row (title from `x`, value from the first `y` column) over the panel's
 * declared `bands`. `kpi` draws number tiles from the first row: one tile per `y` column, named by
 * the column (alias it in SQL, e.g. `AS "Revenue (EUR)"`); `x` is not used. A tile whose value is
 * `green`, `amber` or `red` is drawn in that status colour.
 */
export const CHART_KINDS = ['line', 'bar', 'bar-line', 'table', 'pie', 'gauge', 'kpi'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];

/** Status colours of gauge bands and status tiles. */
export const STATUS_COLORS = ['green', 'amber', 'red'] as const;
export type StatusColor = (typeof STATUS_COLORS)[number];

/**
 * One band of a gauge: values up to `upTo` (inclusive, in the panel's unit) are drawn in `color`.
 * Bands are listed in ascending `upTo`; the last one ends at the gauge's max. E.g. an occupancy
 * rate: `[{ upTo: 60, color: 'amber' }, { upTo: 90, color: 'green' }, { upTo: 100, color: 'red' }]`.
 */
export interface GaugeBand {
  readonly upTo: number;
  readonly color: StatusColor;
}

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
  /** Gauge only (required there): coloured bands, ascending. */
  readonly bands?: readonly GaugeBand[];
  /** Gauge only: the dial's start. @default 0 */
  readonly min?: number;
  /** Gauge only: the dial's end; the last band must end here. @default 100 */
  readonly max?: number;
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
    if (p.chart === 'gauge') {
      const min = p.min ?? 0;
      const max = p.max ?? 100;
      const bands = p.bands ?? [];
      if (!(max > min)) fail(`panel ${p.id}: gauge max must be above min`);
      if (bands.length === 0) fail(`panel ${p.id}: a gauge needs bands`);
      let prev = min;
      for (const b of bands) {
        if (!(STATUS_COLORS as readonly string[]).includes(b.color)) fail(`panel ${p.id}: band colour ${b.color} is not one of ${STATUS_COLORS.join(', ')}`);
        if (!(b.upTo > prev)) fail(`panel ${p.id}: bands must ascend strictly from min (${b.upTo} after ${prev})`);
        prev = b.upTo;
      }
      if (prev !== max) fail(`panel ${p.id}: the last band must end at max (${max}), not ${prev}`);
    } else if (p.bands || p.min !== undefined || p.max !== undefined) fail(`panel ${p.id}: bands, min and max are for gauges only`);
  }
  if (d.refreshSeconds !== undefined && (d.refreshSeconds < 0 || !Number.isInteger(d.refreshSeconds))) fail('refreshSeconds must be a non-negative integer');
  return Object.freeze(d);
}
