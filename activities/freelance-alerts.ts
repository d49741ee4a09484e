/**
 * Freelance platform alerts (issue 14), each sent once per occurrence through the alert channel:
 *
 * - **Overdue invoices**: due date before `asOf`, no paid date. Occurrence = the invoice id.
 * - **Occupancy out of band**: a month's pool occupancy — days billed by known freelancers over the
 *   month's working days (Monday–Friday) times the freelancers who billed in it — below `lowPct`
 *   or above `highPct` (params, default 60 and 90 %). Only months that ended before `asOf` and
 *   whose invoices are all loaded: a month's invoices are issued in it and in the first days of the
 *   next, so `freelance_revenue` partitions of both issue months must have succeeded (judging a
 *   half-loaded month would alert "low" for a month that is not).
 *   Occurrence = `YYYY-MM:low` or `YYYY-MM:high`.
 *
 * Exactly once: in one transaction, the occurrences found are inserted into `freelance_alert_keys`
 * (migration 012; primary key = the dedupe key, ON CONFLICT DO NOTHING), and the rows actually
 * inserted become the alert messages queued in `notification_outbox` on channel `alerts` (one
 * message per occupancy month; one digest per evaluation for overdue invoices, listing up to 20 of
 * them with the count), keyed by their content. A re-run finds every occurrence known and queues
 * nothing; two concurrent runs serialise on the keys. The outbox's drain (activities/notifications.ts)
 * posts each message at most once to `NOTIFY_WEBHOOK_URL_ALERTS`, else `SLACK_WEBHOOK_URL`.
 *
 * Run automatically after every load of `freelance_revenue` (its `afterLoad: ['freelance-alerts']`,
 * see activities/post-load.ts), with the pipeline's params `occupancy_low_pct` / `occupancy_high_pct`
 * and `asOf` = the day of the load (UTC); callable directly too (the demo, tests).
 */
import { createHash } from 'node:crypto';
import type { Pool } from '../infra/db';
import { WORKING_DAYS_SQL } from '../core/business-dates';
import { ALERTS_CHANNEL, enqueueNotifications } from './notifications';

/** Parameters of {@link evaluateFreelanceAlerts}. */
export interface FreelanceAlertOptions {
  /** Reference day `YYYY-MM-DD`: invoices due before it are overdue; months ended before it are judged. @default today (UTC) */
  readonly asOf?: string;
  /** Occupancy below this (in %) alerts. @default 60 */
  readonly lowPct?: number;
  /** Occupancy above this (in %) alerts. @default 90 */
  readonly highPct?: number;
}

/** What one evaluation found and queued. */
export interface FreelanceAlertResult {
  /** Overdue invoices alerted for the first time by this evaluation. */
  readonly newOverdue: number;
  /** Months alerted for the first time (`YYYY-MM:low|high`). */
  readonly newOccupancy: readonly string[];
  /** Messages queued on channel `alerts`. */
  readonly queued: number;
}

/** Thrown for an out-of-range parameter (names it). */
export class FreelanceAlertParamError extends Error {
  override readonly name = 'FreelanceAlertParamError';
}

const fmtPct = (v: string) => `${v} %`;

