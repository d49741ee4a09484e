/**
 * Temporal Schedules on the real dev server: `applySchedules` creates one schedule per registered
 * pipeline and is idempotent (and never un-pauses), pause/resume carry notes, and a trigger runs
 * the partition of its nominal time end to end into the ledger.
 * Schedule ids are global on the shared dev server: every schedule made here is deleted in afterAll.
 */
import { randomBytes } from 'node:crypto';
import { ScheduleNotFoundError, WorkflowFailedError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type TypedSearchAttributes } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Granularity, partitionForNominalTime } from '../../core/partition';
import { createRegistry, UnknownPipelineError } from '../../core/registry';
import {
  applySchedules,
  deleteSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  ScheduleMissingError,
  scheduleIdFor,
  triggerSchedule,
} from '../../ops/schedules';
import { registry } from '../../pipelines';
import type { ScheduledPartitionResult } from '../../workflows/scheduled';
import { PIPELINE_SA } from '../../core/search-attributes';
import { createHarness, recordHistory, type Harness } from './harness';

const SCHEDULED_START_SA = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
const SCHEDULE_IDS = registry.pipelines.map((p) => scheduleIdFor(p.name));

let h: Harness;

async function deleteIfPresent(scheduleId: string, onlyTestQueues: boolean): Promise<void> {
  const handle = h.client.schedule.getHandle(scheduleId);
  try {
    const d = await handle.describe();
    // Before the tests, remove only leftovers of a crashed test run, never a real schedule.
    if (onlyTestQueues && !d.action.taskQueue?.startsWith('test-')) throw new Error(`schedule ${scheduleId} exists on the test server (task queue ${d.action.taskQueue})`);
    await handle.delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

beforeAll(async () => {
  h = await createHarness();
  for (const id of SCHEDULE_IDS) await deleteIfPresent(id, true);
});
afterAll(async () => {
  if (!h) return;
  for (const id of SCHEDULE_IDS) await deleteIfPresent(id, false);
  await h.close();
});

describe('schedule apply', () => {
  it('creates one schedule per registered pipeline with the spec, action and policies of its definition', async () => {
    const results = await applySchedules(h.client, h.config, registry);
    expect(results).toEqual([
      { pipeline: 'weather', scheduleId: 'datapulse/weather', action: 'created', paused: false },
      { pipeline: 'city_weather', scheduleId: 'datapulse/city_weather', action: 'created', paused: false },
      { pipeline: 'freelance_invoices', scheduleId: 'datapulse/freelance_invoices', action: 'created', paused: false },
      { pipeline: 'freelance_profiles', scheduleId: 'datapulse/freelance_profiles', action: 'created', paused: false },
      { pipeline: 'sport_hr_directory', scheduleId: 'datapulse/sport_hr_directory', action: 'created', paused: false },
      { pipeline: 'sport_declared_sports', scheduleId: 'datapulse/sport_declared_sports', action: 'created', paused: false },
      { pipeline: 'sport_activities', scheduleId: 'datapulse/sport_activities', action: 'created', paused: false },
    ]);

    const weather = await h.client.schedule.getHandle('datapulse/weather').describe();
    expect(weather.spec.intervals).toEqual([{ every: 3_600_000, offset: 5 * 60_000 }]);
    expect(weather.spec.calendars ?? []).toEqual([]);
    expect(weather.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'scheduledPartitionWorkflow',
      workflowId: 'datapulse-schedule/weather',
      taskQueue: h.config.taskQueue,
      args: [{ pipeline: 'weather', granularity: 'hourly', lag: 1 }],
    });
    expect((weather.action.typedSearchAttributes as TypedSearchAttributes).get(PIPELINE_SA)).toBe('weather');
    expect(weather.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 86_400_000, pauseOnFailure: false });
    expect(weather.state.paused).toBe(false);
    // The next ticks are at :05 past each hour.
    expect(weather.info.nextActionTimes.length).toBeGreaterThanOrEqual(5);
    for (const t of weather.info.nextActionTimes) expect(t.getTime() % 3_600_000).toBe(5 * 60_000);

    const city = await h.client.schedule.getHandle('datapulse/city_weather').describe();
    expect(city.spec.intervals).toEqual([{ every: 86_400_000, offset: 30 * 60_000 }]);
    expect(city.action).toMatchObject({ workflowId: 'datapulse-schedule/city_weather', taskQueue: h.config.taskQueue, args: [{ pipeline: 'city_weather', granularity: 'daily', lag: 1 }] });
    for (const t of city.info.nextActionTimes) expect(t.toISOString()).toMatch(/T00:30:00\.000Z$/);

    const d = await describeSchedule(h.client, h.config, registry, 'weather');
    expect(d).toMatchObject({ scheduleId: 'datapulse/weather', state: 'active', spec: 'every hour at :05 UTC', overlap: 'BUFFER_ONE', outOfDate: false });
    expect(d.nextActionTimes).toHaveLength(5);
    expect(d.nextActionTimes[0]?.partition).toBe(partitionForNominalTime(Granularity.HOURLY, d.nextActionTimes[0]!.at.getTime()));
  });

  it('is idempotent: applying again changes nothing, creates no duplicate and keeps a paused schedule paused', async () => {
    const before = await h.client.schedule.getHandle('datapulse/weather').describe();
    const again = await applySchedules(h.client, h.config, registry);
    expect(again.map((r) => r.action)).toEqual(Array(7).fill('unchanged'));
    const after = await h.client.schedule.getHandle('datapulse/weather').describe();
    expect(after.info.lastUpdatedAt?.getTime()).toBe(before.info.lastUpdatedAt?.getTime());

    // Pause, then apply a changed definition (new offset, overlap, catch-up window, task queue):
    // the schedule is updated but stays paused with its note.
    await pauseSchedule(h.client, registry, 'weather', 'upstream API maintenance');
    const changedConfig = { ...h.config, taskQueue: `${h.config.taskQueue}-other` };
    const changed = await applySchedules(h.client, changedConfig, registry);
    expect(changed.map((r) => [r.pipeline, r.action, r.paused])).toEqual([
      ['weather', 'updated', true],
      ['city_weather', 'updated', false],
      ['freelance_invoices', 'updated', false],
      ['freelance_profiles', 'updated', false],
      ['sport_hr_directory', 'updated', false],
      ['sport_declared_sports', 'updated', false],
      ['sport_activities', 'updated', false],
    ]);
    const moved = await h.client.schedule.getHandle('datapulse/weather').describe();
    expect(moved.action.taskQueue).toBe(changedConfig.taskQueue);
    expect(moved.state).toMatchObject({ paused: true, note: 'upstream API maintenance' });

    // Back to the real task queue: updated again, still paused, and nothing but our schedules.
    const back = await applySchedules(h.client, h.config, registry);
    expect(back.map((r) => r.action)).toEqual(Array(7).fill('updated'));
    const restored = await describeSchedule(h.client, h.config, registry, 'weather');
    expect(restored).toMatchObject({ taskQueue: h.config.taskQueue, paused: true, note: 'upstream API maintenance', outOfDate: false });
    expect((await applySchedules(h.client, h.config, registry)).map((r) => r.action)).toEqual(Array(7).fill('unchanged'));

    const listing = await listSchedules(h.client, h.config, registry);
    expect(listing.pipelines.map((p) => [p.scheduleId, p.details?.state])).toEqual([
      ['datapulse/weather', 'paused'],
      ['datapulse/city_weather', 'active'],
      ['datapulse/freelance_invoices', 'active'],
      ['datapulse/freelance_profiles', 'active'],
      ['datapulse/sport_hr_directory', 'active'],
      ['datapulse/sport_declared_sports', 'active'],
      ['datapulse/sport_activities', 'active'],
    ]);
    await resumeSchedule(h.client, registry, 'weather');
  });

  it('reports a changed definition as out of date until applied', async () => {
    const tweaked = createRegistry(
      registry.pipelines.map((p) => (p.name === 'weather' ? { ...p, schedule: { offsetMinutes: 20, overlap: 'SKIP' as const, catchupWindow: '2 hours' } } : p)),
    );
    expect((await describeSchedule(h.client, h.config, tweaked, 'weather')).outOfDate).toBe(true);
    const r = await applySchedules(h.client, h.config, tweaked);
    expect(r.map((x) => x.action)).toEqual(['updated', ...Array(6).fill('unchanged')]);
    const d = await describeSchedule(h.client, h.config, tweaked, 'weather');
    expect(d).toMatchObject({ spec: 'every hour at :20 UTC', overlap: 'SKIP', catchupWindowMs: 7_200_000, outOfDate: false, paused: false });
    expect(await applySchedules(h.client, h.config, registry)).toMatchObject([{ action: 'updated' }, ...Array(6).fill({ action: 'unchanged' })]);
  });
});

