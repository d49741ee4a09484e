/**
 * Proves one partition run is one connected OpenTelemetry trace on the real Temporal dev server
 * and PostgreSQL: the client's StartWorkflow span → the workflow's RunWorkflow span → a
 * StartActivity/RunActivity pair per step → PostgreSQL spans under every step and the HTTP call
 * under ingest, with pipeline, partition and row counts as attributes. Spans are collected with
 * an in-memory exporter handed to startTelemetry (the same path OTLP export takes).
 * (Partitions of 2024-12 belong to this file.)
 */
import { Writable } from 'node:stream';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger';
import { ATTR, startTelemetry, type Telemetry } from '../../infra/telemetry';
import { createHarness, type Harness } from './harness';

const exporter = new InMemorySpanExporter();
const logLines: Record<string, unknown>[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) logLines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
let telemetry: Telemetry;
let h: Harness;

beforeAll(async () => {
  // First, as in the CLI and the worker: the pg and HTTP instrumentations patch what loads later.
  telemetry = startTelemetry({ serviceName: 'datapulse-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  h = await createHarness({ metrics: true, logger: createLogger('info', { test: 'tracing' }, logSink) });
});
afterAll(async () => {
  await h?.close();
  await telemetry?.shutdown();
});

const STEPS = ['ingest', 'validate', 'transform', 'load'] as const;
const id = (s: ReadableSpan) => s.spanContext().spanId;

/** Workflow spans leave the sandbox through a sink after the workflow task completes: wait for them. */
async function spansOfTrace(workflowId: string, expectName: string): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const all = exporter.getFinishedSpans();
    const start = all.find((s) => s.name === 'StartWorkflow:partitionWorkflow' && s.attributes.temporalWorkflowId === workflowId);
    const traceId = start?.spanContext().traceId;
    const inTrace = all.filter((s) => s.spanContext().traceId === traceId);
    if (start && inTrace.some((s) => s.name === expectName)) return inTrace;
    if (Date.now() > deadline) throw new Error(`no ${expectName} span for ${workflowId}; spans: ${all.map((s) => s.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ancestors(span: ReadableSpan, byId: Map<string, ReadableSpan>): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  let cur = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
  while (cur) {
    out.push(cur);
    cur = cur.parentSpanId ? byId.get(cur.parentSpanId) : undefined;
  }
  return out;
}

describe('a partition run is one trace', () => {
  it('client → workflow → four activities → PostgreSQL and HTTP, with pipeline, partition and row counts', async () => {
    const partition = '2024-12-03T10';
    const summary = await h.run('weather', partition);
    const spans = await spansOfTrace(`weather/${partition}`, 'RunWorkflow:partitionWorkflow');
    const byId = new Map(spans.map((s) => [id(s), s]));
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found.map((s) => s.name), `exactly one ${name}`).toEqual([name]);
      return found[0]!;
    };

    // The client span is the root: the trace starts where the run was asked for.
    const client = one('StartWorkflow:partitionWorkflow');
    expect(client.parentSpanId).toBeUndefined();
    expect(client.resource.attributes['service.name']).toBe('datapulse-test');

    const workflow = one('RunWorkflow:partitionWorkflow');
    expect(workflow.parentSpanId).toBe(id(client));
    expect(workflow.attributes).toMatchObject({ [ATTR.pipeline]: 'weather', [ATTR.partition]: partition });
    // Spans made in the workflow sandbox carry this process's resource too.
    expect(workflow.resource.attributes['service.name']).toBe('datapulse-test');

    const run: Record<string, ReadableSpan> = {};
    for (const step of STEPS) {
      const scheduled = one(`StartActivity:${step}`);
      expect(scheduled.parentSpanId, `StartActivity:${step} under the workflow span`).toBe(id(workflow));
      const ran = one(`RunActivity:${step}`);
      expect(ran.parentSpanId, `RunActivity:${step} under its StartActivity`).toBe(id(scheduled));
      expect(ran.attributes).toMatchObject({ [ATTR.pipeline]: 'weather', [ATTR.partition]: partition, temporalWorkflowId: `weather/${partition}` });
      run[step] = ran;
    }
    // Row counts from each step's result.
    expect(run.ingest!.attributes[ATTR.rowsIn]).toBe(summary.rowsIn);
    expect(run.validate!.attributes).toMatchObject({ [ATTR.rowsValid]: summary.rowsValid, [ATTR.rowsQuarantined]: summary.rowsQuarantined });
    expect(run.transform!.attributes[ATTR.rowsDeduplicated]).toBe(summary.rowsDeduplicated);
    expect(run.load!.attributes).toMatchObject({
      [ATTR.rowsIn]: summary.rowsIn,
      [ATTR.rowsValid]: summary.rowsValid,
      [ATTR.rowsQuarantined]: summary.rowsQuarantined,
      [ATTR.rowsLoaded]: summary.rowsLoaded,
    });
    expect(summary.rowsLoaded).toBe(3);

    // PostgreSQL: every step's statements nest under its RunActivity span.
    const pgSpans = spans.filter((s) => s.attributes['db.system'] === 'postgresql');
    for (const step of STEPS) {
      const under = pgSpans.filter((s) => ancestors(s, byId).includes(run[step]!));
      expect(under.length, `PostgreSQL spans under RunActivity:${step}`).toBeGreaterThan(0);
    }
    const loadStatements = pgSpans.filter((s) => ancestors(s, byId).includes(run.load!)).map((s) => String(s.attributes['db.statement'] ?? ''));
    expect(loadStatements.some((q) => q.includes('INSERT INTO ledger'))).toBe(true);

    // HTTP: the weather API call (global fetch → undici) under ingest, one per location.
    const http = spans.filter((s) => typeof s.attributes['url.full'] === 'string' && String(s.attributes['url.full']).startsWith(h.api.url));
    expect(http.length).toBe(3);
    for (const s of http) {
      expect(s.attributes['http.request.method']).toBe('GET');
      expect(s.attributes['http.response.status_code']).toBe(200);
      expect(ancestors(s, byId)).toContain(run.ingest);
    }

    // Log lines written inside an activity name its span: from a log line to the trace.
    const ingested = logLines.find((l) => l.msg === 'ingested' && l.partition === partition);
    expect(ingested).toMatchObject({ trace_id: run.ingest!.spanContext().traceId, span_id: id(run.ingest!) });

    // And every one of them is in the client's trace: one trace, not several.
    expect(new Set([client, workflow, ...Object.values(run), ...pgSpans, ...http].map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('a failed step is an ERROR span in the same trace, followed by recordFailure', async () => {
    const partition = '2024-12-04T07';
    h.api.setFaults([{ kind: 'malformed' }]);
    try {
      await expect(h.run('weather', partition)).rejects.toThrow();
    } finally {
      h.api.setFaults([]);
    }
    const spans = await spansOfTrace(`weather/${partition}`, 'RunWorkflow:partitionWorkflow');
    const workflow = spans.find((s) => s.name === 'RunWorkflow:partitionWorkflow')!;
    const ingest = spans.find((s) => s.name === 'RunActivity:ingest')!;
    expect(ingest.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(ingest.attributes).toMatchObject({ [ATTR.pipeline]: 'weather', [ATTR.partition]: partition });
    expect(workflow.status.code).toBe(2);
    const recordFailure = spans.find((s) => s.name === 'RunActivity:recordFailure');
    expect(recordFailure?.attributes).toMatchObject({ [ATTR.pipeline]: 'weather', [ATTR.partition]: partition });
  });

  it('a Prometheus scrape (and the ledger query behind it) makes no spans', async () => {
    await h.run('weather', '2024-12-04T08'); // the freshness gauge has a ledger row to read
    exporter.reset();
    const res = await fetch(h.metricsUrl!);
    expect(await res.text()).toMatch(/^datapulse_freshness_lag_seconds\{pipeline="weather"\}/m);
    // Spans end (and reach the exporter) before the response that depends on them is sent.
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([]);
  });
});
