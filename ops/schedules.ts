/**
 * Temporal Schedules for DataPulse: one schedule per registered pipeline, `datapulse/<pipeline>`,
 * which starts `scheduledPartitionWorkflow` every hour (or day) so the newest complete partition is
 * processed without anyone running it by hand. `applySchedules` makes the server match the
 * registry (idempotent; never un-pauses); the rest are the operator's verbs. Used by the CLI
 * (`datapulse schedule ...`), the demo and the tests.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import type { Duration, SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Config } from '../infra/config';
import { Granularity, partitionForNominalTime } from '../core/partition';
import type { PipelineDefinition, ScheduleSettings } from '../core/pipeline';
import type { Registry } from '../core/registry';
import { PIPELINE_SA } from '../core/search-attributes';
import type { ScheduledPartitionInput, scheduledPartitionWorkflow } from '../workflows/scheduled';

export const SCHEDULE_ID_PREFIX = 'datapulse/';
export const SCHEDULED_WORKFLOW_TYPE = 'scheduledPartitionWorkflow';

/** `datapulse/weather`: the one schedule of a pipeline. */
export function scheduleIdFor(pipeline: string): string {
  return `${SCHEDULE_ID_PREFIX}${pipeline}`;
}

/** Base id of the workflows a pipeline's schedule starts; Temporal appends `-<nominal time>`. */
export function scheduledWorkflowIdFor(pipeline: string): string {
  return `datapulse-schedule/${pipeline}`;
}

/** Re-exported for callers of this module; defined with the other UI links. */
export { scheduleUiUrl } from '../infra/config';

/** Thrown when a registered pipeline has no schedule on the server yet. */
export class ScheduleMissingError extends Error {
  override readonly name = 'ScheduleMissingError';
  constructor(
    readonly pipeline: string,
    readonly scheduleId: string,
  ) {
    super(`pipeline "${pipeline}" has no schedule (${scheduleId}): run \`datapulse schedule apply\` to create it`);
  }
}

/** Thrown when a pipeline's `schedule` settings cannot be turned into a schedule. */
export class ScheduleSettingsError extends Error {
  override readonly name = 'ScheduleSettingsError';
}

type OverlapPolicy = NonNullable<ScheduleSettings['overlap']>;

export interface ResolvedScheduleSettings {
  readonly offsetMinutes: number;
  readonly lag: number;
  readonly overlap: OverlapPolicy;
  readonly catchupWindow: Duration;
}

/** Offsets must fall inside the shortest partition: an hour, a day, February (monthly), a day (static: refreshed daily). */
const MINUTES_PER_STEP: Record<Granularity, number> = { hourly: 60, daily: 1440, monthly: 28 * 1440, static: 1440 };
const DEFAULT_OFFSET_MINUTES: Record<Granularity, number> = { hourly: 5, daily: 30, monthly: 60, static: 30 };
const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'TERMINATE_OTHER', 'ALLOW_ALL'];

/** The definition's schedule settings with the defaults filled in, checked. */
export function scheduleSettingsFor(def: PipelineDefinition): ResolvedScheduleSettings {
  const granularity = def.partitioning.granularity;
  const s = def.schedule ?? {};
  const fail = (msg: string): never => {
    throw new ScheduleSettingsError(`pipeline "${def.name}": schedule.${msg}`);
  };
  const offsetMinutes = s.offsetMinutes ?? DEFAULT_OFFSET_MINUTES[granularity];
  if (!Number.isInteger(offsetMinutes) || offsetMinutes < 0 || offsetMinutes >= MINUTES_PER_STEP[granularity]) {
    fail(`offsetMinutes must be an integer in [0, ${MINUTES_PER_STEP[granularity]}) for a ${granularity} pipeline, got ${offsetMinutes}`);
  }
  const lag = s.lag ?? 1;
  // Lag 0 would run the partition the tick falls in, whose window has not ended (ingest refuses it).
  if (!Number.isInteger(lag) || lag < 1) fail(`lag must be an integer ≥ 1 (lag 0 would run a partition whose window has not ended), got ${lag}`);
  const overlap = s.overlap ?? 'BUFFER_ONE';
  if (!OVERLAP_POLICIES.includes(overlap)) fail(`overlap must be one of ${OVERLAP_POLICIES.join(', ')}, got ${String(overlap)}`);
  const catchupWindow = (s.catchupWindow ?? '1 day') as Duration;
  let catchupMs = NaN;
  try {
    catchupMs = msToNumber(catchupWindow);
  } catch {
    // reported below
  }
  if (!Number.isFinite(catchupMs) || catchupMs < 10_000) fail(`catchupWindow must be a duration of at least 10 seconds such as "1 day", got ${JSON.stringify(s.catchupWindow)}`);
  return { offsetMinutes, lag, overlap, catchupWindow };
}

