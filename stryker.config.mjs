// Mutation testing of the code that carries hotworker's guarantees: `npm run mutate`.
// Not part of `npm test` (it takes tens of minutes on 2 cores). Stryker mutates the
// TypeScript sources in a sandbox, then `buildCommand` builds dist/ from them once (every
// mutant is compiled in, switched on at run time), and the tests run against that dist/ as
// they always do. See mutation/ for the vitest configs and README "Mutation testing".
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'mutation/vitest.library.config.ts', related: false },
  mutate: ['src/hot-module.ts', 'src/generation.ts', 'src/faults.ts', 'src/exit-settle.ts'],
  buildCommand: 'npm run build',
  // The instrumented sources do not type-check; the build must still emit them.
  disableTypeChecks: '{src,workers}/**/*.ts',
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental-library.json',
  ignorePatterns: ['bench/results', 'bench/charts', 'reports', '.hotworker', 'coverage'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation-library.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
