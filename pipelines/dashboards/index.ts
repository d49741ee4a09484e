/** Every KPI dashboard the console serves, in menu order. Business pipelines add theirs here. */
import type { Dashboard } from '../../core/dashboard';
import { sportBenefits } from './sport';
import { rainfallMonthly, weatherDaily, weatherHourly } from './weather';

export const dashboards: readonly Dashboard[] = [weatherHourly, weatherDaily, rainfallMonthly, sportBenefits];
