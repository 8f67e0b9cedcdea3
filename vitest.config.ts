import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native and end-to-end tests share 2 cores; keep file parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The skip summary prints every skipped test's reason once at the end (test/helpers/privileges.ts).
    reporters: ['default', './test/helpers/skip-summary-reporter.ts'],
  },
});
