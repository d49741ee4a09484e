/**
 * Automation of one derived pipeline (`automation/<pipeline>`): collects the loads of its upstream
 * partitions (signals sent with signal-with-start by the partitions that loaded, so nothing needs
 * to poll) and starts the downstream partitions that became ready — once per burst: signals are
 * gathered until the burst settles, and a partition already running or up to date is not started
 * again. Children use the shared partition workflow ids, so they meet schedule ticks and backfills
 * instead of racing them, and are abandoned on completion of this workflow (they run on their own).
 * Ends after an idle period (the next load starts it again) and continues-as-new when its history
 * grows, carrying the loads not yet planned.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { condition, continueAsNew, defineSignal, log, ParentClosePolicy, proxyActivities, setHandler, startChild, WorkflowIdReusePolicy, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { UPSTREAM_LOADED_SIGNAL, type UpstreamLoad } from '../core/automation';
import { PARTITION_SA, PIPELINE_SA, partitionWorkflowId } from '../core/search-attributes';
import { partitionWorkflow } from './partition';

export interface AutomationInput {
  readonly pipeline: string;
  /** Loads received by the previous run and not planned yet (continue-as-new). */
  readonly carried?: readonly UpstreamLoad[];
  /** Quiet time that ends a burst of loads, ms. @default 2000 */
  readonly settleMs?: number;
  /** A burst is planned at the latest after this long, ms. @default 30000 */
  readonly maxSettleMs?: number;
  /** With nothing to do for this long, the workflow ends, ms. @default 300000 */
  readonly idleMs?: number;
}

export const upstreamLoadedSignal = defineSignal<[UpstreamLoad]>(UPSTREAM_LOADED_SIGNAL);

// Planning is a few small queries: a short timeout, so a worker that dies mid-plan is replaced fast.
const { planAutomation } = proxyActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Continue-as-new after this many history events (far below Temporal's warnings). */
const MAX_HISTORY = 5_000;

export async function automationWorkflow(input: AutomationInput): Promise<{ started: number }> {
  const pending = new Map<string, UpstreamLoad>();
  let received = 0;
  const add = (l: UpstreamLoad) => {
    pending.set(`${l.upstream}\u0000${l.key}`, l);
    received++;
  };
  for (const l of input.carried ?? []) add(l);
  setHandler(upstreamLoadedSignal, add);
  const settleMs = input.settleMs ?? 2_000;
  const maxSettleMs = input.maxSettleMs ?? 30_000;
  let started = 0;
  for (;;) {
    if (pending.size === 0 && !(await condition(() => pending.size > 0, input.idleMs ?? 300_000))) return { started };
    // Let the burst settle: 24 hourly loads of a day plan once, when the last one has landed.
    // (Rounds of `settleMs`, not the clock: at most maxSettleMs in all.)
    let seen = received;
    for (let round = 1; round < maxSettleMs / settleMs && (await condition(() => received !== seen, settleMs)); round++) seen = received;
    const loads = [...pending.values()];
    pending.clear();
    const plan = await planAutomation({ pipeline: input.pipeline, loads });
    for (const key of plan.start) {
      try {
        await startChild(partitionWorkflow, {
          workflowId: partitionWorkflowId(input.pipeline, key),
          args: [{ pipeline: input.pipeline, partition: key, trigger: 'automation' }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: [
            { key: PIPELINE_SA, value: input.pipeline },
            { key: PARTITION_SA, value: key },
          ],
        });
        started++;
      } catch (err) {
        // A schedule tick, a backfill or `datapulse run` is running it right now: theirs is the run.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    if (plan.start.length || plan.waiting) log.info('automation planned', { pipeline: input.pipeline, loads: loads.length, started: plan.start.length, waiting: plan.waiting });
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY) {
      return continueAsNew<typeof automationWorkflow>({ ...input, carried: [...pending.values()] });
    }
  }
}
