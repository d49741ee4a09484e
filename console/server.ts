/**
 * The DataPulse web console: a Fastify server with one plugin per area (operations pages, actions,
 * backfills, dashboards, assets). Every route declares a schema, so bad input is refused before
 * handler code runs; errors become pages that say what exists, never stack traces.
 *
 * Safety: read-only unless `actionsEnabled`; a token is required whenever the bind address is not
 * loopback; state changes are POSTs carrying a CSRF token; every action is recorded (ops/audit.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../infra/config';
import type { Pool } from '../infra/db';
import type { Logger } from '../infra/logger';
import type { Dashboard } from '../core/dashboard';
import { InvalidPartitionKeyError } from '../core/partition';
import { UnknownPipelineError, type Registry } from '../core/registry';
import { InvalidRangeError } from '../ops/backfill-client';
import { DashboardFilterError, UnknownDashboardError } from '../ops/dashboards';
import { MapKeyError, type PartitionMap } from '../ops/partition-map';
import { PartitionMapCache } from '../ops/partition-map-cache';
import { html, page, type NavInfo } from './html';
import { actionRoutes } from './routes/actions';
import { assetRoutes } from './routes/assets';
import { backfillRoutes } from './routes/backfills';
import { dashboardRoutes } from './routes/dashboards';
import { operationsRoutes } from './routes/operations';

/** What the console needs; built by `datapulse ui` (or a test). */
export interface ConsoleOptions {
  readonly pool: Pool;
  readonly registry: Registry;
  readonly dashboards: readonly Dashboard[];
  readonly config: Pick<Config, 'uiUrl' | 'namespace' | 'taskQueue'>;
  /** The Temporal client, connected on first use; absent: no step timings, backfills or actions. */
  readonly client?: () => Promise<Client>;
  /** Bind address, used for the token rule. @default "127.0.0.1" */
  readonly host?: string;
  /** Allow run/backfill/re-run/pause/resume. @default false */
  readonly actionsEnabled?: boolean;
  /** Required (any request) when set; mandatory when host is not loopback. */
  readonly token?: string;
  /** Jaeger-style UI for the partition page's trace link (`DATAPULSE_TRACE_UI_URL`). */
  readonly traceUiUrl?: string;
  readonly now?: () => number;
  readonly logger?: Logger;
  /**
   * Keep partition maps cached between ledger changes (ops/partition-map-cache.ts: one LISTEN
   * connection; a map is never served once the ledger changed). @default true
   */
  readonly mapCache?: boolean;
}

/** Thrown when the console's settings are unsafe or inconsistent (e.g. a public bind without a token). */
export class ConsoleConfigError extends Error {
  override readonly name = 'ConsoleConfigError';
}

/** Thrown by handlers for a request that cannot be served, with the page's status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Per-request context handed to the route plugins. */
export interface ConsoleContext extends ConsoleOptions {
  readonly nav: NavInfo;
  readonly actionsEnabled: boolean;
  /** The partition-map cache, when enabled. */
  readonly maps?: PartitionMapCache<PartitionMap>;
  readonly now: () => number;
  /** Who made a request, for the audit trail. */
  actor(req: FastifyRequest): string;
  /** Sends a full HTML page. */
  sendPage(reply: FastifyReply, title: string, body: ReturnType<typeof html>, scripts?: readonly string[], inline?: { css: string; js: readonly string[] }): FastifyReply;
  /** The client, or an HttpError 503 saying Temporal is not configured. */
  temporal(): Promise<Client>;
}

const TOKEN_COOKIE = 'datapulse_token';

