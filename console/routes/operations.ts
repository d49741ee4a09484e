/** Operations pages: the overview (freshness, runs, graph), a pipeline's partition map, a partition's detail. */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { shiftKey, STATIC_KEY } from '../../core/partition';
import type { PipelineDefinition } from '../../core/pipeline';
import { BackfillMode } from '../../core/plan';
import { pipelineGraph } from '../../ops/lineage';
import { humanDuration, overview } from '../../ops/overview';
import { partitionDetail } from '../../ops/partition-detail';
import { needsSchedule } from '../../ops/schedules';
import { assertPartitionKey, defaultMapRange, isUnpartitioned, MapKeyError, partitionMap, type PartitionMap } from '../../ops/partition-map';
import { graphHeightPx, graphOption } from '../charts';
import { assetText } from './assets';
import { html, jsonScript, type Html } from '../html';
import type { ConsoleContext } from '../server';

const PIPELINE_PARAM = { type: 'object', required: ['pipeline'], properties: { pipeline: { type: 'string', maxLength: 100 } } } as const;
const KEY_SCHEMA = { type: 'string', maxLength: 40 } as const;

// One CSRF token per response: each generateCsrf() without a secret cookie makes a new secret.
const tokens = new WeakMap<FastifyReply, string>();

/** A POST form with the CSRF token, shown only when actions are enabled. */
export function actionForm(ctx: ConsoleContext, reply: FastifyReply, action: string, fields: Record<string, string>, label: string, extra: Html = html``): Html {
  if (!ctx.actionsEnabled) return html``;
  let token = tokens.get(reply);
  if (token === undefined) tokens.set(reply, (token = reply.generateCsrf()));
  return html`<form method="post" action="${action}" class="action">
<input type="hidden" name="_csrf" value="${token}">${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}${extra}
<button type="submit">${label}</button></form>`;
}

function mapBody(ctx: ConsoleContext, reply: FastifyReply, map: PartitionMap): Html {
  const counts = Object.entries(map.counts).map(([s, n]) => html`<li class="count ${s}"><span class="swatch ${s}"></span>${s} <b data-count="${s}">${n}</b></li>`);
  const modes = Object.values(BackfillMode).map((m) => html`<option value="${m}">${m}</option>`);
  return html`<h1>${map.pipeline} <small>${map.granularity}</small></h1>
<form method="get" class="range" aria-label="range">
 <label>From <input name="from" value="${map.from}" size="14"></label>
 <label>To (exclusive) <input name="to" value="${map.to}" size="14"></label>
 <button type="submit">Show range</button></form>
<ul class="counts" aria-label="counts">${counts}<li>total <b>${map.total}</b></li></ul>
<div id="map-wrap"><canvas id="map" role="img" aria-label="partition map of ${map.pipeline}"></canvas></div>
<div id="map-tip" role="status" aria-live="polite">hover a cell; click to open the partition</div>
${jsonScript('map-data', map)}
<section class="actions">
${actionForm(ctx, reply, '/actions/backfill', { pipeline: map.pipeline, from: map.from, to: map.to }, 'Backfill this range', html`<label>Mode <select name="mode">${modes}</select></label> <label>Concurrency <input name="concurrency" type="number" min="1" max="64" value="4"></label> `)}
${actionForm(ctx, reply, '/actions/rerun-failed', { pipeline: map.pipeline, from: map.from, to: map.to }, 'Re-run failed')}
</section>
<p><a href="/backfills?pipeline=${map.pipeline}">Backfills of ${map.pipeline}</a> · <a href="/api/pipelines/${map.pipeline}/map?from=${map.from}&amp;to=${map.to}">map as JSON</a></p>`;
}

/**
 * What starts a pipeline's partitions, with its pause/resume buttons when actions are enabled: its
 * Temporal Schedule (every pipeline but automated derived datasets), its file sensor (pipelines
 * reading landing files), or automation (derived datasets: run when their inputs load; nothing to pause).
 */
function triggerCell(ctx: ConsoleContext, reply: FastifyReply, def: PipelineDefinition): Html {
  const parts: Html[] = [];
  if (needsSchedule(def)) {
    parts.push(
      html`<div class="trigger">schedule ${actionForm(ctx, reply, '/actions/schedule', { pipeline: def.name, op: 'pause' }, 'Pause schedule')}${actionForm(ctx, reply, '/actions/schedule', { pipeline: def.name, op: 'resume' }, 'Resume schedule')}</div>`,
    );
  }
  if (def.source.kind === 'csv-files') {
    parts.push(
      html`<div class="trigger">file sensor ${actionForm(ctx, reply, '/actions/sensor', { pipeline: def.name, op: 'pause' }, 'Pause sensor')}${actionForm(ctx, reply, '/actions/sensor', { pipeline: def.name, op: 'resume' }, 'Resume sensor')}</div>`,
    );
  }
  if (def.source.kind === 'derived' && def.automation !== 'manual') parts.push(html`<div class="trigger">automation: runs when its inputs load</div>`);
  return html`${parts}`;
}

