/**
 * The frame every scenario file runs in. A scenario is one file, `bench/NN-name.js`, whose
 * `run(context)` returns its result:
 *
 *   { params, tables: [{ title, columns, rows, notes }], targets: [{ name, figure, goal, met }],
 *     failures: string[], charts: [{ name, title, spec }], data, skipped?: string }
 *
 * `bench/run.js` forks each file in a process of its own (so one scenario's threads, heap and
 * RSS never colour another's) and collects the result over IPC. Run alone,
 * `node bench/01-call-overhead.js --quick`, a scenario prints its own tables.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targetLine, textTable } from './format.js';

/** Flags every scenario understands: `--quick` (under a minute for the whole suite). */
export function parseFlags(argv = process.argv.slice(2)) {
  return { quick: argv.includes('--quick') };
}

/**
 * Declares a scenario; runs it when its file is the process's entry point.
 * @param url the scenario file's `import.meta.url`
 */
export function defineScenario(url, scenario) {
  if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(url)) {
    // After the rest of the file has been evaluated: constants below the call are ready.
    setImmediate(() =>
      main(scenario).catch((error) => {
        console.error(error);
        process.exit(1);
      }),
    );
  }
  return scenario;
}

async function main(scenario) {
  const flags = parseFlags();
  const cleanups = [];
  const context = {
    ...flags,
    /** A scratch directory, removed when the scenario ends. */
    scratch(prefix = 'hotworker-bench-') {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    /** Registers cleanup to run when the scenario ends, last registered first. */
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
  const started = performance.now();
  let result;
  try {
    result = await scenario.run(context);
  } finally {
    while (cleanups.length > 0) await cleanups.pop()();
  }
  const full = {
    id: scenario.id,
    title: scenario.title,
    quick: flags.quick,
    durationMs: performance.now() - started,
    params: {},
    tables: [],
    targets: [],
    failures: [],
    charts: [],
    data: {},
    ...result,
  };
  if (process.send) {
    // Forked by bench/run.js: hand the result over, then exit even if some library left a
    // handle open (that would be a finding of its own, but must not hang the suite).
    process.send({ type: 'result', result: full }, () => process.exit(0));
  } else {
    console.log(formatResult(full));
    process.exit(full.failures.length > 0 ? 1 : 0);
  }
}

/** A scenario's result as terminal text: its tables, targets and failures. */
export function formatResult(result) {
  const out = [`\n${result.id} ${result.title}${result.quick ? ' (quick)' : ''}`];
  if (result.skipped) {
    out.push(`  SKIPPED: ${result.skipped}`);
    return out.join('\n');
  }
  for (const table of result.tables) out.push(textTable(table), '');
  for (const target of result.targets) out.push(`  ${targetLine(target)}`);
  for (const failure of result.failures) out.push(`  FAILED: ${failure}`);
  return out.join('\n');
}