describe('pause and resume', () => {
  it('shows the pause note while paused, and the resume note replaces it', async () => {
    await pauseSchedule(h.client, registry, 'weather', 'investigating bad readings');
    const paused = await describeSchedule(h.client, h.config, registry, 'weather');
    expect(paused).toMatchObject({ state: 'paused', paused: true, note: 'investigating bad readings' });

    const r = await resumeSchedule(h.client, registry, 'weather');
    const resumed = await describeSchedule(h.client, h.config, registry, 'weather');
    expect(resumed).toMatchObject({ state: 'active', paused: false, note: r.note });
    expect(resumed.note).not.toContain('bad readings');
  });

  it('names the unknown pipeline, and says to run apply when the schedule is missing', async () => {
    await expect(pauseSchedule(h.client, registry, 'nope', 'x')).rejects.toBeInstanceOf(UnknownPipelineError);
    await expect(describeSchedule(h.client, h.config, registry, 'nope')).rejects.toThrow(`unknown pipeline "nope" (known: ${registry.pipelines.map((p) => p.name).join(', ')})`);
    await deleteSchedule(h.client, registry, 'city_weather');
    const err = await describeSchedule(h.client, h.config, registry, 'city_weather').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScheduleMissingError);
    expect((err as Error).message).toMatch(/datapulse\/city_weather.*datapulse schedule apply/);
    await expect(triggerSchedule(h.client, registry, 'city_weather')).rejects.toBeInstanceOf(ScheduleMissingError);
    const listing = await listSchedules(h.client, h.config, registry);
    expect(listing.pipelines.find((p) => p.pipeline === 'city_weather')?.details).toBeUndefined();
    expect((await applySchedules(h.client, h.config, registry)).map((r) => r.action)).toEqual(['unchanged', 'created', ...Array(5).fill('unchanged')]);
  });
});