/**
 * Hourly: every hour at `offsetMinutes` past (default :05). Daily and static (a snapshot refreshed
 * daily): every day at offset past 00:00 UTC (default 00:30). Monthly: a calendar spec on the 1st
 * of every month at offset past 00:00 UTC (default 01:00), since months have no fixed length.
 */
export function scheduleSpecFor(def: PipelineDefinition): ScheduleSpec {
  const { offsetMinutes } = scheduleSettingsFor(def);
  if (def.partitioning.granularity === Granularity.MONTHLY) {
    const day = Math.floor(offsetMinutes / 1440);
    const minutes = offsetMinutes % 1440;
    return { calendars: [{ dayOfMonth: 1 + day, hour: Math.floor(minutes / 60), minute: minutes % 60, comment: 'monthly partition' }] };
  }
  const every = def.partitioning.granularity === Granularity.HOURLY ? '1h' : '1d';
  return { intervals: [{ every, offset: `${offsetMinutes}m` }] };
}

/** The start-workflow action of a pipeline's schedule. */
export function scheduleActionFor(def: PipelineDefinition, config: Pick<Config, 'taskQueue'>): ScheduleOptionsStartWorkflowAction<typeof scheduledPartitionWorkflow> {
  const { lag } = scheduleSettingsFor(def);
  const input: ScheduledPartitionInput = { pipeline: def.name, granularity: def.partitioning.granularity, lag };
  return {
    type: 'startWorkflow',
    workflowType: SCHEDULED_WORKFLOW_TYPE,
    taskQueue: config.taskQueue,
    workflowId: scheduledWorkflowIdFor(def.name),
    args: [input],
    typedSearchAttributes: [{ key: PIPELINE_SA, value: def.name }],
  };
}

/** Everything `schedule apply` wants on the server for one pipeline (the state is left to operators). */
export function scheduleOptionsFor(def: PipelineDefinition, config: Pick<Config, 'taskQueue'>): ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof scheduledPartitionWorkflow>> {
  const settings = scheduleSettingsFor(def);
  return {
    scheduleId: scheduleIdFor(def.name),
    spec: scheduleSpecFor(def),
    action: scheduleActionFor(def, config),
    policies: { overlap: settings.overlap, catchupWindow: settings.catchupWindow, pauseOnFailure: false },
    typedSearchAttributes: [{ key: PIPELINE_SA, value: def.name }],
  };
}

// -----------------------------------------------------------------------------------------------
// apply
// -----------------------------------------------------------------------------------------------

export type ApplyAction = 'created' | 'updated' | 'unchanged';

export interface ApplyResult {
  readonly pipeline: string;
  readonly scheduleId: string;
  readonly action: ApplyAction;
  /** Whether the schedule is paused after apply (apply never changes that). */
  readonly paused: boolean;
}

/** Sorts object keys so two equal values serialize identically. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}

function searchAttributePairs(sa: SearchAttributePair[] | TypedSearchAttributes | undefined): [string, unknown][] {
  const pairs = Array.isArray(sa) ? sa : (sa?.getAll() ?? []);
  return pairs.map((p): [string, unknown] => [p.key.name, p.value]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The parts of a schedule `apply` manages, in one comparable shape: spec, action, policies and the
 * schedule's pipeline search attribute. State (paused, note) is deliberately not part of it.
 */
