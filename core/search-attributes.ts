/** Custom search attributes that make the Temporal UI filterable by pipeline and partition. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PIPELINE_SA = defineSearchAttributeKey('DataPulsePipeline', SearchAttributeType.KEYWORD);
export const PARTITION_SA = defineSearchAttributeKey('DataPulsePartition', SearchAttributeType.KEYWORD);

/** `weather/2024-05-01T13`: the one workflow id of a partition, shared by schedules, backfills and `run`. */
export function partitionWorkflowId(pipeline: string, partition: string): string {
  return `${pipeline}/${partition}`;
}
