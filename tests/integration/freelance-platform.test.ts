/**
 * The freelance platform end to end on generated files (real Temporal dev server, worker and
 * PostgreSQL): profiles (JSON, French keys) to `freelancers` with the duplicate rule, invoices to
 * `freelance_revenue` with names resolved and unknown freelancers reported; the indicators equal an
 * independent SQL over the raw CSV rows for a chosen month and skill; every dashboard query runs;
 * the overdue and occupancy alerts reach a webhook by themselves after plain partition runs (the
 * `freelance-alerts` post-load action of `freelance_revenue`, no direct call), once, and only once
 * across re-runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFreelance, type FreelanceManifest, type PlantedDefect } from '../../scripts/generate-freelance';
import { dashboardData, resolveFilters, filterValues } from '../../ops/dashboards';
import { evaluateFreelanceAlerts } from '../../ops/freelance-alerts';
import { freelanceFinance, freelanceLive, freelanceResources } from '../../pipelines/dashboards/freelance';
import { workingDaysInMonth } from '../../core/business-dates';
import { createRegistry } from '../../core/registry';
import { registry as defaultRegistry } from '../../pipelines';
import { createHarness, type Harness } from './harness';
import { waitFor } from './processes';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const OPTS = { scale: 1200, months: 2, freelancers: 60, seed: 7 };
const ISSUE_MONTHS = ['2024-01', '2024-02', '2024-03'];
const MONTH = '2024-01-01';
const SKILL = 'React';
/** Occupancy band of the test (the generated pool bills ~60–90 %): 65 makes sure a month alerts. */
const BAND = { occupancy_low_pct: 60, occupancy_high_pct: 65 };

let h: Harness;
let receiver: WebhookReceiver;
let manifest: FreelanceManifest;
let defects: PlantedDefect[];

