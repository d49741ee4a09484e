/**
 * The drainer of one notification channel (`notifications/<task queue>/<channel>`): runs `drainNotifications`
 * until the channel's outbox has nothing pending, sleeping when Slack is down or rate-limits (as long
 * as the activity says), then waits `idleMs` for a `notify` signal before ending. Whoever enqueues
 * live keys signals it with start (activities/notifications.ts `notifyChannel`), so one workflow id
 * per channel means one drainer per channel. It never fails because Slack fails: delivery errors come
 * back as results, and only database errors are retried (by the activity's retry policy). It
 * continues-as-new every `drainsPerRun` drains to keep its history short.
 */
import { condition, continueAsNew, defineSignal, log, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { NotificationActivities, DrainResult } from '../activities/notifications';

export interface NotificationsWorkflowInput {
  readonly channel: string;
  /** How long to wait for a new `notify` once the outbox is empty, before ending. @default 60000 */
  readonly idleMs?: number;
  /** Drains per run before continuing-as-new. @default 100 */
  readonly drainsPerRun?: number;
  /** Least time between two posts (Slack: one per second per webhook). @default 1000 */
  readonly minIntervalMs?: number;
}

export interface NotificationsWorkflowResult {
  readonly posted: number;
  readonly inDoubt: number;
  /** Pending keys left when it ended (only when the channel has no webhook configured). */
  readonly pending: number;
  readonly unconfigured: boolean;
}

/** Wakes the drainer: new keys were enqueued. */
export const notifySignal = defineSignal('notify');

const { drainNotifications } = proxyActivities<NotificationActivities>({
  // A drain spends at most its budget (5 min) posting; a post times out after 10 s.
  startToCloseTimeout: '10 minutes',
  // Beats between posts: a dead worker is noticed within this, and the next attempt finds its claim.
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export async function notificationsWorkflow(input: NotificationsWorkflowInput): Promise<NotificationsWorkflowResult> {
  let woken = false;
  setHandler(notifySignal, () => {
    woken = true;
  });
  let posted = 0;
  let inDoubt = 0;
  const drains = input.drainsPerRun ?? 100;
  for (let i = 0; i < drains; i++) {
    woken = false;
    const r: DrainResult = await drainNotifications({ channel: input.channel, ...(input.minIntervalMs !== undefined ? { minIntervalMs: input.minIntervalMs } : {}) });
    posted += r.posted;
    inDoubt += r.inDoubt;
    if (r.unconfigured) return { posted, inDoubt, pending: r.pending, unconfigured: true };
    if (r.busy) {
      // Another drainer (or an attempt not yet known dead) holds the channel: look again shortly.
      await sleep('5 seconds');
      continue;
    }
    if (r.pending > 0) {
      if (r.retryAfterMs !== undefined) {
        log.warn('notifications delayed', { channel: input.channel, pending: r.pending, retryAfterMs: r.retryAfterMs, error: r.lastError });
        await sleep(Math.max(1000, r.retryAfterMs));
      }
      continue;
    }
    if (!woken && !(await condition(() => woken, input.idleMs ?? 60_000))) {
      return { posted, inDoubt, pending: 0, unconfigured: false };
    }
  }
  return continueAsNew<typeof notificationsWorkflow>(input);
}
