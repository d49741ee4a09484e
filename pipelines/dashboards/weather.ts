/**
 * The weather dashboards: hourly and daily trends per location, and rainfall per month with its
 * 3-month moving average and year-over-year change from the derived `city_weather_monthly` dataset.
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

/**
 * Monthly rainfall of one city, read from the derived `city_weather_monthly` dataset: the month's
 * total, its 3-month moving average and the change on the same month a year before, as the pipeline
 * computed them (so the dashboard and the table never disagree). Months [from, to): a month is shown
 * when any of its days is in the range.
 */
const MONTHLY_RAIN = `
  SELECT month,
         precipitation_mm AS rain_mm,
         precipitation_3m_avg_mm AS rain_3m_avg_mm,
         round((100 * precipitation_yoy_mm / nullif(precipitation_mm - precipitation_yoy_mm, 0))::numeric, 1)::float8 AS yoy_change_pct
    FROM city_weather_monthly
   WHERE location = $3 AND month >= to_char($1::date, 'YYYY-MM') AND month <= to_char($2::date - 1, 'YYYY-MM')
   ORDER BY month`;

export const rainfallMonthly = defineDashboard({
  name: 'rainfall-monthly',
  title: 'Rainfall per month',
  description:
    'Monthly rainfall per city with its 3-month moving average (a trend that smooths one wet month) and the change on the same month last year (is this season wetter than usual?). From the derived dataset city_weather_monthly.',
  sources: ['city_weather_monthly'],
  refreshSeconds: 30,
  filters: [
    { name: 'from', kind: 'date', label: 'From', default: '2012-01-01' },
    { name: 'to', kind: 'date', label: 'To (exclusive)', default: '2016-01-01' },
    { name: 'location', kind: 'select', label: 'City', optionsQuery: 'SELECT DISTINCT location AS value FROM city_weather_monthly ORDER BY 1' },
  ],
  panels: [
    { id: 'rainfall', title: 'Rainfall and 3-month moving average', chart: 'bar-line', query: MONTHLY_RAIN, params: ['from', 'to', 'location'], x: 'month', y: ['rain_mm', 'rain_3m_avg_mm'], unit: 'mm' },
    { id: 'yoy', title: 'Change on the same month last year', chart: 'bar', query: MONTHLY_RAIN, params: ['from', 'to', 'location'], x: 'month', y: ['yoy_change_pct'], unit: '%' },
  ],
});
