import type { PartitionSummary } from '../../workflows/partition';

export function formatSummary(s: PartitionSummary, schema: string): string {
  return [
    `${s.pipeline}/${s.partition} succeeded in ${s.durationMs} ms`,
    `  rows in ${s.rowsIn} = valid ${s.rowsValid} + quarantined ${s.rowsQuarantined}; loaded ${s.rowsLoaded} (+ ${s.rowsDeduplicated} deduplicated)` +
      (s.unplaced ? `; ${s.unplaced} source rows could not be placed in any partition (see ${schema}.unplaced_records)` : ''),
    `  source checksum ${s.sourceChecksum.slice(0, 16)}…`,
    `  rows:       SELECT * FROM ${schema}.${s.table} WHERE dp_partition = '${s.partition}';`,
    ...(s.rowsQuarantined
      ? [`  quarantine: SELECT line_no, field, reason, raw_value FROM ${schema}.quarantine WHERE pipeline = '${s.pipeline}' AND partition_key = '${s.partition}';`]
      : []),
    '',
  ].join('\n');
}
