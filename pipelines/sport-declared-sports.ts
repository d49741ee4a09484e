/**
 * Sport benefits (issue 13): the sport each employee declares (`declared-sports*.csv` in the
 * pipeline's landing folder; the generator also writes it as sheet `sports` of HR's workbook), as
 * the unpartitioned snapshot table `sport_declared_sports`, one row per employee.
 */
import { z } from 'zod';
import { unique, type Check } from '../core/checks';
import { definePipeline, unpartitioned, type Target } from '../core/pipeline';
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

export const sportDeclaredSports = definePipeline({
  name: 'sport_declared_sports',
  description: 'The sport each employee declares (CSV), unpartitioned snapshot',
  version: 1,
  partitioning: unpartitioned(),
  source: { kind: 'csv-files', format: 'csv', filePattern: /^declared-sports.*\.csv$/i, requiredColumns: ['employee_id', 'sport'] },
  schema: declaredSportSchema,
  transform: declaredSportTransform,
  target: DECLARED_SPORTS_TARGET,
  checks: declaredSportChecks,
  params: {},
});
