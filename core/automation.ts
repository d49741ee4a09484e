/** Names shared by the automation workflow and the activity that signals it (pure). */

/** One upstream partition that just loaded. */
export interface UpstreamLoad {
  readonly upstream: string;
  readonly key: string;
}

/**
 * Id of the automation workflow of a downstream pipeline on a task queue:
 * `automation/datapulse/weather_daily`. The task queue is part of it because the workflow must run
 * where the registry that knows the pipeline runs: two deployments sharing a namespace (or two test
 * workers) must not signal each other's automation.
 */
export function automationWorkflowId(pipeline: string, taskQueue: string): string {
  return `automation/${taskQueue}/${pipeline}`;
}

/** Signal the automation workflow listens to; its one argument is an UpstreamLoad. */
export const UPSTREAM_LOADED_SIGNAL = 'upstreamLoaded';
