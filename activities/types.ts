/** Inputs and results of the partition activities: small summaries, never rows. */

export interface PartitionRef {
  readonly pipeline: string;
  readonly partition: string;
}

export interface IngestResult {
  readonly rowsIn: number;
  /** sha256 over the ingested records, in order. */
  readonly sourceChecksum: string;
  /** Rows of file sources that no partition can own (unreadable time); kept in unplaced_records. */
  readonly unplaced: number;
}

export interface ValidateResult {
  readonly rowsValid: number;
  readonly rowsQuarantined: number;
}

export interface TransformResult {
  readonly rowsTransformed: number;
  readonly rowsDeduplicated: number;
}

export interface LoadInput extends PartitionRef {
  readonly sourceChecksum: string;
  readonly startedAtMs: number;
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
