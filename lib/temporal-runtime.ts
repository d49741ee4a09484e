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

export function installTemporalRuntime(logger: Logger, opts: { metricsBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger(sdkLevel(logger.level), (entry) => {
      const meta: LogMetadata = { ...(entry.meta ?? {}) };
      logger[LEVELS[entry.level]](meta, entry.message);
    }),
    telemetryOptions: opts.metricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } : undefined,
  });
}
