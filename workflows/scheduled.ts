/**
 * What a Temporal Schedule starts every hour (or day): derive the partition from the schedule's
 * nominal time — never the wall clock, so a late or caught-up tick still processes its own hour —
 * and run that partition's workflow as a child with the shared id, or wait for whoever owns it.
 */
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, executeChild, ParentClosePolicy, proxyActivities, WorkflowIdReusePolicy, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { partitionForNominalTime, type Granularity } from '../core/partition';
import { partitionWorkflow, type PartitionSummary } from './partition';
import { PARTITION_SA, PIPELINE_SA, partitionWorkflowId } from '../core/search-attributes';

export const SCHEDULED_START_SA = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export interface ScheduledPartitionInput {
  readonly pipeline: string;
  readonly granularity: Granularity;
  /** How many partitions behind the nominal time to run: 1 = the last complete hour/day. @default 1 */
  readonly lag?: number;
}

export interface ScheduledPartitionResult {
  readonly partition: string;
  readonly nominalTime: string;
  /** `ran`: this tick ran it; `joined`: another run owned it and this tick waited for it. */
  readonly outcome: 'ran' | 'joined';
  readonly summary?: PartitionSummary;
}

const { awaitPartition } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumInterval: '30 seconds' },
});

export async function scheduledPartitionWorkflow(input: ScheduledPartitionInput): Promise<ScheduledPartitionResult> {
  const nominal = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_SA);
  if (!nominal) {
    throw ApplicationFailure.nonRetryable(
      'scheduledPartitionWorkflow has no TemporalScheduledStartTime: it must be started by a Temporal Schedule; use `datapulse run <pipeline> <partition>` by hand',
      'ConfigError',
    );
  }
  const partition = partitionForNominalTime(input.granularity, nominal.getTime(), input.lag ?? 1);
  const workflowId = partitionWorkflowId(input.pipeline, partition);
  const nominalTime = nominal.toISOString();
  try {
    const summary = await executeChild(partitionWorkflow, {
      workflowId,
      args: [{ pipeline: input.pipeline, partition, trigger: 'schedule' }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [
        { key: PIPELINE_SA, value: input.pipeline },
        { key: PARTITION_SA, value: partition },
      ],
    });
    return { partition, nominalTime, outcome: 'ran', summary };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // A backfill or a hand-started run owns this partition right now: wait for it, don't race it.
    const r = await awaitPartition({ workflowId });
    if (!r.ok) throw ApplicationFailure.nonRetryable(`${workflowId} (run by another execution) failed: ${r.error}`, 'PartitionFailed');
    return { partition, nominalTime, outcome: 'joined' };
  }
}
