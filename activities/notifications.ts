/**
 * A notification outbox for outside effects that must happen once per key — a Slack post per new
 * sport activity (issue 13) — however often the partition that found the key is retried, re-loaded
 * or replayed, and whatever worker dies when.
 *
 * **Enqueue** (`enqueueNotifications`, called inside a step's transaction or after it): one row per
 * (channel, key) in `notification_outbox`; a key already known is left alone (primary key, ON
 * CONFLICT DO NOTHING), so retries and replays add nothing. History (a backfill, a replay, late data:
 * see core/sport-benefits.ts `notificationOrigin`) is recorded as `suppressed` and never posted — nor
 * by a later live run of the same partition, since the key is then known.
 *
 * **Drain** (`drainNotifications`, the activity the per-channel `notificationsWorkflow` runs): under a
 * per-channel PostgreSQL advisory lock held on one session for the whole drain (one drainer per
 * channel, and a zombie attempt that still holds it blocks the next instead of posting twice), it
 * loops: claim the oldest pending key (`posting`, committed), POST it to the channel's incoming
 * webhook, record the outcome (`posted`, committed). Posts are paced to `minIntervalMs` (Slack allows
 * one message per second per webhook), measured from the end of the previous post (on start, from
 * the last claim or post in the table, so the pace holds across attempts and workers).
 *
 * **Exactly once, and where it cannot be.** Slack's incoming webhooks take no idempotency key and
 * cannot be asked what they received, so no sender can make the step "POST then record" atomic. The
 * outbox narrows the gap to the window between committing the claim and committing the outcome of
 * one POST, and resolves it towards *no duplicate*: a drainer that finds a `posting` row (it holds
 * the lock, so that row's drainer is dead) marks it `in_doubt` and does not post it again. If the
 * worker died after Slack received the POST (the usual case: the request is sent within a
 * millisecond of the claim), the user saw the message once; if it died in the sub-millisecond gap
 * before the request left, the message is lost — at most once, listed as in doubt for an operator,
 * who can re-post it (`UPDATE notification_outbox SET status = 'pending' WHERE ...`). The same holds
 * for an answer that never comes (timeout, connection reset after sending). Errors that prove the
 * POST was not taken — connection refused, DNS failure, any HTTP status (429 and 5xx included) —
 * put the key back to `pending` with a backoff (Retry-After when given): Slack being down delays
 * posts, never fails a pipeline, never loses one.
 *
 * The webhook URL of channel `c` is the worker's environment variable `NOTIFY_WEBHOOK_URL_<C>`: a
 * secret, never in a workflow input or history, never logged (scrubbed from error text).
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { IncomingWebhook } from '@slack/webhook';
import { scrub } from './alerts';
import type { Pool, PoolClient } from '../infra/db';
import type { Logger } from '../infra/logger';
import type { NotificationOrigin } from '../core/sport-benefits';

/** The channel of business alerts (freelance overdue invoices, occupancy): posted to `NOTIFY_WEBHOOK_URL_ALERTS`, else `SLACK_WEBHOOK_URL`. */
export const ALERTS_CHANNEL = 'alerts';

/** One message to post once, under a key unique in its channel (e.g. an activity id). */
export interface NotificationItem {
  readonly key: string;
  /** Slack text (mrkdwn); no secrets. */
  readonly message: string;
}

export interface EnqueueInput {
  readonly channel: string;
  /** Where the keys come from, e.g. `sport_activities/2025-06-12`. */
  readonly source: string;
  /** `history` rows are recorded as suppressed, never posted. */
  readonly origin: NotificationOrigin;
  readonly items: readonly NotificationItem[];
}

export interface EnqueueResult {
  /** Keys new to the ledger (pending if live, suppressed if history). */
  readonly inserted: number;
  /** Keys already known (posted, pending, suppressed...): left as they were. */
  readonly known: number;
}

const CHANNEL_RE = /^[a-z][a-z0-9_]{0,62}$/;

/** Thrown when a channel name is not a lower-case identifier. */
export class InvalidChannelError extends Error {
  override readonly name = 'InvalidChannelError';
}

