/** Every activity the worker hosts. Workflows import only the *type* of this module. */
import { createAlertActivities, type AlertActivityDeps } from './alert-activities';
import { createBackfillActivities, type BackfillActivityDeps } from './backfill-activities';
import { createNotificationActivities } from './notifications';
import { createPartitionActivities, type ActivityDeps } from './partition-activities';

export type { ActivityDeps } from './partition-activities';

export function createActivities(deps: ActivityDeps & BackfillActivityDeps & AlertActivityDeps) {
  return { ...createPartitionActivities(deps), ...createBackfillActivities(deps), ...createAlertActivities(deps), ...createNotificationActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