function normalizedDesired(opts: ReturnType<typeof scheduleOptionsFor>): string {
  const intervals = (opts.spec.intervals ?? []).map((i) => ({ every: msToNumber(i.every), offset: msToNumber(i.offset ?? 0) }));
  return JSON.stringify(
    canonical({
      spec: {
        intervals,
        calendars: (opts.spec.calendars ?? []).map((c) => `${String(c.dayOfMonth)} ${String(c.hour)}:${String(c.minute)}`),
        skip: 0,
        startAt: null,
        endAt: null,
        jitter: 0,
        timezone: '',
      },
      action: {
        workflowType: SCHEDULED_WORKFLOW_TYPE,
        workflowId: opts.action.workflowId,
        taskQueue: opts.action.taskQueue,
        args: opts.action.args,
        searchAttributes: searchAttributePairs(opts.action.typedSearchAttributes),
        timeouts: [null, null, null],
        retry: null,
        memo: 0,
      },
      policies: { overlap: opts.policies?.overlap, catchupWindow: msToNumber(opts.policies?.catchupWindow ?? 0), pauseOnFailure: false },
      pipeline: opts.typedSearchAttributes && searchAttributePairs(opts.typedSearchAttributes).find(([k]) => k === PIPELINE_SA.name)?.[1],
    }),
  );
}

/** The first value of a described calendar field (ranges like `[{ start: 1, end: 1 }]`), for comparison. */
function firstOf(field: unknown): string {
  const r = Array.isArray(field) ? (field[0] as { start?: unknown } | undefined) : undefined;
  return r && r.start !== undefined ? String(r.start) : String(field);
}

function normalizedCurrent(d: ScheduleDescription): string {
  const a = d.action;
  return JSON.stringify(
    canonical({
      spec: {
        intervals: (d.spec.intervals ?? []).map((i) => ({ every: i.every, offset: i.offset ?? 0 })),
        calendars: (d.spec.calendars ?? []).map((c) => `${firstOf(c.dayOfMonth)} ${firstOf(c.hour)}:${firstOf(c.minute)}`),
        skip: d.spec.skip?.length ?? 0,
        startAt: d.spec.startAt ?? null,
        endAt: d.spec.endAt ?? null,
        jitter: d.spec.jitter ?? 0,
        timezone: d.spec.timezone ?? '',
      },
      action: {
        workflowType: a.workflowType,
        workflowId: a.workflowId,
        taskQueue: a.taskQueue,
        args: a.args,
        searchAttributes: searchAttributePairs(a.typedSearchAttributes),
        timeouts: [a.workflowExecutionTimeout ?? null, a.workflowRunTimeout ?? null, a.workflowTaskTimeout ?? null],
        retry: a.retry ?? null,
        memo: Object.keys(a.memo ?? {}).length,
      },
      policies: { overlap: d.policies.overlap, catchupWindow: d.policies.catchupWindow, pauseOnFailure: d.policies.pauseOnFailure },
      pipeline: d.typedSearchAttributes.get(PIPELINE_SA),
    }),
  );
}

/** True when the schedule on the server already has the spec, action and policies `apply` would set. */
export function scheduleMatches(current: ScheduleDescription, def: PipelineDefinition, config: Pick<Config, 'taskQueue'>): boolean {
  return normalizedCurrent(current) === normalizedDesired(scheduleOptionsFor(def, config));
}

async function describeOrUndefined(handle: ScheduleHandle): Promise<ScheduleDescription | undefined> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Creates the schedule of every registered pipeline that has none, and brings existing ones to the
 * definition's spec, action and policies. Idempotent: an up-to-date schedule is not touched
 * (`unchanged`). Never pauses or un-pauses: an update carries the schedule's current state over.
 * Schedules of pipelines no longer registered are left alone (`listSchedules` reports them).
 * (The SDK's update is describe-then-replace without a conflict token: a pause landing between the
 * two would be lost. Apply is a deploy-time step, so that window is accepted.)
 */
/**
 * Whether a pipeline gets a Temporal Schedule: every pipeline except derived datasets with
 * automation (the default), which run when their inputs load instead of on the clock.
 */
export function needsSchedule(def: Pick<PipelineDefinition, 'source' | 'automation'>): boolean {
  return !(def.source.kind === 'derived' && def.automation !== 'manual');
}

