/**
 * 1. Call overhead: a trivial function, sequential awaited calls, on 1 and 2 threads.
 *
 * On this kind of machine (a 2-vCPU VM) one call's latency is mostly the cost of waking the
 * other thread, and that depends several-fold on where the OS placed it: the caller's CPU or
 * the other one. Three passes:
 *
 * - Unpinned, each contender alone in the process, as a service runs its one pool: every run
 *   opens, warms, times and closes each contender in turn (a new order each run), and the
 *   figure is the median of the runs. Not side by side: with several pools open, where the OS
 *   puts each pool's worker depends on the order they were warmed in, not on the pool (see
 *   {@link measureAlone}).
 * - Every thread on one CPU, where each wake is a context switch and the software's own cost
 *   weighs most (the fairest view of hotworker's overhead), and the caller on one CPU with every
 *   worker on the other, where each wake crosses CPUs (lib/placement.js). With placement fixed,
 *   the contenders run side by side, alternating in blocks of 50 calls (lib/interleave.js), so
 *   that a burst of load from another process falls on all of them alike; every run opens fresh
 *   pools.
 */
import { ratioBars } from './lib/chart.js';
import {
  closeAll,
  direct,
  hotworkerApi,
  hotworkerCall,
  hotworkerSync,
  messagePort,
  openAll,
  piscina,
  piscinaAtomics,
  threaded,
} from './lib/contenders.js';
import { ratio, spread } from './lib/format.js';
import { interleavedRuns, shuffled } from './lib/interleave.js';
import { addPlacedPasses, PLACEMENTS, placementOf, placeThreads } from './lib/placement.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';

const TARGET = 1.1;
/** Against piscina with its defaults, what a user would otherwise pick (issue 9). */
const TARGET_DEFAULTS = 1.05;

export default defineScenario(import.meta.url, {
  id: '01',
  title: 'Call overhead: sequential awaited calls of a trivial function',
  async run({ quick, scratch }) {
    const placement = placementOf();
    const params = {
      runs: quick ? 1 : 15,
      // Blocks of calls per contender and run. Alone, a contender's run has no others' blocks to
      // share the moment's load with, and another tenant's burst spans several blocks: longer
      // runs average more of them out.
      rounds: quick ? 3 : placement ? 24 : 60,
      callsPerBlock: 50,
      /** Per thread: every run opens fresh pools, whose threads start with cold code (see warmUp). */
      warmupCallsPerThread: quick ? 300 : 5_000,
      threads: placement ? [1] : [1, 2],
    };
    // The module option atomics: 'sync' too, against piscina's defaults (the same wait).
    const contenders = [direct, ...threaded, hotworkerSync];
    const progress = new Progress(
      placement ? `call overhead, ${PLACEMENTS[placement]}` : 'call overhead, each contender alone',
      // Side by side, a tick per round of all contenders; alone, a tick per contender measured.
      params.threads.length * params.runs * (placement ? params.rounds : contenders.length),
    );
    const result = { params, tables: [], targets: [], charts: [], data: { perCall: {}, chartRows: [] } };
    const hung = new Set();
    for (const threads of params.threads) {
      const group = placement
        ? `${threads} thread, ${PLACEMENTS[placement]}`
        : `${threads} thread${threads > 1 ? 's' : ''}, unpinned, each pool alone in the process`;
      const measure = placement === undefined ? measureAlone : measureSideBySide;
      const totals = await measure(contenders, threads, params, { dir: scratch(), progress, hung });
      report(result, contenders, totals, group, params);
    }
    progress.done();
    if (hung.size > 0) result.tables.at(-1).notes = [`close() never settled for: ${[...hung].join(', ')} (left behind)`];
    if (!placement) {
      await addPlacedPasses(result, import.meta.url, {
        quick,
        mergeData(data) {
          result.data.perCall = { ...result.data.perCall, ...data.perCall };
          result.data.chartRows.push(...data.chartRows);
        },
      });
      result.charts.push({
        name: 'call-overhead',
        title: 'Call overhead vs raw piscina',
        spec: ratioBars({
          title: 'Call overhead: latency per call, × raw piscina (same run)',
          rows: result.data.chartRows,
          target: TARGET,
          axisTitle: '× raw piscina latency',
        }),
      });
    }
    return result;
  },
});

