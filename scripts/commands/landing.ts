/**
 * Fills the city_weather landing folder from the real `weather.csv` of the npm package
 * vega-datasets (Seattle and New York, 2012–2015), split into one drop per year as a CSV export
 * job would deliver them. Idempotent: files are rewritten with the same bytes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function vegaWeatherCsvPath(): string {
  // The package's exports map exposes only its JS entry; the data files sit beside it.
  return path.join(path.dirname(require.resolve('vega-datasets')), '..', 'data', 'weather.csv');
}

export function fillCityWeatherLanding(landingDir: string): { folder: string; files: string[]; rows: number } {
  const folder = path.join(landingDir, 'city_weather');
  mkdirSync(folder, { recursive: true });
  const [header, ...lines] = readFileSync(vegaWeatherCsvPath(), 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const byYear = new Map<string, string[]>();
  for (const line of lines) {
    const year = /,(\d{4})-\d{2}-\d{2},/.exec(line)?.[1] ?? 'unknown';
    const list = byYear.get(year) ?? [];
    list.push(line);
    byYear.set(year, list);
  }
  const files: string[] = [];
  for (const [year, rows] of [...byYear.entries()].sort()) {
    const name = `weather-${year}.csv`;
    writeFileSync(path.join(folder, name), `${header}\n${rows.join('\n')}\n`);
    files.push(name);
  }
  return { folder, files, rows: lines.length };
}
