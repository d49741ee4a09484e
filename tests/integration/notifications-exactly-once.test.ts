/**
 * The notification outbox (activities/notifications.ts + workflows/notifications.ts) with a real
 * `datapulse worker` process, real Temporal, real PostgreSQL and a real HTTP receiver in Slack's
 * place:
 * - the worker is SIGKILLed while Slack holds the answer to a post: the new worker does not post it
 *   again (in doubt), posts the rest once each, paced at one per second; history is never posted;
 *   enqueueing the same keys again (a retried or replayed partition) posts nothing;
 * - Slack down (connection refused), then rate-limiting (429 + Retry-After): posts wait and retry,
 *   the drain workflow does not fail, and every message arrives once;
 * - a drain that finds its channel locked by another (a zombie attempt) posts nothing; without a
 *   webhook URL keys wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationActivities, enqueueNotifications, notifyChannel } from '../../activities/notifications';
import { createLogger } from '../../infra/logger';
import { createFaultFixture, type FaultFixture } from './fault-fixture';
import { recordHistory } from './harness';
import { spawnWorker, waitFor, waitForPoller, type WorkerProcess } from './processes';
import { startSlackReceiver, type SlackReceiver } from './slack-receiver';

let f: FaultFixture;
let worker: WorkerProcess;
let slack: SlackReceiver;

const env = () => ({ ...f.workerEnv(), NOTIFY_WEBHOOK_URL_SPORT: slack.url });

beforeAll(async () => {
  f = await createFaultFixture();
  slack = await startSlackReceiver();
  worker = spawnWorker(env());
  await waitForPoller(f.client, f.taskQueue, worker);
}, 120_000);

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await slack?.close();
  await f?.close();
});

async function statuses(prefix: string): Promise<Record<string, string>> {
  const { rows } = await f.pool.query<{ key: string; status: string }>(`SELECT key, status FROM notification_outbox WHERE channel = 'sport' AND key LIKE $1 ORDER BY key`, [`${prefix}%`]);
  return Object.fromEntries(rows.map((r) => [r.key, r.status]));
}

const item = (key: string) => ({ key, message: `Bravo Léa! 10.8 km of running in 46 min (${key})` });
const keyOf = (text: string) => /\((\w+)\)$/.exec(text)?.[1];

describe('Slack posts exactly once', () => {
  it('a worker killed mid-post: the post is not repeated, the others go out once each, paced; history never', { timeout: 180_000 }, async () => {
    const live = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    expect(await enqueueNotifications(f.pool, { channel: 'sport', source: 'sport_activities/2025-06-12', origin: 'live', items: live.map(item) })).toEqual({ inserted: 6, known: 0 });
    expect(await enqueueNotifications(f.pool, { channel: 'sport', source: 'sport_activities/2025-01-03', origin: 'history', items: ['h1', 'h2', 'h3'].map(item) })).toEqual({ inserted: 3, known: 0 });
    expect(await statuses('h')).toEqual({ h1: 'suppressed', h2: 'suppressed', h3: 'suppressed' });

    const { workflowId } = await notifyChannel(f.client, f.taskQueue, { channel: 'sport', idleMs: 2000 });
    await waitFor('two posts', () => slack.shown.length >= 2, { timeoutMs: 60_000 });
    const held = slack.holdNext();
    const heldText = await held;
    // The body has reached "Slack"; the worker waits for the answer. Kill it now.
    expect(await statuses('a')).toMatchObject({ [keyOf(heldText)!]: 'posting' });
    expect(await worker.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    slack.release();
    worker = spawnWorker(env());

    const result = await f.client.workflow.getHandle(workflowId).result();
    // The workflow counts what finished attempts report: the killed attempt's two posts are in the
    // outbox ledger, not in its result.
    expect(result).toMatchObject({ posted: 3, inDoubt: 1, pending: 0, unconfigured: false });
    await recordHistory(f.client.workflow.getHandle(workflowId), 'notifications-worker-killed-mid-post');
    // Neither the webhook URL nor any message text travels through Temporal.
    const history = JSON.stringify(await f.client.workflow.getHandle(workflowId).fetchHistory());
    expect(history).not.toContain('whsecsportreceiver');
    expect(history).not.toContain('Bravo');
    // Each live key shown once, nothing else posted at all (no re-post of the held one, no history).
    expect(slack.all.map((p) => keyOf(p.text)).sort()).toEqual(live);
    expect(slack.shown.map((p) => keyOf(p.text)).sort()).toEqual(live);
    const after = await statuses('a');
    expect(Object.values(after).filter((s) => s === 'posted')).toHaveLength(5);
    expect(after[keyOf(heldText)!]).toBe('in_doubt');
    // Paced: at least ~1 s between two posts (the receiver's clock; 50 ms of slack for scheduling).
    const times = slack.all.map((p) => p.atMs);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `gap before post ${i + 1}`).toBeGreaterThanOrEqual(950);

    // The partition retried or replayed: its keys are known, nothing new is enqueued or posted.
    expect(await enqueueNotifications(f.pool, { channel: 'sport', source: 'sport_activities/2025-06-12', origin: 'live', items: live.map(item) })).toEqual({ inserted: 0, known: 6 });
    // A history key later seen live (e.g. a re-run) stays suppressed.
    expect(await enqueueNotifications(f.pool, { channel: 'sport', source: 'sport_activities/2025-01-03', origin: 'live', items: [item('h1')] })).toEqual({ inserted: 0, known: 1 });
    const again = await notifyChannel(f.client, f.taskQueue, { channel: 'sport', idleMs: 500 });
    expect(await f.client.workflow.getHandle(again.workflowId).result()).toMatchObject({ posted: 0 });
    expect(slack.all).toHaveLength(6);
    await waitForPoller(f.client, f.taskQueue, worker);
  });

  it('Slack down, then rate-limiting: posts wait and retry, the workflow never fails, each arrives once', { timeout: 180_000 }, async () => {
    const before = slack.all.length;
    await slack.stop();
    await enqueueNotifications(f.pool, { channel: 'sport', source: 'sport_activities/2025-06-13', origin: 'live', items: ['b1', 'b2'].map(item) });
    const { workflowId } = await notifyChannel(f.client, f.taskQueue, { channel: 'sport', idleMs: 1000 });
    const refused = await waitFor('a refused post recorded', async () => {
      const { rows } = await f.pool.query<{ status: string; attempts: number; last_error: string }>(`SELECT status, attempts, last_error FROM notification_outbox WHERE channel = 'sport' AND key = 'b1'`);
      return rows[0]?.last_error ? rows[0] : undefined;
    });
    expect(refused).toMatchObject({ status: 'pending', attempts: 1 });
    expect(refused.last_error).toMatch(/ECONNREFUSED/);
    expect(refused.last_error).not.toContain('whsecsportreceiver');
    const handle = f.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    slack.mode = 'ratelimit';
    slack.retryAfterS = 2;
    await slack.restart();
    await waitFor('a 429 answered', () => slack.all.slice(before).some((p) => p.status === 429), { timeoutMs: 60_000 });
    const limitedAt = slack.all.slice(before).find((p) => p.status === 429)!.atMs;
    slack.mode = 'ok';
    const result = await handle.result();
    expect(result).toMatchObject({ posted: 2, inDoubt: 0, pending: 0 });
    const shown = slack.shown.filter((p) => /\(b\d\)$/.test(p.text));
    expect(shown.map((p) => keyOf(p.text)).sort()).toEqual(['b1', 'b2']);
    // Retry-After honoured: the next post came at least 2 s after the 429.
    expect(shown[0]!.atMs - limitedAt).toBeGreaterThanOrEqual(1950);
    expect(await statuses('b')).toEqual({ b1: 'posted', b2: 'posted' });
  });

  it('one drainer per channel: a drain finding the channel locked (a zombie attempt) posts nothing; no webhook: keys wait', { timeout: 60_000 }, async () => {
    const logger = createLogger('silent');
    await enqueueNotifications(f.pool, { channel: 'sport_direct', source: 'test', origin: 'live', items: [item('c1')] });
    const before = slack.all.length;
    const holder = await f.pool.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext(current_schema() || ':notify:' || 'sport_direct'))`);
      const { drainNotifications } = createNotificationActivities({ pool: f.pool, logger, env: { NOTIFY_WEBHOOK_URL_SPORT_DIRECT: slack.url } });
      expect(await drainNotifications({ channel: 'sport_direct' })).toEqual({ posted: 0, inDoubt: 0, pending: 1, busy: true });
      expect(slack.all.length).toBe(before);
      await holder.query(`SELECT pg_advisory_unlock(hashtext(current_schema() || ':notify:' || 'sport_direct'))`);
      // Without a webhook URL nothing is posted and the key waits.
      const unconfigured = createNotificationActivities({ pool: f.pool, logger, env: {} });
      expect(await unconfigured.drainNotifications({ channel: 'sport_direct' })).toEqual({ posted: 0, inDoubt: 0, pending: 1, unconfigured: true });
      expect(await drainNotifications({ channel: 'sport_direct' })).toEqual({ posted: 1, inDoubt: 0, pending: 0 });
      expect(slack.all.slice(before).map((p) => keyOf(p.text))).toEqual(['c1']);
    } finally {
      holder.release();
    }
  });
});
