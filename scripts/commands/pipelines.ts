import { registry } from '../../pipelines';

export function pipelinesCommand(): void {
  for (const p of registry.pipelines) {
    process.stdout.write(
      `${p.name.padEnd(16)} ${p.partitioning.granularity.padEnd(7)} from ${p.partitioning.start.padEnd(14)} ${p.source.kind.padEnd(10)} → ${p.target.table}   ${p.description}\n`,
    );
  }
}