/**
 * With placement fixed: every run opens all contenders, warms each, then times them in
 * alternating blocks, so that the moment's load falls on all of them alike.
 * @returns per contender, total wall and CPU milliseconds of each run, over `rounds × callsPerBlock` calls
 */
async function measureSideBySide(contenders, threads, params, { dir, progress, hung }) {
  const totals = emptyTotals(contenders);
  for (let run = 0; run < params.runs; run++) {
    const open = await openAll(contenders, threads, run, dir);
    for (const { handle } of open) await warmUp(handle, params.warmupCallsPerThread * threads);
    placeThreads();
    const one = await interleavedRuns(
      open.map(({ contender, handle }) => ({ name: contender.name, block: () => sequential(handle, params.callsPerBlock) })),
      { runs: 1, rounds: params.rounds, firstRotation: run, onRound: () => progress.tick() },
    );
    for (const name of await closeAll(open)) hung.add(name);
    addRun(totals, one);
  }
  return totals;
}

/**
 * Unpinned: every run opens, warms, times and closes each contender on its own, in an order
 * drawn afresh each run. Side by side, the pools' placement is the bench's doing: where the OS
 * puts a pool's worker follows the order the pools were warmed in. With piscina's defaults and
 * hotworker's `call('noop')` and `atomics: 'sync'` contenders open together, 1 thread, 40 runs
 * (issue 9), the pool warmed last answered in 64–99 µs a call in every run (its worker on the
 * other CPU), whichever pool it was, and the other two in 21–39 µs in 71 of 80; warmed in
 * alternating blocks instead, each pool drew either CPU at random (the caller's in 11–16 runs of
 * 40), and a run's ratio to piscina's defaults spread 0.24–4.0×. A pool alone in its process,
 * as a service runs one, had its worker on the other CPU in 249 of 252 runs (1 thread; under
 * 40 µs a call counted as the caller's CPU): so measured, each contender meets the placement a
 * service meets.
 */
async function measureAlone(contenders, threads, params, { dir, progress, hung }) {
  const totals = emptyTotals(contenders);
  for (let run = 0; run < params.runs; run++) {
    for (const contender of shuffled(contenders, run)) {
      const open = await openAll([contender], threads, run, dir);
      const [{ handle }] = open;
      await warmUp(handle, params.warmupCallsPerThread * threads);
      const one = await interleavedRuns([{ name: contender.name, block: () => sequential(handle, params.callsPerBlock) }], {
        runs: 1,
        rounds: params.rounds,
      });
      for (const name of await closeAll(open)) hung.add(name);
      addRun(totals, one);
      progress.tick();
    }
  }
  return totals;
}

function emptyTotals(contenders) {
  return new Map(contenders.map((c) => [c.name, { wallMs: [], cpuMs: [], callerCpuMs: [] }]));
}

/** Appends one run's figures (from {@link interleavedRuns}) to `totals`. */
function addRun(totals, one) {
  for (const [name, figures] of one) {
    for (const key of ['wallMs', 'cpuMs', 'callerCpuMs']) totals.get(name)[key].push(...figures[key]);
  }
}

