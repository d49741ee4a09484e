/**
 * OpenTelemetry tracing for DataPulse processes (the CLI and the worker): one trace from the client
 * that starts a partition, through its workflow, to each activity and on into PostgreSQL and HTTP.
 * Start it first — before pg or the SDK are loaded — and shut it down (which flushes) in `finally`.
 *
 * Off unless configured, and then nothing heavy is loaded:
 * - `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`): OTLP over HTTP,
 *   protobuf by default, JSON with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`;
 * - `DATAPULSE_TRACE_CONSOLE=1`: one JSON line per finished span on stderr;
 * - tests hand in their own span processors (an in-memory exporter).
 *
 * Workflow spans are made inside the workflow sandbox by @temporalio/interceptors-opentelemetry and
 * leave it through the `exporter` sink; `workflowSinks()` hands them to the same processors.
 * Stays on the OpenTelemetry JS 1.x line (sdk-node 0.57) that the Temporal interceptors use.
 */
import { context, trace, ProxyTracerProvider, SpanStatusCode, type Attributes, type AttributeValue } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { InjectedSinks } from '@temporalio/worker';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';

/** Span attribute names DataPulse adds (on activity and workflow spans). */
export const ATTR = {
  pipeline: 'datapulse.pipeline',
  partition: 'datapulse.partition',
  rowsIn: 'datapulse.rows_in',
  rowsValid: 'datapulse.rows_valid',
  rowsQuarantined: 'datapulse.rows_quarantined',
  rowsDeduplicated: 'datapulse.rows_deduplicated',
  rowsLoaded: 'datapulse.rows_loaded',
  outcome: 'datapulse.outcome',
  command: 'datapulse.command',
} as const;

export interface TelemetryOptions {
  /** `service.name` of this process's spans; `OTEL_SERVICE_NAME` wins. */
  readonly serviceName: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra span processors (tests: an in-memory exporter); any turns tracing on. */
  readonly spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  /** True when spans go somewhere (OTLP, the console, or processors handed in). */
  readonly enabled: boolean;
  /** Runs `fn` inside a root span `name` (no-op when tracing is off). */
  inSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T>;
  /** Flushes and stops the SDK; only the call that started it does anything. Never throws. */
  shutdown(): Promise<void>;
}

/** Modules the instrumentations patch; re-required after start so copies loaded earlier get patched too. */
const INSTRUMENTED_MODULES = ['pg', 'pg-pool', 'http', 'https'];
const FLUSH_TIMEOUT_MS = 5000;

let active: { processors: SpanProcessor[]; resource: ReadableSpan['resource']; telemetry: Telemetry } | undefined;

const DISABLED: Telemetry = {
  enabled: false,
  inSpan: (_name, _attributes, fn) => fn(),
  shutdown: async () => undefined,
};

function isOn(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** The OTLP/HTTP traces URL from the standard variables, or undefined when OTLP is not configured. */
export function otlpTracesUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

/** Whether the environment asks for traces (OTLP endpoint or the console flag, and not OTEL_SDK_DISABLED). */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (isOn(env.OTEL_SDK_DISABLED)) return false;
  return otlpTracesUrl(env) !== undefined || isOn(env.DATAPULSE_TRACE_CONSOLE);
}

/** Thrown when the OTLP settings ask for something DataPulse does not ship. */
export class TelemetryConfigError extends Error {
  override readonly name = 'TelemetryConfigError';
}

