export type { CsvFilesSource, HttpJsonSource, Params, SourceRecord } from '../../core/pipeline';
export type { PartitionWindow as PartitionWindowLike } from '../../core/partition';