export async function applySchedules(client: Client, config: Pick<Config, 'taskQueue'>, registry: Registry): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const def of registry.pipelines) {
    if (!needsSchedule(def)) continue;
    const opts = scheduleOptionsFor(def, config); // validates settings before touching the server
    const handle = client.schedule.getHandle(opts.scheduleId);
    let current = await describeOrUndefined(handle);
    if (!current) {
      try {
        await client.schedule.create({ ...opts, state: { note: 'created by `datapulse schedule apply`' } });
        results.push({ pipeline: def.name, scheduleId: opts.scheduleId, action: 'created', paused: false });
        continue;
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        current = await handle.describe(); // created concurrently: fall through to the update path
      }
    }
    if (scheduleMatches(current, def, config)) {
      results.push({ pipeline: def.name, scheduleId: opts.scheduleId, action: 'unchanged', paused: current.state.paused });
      continue;
    }
    let paused = current.state.paused;
    await handle.update((prev): ScheduleUpdateOptions<ScheduleOptionsStartWorkflowAction<typeof scheduledPartitionWorkflow>> => {
      paused = prev.state.paused;
      return {
        spec: opts.spec,
        action: opts.action,
        policies: opts.policies,
        typedSearchAttributes: opts.typedSearchAttributes,
        // UpdateSchedule replaces the whole schedule, state included: carry it over, or a paused
        // schedule would silently resume.
        state: { paused: prev.state.paused, note: prev.state.note, remainingActions: prev.state.remainingActions },
      };
    });
    results.push({ pipeline: def.name, scheduleId: opts.scheduleId, action: 'updated', paused });
  }
  return results;
}

// -----------------------------------------------------------------------------------------------
// inspection
// -----------------------------------------------------------------------------------------------

export interface ScheduleActionRecord {
  /** Time the action was scheduled for (a trigger's is the trigger time). */
  readonly scheduledAt: Date;
  readonly takenAt: Date;
  readonly workflowId: string;
  readonly runId: string;
  /** The partition a `scheduledPartitionWorkflow` started at `scheduledAt` processes. */
  readonly partition: string | undefined;
}

