/**
 * Partition runs ended from outside DataPulse: a partition workflow terminated from the UI or CLI,
 * timed out by its execution timeout, or gone from Temporal (retention) never reaches its own
 * failure record, so its ledger row would say `running` forever. This module asks Temporal for the
 * truth about every `running` ledger row and, where the run has ended, records it as failed with
 * what Temporal says (status, close time). Used by backfill planning (so such partitions are run
 * again, not waited on), the worker's periodic reconciler (so metrics count them) and, read-only,
 * by `datapulse status`.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from '../infra/db';

/** What a ledger row needs to be checked against Temporal. */
export interface RunningLedgerRow {
  readonly pipeline: string;
  readonly partition_key: string;
  readonly workflow_id: string | null;
  readonly run_id: string | null;
}

/** A run the ledger thinks is running but Temporal has closed (or forgotten). */
export interface EndedRun {
  readonly pipeline: string;
  readonly partition: string;
  readonly workflowId: string;
  readonly runId: string | null;
  /** Temporal's execution status name: TERMINATED, TIMED_OUT, CANCELLED, FAILED, COMPLETED, or NOT_FOUND. */
  readonly temporalStatus: string;
  readonly closedAt: Date | null;
  /** Ledger error type: WorkflowTerminated, WorkflowTimedOut, WorkflowCancelled, WorkflowFailed, WorkflowLost. */
  readonly errorType: string;
  /** Ledger error text, naming what Temporal recorded. */
  readonly message: string;
}

const ERROR_TYPES: Readonly<Record<string, string>> = {
  TERMINATED: 'WorkflowTerminated',
  TIMED_OUT: 'WorkflowTimedOut',
  CANCELLED: 'WorkflowCancelled',
  FAILED: 'WorkflowFailed',
  COMPLETED: 'WorkflowCompleted',
  CONTINUED_AS_NEW: 'WorkflowContinuedAsNew',
  NOT_FOUND: 'WorkflowLost',
};

/**
 * Asks Temporal about each row (one describe per row, a few at a time) and returns the runs that
 * have ended. Rows without a workflow id (steps called outside a workflow) are left alone, and so
 * are runs Temporal could not be asked about (unreachable): they stay `running`, nothing is guessed.
 */
export async function findEndedRuns(client: Client, rows: readonly RunningLedgerRow[], concurrency = 8): Promise<EndedRun[]> {
  const ended: EndedRun[] = [];
  const queue = rows.filter((r) => r.workflow_id);
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const workflowId = r.workflow_id!;
      let status: string;
      let closedAt: Date | null = null;
      try {
        const d = await client.workflow.getHandle(workflowId, r.run_id ?? undefined).describe();
        status = d.status.name;
        closedAt = d.closeTime ?? null;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) continue;
        status = 'NOT_FOUND';
      }
      if (status === 'RUNNING') continue;
      const what =
        status === 'NOT_FOUND'
          ? 'Temporal has no record of this run (deleted, or older than the namespace retention)'
          : `Temporal recorded the run as ${status}${closedAt ? ` at ${closedAt.toISOString()}` : ''}`;
      ended.push({
        pipeline: r.pipeline,
        partition: r.partition_key,
        workflowId,
        runId: r.run_id,
        temporalStatus: status,
        closedAt,
        errorType: ERROR_TYPES[status] ?? `Workflow${status}`,
        message: `ended outside DataPulse (terminated, timed out or lost) before recording its outcome: ${what}; run the partition again`,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  return ended;
}

/**
 * Records ended runs in the ledger as `failed` (step `workflow`, Temporal's status and close time),
 * each only if the row still names that run and still says `running`, so a newer run that started
 * meanwhile is never overwritten. Returns the runs actually recorded.
 */
export async function recordEndedRuns(pool: Pool, ended: readonly EndedRun[]): Promise<EndedRun[]> {
  const recorded: EndedRun[] = [];
  for (const e of ended) {
    const res = await pool.query(
      `UPDATE ledger SET status = 'failed', failed_step = 'workflow', error = $5, error_type = $6,
              finished_at = coalesce($7::timestamptz, now()),
              duration_ms = CASE WHEN started_at IS NULL THEN duration_ms
                                 ELSE (extract(epoch FROM coalesce($7::timestamptz, now()) - started_at) * 1000)::int END,
              updated_at = now()
        WHERE pipeline = $1 AND partition_key = $2 AND status = 'running'
          AND workflow_id = $3 AND run_id IS NOT DISTINCT FROM $4`,
      [e.pipeline, e.partition, e.workflowId, e.runId, e.message, e.errorType, e.closedAt],
    );
    if ((res.rowCount ?? 0) > 0) recorded.push(e);
  }
  return recorded;
}

/**
 * Checks the `running` ledger rows (of one pipeline and, optionally, some keys) against Temporal and
 * records those whose run has ended. Returns what it recorded.
 */
export async function reconcileRunningPartitions(
  pool: Pool,
  client: Client,
  scope: { readonly pipeline?: string; readonly keys?: readonly string[] } = {},
): Promise<EndedRun[]> {
  const { rows } = await pool.query<RunningLedgerRow>(
    `SELECT pipeline, partition_key, workflow_id, run_id FROM ledger
      WHERE status = 'running' AND ($1::text IS NULL OR pipeline = $1) AND ($2::text[] IS NULL OR partition_key = ANY($2::text[]))
      ORDER BY pipeline, partition_key LIMIT 10000`,
    [scope.pipeline ?? null, scope.keys ? [...scope.keys] : null],
  );
  if (rows.length === 0) return [];
  return recordEndedRuns(pool, await findEndedRuns(client, rows));
}
