/** Entry point bundled by the worker: every workflow type DataPulse registers. */
export { partitionWorkflow } from './partition';
export { scheduledPartitionWorkflow } from './scheduled';
export { backfillWorkflow } from './backfill';
export { notificationsWorkflow } from './notifications';
