/**
 * ECharts options built from dashboard rows and the pipeline graph: pure functions, unit-tested
 * without a browser. The browser only calls `echarts.init(el).setOption(option)`.
 */
import type { DashboardPanel, StatusColor } from '../core/dashboard';
import type { GraphEdge, GraphNode } from '../ops/lineage';

/** The subset of an ECharts option these builders produce (plain JSON). */
export interface ChartOption {
  readonly [k: string]: unknown;
}

function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * The option of one panel. x categories keep row order (first appearance); with `series`, one
 * series per distinct value (and y column when there are several); without, one per y column.
 * A missing point is null (a gap), never zero.
 */
export function panelOption(panel: DashboardPanel, rows: readonly Record<string, unknown>[]): ChartOption {
  if (panel.chart === 'pie') return pieOption(panel, rows);
  if (panel.chart === 'gauge') return gaugeOption(panel, rows);
  if (panel.chart === 'kpi') return kpiOption(panel, rows);
  const xs: string[] = [];
  const xIndex = new Map<string, number>();
  for (const r of rows) {
    const x = String(r[panel.x]);
    if (!xIndex.has(x)) {
      xIndex.set(x, xs.length);
      xs.push(x);
    }
  }
  const groups = new Map<string, (number | null)[]>();
  const kinds = new Map<string, 'bar' | 'line'>();
  const kindOf = (i: number): 'bar' | 'line' => (panel.chart === 'bar' ? 'bar' : panel.chart === 'bar-line' && i === 0 ? 'bar' : 'line');
  for (const r of rows) {
    const at = xIndex.get(String(r[panel.x])) ?? 0;
    panel.y.forEach((col, i) => {
      const s = panel.series ? String(r[panel.series]) : '';
      const name = panel.series ? (panel.y.length > 1 ? `${s} ${col}` : s) : col;
      let data = groups.get(name);
      if (!data) {
        data = xs.map(() => null);
        groups.set(name, data);
        kinds.set(name, kindOf(i));
      }
      data[at] = num(r[col]);
    });
  }
  const series = [...groups.entries()].map(([name, data]) => ({
    name,
    type: kinds.get(name) ?? 'line',
    data,
    ...(kinds.get(name) === 'line' ? { showSymbol: xs.length <= 60, connectNulls: false } : {}),
  }));
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, right: 0, type: 'scroll' },
    grid: { left: 50, right: 20, top: 40, bottom: xs.length > 60 ? 60 : 30 },
    xAxis: { type: 'category', data: xs },
    yAxis: { type: 'value', name: panel.unit ?? '' },
    dataZoom: xs.length > 60 ? [{ type: 'inside' }, { type: 'slider', height: 18 }] : [],
    series,
  };
}

/** Nodes with their labels, their columns (longest path from a source) and the layout box, shared by the chart and its height. */
function graphLayout(nodes: readonly GraphNode[], edges: readonly GraphEdge[]) {
  const known = new Set(nodes.map((n) => n.name));
  const extra = [...new Set(edges.flatMap((e) => [e.from, e.to]))].filter((n) => !known.has(n));
  const all = [...nodes.map((n) => ({ name: n.name, label: `${n.name}\n${n.granularity}`, known: true })), ...extra.map((n) => ({ name: n, label: `${n}\nnot registered`, known: false }))];
  const depth = new Map<string, number>(all.map((n) => [n.name, 0]));
  // Longest path by relaxation; bounded by the node count so a cycle cannot loop forever.
  // A dataset reading its own earlier partitions (a self edge, e.g. a trailing window) stays in its column.
  const across = edges.filter((e) => e.from !== e.to);
  for (let i = 0; i < all.length; i++) for (const e of across) depth.set(e.to, Math.max(depth.get(e.to) ?? 0, Math.min(all.length, (depth.get(e.from) ?? 0) + 1)));
  // ECharts fits the nodes' bounding box to the chart; a box without width or height draws nothing,
  // so the box always spans at least 2 columns × 2 rows (the corners are empty).
  const maxDepth = Math.max(1, ...depth.values());
  const maxRows = Math.max(1, ...[...Array(maxDepth + 1).keys()].map((d) => [...depth.values()].filter((v) => v === d).length - 1));
  return { all, depth, maxDepth, maxRows };
}

/** Height in pixels the graph needs: its tallest column (rows of 70 px) plus margins. */
export function graphHeightPx(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): number {
  return 120 + 70 * (graphLayout(nodes, edges).maxRows + 1);
}

/**
 * The pipeline graph: one box per pipeline (clickable: `data.url`), arrows upstream → downstream.
 * Columns by depth (longest path from a source), rows within a column; unregistered upstreams grey.
 */