/** Finds new occurrences, records them and queues their alerts, in one transaction (see the module comment). */
export async function evaluateFreelanceAlerts(pool: Pool, opts: FreelanceAlertOptions = {}): Promise<FreelanceAlertResult> {
  const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10);
  const low = opts.lowPct ?? 60;
  const high = opts.highPct ?? 90;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new FreelanceAlertParamError(`asOf must be YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
  if (!(low >= 0 && high > low && high <= 1000)) throw new FreelanceAlertParamError(`thresholds must satisfy 0 <= low < high, got low ${low}, high ${high}`);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const overdue = await client.query<{ key: string; detail: string }>(
      `INSERT INTO freelance_alert_keys (kind, key, alert_key, detail)
       SELECT 'overdue', i.invoice_id, '',
              i.invoice_id || ': ' || i.amount_eur::text || ' EUR, due ' || i.due_date::text || ' (' || ($1::date - i.due_date) || ' days late), '
                || coalesce(i.freelancer_id, i.freelancer_name) || ' for ' || i.client
         FROM freelance_invoices i
        WHERE i.due_date < $1::date AND i.paid_date IS NULL
        ORDER BY i.due_date, i.invoice_id
       ON CONFLICT (kind, key) DO NOTHING
       RETURNING key, detail`,
      [asOf],
    );
    const occupancy = await client.query<{ key: string; detail: string }>(
      `WITH m AS (
         SELECT invoice_month, sum(days_billed) AS days, count(DISTINCT freelancer_id) AS freelancers,
                ${WORKING_DAYS_SQL('invoice_month')} AS working_days
           FROM freelance_revenue
          WHERE known AND invoice_month + interval '1 month' <= $1::date
            -- Complete months only: a month's invoices are issued in it and early the next month,
            -- so both issue-month partitions must be loaded, or a half-loaded month would alert low.
            AND (SELECT count(*) FROM ledger l
                  WHERE l.pipeline = 'freelance_revenue' AND l.status = 'succeeded'
                    AND l.partition_key IN (to_char(invoice_month, 'YYYY-MM'), to_char(invoice_month + interval '1 month', 'YYYY-MM'))) = 2
          GROUP BY invoice_month
       ), o AS (
         SELECT invoice_month, freelancers, working_days, round(100 * days / (working_days * freelancers), 1) AS pct FROM m WHERE freelancers > 0
       )
       INSERT INTO freelance_alert_keys (kind, key, alert_key, detail)
       SELECT 'occupancy', to_char(invoice_month, 'YYYY-MM') || CASE WHEN pct < $2 THEN ':low' ELSE ':high' END, '',
              pct::text || '|' || freelancers || '|' || working_days
         FROM o WHERE pct < $2 OR pct > $3
         ORDER BY invoice_month
       ON CONFLICT (kind, key) DO NOTHING
       RETURNING key, detail`,
      [asOf, low, high],
    );
    const items: { key: string; message: string }[] = [];
    for (const r of occupancy.rows) {
      const [month, side] = r.key.split(':') as [string, 'low' | 'high'];
      const [pct, freelancers, wd] = r.detail.split('|') as [string, string, string];
      items.push({
        key: `occupancy:${r.key}`,
        message:
          `:bar_chart: *Freelance occupancy ${side === 'low' ? 'below' : 'above'} ${side === 'low' ? low : high} % in ${month}*: ${fmtPct(pct)} ` +
          `(days billed over ${wd} working days × ${freelancers} freelancers who billed). Dashboard: /dashboards/freelance-resources?month=${month}-01`,
      });
    }
    if (overdue.rows.length > 0) {
      const ids = overdue.rows.map((r) => r.key);
      const digest = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16);
      const shown = overdue.rows.slice(0, 20).map((r) => `• ${r.detail}`);
      items.push({
        key: `overdue:${asOf}:${digest}`,
        message: [`:hourglass: *${ids.length} invoice${ids.length === 1 ? '' : 's'} newly overdue as of ${asOf}* (due date passed, unpaid)`, ...shown, ...(ids.length > 20 ? [`… and ${ids.length - 20} more (live dashboard: /dashboards/freelance-live)`] : [])].join('\n'),
      });
      await client.query(`UPDATE freelance_alert_keys SET alert_key = $1 WHERE kind = 'overdue' AND key = ANY($2)`, [`overdue:${asOf}:${digest}`, ids]);
    }
    for (const r of occupancy.rows) await client.query(`UPDATE freelance_alert_keys SET alert_key = $1 WHERE kind = 'occupancy' AND key = $2`, [`occupancy:${r.key}`, r.key]);
    const q = await enqueueNotifications(client, { channel: ALERTS_CHANNEL, source: `freelance-alerts/${asOf}`, origin: 'live', items });
    await client.query('COMMIT');
    return { newOverdue: overdue.rows.length, newOccupancy: occupancy.rows.map((r) => r.key), queued: q.inserted };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
