/** Structured JSON logs (pino). Secrets are redacted by key wherever they might appear. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'datapulse', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'databaseUrl', '*.databaseUrl', 'connectionString', '*.connectionString', 'slackWebhookUrl', '*.slackWebhookUrl', 'webhookUrl', '*.webhookUrl'],
      censor: '***',
    },
  });
}
