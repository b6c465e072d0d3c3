/**
 * Vitest for Stryker's run over code that runs outside the test process: the worker entry
 * (in piscina's threads) and serve's call path (in the `hotworker serve` child). Stryker
 * cannot see which test covers such code, so every test here runs against every mutant:
 * only the files that exercise that code.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: [
        'test/calls.test.ts',
        'test/user-errors.test.ts',
        'test/fault-clone.test.ts',
        'test/fault-worker-exit.test.ts',
        'test/serve-http.test.ts',
        'test/serve-errors.test.ts',
      ],
      setupFiles: ['mutation/active-mutant.ts'],
      reporters: ['default'],
    },
  }),
);
