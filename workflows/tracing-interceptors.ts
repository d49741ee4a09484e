/**
 * OpenTelemetry workflow interceptors, bundled only when tracing is on (workers/worker.ts): a
 * `RunWorkflow:<type>` span continuing the starter's trace from the headers (a schedule tick has
 * none: its trace starts here), `StartActivity:`/`StartChildWorkflow:` spans whose context travels
 * to the activity and child in their headers, and pipeline/partition attributes on the workflow
 * span. Finished spans leave the sandbox through the `exporter` sink (never during replay).
 * They cost about a third of a tiny partition's worker CPU, hence opt-in.
 * No command is added, removed or reordered: recorded histories replay unchanged.
 */
import { trace } from '@opentelemetry/api';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { labelsOf } from '../core/labels';

export const interceptors: WorkflowInterceptorsFactory = () => {
  const attributes: WorkflowInboundCallsInterceptor = {
    async execute(input, next) {
      const labels = labelsOf(input.args[0]);
      const span = trace.getActiveSpan();
      if (labels.pipeline) span?.setAttribute('datapulse.pipeline', labels.pipeline);
      if (labels.partition) span?.setAttribute('datapulse.partition', labels.partition);
      return next(input);
    },
  };
  return {
    // The OpenTelemetry interceptor comes first so its span is active when ours runs.
    inbound: [new OpenTelemetryInboundInterceptor(), attributes],
    outbound: [new OpenTelemetryOutboundInterceptor()],
    internals: [new OpenTelemetryInternalsInterceptor()],
  };
};
