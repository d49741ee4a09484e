/**
 * Installs the Temporal SDK runtime once per process, routing the SDK's own logs (including the
 * replay-safe workflow logger) into DataPulse's structured JSON logger.
 */
import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from './logger';

let installed = false;

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

function sdkLevel(pinoLevel: string): LogLevel {
  switch (pinoLevel) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR';
  }
}

/**
 * SDK log metadata in DataPulse's field names (activity, runId — as the activities' own lines), and
 * without the activity task token, which can complete the activity and so stays out of logs.
 */
function normalizeMeta(meta: LogMetadata): LogMetadata {
  const { activityType, workflowRunId, ...rest } = meta;
  delete rest.taskToken;
  return {
    ...rest,
    ...(activityType !== undefined && rest.activity === undefined ? { activity: activityType } : {}),
    ...(workflowRunId !== undefined && rest.runId === undefined ? { runId: workflowRunId } : {}),
  };
}

export interface TemporalRuntimeOptions {
  /**
   * Where the SDK's Prometheus exporter listens (`127.0.0.1:<port>`); the worker's /metrics
   * endpoint appends what it serves. @default unset: no SDK metrics
   */
  readonly metricsBindAddress?: string;
}

let sdkMetricsUrl: string | undefined;

/**
 * Installs the runtime (once per process; later calls change nothing) and returns the URL of the
 * SDK's Prometheus exporter, if the installing call asked for one.
 */
export function installTemporalRuntime(logger: Logger, opts: TemporalRuntimeOptions = {}): { metricsUrl?: string } {
  if (installed) return { metricsUrl: sdkMetricsUrl };
  installed = true;
  Runtime.install({
    logger: new DefaultLogger(sdkLevel(logger.level), (entry) => {
      logger[LEVELS[entry.level]](normalizeMeta(entry.meta ?? {}), entry.message);
    }),
    telemetryOptions: opts.metricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } : undefined,
  });
  sdkMetricsUrl = opts.metricsBindAddress ? `http://${opts.metricsBindAddress}/metrics` : undefined;
  return { metricsUrl: sdkMetricsUrl };
}
