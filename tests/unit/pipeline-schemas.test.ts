/**
 * The two shipped pipeline definitions (weather, city_weather): their zod schemas accept the
 * canonical records and reject bad ones on the right field, their transforms, the weather HTTP
 * source's request planning and response parsing. Also the building blocks they rely on:
 * definePipeline's checks, the zod helpers, SQL identifier quoting and the fingerprints.
 */
import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { cityWeather } from '../../pipelines/city-weather';
import { weather } from '../../pipelines/weather';
import {
  PipelineDefinitionError,
  SourceFormatError,
  daily,
  definePipeline,
  hourly,
  type HttpJsonSource,
  type Params,
  type PipelineDefinition,
  type SqlType,
} from '../../core/pipeline';
import { partitionWindow } from '../../core/partition';
import { decimal, isoDate, isoMinute } from '../../core/schema-helpers';
import { InvalidIdentifierError, assertIdentifier, ident, qualified } from '../../core/sql';
import { canonicalJson, codeVersion, paramsHash } from '../../infra/fingerprint';

/** Definitions are generic in schema and params; the fingerprint functions take them type-erased. */
function erased(def: unknown): PipelineDefinition {
  return def as PipelineDefinition;
}

function firstIssuePath(result: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[] }[] } }): PropertyKey[] {
  expect(result.success).toBe(false);
  return [...(result.error?.issues[0]?.path ?? [])];
}

// ------------------------------------------------------------------ weather --

const GOOD_WEATHER = {
  location_id: 'seattle',
  time: '2024-05-01T13:00',
  temperature_2m: 12.3,
  precipitation: 0,
  wind_speed_10m: 10.8,
};

describe('weather schema', () => {
  it('accepts a good record', () => {
    const r = weather.schema.safeParse(GOOD_WEATHER);
    expect(r.success).toBe(true);
    // Issue 9: the time becomes the canonical UTC instant (two spellings of one instant are one value).
    expect(r.data).toEqual({ ...GOOD_WEATHER, time: '2024-05-01T13:00:00.000000Z' });
  });

  it.each(['2024-05-01 13:00', '2024-05-01T13:00:00', '2024-05-01T13:00:00Z', '2024-05-01T15:00+02:00', '2024-05-01T13:00:00.000000Z'])(
    'reads %j as the same instant (issue 9: upstream format drift is not a different hour)',
    (time) => {
      expect(weather.schema.parse({ ...GOOD_WEATHER, time }).time).toBe('2024-05-01T13:00:00.000000Z');
    },
  );

  it('accepts numbers given as decimal strings', () => {
    const r = weather.schema.safeParse({ ...GOOD_WEATHER, temperature_2m: '12.3', wind_speed_10m: ' 10.8 ' });
    expect(r.success).toBe(true);
    expect(r.data?.temperature_2m).toBe(12.3);
    expect(r.data?.wind_speed_10m).toBe(10.8);
  });

  it.each([
    ['null temperature', { temperature_2m: null }, 'temperature_2m'],
    ['missing temperature', { temperature_2m: undefined }, 'temperature_2m'],
    ['negative wind', { wind_speed_10m: -5 }, 'wind_speed_10m'],
    ['"n/a" precipitation', { precipitation: 'n/a' }, 'precipitation'],
    ['negative precipitation', { precipitation: -0.1 }, 'precipitation'],
    ['temperature above 60 °C', { temperature_2m: 75 }, 'temperature_2m'],
    ['temperature below -90 °C', { temperature_2m: -120 }, 'temperature_2m'],
    ['NaN temperature', { temperature_2m: Number.NaN }, 'temperature_2m'],
    ['time with an hour 25', { time: '2024-05-01T25:00' }, 'time'],
    ['time on a non-existent day', { time: '2024-02-30T13:00' }, 'time'],
    ['time that is not a time', { time: 'yesterday' }, 'time'],
    ['upper-case location id', { location_id: 'Seattle' }, 'location_id'],
  ])('rejects %s on the failing field', (_label, patch, field) => {
    const r = weather.schema.safeParse({ ...GOOD_WEATHER, ...patch });
    expect(firstIssuePath(r)).toEqual([field]);
  });
});