function report(result, contenders, totals, group, params) {
  const callsPerRun = params.rounds * params.callsPerBlock;
  const perCall = (name, key) => totals.get(name)[key].map((total) => (total * 1000) / callsPerRun);
  const base = perCall(piscina.name, 'wallMs');
  const floor = perCall(messagePort.name, 'wallMs');
  const baseCpu = perCall(piscina.name, 'callerCpuMs');
  const rows = contenders.map((contender) => {
    const own = perCall(contender.name, 'wallMs');
    const cpu = perCall(contender.name, 'callerCpuMs');
    const vsPiscina = pairedRatio(own, base);
    if (contender !== direct) result.data.chartRows.push({ group, contender: contender.label, kind: kindOf(contender), ...vsPiscina });
    return [
      contender.label,
      spread(summarize(own), 'µs'),
      ratio(vsPiscina),
      ratio(pairedRatio(own, floor)),
      spread(summarize(cpu), 'µs'),
      ratio(pairedRatio(cpu, baseCpu)),
    ];
  });
  result.tables.push({
    title: `${group}: per call, median (min–max) of ${params.runs} runs × ${callsPerRun.toLocaleString('en-US')} calls`,
    columns: ['contender', 'latency', '× raw piscina', '× floor', 'caller-thread CPU', 'caller CPU × raw piscina'],
    rows,
    notes: [
      "caller-thread CPU: the main thread's own CPU time per call (Linux schedstat), the part of a call's cost other tenants cannot inflate",
    ],
  });
  // Against both baselines: raw piscina with hotworker's other settings and atomics: 'async' (an
  // idle worker's loop always turning), and piscina with its defaults (atomics: 'sync'), which a
  // user would start from; and the module option that gives up the idle-loop guarantee for
  // piscina's own wait, against that wait.
  const pairs = [
    ...[piscina, piscinaAtomics].flatMap((baseline) => [hotworkerApi, hotworkerCall].map((contender) => [contender, baseline])),
    [hotworkerSync, piscinaAtomics],
  ];
  for (const [contender, baseline] of pairs) {
    const goal = baseline === piscinaAtomics ? TARGET_DEFAULTS : TARGET;
    const figure = pairedRatio(perCall(contender.name, 'wallMs'), perCall(baseline.name, 'wallMs'));
    result.targets.push({
      name: `${contender.label} latency vs ${baseline.label}, ${group}`,
      baseline: baseline.label,
      figure: ratio(figure),
      goal: `≤ ${goal}×`,
      met: figure.median <= goal,
      value: figure.median,
    });
  }
  result.data.perCall[group] = Object.fromEntries(
    contenders.map((c) => [
      c.name,
      { latencyUs: perCall(c.name, 'wallMs'), processCpuUs: perCall(c.name, 'cpuMs'), callerCpuUs: perCall(c.name, 'callerCpuMs') },
    ]),
  );
}

export function kindOf(contender) {
  if (contender.name.startsWith('hotworker')) return 'hotworker';
  if (contender.name.startsWith('piscina')) return 'baseline';
  if (contender.name === 'messageport') return 'floor';
  return 'peer';
}

/**
 * A concurrent burst, so that every thread has started and run hot code, then the sequential
 * calls measured, until the code of both sides has reached its steady state: the latency a
 * service sees for nearly all of its calls.
 *
 * The sequential calls come last, so the path timed is the one warmed last. The other way
 * round, hotworker's burst travels in batches (src/coalesce.ts), and its plain path, its code
 * re-optimizing, measured 15–30 % slower over the next thousand calls.
 *
 * Their number: every run opens fresh pools, and a fresh worker thread's code is still being
 * optimized for its first few thousand calls. With only piscina's defaults and hotworker's two
 * contenders in the process, every thread on one CPU, 9 runs of fresh pools, three processes
 * each (issue 9), hotworker's median ratio to piscina's defaults read 1.04–1.08× after 1,000
 * calls (the count used until then), 0.92× after 5,000 and 0.89–0.90× after 10,000. After a
 * process's first run its main thread's code is warm, and the later runs read like the first:
 * what 1,000 calls measured was the new worker thread's code still being optimized
 * (hotworker's worker runs more of it than piscina's), not the cost per call.
 * A freshly upgraded version's threads start cold too: the first thousands of calls after an
 * upgrade pay that warm-up (README, "Benchmarks").
 */
async function warmUp(handle, calls) {
  await Promise.all(Array.from({ length: 256 }, (_, i) => handle.call(i)));
  for (let i = 0; i < calls; i++) await handle.call(i);
}

async function sequential(handle, calls) {
  for (let i = 0; i < calls; i++) await handle.call(i);
}