function assertChannel(channel: string): void {
  if (!CHANNEL_RE.test(channel)) throw new InvalidChannelError(`invalid notification channel ${JSON.stringify(channel)}: expected lower-case letters, digits and _`);
}

/** The environment variable holding channel `channel`'s webhook URL: `NOTIFY_WEBHOOK_URL_SPORT` for `sport`. */
export function webhookEnvName(channel: string): string {
  assertChannel(channel);
  return `NOTIFY_WEBHOOK_URL_${channel.toUpperCase()}`;
}

/**
 * Records keys in the outbox, once: new live keys become `pending`, new history keys `suppressed`,
 * known keys are left alone. Runs on `db` (a pool, or a client inside the caller's transaction, so
 * the keys commit with the rows that produced them). Throws InvalidChannelError, or on a duplicate
 * key within `items` nothing (the first wins).
 */
export async function enqueueNotifications(db: Pool | PoolClient, input: EnqueueInput): Promise<EnqueueResult> {
  assertChannel(input.channel);
  if (input.items.length === 0) return { inserted: 0, known: 0 };
  const status = input.origin === 'live' ? 'pending' : 'suppressed';
  const { rowCount } = await db.query(
    `INSERT INTO notification_outbox (channel, key, message, origin, status, source)
     SELECT $1, k, m, $4, $5, $6 FROM unnest($2::text[], $3::text[]) AS t(k, m)
     ON CONFLICT (channel, key) DO NOTHING`,
    [input.channel, input.items.map((i) => i.key), input.items.map((i) => i.message), input.origin, status, input.source],
  );
  return { inserted: rowCount ?? 0, known: input.items.length - (rowCount ?? 0) };
}

/** How one POST ended. */
export type PostOutcome =
  | { readonly kind: 'posted' }
  /** Provably not taken by Slack: retry later (after `retryAfterMs` when Slack said so). */
  | { readonly kind: 'not-delivered'; readonly error: string; readonly retryAfterMs?: number }
  /** May or may not have been taken (timeout, connection reset after sending): never re-posted. */
  | { readonly kind: 'in-doubt'; readonly error: string };

/** Network errors that happen before a request is sent: the POST certainly did not arrive. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

/**
 * Classifies an error thrown by `IncomingWebhook.send` (@slack/webhook 7): any HTTP answer means
 * Slack did not post (not delivered; 429/503 with Retry-After honoured); a connection that could not
 * be opened means the same; anything else (timeout, reset) is in doubt. `secret` is scrubbed.
 */
export function classifyPostError(err: unknown, secret: string | undefined): Exclude<PostOutcome, { kind: 'posted' }> {
  const e = err as Error & { original?: { code?: string; response?: { status?: number; headers?: Record<string, unknown> } } };
  const status = e.original?.response?.status;
  const code = e.original?.code;
  const error = scrub(`${e.message || String(err)}${status ? ` (HTTP ${status})` : code ? ` (${code})` : ''}`, secret).slice(0, 500);
  if (status !== undefined) {
    const header = e.original?.response?.headers?.['retry-after'];
    const seconds = header === undefined ? Number.NaN : Number(header);
    return { kind: 'not-delivered', error, ...(Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}) };
  }
  if (code && NOT_SENT_CODES.has(code)) return { kind: 'not-delivered', error };
  return { kind: 'in-doubt', error };
}

export interface DrainInput {
  readonly channel: string;
  /** Stop claiming new keys after this long (the workflow calls again). @default 300000 */
  readonly budgetMs?: number;
  /** Least time between two posts on the channel (Slack: 1 message/s per webhook). @default 1000 */
  readonly minIntervalMs?: number;
}

export interface DrainResult {
  readonly posted: number;
  /** Keys found claimed by a dead drainer and marked in doubt in this drain. */
  readonly inDoubt: number;
  /** Keys still pending when the drain stopped. */
  readonly pending: number;
  /** Set when posting stopped on an error: wait this long before the next drain. */
  readonly retryAfterMs?: number;
  /** The last delivery error (webhook URL scrubbed). */
  readonly lastError?: string;
  /** No webhook URL configured for the channel: nothing was posted, keys stay pending. */
  readonly unconfigured?: boolean;
  /** Another drainer holds the channel lock: nothing was done. */
  readonly busy?: boolean;
}

