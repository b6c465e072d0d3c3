/**
 * `npm run bench [-- --quick] [-- --only 1,4] [-- --write-results]`
 *
 * Runs every scenario file `bench/NN-*.js` in a process of its own, prints one table per
 * scenario, then writes `bench/results/<date>.json` and renders the charts as SVG beside it.
 * `--write-results` also writes bench/RESULTS.md, bench/RESULTS.json and bench/charts/*.svg
 * (the committed report); `--rewrite-results` only re-renders RESULTS.md from RESULTS.json.
 * `--quick` runs every scenario with fewer and shorter runs (a smoke test of the bench, under a
 * minute in all) and refuses to write the committed report. Targets are printed as met / not
 * met and never fail the run; a scenario failure (e.g. a failed call while upgrading) does:
 * the exit code is then 1.
 */
import { execFileSync, fork } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSvg } from './lib/chart.js';
import { targetLine } from './lib/format.js';
import { writeResultsMarkdown } from './lib/report.js';
import { formatResult } from './lib/scenario.js';
import { summarize } from './lib/stats.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const writeResults = args.includes('--write-results');
const only = parseOnly(args);

if (quick && (writeResults || args.includes('--rewrite-results'))) {
  // The committed report holds full runs only: a quick run is a smoke test of the bench.
  console.error('--quick never writes bench/RESULTS.*: run `npm run bench -- --write-results` without --quick for the committed report');
  process.exit(2);
}

if (args.includes('--rewrite-results')) {
  // Re-renders RESULTS.md from RESULTS.json (after a change to the report's layout), no run.
  const report = JSON.parse(readFileSync(join(benchDir, 'RESULTS.json'), 'utf8'));
  const charts = report.results.flatMap((result) => (result.charts ?? []).map((chart) => ({ ...chart, scenario: result.id })));
  writeResultsMarkdown(join(benchDir, 'RESULTS.md'), report, charts);
  console.log('rewrote bench/RESULTS.md from bench/RESULTS.json');
  process.exit(0);
}

const started = new Date();
const machine = describeMachine();
const files = readdirSync(benchDir)
  .filter((name) => /^\d\d-.+\.js$/.test(name))
  .filter((name) => only === undefined || only.has(Number(name.slice(0, 2))))
  .sort();
console.error(
  `hotworker bench${quick ? ' --quick' : ''}: ${files.length} scenarios on ${machine.cpu} × ${machine.cores}, Node ${machine.node}, load ${machine.loadBefore.join(' ')}`,
);

// Other tenants' load colours every figure: sample the 1-minute load average while we run.
const loadSamples = [];
const loadSampler = setInterval(() => loadSamples.push(loadavg()[0]), 5_000);
const results = [];
for (const [i, file] of files.entries()) {
  console.error(`\n[${i + 1}/${files.length}] ${file}`);
  const scenarioStarted = performance.now();
  const result = await runScenario(file);
  results.push(result);
  console.log(formatResult(result));
  // Wall time of the scenario's process, its start included: what a --quick budget is made of.
  console.error(`  ${file} took ${((performance.now() - scenarioStarted) / 1000).toFixed(1)} s`);
}
clearInterval(loadSampler);
machine.loadAfter = loadavg().map((load) => load.toFixed(2));
machine.loadDuring = loadSamples.length > 0 ? { ...summarize(loadSamples), samples: loadSamples.length } : undefined;
const durationS = (Date.now() - started.getTime()) / 1000;

const targets = results.flatMap((result) => result.targets.map((target) => ({ scenario: result.id, ...target })));
const failures = results.flatMap((result) => result.failures.map((failure) => `${result.id} ${result.title}: ${failure}`));
console.log(`\nTargets: ${targets.filter((t) => t.met).length} of ${targets.length} met`);
for (const target of targets) console.log(`  ${target.scenario}  ${targetLine(target)}`);
for (const failure of failures) console.log(`\nFAILED ${failure}`);

const stamp = started
  .toISOString()
  .replace(/:/g, '-')
  .replace(/\.\d+Z$/, 'Z');
const resultsDir = join(benchDir, 'results');
mkdirSync(resultsDir, { recursive: true });
const report = { startedAt: started.toISOString(), durationS, quick, machine, results };
const jsonFile = join(resultsDir, `${stamp}.json`);
writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
const charts = [];
for (const result of results) {
  for (const chart of result.charts ?? []) {
    const file = join(resultsDir, `${stamp}-${chart.name}.svg`);
    try {
      writeFileSync(file, await renderSvg(chart.spec));
      charts.push({ ...chart, file, scenario: result.id });
    } catch (error) {
      console.error(`chart ${chart.name} failed to render:`, error);
    }
  }
}
console.log(`\nwrote ${relative(jsonFile)}${charts.map((c) => `, ${relative(c.file)}`).join('')} in ${durationS.toFixed(0)} s`);

if (writeResults) {
  mkdirSync(join(benchDir, 'charts'), { recursive: true });
  for (const chart of charts) copyFileSync(chart.file, join(benchDir, 'charts', `${chart.name}.svg`));
  writeFileSync(join(benchDir, 'RESULTS.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeResultsMarkdown(join(benchDir, 'RESULTS.md'), report, charts);
  console.log('wrote bench/RESULTS.md, bench/RESULTS.json and bench/charts/');
}
process.exitCode = failures.length > 0 ? 1 : 0;

/** Forks one scenario; a crash or a missing result becomes a failure of that scenario. */
function runScenario(file) {
  return new Promise((resolve) => {
    const child = fork(join(benchDir, file), quick ? ['--quick'] : [], { execArgv: ['--expose-gc'] });
    let result;
    // The longest scenario (1) takes ~5 minutes in a full run; one still running after 10 hangs.
    const limitS = quick ? 120 : 600;
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitS * 1000);
    child.on('message', (message) => {
      if (message?.type === 'result') result = message.result;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      if (result !== undefined) return resolve(result);
      resolve({
        id: file.slice(0, 2),
        title: file,
        quick,
        tables: [],
        targets: [],
        charts: [],
        failures: [
          timedOut
            ? `the scenario was still running after ${limitS} s and was killed`
            : `the scenario process exited (${signal ?? `code ${code}`}) without a result`,
        ],
      });
    });
  });
}

function describeMachine() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: benchDir, encoding: 'utf8' }).trim();
    if (
      execFileSync('git', ['status', '--porcelain', '--', '../src', '../workers', '.'], { cwd: benchDir, encoding: 'utf8' }).trim() !== ''
    ) {
      commit += ' + uncommitted changes';
    }
  } catch {}
  return {
    cpu: `${cpus()[0]?.model ?? 'unknown CPU'}${cpuFamily()}`,
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    os: `${process.platform} ${release()}`,
    commit,
    loadBefore: loadavg().map((load) => load.toFixed(2)),
  };
}

/** ` (family 25, model 17)` from /proc/cpuinfo, where the model name alone says little. */
function cpuFamily() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const family = /^cpu family\s*:\s*(\d+)/m.exec(info)?.[1];
    const model = /^model\s*:\s*(\d+)/m.exec(info)?.[1];
    return family && model ? ` (family ${family}, model ${model})` : '';
  } catch {
    return '';
  }
}

function parseOnly(argv) {
  const at = argv.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (at === -1) return undefined;
  const value = argv[at].includes('=') ? argv[at].split('=')[1] : argv[at + 1];
  return new Set(String(value).split(',').map(Number));
}

function relative(file) {
  return file.startsWith(benchDir) ? `bench/${file.slice(benchDir.length)}` : file;
}
