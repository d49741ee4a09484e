/**
 * Proves the CLI's contract on bad input: one clear line on stderr and a non-zero exit, before any
 * server is contacted.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.join(__dirname, '..', '..', 'bin', 'datapulse.cjs');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('datapulse CLI', () => {
  it('prints help with every command', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    for (const c of ['dev', 'demo', 'worker', 'run', 'pipelines']) expect(r.stdout).toContain(c);
  });

  it('rejects an unknown pipeline, naming the known ones', () => {
    const r = cli('run', 'nope', '2024-05-01T13');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('datapulse: unknown pipeline "nope" (known: weather, city_weather, weather_daily, city_weather_monthly, freelance_invoices, freelance_profiles, freelancers, freelance_revenue, freelance_skill_supply, freelance_receivables, sport_hr_directory, sport_declared_sports, sport_activities, sport_employee_monthly, sport_team_monthly, sport_company_monthly)');
  });

  it('rejects a malformed partition key for the pipeline granularity', () => {
    const r = cli('run', 'weather', '2024-05-01');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^datapulse: invalid hourly partition key "2024-05-01": expected YYYY-MM-DDTHH/);
    const d = cli('run', 'city_weather', '2024-02-30');
    expect(d.code).toBe(1);
    expect(d.stderr).toContain('day 30 does not exist in 2024-02');
  });

  it('says what to start when Temporal is unreachable', () => {
    const r = cli('run', 'weather', '2024-05-01T13');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
    expect(r.stderr).toContain('npx datapulse dev');
  });

  it('offers backfill --only-missing and refuses it with another mode flag', () => {
    expect(cli('backfill', '--help').stdout).toContain('--only-missing');
    const r = cli('backfill', 'weather', '--from', '2024-05-01T00', '--to', '2024-05-01T06', '--only-failed', '--only-missing');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('datapulse: --only-failed and --only-missing cannot be combined: pick one');
  });

  it('rejects a missing argument with usage', () => {
    const r = cli('run', 'weather');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("missing required argument 'partition'");
  });
});
