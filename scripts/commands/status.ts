import { loadConfig, type Config } from '../../infra/config';
import type { Pool } from '../../infra/db';
import { withLedgerPool } from './ledger-pool';
import type { Registry } from '../../core/registry';
import { registry } from '../../pipelines';
import { catalogSummary, renderCatalogSummary } from '../../ops/catalog';
import {
  computePipelineStatus,
  earliestLedgerKey,
  checkResultsInRange,
  ledgerRowsInRange,
  renderStatus,
  resolveStatusRange,
  statusJson,
  validateRangeFlags,
  type StatusMap,
} from '../../ops/status';

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
  const earliest = opts.from === undefined ? await earliestLedgerKey(deps.pool, def.name).catch(noLedger) : undefined;
  const { from, to } = resolveStatusRange(def, opts, earliest, (deps.now ?? Date.now)());
  const rows = await ledgerRowsInRange(deps.pool, def.name, from, to).catch(noLedger);
  const computed = computePipelineStatus(def, from, to, rows);
  const checks = await checkResultsInRange(deps.pool, def.name, from, to, computed.failed.map((f) => f.key)).catch((err: unknown) => {
    if ((err as { code?: string }).code === '42P01') return undefined; // schema from before checks existed
    throw err;
  });
  const map: StatusMap = checks ? { ...computed, checks } : computed;
  const files = def.source.kind === 'csv-files' ? await catalogSummary(deps.pool, def.name) : undefined;
  const output = opts.json
    ? `${JSON.stringify(files ? { ...statusJson(map, deps.config), files } : statusJson(map, deps.config), null, 2)}\n`
    : renderStatus(map, { config: deps.config }) + (files ? renderCatalogSummary(files) : '');
  return { map, output };
}

export async function statusCommand(pipeline: string, opts: StatusOptions): Promise<void> {
  const config = loadConfig();
  // Bad names and keys fail before any server is contacted.
  validateRangeFlags(registry.get(pipeline), opts);
  const { output } = await withLedgerPool(config, 'datapulse-status', (pool) => pipelineStatus({ pool, config, registry }, pipeline, opts));
  process.stdout.write(output);
}
