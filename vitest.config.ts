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
    // Each file starts worker pools of its own; on 2 cores, running files one at a time keeps
    // load timeouts and drain timings meaningful.
    fileParallelism: false,
  },
});
