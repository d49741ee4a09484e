/** Starting a partition's workflow from the CLI, the console or tests (joining it when it runs). */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { PARTITION_SA, PIPELINE_SA, partitionWorkflowId } from '../core/search-attributes';
import type { Config } from '../infra/config';
import type { partitionWorkflow, PartitionWorkflowInput } from '../workflows/partition';

/**
 * Starts a partition's workflow, or joins it when that partition is already running (same id), so
 * a schedule tick, a backfill and a hand-started run never race on one partition.
 */
export async function startPartition(
  client: Client,
  config: Pick<Config, 'taskQueue'>,
  input: PartitionWorkflowInput,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof partitionWorkflow>> {
  return client.workflow.start<typeof partitionWorkflow>('partitionWorkflow', {
    taskQueue: config.taskQueue,
    workflowId: partitionWorkflowId(input.pipeline, input.partition),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: PIPELINE_SA, value: input.pipeline },
      { key: PARTITION_SA, value: input.partition },
    ],
  });
}
