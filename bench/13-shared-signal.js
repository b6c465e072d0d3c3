/**
 * 13. Many calls on one AbortSignal: a burst of trivial calls started at once, every one given
 * the same signal (a shutdown signal passed to every call, say), on 2 threads. hotworker
 * `run(name, args, { signal })` against raw piscina (its defaults) `run(input, { signal })`,
 * and both without a signal as controls. Reported per contender: the main thread's time to
 * start the burst (the loop that makes the calls) and the time until every call has answered.
 *
 * An AbortSignal is an EventTarget, and Node's addEventListener scans the listeners already
 * there: one listener per call, as piscina adds, makes each call O(calls in flight), while
 * hotworker listens once per signal (src/abort-fanout.ts). Contenders alternate block by block
 * (lib/interleave.js); ratios pair contenders within a run.
 */
import { setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { hot } from 'hotworker';
import { Piscina } from 'piscina';
import { num, ratio, spread } from './lib/format.js';
import { interleavedRuns } from './lib/interleave.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';
import { steady } from './lib/steady.js';

const THREADS = 2;

export default defineScenario(import.meta.url, {
  id: '13',
  title: `Many calls on one AbortSignal: a burst started at once, ${THREADS} threads`,
  async run({ quick, scratch }) {
    const params = { runs: quick ? 2 : 5, calls: quick ? 5_000 : 20_000, threads: THREADS };
    const dir = scratch();
    const names = ['hotworker', 'piscina', 'hotworkerNoSignal', 'piscinaNoSignal'];
    const startMs = Object.fromEntries(names.map((name) => [name, []]));
    const totalMs = Object.fromEntries(names.map((name) => [name, []]));
    const progress = new Progress('shared signal', params.runs);
    // One module and one pool for every run: each run is one round of alternating bursts.
    const module = await hot(fileURLToPath(new URL('./fixtures/work.js', import.meta.url)), {
      threads: THREADS,
      standbyDelay: 0,
      cacheDir: `${dir}/.hotworker`,
    });
    const pool = new Piscina({
      filename: fileURLToPath(new URL('./fixtures/piscina-handler.js', import.meta.url)),
      minThreads: THREADS,
      maxThreads: THREADS,
    });
    const started = Object.fromEntries(names.map((name) => [name, 0]));
    const burst = (name, call) => async () => {
      const signal = new AbortController().signal;
      // piscina's listener per call has Node warn past ten (MaxListenersExceededWarning): once
      // is enough, and the count of listeners is not what is measured.
      setMaxListeners(0, signal);
      const calls = new Array(params.calls);
      const before = performance.now();
      for (let i = 0; i < params.calls; i++) calls[i] = call(i, signal);
      started[name] += performance.now() - before;
      await Promise.all(calls);
    };
    const blocks = [
      { name: 'hotworker', block: burst('hotworker', (i, signal) => module.run('noop', [i], { signal })) },
      { name: 'piscina', block: burst('piscina', (i, signal) => pool.run(i, { signal })) },
      { name: 'hotworkerNoSignal', block: burst('hotworkerNoSignal', (i) => module.api.noop(i)) },
      { name: 'piscinaNoSignal', block: burst('piscinaNoSignal', (i) => pool.run(i)) },
    ];
    // Warm every path once, outside the timing.
    for (const { block } of blocks) await block();
    await steady(module);
    for (let run = 0; run < params.runs; run++) {
      for (const name of names) started[name] = 0;
      const totals = await interleavedRuns(blocks, { runs: 1, rounds: 1, firstRotation: run });
      for (const [name, { wallMs }] of totals) {
        totalMs[name].push(wallMs[0]);
        startMs[name].push(started[name]);
      }
      progress.tick();
    }
    await module.close();
    await pool.destroy();
    progress.done();

    const row = (label, name) => [
      label,
      spread(summarize(startMs[name]), 'ms', num),
      ratio(pairedRatio(startMs[name], startMs.piscina)),
      spread(summarize(totalMs[name]), 'ms', num),
      ratio(pairedRatio(totalMs[name], totalMs.piscina)),
    ];
    const vsPiscina = pairedRatio(totalMs.hotworker, totalMs.piscina);
    return {
      params,
      tables: [
        {
          title: `${params.calls.toLocaleString('en-US')} trivial calls started at once: median (min–max) of ${params.runs} runs`,
          columns: ['contender', 'starting them (main thread)', '× piscina, one signal', 'until all answered', '× piscina, one signal'],
          rows: [
            row('hotworker run(noop, [i], { signal }), one signal for all', 'hotworker'),
            row('raw piscina (defaults) run(i, { signal }), one signal for all', 'piscina'),
            row('hotworker api.noop(i), no signal', 'hotworkerNoSignal'),
            row('raw piscina (defaults) run(i), no signal', 'piscinaNoSignal'),
          ],
          notes: [
            `hotworker / raw piscina, one signal for all, until all answered: ${ratio(vsPiscina)}`,
            'piscina also keeps every queued call that has a signal in an array it shifts from the front (piscina#899): the rows without a signal show what that costs both',
          ],
        },
      ],
      targets: [],
      data: { startMs, totalMs },
    };
  },
});
