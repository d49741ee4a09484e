/**
 * Child-process entry that bundles the workflow code (webpack) into the file named by argv[2] and
 * exits. The worker bundles in a child so that webpack's few hundred MB of heap never become part
 * of the long-running worker's resident memory.
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH, workflowInterceptorModules } from './workflow-paths';

async function main(): Promise<void> {
  const [out, tracing] = process.argv.slice(2);
  if (!out) throw new Error('usage: bundle-workflows <output file> [tracing]');
  const silent = { trace() {}, debug() {}, info() {}, log() {}, warn: (m: string) => process.stderr.write(`${m}\n`), error: (m: string) => process.stderr.write(`${m}\n`) };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: workflowInterceptorModules(tracing === 'tracing'), logger: silent });
  writeFileSync(out, code);
}

main().catch((err: Error) => {
  process.stderr.write(`bundling the workflows failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