describe('weather transform', () => {
  const ctx = { partition: '2024-05-01T13', params: weather.params };

  it('converts km/h to m/s rounded to 2 decimals and builds observed_at as ISO UTC', () => {
    const row = weather.schema.parse(GOOD_WEATHER);
    const out = weather.transform(row, ctx);
    expect(out).toEqual({
      location_id: 'seattle',
      observed_at: '2024-05-01T13:00:00.000000Z',
      temperature_c: 12.3,
      precipitation_mm: 0,
      wind_speed_ms: 3,
    });
    expect(new Date(out.observed_at as string).toISOString()).toBe('2024-05-01T13:00:00.000Z');
  });

  it.each([
    [10, 2.78],
    [1, 0.28],
    [0, 0],
    [36, 10],
    [100, 27.78],
  ])('%d km/h → %d m/s', (kmh, ms) => {
    const row = weather.schema.parse({ ...GOOD_WEATHER, wind_speed_10m: kmh });
    expect(weather.transform(row, ctx).wind_speed_ms).toBe(ms);
  });

  it('produces exactly the target columns', () => {
    const out = weather.transform(weather.schema.parse(GOOD_WEATHER), ctx);
    expect(Object.keys(out).sort()).toEqual(Object.keys(weather.target.columns).sort());
  });
});

function weatherSource(): HttpJsonSource<typeof weather.params> {
  const src = weather.source;
  if (src.kind !== 'http-json') throw new Error('weather.source should be http-json');
  return src;
}

function openMeteoBody(times: string[], temps: unknown[], precs: unknown[], winds: unknown[]) {
  return {
    latitude: 47.6,
    longitude: -122.3,
    generationtime_ms: 0.05,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: 56,
    hourly_units: { time: 'iso8601', temperature_2m: '°C', precipitation: 'mm', wind_speed_10m: 'km/h' },
    hourly: { time: times, temperature_2m: temps, precipitation: precs, wind_speed_10m: winds },
  };
}

