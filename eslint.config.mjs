// @ts-check
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'coverage/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    // Workflow code is bundled into Temporal's deterministic sandbox: no Node modules, no I/O
    // libraries, no value imports of activities (types only), no clocks or randomness.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Node modules are not allowed in workflow code (non-deterministic sandbox).' })),
            ...['pg', 'pg-copy-streams', 'pino', 'csv-parse', 'zod', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'].map((name) => ({
              name,
              message: 'Side-effecting or non-workflow libraries are not allowed in workflow code.',
            })),
          ],
          patterns: [
            { group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'Import only activity *types* into workflows.' },
            { group: ['../infra', '../infra/*', '../ops', '../ops/*', '../pipelines', '../pipelines/*'], message: 'Workflows must not import I/O modules, operator tools or pipeline definitions.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow in a loop.' },
        { name: 'fetch', message: 'No I/O in workflows: call an activity.' },
        { name: 'process', message: 'No process access in workflows.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use workflowInfo() or the SDK-replaced Date inside workflows only via Temporal APIs.' },
        { object: 'Math', property: 'random', message: 'Use uuid4() or the SDK-replaced Math.random deliberately; prefer deterministic ids.' },
      ],
    },
  },
);
