/**
 * Starts one real Temporal dev server (in memory, headless, DataPulse's search attributes) for the
 * whole integration run, locates PostgreSQL, and bundles the workflows once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { freePort, resolveDatabase, startDevServer, type DevServer } from '../../infra/dev-stack';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../workers/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    workflowBundlePath: string;
  }
}

let server: DevServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const db = await resolveDatabase({ allowEmbedded: true });
  let address = process.env.DATAPULSE_TEST_TEMPORAL_ADDRESS;
  if (!address) {
    server = await startDevServer({ port: await freePort(), headless: true });
    address = server.address;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'datapulse-bundle-'));
  const bundle = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', address);
  project.provide('databaseUrl', db.url);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server?.stop();
    await db.stop();
  };
}
