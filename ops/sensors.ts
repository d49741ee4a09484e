/**
 * File sensors from the operator's side (CLI, console): start one per file-based pipeline (joining
 * a running one), list them with their status, pause, resume and stop them. A sensor is the
 * workflow `sensor/<pipeline>` (workflows/sensor.ts); its cursor lives in PostgreSQL
 * (`file_sensor_pending`), so stopping and starting one loses nothing.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../infra/config';
import type { PipelineDefinition } from '../core/pipeline';
import type { Registry } from '../core/registry';
import { PIPELINE_SA } from '../core/search-attributes';
import {
  sensorPauseSignal,
  sensorResumeSignal,
  sensorStatusQuery,
  sensorStopSignal,
  sensorWorkflowId,
  type fileSensorWorkflow,
  type SensorStatus,
} from '../workflows/sensor';

/** Thrown for a pipeline that has no landing files to sense. */
export class NotAFilePipelineError extends Error {
  override readonly name = 'NotAFilePipelineError';
}

/** Poll interval of a pipeline's sensor, in ms (`source.sensorIntervalSeconds`, default 30 s). */
export function sensorIntervalMs(def: PipelineDefinition): number {
  if (def.source.kind !== 'csv-files') throw new NotAFilePipelineError(`pipeline ${def.name} does not read landing files: it has no sensor`);
  return Math.round((def.source.sensorIntervalSeconds ?? 30) * 1000);
}

/** The registered pipelines that read landing files (and so get a sensor). */
export function filePipelines(registry: Registry): PipelineDefinition[] {
  return registry.pipelines.filter((d) => d.source.kind === 'csv-files');
}

/** How starting a sensor went. */
export interface SensorStartResult {
  readonly pipeline: string;
  readonly workflowId: string;
  /** `started`, or `running` when it was already running (joined, unchanged). */
  readonly action: 'started' | 'running';
  readonly runId: string;
}

/**
 * Starts the pipeline's sensor, or finds it running (same id: never two sensors per pipeline).
 * @throws NotAFilePipelineError for a pipeline without landing files.
 */
export async function startSensor(client: Client, config: Pick<Config, 'taskQueue'>, def: PipelineDefinition): Promise<SensorStartResult> {
  const workflowId = sensorWorkflowId(def.name);
  try {
    const handle = await client.workflow.start<typeof fileSensorWorkflow>('fileSensorWorkflow', {
      taskQueue: config.taskQueue,
      workflowId,
      args: [{ pipeline: def.name, intervalMs: sensorIntervalMs(def) }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: [{ key: PIPELINE_SA, value: def.name }],
    });
    return { pipeline: def.name, workflowId, runId: handle.firstExecutionRunId, action: 'started' };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const d = await client.workflow.getHandle(workflowId).describe();
    return { pipeline: def.name, workflowId, runId: d.runId, action: 'running' };
  }
}

/** Starts the sensor of every file-based pipeline of the registry. */
export async function startSensors(client: Client, config: Pick<Config, 'taskQueue'>, registry: Registry): Promise<SensorStartResult[]> {
  const out: SensorStartResult[] = [];
  for (const def of filePipelines(registry)) out.push(await startSensor(client, config, def));
  return out;
}

/** A sensor as `sensor list` and `sensor status` show it. */
export interface SensorInfo {
  readonly pipeline: string;
  readonly workflowId: string;
  /** Temporal's status of the sensor workflow, or `not started`. */
  readonly state: string;
  /** The workflow's own status (query), when it runs. */
  readonly status?: SensorStatus;
}

/** The sensor of one pipeline: its workflow state and, when running, its status query. */
export async function sensorInfo(client: Client, pipeline: string): Promise<SensorInfo> {
  const workflowId = sensorWorkflowId(pipeline);
  const handle = client.workflow.getHandle<typeof fileSensorWorkflow>(workflowId);
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') return { pipeline, workflowId, state: d.status.name.toLowerCase() };
    return { pipeline, workflowId, state: 'running', status: await handle.query(sensorStatusQuery) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { pipeline, workflowId, state: 'not started' };
    throw err;
  }
}

/** Every file-based pipeline's sensor. */
export async function listSensors(client: Client, registry: Registry): Promise<SensorInfo[]> {
  return Promise.all(filePipelines(registry).map((d) => sensorInfo(client, d.name)));
}

/** Sends `pause`, `resume` or `stop` to a pipeline's running sensor. */
export async function signalSensor(client: Client, pipeline: string, what: 'pause' | 'resume' | 'stop'): Promise<void> {
  const handle = client.workflow.getHandle(sensorWorkflowId(pipeline));
  const signal = what === 'pause' ? sensorPauseSignal : what === 'resume' ? sensorResumeSignal : sensorStopSignal;
  await handle.signal(signal);
}
