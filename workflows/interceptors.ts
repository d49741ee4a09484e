/**
 * Workflow interceptors always bundled with the workflows (workers/worker.ts): pipeline and
 * partition from the workflow input on every line of the replay-safe workflow logger (`log` from
 * @temporalio/workflow). Tracing lives in ./tracing-interceptors.ts, bundled only when tracing is on.
 * Neither adds, removes or reorders commands: recorded histories replay unchanged.
 */
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptorsFactory, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';
import { labelsOf, type PartitionLabels } from '../core/labels';

export const interceptors: WorkflowInterceptorsFactory = () => {
  // One factory call per workflow execution: this object is that execution's labels.
  const labels: PartitionLabels = {};
  const inbound: WorkflowInboundCallsInterceptor = {
    async execute(input, next) {
      Object.assign(labels, labelsOf(input.args[0]));
      return next(input);
    },
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    getLogAttributes: (input, next) => next({ ...labels, ...input }),
  };
  return { inbound: [inbound], outbound: [outbound] };
};
