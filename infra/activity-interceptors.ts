/**
 * Activity interceptors of the DataPulse worker, around every activity without touching its body:
 * 1. OpenTelemetry (@temporalio/interceptors-opentelemetry): a `RunActivity:<type>` span continuing
 *    the workflow's trace from the headers, active while the activity runs, so its PostgreSQL and
 *    HTTP calls nest under it; trace_id/span_id on the SDK's activity log lines.
 * 2. DataPulse: pipeline and partition (from the activity input) and the row counts (from its
 *    result) as span attributes; the Prometheus counters; pipeline and partition on every SDK
 *    activity log line (Context.log, "Activity failed", ...).
 */
import type { Context } from '@temporalio/activity';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, ActivityOutboundCallsInterceptor } from '@temporalio/worker';
import { labelsOf, type PartitionLabels as Labels } from '../core/labels';
import type { PipelineMetrics } from './metrics';
import { activeSpan, ATTR } from './telemetry';

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Row counts an activity result carries (summaries only: ingest, validate, transform, load). */
const COUNT_ATTRS = [
  ['rowsIn', ATTR.rowsIn],
  ['rowsValid', ATTR.rowsValid],
  ['rowsQuarantined', ATTR.rowsQuarantined],
  ['rowsDeduplicated', ATTR.rowsDeduplicated],
  ['rowsLoaded', ATTR.rowsLoaded],
] as const;

class DataPulseActivityInbound implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly labels: Labels,
    private readonly metrics: PipelineMetrics,
  ) {}

  async execute(input: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[0], next: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[1]): Promise<unknown> {
    const arg = input.args[0];
    Object.assign(this.labels, labelsOf(arg));
    const span = activeSpan();
    if (this.labels.pipeline) span?.setAttribute(ATTR.pipeline, this.labels.pipeline);
    if (this.labels.partition) span?.setAttribute(ATTR.partition, this.labels.partition);
    const result = await next(input);
    if (typeof result === 'object' && result !== null) {
      const r = result as Record<string, unknown>;
      for (const [key, attr] of COUNT_ATTRS) {
        const n = num(r[key]);
        if (n !== undefined) span?.setAttribute(attr, n);
      }
      if (this.ctx.info.activityType === 'ingest' && r.unchanged) span?.setAttribute(ATTR.outcome, 'unchanged');
    }
    if (this.labels.pipeline) this.record(this.labels.pipeline, arg, result);
    return result;
  }

  /** Prometheus counters from the results of the partition steps and the failure record. */
  private record(pipeline: string, arg: unknown, result: unknown): void {
    const r = (typeof result === 'object' && result !== null ? result : {}) as Record<string, unknown>;
    const m = this.metrics;
    const add = (counter: PipelineMetrics['rowsIn'], v: unknown) => {
      // Also 0: the series exists from the first partition on, so ratios over it are defined.
      const n = num(v);
      if (n !== undefined) counter.inc({ pipeline }, n);
    };
    switch (this.ctx.info.activityType) {
      case 'ingest':
        // `unchanged` (backfill --stale): nothing was rewritten, the partition stays as it was.
        if (!r.unchanged) add(m.rowsIn, r.rowsIn);
        break;
      case 'validate':
        add(m.rowsValid, r.rowsValid);
        add(m.rowsQuarantined, r.rowsQuarantined);
        break;
      case 'transform':
        add(m.rowsDeduplicated, r.rowsDeduplicated);
        break;
      case 'load': {
        add(m.rowsLoaded, r.rowsLoaded);
        m.partitionsSucceeded.inc({ pipeline });
        const ms = num(r.durationMs);
        if (ms !== undefined) m.partitionDuration.observe({ pipeline, outcome: 'succeeded' }, ms / 1000);
        break;
      }
      case 'recordFailure': {
        const a = (typeof arg === 'object' && arg !== null ? arg : {}) as Record<string, unknown>;
        m.partitionsFailed.inc({ pipeline, step: String(a.step ?? 'unknown'), error_type: String(a.errorType ?? 'unknown') });
        const started = num(a.startedAtMs);
        if (started !== undefined) m.partitionDuration.observe({ pipeline, outcome: 'failed' }, Math.max(0, Date.now() - started) / 1000);
        break;
      }
      default:
    }
  }
}

/** Adds pipeline and partition to the SDK's activity log lines (the labels are set once execute starts). */
class DataPulseActivityOutbound implements ActivityOutboundCallsInterceptor {
  constructor(private readonly labels: Labels) {}

  getLogAttributes(input: Record<string, unknown>, next: (input: Record<string, unknown>) => Record<string, unknown>): Record<string, unknown> {
    return next({ ...this.labels, ...input });
  }
}

/** The worker's `interceptors.activity`: OpenTelemetry outermost, DataPulse inside its span. */
export function activityInterceptors(metrics: PipelineMetrics): ActivityInterceptorsFactory[] {
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    (ctx) => {
      const labels: Labels = {};
      return { inbound: new DataPulseActivityInbound(ctx, labels, metrics), outbound: new DataPulseActivityOutbound(labels) };
    },
  ];
}
