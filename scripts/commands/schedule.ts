/** `datapulse schedule ...`: the Temporal Schedules that run each pipeline's newest partition. */
import type { Client } from '@temporalio/client';
import { loadConfig, workflowsQueryUiUrl, workflowUiUrl, type Config } from '../../infra/config';
import {
  applySchedules,
  deleteSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  scheduleUiUrl,
  triggerSchedule,
  type ScheduleDetails,
} from '../../ops/schedules';
import { connectClient } from '../../infra/temporal-client';
import { registry } from '../../pipelines';
import { startSensors } from '../../ops/sensors';
import { formatSensorStarts } from './sensor';

function out(lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

function iso(d: Date | undefined): string {
  return d ? d.toISOString().replace('.000Z', 'Z') : '-';
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

export async function scheduleApplyCommand(): Promise<void> {
  await withClient(async (client, config) => {
    const results = await applySchedules(client, config, registry);
    const lines = results.map(
      (r) => `${r.action.padEnd(9)} ${r.scheduleId.padEnd(24)} ${r.paused ? 'paused (kept)' : 'active'.padEnd(13)}  ${scheduleUiUrl(config, r.scheduleId)}`,
    );
    // File pipelines also get their sensor (loads what lands between ticks): started once, then left running.
    const sensors = await startSensors(client, config, registry);
    out([...lines, ...formatSensorStarts(sensors, config), `task queue ${config.taskQueue}; all schedules: ${scheduleUiUrl(config)}`]);
  });
}

export async function scheduleListCommand(): Promise<void> {
  await withClient(async (client, config) => {
    const listing = await listSchedules(client, config, registry);
    const lines: string[] = [];
    for (const p of listing.pipelines) {
      const d = p.details;
      if (!d) {
        lines.push(`${p.pipeline.padEnd(14)} ${p.scheduleId.padEnd(24)} missing   run \`datapulse schedule apply\``);
        continue;
      }
      const next = d.nextActionTimes[0];
      const last = d.recentActions.at(-1);
      lines.push(
        `${p.pipeline.padEnd(14)} ${p.scheduleId.padEnd(24)} ${d.state.padEnd(9)} ${d.spec.padEnd(24)} ` +
          `next ${d.paused ? '- (paused)' : `${iso(next?.at)} → ${next?.partition ?? '?'}`}; ` +
          `last ${last ? `${iso(last.scheduledAt)} → ${last.partition ?? '?'}` : '-'}` +
          (d.outOfDate ? '  (differs from the registry: run `datapulse schedule apply`)' : '') +
          (d.paused && d.note ? `\n${' '.repeat(15)}note: ${d.note}` : ''),
      );
    }
    for (const o of listing.orphans) {
      lines.push(`${'(unregistered)'.padEnd(14)} ${o.scheduleId.padEnd(24)} ${o.paused ? 'paused' : 'active'}    no such pipeline; remove with \`temporal schedule delete --schedule-id ${o.scheduleId}\``);
    }
    out([...lines, `Temporal UI: ${scheduleUiUrl(config)}`]);
  });
}

function formatDetails(d: ScheduleDetails, config: Config): string[] {
  const lines = [
    `${d.scheduleId} (pipeline ${d.pipeline})`,
    `  state:     ${d.state}${d.note ? ` — note: ${d.note}` : ''}`,
    `  spec:      ${d.spec}`,
    `  action:    start ${d.workflowType} ${JSON.stringify(d.args[0] ?? null)} on task queue ${d.taskQueue}, id ${d.workflowIdBase}-<nominal time>`,
    `  policies:  overlap ${d.overlap}, catch-up window ${Math.round(d.catchupWindowMs / 60_000)} min`,
    `  actions:   ${d.numActionsTaken} taken, ${d.numActionsSkippedOverlap} skipped (overlap), ${d.numActionsMissedCatchupWindow} missed (catch-up window)`,
    ...(d.outOfDate ? ['  NOTE: differs from the registry; run `datapulse schedule apply`'] : []),
    `  next ${d.nextActionTimes.length} action times${d.paused ? ' (if resumed)' : ''}:`,
    ...d.nextActionTimes.map((n) => `    ${iso(n.at)} → partition ${n.partition ?? '?'}`),
    `  recent actions${d.recentActions.length ? '' : ': none'}`,
    ...[...d.recentActions].reverse().map((r) => `    ${iso(r.scheduledAt)} → partition ${r.partition ?? '?'}  ${r.workflowId}  ${workflowUiUrl(config, r.workflowId, r.runId)}`),
    ...(d.runningWorkflowIds.length ? [`  running:   ${d.runningWorkflowIds.join(', ')}`] : []),
    `  Temporal UI: ${scheduleUiUrl(config, d.scheduleId)}`,
    `  scheduled runs: ${workflowsQueryUiUrl(config, `WorkflowType="scheduledPartitionWorkflow" AND DataPulsePipeline="${d.pipeline}"`)}`,
  ];
  return lines;
}

export async function scheduleDescribeCommand(pipeline: string, opts: { json?: boolean } = {}): Promise<void> {
  registry.get(pipeline); // unknown pipeline fails before connecting
  await withClient(async (client, config) => {
    const d = await describeSchedule(client, config, registry, pipeline);
    if (opts.json) out([JSON.stringify(d, null, 2)]);
    else out(formatDetails(d, config));
  });
}

export async function schedulePauseCommand(pipeline: string, opts: { note?: string }): Promise<void> {
  registry.get(pipeline);
  await withClient(async (client, config) => {
    const r = await pauseSchedule(client, registry, pipeline, opts.note);
    out([`paused ${r.scheduleId} — note: ${r.note}`, `  resume with \`datapulse schedule resume ${pipeline}\``, `  Temporal UI: ${scheduleUiUrl(config, r.scheduleId)}`]);
  });
}

export async function scheduleResumeCommand(pipeline: string, opts: { note?: string }): Promise<void> {
  registry.get(pipeline);
  await withClient(async (client, config) => {
    const r = await resumeSchedule(client, registry, pipeline, opts.note);
    const d = await describeSchedule(client, config, registry, pipeline, { nextCount: 1 });
    const next = d.nextActionTimes[0];
    out([
      `resumed ${r.scheduleId} — note: ${r.note}`,
      `  next action ${iso(next?.at)} → partition ${next?.partition ?? '?'}; ticks that fell while paused are not run: backfill those partitions`,
      `  Temporal UI: ${scheduleUiUrl(config, r.scheduleId)}`,
    ]);
  });
}

export async function scheduleTriggerCommand(pipeline: string): Promise<void> {
  registry.get(pipeline);
  await withClient(async (client, config) => {
    const r = await triggerSchedule(client, registry, pipeline);
    const runs = workflowsQueryUiUrl(config, `DataPulsePipeline="${pipeline}"`);
    if (!r.workflowId) {
      out([`triggered ${r.scheduleId}; the started workflow did not show up within 10 s`, `  runs:        ${runs}`, `  Temporal UI: ${scheduleUiUrl(config, r.scheduleId)}`]);
      return;
    }
    out([
      `triggered ${r.scheduleId}: started ${r.workflowId} for partition ${r.partition ?? '?'} (nominal time ${iso(r.scheduledAt)})`,
      `  workflow:    ${workflowUiUrl(config, r.workflowId, r.runId)}`,
      `  runs:        ${runs}`,
      `  Temporal UI: ${scheduleUiUrl(config, r.scheduleId)}`,
    ]);
  });
}

export async function scheduleDeleteCommand(pipeline: string): Promise<void> {
  registry.get(pipeline);
  await withClient(async (client, config) => {
    const r = await deleteSchedule(client, registry, pipeline);
    out([
      `deleted ${r.scheduleId} (workflows it started keep running); \`datapulse schedule apply\` recreates it`,
      `  Temporal UI: ${scheduleUiUrl(config)}`,
      `  past runs:   ${workflowsQueryUiUrl(config, `DataPulsePipeline="${pipeline}"`)}`,
    ]);
  });
}

