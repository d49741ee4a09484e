/**
 * The failure taxonomy, shared by activities (which throw these types) and workflows (which set
 * them as non-retryable). Pure: safe to import from workflow code.
 */

export const FailureType = {
  /** The source answered, but with something that is not the documented format. */
  SOURCE_FORMAT: 'SourceFormatError',
  /** The source refused our request (4xx other than 429): a configuration problem. */
  SOURCE_REJECTED: 'SourceRequestRejected',
  /** The source is temporarily unavailable (5xx, connection error, timeout). Retryable. */
  SOURCE_UNAVAILABLE: 'SourceUnavailable',
  /** The source asked us to slow down (429). Retryable after its Retry-After. */
  SOURCE_RATE_LIMITED: 'SourceRateLimited',
  CONFIG: 'ConfigError',
  INVALID_PARTITION: 'InvalidPartitionKeyError',
  UNKNOWN_PIPELINE: 'UnknownPipelineError',
  REJECTED_RATIO: 'RejectedRatioExceeded',
  TRANSFORM: 'TransformError',
  COUNT_MISMATCH: 'CountMismatch',
  /**
   * A step found its partition's intermediate table gone (dropped, or lost with an unlogged table
   * in a database crash): the partition workflow re-runs it from ingest.
   */
  INTERMEDIATES_LOST: 'IntermediatesLost',
  /**
   * PostgreSQL refused a value or a row (SQLSTATE class 22 data exception, 23 integrity violation):
   * retrying cannot help. The message names partition, step, SQLSTATE and what PostgreSQL said.
   */
  DATABASE_DATA: 'DatabaseDataError',
  /** The partition's window has not ended yet: its data is not complete (see activities/windows.ts). */
  WINDOW_OPEN: 'WindowNotClosed',
  /** A blocking data quality check failed (see core/checks.ts); the message names check, value and threshold. */
  CHECK_FAILED: 'CheckFailed',
  /**
   * A partition read no row while rows of its files could not be placed in any partition, and it
   * had rows loaded before or a whole file is unplaceable (see activities/unplaced.ts).
   */
  SOURCE_UNPLACED: 'SourceRowsUnplaced',
  /**
   * The target table disagrees with the pipeline's definition (key, column type or nullability)
   * in a way DataPulse does not migrate (see activities/schema-drift.ts).
   */
  TARGET_SCHEMA_DRIFT: 'TargetSchemaDrift',
  /** A derived partition's upstream partitions have not all succeeded; the message names them and the command that fills them. */
  UPSTREAM_NOT_READY: 'UpstreamNotReady',
  /** A derived query reaches a relation outside its declared inputs. */
  UNDECLARED_INPUT: 'UndeclaredInput',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failure types a partition workflow must not retry. */
export const NON_RETRYABLE_TYPES: string[] = [
  FailureType.SOURCE_FORMAT,
  FailureType.SOURCE_REJECTED,
  FailureType.CONFIG,
  FailureType.INVALID_PARTITION,
  FailureType.UNKNOWN_PIPELINE,
  FailureType.REJECTED_RATIO,
  FailureType.TRANSFORM,
  FailureType.COUNT_MISMATCH,
  FailureType.INTERMEDIATES_LOST,
  FailureType.CHECK_FAILED,
  FailureType.DATABASE_DATA,
  FailureType.WINDOW_OPEN,
  FailureType.SOURCE_UNPLACED,
  FailureType.TARGET_SCHEMA_DRIFT,
  FailureType.UPSTREAM_NOT_READY,
  FailureType.UNDECLARED_INPUT,
  'InvalidIdentifierError',
  'PipelineDefinitionError',
];
