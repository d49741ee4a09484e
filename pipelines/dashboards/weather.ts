/**
 * The weather dashboards: hourly and daily trends per location, and rainfall per month with its
 * 3-month moving average and year-over-year change (computed in SQL over `city_weather_daily`
 * until the derived `city_weather_monthly` dataset replaces the source).
 */
import { defineDashboard } from '../../core/dashboard';

export const weatherHourly = defineDashboard({
  name: 'weather-hourly',
  title: 'Weather: hourly trends',
  description: 'Temperature, precipitation and wind per location and hour (pipeline weather, table weather_observations)',
  sources: ['weather_observations'],
  refreshSeconds: 30,
  filters: [
    { name: 'from', kind: 'date', label: 'From', default: '2024-05-01' },
    { name: 'to', kind: 'date', label: 'To (exclusive)', default: '2024-05-03' },
    { name: 'location', kind: 'select', label: 'Location', optionsQuery: 'SELECT DISTINCT location_id AS value FROM weather_observations ORDER BY 1', allowAll: true },
  ],
  panels: [
    {
      id: 'temperature',
      title: 'Temperature per hour',
      chart: 'line',
      query: `SELECT to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, location_id, temperature_c
                FROM weather_observations
               WHERE observed_at >= $1::date AND observed_at < $2::date AND ($3::text IS NULL OR location_id = $3)
               ORDER BY observed_at, location_id`,
      params: ['from', 'to', 'location'],
      x: 'hour',
      y: ['temperature_c'],
      series: 'location_id',
      unit: '°C',
    },
    {
      id: 'precipitation',
      title: 'Precipitation per hour',
      chart: 'bar',
      query: `SELECT to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, location_id, precipitation_mm
                FROM weather_observations
               WHERE observed_at >= $1::date AND observed_at < $2::date AND ($3::text IS NULL OR location_id = $3)
               ORDER BY observed_at, location_id`,
      params: ['from', 'to', 'location'],
      x: 'hour',
      y: ['precipitation_mm'],
      series: 'location_id',
      unit: 'mm',
    },
    {
      id: 'wind',
      title: 'Wind speed per hour',
      chart: 'line',
      query: `SELECT to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, location_id, wind_speed_ms
                FROM weather_observations
               WHERE observed_at >= $1::date AND observed_at < $2::date AND ($3::text IS NULL OR location_id = $3)
               ORDER BY observed_at, location_id`,
      params: ['from', 'to', 'location'],
      x: 'hour',
      y: ['wind_speed_ms'],
      series: 'location_id',
      unit: 'm/s',
    },
  ],
});

export const weatherDaily = defineDashboard({
  name: 'weather-daily',
  title: 'Weather: daily trends',
  description: 'Daily temperature range and precipitation per city (pipeline city_weather, table city_weather_daily)',
  sources: ['city_weather_daily'],
  refreshSeconds: 30,
  filters: [
    { name: 'from', kind: 'date', label: 'From', default: '2012-01-01' },
    { name: 'to', kind: 'date', label: 'To (exclusive)', default: '2013-01-01' },
    { name: 'location', kind: 'select', label: 'City', optionsQuery: 'SELECT DISTINCT location AS value FROM city_weather_daily ORDER BY 1', allowAll: true },
  ],
  panels: [
    {
      id: 'temperature',
      title: 'Mean temperature per day',
      chart: 'line',
      query: `SELECT to_char(day, 'YYYY-MM-DD') AS day, location, temp_mean_c
                FROM city_weather_daily
               WHERE day >= $1::date AND day < $2::date AND ($3::text IS NULL OR location = $3)
               ORDER BY day, location`,
      params: ['from', 'to', 'location'],
      x: 'day',
      y: ['temp_mean_c'],
      series: 'location',
      unit: '°C',
    },
    {
      id: 'precipitation',
      title: 'Precipitation per day',
      chart: 'bar',
      query: `SELECT to_char(day, 'YYYY-MM-DD') AS day, location, precipitation_mm
                FROM city_weather_daily
               WHERE day >= $1::date AND day < $2::date AND ($3::text IS NULL OR location = $3)
               ORDER BY day, location`,
      params: ['from', 'to', 'location'],
      x: 'day',
      y: ['precipitation_mm'],
      series: 'location',
      unit: 'mm',
    },
  ],
});

/** Monthly rainfall of one city: the month's total, its 3-month moving average, and the change on the same month a year before. */
const MONTHLY_RAIN = `
  WITH monthly AS (
    SELECT location, date_trunc('month', day)::date AS month, sum(precipitation_mm)::numeric AS rain_mm
      FROM city_weather_daily
     WHERE location = $3
     GROUP BY 1, 2
  ), indicators AS (
    SELECT m.location, m.month, m.rain_mm,
           avg(m.rain_mm) OVER (PARTITION BY m.location ORDER BY m.month RANGE BETWEEN interval '2 months' PRECEDING AND CURRENT ROW) AS ma3,
           prev.rain_mm AS rain_prev_year
      FROM monthly m
      LEFT JOIN monthly prev ON prev.location = m.location AND prev.month = (m.month - interval '1 year')::date
  )
  SELECT to_char(month, 'YYYY-MM') AS month,
         round(rain_mm, 1)::float8 AS rain_mm,
         round(ma3, 1)::float8 AS rain_3m_avg_mm,
         round(100 * (rain_mm - rain_prev_year) / nullif(rain_prev_year, 0), 1)::float8 AS yoy_change_pct
    FROM indicators
   WHERE month >= $1::date AND month < $2::date
   ORDER BY month`;

export const rainfallMonthly = defineDashboard({
  name: 'rainfall-monthly',
  title: 'Rainfall per month',
  description:
    'Monthly rainfall per city with its 3-month moving average (a trend that smooths one wet month) and the change on the same month last year (is this season wetter than usual?). From city_weather_daily until city_weather_monthly exists.',
  sources: ['city_weather_daily'],
  refreshSeconds: 30,
  filters: [
    { name: 'from', kind: 'date', label: 'From', default: '2012-01-01' },
    { name: 'to', kind: 'date', label: 'To (exclusive)', default: '2016-01-01' },
    { name: 'location', kind: 'select', label: 'City', optionsQuery: 'SELECT DISTINCT location AS value FROM city_weather_daily ORDER BY 1' },
  ],
  panels: [
    { id: 'rainfall', title: 'Rainfall and 3-month moving average', chart: 'bar-line', query: MONTHLY_RAIN, params: ['from', 'to', 'location'], x: 'month', y: ['rain_mm', 'rain_3m_avg_mm'], unit: 'mm' },
    { id: 'yoy', title: 'Change on the same month last year', chart: 'bar', query: MONTHLY_RAIN, params: ['from', 'to', 'location'], x: 'month', y: ['yoy_change_pct'], unit: '%' },
  ],
});
