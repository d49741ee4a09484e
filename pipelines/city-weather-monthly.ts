/**
 * Monthly weather trends per city, derived from the daily `city_weather` rows: totals and means of
 * the month, the 3-month moving average, and the change against the same month a year earlier —
 * the trend a decision maker reads. The moving average and the year-on-year change come from the
 * pipeline's own earlier months (input `history`), so a month runs once its days and the month
 * before it have loaded.
 */
import { z } from 'zod';
import { rollUp, trailingWindow } from '../core/mapping';
import { definePipeline, monthly } from '../core/pipeline';

const num = z.number().nullable();

export const cityWeatherMonthly = definePipeline({
  name: 'city_weather_monthly',
  description: 'Monthly precipitation and temperature per city with 3-month moving average and year-on-year change (from city_weather)',
  version: 1,
  partitioning: monthly('2012-01'),
  params: {},
  source: {
    kind: 'derived',
    inputs: {
      days: { pipeline: 'city_weather', mapping: rollUp() },
      // The 12 months before this one: 2 for the moving average, the 12th back for year-on-year.
      history: { pipeline: 'city_weather_monthly', mapping: trailingWindow(12, { offset: 1 }) },
    },
    query: `
      WITH cur AS (
        SELECT location,
               count(*)::int                                   AS days,
               round(sum(precipitation_mm)::numeric, 1)::float8 AS precipitation_mm,
               round(avg(temp_mean_c)::numeric, 2)::float8     AS temp_mean_c,
               max(temp_max_c)                                 AS temp_max_c,
               min(temp_min_c)                                 AS temp_min_c
          FROM {{days}}
         GROUP BY location
      ), hist AS (
        SELECT location, dp_partition AS month, precipitation_mm, temp_mean_c FROM {{history}}
      ), bounds AS (
        SELECT to_char(((:window_start)::timestamptz AT TIME ZONE 'UTC') - interval '2 months', 'YYYY-MM')  AS m2,
               to_char(((:window_start)::timestamptz AT TIME ZONE 'UTC') - interval '12 months', 'YYYY-MM') AS m12
      )
      SELECT c.location,
             :partition                                                AS month,
             c.days, c.precipitation_mm, c.temp_mean_c, c.temp_max_c, c.temp_min_c,
             (SELECT round(avg(x.p)::numeric, 1)::float8
                FROM (SELECT h.precipitation_mm AS p FROM hist h, bounds b WHERE h.location = c.location AND h.month >= b.m2
                      UNION ALL SELECT c.precipitation_mm) x)           AS precipitation_3m_avg_mm,
             (SELECT round(avg(x.t)::numeric, 2)::float8
                FROM (SELECT h.temp_mean_c AS t FROM hist h, bounds b WHERE h.location = c.location AND h.month >= b.m2
                      UNION ALL SELECT c.temp_mean_c) x)                AS temp_mean_3m_avg_c,
             (SELECT round((c.precipitation_mm - h.precipitation_mm)::numeric, 1)::float8
                FROM hist h, bounds b WHERE h.location = c.location AND h.month = b.m12) AS precipitation_yoy_mm,
             (SELECT round((c.temp_mean_c - h.temp_mean_c)::numeric, 2)::float8
                FROM hist h, bounds b WHERE h.location = c.location AND h.month = b.m12) AS temp_mean_yoy_c
        FROM cur c
       ORDER BY c.location`,
  },
  schema: z.object({
    location: z.string().min(1),
    month: z.string().regex(/^\d{4}-\d{2}$/),
    days: z.number().int().min(1).max(31),
    precipitation_mm: z.number().min(0),
    temp_mean_c: z.number(),
    temp_max_c: z.number(),
    temp_min_c: z.number(),
    precipitation_3m_avg_mm: z.number(),
    temp_mean_3m_avg_c: z.number(),
    precipitation_yoy_mm: num,
    temp_mean_yoy_c: num,
  }),
  transform: (row) => row,
  target: {
    table: 'city_weather_monthly',
    columns: {
      location: 'text',
      month: 'text',
      days: 'integer',
      precipitation_mm: 'double precision',
      temp_mean_c: 'double precision',
      temp_max_c: 'double precision',
      temp_min_c: 'double precision',
      precipitation_3m_avg_mm: 'double precision',
      temp_mean_3m_avg_c: 'double precision',
      precipitation_yoy_mm: 'double precision',
      temp_mean_yoy_c: 'double precision',
    },
    key: ['location', 'month'],
  },
});