export interface NotificationActivityDeps {
  readonly pool: Pool;
  readonly logger: Logger;
  /** Environment holding the webhook URLs. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Per-post timeout. @default 10000 */
  readonly postTimeoutMs?: number;
}

/** Backoff after a delivery failure: 2 s doubling per attempt of the key, at most 5 min. */
function backoffMs(attempts: number): number {
  return Math.min(300_000, 2000 * 2 ** Math.max(0, attempts - 1));
}

export function createNotificationActivities(deps: NotificationActivityDeps) {
  const env = deps.env ?? process.env;
  const log = deps.logger.child({ component: 'notifications' });

  function ctx() {
    try {
      return Context.current();
    } catch {
      return undefined;
    }
  }

  /**
   * Posts the channel's pending keys, one at a time and paced, until none is left, the budget is
   * spent, or a delivery fails (then returns when to try again). Never throws for Slack being down
   * or wrong; throws (retryably) only when PostgreSQL fails. See the module comment.
   */
  async function drainNotifications(input: DrainInput): Promise<DrainResult> {
    assertChannel(input.channel);
    const c = ctx();
    const budgetMs = input.budgetMs ?? 300_000;
    const minIntervalMs = input.minIntervalMs ?? 1000;
    const started = Date.now();
    // Channel `alerts` falls back to the alert channel's webhook (SLACK_WEBHOOK_URL).
    const url = env[webhookEnvName(input.channel)] || (input.channel === ALERTS_CHANNEL ? env.SLACK_WEBHOOK_URL : undefined) || undefined;
    const who = c ? `${c.info.workflowExecution?.workflowId ?? '?'}/${c.info.activityId}#${c.info.attempt}` : `direct/${process.pid}`;
    const session = await deps.pool.connect();
    let locked = false;
    try {
      const lock = await session.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext(current_schema() || ':notify:' || $1)) AS ok`, [input.channel]);
      locked = lock.rows[0]!.ok;
      const countPending = async () =>
        Number((await session.query<{ n: string }>(`SELECT count(*) AS n FROM notification_outbox WHERE channel = $1 AND status = 'pending'`, [input.channel])).rows[0]!.n);
      if (!locked) return { posted: 0, inDoubt: 0, pending: await countPending(), busy: true };

      // Holding the lock, any `posting` row was left by a drainer that died mid-post.
      const doubt = await session.query(
        `UPDATE notification_outbox SET status = 'in_doubt', last_error = 'the drainer died between claiming and recording this post: it may or may not have reached Slack; not re-posted'
          WHERE channel = $1 AND status = 'posting'`,
        [input.channel],
      );
      const inDoubt = doubt.rowCount ?? 0;
      if (inDoubt > 0) log.warn({ channel: input.channel, inDoubt }, 'notifications left in doubt by a dead drainer: not re-posted (see notification_outbox status in_doubt)');
      if (!url) {
        const pending = await countPending();
        if (pending > 0) log.warn({ channel: input.channel, pending, env: webhookEnvName(input.channel) }, 'no webhook configured for the channel: notifications stay pending');
        return { posted: 0, inDoubt, pending, unconfigured: true };
      }
      const webhook = new IncomingWebhook(url, { timeout: deps.postTimeoutMs ?? 10_000, retryConfig: { retries: 0 } });

      let posted = 0;
      const last = await session.query<{ t: Date | null }>(`SELECT greatest(max(claimed_at), max(posted_at)) AS t FROM notification_outbox WHERE channel = $1`, [input.channel]);
      let lastPostMs = last.rows[0]!.t?.getTime() ?? 0;
      while (Date.now() - started < budgetMs) {
        if (c?.cancellationSignal.aborted) break;
        c?.heartbeat({ posted });
        const wait = lastPostMs + minIntervalMs - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const claim = await session.query<{ key: string; message: string; attempts: number }>(
          `UPDATE notification_outbox o SET status = 'posting', claimed_at = clock_timestamp(), claimed_by = $2, attempts = o.attempts + 1
            WHERE (o.channel, o.key) = (SELECT channel, key FROM notification_outbox
                                         WHERE channel = $1 AND status = 'pending' AND next_attempt_at <= clock_timestamp()
                                         ORDER BY created_at, key LIMIT 1)
            RETURNING o.key, o.message, o.attempts`,
          [input.channel, who],
        );
        const item = claim.rows[0];
        if (!item) break;
        let outcome: PostOutcome;
        try {
          await webhook.send({ text: item.message, unfurl_links: false });
          outcome = { kind: 'posted' };
        } catch (err) {
          outcome = classifyPostError(err, url);
        }
        // Paced from the end of this post: the next one leaves at least minIntervalMs after Slack
        // answered (or gave up on) this one, so arrivals are spaced too.
        lastPostMs = Date.now();
        if (outcome.kind === 'posted') {
          await session.query(`UPDATE notification_outbox SET status = 'posted', posted_at = clock_timestamp(), last_error = NULL WHERE channel = $1 AND key = $2`, [input.channel, item.key]);
          posted++;
          continue;
        }
        if (outcome.kind === 'in-doubt') {
          await session.query(`UPDATE notification_outbox SET status = 'in_doubt', last_error = $3 WHERE channel = $1 AND key = $2`, [input.channel, item.key, outcome.error]);
          log.warn({ channel: input.channel, key: item.key, error: outcome.error }, 'notification in doubt (no answer): not re-posted');
          continue;
        }
        const retryAfterMs = outcome.retryAfterMs ?? backoffMs(item.attempts);
        await session.query(
          `UPDATE notification_outbox SET status = 'pending', last_error = $3, next_attempt_at = clock_timestamp() + $4 * interval '1 millisecond' WHERE channel = $1 AND key = $2`,
          [input.channel, item.key, outcome.error, retryAfterMs],
        );
        log.warn({ channel: input.channel, key: item.key, error: outcome.error, retryAfterMs }, 'notification not delivered: will retry');
        return { posted, inDoubt, pending: await countPending(), retryAfterMs, lastError: outcome.error };
      }
      // Pending keys not yet due (backoff) tell the workflow when to come back.
      const next = await session.query<{ ms: string | null; n: string }>(
        `SELECT count(*) AS n, ceil(extract(epoch FROM min(next_attempt_at) - clock_timestamp()) * 1000) AS ms FROM notification_outbox WHERE channel = $1 AND status = 'pending'`,
        [input.channel],
      );
      const pending = Number(next.rows[0]!.n);
      const dueIn = next.rows[0]!.ms === null ? undefined : Math.max(0, Number(next.rows[0]!.ms));
      return { posted, inDoubt, pending, ...(pending > 0 && dueIn !== undefined && dueIn > 0 ? { retryAfterMs: dueIn } : {}) };
    } finally {
      let unlocked = true;
      if (locked) {
        unlocked = await session
          .query(`SELECT pg_advisory_unlock(hashtext(current_schema() || ':notify:' || $1))`, [input.channel])
          .then(() => true)
          .catch(() => false);
      }
      // A session that may still hold the channel lock is closed, not returned to the pool.
      session.release(!unlocked);
    }
  }

  return { drainNotifications };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;

/**
 * Wakes channel `channel`'s drain workflow (`notifications/<taskQueue>/<channel>`), starting it on `taskQueue`
 * if it is not running (signal-with-start): call after enqueueing live keys. Only the channel name
 * (and the idle time) enters the workflow's input.
 */
export async function notifyChannel(client: Client, taskQueue: string, input: { channel: string; idleMs?: number }): Promise<{ workflowId: string }> {
  assertChannel(input.channel);
  // The task queue is part of the id (as for automation): deployments sharing a Temporal namespace
  // (one per schema and queue) each get their own drainer, reading their own outbox.
  const workflowId = `notifications/${taskQueue}/${input.channel}`;
  await client.workflow.signalWithStart('notificationsWorkflow', {
    workflowId,
    taskQueue,
    args: [{ channel: input.channel, ...(input.idleMs !== undefined ? { idleMs: input.idleMs } : {}) }],
    signal: 'notify',
    signalArgs: [],
  });
  return { workflowId };
}
