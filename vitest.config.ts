import { defineConfig } from 'vitest/config';

// Tests that load the machine on purpose (a flood at thousands of datagrams
// per second, calls at 100 and 200 calls/s) run after every other file, one
// at a time: run beside a cluster test on 2 cores they starve its node processes,
// whose "news within 100 ms" and shared-figure checks then fail for a reason
// that is not theirs.
const LOAD_TESTS = ['test/robustness/flood.test.ts', 'test/e2e/trunk-source-limit.test.ts', 'test/e2e/tx-limit-reclaim.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // 2-core machines: keep parallel integration tests from starving each other.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['libs/**/*.test.ts', 'services/**/*.test.ts', 'test/**/*.test.ts'], exclude: ['**/node_modules/**', ...LOAD_TESTS] },
      },
      {
        extends: true,
        test: { name: 'load', include: LOAD_TESTS, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
