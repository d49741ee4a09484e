/**
 * Proves the two guards that keep workflow code deterministic actually bite: the lint rules reject
 * Node modules, I/O libraries, value imports of activities and clocks in workflows/, and the
 * bundler (run by CI's check) rejects a workflow that imports a Node module.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');

async function lintAsWorkflow(code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [res] = await eslint.lintText(code, { filePath: path.join(root, 'workflows', 'partition.ts') });
  return (res?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint rules for workflows/', () => {
  it.each([
    ["import { readFileSync } from 'node:fs';\nexport const x = readFileSync;", 'no-restricted-imports'],
    ["import fs from 'fs';\nexport const x = fs;", 'no-restricted-imports'],
    ["import pg from 'pg';\nexport const x = pg;", 'no-restricted-imports'],
    ["import { createActivities } from '../activities';\nexport const x = createActivities;", 'no-restricted-imports'],
    ['export const t = Date.now();', 'no-restricted-properties'],
    ['export const r = Math.random();', 'no-restricted-properties'],
    ["export const f = () => fetch('http://x');", 'no-restricted-globals'],
  ])('rejects %j', { timeout: 60_000 }, async (code, rule) => {
    const messages = await lintAsWorkflow(code);
    expect(messages.some((m) => m.startsWith(`${rule}:`))).toBe(true);
  });

  it('accepts type-only imports of activities', { timeout: 60_000 }, async () => {
    const messages = await lintAsWorkflow("import type { Activities } from '../activities';\nexport type A = Activities;\n");
    expect(messages.filter((m) => m.startsWith('no-restricted'))).toEqual([]);
  });
});

describe('workflow bundle check', () => {
  it('fails for a workflow that imports a Node module', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dp-bad-wf-'));
    const file = path.join(dir, 'index.ts');
    writeFileSync(file, "import { readFileSync } from 'node:fs';\nexport async function bad(): Promise<string> { return readFileSync('/etc/hostname', 'utf8'); }\n");
    const silent = { trace() {}, debug() {}, info() {}, log() {}, warn() {}, error() {} };
    await expect(bundleWorkflowCode({ workflowsPath: file, logger: silent })).rejects.toThrow(/Webpack finished with errors/);
  });
});
