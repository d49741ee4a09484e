/**
 * Sport benefits (issue 13): activity events — JSON lines dropped through the day — as the daily
 * table `sport_activities` (UTC days), one row per activity id (an activity dropped twice loads
 * once, the other counted as deduplicated).
 *
 * - An activity of an employee missing from the HR directory (`sport_hr_employees`) is quarantined
 *   at validate (`quarantineUnknown`, a set-based row-level reference): reason `employee_id: unknown
 *   employee_id E9999 (not in sport_hr_employees.employee_id)`. The directory must have loaded once.
 * - Each new activity enqueues one Slack post ("Bravo Léa! 10.8 km of running in 46 min") in the
 *   load's transaction (`notify`, channel `sport`, activities/notifications.ts): exactly once per
 *   activity id, history (backfills, activities older than 36 h) recorded and never posted.
 */
import { z } from 'zod';
import { references, unique, type Check } from '../core/checks';
import { daily, definePipeline, type Target } from '../core/pipeline';
import { activityMessage } from '../core/sport-benefits';
import { employeeId, HR_TARGET } from './sport-hr-directory';

/** Fastest plausible average speed per sport, km/h; other sports: {@link DEFAULT_MAX_SPEED_KMH}. */
export const MAX_SPEED_KMH: Readonly<Record<string, number>> = { running: 25, walking: 10, hiking: 10, swimming: 10, cycling: 80 };
export const DEFAULT_MAX_SPEED_KMH = 100;
/** Longest plausible activity, seconds. */
export const MAX_ELAPSED_S = 24 * 3600;

const OFFSET_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An ISO 8601 instant that states its offset (`2025-06-12T07:42:00+02:00`, `...Z`), as a Date. A
 * local time without an offset is refused (its zone would be a guess), and so is a field out of
 * range (month 13, 24:00, +15:00).
 */
export function offsetInstant() {
  return z.string().transform((s, ctx) => {
    const m = OFFSET_TIME_RE.exec(s.trim());
    const bad = (why: string) => {
      ctx.addIssue({ code: 'custom', message: `${why}: ${JSON.stringify(s).slice(0, 60)}` });
      return z.NEVER;
    };
    if (!m) return bad('expected a time with its offset, YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)');
    const [, y, mo, d, h, mi, sec] = m;
    const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0));
    const check = new Date(local);
    if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59) {
      return bad('no such time');
    }
    if (m[8] !== undefined && (Number(m[8]) > 14 || Number(m[9]) > 59)) return bad('offset out of range');
    const t = Date.parse(s.trim());
    if (Number.isNaN(t)) return bad('not a time');
    return new Date(t);
  });
}

/** One activity event as dropped (NDJSON record). */
export const activityEventSchema = z
  .object({
    activity_id: z.string().trim().min(1, 'empty activity id').max(100),
    employee_id: employeeId(),
    start_time: offsetInstant(),
    sport: z.string().trim().toLowerCase().min(1, 'empty sport').max(40),
    distance_m: z.number().int('distance in whole metres').min(0).nullish(),
    elapsed_s: z.number().int('elapsed seconds must be whole').positive('elapsed time must be positive').max(MAX_ELAPSED_S, 'more than 24 h'),
    comment: z.string().max(500).nullish(),
  })
  .superRefine((a, ctx) => {
    if (a.distance_m === null || a.distance_m === undefined) return;
    const kmh = (a.distance_m / a.elapsed_s) * 3.6;
    const max = MAX_SPEED_KMH[a.sport] ?? DEFAULT_MAX_SPEED_KMH;
    if (kmh > max) {
      ctx.addIssue({ code: 'custom', path: ['distance_m'], message: `${a.distance_m} m in ${a.elapsed_s} s is ${kmh.toFixed(1)} km/h, above the ${max} km/h a person reaches in ${a.sport}` });
    }
  });

export type ActivityEvent = z.infer<typeof activityEventSchema>;

/** From a valid event to the target's shape (the instant in UTC; absent distance and comment as null). */
export function activityTransform(a: ActivityEvent): Record<string, unknown> {
  return {
    activity_id: a.activity_id,
    employee_id: a.employee_id,
    started_at: a.start_time,
    sport: a.sport,
    distance_m: a.distance_m ?? null,
    elapsed_s: a.elapsed_s,
    comment: a.comment ?? null,
  };
}

export const ACTIVITIES_TARGET: Target = {
  table: 'sport_activities',
  columns: {
    activity_id: 'text',
    employee_id: 'text',
    started_at: 'timestamptz',
    sport: 'text',
    distance_m: 'integer',
    elapsed_s: 'integer',
    comment: 'text',
  },
  key: ['activity_id'],
};

/**
 * An activity dropped twice is expected (warning; it loads once). An employee missing from the
 * directory is reported on the partition (warning: the day still loads) and blocks the KPIs there.
 */
export const activityChecks: readonly Check[] = [
  unique(['activity_id'], { severity: 'warning' }),
  references('employee_id', { table: HR_TARGET.table, column: 'employee_id' }, { severity: 'warning' }),
];

export const sportActivities = definePipeline({
  name: 'sport_activities',
  description: 'Sport activity events (NDJSON drops), one row per activity, daily (UTC); one Slack post per new activity',
  version: 1,
  partitioning: daily('2025-01-01'),
  source: { kind: 'csv-files', format: 'ndjson', timeColumn: 'start_time', requiredColumns: [] },
  schema: activityEventSchema,
  transform: activityTransform,
  target: ACTIVITIES_TARGET,
  checks: activityChecks,
  params: {},
  schedule: { offsetMinutes: 30 },
  quarantineUnknown: [{ column: 'employee_id', table: HR_TARGET.table, refColumn: 'employee_id' }],
  notify: {
    channel: 'sport',
    key: 'activity_id',
    timeColumn: 'started_at',
    maxAgeHours: 36,
    join: { on: 'employee_id', table: HR_TARGET.table, refColumn: 'employee_id', columns: ['first_name'] },
    message: (row) =>
      activityMessage({
        firstName: typeof row.first_name === 'string' ? row.first_name : 'there',
        sport: String(row.sport),
        distanceM: typeof row.distance_m === 'number' ? row.distance_m : null,
        elapsedS: Number(row.elapsed_s),
      }),
  },
});
