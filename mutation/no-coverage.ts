/**
 * Setup file for the processes run only (coverageAnalysis 'off'). The test process loads a
 * few instrumented files itself (test/support/serve.ts imports the server), so Stryker's
 * vitest runner reports coverage from the dry run even with coverage off, and every mutant
 * that only runs in a worker thread or the serve child is then marked "no coverage" without
 * being tested. Dropping that report makes Stryker run every test against every mutant.
 * Vitest runs afterAll hooks in reverse: this one runs before Stryker's own, which reads it.
 */
import { afterAll, inject } from 'vitest';

afterAll(() => {
  // biome-ignore lint/suspicious/noExplicitAny: Stryker's provide() keys are not declared to vitest
  const read = inject as (key: string) => any;
  if (read('mode') !== 'dry-run') return;
  const namespace = (globalThis as Record<string, { mutantCoverage?: unknown } | undefined>)[read('globalNamespace')];
  if (namespace !== undefined) delete namespace.mutantCoverage;
});
