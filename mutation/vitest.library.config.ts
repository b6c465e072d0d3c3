/**
 * Vitest for Stryker's library run: the test files that use the library in the test process,
 * where Stryker measures which test covers which mutant. Tests still import the built output:
 * Stryker's buildCommand builds dist/ from the mutated sources in its sandbox.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../vitest.config.js';

/**
 * `MUTATION_TEST_FILES=test/map*.test.ts` (comma-separated globs) runs only those files, for a
 * run over code that nearly every test touches (a pool's standby workers, say), where coverage
 * alone would run most of the suite against each mutant. Unset, every file below runs.
 */
const only = process.env.MUTATION_TEST_FILES?.split(',')
  .map((glob) => glob.trim())
  .filter((glob) => glob !== '');

const merged = mergeConfig(
  base,
  defineConfig({
    test: {
      // The randomized interleavings run 25 scenarios per mutant: too slow here, and what they
      // check has a test of its own in the files that stay.
      exclude: [
        'test/serve-*.test.ts',
        'test/cli*.test.ts',
        'test/bench-*.test.ts',
        'test/quickstart.test.ts',
        'test/embedded.test.ts',
        'test/interleaving*.test.ts',
        // Through the serve child, a browser or Redis: no library coverage to measure here.
        'test/status-page*.test.ts',
        'test/fleet*.test.ts',
      ],
      setupFiles: ['mutation/active-mutant.ts'],
      reporters: ['default'],
    },
  }),
);

// mergeConfig() concatenates arrays: the include is set after it, so that base's own
// `test/**/*.test.ts` does not bring the whole suite back.
export default defineConfig({
  ...merged,
  test: { ...merged.test, include: only !== undefined && only.length > 0 ? only : ['test/**/*.test.ts'] },
});