describe('weather source', () => {
  const window = partitionWindow('hourly', '2024-05-01T13');

  it('is an http-json source', () => {
    expect(weather.source.kind).toBe('http-json');
    expect(weatherSource().baseUrlEnv).toBe('WEATHER_API_URL');
  });

  it('makes one request per location, for exactly the window hour', () => {
    const reqs = weatherSource().requests(window, weather.params);
    expect(reqs).toHaveLength(weather.params.locations.length);
    expect(reqs.map((r) => r.query.location_id)).toEqual(weather.params.locations.map((l) => l.id));
    for (const [i, req] of reqs.entries()) {
      const loc = weather.params.locations[i]!;
      expect(req.path).toBe('/v1/forecast');
      expect(req.label).toBe(`forecast?location=${loc.id}`);
      expect(req.query.start_hour).toBe('2024-05-01T13:00');
      expect(req.query.end_hour).toBe('2024-05-01T13:00');
      expect(req.query.start_hour).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
      expect(req.query.latitude).toBe(String(loc.latitude));
      expect(req.query.longitude).toBe(String(loc.longitude));
      expect(req.query.hourly?.split(',')).toEqual(['temperature_2m', 'precipitation', 'wind_speed_10m']);
    }
  });

  it('plans the midnight and year-end hours correctly', () => {
    const reqs = weatherSource().requests(partitionWindow('hourly', '2024-12-31T23'), weather.params);
    expect(reqs[0]?.query.start_hour).toBe('2024-12-31T23:00');
    expect(reqs[0]?.query.end_hour).toBe('2024-12-31T23:00');
    const midnight = weatherSource().requests(partitionWindow('hourly', '2025-01-01T00'), weather.params);
    expect(midnight[0]?.query.start_hour).toBe('2025-01-01T00:00');
  });

  it('follows params: one request per configured location', () => {
    const params = { locations: [{ id: 'oslo', latitude: 59.91, longitude: 10.75 }] };
    const reqs = weatherSource().requests(window, params);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]?.query.location_id).toBe('oslo');
  });

  it('maps an Open-Meteo body to records with the hour as a canonical UTC instant', () => {
    const src = weatherSource();
    const req = src.requests(window, weather.params)[0]!;
    const body = openMeteoBody(['2024-05-01T13:00'], [12.3], [0.2], [10.8]);
    const records = src.records(body, req, window);
    expect(records).toEqual([
      { location_id: 'seattle', time: '2024-05-01T13:00:00.000000Z', temperature_2m: 12.3, precipitation: 0.2, wind_speed_10m: 10.8 },
    ]);
    // The records are what the schema validates.
    expect(weather.schema.safeParse(records[0]).success).toBe(true);
  });

  it.each([
    ['seconds added', '2024-05-01T13:00:00', 0],
    ['a Z', '2024-05-01T13:00Z', 0],
    ['another zone, with its offset', '2024-05-01T15:00+02:00', 0],
    ['another zone, as wall time with utc_offset_seconds', '2024-05-01T15:00', 7200],
    ['another zone, west', '2024-05-01T09:00', -14400],
  ])('reads an answer with %s as the same hour (issue 9, case 5)', (_label, time, offset) => {
    const src = weatherSource();
    const req = src.requests(window, weather.params)[0]!;
    const body = { ...openMeteoBody([time], [12.3], [0.2], [10.8]), utc_offset_seconds: offset };
    expect(src.records(body, req, window).map((r) => r.time)).toEqual(['2024-05-01T13:00:00.000000Z']);
  });

  it('fails, naming the request and the value, when the answer holds another hour (issue 9, case 5)', () => {
    const src = weatherSource();
    const req = src.requests(window, weather.params)[1]!;
    // The API ignored timezone=GMT and answered Berlin wall time without saying so.
    const body = openMeteoBody(['2024-05-01T15:00'], [1], [0], [3]);
    expect(() => src.records(body, req, window)).toThrow(SourceFormatError);
    expect(() => src.records(body, req, window)).toThrow(/forecast\?location=new_york: hourly.time\[0\] = "2024-05-01T15:00" is 2024-05-01T15:00:00.000000Z .*outside the requested hour 2024-05-01T13/);
  });

  it('returns no records for an empty answer (the HTTP source then fails the partition, see weather-api tests)', () => {
    const src = weatherSource();
    const req = src.requests(window, weather.params)[1]!;
    expect(src.records(openMeteoBody([], [], [], []), req, window)).toEqual([]);
  });

  it('keeps nulls and short arrays as null values for the schema to reject', () => {
    const src = weatherSource();
    const req = src.requests(window, weather.params)[2]!;
    const body = openMeteoBody(['2024-05-01T13:00'], [null], [], [5]);
    const records = src.records(body, req, window);
    expect(records).toEqual([{ location_id: 'berlin', time: '2024-05-01T13:00:00.000000Z', temperature_2m: null, precipitation: null, wind_speed_10m: 5 }]);
    expect(weather.schema.safeParse(records[0]).success).toBe(false);
  });

  it.each([
    ['a body without hourly', { latitude: 1 }],
    ['a body without hourly.time', { hourly: { temperature_2m: [], precipitation: [], wind_speed_10m: [] } }],
    ['hourly.time that is not an array', { hourly: { time: '2024-05-01T13:00', temperature_2m: [], precipitation: [], wind_speed_10m: [] } }],
    ['null', null],
    ['a string', 'Internal Server Error'],
  ])('throws SourceFormatError for %s', (_label, body) => {
    const src = weatherSource();
    const req = src.requests(window, weather.params)[0]!;
    expect(() => src.records(body, req, window)).toThrow(SourceFormatError);
  });

  it('names the request and the missing field in the SourceFormatError', () => {
    const src = weatherSource();
    const req = src.requests(window, weather.params)[0]!;
    let err: unknown;
    try {
      src.records({ hourly: { temperature_2m: [], precipitation: [], wind_speed_10m: [] } }, req, window);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as Error).name).toBe('SourceFormatError');
    expect((err as Error).message).toContain('forecast?location=seattle');
    expect((err as Error).message).toContain('hourly.time');
  });
});

// ------------------------------------------------------------- city_weather --

const GOOD_CITY = {
  location: 'Seattle',
  date: '2012-01-01',
  precipitation: '0.0',
  temp_max: '12.8',
  temp_min: '5.0',
  wind: '4.7',
  weather: 'drizzle',
};

