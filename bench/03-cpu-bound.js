/**
 * 3. CPU-bound work: fib(27) × 200 spread over 2 threads, against the same 200 calls run one
 * after the other in the main thread. Serial and parallel alternate run by run; the speed-up
 * of a run is its serial time over its parallel time. Raw piscina runs alongside as the
 * reference for what the pool alone achieves.
 */
import { direct, hotworkerApi, piscina, steadyAll } from './lib/contenders.js';
import { ratio, spread } from './lib/format.js';
import { interleavedRuns } from './lib/interleave.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';

const TARGET = 1.8;
const THREADS = 2;

export default defineScenario(import.meta.url, {
  id: '03',
  title: `CPU-bound work: fib(27) × 200 on ${THREADS} threads vs serial in the main thread`,
  async run({ quick, scratch }) {
    const params = { runs: quick ? 1 : 7, n: 27, calls: 200, threads: THREADS };
    const progress = new Progress('cpu-bound', params.runs);
    const dir = scratch();
    const contenders = [direct, piscina, hotworkerApi];
    const open = [];
    for (const contender of contenders) open.push({ contender, handle: await contender.open(THREADS, { scratch: dir }) });
    await steadyAll(open);
    // Warm-up: threads started, fib compiled by the optimizing tier everywhere.
    for (const { handle } of open) await allFib(handle, { ...params, calls: 20 });
    const totals = await interleavedRuns(
      open.map(({ contender, handle }) => ({ name: contender.name, block: () => allFib(handle, params) })),
      { runs: params.runs, rounds: 1, onRound: () => progress.tick() },
    );
    await Promise.all(open.map(({ handle }) => handle.close()));
    progress.done();
    const wall = (name) => totals.get(name).wallMs;
    const serial = wall(direct.name);
    const speedUp = (name) => pairedRatio(serial, wall(name));
    const labels = {
      [direct.name]: 'serial, main thread',
      [piscina.name]: 'raw piscina, 2 threads',
      [hotworkerApi.name]: 'hotworker api.fib(), 2 threads',
    };
    const figure = speedUp(hotworkerApi.name);
    return {
      params,
      tables: [
        {
          title: `${params.calls} × fib(${params.n}), median (min–max) of ${params.runs} runs`,
          columns: ['how', 'time', 'speed-up vs serial', '× raw piscina time'],
          rows: contenders.map((c) => [
            labels[c.name],
            spread(summarize(wall(c.name)), 'ms'),
            ratio(speedUp(c.name)),
            ratio(pairedRatio(wall(c.name), wall(piscina.name))),
          ]),
        },
      ],
      targets: [
        {
          name: 'hotworker speed-up on 2 threads vs serial',
          figure: ratio(figure),
          goal: `≥ ${TARGET}×`,
          met: figure.median >= TARGET,
          value: figure.median,
        },
      ],
      data: { wallMs: Object.fromEntries(contenders.map((c) => [c.name, wall(c.name)])) },
    };
  },
});

/** All calls at once: the pool spreads them; the direct contender runs them one after the other. */
function allFib(handle, { n, calls }) {
  return Promise.all(Array.from({ length: calls }, () => handle.fib(n)));
}
