/** Every activity the worker hosts. Workflows import only the *type* of this module. */
import { createBackfillActivities, type BackfillActivityDeps } from './backfill-activities';
import { createPartitionActivities, type ActivityDeps } from './partition-activities';

export type { ActivityDeps } from './partition-activities';

export function createActivities(deps: ActivityDeps & BackfillActivityDeps) {
  return { ...createPartitionActivities(deps), ...createBackfillActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
