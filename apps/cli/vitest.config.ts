import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temporary folder of the run's own, removed afterwards: see the file.
    globalSetup: ['../../tooling/scripts/test-tmpdir.mjs'],
    testTimeout: 30_000,
  },
});
