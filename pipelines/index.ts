/** The registry: every pipeline DataPulse knows. Adding a pipeline = one file + one line here. */
import { createRegistry } from '../core/registry';
import { cityWeather } from './city-weather';
import { freelanceInvoices } from './freelance-invoices';
import { weather } from './weather';

export const registry = createRegistry([weather, cityWeather, freelanceInvoices]);
