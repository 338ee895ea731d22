import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests next to the code, and integration tests under
// test/ that start real containers (serialised: one Docker engine, 2 cores).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['system/**/*.test.ts', 'cli/**/*.test.ts', 'reports/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.itest.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
        },
      },
    ],
  },
});
