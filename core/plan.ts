/**
 * What a backfill should do with each partition, from its ledger row. Pure: used by the planning
 * activity, `backfill --dry-run` and `status`.
 */

export const BackfillMode = {
  /** Default: run what is missing, failed, or succeeded with another params hash / code version. */
  MISSING: 'missing',
  /** Run everything in the range. */
  FORCE: 'force',
  /** Run only failed and missing partitions (and wait for running ones). */
  ONLY_FAILED: 'only-failed',
  /** Run only missing partitions (no ledger row): fills gaps, leaves failed and stale ones alone. */
  ONLY_MISSING: 'only-missing',
  /** Re-run succeeded partitions whose params, code or source changed (the source is re-read to know). */
  STALE: 'stale',
} as const;
export type BackfillMode = (typeof BackfillMode)[keyof typeof BackfillMode];

export const PartitionState = {
  SUCCEEDED: 'succeeded',
  STALE: 'stale',
  FAILED: 'failed',
  RUNNING: 'running',
  MISSING: 'missing',
} as const;
export type PartitionState = (typeof PartitionState)[keyof typeof PartitionState];

export interface LedgerFingerprint {
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly paramsHash: string | null;
  readonly codeVersion: string | null;
  /** An upstream partition it consumed has changed or is stale (activities/staleness.ts). @default false */
  readonly inputsStale?: boolean;
  /**
   * The source changed under the partition after its last run started (a landing file's content in
   * its window changed, appeared or disappeared; see activities/catalog.ts). @default false
   */
  readonly sourceChanged?: boolean;
}

export interface CurrentFingerprint {
  readonly paramsHash: string;
  readonly codeVersion: string;
}

export function partitionState(row: LedgerFingerprint | undefined, current: CurrentFingerprint): PartitionState {
  if (!row) return PartitionState.MISSING;
  if (row.status === 'failed') return PartitionState.FAILED;
  if (row.status === 'running') return PartitionState.RUNNING;
  if (row.paramsHash !== current.paramsHash || row.codeVersion !== current.codeVersion || row.inputsStale || row.sourceChanged === true) return PartitionState.STALE;
  return PartitionState.SUCCEEDED;
}

/** The ledger columns partitionState reads, as PostgreSQL returns them. */
export interface LedgerStateRow {
  readonly status: LedgerFingerprint['status'];
  readonly params_hash: string | null;
  readonly code_version: string | null;
  /** Set by callers that computed input staleness (derived datasets). */
  readonly inputs_stale?: boolean;
  /** SOURCE_CHANGED_SQL, when selected. */
  readonly source_changed?: boolean | null;
}

/** Selects `source_changed` for LedgerStateRow from the ledger (alias-free: use it with `FROM ledger`). */
export const SOURCE_CHANGED_SQL = `(source_changed_at IS NOT NULL AND source_changed_at > coalesce(started_at, '-infinity'::timestamptz)) AS source_changed`;

/** partitionState of a ledger row as selected (undefined: no row, the partition is missing). */
export function ledgerRowState(row: LedgerStateRow | undefined, current: CurrentFingerprint): PartitionState {
  return partitionState(
    row && { status: row.status, paramsHash: row.params_hash, codeVersion: row.code_version, inputsStale: row.inputs_stale, sourceChanged: row.source_changed === true },
    current,
  );
}

/**
 * The action for one partition: `run` it, run it only `if-changed` (re-read the source and stop
 * when its checksum matches the ledger's), or `skip` it.
 * A `running` partition is always started/joined: the backfill then waits for its owner.
 */
export type PlanAction = 'run' | 'if-changed' | 'skip';

export function planAction(state: PartitionState, mode: BackfillMode): PlanAction {
  switch (mode) {
    case BackfillMode.FORCE:
      return 'run';
    case BackfillMode.ONLY_FAILED:
      return state === PartitionState.FAILED || state === PartitionState.MISSING || state === PartitionState.RUNNING ? 'run' : 'skip';
    case BackfillMode.ONLY_MISSING:
      return state === PartitionState.MISSING ? 'run' : 'skip';
    case BackfillMode.STALE:
      if (state === PartitionState.STALE) return 'run';
      if (state === PartitionState.SUCCEEDED) return 'if-changed';
      return 'skip';
    default:
      return state === PartitionState.SUCCEEDED ? 'skip' : 'run';
  }
}

export function isBackfillMode(v: string): v is BackfillMode {
  return (Object.values(BackfillMode) as string[]).includes(v);
}
