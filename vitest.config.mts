import { defineConfig } from 'vitest/config';

/**
 * Three projects: fast unit tests (pure logic, no servers), integration tests against a real
 * Temporal dev server and a real PostgreSQL (started/located once by the global setup), and e2e
 * tests driving Debian's Chromium against the console on those same real servers.
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
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/integration/global-setup.ts'],
          // A real browser against the console on the real servers; one file at a time.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
