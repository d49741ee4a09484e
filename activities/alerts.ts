/**
 * Alerts: always a structured log line (pino, warn), and a Slack message through an incoming
 * webhook when SLACK_WEBHOOK_URL is set (official client, `@slack/webhook`). Sending never throws:
 * an alert that cannot be delivered is logged and reported as `delivered: false`.
 *
 * The webhook URL is a secret: it comes from the process configuration only, is never logged, and
 * is scrubbed from any error text before that text is logged or returned.
 */
import { IncomingWebhook } from '@slack/webhook';
import { workflowUiUrl, type Config } from '../infra/config';
import type { Logger } from '../infra/logger';

export const AlertKind = {
  /** A partition failed (any step, any reason other than a blocking check). */
  PARTITION_FAILED: 'partition-failed',
  /** A partition failed on a blocking data quality check. */
  CHECK_FAILED: 'check-failed',
  /** A volume check failed with severity warning: the partition goes on, someone should look. */
  VOLUME_ANOMALY: 'volume-anomaly',
  /** A check declared with `alert: true` failed with severity warning (e.g. a cost drift): the partition goes on. */
  CHECK_WARNING: 'check-warning',
  /** A backfill finished with failed partitions: one summary instead of one alert per partition. */
  BACKFILL_FAILED: 'backfill-failed',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

/** What an alert is about. Small, no row data, no secrets: it travels through workflow histories. */
export interface Alert {
  readonly kind: AlertKind;
  readonly pipeline: string;
  /** The partition(s) concerned; for a backfill, up to 10 of the failed ones. */
  readonly partitions: readonly string[];
  /** Why: the failure or check message. */
  readonly reason: string;
  /** The workflow to open in the Temporal UI (partition or backfill). */
  readonly workflowId: string;
  readonly runId?: string;
  /** Step that failed (partition alerts). */
  readonly step?: string;
  /** Backfills: number of failed partitions (may exceed `failures.length`). */
  readonly failedCount?: number;
  /** Backfills: partitions in the range. */
  readonly total?: number;
  /** Backfills: the range, for the re-run command. */
  readonly range?: { readonly from: string; readonly to: string };
  /** Backfills: up to 10 failed partitions with their errors. */
  readonly failures?: readonly { readonly partition: string; readonly error: string }[];
}

export interface AlertOutcome {
  /** Posted to Slack and accepted. */
  readonly delivered: boolean;
  /** Why not delivered: `no webhook configured`, or the error (webhook URL scrubbed). */
  readonly error?: string;
}

export const MAX_ALERT_PARTITIONS = 10;

type UiConfig = Pick<Config, 'uiUrl' | 'namespace'>;

/** Slack mrkdwn escaping of free text (`&`, `<`, `>`). */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The link to the alert's workflow in the Temporal UI. */
export function alertUrl(alert: Pick<Alert, 'workflowId' | 'runId'>, config: UiConfig): string {
  return workflowUiUrl(config, alert.workflowId, alert.runId);
}

/** The alert as Slack text (mrkdwn): headline, pipeline, partition(s), reason, Temporal UI link, next step. */
export function formatAlert(alert: Alert, config: UiConfig): string {
  const url = alertUrl(alert, config);
  const p = alert.pipeline;
  const lines: string[] = [];
  if (alert.kind === AlertKind.BACKFILL_FAILED) {
    const failed = alert.failedCount ?? alert.partitions.length;
    const range = alert.range ? ` ${alert.range.from} … ${alert.range.to}` : '';
    lines.push(`:rotating_light: *DataPulse backfill of ${esc(p)}${esc(range)}: ${failed} partition${failed === 1 ? '' : 's'} failed*${alert.total ? ` (of ${alert.total})` : ''}`);
    lines.push(`pipeline: \`${esc(p)}\`  reason: ${esc(oneLine(alert.reason, 300))}`);
    const failures = alert.failures ?? alert.partitions.map((partition) => ({ partition, error: '' }));
    for (const f of failures.slice(0, MAX_ALERT_PARTITIONS)) {
      lines.push(`• \`${esc(f.partition)}\` ${esc(oneLine(f.error, 200))} <${workflowUiUrl(config, `${p}/${f.partition}`)}|history>`);
    }
    if (failed > Math.min(failures.length, MAX_ALERT_PARTITIONS)) lines.push(`… and ${failed - Math.min(failures.length, MAX_ALERT_PARTITIONS)} more`);
    lines.push(`Temporal UI: ${url}`);
    if (alert.range) lines.push(`re-run: \`datapulse backfill ${esc(p)} --from ${alert.range.from} --to ${alert.range.to} --only-failed\``);
    return lines.join('\n');
  }
  const partition = alert.partitions[0] ?? '?';
  const headline =
    alert.kind === AlertKind.VOLUME_ANOMALY
      ? `:warning: *DataPulse volume anomaly in ${esc(p)}/${esc(partition)}* (warning: the partition goes on)`
      : alert.kind === AlertKind.CHECK_WARNING
        ? `:warning: *DataPulse check warning in ${esc(p)}/${esc(partition)}* (the partition goes on)`
        : alert.kind === AlertKind.CHECK_FAILED
        ? `:rotating_light: *DataPulse ${esc(p)}/${esc(partition)} failed a blocking check*`
        : `:rotating_light: *DataPulse ${esc(p)}/${esc(partition)} failed${alert.step ? ` in ${esc(alert.step)}` : ''}*`;
  lines.push(headline);
  lines.push(`pipeline: \`${esc(p)}\`  partition: \`${esc(partition)}\``);
  lines.push(`reason: ${esc(oneLine(alert.reason, 1500))}`);
  lines.push(`Temporal UI: ${url}`);
  lines.push(`next: \`datapulse quarantine ${esc(p)} ${esc(partition)}\`, fix, then \`datapulse run ${esc(p)} ${esc(partition)}\``);
  return lines.join('\n');
}

/** Removes every trace of `secret` (and its path, the secret part of a Slack webhook URL) from `text`. */
export function scrub(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text.split(secret).join('<webhook>');
  try {
    const { pathname, search } = new URL(secret);
    if (pathname.length > 1) out = out.split(pathname).join('<webhook-path>');
    if (search.length > 1) out = out.split(search).join('');
  } catch {
    // not a URL: the literal replacement above is all we can do
  }
  return out;
}

export interface AlerterOptions {
  readonly config: UiConfig & Pick<Config, 'slackWebhookUrl'>;
  readonly logger: Logger;
  /** Per-post timeout. @default 10000 */
  readonly timeoutMs?: number;
}

export interface Alerter {
  send(alert: Alert): Promise<AlertOutcome>;
}

export function createAlerter(opts: AlerterOptions): Alerter {
  const webhookUrl = opts.config.slackWebhookUrl;
  // No retries in the client: one attempt, bounded by the timeout (an alert must never hold up a partition).
  const webhook = webhookUrl ? new IncomingWebhook(webhookUrl, { timeout: opts.timeoutMs ?? 10_000, retryConfig: { retries: 0 } }) : undefined;
  const log = opts.logger.child({ component: 'alerts' });

  return {
    async send(alert) {
      const url = alertUrl(alert, opts.config);
      const fields = {
        alert: alert.kind,
        pipeline: alert.pipeline,
        partitions: alert.partitions.slice(0, MAX_ALERT_PARTITIONS),
        ...(alert.failedCount !== undefined ? { failedCount: alert.failedCount } : {}),
        reason: oneLine(alert.reason, 1500),
        workflowId: alert.workflowId,
        ...(alert.runId ? { runId: alert.runId } : {}),
        url,
      };
      try {
        log.warn({ ...fields, slack: Boolean(webhook) }, `alert: ${alert.kind} ${alert.pipeline} ${alert.partitions.slice(0, 3).join(', ')}${alert.partitions.length > 3 ? ', …' : ''}`);
        if (!webhook) return { delivered: false, error: 'no webhook configured (SLACK_WEBHOOK_URL unset): logged only' };
        await webhook.send({ text: formatAlert(alert, opts.config), unfurl_links: false });
        return { delivered: true };
      } catch (err) {
        const e = err as Error & { code?: string; original?: { code?: string; response?: { status?: number } } };
        const status = e.original?.response?.status;
        const cause = status ? ` (HTTP ${status})` : e.original?.code ? ` (${e.original.code})` : '';
        const error = scrub(`${e.message || String(err)}${cause}`, webhookUrl).slice(0, 500);
        try {
          log.warn({ alert: alert.kind, pipeline: alert.pipeline, partitions: fields.partitions, error }, 'alert could not be sent to Slack; it is in this log only');
        } catch {
          // a broken log destination must not fail the caller either
        }
        return { delivered: false, error };
      }
    },
  };
}