describe('city_weather schema', () => {
  it('accepts the CSV string record and parses its numbers', () => {
    const r = cityWeather.schema.safeParse(GOOD_CITY);
    expect(r.success).toBe(true);
    expect(r.data).toEqual({
      location: 'Seattle',
      date: '2012-01-01',
      precipitation: 0,
      temp_max: 12.8,
      temp_min: 5,
      wind: 4.7,
      weather: 'drizzle',
    });
  });

  it.each(['drizzle', 'rain', 'sun', 'snow', 'fog'])('accepts the weather value %s', (w) => {
    expect(cityWeather.schema.safeParse({ ...GOOD_CITY, weather: w }).success).toBe(true);
  });

  it('accepts temp_min equal to temp_max', () => {
    expect(cityWeather.schema.safeParse({ ...GOOD_CITY, temp_max: '5.0', temp_min: '5' }).success).toBe(true);
  });

  it.each([
    ['"4 500€" precipitation', { precipitation: '4 500€' }, 'precipitation'],
    ['"450,50" wind', { wind: '450,50' }, 'wind'],
    ['"NaN" temp_max', { temp_max: 'NaN' }, 'temp_max'],
    ['"Infinity" temp_min', { temp_min: 'Infinity' }, 'temp_min'],
    ['"-Infinity" temp_min', { temp_min: '-Infinity' }, 'temp_min'],
    ['empty precipitation', { precipitation: '' }, 'precipitation'],
    ['blank wind', { wind: '   ' }, 'wind'],
    ['negative precipitation', { precipitation: '-1' }, 'precipitation'],
    ['negative wind', { wind: '-0.5' }, 'wind'],
    ['temp_max above 60', { temp_max: '61' }, 'temp_max'],
    ['unknown weather value', { weather: 'hail' }, 'weather'],
    ['weather in another case', { weather: 'Rain' }, 'weather'],
    ['date 01/02/2012', { date: '01/02/2012' }, 'date'],
    ['date 2012-02-30', { date: '2012-02-30' }, 'date'],
    ['date 2013-02-29', { date: '2013-02-29' }, 'date'],
    ['date-time instead of date', { date: '2012-01-01T00:00' }, 'date'],
    ['empty location', { location: '  ' }, 'location'],
  ])('rejects %s on the failing field', (_label, patch, field) => {
    const r = cityWeather.schema.safeParse({ ...GOOD_CITY, ...patch });
    expect(firstIssuePath(r)).toEqual([field]);
  });

  it('rejects temp_min above temp_max, on temp_min', () => {
    const r = cityWeather.schema.safeParse({ ...GOOD_CITY, temp_max: '5.0', temp_min: '12.8' });
    expect(firstIssuePath(r)).toEqual(['temp_min']);
    expect(r.error?.issues[0]?.message).toContain('temp_min above temp_max');
  });

  it('accepts the leap day 2012-02-29', () => {
    expect(cityWeather.schema.safeParse({ ...GOOD_CITY, date: '2012-02-29' }).success).toBe(true);
  });
});

describe('city_weather transform', () => {
  const ctx = { partition: '2012-01-01', params: cityWeather.params };

  it('computes temp_mean_c and renames to the target columns', () => {
    const out = cityWeather.transform(cityWeather.schema.parse(GOOD_CITY), ctx);
    expect(out).toEqual({
      location: 'Seattle',
      day: '2012-01-01',
      precipitation_mm: 0,
      temp_max_c: 12.8,
      temp_min_c: 5,
      temp_mean_c: 8.9,
      wind_ms: 4.7,
      conditions: 'drizzle',
    });
    expect(Object.keys(out).sort()).toEqual(Object.keys(cityWeather.target.columns).sort());
  });

  it.each([
    ['10.0', '-3.3', 3.35],
    ['0.6', '-4.3', -1.85],
    ['1.1', '0.0', 0.55],
    ['-2.2', '-5.5', -3.85],
  ])('temp_max %s, temp_min %s → temp_mean_c %d', (max, min, mean) => {
    const out = cityWeather.transform(cityWeather.schema.parse({ ...GOOD_CITY, temp_max: max, temp_min: min }), ctx);
    expect(out.temp_mean_c).toBeCloseTo(mean, 10);
    expect(Math.round((out.temp_mean_c as number) * 100) / 100).toBe(out.temp_mean_c);
  });

  it('is a csv-files source on the date column', () => {
    expect(cityWeather.source.kind).toBe('csv-files');
    if (cityWeather.source.kind !== 'csv-files') return;
    expect(cityWeather.source.timeColumn).toBe('date');
    expect(cityWeather.source.requiredColumns).toEqual(expect.arrayContaining(['location', 'date', 'weather']));
  });
});

