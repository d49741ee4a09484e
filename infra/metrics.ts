/**
 * Prometheus metrics of a worker (prom-client), served on `METRICS_PORT` at /metrics together with
 * the Temporal SDK's own runtime metrics (`temporal_*`), so one scrape target carries both.
 *
 * The pipeline counters are recorded by an activity interceptor (infra/activity-interceptors.ts) from
 * the results of the partition activities; the freshness lag is read from the ledger on scrape.
 * Counters count work done, so a retried step counts its rows again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import type { Pool } from './db';
import type { Logger } from './logger';
import { partitionWindow } from '../core/partition';
import type { Registry } from '../core/registry';

export interface PipelineMetrics {
  /** The prom-client registry holding everything below (and the Node process metrics). */
  readonly registry: PromRegistry;
  readonly rowsIn: Counter<'pipeline'>;
  readonly rowsValid: Counter<'pipeline'>;
  readonly rowsQuarantined: Counter<'pipeline'>;
  readonly rowsDeduplicated: Counter<'pipeline'>;
  readonly rowsLoaded: Counter<'pipeline'>;
  readonly partitionsSucceeded: Counter<'pipeline'>;
  readonly partitionsFailed: Counter<'pipeline' | 'step' | 'error_type'>;
  /** Workflow start to load commit (succeeded) or to the failure record (failed). */
  readonly partitionDuration: Histogram<'pipeline' | 'outcome'>;
}

export interface PipelineMetricsOptions {
  /** Ledger to compute the freshness lag from; without it there is no freshness gauge. */
  readonly pool?: Pool;
  /** Pipelines whose partition keys the ledger holds (for the end of the newest partition). */
  readonly pipelines?: Registry;
  /** How long a ledger read serves scrapes. @default 10_000 */
  readonly freshnessCacheMs?: number;
  /** Also export Node process metrics (CPU, memory, event loop lag). @default true */
  readonly processMetrics?: boolean;
  readonly logger?: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

export function createPipelineMetrics(opts: PipelineMetricsOptions = {}): PipelineMetrics {
  const registry = new PromRegistry();
  const rows = (name: string, help: string) => new Counter({ name: `datapulse_rows_${name}_total`, help, labelNames: ['pipeline'] as const, registers: [registry] });
  const metrics: PipelineMetrics = {
    registry,
    rowsIn: rows('in', "Rows read from the source into the partition's raw table (ingest)."),
    rowsValid: rows('valid', 'Rows that passed the pipeline schema (validate).'),
    rowsQuarantined: rows('quarantined', 'Rows rejected into the quarantine table (validate).'),
    rowsDeduplicated: rows('deduplicated', 'Valid rows dropped as duplicates of the target key (transform).'),
    rowsLoaded: rows('loaded', 'Rows written to the target table (load).'),
    partitionsSucceeded: new Counter({
      name: 'datapulse_partitions_succeeded_total',
      help: 'Partitions loaded (load committed with its ledger row).',
      labelNames: ['pipeline'] as const,
      registers: [registry],
    }),
    partitionsFailed: new Counter({
      name: 'datapulse_partitions_failed_total',
      help: 'Partitions recorded as failed in the ledger, by failed step and error type (Cancelled for cancellations).',
      labelNames: ['pipeline', 'step', 'error_type'] as const,
      registers: [registry],
    }),
    partitionDuration: new Histogram({
      name: 'datapulse_partition_duration_seconds',
      help: 'Time from the partition workflow start to its load commit or failure record.',
      labelNames: ['pipeline', 'outcome'] as const,
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
  };
  if (opts.pool && opts.pipelines) registerFreshness(registry, opts.pool, opts.pipelines, opts);
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return metrics;
}

function registerFreshness(registry: PromRegistry, pool: Pool, pipelines: Registry, opts: PipelineMetricsOptions): void {
  const now = opts.now ?? Date.now;
  const cacheMs = opts.freshnessCacheMs ?? 10_000;
  let cache: { at: number; newestEndMs: Map<string, number> } | undefined;
  async function newestEnds(): Promise<Map<string, number>> {
    if (cache && now() - cache.at < cacheMs) return cache.newestEndMs;
    const res = await pool.query<{ pipeline: string; newest: string }>(
      `SELECT pipeline, max(partition_key) AS newest FROM ledger WHERE status = 'succeeded' GROUP BY pipeline`,
    );
    const ends = new Map<string, number>();
    for (const r of res.rows) {
      if (!pipelines.has(r.pipeline)) continue;
      try {
        ends.set(r.pipeline, partitionWindow(pipelines.get(r.pipeline).partitioning.granularity, r.newest).endMs);
      } catch {
        // a key that does not parse for the pipeline's granularity: no lag rather than a wrong one
      }
    }
    cache = { at: now(), newestEndMs: ends };
    return ends;
  }
  new Gauge({
    name: 'datapulse_freshness_lag_seconds',
    help: 'Now minus the end of the newest succeeded partition, per pipeline (from the ledger; absent until one succeeded).',
    labelNames: ['pipeline'] as const,
    registers: [registry],
    async collect() {
      let ends: Map<string, number>;
      try {
        ends = await newestEnds();
      } catch (err) {
        // Keep the last values: a scrape must not fail because the database blinked.
        opts.logger?.warn({ err: (err as Error).message }, 'freshness lag: ledger query failed');
        return;
      }
      this.reset();
      const t = now();
      for (const [pipeline, endMs] of ends) this.set({ pipeline }, Math.max(0, (t - endMs) / 1000));
    },
  });
}

export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** @default "0.0.0.0" */
  readonly host?: string;
  readonly registry: PromRegistry;
  /** The Temporal SDK's Prometheus exporter (see installTemporalRuntime); its output is appended. */
  readonly temporalMetricsUrl?: string;
  readonly logger?: Logger;
}

/** Serves GET /metrics: DataPulse's registry followed by the Temporal SDK's runtime metrics. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    scrape(opts).then(
      (body) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body),
      (err: Error) => {
        opts.logger?.error({ err: err.message }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`scrape failed: ${err.message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function scrape(opts: MetricsServerOptions): Promise<string> {
  const own = await opts.registry.metrics();
  if (!opts.temporalMetricsUrl) return own;
  try {
    const res = await fetch(opts.temporalMetricsUrl, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return `${own.trimEnd()}\n${(await res.text()).trimEnd()}\n`;
  } catch (err) {
    opts.logger?.warn({ err: (err as Error).message, url: opts.temporalMetricsUrl }, 'Temporal SDK metrics unavailable');
    return `${own.trimEnd()}\n# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
  }
}
