/**
 * `datapulse diff <pipeline> [--from A] [--to B] [--measure col] [--by col] [--json]`: a derived
 * dataset's figures before and after a params change, per group and in total (ops/diff.ts), from
 * the materializations kept per params version. Without --from/--to: the two newest versions.
 * `--versions` lists the versions kept.
 */
import { loadConfig } from '../../infra/config';
import { registry } from '../../pipelines';
import { costDiff, paramsVersions, type DiffResult } from '../../ops/diff';
import { withLedgerPool } from './ledger-pool';

export interface DiffCommandOptions {
  readonly from?: string;
  readonly to?: string;
  readonly measure?: string[];
  readonly by?: string;
  readonly partition?: string;
  readonly versions?: boolean;
  readonly json?: boolean;
}

/** The default measures: the cost columns the target has (bonus, wellness, total), else its first numeric one. */
function defaultMeasures(pipeline: string): string[] | undefined {
  const cols = registry.get(pipeline).target.columns;
  const costs = ['bonus_cost', 'wellness_cost', 'total_cost'].filter((c) => c in cols);
  return costs.length ? costs : undefined;
}

/** Lines of a diff table: group, before, after, change. */
export function renderDiff(results: readonly DiffResult[]): string {
  const first = results[0];
  if (!first) return '';
  const out = [`${first.pipeline}${first.partition ? ` ${first.partition}` : ' (all partitions summed)'}: params version ${first.from} → ${first.to}, per ${first.groupBy}`];
  for (const r of results) {
    out.push('', `${r.measure}`);
    const rows = [...r.groups.map((g) => [g.group, g.before, g.after, g.delta]), ['TOTAL', r.total.before, r.total.after, r.total.delta]];
    const w = [Math.max(...rows.map((x) => x[0]!.length), 5), ...[1, 2, 3].map((i) => Math.max(...rows.map((x) => x[i]!.length), 6))];
    out.push(`  ${'group'.padEnd(w[0]!)}  ${'before'.padStart(w[1]!)}  ${'after'.padStart(w[2]!)}  ${'change'.padStart(w[3]! + 1)}`);
    for (const x of rows) out.push(`  ${x[0]!.padEnd(w[0]!)}  ${x[1]!.padStart(w[1]!)}  ${x[2]!.padStart(w[2]!)}  ${(x[3]!.startsWith('-') ? x[3]! : `+${x[3]!}`).padStart(w[3]! + 1)}`);
  }
  return `${out.join('\n')}\n`;
}

export async function diffCommand(pipeline: string, opts: DiffCommandOptions): Promise<void> {
  const config = loadConfig();
  registry.get(pipeline); // an unknown name fails first, listing the known ones
  await withLedgerPool(config, 'datapulse-diff', async (pool) => {
    if (opts.versions) {
      const vs = await paramsVersions(pool, pipeline);
      if (opts.json) process.stdout.write(`${JSON.stringify(vs, null, 2)}\n`);
      else for (const v of vs) process.stdout.write(`${v.version}  ${String(v.partitions).padStart(5)} partitions  first ${v.firstLoadedAt}  last ${v.lastLoadedAt}\n`);
      return;
    }
    const measures = opts.measure?.length ? opts.measure : (defaultMeasures(pipeline) ?? [undefined]);
    const results: DiffResult[] = [];
    for (const m of measures) results.push(await costDiff(pool, registry, { pipeline, from: opts.from, to: opts.to, measure: m, groupBy: opts.by, partition: opts.partition }));
    process.stdout.write(opts.json ? `${JSON.stringify(results, null, 2)}\n` : renderDiff(results));
  });
}
