/**
 * Setup file for mutation runs only. Stryker switches a mutant on through a global in the test
 * process; the worker threads piscina starts and the CLI processes the tests spawn have globals
 * of their own. Stryker's instrumented code also reads the active mutant from this environment
 * variable, and workers and child processes inherit the environment when they start, so the
 * mutant reaches every copy of the code a test runs.
 */
import { beforeAll, inject } from 'vitest';

const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';

beforeAll(() => {
  // biome-ignore lint/suspicious/noExplicitAny: Stryker's provide() keys are not declared to vitest
  const read = inject as (key: string) => any;
  if (read('mode') === 'mutant') process.env[ACTIVE_MUTANT] = String(read('activeMutant'));
  else delete process.env[ACTIVE_MUTANT];
});
