/**
 * Bundles the workflows and their interceptor modules exactly as the worker does. The type checker
 * does not catch a stray Node import in workflow code; the bundler does. Run by CI (`npm run check:bundle`).
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_OPTIONS, WORKFLOWS_PATH } from '../workers/worker';

async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    ...WORKFLOW_BUNDLE_OPTIONS,
    logger: { trace() {}, debug() {}, info() {}, log() {}, warn: (m) => console.warn(m), error: (m) => console.error(m) },
  });
  process.stdout.write(`workflow bundle OK: ${(code.length / 1024).toFixed(0)} KiB in ${Date.now() - started} ms (${WORKFLOWS_PATH})\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`workflow bundle FAILED: ${err.message}\n`);
  process.exit(1);
});
