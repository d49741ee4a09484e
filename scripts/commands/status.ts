import { loadConfig, type Config } from '../../infra/config';
import type { Pool } from '../../infra/db';
import { withLedgerPool } from './ledger-pool';
import { unplacedTotals } from '../../ops/unplaced';
import type { Registry } from '../../core/registry';
import { registry } from '../../pipelines';
import { staleKeys } from '../../activities/staleness';
import { catalogSummary, renderCatalogSummary } from '../../ops/catalog';
import {
  computePipelineStatus,
  ledgerSpan,
  sourceSpan,
  unionSpans,
  checkResultsInRange,
  ledgerRowsInRange,
  renderStatus,
  resolveStatusRange,
  statusJson,
  validateRangeFlags,
  type StatusLedgerRow,
  type StatusMap,
} from '../../ops/status';
import type { Client } from '@temporalio/client';
import { findEndedRuns } from '../../activities/run-reconcile';
import { connectClient } from '../../infra/temporal-client';

export interface StatusOptions {
  readonly from?: string;
  readonly to?: string;
  readonly json?: boolean;
}

export interface StatusDeps {
  readonly pool: Pool;
  readonly config: Config;
  readonly registry: Registry;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Temporal client to check `running` ledger rows against (a run terminated or timed out from
   * outside never records its end): such rows are shown as failed with what Temporal says. Read-only:
   * the ledger is not written (the worker and backfill planning record them). @default none
   */
  readonly temporal?: Client;
}

/** Computes the partition map of a pipeline from the ledger and what `status` prints for it. */
export async function pipelineStatus(deps: StatusDeps, pipeline: string, opts: StatusOptions = {}): Promise<{ map: StatusMap; output: string }> {
  const def = deps.registry.get(pipeline); // throws "unknown pipeline ... (known: ...)"
  validateRangeFlags(def, opts);
  const noLedger = (err: unknown): never => {
    if ((err as { code?: string }).code === '42P01') {
      throw new Error(
        `no ledger table in schema "${deps.config.schema}": start \`datapulse dev\` or a worker once to create it (or check DATAPULSE_SCHEMA)`,
      );
    }
    throw err;
  };
  const known =
    opts.from === undefined || opts.to === undefined
      ? unionSpans(await ledgerSpan(deps.pool, def.name).catch(noLedger), await sourceSpan(deps.pool, def))
      : undefined;
  const { from, to } = resolveStatusRange(def, opts, known, (deps.now ?? Date.now)());
  // A static pipeline's range is its one key `all` ([all, all) as keys): widen the text bound to include it.
  const upper = def.partitioning.granularity === 'static' ? `${to}z` : to;
  const ledgerRows = await withEndedRunsShown(deps.temporal, def.name, await ledgerRowsInRange(deps.pool, def.name, from, upper).catch(noLedger));
  // Staleness that propagates from inputs (derived datasets), from the ledger alone.
  const staleInputs = await staleKeys(deps.pool, deps.registry, def.name, from, upper);
  const rows = ledgerRows.map((r) => (staleInputs.has(r.partition_key) ? { ...r, inputs_stale: true } : r));
  const computed = computePipelineStatus(def, from, to, rows);
  const checks = await checkResultsInRange(deps.pool, def.name, from, to, computed.failed.map((f) => f.key)).catch((err: unknown) => {
    if ((err as { code?: string }).code === '42P01') return undefined; // schema from before checks existed
    throw err;
  });
  const unplaced = def.source.kind === 'csv-files' ? await unplacedTotals(deps.pool, def.name) : undefined;
  const map: StatusMap = { ...computed, ...(checks ? { checks } : {}), ...(unplaced ? { unplaced } : {}) };
  const files = def.source.kind === 'csv-files' ? await catalogSummary(deps.pool, def.name) : undefined;
  const output = opts.json
    ? `${JSON.stringify(files ? { ...statusJson(map, deps.config), files } : statusJson(map, deps.config), null, 2)}\n`
    : renderStatus(map, { config: deps.config }) + (files ? renderCatalogSummary(files) : '');
  return { map, output };
}

/** `rows` with each `running` row whose run Temporal has closed shown as failed (see activities/run-reconcile.ts). */
async function withEndedRunsShown(client: Client | undefined, pipeline: string, rows: StatusLedgerRow[]): Promise<StatusLedgerRow[]> {
  const running = rows.filter((r) => r.status === 'running');
  if (!client || running.length === 0) return rows;
  const ended = new Map((await findEndedRuns(client, running.map((r) => ({ ...r, pipeline })))).map((e) => [e.partition, e]));
  return rows.map((r) => {
    const e = r.status === 'running' ? ended.get(r.partition_key) : undefined;
    return e ? { ...r, status: 'failed' as const, failed_step: 'workflow', error: e.message, error_type: e.errorType, finished_at: e.closedAt } : r;
  });
}

export async function statusCommand(pipeline: string, opts: StatusOptions): Promise<void> {
  const config = loadConfig();
  // Bad names and keys fail before any server is contacted.
  validateRangeFlags(registry.get(pipeline), opts);
  // Temporal is asked about partitions the ledger says are running; without it, the ledger is shown as is.
  const temporal = await connectClient(config).catch((err: unknown) => {
    process.stderr.write(`note: ${(err as Error).message}; "running" partitions are shown as the ledger has them\n`);
    return undefined;
  });
  try {
    const { output } = await withLedgerPool(config, 'datapulse-status', (pool) => pipelineStatus({ pool, config, registry, temporal }, pipeline, opts));
    process.stdout.write(output);
  } finally {
    await temporal?.connection.close();
  }
}