// ------------------------------------------------------------ schema helpers --

describe('decimal()', () => {
  it.each([
    ['1e3', 1000],
    ['-3', -3],
    ['.5', 0.5],
    [' 2.5 ', 2.5],
    ['+4', 4],
    ['0.0', 0],
    ['12.', 12],
    ['2.5E-2', 0.025],
    [7, 7],
    [-0.25, -0.25],
    [0, 0],
  ] as const)('accepts %j as %d', (input, expected) => {
    const r = decimal().safeParse(input);
    expect(r.success).toBe(true);
    expect(r.data).toBe(expected);
  });

  it.each(['', '   ', 'NaN', 'Infinity', '-Infinity', '4 500€', '450,50', '1,000.5', '0x10', '1e', '1_000', '12abc', '--1', '.', 'e3', Number.NaN, Number.POSITIVE_INFINITY, null, undefined, true, [], {}])(
    'rejects %j',
    (input) => {
      const r = decimal().safeParse(input);
      expect(r.success).toBe(false);
    },
  );

  it('explains a rejected string', () => {
    const r = decimal().safeParse('450,50');
    expect(r.error?.issues[0]?.message).toContain('not a plain decimal number');
    expect(r.error?.issues[0]?.message).toContain('450,50');
  });
});

describe('isoDate() and isoMinute()', () => {
  it('isoDate accepts existing days only', () => {
    expect(isoDate().safeParse('2024-02-29').success).toBe(true);
    expect(isoDate().safeParse('2023-02-29').success).toBe(false);
    expect(isoDate().safeParse('2024-1-01').success).toBe(false);
    expect(isoDate().safeParse('2024-13-01').success).toBe(false);
  });

  it('isoMinute accepts YYYY-MM-DDTHH:MM only', () => {
    expect(isoMinute().safeParse('2024-05-01T00:00').success).toBe(true);
    expect(isoMinute().safeParse('2024-05-01T23:59').success).toBe(true);
    expect(isoMinute().safeParse('2024-05-01T24:00').success).toBe(false);
    expect(isoMinute().safeParse('2024-05-01T13:60').success).toBe(false);
    expect(isoMinute().safeParse('2024-05-01T13:00Z').success).toBe(false);
  });
});

// ------------------------------------------------------------ definePipeline --

function baseDefinition(): PipelineDefinition {
  return {
    name: 'test_pipeline',
    description: 'test',
    version: 1,
    partitioning: daily('2024-01-01'),
    params: { factor: 2 },
    source: { kind: 'csv-files', timeColumn: 'day', requiredColumns: ['day', 'value'] },
    schema: z.object({ day: isoDate(), value: decimal() }),
    transform: (row) => ({ day: row.day, value: row.value }),
    target: { table: 'test_table', columns: { day: 'date', value: 'double precision' }, key: ['day'] },
  };
}

function expectDefinitionError(patch: Partial<PipelineDefinition>, message: RegExp): void {
  let err: unknown;
  try {
    definePipeline({ ...baseDefinition(), ...patch });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PipelineDefinitionError);
  expect((err as Error).name).toBe('PipelineDefinitionError');
  expect((err as Error).message).toMatch(message);
}

