/**
 * Process configuration, read once from the environment. The same code runs against the local dev
 * stack and a real cluster; only these values differ.
 */
import path from 'node:path';
import { z } from 'zod';
import type { JsonValue } from '../core/pipeline';

export const REPO_ROOT = path.resolve(__dirname, '..');

const Env = z.object({
  /** PostgreSQL connection string. @default unset: the dev stack uses 127.0.0.1:5432 or an embedded server */
  DATABASE_URL: z.string().optional(),
  /** Schema holding DataPulse's tables. @default "datapulse" */
  DATAPULSE_SCHEMA: z.string().default('datapulse'),
  /** Temporal frontend address. @default "127.0.0.1:7233" */
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  /** @default "default" */
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Task queue shared by every worker. @default "datapulse" */
  DATAPULSE_TASK_QUEUE: z.string().default('datapulse'),
  /** Base URL of the Temporal Web UI, for the links the CLI prints. @default "http://localhost:8233" */
  TEMPORAL_UI_URL: z.string().default('http://localhost:8233'),
  /** Landing folder of file-based sources; each pipeline reads `<LANDING_DIR>/<pipeline>/`. @default ".data/landing" */
  LANDING_DIR: z.string().default(path.join(REPO_ROOT, '.data', 'landing')),
  /** Prometheus endpoint port of the worker; 0 disables it. @default 9464 */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** @default "info" */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Slack incoming webhook for alerts. @default unset: alerts go to the log only */
  SLACK_WEBHOOK_URL: z.string().optional(),
  /**
   * `1`: keep a partition's intermediate tables (raw and staged rows) after a successful load, for
   * inspection. @default unset: dropped in the load's transaction (a failed partition keeps them
   * until its next run replaces them)
   */
  DATAPULSE_KEEP_INTERMEDIATES: z.enum(['', '0', '1', 'true', 'false']).optional(),
  /**
   * Params overrides per pipeline, JSON: `{"sport_employee_monthly":{"bonus_rate":"0.04"}}` (see
   * paramOverridesFromEnv). Every worker and CLI of a deployment must see the same value. @default unset
   */
  DATAPULSE_PARAMS: z.string().optional(),
});

export type Config = {
  readonly databaseUrl: string | undefined;
  readonly schema: string;
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly uiUrl: string;
  readonly landingDir: string;
  readonly metricsPort: number;
  readonly logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  readonly slackWebhookUrl: string | undefined;
  /** Keep intermediate tables after a successful load. @default false */
  readonly keepIntermediates: boolean;
};

/** Thrown when the environment holds an invalid setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid environment variable ${String(issue?.path[0])}: ${issue?.message}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL || undefined,
    schema: e.DATAPULSE_SCHEMA,
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.DATAPULSE_TASK_QUEUE,
    uiUrl: e.TEMPORAL_UI_URL.replace(/\/+$/, ''),
    landingDir: path.resolve(e.LANDING_DIR),
    metricsPort: e.METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    slackWebhookUrl: e.SLACK_WEBHOOK_URL || undefined,
    keepIntermediates: e.DATAPULSE_KEEP_INTERMEDIATES === '1' || e.DATAPULSE_KEEP_INTERMEDIATES === 'true',
  };
}

/** Link to one workflow execution in the Temporal Web UI. */
export function workflowUiUrl(config: Pick<Config, 'uiUrl' | 'namespace'>, workflowId: string, runId?: string): string {
  const base = `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}

/** Link to the Temporal UI's workflow list filtered by a visibility query. */
export function workflowsQueryUiUrl(config: Pick<Config, 'uiUrl' | 'namespace'>, query: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** Link to one schedule (or, without an id, the schedule list) in the Temporal UI. */
export function scheduleUiUrl(config: Pick<Config, 'uiUrl' | 'namespace'>, scheduleId?: string): string {
  const base = `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/schedules`;
  return scheduleId ? `${base}/${encodeURIComponent(scheduleId)}` : base;
}

/** Removes the password from a connection string before it is printed or logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

/**
 * Params overrides from `DATAPULSE_PARAMS`, a JSON object per pipeline, e.g.
 * `{"sport_employee_monthly":{"bonus_rate":"0.04"}}` (core/registry.ts withParamOverrides). Every
 * process of a deployment (workers, CLI, console) must see the same value: the params hash decides
 * what is stale. Empty or unset: none. Throws ConfigError on malformed JSON.
 */
export function paramOverridesFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, Record<string, JsonValue>> {
  const raw = env.DATAPULSE_PARAMS?.trim();
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`invalid environment variable DATAPULSE_PARAMS: not JSON (${(err as Error).message})`);
  }
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!isObj(v) || !Object.values(v).every(isObj)) throw new ConfigError('invalid environment variable DATAPULSE_PARAMS: expected {"<pipeline>": {"<param>": value}}');
  return v as Record<string, Record<string, JsonValue>>;
}