function otlpExporter(url: string, env: NodeJS.ProcessEnv): SpanExporter {
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (protocol === 'http/protobuf') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter({ url });
  }
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url });
  }
  throw new TelemetryConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf (collector port 4318) or http/json`);
}

/** `DATAPULSE_TRACE_CONSOLE=1`: one JSON line per finished span on stderr (stdout stays for command output). */
class StderrSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    for (const s of spans) {
      const c = s.spanContext();
      const ms = s.duration[0] * 1e3 + s.duration[1] / 1e6;
      process.stderr.write(
        `${JSON.stringify({
          span: s.name,
          traceId: c.traceId,
          spanId: c.spanId,
          parentSpanId: s.parentSpanId,
          ms: Math.round(ms * 10) / 10,
          status: s.status.code === SpanStatusCode.ERROR ? `ERROR: ${s.status.message ?? ''}` : undefined,
          attributes: s.attributes,
        })}\n`,
      );
    }
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

function instrumentations(): Instrumentation[] {
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  return [
    // Only inside a trace (an activity, a CLI command): no root spans for pool housekeeping.
    // Statement text is recorded, bound values never are (enhancedDatabaseReporting stays off).
    new PgInstrumentation({ requireParentSpan: true }),
    // Global fetch (the HTTP sources) runs on undici.
    new UndiciInstrumentation({ requireParentforSpans: true }),
    // node:http clients (Slack webhook). Incoming requests only when the caller sent trace
    // context; the others (Prometheus scraping /metrics) are ignored outright, which also keeps
    // the ledger query behind a scrape out of traces (requireParentforIncomingSpans would leave
    // an invalid parent that PostgreSQL spans then hang root traces from).
    new HttpInstrumentation({ requireParentforOutgoingSpans: true, ignoreIncomingRequestHook: (req) => !req.headers.traceparent }),
  ];
}

/**
 * Starts tracing for this process when the environment (or `spanProcessors`) asks for it. Calling
 * it again while started returns a handle whose `shutdown()` does nothing: the first caller owns it.
 */
export function startTelemetry(opts: TelemetryOptions): Telemetry {
  if (active) return { ...active.telemetry, shutdown: async () => undefined };
  const env = opts.env ?? process.env;
  if (!opts.spanProcessors?.length && !tracingRequested(env)) return DISABLED;

  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { BatchSpanProcessor, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const processors: SpanProcessor[] = [...(opts.spanProcessors ?? [])];
  if (!isOn(env.OTEL_SDK_DISABLED)) {
    const url = otlpTracesUrl(env);
    if (url) processors.push(new BatchSpanProcessor(otlpExporter(url, env)));
    if (isOn(env.DATAPULSE_TRACE_CONSOLE)) processors.push(new SimpleSpanProcessor(new StderrSpanExporter()));
  }
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || opts.serviceName,
    spanProcessors: processors,
    instrumentations: instrumentations(),
    // Logs stay in pino (stdout JSON); no OTel log pipeline from the environment's defaults.
    logRecordProcessors: [],
  });
  sdk.start();
  for (const m of INSTRUMENTED_MODULES) {
    try {
      require(m);
    } catch {
      // not installed: nothing to patch
    }
  }
  const tracer = trace.getTracer('datapulse');
  let stopped = false;
  const telemetry: Telemetry = {
    enabled: true,
    inSpan: (name, attributes, fn) =>
      tracer.startActiveSpan(name, { attributes }, async (span) => {
        try {
          return await fn();
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          span.recordException(err as Error);
          throw err;
        } finally {
          span.end();
        }
      }),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      active = undefined;
      // An unreachable collector must not hold the process: give the flush a few seconds.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        sdk.shutdown().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    },
  };
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  const resource = (delegate as Partial<Pick<ReadableSpan, 'resource'>>).resource ?? emptyResource();
  active = { processors, resource, telemetry };
  return telemetry;
}

/** Keeps only values OTLP can carry as attributes: WorkflowInfo's nested objects are dropped, dates become ISO strings. */
function cleanAttributes(attrs: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (v instanceof Date) out[k] = v.toISOString();
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v as AttributeValue;
  }
  return out;
}

/**
 * Hands workflow spans (rebuilt from the sandbox by makeWorkflowExporter) to the processors of the
 * telemetry active now, with this process's resource (service.name, host, ...).
 */
function workflowSpanProcessor(): SpanProcessor {
  return {
    onStart: () => undefined,
    onEnd(span: ReadableSpan) {
      if (!active?.processors.length) return;
      const clean: ReadableSpan = {
        ...span,
        spanContext: () => span.spanContext(),
        resource: active.resource,
        attributes: cleanAttributes(span.attributes),
      };
      for (const p of active.processors) p.onEnd(clean);
    },
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
}

/**
 * The worker's `sinks`: the `exporter` sink the workflow interceptors send finished workflow spans
 * to. Always installed (a no-op while tracing is off) so the bundle never calls a missing sink.
 */
export function workflowSinks(): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> {
  const { makeWorkflowExporter } = require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry');
  // The resource given here is replaced by the active one in workflowSpanProcessor().
  return { exporter: makeWorkflowExporter(workflowSpanProcessor(), emptyResource()) };
}

function emptyResource(): ReadableSpan['resource'] {
  const { Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  return Resource.empty();
}

/** The active span of the current context, if tracing is on and one is active. */
export function activeSpan() {
  return trace.getSpan(context.active());
}
