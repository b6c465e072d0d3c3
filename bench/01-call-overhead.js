/**
 * 1. Call overhead: a trivial function, sequential awaited calls, on 1 and 2 threads.
 *
 * On this kind of machine (a 2-vCPU VM) one call's latency is mostly the cost of waking the
 * other thread, and that depends several-fold on where the OS placed it: the caller's CPU or
 * the other one. So: contenders alternate in blocks of 50 calls (lib/interleave.js), every run
 * opens fresh pools (placement is re-drawn), and the figure is the median of the runs.
 * Two more passes fix placement (lib/placement.js): every thread on one CPU, where each wake is
 * a context switch and the software's own cost weighs most (the fairest view of hotworker's
 * overhead); and the caller on one CPU with every worker on the other, where each wake crosses
 * CPUs. An unpinned call is one or the other, drawn by the OS.
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
import { interleavedRuns } from './lib/interleave.js';
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
      // Unpinned, each run re-draws where the OS puts every thread (a 2–3× effect): more draws, a steadier median.
      runs: quick ? 1 : 15,
      rounds: quick ? 3 : 24,
      callsPerBlock: 50,
      /** Per thread: every run opens fresh pools, whose threads start with cold code (see warmUp). */
      warmupCallsPerThread: quick ? 300 : 5_000,
      threads: placement ? [1] : [1, 2],
    };
    // The module option atomics: 'sync' too, against piscina's defaults (the same wait).
    const contenders = [direct, ...threaded, hotworkerSync];
    const progress = new Progress(
      placement ? `call overhead, ${PLACEMENTS[placement]}` : 'call overhead',
      params.threads.length * params.runs * params.rounds,
    );
    const result = { params, tables: [], targets: [], charts: [], data: { perCall: {}, chartRows: [] } };
    const hung = new Set();
    for (const threads of params.threads) {
      const group = placement ? `${threads} thread, ${PLACEMENTS[placement]}` : `${threads} thread${threads > 1 ? 's' : ''}`;
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

/** Per contender: total wall and CPU milliseconds of each run, over `rounds × callsPerBlock` calls. */
async function measure(contenders, threads, params, { dir, progress, hung }) {
  const totals = new Map(contenders.map((c) => [c.name, { wallMs: [], cpuMs: [], callerCpuMs: [] }]));
  for (let run = 0; run < params.runs; run++) {
    const open = await openAll(contenders, threads, run, dir);
    for (const { handle } of open) await warmUp(handle, params.warmupCallsPerThread * threads);
    placeThreads();
    const one = await interleavedRuns(
      open.map(({ contender, handle }) => ({ name: contender.name, block: () => sequential(handle, params.callsPerBlock) })),
      { runs: 1, rounds: params.rounds, firstRotation: run, onRound: () => progress.tick() },
    );
    for (const name of await closeAll(open)) hung.add(name);
    for (const [name, figures] of one) {
      for (const key of ['wallMs', 'cpuMs', 'callerCpuMs']) totals.get(name)[key].push(...figures[key]);
    }
  }
  return totals;
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
