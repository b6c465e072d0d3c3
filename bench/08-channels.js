/**
 * 8. Callbacks and streams: the same values delivered by one call per value, by a callback the
 * worker calls back, and by a stream, on 1 thread; and what carrying a callback adds to a call.
 * Figures are per value, each run opens a fresh module, the contenders alternate within a run,
 * and every comparison is a ratio of figures from the same run.
 */
import { join } from 'node:path';
import { hot } from '../dist/src/index.js';
import { ratio, spread } from './lib/format.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';
import { steady } from './lib/steady.js';

const fixture = new URL('./fixtures/channels.js', import.meta.url);

export default defineScenario(import.meta.url, {
  id: '08',
  title: 'Callbacks and streams: per-value cost against one call per value',
  async run({ quick, scratch }) {
    const params = { runs: quick ? 2 : 7, rounds: quick ? 2 : 4, values: quick ? 500 : 2_000 };
    const perValue = { call: [], callback: [], stream: [], callWithCallback: [] };
    for (let run = 0; run < params.runs; run++) {
      const mod = await hot(fixture, { threads: 1, standbyDelay: 0, cacheDir: join(scratch(), '.hotworker') });
      await steady(mod);
      try {
        await warmUp(mod);
        const totals = { call: 0, callback: 0, stream: 0, callWithCallback: 0 };
        for (let round = 0; round < params.rounds; round++) {
          // Rotate the order every round so no contender always runs first (warm caches, placement).
          const order = rotate(Object.keys(totals), round);
          for (const name of order) totals[name] += await measures[name](mod, params.values);
        }
        for (const name of Object.keys(totals)) perValue[name].push((totals[name] * 1000) / (params.rounds * params.values));
      } finally {
        await mod.close();
      }
    }
    const row = (label, name) => [label, spread(summarize(perValue[name]), 'µs'), ratio(pairedRatio(perValue[name], perValue.call))];
    return {
      params,
      tables: [
        {
          title: `${params.values} values per contender and round, 1 thread, ${params.runs} runs × ${params.rounds} rounds`,
          columns: ['delivery', 'per value', '× one call per value'],
          rows: [
            row('one awaited call per value (api.value(i))', 'call'),
            row('callback round trip (worker awaits onValue(i))', 'callback'),
            row('stream (for await of stream("range", n))', 'stream'),
            row('a call carrying a callback it never calls', 'callWithCallback'),
          ],
          notes: [
            'Lower is better. A stream sends values without waiting for the consumer (16 ahead), so its cost per value is a message, not a round trip.',
          ],
        },
      ],
      targets: [],
      data: { perValueUs: perValue },
    };
  },
});

const measures = {
  async call(mod, values) {
    const started = performance.now();
    for (let i = 0; i < values; i++) await mod.api.value(i);
    return performance.now() - started;
  },
  async callback(mod, values) {
    const started = performance.now();
    await mod.api.callBack(values, (i) => i);
    return performance.now() - started;
  },
  async stream(mod, values) {
    const started = performance.now();
    for await (const _ of mod.stream('range', values)) {
      // consume
    }
    return performance.now() - started;
  },
  async callWithCallback(mod, values) {
    const onDone = () => undefined;
    const started = performance.now();
    for (let i = 0; i < values; i++) await mod.api.noop({ onDone });
    return performance.now() - started;
  },
};

async function warmUp(mod) {
  for (const name of Object.keys(measures)) await measures[name](mod, 200);
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
