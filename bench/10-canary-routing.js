/**
 * 10. Routing during a canary: what choosing a version and observing every call costs.
 *
 * Three modules on the same trivial function, one thread per version, sequential awaited calls
 * in interleaved blocks (lib/interleave.js): a plain module; one in a canary step at 100% (every
 * call routed to the new version and timed for the step's analysis); one at 50% (calls spread
 * over both versions' pools). Each canary waits for more calls than the run makes, so it stays
 * in its first step throughout. The figure is the per-call latency ratio to the plain module.
 * A fourth module was restarted (`upgrade({ restart: true })`, no canary): its new version runs
 * on a pool handed over like the canary's, with no routing, so it tells the cost of that pool
 * apart from the cost of routing and observing calls.
 *
 * Unpinned, each module is timed alone in the process, as a service runs it (as in scenario 1,
 * and for the same reason): side by side, where the OS put each module's thread followed the
 * order the modules were warmed in, which alone made one module's calls 2× another's (the
 * restarted module, which does no routing at all, measured 1.95–2.16× the plain one in three
 * full runs). The target is taken in two more passes, side by side with placement fixed
 * (lib/placement.js), where the moment's load falls on every module alike: every thread on one
 * CPU, and the caller on one CPU with every worker on the other.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hot } from 'hotworker';
import { ratio, spread } from './lib/format.js';
import { interleavedRuns, shuffled } from './lib/interleave.js';
import { addPlacedPasses, PLACEMENTS, placementOf, placeThreads } from './lib/placement.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';
import { steady } from './lib/steady.js';

const TARGET = 1.1;
const work = fileURLToPath(new URL('./fixtures/work.js', import.meta.url));

export default defineScenario(import.meta.url, {
  id: '10',
  title: 'Routing overhead during a canary vs a plain call',
  async run({ quick, scratch }) {
    const placement = placementOf();
    const params = {
      runs: quick ? 2 : 7,
      // Blocks per module and run: alone, longer runs, as in scenario 1 (another tenant's burst spans several blocks).
      rounds: quick ? 6 : placement ? 24 : 60,
      callsPerBlock: 50,
      warmupCalls: quick ? 300 : 1_000,
    };
    const contenders = [
      { name: 'plain', label: 'plain call', share: undefined },
      { name: 'canary-100', label: 'canary step at 100%', share: 100 },
      { name: 'canary-50', label: 'canary step at 50%', share: 50 },
      { name: 'restarted', label: 'restarted, no canary', share: undefined, restart: true },
    ];
    const progress = new Progress(
      placement ? `canary routing, ${PLACEMENTS[placement]}` : 'canary routing, each module alone',
      // Side by side, a tick per round of all modules; alone, a tick per module measured.
      params.runs * (placement ? params.rounds : contenders.length),
    );
    const measure = placement === undefined ? measureAlone : measureSideBySide;
    const { totals, callerCpu } = await measure(contenders, params, { scratch, progress });
    progress.done();
    const calls = params.rounds * params.callsPerBlock;
    const perCall = (values) => values.map((total) => (total * 1000) / calls);
    const base = perCall(totals.get('plain'));
    const baseCpu = perCall(callerCpu.get('plain'));
    const rows = contenders.map((c) => [
      c.label,
      spread(summarize(perCall(totals.get(c.name))), 'µs'),
      ratio(pairedRatio(perCall(totals.get(c.name)), base)),
      spread(summarize(perCall(callerCpu.get(c.name))), 'µs'),
      ratio(pairedRatio(perCall(callerCpu.get(c.name)), baseCpu)),
    ]);
    const figure = pairedRatio(perCall(totals.get('canary-100')), base);
    const where = placement ? `, ${PLACEMENTS[placement]}` : ', unpinned, each module alone in the process';
    const result = {
      params,
      tables: [
        {
          title: `per call${where}: median (min–max) of ${params.runs} runs × ${calls.toLocaleString('en-US')} calls, 1 thread per version`,
          columns: ['calls', 'latency', '× plain', 'caller-thread CPU', 'caller CPU × plain'],
          rows,
          notes: [
            'at 50% the calls alternate between two pools, so part of that figure is the pools, not the routing',
            'restarted: a new version on a handed-over pool like the canary’s, but no routing: the canary’s figure minus this one is what routing costs',
            ...(placement
              ? []
              : ['the target is taken in the two passes below, side by side, where the moment’s load falls on every module alike']),
          ],
        },
      ],
      // With placement fixed the modules run side by side (see the top of this file).
      targets: placement
        ? [
            {
              name: `call latency during a canary step (100%) vs a plain call${where}`,
              figure: ratio(figure),
              goal: `≤ ${TARGET}×`,
              met: figure.median <= TARGET,
              value: figure.median,
            },
          ]
        : [],
      charts: [],
      data: { [placement ?? 'unpinned']: { latencyUs: Object.fromEntries([...totals].map(([name, values]) => [name, perCall(values)])) } },
    };
    if (!placement) await addPlacedPasses(result, import.meta.url, { quick, mergeData: (data) => Object.assign(result.data, data) });
    return result;
  },
});

/**
 * With placement fixed: every run opens all four modules, warms each, then times them in
 * alternating blocks.
 * @returns per module, `wallMs` and `callerCpuMs` totals, one per run
 */