/**
 * The map of a range, from the console's cache when the ledger has not changed since it was
 * computed; says which in the `x-datapulse-map-cache` header (`hit`, `miss` or `off`).
 */
async function cachedMap(ctx: ConsoleContext, reply: FastifyReply, def: PipelineDefinition, range: { from: string; to: string }): Promise<PartitionMap> {
  const compute = () => partitionMap(ctx.pool, def, range.from, range.to, { registry: ctx.registry });
  if (!ctx.maps?.live) {
    void reply.header('x-datapulse-map-cache', 'off');
    return compute();
  }
  const r = await ctx.maps.get({ pipeline: def.name, from: range.from, to: range.to, dependsOnAllPipelines: def.source.kind === 'derived' }, compute);
  void reply.header('x-datapulse-map-cache', r.cached ? 'hit' : 'miss');
  return r.value;
}

/** Operations pages as one Fastify plugin. */
export const operationsRoutes: FastifyPluginAsync<{ ctx: ConsoleContext }> = async (app, { ctx }) => {
  app.get('/', { schema: { querystring: { type: 'object', properties: {} } } }, async (_req, reply) => {
    const lines = await overview(ctx.pool, ctx.registry, ctx.now());
    const graph = pipelineGraph(ctx.registry);
    const rows = lines.map(
      (l) => html`<tr data-pipeline="${l.name}"><td><a href="/pipelines/${l.name}">${l.name}</a><br><small>${l.description}</small></td><td>${l.granularity === 'static' ? 'unpartitioned (snapshot)' : l.granularity}</td>
<td class="fresh ${l.freshness}">${l.freshness === 'never' ? 'never loaded' : html`${l.freshness} — ${humanDuration(l.lagMs ?? 0)} behind (${l.newestLoaded}), expected within ${humanDuration(l.expectedLagMs)}`}</td>
<td>${l.lastRun ? html`<a href="/pipelines/${l.name}/partitions/${l.lastRun.key}">${l.lastRun.key}</a> ${l.lastRun.status}<br><small>${l.lastRun.finishedAt ?? ''}</small>` : '—'}</td>
<td class="num">${l.failedLastDay}</td><td class="num">${l.stale}</td><td class="num">${l.running}</td><td class="num">${l.partitions}</td>
<td>${triggerCell(ctx, reply, ctx.registry.get(l.name))}</td></tr>`,
    );
    return ctx.sendPage(
      reply,
      'Overview',
      html`<h1>Pipelines</h1>
<table class="grid"><thead><tr><th>pipeline</th><th>partitions</th><th>freshness</th><th>last run</th><th>failed (24 h)</th><th>stale (now)</th><th>running</th><th>in ledger</th><th>runs by</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Pipeline graph</h2><div id="graph" class="chart" style="height:${graphHeightPx(graph.nodes, graph.edges)}px" aria-label="pipeline graph"></div>
${jsonScript('graph-option', graphOption(graph.nodes, graph.edges, (n) => `/pipelines/${n}`))}`,
      ['/assets/echarts.min.js', '/assets/graph.js'],
    );
  });

  app.get<{ Params: { pipeline: string }; Querystring: { from?: string; to?: string } }>(
    '/pipelines/:pipeline',
    { schema: { params: PIPELINE_PARAM, querystring: { type: 'object', properties: { from: KEY_SCHEMA, to: KEY_SCHEMA } } } },
    async (req, reply) => {
      const def = ctx.registry.get(req.params.pipeline);
      // An unpartitioned snapshot has no map: its one partition's page says everything.
      if (isUnpartitioned(def)) return reply.redirect(`/pipelines/${encodeURIComponent(def.name)}/partitions/${STATIC_KEY}`, 303);
      const range = req.query.from && req.query.to ? { from: req.query.from, to: req.query.to } : await defaultMapRange(ctx.pool, def, ctx.now());
      const map = await cachedMap(ctx, reply, def, range);
      // Stylesheet and map script inline: the page is drawn from one response.
      return ctx.sendPage(reply, `${def.name} partitions`, mapBody(ctx, reply, map), [], { css: assetText('style.css'), js: [assetText('map.js')] });
    },
  );

  app.get<{ Params: { pipeline: string }; Querystring: { from?: string; to?: string } }>(
    '/api/pipelines/:pipeline/map',
    { schema: { params: PIPELINE_PARAM, querystring: { type: 'object', properties: { from: KEY_SCHEMA, to: KEY_SCHEMA } } } },
    async (req, reply) => {
      const def = ctx.registry.get(req.params.pipeline);
      if (isUnpartitioned(def)) throw new MapKeyError(`${def.name} is unpartitioned: it has no map, its one partition is /pipelines/${def.name}/partitions/${STATIC_KEY}`);
      const range = req.query.from && req.query.to ? { from: req.query.from, to: req.query.to } : await defaultMapRange(ctx.pool, def, ctx.now());
      return cachedMap(ctx, reply, def, range);
    },
  );

  app.get<{ Params: { pipeline: string; key: string }; Querystring: { offset?: number } }>(
    '/pipelines/:pipeline/partitions/:key',
    {
      schema: {
        params: { type: 'object', required: ['pipeline', 'key'], properties: { pipeline: { type: 'string', maxLength: 100 }, key: KEY_SCHEMA } },
        querystring: { type: 'object', properties: { offset: { type: 'integer', minimum: 0, maximum: 10_000_000 } } },
      },
    },
    async (req, reply) => {
      const def = ctx.registry.get(req.params.pipeline);
      assertPartitionKey(def, req.params.key);
      const client = ctx.client ? await ctx.temporal().catch(() => undefined) : undefined;
      const d = await partitionDetail({ pool: ctx.pool, registry: ctx.registry, config: ctx.config, client, traceUiUrl: ctx.traceUiUrl }, def.name, req.params.key, { offset: req.query.offset });
      const q = d.quarantine;
      const body = html`<h1><a href="/pipelines/${d.pipeline}">${d.pipeline}</a> / ${d.key} <span class="state ${d.state}">${d.state}</span></h1>${d.staleReason ? html`<p class="stale-reason">stale: ${d.staleReason} — <code>${isUnpartitioned(def) ? `npx datapulse run ${d.pipeline} ${d.key}` : `npx datapulse backfill ${d.pipeline} --from ${d.key} --to ${shiftKey(def.partitioning.granularity, d.key, 1)} --stale`}</code> refreshes it</p>` : ''}
<p><a href="${d.links.history}" rel="noopener">Temporal history</a>${d.links.trace ? html` · <a href="${d.links.trace}" rel="noopener">Trace</a>` : ''}</p>
${actionForm(ctx, reply, '/actions/run', { pipeline: d.pipeline, key: d.key }, 'Run this partition')}
<h2>Ledger</h2>${d.ledger ? html`<table class="kv" aria-label="ledger">${Object.entries(d.ledger).map(([k, v]) => html`<tr><th>${k}</th><td>${v ?? ''}</td></tr>`)}</table>` : html`<p>No ledger row: this partition has not run.</p>`}
<h2>Steps</h2>${d.steps && d.steps.length > 0 ? html`<table class="grid" aria-label="steps"><thead><tr><th>step</th><th>scheduled</th><th>ms</th><th>attempts</th><th>outcome</th></tr></thead><tbody>${d.steps.map((s) => html`<tr><td>${s.step}</td><td>${s.scheduledAt ?? ''}</td><td class="num">${s.ms ?? ''}</td><td class="num">${s.attempts}</td><td>${s.outcome}</td></tr>`)}</tbody></table>` : html`<p>${d.stepsNote ?? 'no steps'}</p>`}
<h2>Checks</h2>${d.checks.length > 0 ? html`<table class="grid" aria-label="checks"><thead><tr><th>check</th><th>kind</th><th>severity</th><th>outcome</th><th>value</th><th>threshold</th><th>message</th></tr></thead><tbody>${d.checks.map((c) => html`<tr class="${c.outcome}"><td>${c.name}</td><td>${c.kind}</td><td>${c.severity}</td><td>${c.outcome}</td><td class="num">${c.value ?? ''}</td><td>${c.threshold ?? ''}</td><td>${c.message}</td></tr>`)}</tbody></table>` : html`<p>No check results.</p>`}
<h2>Quarantined rows <small>${q.total} in all${q.total > 0 ? html`, ${q.offset + 1}–${q.offset + q.rows.length} shown` : ''}</small></h2>
${q.rows.length > 0 ? html`<table class="grid" aria-label="quarantine"><thead><tr><th>file</th><th>line</th><th>field</th><th>reason</th><th>raw value</th></tr></thead><tbody>${q.rows.map((r) => html`<tr><td>${r.sourceFile}</td><td class="num">${r.lineNo}</td><td>${r.field ?? ''}</td><td>${r.reason}</td><td><code>${r.rawValue ?? '(none)'}</code></td></tr>`)}</tbody></table>` : ''}
<p>${q.offset > 0 ? html`<a href="?offset=${Math.max(0, q.offset - q.limit)}">previous page</a> ` : ''}${q.offset + q.rows.length < q.total ? html`<a href="?offset=${q.offset + q.limit}">next page</a>` : ''}</p>
<h2>Lineage</h2><div class="lineage"><div><h3>Upstream</h3>${d.lineage.upstream.length > 0 ? html`<ul>${d.lineage.upstream.map((l) => html`<li><a href="/pipelines/${l.pipeline}">${l.pipeline}</a>${l.input ? ` (input ${l.input})` : ''} ${l.keys.map((k) => html`<a href="/pipelines/${l.pipeline}/partitions/${k}">${k}</a> `)}</li>`)}</ul>` : html`<p>none (a source pipeline)</p>`}</div>
<div><h3>Downstream</h3>${d.lineage.downstream.length > 0 ? html`<ul>${d.lineage.downstream.map((l) => html`<li><a href="/pipelines/${l.pipeline}">${l.pipeline}</a> ${l.keys.map((k) => html`<a href="/pipelines/${l.pipeline}/partitions/${k}">${k}</a> `)}</li>`)}</ul>` : html`<p>none</p>`}</div></div>`;
      return ctx.sendPage(reply, `${d.pipeline} ${d.key}`, body);
    },
  );
};
