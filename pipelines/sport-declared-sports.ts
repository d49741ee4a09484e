/**
 * Sport benefits (issue 13): the sport each employee declares (CSV `declared-sports.csv`, or sheet
 * `sports` of HR's workbook), as the snapshot table `sport_declared_sports`, one row per employee.
 *
 * NOT REGISTERED YET, for the same reason as the HR directory (pipelines/sport-hr-directory.ts): a
 * snapshot needs the unpartitioned partitioning of the `derived` branch. Its definition will be
 * `definePipeline({ name: 'sport_declared_sports', partitioning: unpartitioned(), source: <csv or
 * the workbook's sheet>, schema: declaredSportSchema, transform: declaredSportTransform,
 * target: DECLARED_SPORTS_TARGET, checks: declaredSportChecks, params: {} })`.
 */
import { z } from 'zod';
import { unique, type Check } from '../core/checks';
import type { Target } from '../core/pipeline';
import { employeeId } from './sport-hr-directory';

/** One declared sport: lower-cased, as activities spell their sport. */
export const declaredSportSchema = z.object({
  employee_id: employeeId(),
  sport: z.string().trim().toLowerCase().min(1, 'empty sport').max(40),
});

export type DeclaredSportRow = z.infer<typeof declaredSportSchema>;

/** Identity: the row already has the target's shape. */
export function declaredSportTransform(row: DeclaredSportRow): Record<string, unknown> {
  return { employee_id: row.employee_id, sport: row.sport };
}

export const DECLARED_SPORTS_TARGET: Target = {
  table: 'sport_declared_sports',
  columns: { employee_id: 'text', sport: 'text' },
  key: ['employee_id'],
};

/** One declared sport per employee: a second declaration is a warning (the last one wins). */
export const declaredSportChecks: readonly Check[] = [unique(['employee_id'], { severity: 'warning' })];