async function measureSideBySide(contenders, params, { scratch, progress }) {
  const figures = emptyFigures(contenders);
  for (let run = 0; run < params.runs; run++) {
    const dir = scratch();
    const open = [];
    for (const contender of contenders) open.push({ contender, ...(await openOne(contender, dir)) });
    // A canary's new version runs on the standby threads, and none boots until the canary ends;
    // the other modules are measured once theirs are booted (lib/steady.js), waited for together.
    await Promise.all(open.filter(({ canary }) => canary === undefined).map(({ module }) => steady(module)));
    for (const { module } of open) await sequential(module, params.warmupCalls);
    placeThreads();
    const one = await interleavedRuns(
      open.map(({ contender, module }) => ({ name: contender.name, block: () => sequential(module, params.callsPerBlock) })),
      { runs: 1, rounds: params.rounds, firstRotation: run, onRound: () => progress.tick() },
    );
    for (const opened of open) await closeOne(opened);
    addRun(figures, one);
  }
  return figures;
}

/** Unpinned: every run opens, warms, times and closes each module on its own, in an order drawn afresh each run. */
async function measureAlone(contenders, params, { scratch, progress }) {
  const figures = emptyFigures(contenders);
  for (let run = 0; run < params.runs; run++) {
    for (const contender of shuffled(contenders, run)) {
      const opened = { contender, ...(await openOne(contender, scratch())) };
      if (opened.canary === undefined) await steady(opened.module);
      await sequential(opened.module, params.warmupCalls);
      const one = await interleavedRuns([{ name: contender.name, block: () => sequential(opened.module, params.callsPerBlock) }], {
        runs: 1,
        rounds: params.rounds,
      });
      await closeOne(opened);
      addRun(figures, one);
      progress.tick();
    }
  }
  return figures;
}

function emptyFigures(contenders) {
  return { totals: new Map(contenders.map((c) => [c.name, []])), callerCpu: new Map(contenders.map((c) => [c.name, []])) };
}

function addRun({ totals, callerCpu }, one) {
  for (const [name, figures] of one) {
    totals.get(name).push(...figures.wallMs);
    callerCpu.get(name).push(...figures.callerCpuMs);
  }
}

/** Closes a module, after checking that a canary's step lasted the whole measurement. */
async function closeOne({ contender, module, canary }) {
  if (contender.share !== undefined && module.rollout?.kind !== 'canary') throw new Error(`${contender.label}: the canary ended early`);
  await module.close();
  await canary?.catch(() => undefined);
}

async function openOne(contender, dir) {
  const module = await hot(work, { threads: 1, standbyDelay: 0, cacheDir: join(dir, '.hotworker') });
  if (contender.restart) await module.upgrade({ restart: true });
  if (contender.share === undefined) return { module };
  const canary = module.upgrade({
    restart: true,
    canary: { steps: contender.share === 100 ? [100] : [contender.share, 100], minCalls: 1e9, maxLatencyRatio: Number.POSITIVE_INFINITY },
  });
  canary.catch(() => undefined);
  while (module.rollout?.kind !== 'canary') await new Promise((resolve) => setTimeout(resolve, 5));
  return { module, canary };
}

async function sequential(module, calls) {
  for (let i = 0; i < calls; i++) await module.api.noop(i);
}
