/** `datapulse lineage <pipeline> <partition>` and `datapulse graph [--mermaid]`. */
import { loadConfig } from '../../infra/config';
import { renderGraphMermaid, renderGraphText } from '../../core/graph';
import { partitionWindow } from '../../core/partition';
import { registry } from '../../pipelines';
import { partitionLineage, renderLineage } from '../../ops/lineage';
import { withLedgerPool } from './ledger-pool';

export async function lineageCommand(pipeline: string, partition: string, opts: { json?: boolean }): Promise<void> {
  const config = loadConfig();
  partitionWindow(registry.get(pipeline).partitioning.granularity, partition); // bad names and keys fail first
  const lineage = await withLedgerPool(config, 'datapulse-lineage', (pool) => partitionLineage(pool, registry, config, pipeline, partition));
  process.stdout.write(opts.json ? `${JSON.stringify(lineage, null, 2)}\n` : renderLineage(lineage));
}

export function graphCommand(opts: { mermaid?: boolean }): void {
  const lines = opts.mermaid ? renderGraphMermaid(registry.pipelines) : renderGraphText(registry.pipelines);
  process.stdout.write(`${lines.join('\n')}\n`);
}
