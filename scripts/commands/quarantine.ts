import { loadConfig, type Config } from '../../infra/config';
import type { Pool } from '../../infra/db';
import { withLedgerPool } from './ledger-pool';
import { partitionWindow } from '../../core/partition';
import { quarantineReport, renderQuarantine, type QuarantineReport } from '../../ops/quarantine';
import type { Registry } from '../../core/registry';
import { registry } from '../../pipelines';

export interface QuarantineOptions {
  readonly json?: boolean;
  /** Rows listed (the count is always exact). @default 50 */
  readonly limit?: number;
}

/** The report of one partition's rejected rows and what `quarantine` prints for it. */
export async function quarantineOutput(
  deps: { readonly pool: Pool; readonly registry: Registry; readonly config: Pick<Config, 'schema'> },
  pipeline: string,
  partition: string,
  opts: QuarantineOptions = {},
): Promise<{ report: QuarantineReport; output: string }> {
  const def = deps.registry.get(pipeline); // throws "unknown pipeline ... (known: ...)"
  const report = await quarantineReport(deps.pool, def, partition, { limit: opts.limit }).catch((err: unknown) => {
    if ((err as { code?: string }).code === '42P01') {
      throw new Error(`no quarantine table in schema "${deps.config.schema}": start \`datapulse dev\` or a worker once to create it (or check DATAPULSE_SCHEMA)`);
    }
    throw err;
  });
  return { report, output: opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderQuarantine(report) };
}

export async function quarantineCommand(pipeline: string, partition: string, opts: QuarantineOptions): Promise<void> {
  const config = loadConfig();
  // Bad names and keys fail before any server is contacted.
  partitionWindow(registry.get(pipeline).partitioning.granularity, partition);
  const { output } = await withLedgerPool(config, 'datapulse-quarantine', (pool) => quarantineOutput({ pool, registry, config }, pipeline, partition, opts));
  process.stdout.write(output);
}
