import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BAD_VALUES,
  generateObservation,
  startWeatherApi,
  type WeatherApiFault,
  type WeatherApiServer,
} from '../../infra/fixtures/weather-api';

const ALL_VARS = 'temperature_2m,precipitation,wind_speed_10m,relative_humidity_2m';

interface Forecast {
  latitude: number;
  longitude: number;
  generationtime_ms: number;
  utc_offset_seconds: number;
  timezone: string;
  timezone_abbreviation: string;
  elevation: number;
  hourly_units?: Record<string, string>;
  hourly?: Record<string, unknown[]> & { time: string[] };
}

function forecastUrl(base: string, params: Record<string, string>): string {
  return `${base}/v1/forecast?${new URLSearchParams(params).toString()}`;
}

const BERLIN_3H = {
  latitude: '52.52',
  longitude: '13.41',
  hourly: ALL_VARS,
  start_hour: '2024-05-01T13:00',
  end_hour: '2024-05-01T15:00',
} as const;

function isOneDecimal(x: number): boolean {
  return Math.abs(Math.round(x * 10) - x * 10) < 1e-9;
}

describe('generateObservation', () => {
  it('is deterministic', () => {
    const a = generateObservation(52.52, 13.41, '2024-05-01T13:00');
    const b = generateObservation(52.52, 13.41, '2024-05-01T13:00');
    expect(a).toEqual(b);
    expect(generateObservation(52.52, 13.41, '2024-05-01T13')).toEqual(a);
    expect(generateObservation(52.52, 13.41, '2024-05-01T13:59')).toEqual(a); // floored to the hour
    expect(generateObservation(-33.87, 151.21, '2024-05-01T13:00')).not.toEqual(a);
  });

  it('produces plausible, rounded values over a month in several places', () => {
    for (const [lat, lon] of [
      [52.52, 13.41],
      [0, 0],
      [-33.87, 151.21],
      [78, 15],
      [-90, -180],
    ] as const) {
      let wetHours = 0;
      let hours = 0;
      for (let day = 1; day <= 31; day++) {
        for (let hour = 0; hour < 24; hour++) {
          const iso = `2024-01-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00`;
          const o = generateObservation(lat, lon, iso);
          hours++;
          if (o.precipitation > 0) wetHours++;
          expect(o.temperature_2m).toBeGreaterThan(-60);
          expect(o.temperature_2m).toBeLessThan(50);
          expect(o.precipitation).toBeGreaterThanOrEqual(0);
          expect(o.precipitation).toBeLessThanOrEqual(25);
          expect(o.wind_speed_10m).toBeGreaterThanOrEqual(0);
          expect(o.wind_speed_10m).toBeLessThanOrEqual(60);
          expect(o.relative_humidity_2m).toBeGreaterThanOrEqual(20);
          expect(o.relative_humidity_2m).toBeLessThanOrEqual(100);
          expect(Number.isInteger(o.relative_humidity_2m)).toBe(true);
          for (const v of [o.temperature_2m, o.precipitation, o.wind_speed_10m]) expect(isOneDecimal(v)).toBe(true);
        }
      }
      expect(wetHours).toBeGreaterThan(0); // occasional showers...
      expect(wetHours / hours).toBeLessThan(0.4); // ...but mostly dry
    }
  });

  it('is warmer in summer than in winter, and at the equator than near the pole', () => {
    const mean = (lat: number, lon: number, month: string) => {
      let sum = 0;
      for (let day = 1; day <= 28; day++) {
        for (let hour = 0; hour < 24; hour += 3) {
          const iso = `2024-${month}-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00`;
          sum += generateObservation(lat, lon, iso).temperature_2m;
        }
      }
      return sum / (28 * 8);
    };
    expect(mean(52.52, 13.41, '07')).toBeGreaterThan(mean(52.52, 13.41, '01') + 8);
    expect(mean(-33.87, 151.21, '01')).toBeGreaterThan(mean(-33.87, 151.21, '07') + 5);
    expect(mean(0, 0, '01')).toBeGreaterThan(mean(70, 0, '01') + 20);
  });

  it('rejects invalid input', () => {
    expect(() => generateObservation(52, 13, '2024-02-30T00:00')).toThrow(RangeError);
    expect(() => generateObservation(52, 13, '2024-05-01')).toThrow(RangeError);
    expect(() => generateObservation(52, 13, '2024-05-01T24:00')).toThrow(RangeError);
    expect(() => generateObservation(91, 13, '2024-05-01T00:00')).toThrow(RangeError);
    expect(() => generateObservation(52, Number.NaN, '2024-05-01T00:00')).toThrow(RangeError);
  });
});

