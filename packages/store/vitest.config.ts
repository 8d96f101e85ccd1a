import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // First: a temporary folder of the run's own, removed afterwards (see the file).
    globalSetup: ['../../tooling/scripts/test-tmpdir.mjs', 'test/setup/build-once.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
