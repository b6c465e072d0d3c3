/**
 * 12. map(): many small inputs. One million trivial inputs through `map()` against the same
 * work hand-chunked over raw piscina (its defaults, the same chunk size, every chunk submitted
 * at once) and against one call per input; then CPU-heavy inputs (fib(20)) through map()
 * against the same loop run serially on the main thread. Contenders alternate block by
 * block (lib/interleave.js), 2 threads each; ratios pair contenders within a run.
 */
import { fileURLToPath } from 'node:url';
import { hot, MAP_CHUNK_LIMIT } from 'hotworker';
import { Piscina } from 'piscina';
import { fib } from './fixtures/work.js';
import { num, ratio, spread } from './lib/format.js';
import { interleavedRuns } from './lib/interleave.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';
import { steady } from './lib/steady.js';

const THREADS = 2;
const CHUNK = MAP_CHUNK_LIMIT;
const TARGET_VS_CHUNKED = 0.8;
const TARGET_VS_ONE_CALL = 20;
const TARGET_SPEEDUP = 1.5;
const FIB_N = 20;

export default defineScenario(import.meta.url, {
  id: '12',
  title: `map(): many small inputs, ${THREADS} threads`,
  async run({ quick, scratch }) {
    const params = {
      runs: quick ? 2 : 5,
      inputs: quick ? 100_000 : 1_000_000,
      oneCallInputs: quick ? 5_000 : 50_000,
      fibInputs: quick ? 500 : 2_000,
      chunkSize: CHUNK,
      threads: THREADS,
    };
    const inputs = Array.from({ length: params.inputs }, (_, i) => i);
    const fibInputs = new Array(params.fibInputs).fill(FIB_N);
    const dir = scratch();
    const rates = { map: [], mapDefault: [], chunked: [], oneCall: [], oneCallCoalesced: [], fibMap: [], fibChunked: [], fibSerial: [] };
    const progress = new Progress('map', params.runs);
    for (let run = 0; run < params.runs; run++) {
      const open = (options) =>
        hot(fileURLToPath(new URL('./fixtures/work.js', import.meta.url)), {
          threads: THREADS,
          standbyDelay: 0,
          cacheDir: `${dir}/.hotworker`,
          ...options,
        });
      const module = await open({});
      // One call per input as a task of its own (the "one task per item"): calls that
      // wait together would otherwise travel in batches (src/coalesce.ts), measured apart.
      const solo = await open({ coalesce: false });
      await steady(module);
      await steady(solo);
      const pool = new Piscina({
        filename: fileURLToPath(new URL('./fixtures/piscina-chunk.js', import.meta.url)),
        minThreads: THREADS,
        maxThreads: THREADS,
      });
      const chunked = async (items, name) => {
        const tasks = [];
        for (let offset = 0; offset < items.length; offset += CHUNK) {
          tasks.push(pool.run(items.slice(offset, offset + CHUNK), name === undefined ? undefined : { name }));
        }
        return (await Promise.all(tasks)).flat();
      };
      const oneCall = async (through) => {
        for (let offset = 0; offset < params.oneCallInputs; offset += 1_000) {
          const calls = new Array(1_000);
          for (let i = 0; i < 1_000; i++) calls[i] = through.api.noop(inputs[offset + i]);
          await Promise.all(calls);
        }
      };
      // Warm every path once, outside the timing.
      await module.map('noop', inputs.slice(0, 10_000), { chunkSize: CHUNK });
      await chunked(inputs.slice(0, 10_000));
      await module.map('fib', fibInputs);
      await chunked(fibInputs, 'fib');
      for (const n of fibInputs) fib(n);
      const totals = await interleavedRuns(
        [
          { name: 'map', block: () => check(module.map('noop', inputs, { chunkSize: CHUNK }), params.inputs) },
          { name: 'mapDefault', block: () => check(module.map('noop', inputs), params.inputs) },
          { name: 'chunked', block: () => check(chunked(inputs), params.inputs) },
          { name: 'oneCall', block: () => oneCall(solo) },
          { name: 'oneCallCoalesced', block: () => oneCall(module) },
          { name: 'fibMap', block: () => check(module.map('fib', fibInputs), params.fibInputs) },
          { name: 'fibChunked', block: () => check(chunked(fibInputs, 'fib'), params.fibInputs) },
          { name: 'fibSerial', block: async () => fibInputs.map((n) => fib(n)) },
        ],
        { runs: 1, rounds: quick ? 1 : 2, firstRotation: run },
      );
      const rounds = quick ? 1 : 2;
      for (const [name, { wallMs }] of totals) {
        const count = name.startsWith('oneCall') ? params.oneCallInputs : name.startsWith('fib') ? params.fibInputs : params.inputs;
        rates[name].push((count * rounds * 1000) / wallMs[0]);
      }
      await module.close();
      await solo.close();
      await pool.destroy();
      progress.tick();
    }
    progress.done();

    const vsChunked = pairedRatio(rates.map, rates.chunked);
    const vsOneCall = pairedRatio(rates.map, rates.oneCall);
    const speedup = pairedRatio(rates.fibMap, rates.fibSerial);
    const row = (label, values, against) => [
      label,
      spread(summarize(values)),
      against === undefined ? '1.00×' : ratio(pairedRatio(values, against)),
    ];
    return {
      params,
      tables: [
        {
          title: `${params.inputs.toLocaleString('en-US')} trivial inputs: inputs/s, median (min–max) of ${params.runs} runs`,
          columns: ['contender', 'inputs/s', '× hand-chunked piscina'],
          rows: [
            row(`hotworker map(), chunkSize ${CHUNK}`, rates.map, rates.chunked),
            row('hotworker map(), default chunkSize', rates.mapDefault, rates.chunked),
            row(`raw piscina (defaults), hand-chunked by ${CHUNK}`, rates.chunked),
            row(
              `hotworker api.noop(), one call per input, each a task (coalesce: false; ${params.oneCallInputs.toLocaleString('en-US')} inputs, 1,000 in flight)`,
              rates.oneCall,
              rates.chunked,
            ),
            row(
              `hotworker api.noop(), one call per input, waiting calls in batches (the default; ${params.oneCallInputs.toLocaleString('en-US')} inputs, 1,000 in flight)`,
              rates.oneCallCoalesced,
              rates.chunked,
            ),
          ],
          notes: [
            `map() / one call per input, each a task: ${ratio(vsOneCall)}; / one call per input in batches: ${ratio(pairedRatio(rates.map, rates.oneCallCoalesced))}`,
          ],
        },
        {
          title: `${params.fibInputs.toLocaleString('en-US')} × fib(${FIB_N}): inputs/s, median (min–max) of ${params.runs} runs`,
          columns: ['contender', 'inputs/s', '× serial on the main thread'],
          rows: [
            row('hotworker map(), default chunkSize', rates.fibMap, rates.fibSerial),
            row(`raw piscina (defaults), hand-chunked by ${CHUNK}`, rates.fibChunked, rates.fibSerial),
            row('serial loop on the main thread', rates.fibSerial),
          ],
          notes: [
            `default chunk for ${params.fibInputs} inputs on ${THREADS} threads: ${Math.min(CHUNK, Math.ceil(params.fibInputs / (4 * THREADS)))}`,
          ],
        },
      ],
      targets: [
        {
          name: 'map() inputs/s vs hand-chunked raw piscina (defaults), same chunk size',
          baseline: 'piscina defaults, hand-chunked',
          figure: ratio(vsChunked),
          goal: `≥ ${TARGET_VS_CHUNKED}×`,
          met: vsChunked.median >= TARGET_VS_CHUNKED,
          value: vsChunked.median,
        },
        {
          name: 'map() inputs/s vs one call per input, each a task',
          baseline: 'hotworker api, one call per input (coalesce: false)',
          figure: ratio(vsOneCall),
          goal: `≥ ${TARGET_VS_ONE_CALL}×`,
          met: vsOneCall.median >= TARGET_VS_ONE_CALL,
          value: vsOneCall.median,
        },
        {
          name: `map() of fib(${FIB_N}) vs the serial loop (both threads used)`,
          baseline: 'serial loop on the main thread',
          figure: ratio(speedup),
          goal: `≥ ${TARGET_SPEEDUP}×`,
          met: speedup.median >= TARGET_SPEEDUP,
          value: speedup.median,
        },
      ],
      data: { inputsPerSecond: rates, mapRate: num(summarize(rates.map).median) },
    };
  },
});

async function check(results, expected) {
  const values = await results;
  if (values.length !== expected) throw new Error(`map returned ${values.length} results, expected ${expected}`);
}
