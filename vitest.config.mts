import { defineConfig } from 'vitest/config';

/**
 * Two projects: fast unit tests (pure logic, no servers) and integration tests against a real
 * Temporal dev server and a real PostgreSQL (started/located once by the global setup).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/integration/global-setup.ts'],
          // One file at a time: each starts its own worker, and the machine has two cores.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
