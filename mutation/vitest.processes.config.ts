/**
 * Vitest for Stryker's run over code that runs outside the test process: the worker entry
 * (in piscina's threads) and serve's call path (in the `hotworker serve` child). Stryker
 * cannot see which test covers such code, so every test here runs against every mutant:
 * only the files that exercise that code, in one group per mutated file.
 *
 * `MUTATION_TESTS=serve-call` (a comma-separated list of group names) runs only those groups,
 * for a run over one file (`--mutate src/serve/call.ts`): a run takes mutants × the time of
 * the tests, and the other groups cannot kill that file's mutants. Unset, all groups run.
 */
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.js';

const groups: Record<string, readonly string[]> = {
  /** workers/dispatch.ts */
  worker: [
    'test/calls.test.ts',
    'test/user-errors.test.ts',
    'test/fault-clone.test.ts',
    'test/fault-worker-exit.test.ts',
    'test/serve-http.test.ts',
    'test/serve-errors.test.ts',
    'test/serve-worker-death.test.ts',
    // The rest of the worker entry: CommonJS modules, hooks, callbacks, streams, results
    // that cannot be cloned, a replacement worker that cannot load, map() chunks.
    'test/commonjs-modules.test.ts',
    'test/hooks-lifecycle.test.ts',
    'test/hooks-state.test.ts',
    'test/callbacks.test.ts',
    'test/streams.test.ts',
    'test/fault-clone-hostile.test.ts',
    'test/fault-replacement-load.test.ts',
    'test/map.test.ts',
    // The count of tasks begun that the exit report carries (src/exit-settle.ts reads it).
    'test/exit-settle.test.ts',
  ],
  /** src/serve/call.ts: the tests that send calls to serve, in a child or in this process (~35 s). */
  'serve-call': [
    'test/serve-http.test.ts',
    'test/serve-errors.test.ts',
    'test/serve-error-paths.test.ts',
    'test/serve-worker-death.test.ts',
    'test/serve-shutdown.test.ts',
    'test/serve-abandoned-calls.test.ts',
    'test/serve-call-metrics.test.ts',
    'test/serve-map.test.ts',
    'test/serve-stream.test.ts',
    'test/serve-deep-body.test.ts',
    'test/serve-body-arrival.test.ts',
    // In-process, written for this file's survivors.
    'test/serve-call-error-bodies.test.ts',
    'test/serve-call-counting.test.ts',
    'test/serve-call-lost-export.test.ts',
    'test/serve-call-version-header.test.ts',
    'test/serve-client-leaves-mid-body.test.ts',
    'test/serve-call-client-gone-before-start.test.ts',
  ],
  /** src/serve/failure.ts: upgrade failures as the log, the admin routes and the CLI show them. */
  'serve-failure': [
    'test/serve-failure-summary.test.ts',
    'test/serve-admin.test.ts',
    'test/serve-watch.test.ts',
    'test/cli-advice.test.ts',
  ],
};

function selected(names: string | undefined): string[] {
  const wanted = names === undefined || names === '' ? Object.keys(groups) : names.split(',').map((name) => name.trim());
  const files = wanted.map((name) => {
    const group = groups[name];
    if (group === undefined) {
      throw new Error(`Expected \`MUTATION_TESTS\` to list groups of ${Object.keys(groups).join(', ')}, got \`${name}\``);
    }
    return group;
  });
  return [...new Set(files.flat())];
}

// Spread, not mergeConfig(): mergeConfig concatenates arrays, and base's `test/**/*.test.ts`
// would bring the whole suite back for every mutant.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: selected(process.env.MUTATION_TESTS),
    setupFiles: ['mutation/active-mutant.ts', 'mutation/no-coverage.ts'],
    reporters: ['default'],
  },
});