beforeAll(async () => {
  // The worker's alert channel is a local webhook receiver; freelance_revenue gets the test's band.
  receiver = await startWebhookReceiver();
  const registry = createRegistry(defaultRegistry.pipelines.map((d) => (d.name === 'freelance_revenue' ? { ...d, params: { ...d.params, ...BAND } } : d)));
  h = await createHarness({ registry, env: { NOTIFY_WEBHOOK_URL_ALERTS: receiver.url } });
  manifest = await generateFreelance({ out: h.landingDir, ...OPTS });
  defects = readFileSync(path.join(h.landingDir, 'defects.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PlantedDefect);
  // Automation may start the derived partitions too: a run joins one already running.
  await h.run('freelance_profiles', 'all');
  await h.run('freelancers', 'all');
  for (const m of ISSUE_MONTHS) await h.run('freelance_invoices', m);
  for (const m of ISSUE_MONTHS) await h.run('freelance_revenue', m);
  for (const m of ISSUE_MONTHS) await h.run('freelance_receivables', m);
  await h.run('freelance_skill_supply', 'all');
}, 240_000);
afterAll(async () => {
  // The channel's drainer waits for more keys a while: end it with the worker of this task queue.
  for await (const w of h.client.workflow.list({ query: `WorkflowId = "notifications/${h.config.taskQueue}/alerts" AND TaskQueue = "${h.config.taskQueue}" AND ExecutionStatus = "Running"` })) {
    await h.client.workflow.getHandle(w.workflowId, w.runId).terminate('test finished').catch(() => undefined);
  }
  await h?.close();
  await receiver?.close();
});

describe('freelance profiles → freelancers', () => {
  it('quarantines each planted profile defect naming its field, French keys included', async () => {
    const { rows } = await h.pool.query<{ source_file: string; line_no: number; field: string }>(`SELECT source_file, line_no, field FROM quarantine WHERE pipeline = 'freelance_profiles'`);
    const expected = defects.filter((d) => d.dataset === 'profiles' && d.expected === 'quarantine');
    expect(rows.map((r) => `${r.source_file}:${r.line_no} ${r.field}`).sort()).toEqual(expected.map((d) => `${d.file}:${d.line} ${d.field}`).sort());
    expect(expected.some((d) => d.file.startsWith('profils-'))).toBe(true);
  });

  it('keeps one row per freelancer by the documented rule (latest updated_at, then later in source order)', async () => {
    const { rows } = await h.pool.query<{ n: number; ids: number }>(`SELECT count(*)::int AS n, count(DISTINCT freelancer_id)::int AS ids FROM freelancers`);
    expect(rows[0]).toEqual({ n: OPTS.freelancers, ids: OPTS.freelancers });
    const updated = defects.filter((d) => d.kind === 'profile_duplicate_updated');
    expect(updated.length).toBeGreaterThan(0);
    for (const d of updated) {
      const update = JSON.parse(readFileSync(path.join(h.landingDir, 'freelance_profiles', d.replacedBy!.file), 'utf8')) as Record<string, unknown>[];
      const winner = update[d.replacedBy!.line - 1]!;
      const { rows: f } = await h.pool.query<{ updated_at: string; availability: string }>(`SELECT updated_at::text, availability FROM freelancers WHERE freelancer_id = $1`, [d.id]);
      expect(f[0]).toEqual({ updated_at: winner.updated_at, availability: winner.availability });
    }
    // French records load with their accents.
    const { rows: fr } = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM freelance_profiles WHERE dp_source_file LIKE 'profils-%'`);
    expect(fr[0]!.n).toBeGreaterThan(0);
  });
});

describe('freelance indicators', () => {
  it('reports unknown freelancers (known = false, warning check), never drops them', async () => {
    const planted = defects.filter((d) => d.kind === 'unknown_freelancer');
    const { rows } = await h.pool.query<{ n: number }>(`SELECT coalesce(sum(invoices), 0)::int AS n FROM freelance_revenue WHERE NOT known`);
    expect(rows[0]!.n).toBe(planted.length);
    const { rows: checks } = await h.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM check_results WHERE pipeline = 'freelance_revenue' AND check_name = 'not_null(freelancer_id)' AND outcome = 'failed'`,
    );
    expect(checks[0]!.n).toBeGreaterThan(0);
  });

  it('equals an independent SQL over the raw CSV rows for one month and one skill (revenue, days, daily rate, occupancy)', async () => {
    // The raw rows as text, minus those the manifest says are refused, unplaced or replaced.
    const skip = new Set(defects.filter((d) => d.dataset === 'invoices' && d.expected !== 'loaded').map((d) => `${d.file}:${d.line}`));
    const raw: string[][] = [];
    for (const file of manifest.files.invoices) {
      const rows = parse(readFileSync(path.join(h.landingDir, 'freelance_invoices', file))) as string[][];
      rows.forEach((r, i) => {
        if (i > 0 && !skip.has(`${file}:${i + 1}`)) raw.push(r);
      });
    }
    await h.pool.query(`CREATE TEMP TABLE raw_inv (freelancer text, amount text, invoice_month text, days text, skill text)`);
    await h.pool.query(`INSERT INTO raw_inv SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`, [
      raw.map((r) => r[1]),
      raw.map((r) => r[2]),
      raw.map((r) => r[3]),
      raw.map((r) => r[7]),
      raw.map((r) => r[9]),
    ]);
    // Independent parsing in SQL: amounts (last , or . before 1-2 digits is the decimal mark), months, names → ids.
    const { rows: want } = await h.pool.query<{ revenue: string; days: string; adr: string; occupancy: string }>(
      `WITH p AS (
         SELECT CASE WHEN freelancer ~ '^FL-' THEN freelancer ELSE (SELECT f.freelancer_id FROM freelancers f WHERE f.name = raw_inv.freelancer) END AS fid,
                regexp_replace(regexp_replace(regexp_replace(amount, '[^0-9.,-]', '', 'g'), '[.,](?=[0-9]{3}([.,]|$))', '', 'g'), ',', '.')::numeric AS amount,
                replace(days, ',', '.')::numeric AS days,
                CASE WHEN invoice_month ~ '^[A-Za-z]{3}-' THEN to_date(invoice_month, 'Mon-YYYY')
                     WHEN invoice_month ~ '/' THEN date_trunc('month', to_date(invoice_month, 'DD/MM/YYYY'))::date
                     ELSE date_trunc('month', invoice_month::date)::date END AS month,
                lower(trim(skill)) AS skill
           FROM raw_inv
       ), k AS (SELECT * FROM p WHERE fid IN (SELECT freelancer_id FROM freelancers) AND month = $1::date)
       SELECT (SELECT sum(amount) FROM k WHERE skill = lower($2))::text AS revenue,
              (SELECT sum(days) FROM k WHERE skill = lower($2))::text AS days,
              (SELECT round(sum(amount) / sum(days), 2) FROM k WHERE skill = lower($2))::text AS adr,
              (SELECT round(100 * sum(days) / ($3::int * count(DISTINCT fid)), 1) FROM k)::text AS occupancy`,
      [MONTH, SKILL, workingDaysInMonth(MONTH)],
    );
    const { rows: got } = await h.pool.query<{ revenue: string; days: string; adr: string }>(
      `SELECT sum(revenue_eur)::text AS revenue, sum(days_billed)::text AS days, round(sum(revenue_eur) / sum(days_billed), 2)::text AS adr
         FROM freelance_revenue WHERE known AND invoice_month = $1::date AND skill = $2`,
      [MONTH, SKILL],
    );
    expect(Number(want[0]!.revenue)).toBeGreaterThan(0);
    expect(got[0]).toEqual({ revenue: want[0]!.revenue, days: want[0]!.days, adr: want[0]!.adr });
    // The dashboards show the same figures.
    const resources = await dashboardData(h.pool, freelanceResources, { month: MONTH, skill: null });
    const gauge = resources.find((p) => p.panel.id === 'occupancy')!;
    expect(gauge.error).toBeNull();
    expect(String(gauge.rows[0]!.occupancy_pct)).toBe(want[0]!.occupancy);
    const finance = await dashboardData(h.pool, freelanceFinance, { from: MONTH, to: '2024-02-01', skill: SKILL });
    const adr = finance.find((p) => p.panel.id === 'totals')!.rows[0]!;
    expect(adr['Average daily rate (EUR)']).toBe(want[0]!.adr);
  });

  it('runs every panel of the three dashboards without error', async () => {
    for (const d of [freelanceFinance, freelanceResources, freelanceLive]) {
      const values = filterValues(await resolveFilters(h.pool, d, {}));
      for (const p of await dashboardData(h.pool, d, values)) expect(p.error, `${d.name}/${p.panel.id}`).toBeNull();
    }
    const live = await dashboardData(h.pool, freelanceLive, {});
    expect(live.find((p) => p.panel.id === 'pipelines')!.rows[0]).toEqual({ freelance_profiles: 'green', freelance_invoices: 'green', freelancers: 'green', freelance_revenue: 'green', freelance_skill_supply: 'green', freelance_receivables: 'green' });
    // The overdue count read from freelance_receivables equals a count over the invoices.
    const { rows: overdue } = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM freelance_invoices WHERE due_date < current_date AND paid_date IS NULL`);
    expect(overdue[0]!.n).toBeGreaterThan(0);
    expect(Number(live.find((p) => p.panel.id === 'now')!.rows[0]!['Overdue invoices'])).toBe(overdue[0]!.n);
    expect(live.find((p) => p.panel.id === 'last-invoices')!.rows).toHaveLength(10);
  });
});

describe('freelance alerts', () => {
  const today = () => new Date().toISOString().slice(0, 10);
  const alertTexts = () => receiver.posts.map((p) => p.body.text ?? '');
  const outboxKeys = async () =>
    (await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE channel = 'alerts'`)).rows[0]!.n;

  it('reach the webhook by themselves after plain partition runs: every overdue invoice and out-of-band month, once', async () => {
    // Nobody called the evaluation: the partition runs of beforeAll did (freelance_revenue's afterLoad).
    const { rows: keys } = await h.pool.query<{ kind: string; key: string; alert_key: string }>(`SELECT kind, key, alert_key FROM freelance_alert_keys ORDER BY kind, key`);
    const { rows: overdue } = await h.pool.query<{ invoice_id: string }>(
      `SELECT invoice_id FROM freelance_invoices WHERE due_date < $1::date AND paid_date IS NULL ORDER BY invoice_id`,
      [today()],
    );
    expect(overdue.length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.kind === 'overdue').map((k) => k.key)).toEqual(overdue.map((r) => r.invoice_id));
    // Independent occupancy per month: days billed by known freelancers / (working days × freelancers who billed).
    const { rows: months } = await h.pool.query<{ month: string; days: string; n: number }>(
      `SELECT to_char(invoice_month, 'YYYY-MM') AS month, sum(days_billed)::text AS days, count(DISTINCT freelancer_id)::int AS n
         FROM freelance_revenue WHERE known AND invoice_month + interval '1 month' <= $1::date GROUP BY 1 ORDER BY 1`,
      [today()],
    );
    const expectedMonths = months.flatMap((m) => {
      const pct = Math.round((1000 * Number(m.days)) / (workingDaysInMonth(`${m.month}-01`) * m.n)) / 10;
      return pct < BAND.occupancy_low_pct ? [`${m.month}:low`] : pct > BAND.occupancy_high_pct ? [`${m.month}:high`] : [];
    });
    expect(expectedMonths.length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.kind === 'occupancy').map((k) => k.key)).toEqual(expectedMonths);

    // Each queued message arrives once at the alert channel's webhook, drained by the worker.
    const messages = new Set(keys.map((k) => k.alert_key)).size;
    await waitFor('the alerts to reach the webhook', () => receiver.posts.length >= messages, { timeoutMs: 60_000 });
    const texts = alertTexts();
    expect(texts).toHaveLength(messages);
    expect(texts.filter((t) => /Freelance occupancy/.test(t))).toHaveLength(expectedMonths.length);
    expect(texts.filter((t) => /newly overdue/.test(t)).length).toBe(new Set(keys.filter((k) => k.kind === 'overdue').map((k) => k.alert_key)).size);
    expect(texts.filter((t) => /newly overdue/.test(t)).length).toBeGreaterThan(0);
    for (const m of expectedMonths) expect(texts.some((t) => t.includes(`in ${m.split(':')[0]}`))).toBe(true);
  });

  it('posts nothing twice across re-runs, and a new occurrence once', async () => {
    const posted = receiver.posts.length;
    const queued = await outboxKeys();
    // A plain re-run of a partition evaluates again: every occurrence is known.
    await h.run('freelance_revenue', ISSUE_MONTHS[0]!);
    // Direct evaluations, twice at once, find nothing either.
    const again = await Promise.all([evaluateFreelanceAlerts(h.pool, { asOf: today(), lowPct: BAND.occupancy_low_pct, highPct: BAND.occupancy_high_pct }), evaluateFreelanceAlerts(h.pool, { asOf: today(), lowPct: BAND.occupancy_low_pct, highPct: BAND.occupancy_high_pct })]);
    expect(again.map((a) => a.queued)).toEqual([0, 0]);
    expect(await outboxKeys()).toBe(queued);

    // A correction (a paid invoice becomes unpaid) then a plain run: one new overdue alert arrives.
    const { rows } = await h.pool.query<{ invoice_id: string; dp_partition: string }>(
      `UPDATE freelance_invoices SET paid_date = NULL
        WHERE invoice_id = (SELECT min(invoice_id) FROM freelance_invoices WHERE paid_date IS NOT NULL AND due_date < $1::date)
       RETURNING invoice_id, dp_partition`,
      [today()],
    );
    const corrected = rows[0]!;
    await h.run('freelance_revenue', corrected.dp_partition);
    await waitFor('the new overdue alert', () => receiver.posts.length >= posted + 1, { timeoutMs: 60_000 });
    expect(await outboxKeys()).toBe(queued + 1);
    const last = alertTexts().slice(posted);
    expect(last).toHaveLength(1);
    expect(last[0]).toMatch(/1 invoice newly overdue/);
    expect(last[0]).toContain(corrected.invoice_id);
  });
});
