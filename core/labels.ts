/**
 * Pipeline and partition of a workflow or activity input, for log lines and span attributes. Pure:
 * used by the workflow interceptors (in the sandbox) and the activity interceptors alike.
 */

export interface PartitionLabels {
  pipeline?: string;
  partition?: string;
}

export function labelsOf(arg: unknown): PartitionLabels {
  if (typeof arg !== 'object' || arg === null) return {};
  const { pipeline, partition } = arg as Record<string, unknown>;
  return {
    ...(typeof pipeline === 'string' ? { pipeline } : {}),
    ...(typeof partition === 'string' ? { partition } : {}),
  };
}
