/**
 * `datapulse ui`: serves the web console (console/server.ts) on 127.0.0.1:3000. Also started by
 * `dev` and `demo` through `startConsole`.
 */
import type { Client } from '@temporalio/client';
import { dashboards } from '../../pipelines/dashboards';
import { buildConsole } from '../../console/server';
import { loadConfig, type Config } from '../../infra/config';
import { createPool, migrate, type Pool } from '../../infra/db';
import { isPortOpen, resolveDatabase } from '../../infra/dev-stack';
import { createLogger, type Logger } from '../../infra/logger';
import { connectClient } from '../../infra/temporal-client';
import { registry } from '../../pipelines';
import { say, untilSignal } from './stack';

/** `datapulse ui` options (flags win over the environment). */
export interface UiOptions {
  /** @default DATAPULSE_UI_PORT, else 3000 */
  readonly port?: number;
  /** @default DATAPULSE_UI_HOST, else 127.0.0.1 */
  readonly host?: string;
  /** @default DATAPULSE_UI_ACTIONS=1 */
  readonly actions?: boolean;
  /** @default DATAPULSE_UI_TOKEN */
  readonly token?: string;
}

/** A running console. */
export interface RunningConsole {
  readonly url: string;
  close(): Promise<void>;
}

/** Resolved settings from flags and environment. */
export function uiSettings(opts: UiOptions, env: NodeJS.ProcessEnv = process.env): { port: number; host: string; actions: boolean; token: string | undefined; traceUiUrl: string | undefined } {
  const port = opts.port ?? (env.DATAPULSE_UI_PORT ? Number(env.DATAPULSE_UI_PORT) : 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`DATAPULSE_UI_PORT: ${env.DATAPULSE_UI_PORT} is not a port`);
  return {
    port,
    host: opts.host ?? env.DATAPULSE_UI_HOST ?? '127.0.0.1',
    actions: opts.actions ?? (env.DATAPULSE_UI_ACTIONS === '1' || env.DATAPULSE_UI_ACTIONS === 'true'),
    token: opts.token ?? (env.DATAPULSE_UI_TOKEN || undefined),
    traceUiUrl: env.DATAPULSE_TRACE_UI_URL || undefined,
  };
}

/**
 * Starts the console on a pool and config that the caller owns. With `fallbackPort`, a busy port
 * is replaced by a free one (dev/demo) instead of failing.
 */
export async function startConsole(deps: { pool: Pool; config: Config; logger?: Logger; client?: () => Promise<Client> }, opts: UiOptions & { fallbackPort?: boolean }): Promise<RunningConsole> {
  const s = uiSettings(opts);
  let owned: Client | undefined;
  const app = await buildConsole({
    pool: deps.pool,
    registry,
    dashboards,
    config: deps.config,
    client: deps.client ?? (async () => (owned ??= await connectClient(deps.config))),
    host: s.host,
    actionsEnabled: s.actions,
    token: s.token,
    traceUiUrl: s.traceUiUrl,
    logger: deps.logger ?? createLogger(process.env.LOG_LEVEL ?? 'info', { role: 'console' }),
  });
  let port = s.port;
  if (opts.fallbackPort && port !== 0 && (await isPortOpen(port))) port = 0;
  const address = await app.listen({ port, host: s.host });
  const actual = new URL(address).port;
  const shownHost = s.host.includes(':') ? `[${s.host}]` : s.host;
  return {
    url: `http://${shownHost}:${actual}/`,
    async close() {
      await app.close();
      await owned?.connection.close().catch(() => undefined);
    },
  };
}

/** `datapulse ui`: runs until Ctrl-C. */
export async function uiCommand(opts: UiOptions): Promise<void> {
  const config = loadConfig();
  const s = uiSettings(opts);
  const db = await resolveDatabase({ allowEmbedded: false });
  const pool = createPool({ connectionString: db.url, schema: config.schema, max: 6, applicationName: 'datapulse-console' });
  let client: Client | undefined;
  try {
    // The audit table (migration 007) must exist before the first action is recorded.
    if (s.actions) await migrate(pool, config.schema);
    const running = await startConsole(
      {
        pool,
        config,
        client: async () => (client ??= await connectClient(config)),
      },
      opts,
    );
    say(`Console:    ${running.url}${s.actions ? ' (actions enabled)' : ' (read-only; --actions to run, backfill and pause)'}${s.token ? ' (token required)' : ''}`);
    say('Ctrl-C stops it.');
    await untilSignal();
    await running.close();
  } finally {
    await client?.connection.close().catch(() => undefined);
    await pool.end();
    await db.stop();
  }
}
