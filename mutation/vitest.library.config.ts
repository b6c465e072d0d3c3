/**
 * Vitest for Stryker's library run: the test files that use the library in the test process,
 * where Stryker measures which test covers which mutant. Tests still import the built output:
 * Stryker's buildCommand builds dist/ from the mutated sources in its sandbox.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      // The randomized interleavings run 25 scenarios per mutant: too slow here, and what they
      // check has a test of its own in the files that stay.
      exclude: [
        'test/serve-*.test.ts',
        'test/cli*.test.ts',
        'test/bench-*.test.ts',
        'test/quickstart.test.ts',
        'test/embedded.test.ts',
        'test/interleaving*.test.ts',
      ],
      setupFiles: ['mutation/active-mutant.ts'],
      reporters: ['default'],
    },
  }),
);
