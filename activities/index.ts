/** Every activity the worker hosts. Workflows import only the *type* of this module. */
import { createAlertActivities, type AlertActivityDeps } from './alert-activities';
import { createAutomationActivities } from './automation-activities';
import { createBackfillActivities, type BackfillActivityDeps } from './backfill-activities';
import { createNotificationActivities } from './notifications';
import { createPartitionActivities, type ActivityDeps } from './partition-activities';
import { classifyingDataErrors } from './db-errors';
import { createSensorActivities } from './sensor-activities';

export type { ActivityDeps } from './partition-activities';

export function createActivities(deps: ActivityDeps & BackfillActivityDeps & AlertActivityDeps) {
  const partition = createPartitionActivities(deps);
  // PostgreSQL data errors (SQLSTATE 22/23) in a step fail it at once instead of being retried.
  const ingest = classifyingDataErrors('ingest', partition.ingest);
  const validate = classifyingDataErrors('validate', partition.validate);
  const transform = classifyingDataErrors('transform', partition.transform);
  const load = classifyingDataErrors('load', partition.load);
  return { ...partition, ingest, validate, transform, load, ...createBackfillActivities(deps), ...createAlertActivities(deps), ...createAutomationActivities(deps), ...createSensorActivities(deps), ...createNotificationActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
