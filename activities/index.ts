/** Every activity the worker hosts. Workflows import only the *type* of this module. */
import { createPartitionActivities, type ActivityDeps } from './partition-activities';

export type { ActivityDeps } from './partition-activities';

export function createActivities(deps: ActivityDeps) {
  return { ...createPartitionActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
