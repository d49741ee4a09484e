/**
 * The pipelines of `npm run bench:bulk`: `city_weather` exactly (schema, transform, target types),
 * renamed so each file size has its own landing folder and target table.
 */
import { createRegistry, type Registry } from '../../core/registry';
import { definePipeline, PARTITION_INDEXES, type PartitionIndex } from '../../core/pipeline';
import { cityWeather } from '../../pipelines/city-weather';

/** The `dp_partition` index method the bench was asked to use instead of city_weather's (env, set for the worker by bench-bulk.ts). */
function partitionIndexOverride(): { partitionIndex?: PartitionIndex } {
  const m = process.env.DATAPULSE_BENCH_PARTITION_INDEX;
  if (!m) return {};
  if (!(PARTITION_INDEXES as readonly string[]).includes(m)) throw new Error(`--partition-index must be one of ${PARTITION_INDEXES.join(', ')}`);
  return { partitionIndex: m as PartitionIndex };
}

/** The bench pipeline for one size (`small`: 100k rows, `large`: 1M rows). */
function benchPipeline(size: 'small' | 'large') {
  return definePipeline({
    ...cityWeather,
    name: `bench_bulk_${size}`,
    description: `city_weather columns, one ${size} partition (benchmark)`,
    // `npm run bench:bulk -- --partition-index btree` measures city_weather with the other index.
    target: { ...cityWeather.target, table: `bench_bulk_${size}_daily`, ...partitionIndexOverride() },
    // Checks are part of what a partition costs: keep city_weather's.
  });
}

export const benchBulkSmall = benchPipeline('small');
export const benchBulkLarge = benchPipeline('large');

/** Registry of the bench worker. */
export const benchRegistry: Registry = createRegistry([benchBulkSmall, benchBulkLarge]);