describe('definePipeline', () => {
  it('accepts a valid definition and freezes it', () => {
    const def = definePipeline(baseDefinition());
    expect(def.name).toBe('test_pipeline');
    expect(Object.isFrozen(def)).toBe(true);
  });

  it('the shipped pipelines are valid', () => {
    expect(weather.name).toBe('weather');
    expect(weather.partitioning).toEqual(hourly('2020-01-01T00'));
    expect(cityWeather.name).toBe('city_weather');
    expect(cityWeather.partitioning).toEqual(daily('2012-01-01'));
  });

  it.each(['Weather-1', 'weather-1', 'Weather', '1weather', '', 'we ather', 'a"b'])('rejects the pipeline name %j', (name) => {
    expectDefinitionError({ name }, /invalid pipeline name/);
  });

  it('rejects an invalid table name', () => {
    const base = baseDefinition();
    expectDefinitionError({ target: { ...base.target, table: 'drop table x;' } }, /invalid table name/);
  });

  it('rejects an invalid column name', () => {
    const base = baseDefinition();
    expectDefinitionError({ target: { ...base.target, columns: { ...base.target.columns, 'Bad Col': 'text' } } }, /invalid column name/);
  });

  it('rejects a key column that is not a target column', () => {
    const base = baseDefinition();
    expectDefinitionError({ target: { ...base.target, key: ['day', 'location'] } }, /key column location is not a target column/);
  });

  it('rejects an unknown dp_partition index method, and dp_partition alone in indexes (partitionIndex names that index)', () => {
    const base = baseDefinition();
    expectDefinitionError({ target: { ...base.target, partitionIndex: 'hash' as 'brin' } }, /target\.partitionIndex must be one of btree, brin/);
    expectDefinitionError({ target: { ...base.target, partitionIndex: 'brin', indexes: [['dp_partition']] } }, /dp_partition alone is indexed already/);
    // With another column it is an index of its own (named <table>_dp_partition_<col>_idx).
    expect(() => definePipeline({ ...base, target: { ...base.target, partitionIndex: 'brin', indexes: [['dp_partition', 'day']] } } as never)).not.toThrow();
  });

  it('rejects an empty key', () => {
    const base = baseDefinition();
    expectDefinitionError({ target: { ...base.target, key: [] } }, /target\.key/);
  });

  it('rejects an unsupported SQL type', () => {
    const base = baseDefinition();
    expectDefinitionError(
      { target: { ...base.target, columns: { ...base.target.columns, note: 'varchar(20)' as SqlType } } },
      /column note has unsupported type varchar\(20\)/,
    );
  });

  it('rejects the reserved column dp_partition', () => {
    const base = baseDefinition();
    expectDefinitionError({ target: { ...base.target, columns: { ...base.target.columns, dp_partition: 'text' } } }, /dp_partition is reserved/);
  });

  it.each([
    ['a non-existent day', daily('2024-02-30')],
    ['a malformed day', daily('2024-1-1')],
    ['an hourly key for daily partitioning', daily('2024-01-01T00')],
    ['a daily key for hourly partitioning', hourly('2024-01-01')],
    ['hour 24', hourly('2024-01-01T24')],
  ])('rejects a partitioning start that is %s', (_label, partitioning) => {
    expectDefinitionError({ partitioning }, /partitioning\.start/);
  });

  it('rejects an unknown granularity', () => {
    expectDefinitionError({ partitioning: { granularity: 'weekly' as 'daily', start: '2024-01-01' } }, /unknown granularity weekly/);
  });

  it.each([0, -1, 1.5])('rejects version %d', (version) => {
    expectDefinitionError({ version }, /version must be a positive integer/);
  });

  it.each([-0.1, 1.1])('rejects maxRejectedRatio %d', (maxRejectedRatio) => {
    expectDefinitionError({ maxRejectedRatio }, /maxRejectedRatio/);
  });

  it('names the pipeline in its errors', () => {
    const base = baseDefinition();
    expectDefinitionError({ target: { ...base.target, key: ['nope'] } }, /^pipeline "test_pipeline": /);
  });
});

// --------------------------------------------------------------------- sql --

describe('ident()', () => {
  it.each(['weather', 'city_weather_daily', '_private', 'a', 'a1', 'x'.repeat(63)])('double-quotes the valid name %j', (name) => {
    expect(ident(name)).toBe(`"${name}"`);
    expect(assertIdentifier(name)).toBe(name);
  });

  it.each(['a"b', 'DROP TABLE x;', '1abc', 'x'.repeat(64), '', 'Weather', 'a-b', 'a b', 'a.b', 'é', 'a;', "a'b"])(
    'throws InvalidIdentifierError for %j',
    (name) => {
      expect(() => ident(name)).toThrow(InvalidIdentifierError);
      let err: unknown;
      try {
        ident(name, 'column');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidIdentifierError);
      expect((err as InvalidIdentifierError).identifier).toBe(name);
      expect((err as InvalidIdentifierError).name).toBe('InvalidIdentifierError');
      expect((err as Error).message).toContain('invalid column name');
    },
  );

  it('throws for a non-string', () => {
    expect(() => ident(42 as unknown as string)).toThrow(InvalidIdentifierError);
  });

  it('qualified() quotes schema and table, validating both', () => {
    expect(qualified('datapulse', 'weather_observations')).toBe('"datapulse"."weather_observations"');
    expect(() => qualified('datapulse', 'x"; DROP TABLE y; --')).toThrow(InvalidIdentifierError);
    expect(() => qualified('Data', 'ok')).toThrow(InvalidIdentifierError);
  });
});

