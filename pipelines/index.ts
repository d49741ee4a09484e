/** The registry: every pipeline DataPulse knows. Adding a pipeline = one file + one line here. */
import { createRegistry, withParamOverrides } from '../core/registry';
import { paramOverridesFromEnv } from '../infra/config';
import { cityWeather } from './city-weather';
import { cityWeatherMonthly } from './city-weather-monthly';
import { freelanceInvoices } from './freelance-invoices';
import { freelanceRevenue, freelancers, freelanceSkillSupply } from './freelance-indicators';
import { freelanceProfiles } from './freelance-profiles';
import { freelanceReceivables } from './freelance-receivables';
import { weather } from './weather';
import { weatherDaily } from './weather-daily';
import { sportActivities } from './sport-activities';
import { sportCompanyMonthly } from './sport-company-monthly';
import { sportDeclaredSports } from './sport-declared-sports';
import { sportEmployeeMonthly } from './sport-employee-monthly';
import { sportHrDirectory } from './sport-hr-directory';
import { sportTeamMonthly } from './sport-team-monthly';

/** Every pipeline, before params overrides. */
export const definitions = [
  weather, cityWeather, weatherDaily, cityWeatherMonthly,
  freelanceInvoices, freelanceProfiles, freelancers, freelanceRevenue, freelanceSkillSupply, freelanceReceivables,
  sportHrDirectory, sportDeclaredSports, sportActivities, sportEmployeeMonthly, sportTeamMonthly, sportCompanyMonthly,
];

/** The registry, with the params overrides of `DATAPULSE_PARAMS` applied (README "Sport benefits": a rule change). */
export const registry = createRegistry(withParamOverrides(definitions, paramOverridesFromEnv()));