export interface ScheduleDetails {
  readonly pipeline: string;
  readonly scheduleId: string;
  readonly state: 'active' | 'paused';
  readonly paused: boolean;
  readonly note: string | undefined;
  /** Human-readable spec, e.g. `every hour at :05 UTC`. */
  readonly spec: string;
  readonly intervals: readonly { readonly every: number; readonly offset: number }[];
  readonly overlap: string;
  readonly catchupWindowMs: number;
  readonly taskQueue: string;
  readonly workflowType: string;
  readonly workflowIdBase: string;
  readonly args: readonly unknown[];
  /** Differs from what `schedule apply` would set (the registry changed since the last apply). */
  readonly outOfDate: boolean;
  readonly nextActionTimes: readonly { readonly at: Date; readonly partition: string | undefined }[];
  /** Oldest first, as Temporal returns them. */
  readonly recentActions: readonly ScheduleActionRecord[];
  readonly runningWorkflowIds: readonly string[];
  readonly numActionsTaken: number;
  readonly numActionsSkippedOverlap: number;
  readonly numActionsMissedCatchupWindow: number;
  readonly createdAt: Date;
  readonly lastUpdatedAt: Date | undefined;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function formatDuration(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** `every hour at :05 UTC`, `every day at 00:30 UTC`, or the raw interval. */
export function describeIntervals(intervals: readonly { readonly every: number; readonly offset: number }[], extra = 0): string {
  const parts = intervals.map(({ every, offset }) => {
    const minutes = Math.floor(offset / 60_000);
    if (every === HOUR_MS && offset % 60_000 === 0) return `every hour at :${pad2(minutes)} UTC`;
    if (every === DAY_MS && offset % 60_000 === 0) return `every day at ${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)} UTC`;
    return `every ${formatDuration(every)}${offset ? ` offset ${formatDuration(offset)}` : ''}`;
  });
  if (extra) parts.push(`${extra} calendar spec(s) (monthly pipelines: the 1st of each month)`);
  return parts.length ? parts.join('; ') : 'no spec (runs only when triggered)';
}

function inputOf(args: readonly unknown[]): ScheduledPartitionInput | undefined {
  const a = args[0] as Partial<ScheduledPartitionInput> | undefined;
  if (!a || typeof a.pipeline !== 'string' || !Object.values(Granularity).includes(a.granularity as Granularity)) return undefined;
  return { pipeline: a.pipeline, granularity: a.granularity as Granularity, lag: typeof a.lag === 'number' ? a.lag : 1 };
}

function partitionAt(input: ScheduledPartitionInput | undefined, at: Date): string | undefined {
  return input ? partitionForNominalTime(input.granularity, at.getTime(), input.lag ?? 1) : undefined;
}

async function describeRegistered(client: Client, registry: Registry, pipeline: string): Promise<{ def: PipelineDefinition; scheduleId: string; handle: ScheduleHandle; desc: ScheduleDescription }> {
  const def = registry.get(pipeline); // UnknownPipelineError
  if (!needsSchedule(def)) {
    throw new ScheduleSettingsError(`${def.name} is a derived dataset run by automation when its inputs load: it has no schedule (declare automation: 'manual' to schedule it)`);
  }
  const scheduleId = scheduleIdFor(def.name);
  const handle = client.schedule.getHandle(scheduleId);
  const desc = await describeOrUndefined(handle);
  if (!desc) throw new ScheduleMissingError(def.name, scheduleId);
  return { def, scheduleId, handle, desc };
}

function details(def: PipelineDefinition, desc: ScheduleDescription, config: Pick<Config, 'taskQueue'>, nextCount: number): ScheduleDetails {
  const input = inputOf(desc.action.args ?? []);
  const intervals = (desc.spec.intervals ?? []).map((i) => ({ every: i.every, offset: i.offset ?? 0 }));
  return {
    pipeline: def.name,
    scheduleId: desc.scheduleId,
    state: desc.state.paused ? 'paused' : 'active',
    paused: desc.state.paused,
    note: desc.state.note || undefined,
    spec: describeIntervals(intervals, (desc.spec.calendars?.length ?? 0) + (desc.spec.skip?.length ?? 0)),
    intervals,
    overlap: desc.policies.overlap ?? 'SKIP',
    catchupWindowMs: desc.policies.catchupWindow,
    taskQueue: desc.action.taskQueue,
    workflowType: desc.action.workflowType,
    workflowIdBase: desc.action.workflowId ?? '',
    args: desc.action.args ?? [],
    outOfDate: !scheduleMatches(desc, def, config),
    nextActionTimes: desc.info.nextActionTimes.slice(0, nextCount).map((at) => ({ at, partition: partitionAt(input, at) })),
    recentActions: desc.info.recentActions.map((r) => ({
      scheduledAt: r.scheduledAt,
      takenAt: r.takenAt,
      workflowId: r.action.workflow.workflowId,
      runId: r.action.workflow.firstExecutionRunId,
      partition: partitionAt(input, r.scheduledAt),
    })),
    runningWorkflowIds: desc.info.runningActions.map((r) => r.workflow.workflowId),
    numActionsTaken: desc.info.numActionsTaken,
    numActionsSkippedOverlap: desc.info.numActionsSkippedOverlap,
    numActionsMissedCatchupWindow: desc.info.numActionsMissedCatchupWindow,
    createdAt: desc.info.createdAt,
    lastUpdatedAt: desc.info.lastUpdatedAt,
  };
}

/** State, spec, the next `nextCount` (default 5) action times and the recent actions of a pipeline's schedule. */
export async function describeSchedule(
  client: Client,
  config: Pick<Config, 'taskQueue'>,
  registry: Registry,
  pipeline: string,
  opts: { nextCount?: number } = {},
): Promise<ScheduleDetails> {
  const { def, desc } = await describeRegistered(client, registry, pipeline);
  return details(def, desc, config, opts.nextCount ?? 5);
}

export interface ScheduleListing {
  /** One entry per registered pipeline; `details` is undefined when its schedule does not exist yet. */
  readonly pipelines: readonly { readonly pipeline: string; readonly scheduleId: string; readonly details: ScheduleDetails | undefined }[];
  /** `datapulse/...` schedules on the server whose pipeline is no longer registered (best effort: visibility is eventually consistent). */
  readonly orphans: readonly { readonly scheduleId: string; readonly paused: boolean }[];
}

/** Every registered pipeline's schedule (or its absence), plus DataPulse schedules of unregistered pipelines. */
export async function listSchedules(client: Client, config: Pick<Config, 'taskQueue'>, registry: Registry): Promise<ScheduleListing> {
  const pipelines = await Promise.all(
    registry.pipelines.filter(needsSchedule).map(async (def) => {
      const scheduleId = scheduleIdFor(def.name);
      const desc = await describeOrUndefined(client.schedule.getHandle(scheduleId));
      return { pipeline: def.name, scheduleId, details: desc && details(def, desc, config, 1) };
    }),
  );
  const known = new Set(pipelines.map((p) => p.scheduleId));
  const orphans: { scheduleId: string; paused: boolean }[] = [];
  for await (const s of client.schedule.list()) {
    if (s.scheduleId.startsWith(SCHEDULE_ID_PREFIX) && !known.has(s.scheduleId)) orphans.push({ scheduleId: s.scheduleId, paused: s.state.paused });
  }
  return { pipelines, orphans };
}

// -----------------------------------------------------------------------------------------------
// operator verbs
// -----------------------------------------------------------------------------------------------

/** Pauses a pipeline's schedule; the note says why (shown in describe and in the Temporal UI). */
export async function pauseSchedule(client: Client, registry: Registry, pipeline: string, note?: string): Promise<{ scheduleId: string; note: string }> {
  const { scheduleId, handle } = await describeRegistered(client, registry, pipeline);
  const text = note?.trim() || 'paused with `datapulse schedule pause`';
  await handle.pause(text);
  return { scheduleId, note: text };
}

/**
 * Resumes a pipeline's schedule. Temporal replaces the pause note with the resume note (an empty
 * note would make the server ignore the request), so the note never says "paused" on an active schedule.
 * Ticks that fell while the schedule was paused are skipped, not caught up (the catch-up window only
 * covers server outages): backfill those partitions.
 */
export async function resumeSchedule(client: Client, registry: Registry, pipeline: string, note?: string): Promise<{ scheduleId: string; note: string }> {
  const { scheduleId, handle } = await describeRegistered(client, registry, pipeline);
  const text = note?.trim() || 'resumed with `datapulse schedule resume`';
  await handle.unpause(text);
  return { scheduleId, note: text };
}

export interface TriggerResult {
  readonly scheduleId: string;
  /** The workflow the trigger started, when it showed up in the schedule's recent actions in time. */
  readonly workflowId: string | undefined;
  readonly runId: string | undefined;
  /** The trigger's nominal time (TemporalScheduledStartTime of the started workflow). */
  readonly scheduledAt: Date | undefined;
  /** The partition that workflow processes. */
  readonly partition: string | undefined;
}

/**
 * Takes one action now (overlap ALLOW_ALL for this trigger only, so it runs even while a scheduled
 * run is in progress, and even when the schedule is paused). Its nominal time is the trigger time,
 * so it runs the partition before now (with lag 1: the last complete hour/day). Waits up to
 * `waitMs` for the started workflow to appear in the schedule's recent actions.
 */
export async function triggerSchedule(client: Client, registry: Registry, pipeline: string, opts: { waitMs?: number } = {}): Promise<TriggerResult> {
  const { scheduleId, handle, desc } = await describeRegistered(client, registry, pipeline);
  const input = inputOf(desc.action.args ?? []);
  const before = desc.info.numActionsTaken;
  const seen = new Set(desc.info.recentActions.map((r) => r.action.workflow.firstExecutionRunId));
  await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  const deadline = Date.now() + (opts.waitMs ?? 10_000);
  for (;;) {
    const now = await handle.describe();
    if (now.info.numActionsTaken > before) {
      const fresh = [...now.info.recentActions].reverse().find((r) => !seen.has(r.action.workflow.firstExecutionRunId));
      if (fresh) {
        return {
          scheduleId,
          workflowId: fresh.action.workflow.workflowId,
          runId: fresh.action.workflow.firstExecutionRunId,
          scheduledAt: fresh.scheduledAt,
          partition: partitionAt(input, fresh.scheduledAt),
        };
      }
    }
    if (Date.now() >= deadline) return { scheduleId, workflowId: undefined, runId: undefined, scheduledAt: undefined, partition: undefined };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes a pipeline's schedule. Running workflows it started keep running. */
export async function deleteSchedule(client: Client, registry: Registry, pipeline: string): Promise<{ scheduleId: string }> {
  const { scheduleId, handle } = await describeRegistered(client, registry, pipeline);
  await handle.delete();
  return { scheduleId };
}
