/**
 * Post-load actions (`afterLoad`, activities/post-load.ts): names are checked when a pipeline is
 * defined, every name the shipped pipelines use is registered, and an unknown one fails the run
 * non-retryably with the known names.
 */
import { describe, expect, it } from 'vitest';
import { definePipeline, PipelineDefinitionError, type PipelineDefinition } from '../../core/pipeline';
import { POST_LOAD_ACTIONS, runPostLoadActions } from '../../activities/post-load';
import { registry } from '../../pipelines';
import { freelanceReceivables } from '../../pipelines/freelance-receivables';
import type { Pool } from '../../infra/db';

describe('afterLoad', () => {
  it('names only registered actions in the shipped pipelines; freelance_revenue evaluates the freelance alerts', () => {
    for (const def of registry.pipelines) for (const a of def.afterLoad ?? []) expect(Object.keys(POST_LOAD_ACTIONS), `${def.name}: ${a}`).toContain(a);
    expect(registry.get('freelance_revenue').afterLoad).toEqual(['freelance-alerts']);
    expect(registry.get('freelance_revenue').params).toMatchObject({ occupancy_low_pct: 60, occupancy_high_pct: 90 });
  });

  it('refuses a name that is not lower-case words joined by -', () => {
    expect(() => definePipeline({ ...freelanceReceivables, afterLoad: ['Freelance Alerts'] })).toThrow(PipelineDefinitionError);
    expect(() => definePipeline({ ...freelanceReceivables, afterLoad: ['freelance-alerts'] })).not.toThrow();
  });

  it('fails an unknown action non-retryably, naming the known ones, before touching the database', async () => {
    const def = definePipeline({ ...freelanceReceivables, afterLoad: ['no-such-action'] });
    const pool = {} as Pool; // never used: the name is checked first
    await expect(runPostLoadActions({ pool, def, partition: '2024-01', nowMs: 0 })).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/unknown post-load action "no-such-action" \(known: freelance-alerts\)/),
    });
  });

  it('refuses a threshold param that is not a number', async () => {
    const def = { ...freelanceReceivables, params: { occupancy_low_pct: 'sixty' }, afterLoad: ['freelance-alerts'] } as unknown as PipelineDefinition;
    await expect(runPostLoadActions({ pool: {} as Pool, def, partition: '2024-01', nowMs: 0 })).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/param occupancy_low_pct must be a number/),
    });
  });
});
