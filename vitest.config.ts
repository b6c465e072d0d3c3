import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests import 'hotworker' like a user would, and get the built output (npm test builds first).
    alias: [
      { find: /^hotworker\/fleet$/, replacement: fileURLToPath(new URL('./dist/src/fleet/index.js', import.meta.url)) },
      { find: /^hotworker$/, replacement: fileURLToPath(new URL('./dist/src/index.js', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two files at a time. Most of a file's time is waiting on thread boots, builds and child
    // processes, so two overlap well on 2 cores: 160-170 s against 260 s one at a time, and the
    // suite stayed green with one and with two busy loops beside it (210 s and 270 s). More than
    // two would put load timeouts under contention this machine was never measured at.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