describe('trigger', () => {
  it('runs the partition before the trigger\'s nominal time through the scheduled workflow into the ledger', async () => {
    const t = await triggerSchedule(h.client, registry, 'weather');
    expect(t.workflowId).toBeDefined();
    expect(t.workflowId).toMatch(/^datapulse-schedule\/weather-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const scheduledAt = t.scheduledAt!;
    const expectedPartition = partitionForNominalTime(Granularity.HOURLY, scheduledAt.getTime(), 1);
    expect(t.partition).toBe(expectedPartition);

    // The started workflow is in the schedule's recent actions and visible by type and pipeline.
    const d = await describeSchedule(h.client, h.config, registry, 'weather');
    expect(d.recentActions.map((a) => a.workflowId)).toContain(t.workflowId);

    const handle = h.client.workflow.getHandle<() => Promise<ScheduledPartitionResult>>(t.workflowId!);
    const result = await handle.result();
    await recordHistory(handle, 'scheduled-partition');
    const desc = await handle.describe();
    expect(desc.type).toBe('scheduledPartitionWorkflow');
    expect(desc.taskQueue).toBe(h.config.taskQueue);
    expect(desc.typedSearchAttributes.get(PIPELINE_SA)).toBe('weather');
    const nominal = desc.typedSearchAttributes.get(SCHEDULED_START_SA);
    expect(nominal).toBeInstanceOf(Date);
    expect(Math.abs(nominal!.getTime() - scheduledAt.getTime())).toBeLessThan(1000);

    expect(result.partition).toBe(expectedPartition);
    expect(result.nominalTime).toBe(nominal!.toISOString());
    expect(result.outcome).toBe('ran');
    expect(result.summary).toMatchObject({ pipeline: 'weather', partition: expectedPartition, rowsLoaded: 3 });

    const child = await h.client.workflow.getHandle(`weather/${expectedPartition}`).describe();
    expect(child.status.name).toBe('COMPLETED');
    expect(child.parentExecution?.workflowId).toBe(t.workflowId);

    const { rows } = await h.pool.query('SELECT status, workflow_id, rows_loaded FROM ledger WHERE pipeline = $1 AND partition_key = $2', ['weather', expectedPartition]);
    expect(rows).toEqual([{ status: 'succeeded', workflow_id: `weather/${expectedPartition}`, rows_loaded: 3 }]);

    const listed: string[] = [];
    for await (const wf of h.client.workflow.list({ query: `WorkflowType="scheduledPartitionWorkflow" AND DataPulsePipeline="weather" AND TaskQueue="${h.config.taskQueue}"` })) {
      listed.push(wf.workflowId);
    }
    // Visibility is eventually consistent: the list may lag; when it answers, it has our run.
    if (listed.length) expect(listed).toContain(t.workflowId);
  });

  it('refuses to run scheduledPartitionWorkflow started by hand (no TemporalScheduledStartTime)', async () => {
    const handle = await h.client.workflow.start('scheduledPartitionWorkflow', {
      taskQueue: h.config.taskQueue,
      workflowId: `datapulse-test-direct-${randomBytes(4).toString('hex')}`,
      args: [{ pipeline: 'weather', granularity: 'hourly', lag: 1 }],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toMatch(/TemporalScheduledStartTime/);
  });
});
