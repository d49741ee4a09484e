/**
 * The import-direction check (scripts/check-layers.ts) passes on the tree and refuses each kind of
 * import that points up ARCHITECTURE.md's list: a deliberate violation of every rule must be caught.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTree, importsOf, layerViolations } from '../../scripts/check-layers';

const root = path.join(__dirname, '..', '..');

describe('import layers', () => {
  it('the tree has no import pointing up the list', () => {
    expect(checkTree(root)).toEqual([]);
  });

  it.each([
    ['core/partition.ts', "import { createPool } from '../infra/db';", /core\/ may not import from infra\//],
    ['core/partition.ts', "import { readFileSync } from 'node:fs';", /no Node modules/],
    ['core/partition.ts', "import pg from 'pg';", /core\/ may import only/],
    ['infra/db.ts', "import { statusMap } from '../ops/status';", /infra\/ may not import from ops\//],
    ['activities/partition-activities.ts', "import { planRange } from '../ops/plan-range';", /activities\/ may not import from ops\//],
    ['activities/target.ts', "export { startPartition } from '../ops/partition-runs';", /activities\/ may not import from ops\//],
    ['pipelines/weather.ts', "import { createActivities } from '../activities';", /pipelines\/ may not import from activities\//],
    ['workflows/partition.ts', "import { createPool } from '../infra/db';", /workflows\/ imports only core\//],
    ['workflows/partition.ts', "import { createActivities } from '../activities';", /activity types/],
    ['workflows/partition.ts', "const m = require('../pipelines');", /workflows\/ imports only core\//],
    ['ops/status.ts', "const s = await import('../scripts/cli');", /ops\/ may not import from scripts\//],
    ['workers/worker.ts', "import { x } from '../tests/integration/harness';", /outside the layered folders/],
  ])('refuses %s importing %j', (file, code, reason) => {
    const violations = layerViolations([{ path: file, text: code }]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.reason).toMatch(reason);
    expect(violations[0]!.file).toBe(file);
  });

  it('accepts imports that point down, type imports of activities into workflows, and core packages', () => {
    const files = [
      { path: 'workflows/partition.ts', text: "import type { Activities } from '../activities';\nimport { type X } from '../activities/types';\nimport { keyAt } from '../core/partition';" },
      { path: 'ops/status.ts', text: "import { createPool } from '../infra/db';\nimport type { partitionWorkflow } from '../workflows/partition';" },
      { path: 'scripts/cli.ts', text: "import { statusMap } from '../ops/status';\nconst t = require('../infra/telemetry');" },
      { path: 'core/schema-helpers.ts', text: "import { z } from 'zod';\nimport { assertIdentifier } from './sql';" },
      { path: 'tests/unit/x.test.ts', text: "import { x } from '../../scripts/cli';" },
    ];
    expect(layerViolations(files)).toEqual([]);
  });

  it('finds a violation written into a real tree on disk', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dp-layers-'));
    mkdirSync(path.join(dir, 'core'));
    mkdirSync(path.join(dir, 'ops'));
    writeFileSync(path.join(dir, 'ops', 'status.ts'), 'export const s = 1;\n');
    writeFileSync(path.join(dir, 'core', 'plan.ts'), "// a pure module that reaches up\n\nimport { s } from '../ops/status';\nexport const p = s;\n");
    expect(checkTree(dir)).toEqual([expect.objectContaining({ file: 'core/plan.ts', line: 3, specifier: '../ops/status' })]);
  });

  it('reads every import form', () => {
    const refs = importsOf(
      'x.ts',
      "import a from 'a';\nimport type { B } from 'b';\nexport * from 'c';\ntype D = import('d').D;\nconst e = require('e');\nconst f = import('f');\nimport { type G } from 'g';",
    );
    expect(refs.map((r) => [r.specifier, r.typeOnly])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
      ['d', true],
      ['e', false],
      ['f', false],
      ['g', true],
    ]);
  });
});
