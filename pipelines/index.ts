/** The registry: every pipeline DataPulse knows. Adding a pipeline = one file + one line here. */
import { createRegistry } from '../core/registry';
import { cityWeather } from './city-weather';
import { cityWeatherMonthly } from './city-weather-monthly';
import { freelanceInvoices } from './freelance-invoices';
import { freelanceRevenue, freelancers, freelanceSkillSupply } from './freelance-indicators';
import { freelanceProfiles } from './freelance-profiles';
import { freelanceReceivables } from './freelance-receivables';
import { weather } from './weather';
import { weatherDaily } from './weather-daily';

export const registry = createRegistry([weather, cityWeather, weatherDaily, cityWeatherMonthly, freelanceInvoices, freelanceProfiles, freelancers, freelanceRevenue, freelanceSkillSupply, freelanceReceivables]);
