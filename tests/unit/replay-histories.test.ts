/**
 * Replays every recorded workflow history (tests/fixtures/histories/*.json) against the current
 * workflow code, with the worker's workflow interceptors (OpenTelemetry, log labels). A change that
 * would break running workflows (non-determinism) fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowInterceptorModules, WORKFLOWS_PATH } from '../../workers/worker';
import { workflowSinks } from '../../infra/telemetry';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

describe('recorded histories replay on the current workflow code', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it('replays all of them without non-determinism', { timeout: 120_000 }, async () => {
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyFromJSON(JSON.parse(readFileSync(path.join(DIR, f), 'utf8'))) }));
    const results: { id: string; error?: string }[] = [];
    for await (const r of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH, interceptors: { workflowModules: workflowInterceptorModules(true) }, sinks: workflowSinks(), bundlerOptions: { ignoreModules: [] } },
      histories,
    )) {
      results.push({ id: r.workflowId, error: r.error ? `${r.error.name}: ${r.error.message}` : undefined });
    }
    expect(results).toEqual(files.map((f) => ({ id: f.replace(/\.json$/, ''), error: undefined })));
  });
});