export function graphOption(nodes: readonly GraphNode[], edges: readonly GraphEdge[], urlOf: (name: string) => string): ChartOption {
  const { all, depth, maxDepth, maxRows } = graphLayout(nodes, edges);
  const rowsUsed = new Map<number, number>();
  return {
    tooltip: { formatter: '{b}' },
    series: [
      {
        type: 'graph',
        layout: 'none',
        symbol: 'roundRect',
        symbolSize: [200, 46],
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 10,
        label: { show: true, color: '#fff', fontSize: 12, lineHeight: 15 },
        edgeLabel: { show: true, formatter: '{c}', fontSize: 11 },
        data: all.map((n) => {
          const col = depth.get(n.name) ?? 0;
          const row = rowsUsed.get(col) ?? 0;
          rowsUsed.set(col, row + 1);
          return { name: n.name, x: col * 260 + 130, y: row * 70 + 35, url: n.known ? urlOf(n.name) : null, label: { formatter: n.label }, itemStyle: { color: n.known ? '#2f6fb0' : '#999' } };
        }).concat(
          // Invisible corners of the layout box (see above); not clickable.
          [
            [0, 0],
            [(maxDepth + 1) * 260, (maxRows + 1) * 70],
          ].map(([x, y], i) => ({ name: `\u0000corner${i}`, x: x ?? 0, y: y ?? 0, url: null, label: { formatter: '' }, itemStyle: { color: 'transparent' }, symbolSize: 0, tooltip: { show: false } }) as never),
        ),
        links: edges.map((e) => ({ source: e.from, target: e.to, value: e.input })),
        lineStyle: { width: 2, color: '#666' },
      },
    ],
  };
}

/** Hex colours of the status names (the same green, amber and red as the partition map). */
export const STATUS_HEX: Readonly<Record<StatusColor, string>> = { green: '#2e9e4f', amber: '#e0a800', red: '#d43c3c' };

/** A pie: one slice per row, named by `x`, sized by the first `y` column; null values are left out. */
function pieOption(panel: DashboardPanel, rows: readonly Record<string, unknown>[]): ChartOption {
  const col = panel.y[0] ?? '';
  const data = rows.flatMap((r) => {
    const v = num(r[col]);
    return v === null ? [] : [{ name: String(r[panel.x]), value: v }];
  });
  return {
    tooltip: { trigger: 'item', formatter: `{b}: {c}${panel.unit ? ` ${panel.unit}` : ''} ({d}%)` },
    legend: { top: 0, right: 0, type: 'scroll', orient: 'vertical' },
    series: [{ name: panel.title, type: 'pie', radius: ['35%', '70%'], center: ['40%', '55%'], label: { formatter: '{b}: {d}%' }, data }],
  };
}

/**
 * Gauges: one dial per row (title from `x`, value from the first `y` column), side by side, the
 * axis line coloured by the declared bands (fractions of min..max). A null value shows "–".
 */
function gaugeOption(panel: DashboardPanel, rows: readonly Record<string, unknown>[]): ChartOption {
  const min = panel.min ?? 0;
  const max = panel.max ?? 100;
  const col = panel.y[0] ?? '';
  const stops = (panel.bands ?? []).map((b) => [(b.upTo - min) / (max - min), STATUS_HEX[b.color]] as const);
  const n = Math.max(1, rows.length);
  const unit = panel.unit ? ` ${panel.unit}` : '';
  return {
    tooltip: { formatter: `{b}: {c}${unit}` },
    series: rows.map((r, i) => {
      const v = num(r[col]);
      return {
        type: 'gauge',
        name: String(r[panel.x] ?? col),
        min,
        max,
        center: [`${((i + 0.5) * 100) / n}%`, '60%'],
        radius: `${Math.min(75, 150 / n)}%`,
        axisLine: { lineStyle: { width: 14, color: stops } },
        pointer: { show: v !== null },
        detail: { formatter: v === null ? '–' : `{value}${unit}`, fontSize: 18, offsetCenter: [0, '70%'] },
        title: { offsetCenter: [0, '95%'] },
        data: [{ name: String(r[panel.x] ?? col), value: v }],
      };
    }),
  };
}

/** One number tile of a `kpi` panel. */
export interface KpiTile {
  readonly name: string;
  /** The value as the database returned it (exact decimals stay text); "–" for null. */
  readonly value: string;
  /** Set when the value is a status name (green, amber, red). */
  readonly status: StatusColor | null;
}

/**
 * Number tiles from the first row: one per `y` column, in order. Not an ECharts chart: the option
 * is `{ kpi: KpiTile[], unit }`, which console/assets/dashboard.js renders as HTML text.
 */
function kpiOption(panel: DashboardPanel, rows: readonly Record<string, unknown>[]): ChartOption {
  const row = rows[0] ?? {};
  const tiles: KpiTile[] = panel.y.map((col) => {
    const v = row[col];
    const value = v === null || v === undefined ? '–' : String(v);
    const status = (['green', 'amber', 'red'] as const).find((c) => c === value) ?? null;
    return { name: col, value, status };
  });
  return { kpi: tiles, unit: panel.unit ?? '' };
}
