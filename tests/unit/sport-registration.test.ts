/**
 * The registered sport-benefit pipelines and what a rule change means, without a database: the
 * definitions (snapshot, untimed sources, row references, notify), params overrides (names and
 * types checked, hashes moved exactly where params changed), the lineage params version that keys
 * materialization history, the notification message of a loaded row, and DATAPULSE_PARAMS parsing.
 */
import { describe, expect, it } from 'vitest';
import { createRegistry, ParamOverrideError, withParamOverrides } from '../../core/registry';
import { definePipeline, PipelineDefinitionError, daily } from '../../core/pipeline';
import { ConfigError, paramOverridesFromEnv } from '../../infra/config';
import { lineageParamsVersion, paramsHash } from '../../infra/fingerprint';
import { definitions, registry } from '../../pipelines';
import { sportActivities } from '../../pipelines/sport-activities';
import { hrDirectoryPipeline, sportHrDirectory } from '../../pipelines/sport-hr-directory';
import { sportDeclaredSports } from '../../pipelines/sport-declared-sports';
import { SPORT_RULE_PARAMS, sportRules } from '../../pipelines/sport-employee-monthly';
import { DEFAULT_SPORT_PARAMS } from '../../core/sport-benefits';
import { filePattern } from '../../activities/sources/landing-files';
import { z } from 'zod';

describe('registered sport pipelines', () => {
  it('are in the registry in dependency order: sources, then employee, team and company months', () => {
    const order = registry.order.filter((n) => n.startsWith('sport_'));
    expect(order.indexOf('sport_hr_directory')).toBeLessThan(order.indexOf('sport_employee_monthly'));
    expect(order.indexOf('sport_activities')).toBeLessThan(order.indexOf('sport_employee_monthly'));
    expect(order.indexOf('sport_employee_monthly')).toBeLessThan(order.indexOf('sport_team_monthly'));
    expect(order.indexOf('sport_team_monthly')).toBeLessThan(order.indexOf('sport_company_monthly'));
  });

  it('the HR directory reads the workbook (or, as a variant, the CSV) as one snapshot without a time column', () => {
    expect(sportHrDirectory.partitioning.granularity).toBe('static');
    const src = sportHrDirectory.source;
    if (src.kind !== 'csv-files') throw new Error('file source expected');
    expect(src).toMatchObject({ format: 'xlsx', sheet: 'employees' });
    expect(src.timeColumn).toBeUndefined();
    expect(filePattern(src).test('employees.xlsx') && !filePattern(src).test('employees.csv')).toBe(true);
    const csv = hrDirectoryPipeline('csv').source;
    if (csv.kind !== 'csv-files') throw new Error('file source expected');
    expect(filePattern(csv).test('employees.csv') && !filePattern(csv).test('employees.xlsx')).toBe(true);
    expect(sportDeclaredSports.partitioning.granularity).toBe('static');
  });

  it('a time column may be left out only by an unpartitioned pipeline', () => {
    expect(() =>
      definePipeline({
        name: 'x',
        description: '',
        version: 1,
        partitioning: daily('2025-01-01'),
        source: { kind: 'csv-files', requiredColumns: [] },
        schema: z.object({ a: z.string() }),
        transform: (r) => r,
        target: { table: 'x', columns: { a: 'text' }, key: ['a'] },
        params: {},
      }),
    ).toThrow(PipelineDefinitionError);
  });

  it('activities quarantine unknown employees and post once per activity id, with the first name from HR', () => {
    expect(sportActivities.quarantineUnknown).toEqual([{ column: 'employee_id', table: 'sport_hr_employees', refColumn: 'employee_id' }]);
    const n = sportActivities.notify!;
    expect(n).toMatchObject({ channel: 'sport', key: 'activity_id', timeColumn: 'started_at', maxAgeHours: 36 });
    expect(n.message({ activity_id: 'A', first_name: 'Léa', sport: 'running', distance_m: 10_800, elapsed_s: 2760 })).toBe('Bravo Léa! 10.8 km of running in 46 min');
    expect(n.message({ activity_id: 'B', first_name: 'Hugo', sport: 'yoga', distance_m: null, elapsed_s: 3600 })).toBe('Bravo Hugo! 1 h 00 of yoga');
  });

  it('the rule params are the defaults of core/sport-benefits.ts', () => {
    expect(sportRules(SPORT_RULE_PARAMS)).toEqual(DEFAULT_SPORT_PARAMS);
  });
});

describe('params overrides (a rule change without a code change)', () => {
  const changed = createRegistry(withParamOverrides(definitions, { sport_employee_monthly: { bonus_rate: '0.04' } }));

  it('move the params hash of the pipeline changed only, and the lineage version of it and everything downstream', () => {
    for (const def of registry.pipelines) {
      const same = paramsHash(def) === paramsHash(changed.get(def.name));
      expect(same, def.name).toBe(def.name !== 'sport_employee_monthly');
      const lineageSame = lineageParamsVersion(registry, def.name) === lineageParamsVersion(changed, def.name);
      expect(lineageSame, def.name).toBe(!['sport_employee_monthly', 'sport_team_monthly', 'sport_company_monthly'].includes(def.name));
    }
    expect(changed.get('sport_employee_monthly').params.bonus_rate).toBe('0.04');
  });

  it('refuse an unknown pipeline, an unknown param, or a value of another type', () => {
    expect(() => withParamOverrides(definitions, { sport_employe_monthly: { bonus_rate: '0.04' } })).toThrow(ParamOverrideError);
    expect(() => withParamOverrides(definitions, { sport_employee_monthly: { bonus: '0.04' } })).toThrow(/no param "bonus"/);
    expect(() => withParamOverrides(definitions, { sport_employee_monthly: { bonus_rate: 0.04 } })).toThrow(/not a string/);
  });

  it('are read from DATAPULSE_PARAMS as JSON, and malformed JSON is a configuration error', () => {
    expect(paramOverridesFromEnv({})).toEqual({});
    expect(paramOverridesFromEnv({ DATAPULSE_PARAMS: '{"sport_employee_monthly":{"wellness_min_activities":12}}' })).toEqual({ sport_employee_monthly: { wellness_min_activities: 12 } });
    expect(() => paramOverridesFromEnv({ DATAPULSE_PARAMS: '{bonus: 4}' })).toThrow(ConfigError);
    expect(() => paramOverridesFromEnv({ DATAPULSE_PARAMS: '{"a": 1}' })).toThrow(ConfigError);
  });
});
