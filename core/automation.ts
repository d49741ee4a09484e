/** Names shared by the automation workflow and the activity that signals it (pure). */

/** One upstream partition that just loaded. */
export interface UpstreamLoad {
  readonly upstream: string;
  readonly key: string;
}

/** Id of the automation workflow of a downstream pipeline: `automation/weather_daily`. */
export function automationWorkflowId(pipeline: string): string {
  return `automation/${pipeline}`;
}

/** Signal the automation workflow listens to; its one argument is an UpstreamLoad. */
export const UPSTREAM_LOADED_SIGNAL = 'upstreamLoaded';
