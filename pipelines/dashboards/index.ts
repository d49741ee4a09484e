/** Every KPI dashboard the console serves, in menu order. Business pipelines add theirs here. */
import type { Dashboard } from '../../core/dashboard';
import { freelanceFinance, freelanceLive, freelanceResources } from './freelance';
import { sportBenefits } from './sport';
import { rainfallMonthly, weatherDaily, weatherHourly } from './weather';

export const dashboards: readonly Dashboard[] = [weatherHourly, weatherDaily, rainfallMonthly, freelanceFinance, freelanceResources, freelanceLive, sportBenefits];
