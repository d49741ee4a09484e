/**
 * Activities behind file sensors (workflows/sensor.ts): refresh a pipeline's catalog against its
 * landing folder and claim the partitions whose files changed, then acknowledge the ones the sensor
 * started. Only keys and counts cross Temporal; the cursor is `file_sensor_pending` (in PostgreSQL).
 */
import { Context } from '@temporalio/activity';
import type { Config } from '../infra/config';
import type { Pool } from '../infra/db';
import type { Registry } from '../core/registry';
import { UnknownPipelineError } from '../core/registry';
import { ackPending, claimPending, landingFolder, refreshCatalog } from './catalog';
import { FailureType, nonRetryable } from './errors';

/** What one poll of a file sensor found. */
export interface SenseFilesResult {
  /** Partitions to start now (at most the limit asked). */
  readonly keys: string[];
  /** Acknowledge `keys` up to this pending seq (see ackSensed). */
  readonly upToSeq: string;
  /** More partitions are pending than the limit: poll again at once. */
  readonly more: boolean;
  /** Files added / changed / gone / unreadable in this poll (names, at most 20 of each). */
  readonly added: string[];
  readonly changed: string[];
  readonly missing: string[];
  readonly failed: string[];
}

export interface SensorActivityDeps {
  readonly pool: Pool;
  readonly registry: Registry;
  readonly config: Pick<Config, 'landingDir'>;
}

export function createSensorActivities(deps: SensorActivityDeps) {
  /**
   * Brings the pipeline's catalog up to date and claims up to `limit` pending partitions.
   * @throws non-retryable UNKNOWN_PIPELINE / CONFIG (no such pipeline, not file-based, no folder).
   */
  async function senseFiles(input: { pipeline: string; limit: number }): Promise<SenseFilesResult> {
    let def;
    try {
      def = deps.registry.get(input.pipeline);
    } catch (err) {
      if (err instanceof UnknownPipelineError) throw nonRetryable(FailureType.UNKNOWN_PIPELINE, err.message);
      throw err;
    }
    if (def.source.kind !== 'csv-files') throw nonRetryable(FailureType.CONFIG, `pipeline ${def.name} does not read landing files: nothing to sense`);
    let c: Context | undefined;
    try {
      c = Context.current();
    } catch {
      c = undefined;
    }
    const changes = await refreshCatalog(deps.pool, def, landingFolder(deps.config.landingDir, def.name), {
      heartbeat: (d) => (c && !c.info.isLocal ? c.heartbeat(d) : undefined),
    });
    const pending = await claimPending(deps.pool, def.name, input.limit);
    const cut = (xs: string[]) => xs.slice(0, 20);
    return { ...pending, added: cut(changes.added), changed: cut(changes.changed), missing: cut(changes.missing), failed: cut(changes.failed) };
  }

  /** Removes the started partitions from the pending list (idempotent). */
  async function ackSensed(input: { pipeline: string; keys: string[]; upToSeq: string }): Promise<number> {
    return ackPending(deps.pool, input.pipeline, input.keys, input.upToSeq);
  }

  return { senseFiles, ackSensed };
}
