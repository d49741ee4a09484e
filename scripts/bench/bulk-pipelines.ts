/**
 * The pipelines of `npm run bench:bulk`: `city_weather` exactly (schema, transform, target types),
 * renamed so each file size has its own landing folder and target table.
 */
import { createRegistry, type Registry } from '../../core/registry';
import { definePipeline } from '../../core/pipeline';
import { cityWeather } from '../../pipelines/city-weather';

/** The bench pipeline for one size (`small`: 100k rows, `large`: 1M rows). */
function benchPipeline(size: 'small' | 'large') {
  return definePipeline({
    ...cityWeather,
    name: `bench_bulk_${size}`,
    description: `city_weather columns, one ${size} partition (benchmark)`,
    target: { ...cityWeather.target, table: `bench_bulk_${size}_daily` },
    // Checks are part of what a partition costs: keep city_weather's.
  });
}

export const benchBulkSmall = benchPipeline('small');
export const benchBulkLarge = benchPipeline('large');

/** Registry of the bench worker. */
export const benchRegistry: Registry = createRegistry([benchBulkSmall, benchBulkLarge]);
