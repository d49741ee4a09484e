/**
 * File sensors on a real Temporal server and PostgreSQL: files dropped in a watched landing folder
 * load the partitions they cover within the interval with no command typed; changed content re-runs
 * exactly the partitions it changed; a burst of files starts each touched partition once; pause,
 * resume, stop and status work; continue-as-new keeps the cursor. Histories are recorded for the
 * replay test (DATAPULSE_RECORD_HISTORIES=1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { daily, definePipeline } from '../../core/pipeline';
import { createRegistry } from '../../core/registry';
import { sensorInfo, signalSensor, startSensor } from '../../ops/sensors';
import { sensorWorkflowId, type fileSensorWorkflow } from '../../workflows/sensor';
import { createHarness, recordHistory, type Harness } from './harness';
import { waitFor } from './processes';

const drops = definePipeline({
  name: 'sensor_drops',
  description: 'readings dropped as CSV files, loaded by the file sensor',
  version: 1,
  partitioning: daily('2020-01-01'),
  params: {},
  source: { kind: 'csv-files', timeColumn: 'day', requiredColumns: ['station', 'day', 'value'], sensorIntervalSeconds: 1 },
  schema: z.object({ station: z.string().min(1), day: z.string(), value: z.coerce.number() }),
  transform: (r) => ({ station: r.station, day: r.day, value: r.value }),
  target: { table: 'sensor_drops', columns: { station: 'text', day: 'date', value: 'double precision' }, key: ['station', 'day'] },
});
const second = definePipeline({ ...drops, name: 'sensor_can', target: { ...drops.target, table: 'sensor_can' } });

let h: Harness;
const folder = (p = drops.name) => path.join(h.landingDir, p);
const csv = (rows: [string, string, number][]) => ['station,day,value', ...rows.map((r) => r.join(','))].join('\n') + '\n';

async function ledger(pipeline = drops.name): Promise<Record<string, { status: string; run_id: string }>> {
  const { rows } = await h.pool.query<{ partition_key: string; status: string; run_id: string }>(
    'SELECT partition_key, status, run_id FROM ledger WHERE pipeline = $1 ORDER BY partition_key',
    [pipeline],
  );
  return Object.fromEntries(rows.map((r) => [r.partition_key, { status: r.status, run_id: r.run_id }]));
}

async function runsOf(pipeline: string, key: string): Promise<number> {
  const { count } = await h.client.workflow.count(`WorkflowId = '${pipeline}/${key}' AND TaskQueue = '${h.config.taskQueue}'`);
  return count;
}

beforeAll(async () => {
  h = await createHarness({ registry: createRegistry([drops, second]) });
  mkdirSync(folder(), { recursive: true });
  mkdirSync(folder(second.name), { recursive: true });
});

afterAll(async () => {
  await h?.close();
});

describe('file sensor', () => {
  it('loads dropped files within the interval, re-runs exactly what changed, starts each partition of a burst once, pauses, resumes and stops', async () => {
    const started = await startSensor(h.client, h.config, drops);
    expect(started).toMatchObject({ action: 'started', workflowId: 'sensor/sensor_drops' });
    expect(await startSensor(h.client, h.config, drops)).toMatchObject({ action: 'running', runId: started.runId });

    writeFileSync(path.join(folder(), 'jan.csv'), csv([['A', '2020-01-01', 1], ['A', '2020-01-02', 2], ['A', '2020-01-03', 3]]));
    const first = await waitFor('three partitions loaded by the sensor', async () => {
      const l = await ledger();
      return Object.values(l).filter((r) => r.status === 'succeeded').length === 3 ? l : undefined;
    }, { timeoutMs: 30_000, everyMs: 250 });
    expect(Object.keys(first)).toEqual(['2020-01-01', '2020-01-02', '2020-01-03']);

    // Day 2 changes: only day 2 runs again.
    writeFileSync(path.join(folder(), 'jan.csv'), csv([['A', '2020-01-01', 1], ['A', '2020-01-02', 22], ['A', '2020-01-03', 3]]));
    await waitFor('day 2 re-run', async () => {
      const l = await ledger();
      return l['2020-01-02']?.status === 'succeeded' && l['2020-01-02'].run_id !== first['2020-01-02']?.run_id ? true : undefined;
    }, { timeoutMs: 30_000, everyMs: 250 });
    const after = await ledger();
    expect(after['2020-01-01']?.run_id).toBe(first['2020-01-01']?.run_id);
    expect(after['2020-01-03']?.run_id).toBe(first['2020-01-03']?.run_id);
    expect((await h.pool.query('SELECT value FROM sensor_drops WHERE day = $1', ['2020-01-02'])).rows[0]?.value).toBe(22);

    // A burst of 60 files touching the same 4 days, dropped while paused: each day starts once.
    await signalSensor(h.client, drops.name, 'pause');
    await waitFor('paused', async () => ((await sensorInfo(h.client, drops.name)).status?.paused ? true : undefined));
    const before = (await sensorInfo(h.client, drops.name)).status!;
    const burstDays = ['2020-02-01', '2020-02-02', '2020-02-03', '2020-02-04'];
    for (let i = 0; i < 60; i++) {
      writeFileSync(path.join(folder(), `burst-${String(i).padStart(3, '0')}.csv`), csv(burstDays.map((d) => [`S${i}`, d, i] as [string, string, number])));
    }
    await signalSensor(h.client, drops.name, 'resume');
    await waitFor('burst loaded', async () => {
      const l = await ledger();
      return burstDays.every((d) => l[d]?.status === 'succeeded') ? true : undefined;
    }, { timeoutMs: 60_000, everyMs: 250 });
    const status = (await sensorInfo(h.client, drops.name)).status!;
    expect(status.started - before.started).toBe(4);
    expect(status.lastError).toBeUndefined();
    for (const d of burstDays) expect(await waitFor(`visibility of ${d}`, async () => ((await runsOf(drops.name, d)) >= 1 ? runsOf(drops.name, d) : undefined))).toBe(1);
    expect((await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sensor_drops WHERE day = $1', ['2020-02-01'])).rows[0]?.n).toBe(60);
    expect((await h.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM file_sensor_pending WHERE pipeline = $1', [drops.name])).rows[0]?.n).toBe(0);

    await signalSensor(h.client, drops.name, 'stop');
    const handle = h.client.workflow.getHandle<typeof fileSensorWorkflow>(sensorWorkflowId(drops.name));
    const final = await handle.result();
    expect(final.started).toBe(status.started);
    expect((await sensorInfo(h.client, drops.name)).state).toBe('completed');
    await recordHistory(handle, 'sensor-loads-changes-and-stops');
  });

  it('continues-as-new with its counters and loses no change across runs', async () => {
    const handle = await h.client.workflow.start<typeof fileSensorWorkflow>('fileSensorWorkflow', {
      taskQueue: h.config.taskQueue,
      workflowId: sensorWorkflowId(second.name),
      args: [{ pipeline: second.name, intervalMs: 300, pollsPerRun: 3 }],
    });
    writeFileSync(path.join(folder(second.name), 'a.csv'), csv([['A', '2020-03-01', 1]]));
    await waitFor('first file loaded', async () => ((await ledger(second.name))['2020-03-01']?.status === 'succeeded' ? true : undefined), { timeoutMs: 30_000 });
    await waitFor('a continue-as-new', async () => ((await handle.describe()).runId !== handle.firstExecutionRunId ? true : undefined), { timeoutMs: 30_000 });
    writeFileSync(path.join(folder(second.name), 'b.csv'), csv([['B', '2020-03-02', 2]]));
    await waitFor('second file loaded', async () => ((await ledger(second.name))['2020-03-02']?.status === 'succeeded' ? true : undefined), { timeoutMs: 30_000 });
    const s = (await sensorInfo(h.client, second.name)).status!;
    expect(s.started).toBe(2);
    expect(s.polls).toBeGreaterThan(3);
    await signalSensor(h.client, second.name, 'stop');
    await handle.result();
    await recordHistory(h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId), 'sensor-continued-as-new');
  });
});
