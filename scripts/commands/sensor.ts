/** `datapulse sensor ...`: the file sensors that load what lands in each file pipeline's folder. */
import type { Client } from '@temporalio/client';
import { loadConfig, workflowUiUrl, type Config } from '../../infra/config';
import { connectClient } from '../../infra/temporal-client';
import { filePipelines, listSensors, sensorInfo, signalSensor, startSensor, startSensors, type SensorInfo, type SensorStartResult } from '../../ops/sensors';
import { registry } from '../../pipelines';

function out(lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function withClient<T>(fn: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    return await fn(client, config);
  } finally {
    await client.connection.close();
  }
}

/** Lines describing sensor starts (shared with `schedule apply` and `dev`). */
export function formatSensorStarts(results: readonly SensorStartResult[], config: Config): string[] {
  return results.map((r) => `${r.action.padEnd(9)} ${r.workflowId.padEnd(24)} ${workflowUiUrl(config, r.workflowId, r.runId)}`);
}

function formatInfo(i: SensorInfo, config: Config): string[] {
  const s = i.status;
  if (!s) return [`${i.pipeline.padEnd(16)} ${i.workflowId.padEnd(26)} ${i.state}${i.state === 'not started' ? '   start it: datapulse sensor start ' + i.pipeline : ''}`];
  const last = s.lastPollAtMs ? new Date(s.lastPollAtMs).toISOString().replace('.000Z', 'Z') : '-';
  const lines = [
    `${i.pipeline.padEnd(16)} ${i.workflowId.padEnd(26)} ${s.paused ? 'paused' : 'running'}  every ${Math.round(s.intervalMs / 1000)} s; ` +
      `${s.polls} polls, ${s.started} partitions started, ${s.deferred} deferred (were running); last poll ${last}`,
  ];
  if (s.lastError) lines.push(`${' '.repeat(17)}last poll failed: ${s.lastError}`);
  const f = s.lastFiles;
  if (f) {
    const parts = [
      f.added.length ? `added ${f.added.join(', ')}` : '',
      f.changed.length ? `changed ${f.changed.join(', ')}` : '',
      f.missing.length ? `gone ${f.missing.join(', ')}` : '',
      f.failed.length ? `unreadable ${f.failed.join(', ')}` : '',
    ].filter(Boolean);
    if (parts.length) lines.push(`${' '.repeat(17)}last files: ${parts.join('; ')}`);
  }
  lines.push(`${' '.repeat(17)}${workflowUiUrl(config, i.workflowId)}`);
  return lines;
}

export async function sensorStartCommand(pipeline: string | undefined): Promise<void> {
  await withClient(async (client, config) => {
    const results = pipeline ? [await startSensor(client, config, registry.get(pipeline))] : await startSensors(client, config, registry);
    out(results.length ? formatSensorStarts(results, config) : ['no pipeline reads landing files']);
  });
}

export async function sensorListCommand(): Promise<void> {
  await withClient(async (client, config) => {
    const infos = await listSensors(client, registry);
    out(infos.length ? infos.flatMap((i) => formatInfo(i, config)) : ['no pipeline reads landing files']);
  });
}

export async function sensorStatusCommand(pipeline: string, opts: { json?: boolean }): Promise<void> {
  registry.get(pipeline);
  await withClient(async (client, config) => {
    const info = await sensorInfo(client, pipeline);
    out(opts.json ? [JSON.stringify(info, null, 2)] : formatInfo(info, config));
  });
}

export async function sensorSignalCommand(pipeline: string, what: 'pause' | 'resume' | 'stop'): Promise<void> {
  if (!filePipelines(registry).some((d) => d.name === pipeline)) registry.get(pipeline); // unknown pipeline: one clear line
  await withClient(async (client) => {
    await signalSensor(client, pipeline, what);
    out([`${what} sent to sensor/${pipeline}`]);
  });
}
