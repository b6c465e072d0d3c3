/**
 * Vitest for Stryker's run over code that runs outside the test process: the worker entry
 * (in piscina's threads) and serve's call path (in the `hotworker serve` child). Stryker
 * cannot see which test covers such code, so every test here runs against every mutant:
 * only the files that exercise that code.
 */
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.js';

// Spread, not mergeConfig(): mergeConfig concatenates arrays, and base's `test/**/*.test.ts`
// would bring the whole suite back for every mutant.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/calls.test.ts',
      'test/user-errors.test.ts',
      'test/fault-clone.test.ts',
      'test/fault-worker-exit.test.ts',
      'test/serve-http.test.ts',
      'test/serve-errors.test.ts',
      'test/serve-worker-death.test.ts',
      // The rest of the worker entry: CommonJS modules, hooks, callbacks, streams, results
      // that cannot be cloned, a replacement worker that cannot load.
      'test/commonjs-modules.test.ts',
      'test/hooks-lifecycle.test.ts',
      'test/hooks-state.test.ts',
      'test/callbacks.test.ts',
      'test/streams.test.ts',
      'test/fault-clone-hostile.test.ts',
      'test/fault-replacement-load.test.ts',
    ],
    setupFiles: ['mutation/active-mutant.ts', 'mutation/no-coverage.ts'],
    reporters: ['default'],
  },
});
