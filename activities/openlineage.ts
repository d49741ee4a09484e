/**
 * OpenLineage run events (https://openlineage.io/spec/2-0-2/OpenLineage.json), sent over HTTP when
 * `OPENLINEAGE_URL` is set: START when a partition's ingest begins (first attempt), COMPLETE when
 * its load commits (or ingest finds nothing changed), FAIL when its failure is recorded. The run is
 * the partition workflow's run (its Temporal run id, a UUID), the job is the pipeline, the output
 * is its target table and the inputs are the tables of a derived dataset's inputs (or the source:
 * the API's origin, the landing folder); the nominal time is the partition's window.
 *
 * Built as an activity interceptor: no step's body changes, and an unreachable endpoint is logged,
 * never a failure of the partition.
 */
import path from 'node:path';
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from '../infra/logger';
import { Granularity, partitionWindow } from '../core/partition';
import type { PipelineDefinition } from '../core/pipeline';
import type { Registry } from '../core/registry';

/** The spec version the events follow. */
export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
export const OPENLINEAGE_PRODUCER = 'https://github.com/datapulse/datapulse';
const NOMINAL_TIME_FACET = 'https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet';
const ERROR_FACET = 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet';

export type OpenLineageEventType = 'START' | 'COMPLETE' | 'FAIL';

/** One dataset as OpenLineage names it: PostgreSQL tables are `postgres://host:port` + `database.schema.table`. */
export interface OpenLineageDataset {
  readonly namespace: string;
  readonly name: string;
}

/** A RunEvent (only the fields DataPulse fills). */
export interface OpenLineageRunEvent {
  readonly eventType: OpenLineageEventType;
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets: Record<string, unknown> };
  readonly job: { readonly namespace: string; readonly name: string };
  readonly inputs: readonly OpenLineageDataset[];
  readonly outputs: readonly OpenLineageDataset[];
}

export interface OpenLineageOptions {
  /** Base URL of the receiver; events are POSTed to `<url>/api/v1/lineage` (Marquez's endpoint). */
  readonly url: string;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Where the tables live: the PostgreSQL connection string (the password is never used) and schema. */
  readonly connectionString: string;
  readonly schema: string;
  readonly landingDir: string;
  /** Environment the HTTP sources read their base URL from. */
  readonly env: NodeJS.ProcessEnv;
  /** Job namespace. @default "datapulse" */
  readonly jobNamespace?: string;
  /** Per-request timeout, ms. @default 5000 */
  readonly timeoutMs?: number;
}

/** Builds the event of one partition run (pure apart from the clock). */
export function buildRunEvent(
  opts: Pick<OpenLineageOptions, 'registry' | 'connectionString' | 'schema' | 'landingDir' | 'env' | 'jobNamespace'>,
  eventType: OpenLineageEventType,
  ref: { pipeline: string; partition: string; runId: string; error?: string },
): OpenLineageRunEvent {
  const def = opts.registry.get(ref.pipeline);
  const db = new URL(opts.connectionString);
  const tableOf = (d: PipelineDefinition): OpenLineageDataset => ({
    namespace: `postgres://${db.hostname}:${db.port || '5432'}`,
    name: `${decodeURIComponent(db.pathname.replace(/^\//, '')) || 'postgres'}.${opts.schema}.${d.target.table}`,
  });
  const facets: Record<string, unknown> = {};
  if (def.partitioning.granularity !== Granularity.STATIC) {
    const w = partitionWindow(def.partitioning.granularity, ref.partition);
    facets.nominalTime = {
      _producer: OPENLINEAGE_PRODUCER,
      _schemaURL: NOMINAL_TIME_FACET,
      nominalStartTime: new Date(w.startMs).toISOString(),
      nominalEndTime: new Date(w.endMs).toISOString(),
    };
  }
  if (eventType === 'FAIL' && ref.error) {
    facets.errorMessage = { _producer: OPENLINEAGE_PRODUCER, _schemaURL: ERROR_FACET, message: ref.error, programmingLanguage: 'JavaScript' };
  }
  const src = def.source;
  const inputs: OpenLineageDataset[] =
    src.kind === 'derived'
      ? [...new Set(Object.values(src.inputs).map((i) => i.pipeline))].map((p) => tableOf(opts.registry.get(p)))
      : src.kind === 'http-json'
        ? [{ namespace: new URL(opts.env[src.baseUrlEnv] || src.defaultBaseUrl).origin, name: def.name }]
        : [{ namespace: 'file', name: path.join(opts.landingDir, def.name) }];
  return {
    eventType,
    eventTime: new Date().toISOString(),
    producer: OPENLINEAGE_PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: ref.runId, facets },
    job: { namespace: opts.jobNamespace ?? 'datapulse', name: ref.pipeline },
    inputs,
    outputs: [tableOf(def)],
  };
}

class OpenLineageInbound implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly opts: OpenLineageOptions,
  ) {}

  async execute(input: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[0], next: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[1]): Promise<unknown> {
    const type = this.ctx.info.activityType;
    const arg = (input.args[0] ?? {}) as { pipeline?: unknown; partition?: unknown; message?: unknown };
    const runId = this.ctx.info.workflowExecution?.runId;
    const ref = runId && typeof arg.pipeline === 'string' && typeof arg.partition === 'string' ? { pipeline: arg.pipeline, partition: arg.partition, runId } : undefined;
    if (ref && type === 'ingest' && this.ctx.info.attempt === 1) await this.emit('START', ref);
    const result = await next(input);
    if (ref && (type === 'load' || (type === 'ingest' && (result as { unchanged?: unknown } | undefined)?.unchanged))) await this.emit('COMPLETE', ref);
    if (ref && type === 'recordFailure') await this.emit('FAIL', { ...ref, error: typeof arg.message === 'string' ? arg.message : 'failed' });
    return result;
  }

  private async emit(eventType: OpenLineageEventType, ref: { pipeline: string; partition: string; runId: string; error?: string }): Promise<void> {
    const url = `${this.opts.url.replace(/\/+$/, '')}/api/v1/lineage`;
    try {
      const event = buildRunEvent(this.opts, eventType, ref);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
      });
      if (!res.ok) this.opts.logger.warn({ eventType, pipeline: ref.pipeline, partition: ref.partition, status: res.status }, 'OpenLineage receiver refused the event');
    } catch (err) {
      this.opts.logger.warn({ eventType, pipeline: ref.pipeline, partition: ref.partition, error: (err as Error).message }, 'could not send the OpenLineage event');
    }
  }
}

/** The activity interceptor that sends the events (add it only when OPENLINEAGE_URL is set). */
export function openLineageInterceptor(opts: OpenLineageOptions): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new OpenLineageInbound(ctx, opts) });
}
