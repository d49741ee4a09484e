/**
 * Hourly weather observations from an HTTP JSON API in the Open-Meteo `/v1/forecast` shape, one
 * request per location per hour.
 */
import { z } from 'zod';
import { notNull, range, unique, volume } from '../core/checks';
import { definePipeline, hourly, SourceFormatError } from '../core/pipeline';
import { decimal, instant } from '../core/schema-helpers';
import { offsetZone, parseInstant } from '../core/time';

const VARIABLES = ['temperature_2m', 'precipitation', 'wind_speed_10m'] as const;

const Location = z.object({ id: z.string(), latitude: z.number(), longitude: z.number() });
type Location = z.infer<typeof Location>;

const ForecastBody = z.object({
  utc_offset_seconds: z.number().optional(),
  hourly: z.object({
    time: z.array(z.string()),
    temperature_2m: z.array(z.unknown()),
    precipitation: z.array(z.unknown()),
    wind_speed_10m: z.array(z.unknown()),
  }),
});

function hourIso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export const weather = definePipeline({
  name: 'weather',
  description: 'Hourly temperature, precipitation and wind per location from an Open-Meteo-style API',
  version: 1,
  partitioning: hourly('2020-01-01T00'),
  params: {
    locations: [
      { id: 'seattle', latitude: 47.61, longitude: -122.33 },
      { id: 'new_york', latitude: 40.71, longitude: -74.01 },
      { id: 'berlin', latitude: 52.52, longitude: 13.41 },
    ],
  },
  source: {
    kind: 'http-json',
    baseUrlEnv: 'WEATHER_API_URL',
    defaultBaseUrl: 'https://api.open-meteo.com',
    timeoutMs: 15_000,
    requests: (window, params) =>
      z.array(Location).parse(params.locations).map((loc: Location) => ({
        label: `forecast?location=${loc.id}`,
        path: '/v1/forecast',
        query: {
          latitude: String(loc.latitude),
          longitude: String(loc.longitude),
          hourly: VARIABLES.join(','),
          start_hour: hourIso(window.startMs),
          end_hour: hourIso(window.endMs - 3_600_000),
          timezone: 'GMT',
          location_id: loc.id,
        },
      })),
    records: (body, request, window) => {
      const parsed = ForecastBody.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new SourceFormatError(
          `${request.label}: response is not an Open-Meteo forecast: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        );
      }
      const h = parsed.data.hourly;
      // Times without an offset are wall times of the answer's own zone (utc_offset_seconds; we ask
      // for GMT), applied once here; a drift to seconds, a Z or another zone is the same instant.
      let zone;
      try {
        zone = offsetZone(parsed.data.utc_offset_seconds ?? 0);
      } catch (err) {
        throw new SourceFormatError(`${request.label}: utc_offset_seconds: ${(err as Error).message}`);
      }
      const rows: Record<string, unknown>[] = [];
      h.time.forEach((time, i) => {
        const t = parseInstant(time, { zone });
        if (!t.ok) throw new SourceFormatError(`${request.label}: hourly.time[${i}]: ${t.reason}`);
        // One hour was asked for: an hour outside it means the API answered another question
        // (a shifted zone, a changed parameter). Fail, naming the value, rather than load nothing.
        if (!(t.instant.epochMs >= window.startMs && t.instant.epochMs < window.endMs)) {
          throw new SourceFormatError(
            `${request.label}: hourly.time[${i}] = ${JSON.stringify(time)} is ${t.instant.iso} (utc_offset_seconds ${parsed.data.utc_offset_seconds ?? 0}), outside the requested hour ${window.key}`,
          );
        }
        rows.push({
          location_id: request.query.location_id,
          time: t.instant.iso,
          temperature_2m: h.temperature_2m[i] ?? null,
          precipitation: h.precipitation[i] ?? null,
          wind_speed_10m: h.wind_speed_10m[i] ?? null,
        });
      });
      return rows;
    },
  },
  schema: z.object({
    location_id: z.string().regex(/^[a-z0-9_]+$/, 'expected a location id'),
    // Already one canonical UTC instant (the adapter applied the answer's zone); re-read to be sure.
    time: instant(),
    temperature_2m: decimal().pipe(z.number().min(-90, 'below -90 °C').max(60, 'above 60 °C')),
    precipitation: decimal().pipe(z.number().min(0, 'negative precipitation').max(500, 'above 500 mm/h')),
    wind_speed_10m: decimal().pipe(z.number().min(0, 'negative wind speed').max(500, 'above 500 km/h')),
  }),
  transform: (row) => ({
    location_id: row.location_id,
    observed_at: row.time,
    temperature_c: row.temperature_2m,
    precipitation_mm: row.precipitation,
    // Open-Meteo reports km/h; the warehouse stores SI units.
    wind_speed_ms: Math.round((row.wind_speed_10m / 3.6) * 100) / 100,
  }),
  target: {
    table: 'weather_observations',
    columns: {
      location_id: 'text',
      observed_at: 'timestamptz',
      temperature_c: 'double precision',
      precipitation_mm: 'double precision',
      wind_speed_ms: 'double precision',
    },
    key: ['location_id', 'observed_at'],
  },
  // Overview and freshness alert: late when the newest loaded partition ended longer ago than this.
  freshness: { expectWithinMinutes: 120 },
  checks: [
    // Guards the contract if the schema ever lets nulls through (today null temperatures are quarantined).
    notNull('temperature_c', { minRatio: 0.9 }),
    // One row per location and hour: a repeat means the API answered another window than asked.
    unique(['location_id', 'observed_at']),
    // Above 200 km/h (55.6 m/s) is possible (hurricanes) but worth a look, not a stop.
    range('wind_speed_ms', { min: 0, max: 55.6, severity: 'warning' }),
    // One row per configured location per hour; far fewer (or more) means the API changed its answer.
    volume({ lookback: 24, minRatio: 0.5, maxRatio: 2 }),
  ],
});
