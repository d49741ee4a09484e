/**
 * KPI dashboards rendered from their definitions: filters (a GET form), one ECharts chart per panel
 * (options from console/charts.ts), a table view, auto-refresh, CSV and Excel export.
 */
import type { FastifyPluginAsync } from 'fastify';
import { dashboardData, filterValues, findDashboard, resolveFilters } from '../../ops/dashboards';
import { panelOption } from '../charts';
import { toCsv, toXlsx } from '../export';
import { html, jsonScript } from '../html';
import { HttpError, type ConsoleContext } from '../server';

const NAME_PARAM = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 100 } } } as const;
/** Filter values and options come as query parameters; the dashboard validates them. */
const FILTER_QUERY = { type: 'object', properties: { refresh: { type: 'integer', minimum: 0, maximum: 86_400 }, panel: { type: 'string', maxLength: 100 } }, additionalProperties: { type: 'string', maxLength: 200 } } as const;

type Query = Record<string, string | number | undefined>;

/**
 * A table cell as people read it: dates as ISO 8601 (a date alone when it is midnight UTC, as
 * PostgreSQL's `date` arrives), everything else as its text; null and undefined as empty.
 */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  return String(v);
}

/** Dashboard routes as one Fastify plugin. */
export const dashboardRoutes: FastifyPluginAsync<{ ctx: ConsoleContext }> = async (app, { ctx }) => {
  async function load(name: string, query: Query) {
    const d = findDashboard(ctx.dashboards, name);
    const filters = await resolveFilters(ctx.pool, d, query);
    const values = filterValues(filters);
    const panels = await dashboardData(ctx.pool, d, values);
    const search = new URLSearchParams(filters.map((f): [string, string] => [f.filter.name, f.value ?? 'all'])).toString();
    return { d, filters, values, panels, search };
  }

  app.get<{ Params: { name: string }; Querystring: Query }>('/dashboards/:name', { schema: { params: NAME_PARAM, querystring: FILTER_QUERY } }, async (req, reply) => {
    const { d, filters, panels, search } = await load(req.params.name, req.query);
    const refresh = typeof req.query.refresh === 'number' ? req.query.refresh : (d.refreshSeconds ?? 30);
    const body = html`<h1>${d.title}</h1><p>${d.description}</p>
<form method="get" class="filters" aria-label="filters">${filters.map((f) =>
      f.filter.kind === 'date'
        ? html`<label>${f.filter.label} <input type="date" name="${f.filter.name}" value="${f.value ?? ''}"></label> `
        : html`<label>${f.filter.label} <select name="${f.filter.name}">${f.filter.allowAll ? html`<option value="all"${f.value === null ? ' selected' : ''}>all</option>` : ''}${f.options.map((o) => html`<option value="${o}"${o === f.value ? ' selected' : ''}>${o}</option>`)}</select></label> `,
    )}
<label>Refresh every <input type="number" name="refresh" min="0" value="${refresh}" size="4"> s</label>
<button type="submit">Apply</button></form>
<p class="exports"><a href="/dashboards/${d.name}/export.xlsx?${search}" download>Excel (all panels)</a> <span id="refreshed" role="status"></span></p>
${panels.map(
  (p) => html`<section class="panel" data-panel="${p.panel.id}"><h2>${p.panel.title}</h2>
${p.error ? html`<p class="error">${p.error}</p>` : ''}
${p.panel.chart === 'table' ? '' : html`<div class="chart" id="chart-${p.panel.id}" aria-label="${p.panel.title} chart"></div>`}
${jsonScript(`option-${p.panel.id}`, panelOption(p.panel, p.rows))}
<p><a href="/dashboards/${d.name}/export.csv?panel=${p.panel.id}&amp;${search}" download>CSV</a> · ${p.rows.length} rows</p>
<details${p.panel.chart === 'table' ? ' open' : ''}><summary>Table</summary><table class="grid" aria-label="${p.panel.title} table"><thead><tr>${p.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
<tbody>${p.rows.slice(0, 1000).map((r) => html`<tr>${p.columns.map((c) => html`<td>${cellText(r[c])}</td>`)}</tr>`)}</tbody></table>${p.rows.length > 1000 ? html`<p>first 1,000 rows; the exports hold all ${p.rows.length}</p>` : ''}</details></section>`,
)}
<div id="dashboard" data-api="/api/dashboards/${d.name}?${search}" data-refresh="${refresh}"></div>`;
    return ctx.sendPage(reply, d.title, body, ['/assets/echarts.min.js', '/assets/dashboard.js']);
  });

  app.get<{ Params: { name: string }; Querystring: Query }>('/api/dashboards/:name', { schema: { params: NAME_PARAM, querystring: FILTER_QUERY } }, async (req) => {
    const { d, values, panels } = await load(req.params.name, req.query);
    return { dashboard: d.name, filters: values, panels: panels.map((p) => ({ id: p.panel.id, rows: p.rows.length, error: p.error, option: panelOption(p.panel, p.rows) })) };
  });

  app.get<{ Params: { name: string }; Querystring: Query }>('/dashboards/:name/export.csv', { schema: { params: NAME_PARAM, querystring: FILTER_QUERY } }, async (req, reply) => {
    const { d, panels } = await load(req.params.name, req.query);
    const p = panels.find((x) => x.panel.id === req.query.panel);
    if (!p) throw new HttpError(404, `dashboard ${d.name} has no panel "${String(req.query.panel ?? '')}" (panels: ${d.panels.map((x) => x.id).join(', ')})`);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${d.name}-${p.panel.id}.csv"`)
      .send(toCsv(p.columns, p.rows));
  });

  app.get<{ Params: { name: string }; Querystring: Query }>('/dashboards/:name/export.xlsx', { schema: { params: NAME_PARAM, querystring: FILTER_QUERY } }, async (req, reply) => {
    const { d, panels } = await load(req.params.name, req.query);
    const buf = await toXlsx(panels.map((p) => ({ name: p.panel.id, columns: p.columns, rows: p.rows })));
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="${d.name}.xlsx"`)
      .send(buf);
  });
};
