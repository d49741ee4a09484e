/** Entry point bundled by the worker: every workflow type DataPulse registers. */
export { partitionWorkflow } from './partition';
export { scheduledPartitionWorkflow } from './scheduled';
export { backfillWorkflow } from './backfill';
export { automationWorkflow } from './automation';
export { fileSensorWorkflow } from './sensor';
export { notificationsWorkflow } from './notifications';
