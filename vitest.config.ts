import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native and end-to-end tests share 2 cores; keep file parallelism modest. `npm test` runs the
    // timing-sensitive files (the qemu guest's link self-test under TCG, the strict no-drop 360p
    // run) after the rest, one at a time, so a heavy neighbour (Chromium, ffmpeg endpoints) does
    // not decide them.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The skip summary prints every skipped test's reason once at the end (test/helpers/privileges.ts).
    reporters: ['default', './test/helpers/skip-summary-reporter.ts'],
  },
});
