import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration tests start real containers; running files in parallel on a 2-core
    // machine makes them slower, not faster, and makes readiness timeouts flaky.
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.baas-test-results.json' },
  },
});