describe('weather api server', () => {
  let api: WeatherApiServer;

  beforeAll(async () => {
    api = await startWeatherApi({ port: 0 });
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(() => {
    api.clearFaults();
  });

  const get = (params: Record<string, string>, init?: RequestInit) => fetch(forecastUrl(api.url, params), init);

  it('listens on a random local port', () => {
    expect(api.port).toBeGreaterThan(0);
    expect(api.url).toBe(`http://127.0.0.1:${api.port}`);
  });

  it('answers /health and 404s elsewhere', async () => {
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    const missing = await fetch(`${api.url}/v1/archive`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: true, reason: 'Not Found' });
  });

  describe('/v1/forecast', () => {
    it('returns the Open-Meteo shape for an hour window (both ends inclusive)', async () => {
      const res = await get(BERLIN_3H);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as Forecast;
      expect(body).toMatchObject({
        latitude: 52.52,
        longitude: 13.41,
        utc_offset_seconds: 0,
        timezone: 'GMT',
        timezone_abbreviation: 'GMT',
      });
      expect(typeof body.generationtime_ms).toBe('number');
      expect(typeof body.elevation).toBe('number');
      expect(body.hourly_units).toEqual({
        time: 'iso8601',
        temperature_2m: '°C',
        precipitation: 'mm',
        wind_speed_10m: 'km/h',
        relative_humidity_2m: '%',
      });
      expect(body.hourly?.time).toEqual(['2024-05-01T13:00', '2024-05-01T14:00', '2024-05-01T15:00']);
      body.hourly?.time.forEach((time, i) => {
        const o = generateObservation(52.52, 13.41, time);
        expect(body.hourly?.temperature_2m?.[i]).toBe(o.temperature_2m);
        expect(body.hourly?.precipitation?.[i]).toBe(o.precipitation);
        expect(body.hourly?.wind_speed_10m?.[i]).toBe(o.wind_speed_10m);
        expect(body.hourly?.relative_humidity_2m?.[i]).toBe(o.relative_humidity_2m);
      });
    });

    it('is byte-for-byte deterministic', async () => {
      const a = await (await get(BERLIN_3H)).text();
      const b = await (await get(BERLIN_3H)).text();
      expect(a).toBe(b);
    });

    it('returns only the requested variables', async () => {
      const res = await get({ ...BERLIN_3H, hourly: 'wind_speed_10m' });
      const body = (await res.json()) as Forecast;
      expect(Object.keys(body.hourly ?? {})).toEqual(['time', 'wind_speed_10m']);
      expect(Object.keys(body.hourly_units ?? {})).toEqual(['time', 'wind_speed_10m']);
    });

    it('accepts repeated and duplicated hourly parameters', async () => {
      const url = `${forecastUrl(api.url, { ...BERLIN_3H, hourly: 'precipitation,temperature_2m' })}&hourly=precipitation`;
      const body = (await (await fetch(url)).json()) as Forecast;
      expect(Object.keys(body.hourly ?? {})).toEqual(['time', 'precipitation', 'temperature_2m']);
    });

    it('covers all 24 hours of each day for a date window', async () => {
      const res = await get({
        latitude: '10',
        longitude: '-20',
        hourly: 'temperature_2m',
        start_date: '2024-02-28',
        end_date: '2024-03-01', // leap year: 3 days
        timezone: 'UTC',
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Forecast;
      const time = body.hourly?.time ?? [];
      expect(time).toHaveLength(72);
      expect(time[0]).toBe('2024-02-28T00:00');
      expect(time[24]).toBe('2024-02-29T00:00');
      expect(time[71]).toBe('2024-03-01T23:00');
    });

    it('agrees between a day window and the equivalent hour window', async () => {
      const base = { latitude: '-12.5', longitude: '130.8', hourly: ALL_VARS };
      const byDay = (await (await get({ ...base, start_date: '2024-05-01', end_date: '2024-05-01' })).json()) as Forecast;
      const byHour = (await (
        await get({ ...base, start_hour: '2024-05-01T00:00', end_hour: '2024-05-01T23:00', timezone: 'GMT' })
      ).json()) as Forecast;
      expect(byHour).toEqual(byDay);
    });

    it('accepts a single hour and a 31-day window', async () => {
      const one = (await (
        await get({ ...BERLIN_3H, start_hour: '2024-05-01T13:00', end_hour: '2024-05-01T13:00' })
      ).json()) as Forecast;
      expect(one.hourly?.time).toEqual(['2024-05-01T13:00']);
      const month = await get({ latitude: '52.52', longitude: '13.41', hourly: ALL_VARS, start_date: '2024-01-01', end_date: '2024-01-31' });
      expect(month.status).toBe(200);
      expect(((await month.json()) as Forecast).hourly?.time).toHaveLength(744);
    });

    it('omits the hourly block when no variable is requested', async () => {
      const body = (await (
        await get({ latitude: '1', longitude: '2', start_date: '2024-05-01', end_date: '2024-05-01' })
      ).json()) as Forecast;
      expect(body.hourly).toBeUndefined();
      expect(body.hourly_units).toBeUndefined();
      expect(body.latitude).toBe(1);
    });

    const window = { start_date: '2024-05-01', end_date: '2024-05-02' };
    const badRequests: Array<[string, Record<string, string>, RegExp]> = [
      ['missing latitude', { longitude: '13', ...window }, /latitude/],
      ['missing longitude', { latitude: '52', ...window }, /longitude/],
      ['non-numeric latitude', { latitude: 'north', longitude: '13', ...window }, /latitude/],
      ['latitude out of range', { latitude: '90.5', longitude: '13', ...window }, /Latitude must be in range/],
      ['longitude out of range', { latitude: '52', longitude: '-181', ...window }, /Longitude must be in range/],
      ['unknown hourly variable', { latitude: '52', longitude: '13', hourly: 'temperature_2m,snow', ...window }, /snow/],
      ['unsupported timezone', { latitude: '52', longitude: '13', timezone: 'Europe/Berlin', ...window }, /timezone/],
      ['no window', { latitude: '52', longitude: '13' }, /window/],
      ['only start_date', { latitude: '52', longitude: '13', start_date: '2024-05-01' }, /end_date/],
      ['only end_hour', { latitude: '52', longitude: '13', end_hour: '2024-05-01T00:00' }, /start_hour/],
      [
        'both kinds of window',
        { latitude: '52', longitude: '13', ...window, start_hour: '2024-05-01T00:00', end_hour: '2024-05-01T01:00' },
        /mutually exclusive/,
      ],
      ['bad date format', { latitude: '52', longitude: '13', start_date: '2024/05/01', end_date: '2024-05-02' }, /start_date/],
      ['non-existent date', { latitude: '52', longitude: '13', start_date: '2023-02-29', end_date: '2023-03-01' }, /start_date/],
      [
        'date given as start_hour',
        { latitude: '52', longitude: '13', start_hour: '2024-05-01', end_hour: '2024-05-01T03:00' },
        /start_hour/,
      ],
      ['end before start', { latitude: '52', longitude: '13', start_date: '2024-05-02', end_date: '2024-05-01' }, /before/],
      ['window over 31 days', { latitude: '52', longitude: '13', start_date: '2024-01-01', end_date: '2024-02-01' }, /31 days/],
      [
        'hour window over 31 days',
        { latitude: '52', longitude: '13', start_hour: '2024-01-01T00:00', end_hour: '2024-02-01T00:00' },
        /31 days/,
      ],
    ];
    it.each(badRequests)('400 on %s', async (_name, params, reason) => {
      const res = await get(params);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: boolean; reason: string };
      expect(body.error).toBe(true);
      expect(body.reason).toMatch(reason);
    });

    it('405 on other methods', async () => {
      const res = await fetch(forecastUrl(api.url, BERLIN_3H), { method: 'POST' });
      expect(res.status).toBe(405);
    });
  });

  describe('faults', () => {
    it('status: answers the injected status', async () => {
      api.setFaults([{ kind: 'status', status: 503 }]);
      const res = await get(BERLIN_3H);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: true, reason: 'injected' });
    });

    it('rate-limit: 429 with Retry-After', async () => {
      api.setFaults([{ kind: 'rate-limit', retryAfterSeconds: 7 }]);
      const res = await get(BERLIN_3H);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(((await res.json()) as { error: boolean }).error).toBe(true);
    });

    it('malformed: 200 JSON content type, unparseable body', async () => {
      api.setFaults([{ kind: 'malformed' }]);
      const res = await get(BERLIN_3H);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      await expect(res.json()).rejects.toThrow(SyntaxError);
    });

    it('truncated: 200 with the first half of the normal body', async () => {
      const normal = await (await get(BERLIN_3H)).text();
      api.setFaults([{ kind: 'truncated' }]);
      const res = await get(BERLIN_3H);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text.length).toBeGreaterThan(0);
      expect(text.length).toBeLessThan(normal.length);
      expect(normal.startsWith(text)).toBe(true);
      expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    });

    it('slow: the normal answer after the delay', async () => {
      const normal = await (await get(BERLIN_3H)).text();
      api.setFaults([{ kind: 'slow', delayMs: 300 }]);
      const started = performance.now();
      const res = await get(BERLIN_3H);
      const text = await res.text();
      expect(performance.now() - started).toBeGreaterThanOrEqual(280);
      expect(res.status).toBe(200);
      expect(text).toBe(normal);
    });

    it('hang: never answers; the client times out', async () => {
      api.setFaults([{ kind: 'hang', times: 1 }]);
      const started = performance.now();
      const err = await get(BERLIN_3H, { signal: AbortSignal.timeout(250) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DOMException);
      expect((err as DOMException).name).toBe('TimeoutError');
      expect(performance.now() - started).toBeGreaterThanOrEqual(200);
      // The fault is consumed; the server still answers.
      expect((await get(BERLIN_3H)).status).toBe(200);
    });

    it('bad-values: valid shape, documented values broken', async () => {
      const normal = (await (await get({ ...BERLIN_3H, end_hour: '2024-05-01T18:00' })).json()) as Forecast;
      api.setFaults([{ kind: 'bad-values' }]);
      const res = await get({ ...BERLIN_3H, end_hour: '2024-05-01T18:00' });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Forecast;
      const hourly = body.hourly ?? { time: [] };
      expect(hourly.time).toEqual(normal.hourly?.time);
      expect(hourly.temperature_2m?.[0]).toBeNull();
      expect(hourly.wind_speed_10m?.[1]).toBe(-5);
      expect(hourly.precipitation?.[2]).toBe('n/a');
      expect(hourly.relative_humidity_2m?.[3]).toBe(150);
      expect(BAD_VALUES.temperature_2m).toEqual({ index: 0, value: null });
      // Everything else is untouched.
      let differences = 0;
      for (const name of Object.keys(hourly)) {
        hourly[name]?.forEach((v, i) => {
          if (v !== normal.hourly?.[name]?.[i]) differences++;
        });
      }
      expect(differences).toBe(4);
    });

    it('bad-values: only breaks indices that exist', async () => {
      api.setFaults([{ kind: 'bad-values' }]);
      const body = (await (
        await get({ ...BERLIN_3H, end_hour: '2024-05-01T13:00' })
      ).json()) as Forecast;
      expect(body.hourly?.temperature_2m).toEqual([null]);
      expect(body.hourly?.wind_speed_10m).toHaveLength(1);
      expect(body.hourly?.wind_speed_10m?.[0]).not.toBe(-5);
    });

    it('applies to every request when times is omitted, until cleared', async () => {
      api.setFaults([{ kind: 'status', status: 500 }]);
      for (let i = 0; i < 3; i++) expect((await get(BERLIN_3H)).status).toBe(500);
      api.clearFaults();
      expect((await get(BERLIN_3H)).status).toBe(200);
    });

    it('consumes faults in order, each `times` times', async () => {
      api.setFaults([
        { kind: 'status', status: 500, times: 2 },
        { kind: 'rate-limit', retryAfterSeconds: 1, times: 1 },
        { kind: 'status', status: 502, times: 1 },
      ]);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await get(BERLIN_3H)).status);
      expect(statuses).toEqual([500, 500, 429, 502, 200]);
    });

    it('restricts a fault to one latitude', async () => {
      api.setFaults([{ kind: 'status', status: 503, latitude: 10.5, times: 1 }]);
      const other = await get({ ...BERLIN_3H, latitude: '20' });
      expect(other.status).toBe(200);
      const matching = await get({ ...BERLIN_3H, latitude: '10.50' });
      expect(matching.status).toBe(503);
      expect((await get({ ...BERLIN_3H, latitude: '10.5' })).status).toBe(200);
    });

    it('does not fault /health', async () => {
      api.setFaults([{ kind: 'hang' }]);
      expect((await fetch(`${api.url}/health`, { signal: AbortSignal.timeout(1000) })).status).toBe(200);
    });

    it('rejects invalid faults', () => {
      expect(() => api.setFaults([{ kind: 'explode' } as unknown as WeatherApiFault])).toThrow(TypeError);
      expect(() => api.setFaults([{ kind: 'status', status: 42 }])).toThrow(TypeError);
      expect(() => api.setFaults([{ kind: 'slow', delayMs: -1 }])).toThrow(TypeError);
      expect(() => api.setFaults([{ kind: 'hang', times: 0 }])).toThrow(TypeError);
    });
  });

  describe('control endpoints', () => {
    it('sets, lists and clears faults over HTTP', async () => {
      const faults: WeatherApiFault[] = [
        { kind: 'status', status: 503, times: 1 },
        { kind: 'rate-limit', retryAfterSeconds: 2 },
      ];
      const post = await fetch(`${api.url}/__control/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
      expect(post.status).toBe(200);
      expect(await post.json()).toEqual({ ok: true, faults: 2 });

      expect((await get(BERLIN_3H)).status).toBe(503);
      expect(await (await fetch(`${api.url}/__control/faults`)).json()).toEqual([
        { kind: 'rate-limit', retryAfterSeconds: 2 },
      ]);
      expect((await get(BERLIN_3H)).status).toBe(429);

      const del = await fetch(`${api.url}/__control/faults`, { method: 'DELETE' });
      expect(del.status).toBe(200);
      expect((await get(BERLIN_3H)).status).toBe(200);
      expect(await (await fetch(`${api.url}/__control/faults`)).json()).toEqual([]);
    });

    it('400s on an invalid fault list and keeps the old one', async () => {
      api.setFaults([{ kind: 'status', status: 500 }]);
      const post = (body: string) => fetch(`${api.url}/__control/faults`, { method: 'POST', body });
      for (const body of ['not json', '{"kind":"hang"}', '[{"kind":"nope"}]', '[{"kind":"rate-limit"}]']) {
        const res = await post(body);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: boolean }).error).toBe(true);
      }
      expect((await get(BERLIN_3H)).status).toBe(500);
    });
  });
});

describe('stats', () => {
  it('counts requests, faults and paths, but not control requests', async () => {
    const api = await startWeatherApi();
    try {
      expect(api.stats()).toEqual({ requests: 0, faultsServed: 0, byPath: {} });
      await fetch(`${api.url}/health`);
      await fetch(forecastUrl(api.url, BERLIN_3H));
      api.setFaults([{ kind: 'status', status: 500, times: 1 }]);
      await fetch(forecastUrl(api.url, BERLIN_3H));
      await fetch(forecastUrl(api.url, { latitude: 'x' })); // a 400 still counts as a request
      await fetch(`${api.url}/nope`);
      const expected = {
        requests: 5,
        faultsServed: 1,
        byPath: { '/health': 1, '/v1/forecast': 3, '/nope': 1 },
      };
      expect(api.stats()).toEqual(expected);
      const overHttp = await fetch(`${api.url}/__control/stats`);
      expect(overHttp.status).toBe(200);
      expect(await overHttp.json()).toEqual(expected);
      expect(api.stats()).toEqual(expected); // control requests are not counted
    } finally {
      await api.close();
    }
  });

  it('returns a snapshot, not a live object', async () => {
    const api = await startWeatherApi();
    try {
      const before = api.stats();
      await fetch(`${api.url}/health`);
      expect(before.requests).toBe(0);
      expect(before.byPath).toEqual({});
    } finally {
      await api.close();
    }
  });
});

describe('close', () => {
  it('closes promptly even with a hanging and a slow request in flight', async () => {
    const api = await startWeatherApi();
    api.setFaults([
      { kind: 'hang', times: 1 },
      { kind: 'slow', delayMs: 60_000, times: 1 },
    ]);
    const hanging = fetch(forecastUrl(api.url, BERLIN_3H)).then(
      () => 'answered',
      () => 'failed',
    );
    const slow = fetch(forecastUrl(api.url, BERLIN_3H)).then(
      () => 'answered',
      () => 'failed',
    );
    // Wait until both requests have reached the server.
    for (let i = 0; i < 100 && api.stats().requests < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(api.stats().faultsServed).toBe(2);

    const started = performance.now();
    await api.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hanging).toBe('failed');
    expect(await slow).toBe('failed');
    await expect(fetch(`${api.url}/health`)).rejects.toThrow();
    await api.close(); // idempotent
  });

  it('closes with idle keep-alive connections open', async () => {
    const api = await startWeatherApi();
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
    const started = performance.now();
    await api.close();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
