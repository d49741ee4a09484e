/**
 * The alert activity. The webhook URL comes from the worker's own configuration (SLACK_WEBHOOK_URL),
 * never from workflow input, so it never enters a history. `sendAlert` never throws: an alert that
 * cannot be delivered is logged and reported in the result, and the pipeline goes on.
 */
import { createAlerter, type Alert, type AlertOutcome } from './alerts';
import type { Config } from '../infra/config';
import type { Logger } from '../infra/logger';

export type { Alert as SendAlertInput, AlertOutcome as SendAlertResult } from './alerts';

export interface AlertActivityDeps {
  readonly config: Pick<Config, 'uiUrl' | 'namespace' | 'slackWebhookUrl'>;
  readonly logger: Logger;
}

export function createAlertActivities(deps: AlertActivityDeps) {
  const alerter = createAlerter({ config: deps.config, logger: deps.logger });

  /** Logs the alert (warn) and posts it to Slack when configured. Never throws. */
  async function sendAlert(alert: Alert): Promise<AlertOutcome> {
    try {
      return await alerter.send(alert);
    } catch (err) {
      // createAlerter already swallows delivery errors; this guards anything unforeseen.
      return { delivered: false, error: `alert failed: ${(err as Error).name}` };
    }
  }

  return { sendAlert };
}
