/**
 * Daily weather per location, derived from the hourly `weather` observations: min / max / mean
 * temperature, total precipitation and how many hours of data the day had. A day runs as soon as
 * its 24 hours have loaded, and again when one of them is re-loaded with different data.
 */
import { z } from 'zod';
import { rollUp } from '../core/mapping';
import { daily, definePipeline } from '../core/pipeline';
import { range } from '../core/checks';

export const weatherDaily = definePipeline({
  name: 'weather_daily',
  description: 'Daily min/max/mean temperature, total precipitation and hours of data per location (from weather)',
  version: 1,
  partitioning: daily('2020-01-01'),
  params: {},
  source: {
    kind: 'derived',
    inputs: { hourly: { pipeline: 'weather', mapping: rollUp() } },
    query: `
      SELECT location_id,
             (:partition)::date                                    AS day,
             min(temperature_c)                                    AS temp_min_c,
             max(temperature_c)                                    AS temp_max_c,
             round(avg(temperature_c)::numeric, 2)::float8         AS temp_mean_c,
             round(sum(precipitation_mm)::numeric, 2)::float8      AS precipitation_mm,
             count(DISTINCT observed_at)::int                      AS hours
        FROM {{hourly}}
       GROUP BY location_id
       ORDER BY location_id`,
  },
  schema: z.object({
    location_id: z.string().min(1),
    day: z.string(),
    temp_min_c: z.number(),
    temp_max_c: z.number(),
    temp_mean_c: z.number(),
    precipitation_mm: z.number().min(0),
    hours: z.number().int().min(1).max(24),
  }),
  transform: (row) => row,
  target: {
    table: 'weather_daily',
    columns: {
      location_id: 'text',
      day: 'date',
      temp_min_c: 'double precision',
      temp_max_c: 'double precision',
      temp_mean_c: 'double precision',
      precipitation_mm: 'double precision',
      hours: 'integer',
    },
    key: ['location_id', 'day'],
  },
  checks: [range('hours', { min: 24, max: 24, severity: 'warning' })],
});
