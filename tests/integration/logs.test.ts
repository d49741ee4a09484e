/**
 * Proves the structured logs of real partition runs (real Temporal dev server and PostgreSQL):
 * every JSON line from an activity — DataPulse's own and the SDK's — names the workflow id, run id,
 * activity, pipeline and partition; workflow lines come through the SDK's replay-safe logger with
 * the same labels; the activity task token never reaches the log. (Partitions 2024-12-10T.. belong
 * to this file.)
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger';
import { createHarness, type Harness } from './harness';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});

let h: Harness;
beforeAll(async () => {
  // This file's first harness: its logger is also the SDK runtime's (workflow and SDK activity lines).
  h = await createHarness({ logger: createLogger('debug', { test: 'logs' }, sink) });
});
afterAll(async () => h?.close());

const STEPS = ['ingest', 'validate', 'transform', 'load'];

function linesOf(workflowId: string) {
  return lines.filter((l) => l.workflowId === workflowId);
}

describe('structured logs', () => {
  it('every activity line carries workflow id, run id, activity, pipeline and partition', async () => {
    const partition = '2024-12-10T04';
    const handle = await h.start('weather', partition);
    await handle.result();
    const runId = (await handle.describe()).runId;
    const mine = linesOf(`weather/${partition}`);

    // DataPulse's own step lines ("ingested", "validated", ...) — one per step at least.
    const own = mine.filter((l) => STEPS.includes(String(l.activity)) && l.sdkComponent === undefined);
    expect(new Set(own.map((l) => l.activity))).toEqual(new Set(STEPS));
    const ingested = own.find((l) => l.msg === 'ingested');
    expect(ingested).toMatchObject({ service: 'datapulse', level: 30, activity: 'ingest', pipeline: 'weather', partition, workflowId: `weather/${partition}`, runId, rowsIn: 3 });

    // The SDK's activity lines (worker and activity context loggers) get the same labels from the
    // activity interceptor. "Activity started" is logged before any interceptor sees the input,
    // so it names the workflow and activity but not yet the pipeline and partition.
    const sdkActivity = mine.filter((l) => l.sdkComponent !== 'workflow' && l.activity !== undefined && l.msg !== 'Activity started');
    expect(sdkActivity.some((l) => l.msg === 'Activity completed')).toBe(true);
    const activityLines = [...own, ...sdkActivity];
    for (const l of activityLines) {
      expect(l, JSON.stringify(l)).toMatchObject({ workflowId: `weather/${partition}`, runId, pipeline: 'weather', partition });
      // notifyDownstream: the local activity that starts derived datasets' automation after load.
      expect([...STEPS, 'notifyDownstream']).toContain(l.activity);
    }

    // Workflow lines: the SDK's replay-safe logger, routed to pino with the same labels.
    const wf = mine.filter((l) => l.sdkComponent === 'workflow');
    expect(wf.length).toBeGreaterThan(0);
    for (const l of wf) expect(l, JSON.stringify(l)).toMatchObject({ workflowId: `weather/${partition}`, runId, pipeline: 'weather', partition, workflowType: 'partitionWorkflow' });

    // The activity task token completes the activity: it stays out of the log.
    expect(lines.some((l) => 'taskToken' in l)).toBe(false);
  });

  it('a failing step logs "Activity failed" and the failure record with the labels', async () => {
    const partition = '2024-12-10T05';
    h.api.setFaults([{ kind: 'malformed' }]);
    try {
      await expect(h.run('weather', partition)).rejects.toThrow();
    } finally {
      h.api.setFaults([]);
    }
    const mine = linesOf(`weather/${partition}`);
    const failed = mine.find((l) => l.msg === 'Activity failed');
    expect(failed).toMatchObject({ level: 40, activity: 'ingest', pipeline: 'weather', partition });
    expect(mine.find((l) => l.msg === 'partition failed')).toMatchObject({ level: 40, activity: 'recordFailure', pipeline: 'weather', partition, step: 'ingest' });
  });
});
