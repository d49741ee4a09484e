/**
 * Structured JSON logs (pino). Secrets are redacted by key wherever they might appear. A line
 * logged inside a traced span (an activity, a CLI command) names it: trace_id, span_id.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';

export type Logger = pino.Logger;

/** @param destination where the JSON lines go. @default stdout */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'datapulse', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const c = trace.getActiveSpan()?.spanContext();
      return c && isSpanContextValid(c) ? { trace_id: c.traceId, span_id: c.spanId } : {};
    },
    redact: {
      paths: ['password', '*.password', 'databaseUrl', '*.databaseUrl', 'connectionString', '*.connectionString', 'slackWebhookUrl', '*.slackWebhookUrl', 'webhookUrl', '*.webhookUrl'],
      censor: '***',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
