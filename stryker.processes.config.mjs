// The second half of `npm run mutate`: code that runs outside the test process, in piscina's
// worker threads (workers/dispatch.ts) and in the `hotworker serve` child (its call path).
// Stryker cannot trace coverage there, so each mutant runs the few test files that exercise it
// (mutation/vitest.processes.config.ts); the active mutant reaches those threads and processes
// through the environment (mutation/active-mutant.ts).
import library from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...library,
  vitest: { configFile: 'mutation/vitest.processes.config.ts', related: false },
  mutate: ['workers/dispatch.ts', 'src/serve/call.ts', 'src/serve/failure.ts'],
  coverageAnalysis: 'off',
  // Without coverage Stryker cannot tell which mutants a changed test touches: an incremental
  // run reused every earlier result after new tests were added. Always run them all.
  incremental: false,
  jsonReporter: { fileName: 'reports/mutation-processes.json' },
};
