/** Backfills as the console shows them: running and recent ones, with each running one's progress. */
import type { Client } from '@temporalio/client';
import type { BackfillProgress } from '../workflows/backfill';

/** One backfill workflow; `progress` is its `progress` query's answer while it runs, its summary once completed. */
export interface BackfillListing {
  readonly workflowId: string;
  readonly status: string;
  readonly startedAt: string;
  readonly closedAt: string | null;
  readonly progress: BackfillProgress | null;
}

/**
 * The newest backfills (at most `limit`), optionally of one pipeline, running ones with their
 * progress. Throws when Temporal cannot be reached.
 */
export async function listBackfills(client: Client, opts: { pipeline?: string; limit?: number } = {}): Promise<BackfillListing[]> {
  const limit = opts.limit ?? 20;
  const pipelineFilter = opts.pipeline ? ` AND DataPulsePipeline=${JSON.stringify(opts.pipeline)}` : '';
  // No ORDER BY: the dev server's SQLite visibility refuses it (the default order is newest first on
  // every store; sorting a bounded page here makes it certain).
  const seen: { workflowId: string; status: string; startTime: Date; closeTime?: Date }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType="backfillWorkflow"${pipelineFilter}`, pageSize: 100 })) {
    seen.push({ workflowId: wf.workflowId, status: wf.status.name, startTime: wf.startTime, closeTime: wf.closeTime });
    if (seen.length >= Math.max(100, limit)) break;
  }
  seen.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  // A backfill continues-as-new: its earlier runs share the id; show the newest run only.
  const newest = seen.filter((wf, i) => seen.findIndex((o) => o.workflowId === wf.workflowId) === i);
  return Promise.all(
    newest.slice(0, limit).map(async (wf) => ({
      workflowId: wf.workflowId,
      status: wf.status,
      startedAt: wf.startTime.toISOString(),
      closedAt: wf.closeTime?.toISOString() ?? null,
      // Running: the progress query; completed: its summary (the result of its last run).
      progress:
        wf.status === 'RUNNING'
          ? await client.workflow.getHandle(wf.workflowId).query<BackfillProgress>('progress').catch(() => null)
          : wf.status === 'COMPLETED'
            ? ((await client.workflow.getHandle(wf.workflowId).result().catch(() => null)) as BackfillProgress | null)
            : null,
    })),
  );
}

/** Progress of one backfill: the query while it runs, its result when closed; null when unknown. */
export async function backfillProgress(client: Client, workflowId: string): Promise<{ status: string; progress: BackfillProgress | null }> {
  const handle = client.workflow.getHandle(workflowId);
  const desc = await handle.describe();
  if (desc.status.name === 'RUNNING') return { status: 'RUNNING', progress: await handle.query<BackfillProgress>('progress').catch(() => null) };
  const result = desc.status.name === 'COMPLETED' ? ((await handle.result().catch(() => null)) as BackfillProgress | null) : null;
  return { status: desc.status.name, progress: result };
}
