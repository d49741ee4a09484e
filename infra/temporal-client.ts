/** Connecting to Temporal from the CLI, the demo, workers and tests, with tracing client interceptors. */
import {
  Client,
  Connection,
  type ClientInterceptors,
  type WorkflowClientInterceptor,
} from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { Config } from './config';

/** Thrown when the Temporal frontend cannot be reached, saying what to start or set. */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
}

/**
 * Tracing on the client: starting, signalling, cancelling or terminating a workflow makes a span
 * (`StartWorkflow:partitionWorkflow`, ...) and hands its context to the workflow in the headers, so
 * the workflow's spans join the caller's trace. Queries and describes are not traced: progress
 * bars poll them and would bury a trace in spans.
 */
export function clientInterceptors(): ClientInterceptors {
  const otel = new OpenTelemetryWorkflowClientInterceptor();
  const traced: WorkflowClientInterceptor = {
    startWithDetails: (input, next) => otel.startWithDetails(input, next),
    signal: (input, next) => otel.signal(input, next),
    signalWithStart: (input, next) => otel.signalWithStart(input, next),
    startUpdate: (input, next) => otel.startUpdate(input, next),
    startUpdateWithStart: (input, next) => otel.startUpdateWithStart(input, next),
    cancel: (input, next) => otel.cancel(input, next),
    terminate: (input, next) => otel.terminate(input, next),
  };
  return { workflow: [traced] };
}

export async function connectClient(config: Pick<Config, 'temporalAddress' | 'namespace'>): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 5000 });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    throw new TemporalUnavailableError(
      `cannot reach Temporal at ${config.temporalAddress} (${(err as Error).message.split('\n')[0]}): ` +
        'start the local stack with `npx datapulse dev`, or set TEMPORAL_ADDRESS',
    );
  }
  return new Client({ connection, namespace: config.namespace, interceptors: clientInterceptors() });
}