function sameToken(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Builds the console (not listening). Throws ConsoleConfigError for a public bind without a token. */
export async function buildConsole(opts: ConsoleOptions): Promise<FastifyInstance> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.token) {
    throw new ConsoleConfigError(`binding the console to ${host} needs a token (DATAPULSE_UI_TOKEN or --token): anyone on that network could read it${opts.actionsEnabled ? ' and start runs' : ''}`);
  }
  if (opts.token !== undefined && opts.token.length < 16) throw new ConsoleConfigError('the console token must be at least 16 characters');
  const app = Fastify({ logger: false, trustProxy: false, bodyLimit: 64 * 1024 });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, { cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, signed: false } });

  const osUser = (() => {
    try {
      return os.userInfo().username;
    } catch {
      return 'unknown';
    }
  })();
  let clientPromise: Promise<Client> | undefined;
  const maps = opts.mapCache === false ? undefined : await PartitionMapCache.open<PartitionMap>(opts.pool);
  app.addHook('onClose', async () => maps?.close());
  const ctx: ConsoleContext = {
    ...opts,
    maps,
    actionsEnabled: opts.actionsEnabled ?? false,
    now: opts.now ?? (() => Date.now()),
    nav: { pipelines: opts.registry.pipelines.map((p) => p.name), dashboards: opts.dashboards.map((d) => ({ name: d.name, title: d.title })), actionsEnabled: opts.actionsEnabled ?? false },
    actor: (req) => {
      const who = opts.token ? `token:${createHash('sha256').update(opts.token).digest('hex').slice(0, 8)}` : `local:${osUser}`;
      const claimed = req.headers['x-datapulse-user'];
      return typeof claimed === 'string' && /^[\w.@-]{1,64}$/.test(claimed) ? `${who} (${claimed})` : who;
    },
    sendPage: (reply, title, body, scripts, inline) => reply.type('text/html; charset=utf-8').send(page({ title, nav: ctx.nav, body, scripts, inline })),
    temporal: async () => {
      if (!opts.client) throw new HttpError(503, 'Temporal is not configured for this console');
      clientPromise ??= opts.client().catch((err: unknown) => {
        clientPromise = undefined;
        throw new HttpError(503, `Temporal is not reachable: ${(err as Error).message}`);
      });
      return clientPromise;
    },
  };

  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('x-frame-options', 'DENY');
    void reply.header('referrer-policy', 'same-origin');
    if (!opts.token) return;
    const url = new URL(req.url, 'http://console');
    const fromQuery = url.searchParams.get('token');
    if (fromQuery !== null && sameToken(fromQuery, opts.token)) {
      url.searchParams.delete('token');
      void reply.setCookie(TOKEN_COOKIE, opts.token, { path: '/', httpOnly: true, sameSite: 'strict' });
      return reply.redirect(`${url.pathname}${url.search}`, 303);
    }
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const cookie = req.cookies[TOKEN_COOKIE];
    if ((bearer && sameToken(bearer, opts.token)) || (cookie && sameToken(cookie, opts.token))) return;
    return reply
      .code(401)
      .type('text/html; charset=utf-8')
      .send(page({ title: 'Token required', nav: { ...ctx.nav, pipelines: [], dashboards: [] }, body: html`<h1>Token required</h1><p>This console needs its token: open it once as <code>/?token=&lt;token&gt;</code>, or send <code>Authorization: Bearer &lt;token&gt;</code>.</p>` }));
  });

  app.setNotFoundHandler((req, reply) => {
    void ctx.sendPage(reply.code(404), 'Not found', notFoundBody(ctx, `nothing at ${req.method} ${req.url.split('?')[0]}`));
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, req, reply) => {
    let status = 500;
    let message = 'internal error (details are in the console log)';
    if (err instanceof HttpError) [status, message] = [err.statusCode, err.message];
    else if (err instanceof UnknownPipelineError || err instanceof UnknownDashboardError || err instanceof MapKeyError || err instanceof InvalidPartitionKeyError) [status, message] = [404, err.message];
    else if (err instanceof DashboardFilterError || err instanceof InvalidRangeError) [status, message] = [400, err.message];
    else if (err.validation) [status, message] = [400, `bad request: ${err.message}`];
    else if (err.code === '42P01') [status, message] = [503, `DataPulse's tables are not in this database yet (${err.message}): start a worker or \`datapulse dev\` once, which applies the migrations`];
    else if (err.code?.startsWith('FST_CSRF')) [status, message] = [403, 'refused: missing or invalid CSRF token (reload the page and try again)'];
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) [status, message] = [err.statusCode, err.message];
    if (status >= 500 && status !== 503) opts.logger?.error({ err, url: req.url }, 'console request failed');
    const wantsJson = req.url.startsWith('/api/');
    if (wantsJson) return reply.code(status).send({ error: message });
    return ctx.sendPage(reply.code(status), status === 404 ? 'Not found' : 'Error', status === 404 ? notFoundBody(ctx, message) : html`<h1>${status === 403 ? 'Refused' : 'Error'}</h1><p class="error" role="alert">${message}</p><p><a href="/">Back to the overview</a></p>`);
  });

  await app.register(assetRoutes);
  await app.register(operationsRoutes, { ctx });
  await app.register(actionRoutes, { ctx });
  await app.register(backfillRoutes, { ctx });
  await app.register(dashboardRoutes, { ctx });
  app.get('/healthz', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true }));
  return app;
}

/** The 404 body: what was asked and what exists. */
export function notFoundBody(ctx: Pick<ConsoleContext, 'registry' | 'dashboards'>, message: string) {
  return html`<h1>Not found</h1><p class="error" role="alert">${message}</p>
<h2>Pipelines</h2><ul>${ctx.registry.pipelines.map((p) => html`<li><a href="/pipelines/${p.name}">${p.name}</a> — ${p.partitioning.granularity}, keys like <code>${p.partitioning.start}</code></li>`)}</ul>
<h2>Dashboards</h2><ul>${ctx.dashboards.map((d) => html`<li><a href="/dashboards/${d.name}">${d.title}</a></li>`)}</ul>`;
}
