import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration tests start real containers; running files in parallel on a 2-core
    // machine makes them slower, not faster, and makes readiness timeouts flaky.
    fileParallelism: false,
    // A larger young generation: ranking every advise case allocates many short-lived objects,
    // and with V8's default the eval test spends some 40% of its time collecting them
    // (bench/eval-advisor.mjs runs with the same flag; see the README's eval paragraph).
    execArgv: ['--max-semi-space-size=64'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.baas-test-results.json' },
  },
});
