import { WorkflowFailedError } from '@temporalio/client';
import { loadConfig, workflowUiUrl } from '../../infra/config';
import { partitionWindow } from '../../core/partition';
import { connectClient } from '../../infra/temporal-client';
import { startPartition } from '../../ops/partition-runs';
import { registry } from '../../pipelines';
import { partitionWorkflowId } from '../../core/search-attributes';
import { formatSummary } from './format';

export async function runCommand(pipeline: string, partition: string, opts: { wait: boolean; json?: boolean }): Promise<void> {
  const config = loadConfig();
  const def = registry.get(pipeline); // throws "unknown pipeline ... (known: ...)"
  partitionWindow(def.partitioning.granularity, partition); // throws "invalid hourly partition key ..."
  const client = await connectClient(config);
  try {
    const workflowId = partitionWorkflowId(pipeline, partition);
    const running = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then((d) => d.status.name === 'RUNNING')
      .catch(() => false);
    const handle = await startPartition(client, config, { pipeline, partition, trigger: 'run' });
    // With use-existing, the run id of the start answer is the running execution's when joining.
    const ui = workflowUiUrl(config, workflowId, handle.firstExecutionRunId);
    process.stderr.write(`${running ? 'joined running' : 'started'} ${workflowId}\n  Temporal UI: ${ui}\n`);
    if (!opts.wait) return;
    try {
      const summary = await handle.result();
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else process.stdout.write(formatSummary(summary, config.schema));
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause?.message ?? err.message;
        throw new Error(`${workflowId} failed: ${cause}\n  history: ${ui}`);
      }
      throw err;
    }
  } finally {
    await client.connection.close();
  }
}
