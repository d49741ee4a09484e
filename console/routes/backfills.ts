/** Backfills: a live progress view (the page polls /api/backfills) of running and recent backfills. */
import type { FastifyPluginAsync } from 'fastify';
import { listBackfills } from '../../ops/backfill-progress';
import { html } from '../html';
import type { ConsoleContext } from '../server';

/** Backfill routes as one Fastify plugin. */
export const backfillRoutes: FastifyPluginAsync<{ ctx: ConsoleContext }> = async (app, { ctx }) => {
  const query = { type: 'object', properties: { pipeline: { type: 'string', maxLength: 100 }, started: { type: 'string', maxLength: 300 } } } as const;

  app.get<{ Querystring: { pipeline?: string; started?: string } }>('/backfills', { schema: { querystring: query } }, async (req, reply) => {
    if (req.query.pipeline) ctx.registry.get(req.query.pipeline);
    return ctx.sendPage(
      reply,
      'Backfills',
      html`<h1>Backfills${req.query.pipeline ? ` of ${req.query.pipeline}` : ''}</h1>
${req.query.started ? html`<p class="notice" role="status">Started <code>${req.query.started}</code></p>` : ''}
<div id="backfills" data-pipeline="${req.query.pipeline ?? ''}" data-started="${req.query.started ?? ''}" aria-live="polite"><p>loading…</p></div>`,
      ['/assets/backfills.js'],
    );
  });

  app.get<{ Querystring: { pipeline?: string } }>('/api/backfills', { schema: { querystring: query } }, async (req) => {
    if (req.query.pipeline) ctx.registry.get(req.query.pipeline);
    return { backfills: await listBackfills(await ctx.temporal(), { pipeline: req.query.pipeline, limit: 20 }) };
  });
};
