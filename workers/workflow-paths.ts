/** Where the workflow code and its interceptor modules are, for bundling and replay. */
import path from 'node:path';

export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows', 'index.ts');
/** Workflow interceptors every bundle includes (log labels). */
export const WORKFLOW_INTERCEPTORS_PATH = path.join(__dirname, '..', 'workflows', 'interceptors.ts');
/** OpenTelemetry workflow interceptors: bundled only when tracing is on (they cost worker CPU). */
export const WORKFLOW_TRACING_INTERCEPTORS_PATH = path.join(__dirname, '..', 'workflows', 'tracing-interceptors.ts');
/** The workflow interceptor modules of a worker, with or without tracing. */
export function workflowInterceptorModules(tracing: boolean): string[] {
  return tracing ? [WORKFLOW_INTERCEPTORS_PATH, WORKFLOW_TRACING_INTERCEPTORS_PATH] : [WORKFLOW_INTERCEPTORS_PATH];
}
