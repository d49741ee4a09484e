/** Inputs and results of the partition activities: small summaries, never rows. */

export interface PartitionRef {
  readonly pipeline: string;
  readonly partition: string;
}

export interface IngestInput extends PartitionRef {
  /**
   * Stop early when the partition already succeeded with the same params, code and source checksum
   * (used by `backfill --stale`). @default false
   */
  readonly ifChanged?: boolean;
}

export interface IngestResult {
  readonly rowsIn: number;
  /** sha256 over the ingested records, in order. */
  readonly sourceChecksum: string;
  /** Rows of file sources that no partition can own (unreadable time); kept in unplaced_records. */
  readonly unplaced: number;
  /** Set when `ifChanged` was asked and nothing changed: the ledger's counts, nothing was rewritten. */
  readonly unchanged?: LoadResult;
  /** Files read by PostgreSQL's COPY on the set-based path (activities/set-based.ts) and their rows; absent when none. */
  readonly setBased?: { readonly files: number; readonly rows: number };
}

export interface ValidateResult {
  readonly rowsValid: number;
  readonly rowsQuarantined: number;
  /** Warning-severity checks that failed (blocking failures throw CheckFailed instead). Absent when none. */
  readonly warnings?: readonly CheckWarning[];
}

export interface CheckWarning {
  readonly check: string;
  /** Check kind (core/checks.ts CheckKind); `volume` warnings alert. */
  readonly kind: string;
  readonly message: string;
  /** The check was declared with `alert: true`: its failure alerts (outside backfills). */
  readonly alert?: boolean;
}

export interface TransformResult {
  readonly rowsTransformed: number;
  readonly rowsDeduplicated: number;
}

export interface LoadInput extends PartitionRef {
  readonly sourceChecksum: string;
  readonly startedAtMs: number;
  /**
   * Who started the run (the partition workflow's trigger): a `backfill` loads history, whose
   * notifications (PipelineDefinition.notify) are recorded but never posted. @default "run"
   */
  readonly trigger?: string;
}

export interface LoadResult {
  readonly rowsIn: number;
  readonly rowsValid: number;
  readonly rowsQuarantined: number;
  readonly rowsDeduplicated: number;
  readonly rowsLoaded: number;
  readonly table: string;
  readonly durationMs: number;
}

export interface FailureInput extends PartitionRef {
  readonly step: string;
  readonly message: string;
  readonly errorType?: string;
  readonly startedAtMs: number;
}
