/**
 * Workflow interceptors, bundled with the workflows (workers/worker.ts WORKFLOW_INTERCEPTORS_PATH):
 * - OpenTelemetry: a `RunWorkflow:<type>` span continuing the starter's trace from the headers (a
 *   schedule tick has none: its trace starts here), `StartActivity:`/`StartChildWorkflow:` spans
 *   whose context travels to the activity and child in their headers. Finished spans leave the
 *   sandbox through the `exporter` sink (never during replay).
 * - pipeline and partition from the workflow input on the workflow span and on every line of the
 *   replay-safe workflow logger (`log` from @temporalio/workflow).
 * Neither adds, removes or reorders commands: recorded histories replay unchanged.
 */
import { trace } from '@opentelemetry/api';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptorsFactory, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

interface PartitionLabels {
  pipeline?: string;
  partition?: string;
}

function labelsOf(arg: unknown): PartitionLabels {
  if (typeof arg !== 'object' || arg === null) return {};
  const { pipeline, partition } = arg as Record<string, unknown>;
  return {
    ...(typeof pipeline === 'string' ? { pipeline } : {}),
    ...(typeof partition === 'string' ? { partition } : {}),
  };
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  // One factory call per workflow execution: this object is that execution's labels.
  const labels: PartitionLabels = {};
  const inbound: WorkflowInboundCallsInterceptor = {
    async execute(input, next) {
      Object.assign(labels, labelsOf(input.args[0]));
      const span = trace.getActiveSpan();
      if (labels.pipeline) span?.setAttribute('datapulse.pipeline', labels.pipeline);
      if (labels.partition) span?.setAttribute('datapulse.partition', labels.partition);
      return next(input);
    },
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    getLogAttributes: (input, next) => next({ ...labels, ...input }),
  };
  return {
    // The OpenTelemetry interceptor comes first so the span is active when ours runs.
    inbound: [new OpenTelemetryInboundInterceptor(), inbound],
    outbound: [new OpenTelemetryOutboundInterceptor(), outbound],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
