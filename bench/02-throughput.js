/**
 * 2. Throughput: trivial calls in flight in batches (1,000 at a time, 10,000+ per run) on 2
 * threads. Contenders alternate batch by batch (lib/interleave.js) on fresh pools each run;
 * ratios pair contenders within a run. The floor is the same work pipelined over bare
 * MessagePorts; the best peer is the fastest of tinypool, workerpool and poolifier in each run.
 * hotworker runs twice: with its defaults (calls that wait together travel in batches,
 * src/coalesce.ts) and with `coalesce: false` (one task per call, as piscina).
 */

import { kindOf } from './01-call-overhead.js';
import { ratioBars } from './lib/chart.js';
import {
  closeAll,
  direct,
  hotworkerApi,
  hotworkerCall,
  hotworkerSolo,
  messagePort,
  openAll,
  peers,
  piscina,
  piscinaAtomics,
  threaded,
} from './lib/contenders.js';
import { num, ratio, spread } from './lib/format.js';
import { interleavedRuns } from './lib/interleave.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';

const TARGET = 0.95;
/** Against piscina with its defaults, what a user would otherwise pick (issue 9). */
const TARGET_DEFAULTS = 1.0;
const THREADS = 2;

export default defineScenario(import.meta.url, {
  id: '02',
  title: `Throughput: trivial calls in flight in batches, ${THREADS} threads`,
  async run({ quick, scratch }) {
    const params = { runs: quick ? 1 : 7, batch: 1_000, batchesPerRun: quick ? 3 : 20, threads: THREADS };
    const contenders = [direct, ...threaded, hotworkerSolo];
    const progress = new Progress('throughput', params.runs * params.batchesPerRun);
    const dir = scratch();
    const rate = new Map(contenders.map((c) => [c.name, []]));
    const callerCpu = new Map(contenders.map((c) => [c.name, []]));
    const hung = new Set();
    for (let run = 0; run < params.runs; run++) {
      const open = await openAll(contenders, THREADS, run, dir);
      for (const { handle } of open) await batch(handle, params.batch);
      const totals = await interleavedRuns(
        open.map(({ contender, handle }) => ({ name: contender.name, block: () => batch(handle, params.batch) })),
        { runs: 1, rounds: params.batchesPerRun, firstRotation: run, onRound: () => progress.tick() },
      );
      for (const name of await closeAll(open)) hung.add(name);
      for (const [name, { wallMs, callerCpuMs }] of totals) {
        rate.get(name).push((params.batch * params.batchesPerRun * 1000) / wallMs[0]);
        callerCpu.get(name).push((callerCpuMs[0] * 1000) / (params.batch * params.batchesPerRun));
      }
    }
    progress.done();

    const callsPerSecond = (name) => rate.get(name);
    const base = callsPerSecond(piscina.name);
    const floor = callsPerSecond(messagePort.name);
    // The best peer of each run, so that the ratio to it stays a same-run ratio.
    const bestPeer = base.map((_, run) => Math.max(...peers.map((peer) => rate.get(peer.name)[run])));
    const bestPeerNames = base.map((_, run) => peers.reduce((a, b) => (rate.get(a.name)[run] >= rate.get(b.name)[run] ? a : b)).label);
    const chartRows = [];
    const rows = contenders.map((contender) => {
      const own = callsPerSecond(contender.name);
      const vsPiscina = pairedRatio(own, base);
      if (contender !== direct)
        chartRows.push({ group: `${THREADS} threads`, contender: contender.label, kind: kindOf(contender), ...vsPiscina });
      const cpu = callerCpu.get(contender.name);
      return [
        contender.label,
        spread(summarize(own)),
        ratio(vsPiscina),
        ratio(pairedRatio(own, floor)),
        ratio(pairedRatio(own, bestPeer)),
        spread(summarize(cpu), 'µs'),
        ratio(pairedRatio(cpu, callerCpu.get(piscina.name))),
      ];
    });
    const callsPerRun = params.batch * params.batchesPerRun;
    // Against both baselines: raw piscina with hotworker's own settings (atomics: 'async'),
    // and piscina with its defaults (atomics: 'sync'), which a user would start from.
    const targets = [piscina, piscinaAtomics].flatMap((baseline) =>
      [hotworkerApi, hotworkerCall].map((contender) => {
        const figure = pairedRatio(callsPerSecond(contender.name), callsPerSecond(baseline.name));
        return {
          name: `${contender.label} calls/s vs ${baseline.label}`,
          baseline: baseline.label,
          figure: ratio(figure),
          goal: `≥ ${baseline === piscinaAtomics ? TARGET_DEFAULTS : TARGET}×`,
          met: figure.median >= (baseline === piscinaAtomics ? TARGET_DEFAULTS : TARGET),
          value: figure.median,
        };
      }),
    );
    const notes = [`best peer per run: ${bestPeerNames.join(', ')}`];
    if (hung.size > 0) notes.push(`close() never settled for: ${[...hung].join(', ')} (left behind)`);
    return {
      params,
      tables: [
        {
          title: `calls/s, median (min–max) of ${params.runs} runs × ${callsPerRun.toLocaleString('en-US')} calls (${params.batch.toLocaleString('en-US')} in flight at a time)`,
          columns: [
            'contender',
            'calls/s',
            '× raw piscina',
            '× floor',
            '× best peer',
            'caller-thread CPU / call',
            'caller CPU × raw piscina',
          ],
          rows,
          notes: [
            ...notes,
            "caller-thread CPU: the main thread's own CPU time per call (Linux schedstat). piscina and the peers send a worker one task at a time, so each worker's round trip bounds them, not the main thread; hotworker sends the calls that wait for a thread together in batches (module option `coalesce`, on by default), so its bound is its own work per call; with `coalesce: false` it is piscina's round trip again",
          ],
        },
        {
          title: 'hotworker against the floor and the best peer',
          columns: ['ratio', 'api.noop()', "call('noop')"],
          rows: [
            ['hotworker / raw piscina', ...[hotworkerApi, hotworkerCall].map((c) => ratio(pairedRatio(callsPerSecond(c.name), base)))],
            [
              'hotworker / floor (pipelined MessagePort)',
              ...[hotworkerApi, hotworkerCall].map((c) => ratio(pairedRatio(callsPerSecond(c.name), floor))),
            ],
            ['hotworker / best peer', ...[hotworkerApi, hotworkerCall].map((c) => ratio(pairedRatio(callsPerSecond(c.name), bestPeer)))],
          ],
          notes: [`floor: ${num(summarize(floor).median)} calls/s; best peer: ${num(summarize(bestPeer).median)} calls/s (medians)`],
        },
      ],
      targets,
      data: { callsPerSecond: Object.fromEntries(rate), callerCpuUsPerCall: Object.fromEntries(callerCpu), bestPeer: bestPeerNames },
      charts: [
        {
          name: 'throughput',
          title: 'Throughput vs raw piscina',
          spec: ratioBars({
            title: 'Throughput: calls/s, × raw piscina (same run)',
            note: `the MessagePort floor, off the chart: ${num(pairedRatio(floor, base).median)}×`,
            rows: chartRows,
            target: TARGET,
            axisTitle: '× raw piscina calls/s',
            better: 'higher',
          }),
        },
      ],
    };
  },
});

function batch(handle, size) {
  const calls = new Array(size);
  for (let i = 0; i < size; i++) calls[i] = handle.call(i);
  return Promise.all(calls);
}