// ------------------------------------------------------------- fingerprint --

describe('canonicalJson', () => {
  it('is independent of key order, at every depth', () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: 'z' } };
    const b = { a: { x: 'z', y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"z","y":[1,{"p":2,"q":1}]},"b":1}');
  });

  it('keeps array order and distinguishes values', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
  });

  it('drops undefined properties and serialises scalars like JSON', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(1.5)).toBe('1.5');
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('paramsHash', () => {
  it('is a stable 16-hex-digit hash', () => {
    const h = paramsHash(erased(weather));
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(paramsHash(erased(weather))).toBe(h);
  });

  it('changes when params change', () => {
    const a = definePipeline(baseDefinition());
    const b = definePipeline({ ...baseDefinition(), params: { factor: 3 } as Params });
    const c = definePipeline({ ...baseDefinition(), params: { factor: 2, extra: true } as Params });
    expect(paramsHash(a)).not.toBe(paramsHash(b));
    expect(paramsHash(a)).not.toBe(paramsHash(c));
  });

  it('does not depend on the key order of params', () => {
    const a = definePipeline({ ...baseDefinition(), params: { x: 1, y: { p: 'a', q: 'b' } } as Params });
    const b = definePipeline({ ...baseDefinition(), params: { y: { q: 'b', p: 'a' }, x: 1 } as Params });
    expect(paramsHash(a)).toBe(paramsHash(b));
  });

  it('differs between the shipped pipelines', () => {
    expect(paramsHash(erased(weather))).not.toBe(paramsHash(erased(cityWeather)));
  });
});

describe('codeVersion', () => {
  it('is stable across calls and starts with the declared version', () => {
    const v = codeVersion(erased(weather));
    expect(v).toMatch(/^v1-[0-9a-f]{12}$/);
    expect(codeVersion(erased(weather))).toBe(v);
    expect(codeVersion(erased(cityWeather))).toBe(codeVersion(erased(cityWeather)));
    expect(codeVersion(erased(cityWeather))).not.toBe(v);
  });

  it('is the same for two identical definitions', () => {
    expect(codeVersion(definePipeline(baseDefinition()))).toBe(codeVersion(definePipeline(baseDefinition())));
  });

  it('changes when only the transform changes', () => {
    const a = definePipeline({ ...baseDefinition(), transform: (row) => ({ day: row.day, value: row.value }) });
    const b = definePipeline({ ...baseDefinition(), transform: (row) => ({ day: row.day, value: (row.value as number) * 2 }) });
    expect(a.version).toBe(b.version);
    expect(codeVersion(a)).not.toBe(codeVersion(b));
    expect(codeVersion(a).startsWith('v1-')).toBe(true);
  });

  it('changes when the declared version is bumped', () => {
    const a = definePipeline(baseDefinition());
    const b = definePipeline({ ...baseDefinition(), version: 2 });
    expect(codeVersion(b)).toMatch(/^v2-/);
    expect(codeVersion(a).slice(3)).toBe(codeVersion(b).slice(3));
  });

  it('changes when the target or the schema changes', () => {
    const base = baseDefinition();
    const a = definePipeline(base);
    const t = definePipeline({ ...base, target: { ...base.target, key: ['day', 'value'] } });
    const s = definePipeline({ ...base, schema: z.object({ day: isoDate(), value: decimal().pipe(z.number().min(0)) }) });
    expect(codeVersion(t)).not.toBe(codeVersion(a));
    expect(codeVersion(s)).not.toBe(codeVersion(a));
  });

  it('does not change with params (params are fingerprinted separately)', () => {
    const a = definePipeline(baseDefinition());
    const b = definePipeline({ ...baseDefinition(), params: { factor: 99 } as Params });
    expect(codeVersion(a)).toBe(codeVersion(b));
  });
});
