/**
 * The freelance platform's part of `npm run demo` (issue 14): writes the generated profiles (JSON)
 * and invoices (CSV) into the landing folder, loads the profiles snapshot, backfills the invoices
 * (monthly partitions) and the derived datasets, evaluates the alerts (overdue invoices, occupancy
 * outside 60–90 %) and posts them once to the alert webhook — a local receiver started here when
 * SLACK_WEBHOOK_URL is not set, whose received messages are printed — then prints the dashboards.
 *
 * Scale: `FREELANCE_DEMO_SCALE` invoices (default 50000, the size).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { startOrAttachBackfill } from '../../ops/backfill-client';
import { evaluateFreelanceAlerts } from '../../ops/freelance-alerts';
import { startPartition } from '../../ops/partition-runs';
import { createNotificationActivities } from '../../activities/notifications';
import type { Config } from '../../infra/config';
import type { Pool } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { registry } from '../../pipelines';
import { generateFreelance } from '../generate-freelance';
import { follow } from './backfill';
import { say } from './stack';

/** Runs the freelance demo on a started stack; returns the number of failures. */
export async function freelanceDemo(client: Client, config: Config, pool: Pool, consoleUrl: string): Promise<number> {
  const t0 = Date.now();
  const scale = Number(process.env.FREELANCE_DEMO_SCALE || 50_000);
  say();
  const m = await generateFreelance({ out: config.landingDir, scale });
  say(`Freelance:  ${m.rows.profiles} profiles (${m.files.profiles.length} JSON files, French keys in profils-*.json) and ${m.rows.invoices} invoices (${m.files.invoices.length} CSV files) in ${config.landingDir}`);
  let failed = 0;
  const run = async (pipeline: string, partition: string) => {
    try {
      const s = await (await startPartition(client, config, { pipeline, partition, trigger: 'run' })).result();
      say(`            ${pipeline}/${partition}: ${JSON.stringify(s).slice(0, 160)}`);
    } catch (err) {
      failed++;
      say(`            ${pipeline}/${partition} FAILED: ${(err as Error).message}`);
    }
  };
  const backfill = async (pipeline: string, from: string, to: string) => {
    const { handle } = await startOrAttachBackfill(client, config, registry.get(pipeline), { from, to, mode: 'missing', concurrency: 4 });
    const s = await follow(client, config, handle.workflowId);
    failed += s?.failed ?? 1;
  };
  const last = m.months[m.months.length - 1]!;
  // Invoices of the last month are issued up to the 5th of the month after.
  const [y, mo] = last.split('-').map(Number) as [number, number];
  const to = mo === 12 ? `${y + 1}-02` : mo === 11 ? `${y + 1}-01` : `${y}-${String(mo + 2).padStart(2, '0')}`;
  await run('freelance_profiles', 'all');
  await run('freelancers', 'all');
  await backfill('freelance_invoices', '2024-01', to);
  await backfill('freelance_revenue', '2024-01', to);
  await backfill('freelance_receivables', '2024-01', to);
  await run('freelance_skill_supply', 'all');

  // Alerts through the alert channel, once per occurrence.
  let receiver: { url: string; texts: string[]; close(): Promise<void> } | undefined;
  let url = process.env.NOTIFY_WEBHOOK_URL_ALERTS || process.env.SLACK_WEBHOOK_URL;
  if (!url) {
    receiver = await startLocalReceiver();
    url = receiver.url;
    say(`Alerts:     no SLACK_WEBHOOK_URL set: posting to a local webhook receiver at ${url}`);
  }
  const result = await evaluateFreelanceAlerts(pool, { asOf: m.asOf });
  const { drainNotifications } = createNotificationActivities({ pool, logger: createLogger('error'), env: { SLACK_WEBHOOK_URL: url } });
  const drained = await drainNotifications({ channel: 'alerts', minIntervalMs: 200, budgetMs: 30_000 });
  // Most occurrences were recorded already, by the evaluation that runs after every freelance_revenue load.
  const { rows: seen } = await pool.query<{ kind: string; n: number; keys: string }>(
    `SELECT kind, count(*)::int AS n, string_agg(key, ', ' ORDER BY key) AS keys FROM freelance_alert_keys GROUP BY kind ORDER BY kind`,
  );
  const overdue = seen.find((r) => r.kind === 'overdue')?.n ?? 0;
  const months = seen.find((r) => r.kind === 'occupancy')?.keys ?? 'none';
  say(`Alerts:     evaluated after every freelance_revenue load and once more here (as of ${m.asOf}: ${result.newOverdue} new): ${overdue} overdue invoices and occupancy out of 60–90 % in ${months}, each recorded once; ${drained.posted} message(s) posted (a re-run posts nothing new)`);
  for (const t of receiver?.texts ?? []) say(`  received: ${t.split('\n')[0]}`);
  await receiver?.close();

  say(`Dashboards: ${consoleUrl}dashboards/freelance-finance  ·  ${consoleUrl}dashboards/freelance-resources  ·  ${consoleUrl}dashboards/freelance-live`);
  say(`Freelance demo: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return failed;
}

/** A local stand-in for the alert webhook: records the text of each POST and answers 200 `ok`. */
async function startLocalReceiver(): Promise<{ url: string; texts: string[]; close(): Promise<void> }> {
  const texts: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        texts.push(String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown }).text ?? ''));
      } catch {
        texts.push(Buffer.concat(chunks).toString('utf8'));
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/services/demo/alerts`, texts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
