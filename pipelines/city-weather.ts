/**
 * Daily weather of Seattle and New York (2012–2015) from CSV files dropped in a landing folder.
 * The demo fills the folder from the `weather.csv` of the npm package vega-datasets.
 */
import { z } from 'zod';
import { acceptedValues, unique, volume } from '../core/checks';
import { daily, definePipeline } from '../core/pipeline';
import { decimal, isoDate } from '../core/schema-helpers';

export const cityWeather = definePipeline({
  name: 'city_weather',
  description: 'Daily precipitation, temperature range, wind and conditions per city from CSV drops',
  version: 1,
  partitioning: daily('2012-01-01'),
  params: {},
  // A few rows a day: each step runs as a local activity (same code, retries and timeouts, no
  // server round trip per step), which is most of a small partition's cost in a backfill.
  execution: 'local-activities',
  source: {
    kind: 'csv-files',
    filePattern: /\.csv$/i,
    timeColumn: 'date',
    requiredColumns: ['location', 'date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather'],
  },
  schema: z
    .object({
      location: z.string().trim().min(1, 'empty location'),
      date: isoDate(),
      precipitation: decimal().pipe(z.number().min(0, 'negative precipitation')),
      temp_max: decimal().pipe(z.number().min(-90).max(60)),
      temp_min: decimal().pipe(z.number().min(-90).max(60)),
      wind: decimal().pipe(z.number().min(0, 'negative wind')),
      weather: z.enum(['drizzle', 'rain', 'sun', 'snow', 'fog']),
    })
    .refine((r) => r.temp_min <= r.temp_max, { message: 'temp_min above temp_max', path: ['temp_min'] }),
  transform: (row) => ({
    location: row.location,
    day: row.date,
    precipitation_mm: row.precipitation,
    temp_max_c: row.temp_max,
    temp_min_c: row.temp_min,
    temp_mean_c: Math.round(((row.temp_max + row.temp_min) / 2) * 100) / 100,
    wind_ms: row.wind,
    conditions: row.weather,
  }),
  // The same schema and transform in SQL, for big one-day files (a day of many stations): PostgreSQL
  // validates and transforms them in bulk (activities/set-based.ts). temp_mean_c spells JavaScript's
  // Math.round (floor, plus one when the fraction is at least ½: exact for every double) in SQL;
  // tests/integration/set-based-path.test.ts loads the same files both ways.
  sql: {
    columns: { location: 'trimmed-text', date: 'iso-date', precipitation: 'decimal', temp_max: 'decimal', temp_min: 'decimal', wind: 'decimal', weather: 'text' },
    accept: `precipitation >= 0 AND temp_max BETWEEN -90 AND 60 AND temp_min BETWEEN -90 AND 60 AND wind >= 0
      AND weather IN ('drizzle', 'rain', 'sun', 'snow', 'fog') AND temp_min <= temp_max`,
    select: {
      location: 'location',
      day: 'date',
      precipitation_mm: 'precipitation',
      temp_max_c: 'temp_max',
      temp_min_c: 'temp_min',
      temp_mean_c: `(floor((temp_max + temp_min) / 2 * 100)
        + CASE WHEN (temp_max + temp_min) / 2 * 100 - floor((temp_max + temp_min) / 2 * 100) >= 0.5 THEN 1 ELSE 0 END) / 100`,
      wind_ms: 'wind',
      conditions: 'weather',
    },
  },
  target: {
    table: 'city_weather_daily',
    columns: {
      location: 'text',
      day: 'date',
      precipitation_mm: 'double precision',
      temp_max_c: 'double precision',
      temp_min_c: 'double precision',
      temp_mean_c: 'double precision',
      wind_ms: 'double precision',
      conditions: 'text',
    },
    key: ['location', 'day'],
    // Daily extracts loaded in day order: a BRIN summary finds a day's rows for almost nothing,
    // where a btree entry per row costs about a third of a big load (docs/benchmarks.md, "Bulk loads").
    partitionIndex: 'brin',
  },
  // Overview and freshness alert: late when the newest loaded partition ended longer ago than this.
  freshness: { expectWithinMinutes: 2880 },
  checks: [
    acceptedValues('conditions', ['drizzle', 'rain', 'sun', 'snow', 'fog']),
    // Overlapping drops repeat rows by design (the last line wins): worth knowing, not a stop.
    unique(['location', 'day'], { severity: 'warning' }),
    // Drops are irregular: a day far below or above its recent neighbours alerts but still loads.
    volume({ lookback: 14, minRatio: 0.5, maxRatio: 2, severity: 'warning' }),
  ],
});
