export type { CsvFilesSource, HttpJsonSource, Params, SourceRecord } from '../../lib/pipeline';
export type { PartitionWindow as PartitionWindowLike } from '../../lib/partition';
