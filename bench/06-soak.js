/**
 * 6. Soak: 1,000 upgrade cycles of the small module, each followed by 100 calls. RSS and heap
 * are sampled every 50 cycles (after a forced GC when the process runs with --expose-gc, as
 * bench/run.js starts it). At the end exactly one version must be alive, with the pool's
 * threads plus its standby threads, and the process must hold as many OS threads as after the
 * first load. Samples wait until the standby threads are booted, so the counts compare alike.
 *
 * RSS counts every thread of the process, so the workers' heaps are in it: a pool that is
 * never freed, or memory Node keeps after a worker ends (nodejs/node#45685), shows here.
 *
 * The module is served by a `HotServer` (upgrades go through it, one call per cycle goes over
 * HTTP) so the size of `/metrics` can be measured: after 10 cycles and at the end.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../dist/src/serve/log.js';
import { HotServer } from '../dist/src/serve/server.js';
import { mb, ms, num, spread } from './lib/format.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { percentile, summarize } from './lib/stats.js';
import { steady } from './lib/steady.js';
import { upgradable } from './lib/upgradable.js';

const TARGET_MB = 30;
/** `/metrics` after all cycles may be at most this many times its size after {@link METRICS_REFERENCE_CYCLE}. */
const METRICS_RATIO = 2;
const METRICS_REFERENCE_CYCLE = 10;
const THREADS = 2;
/** "A few dozen": keepVersions (5) bundles, the lease, and those built within the prune grace period. */
const CACHE_FILES_TARGET = 36;

export default defineScenario(import.meta.url, {
  id: '06',
  title: 'Soak: upgrade cycles, each followed by 100 calls',
  async run({ quick, scratch }) {
    const params = {
      cycles: quick ? 20 : 1_000,
      callsPerCycle: 100,
      sampleEvery: quick ? 20 : 50,
      threads: THREADS,
      forcedGc: typeof globalThis.gc === 'function',
    };
    const referenceCycle = params.cycles / 10;
    const dir = scratch();
    const source = upgradable(dir);
    const cacheDir = join(dir, '.hotworker');
    const server = await HotServer.start({
      entry: source.entry,
      port: 0,
      threads: THREADS,
      cacheDir,
      logger: silentLogger,
    });
    const { module } = server;
    const metricsBytes = async () => Buffer.byteLength(await (await fetch(`${server.url}/metrics`)).text());
    const metrics = { reference: 0, end: 0 };
    const progress = new Progress('soak', params.cycles);
    const samples = [await sample(0, module)];
    const cycleMs = [];
    const switchMs = [];
    let failed = 0;
    let wrong = 0;
    module.on('upgrade', (event) => switchMs.push(event.switchMs));
    try {
      for (let cycle = 1; cycle <= params.cycles; cycle++) {
        const started = performance.now();
        // A new bundle every cycle, as real edits make: what the cache must not keep for ever.
        const tag = `${cycle % 2 === 1 ? 'B' : 'A'}${cycle}`;
        source.setTag(tag);
        await server.upgrade('soak');
        for (let i = 0; i < params.callsPerCycle - 1; i++) {
          try {
            if ((await module.api.work(i)) !== `${tag}:${i}`) wrong++;
          } catch {
            failed++;
          }
        }
        // One call per cycle over HTTP: it gives every version its series in /metrics.
        const answer = await fetch(`${server.url}/call/work`, { method: 'POST', body: `[${cycle}]` });
        if (!answer.ok) failed++;
        else if ((await answer.json()) !== `${tag}:${cycle}`) wrong++;
        if (cycle === METRICS_REFERENCE_CYCLE) metrics.reference = await metricsBytes();
        cycleMs.push(performance.now() - started);
        // The reference cycle is a multiple of sampleEvery in a full run; quick samples it apart.
        if (cycle % params.sampleEvery === 0 || cycle === referenceCycle) samples.push(await sample(cycle, module));
        progress.tick();
      }
      metrics.end = await metricsBytes();
    } finally {
      await steady(module);
      const end = module.stats;
      const cacheFiles = countFiles(cacheDir);
      await server.close();
      samples.at(-1).end = end;
      samples.at(-1).cacheFiles = cacheFiles;
    }
    progress.done();

    const at = (cycle) => samples.find((s) => s.cycle === cycle);
    const reference = at(referenceCycle);
    const last = samples.at(-1);
    const growth = last.rss - reference.rss;
    const alive = last.end.alive;
    const aliveThreads = alive.reduce((sum, generation) => sum + generation.threadIds.length, 0) + last.end.standby.threadIds.length;
    const osThreadGrowth = last.osThreads === null ? null : last.osThreads - samples[0].osThreads;
    const early = cycleMs.slice(0, Math.min(100, cycleMs.length));
    const late = cycleMs.slice(-Math.min(100, cycleMs.length));
    const shown = samples.filter(
      (s) => s.cycle === 0 || s.cycle === referenceCycle || s.cycle % (params.sampleEvery * 4) === 0 || s === last,
    );
    const failures = [];
    if (failed > 0) failures.push(`${failed} calls failed during the soak`);
    if (wrong > 0) failures.push(`${wrong} calls answered from the wrong version during the soak`);
    return {
      params,
      tables: [
        {
          title: `one soak of ${params.cycles} cycles: memory of the whole process (main thread + workers)${params.forcedGc ? ', sampled after a forced GC' : ''}`,
          columns: ['cycle', 'RSS', 'heap used (main)', 'heap total (main)', 'external', 'OS threads', 'worker threads alive'],
          rows: shown.map((s) => [
            String(s.cycle),
            mb(s.rss),
            mb(s.heapUsed),
            mb(s.heapTotal),
            mb(s.external),
            s.osThreads === null ? '–' : String(s.osThreads),
            String(s.workers),
          ]),
          notes: [
            shown.length === samples.length
              ? 'every sample'
              : `every ${params.sampleEvery} cycles in the JSON and the chart; the table shows every ${params.sampleEvery * 4}th`,
          ],
        },
        {
          title: 'end state and cycle time',
          columns: ['', 'value'],
          rows: [
            [`RSS after ${params.cycles} − RSS after ${referenceCycle}`, `${growth >= 0 ? '+' : ''}${mb(growth)}`],
            [`RSS after ${params.cycles} − RSS after the first load`, `${mb(last.rss - samples[0].rss)}`],
            ['versions alive at the end (before close)', String(alive.length)],
            ['worker threads alive at the end (before close)', `${aliveThreads} (pool size ${THREADS} + ${THREADS} standby)`],
            ['OS threads at the end − after the first load', osThreadGrowth === null ? 'n/a (not Linux)' : String(osThreadGrowth)],
            ['failed calls / wrong-version answers', `${failed} / ${wrong}`],
            [`files in the cache folder after ${params.cycles} upgrades (leases included)`, String(last.cacheFiles)],
            [`cycle time, first ${early.length} cycles`, `${spread(summarize(early), 'ms')}, p95 ${ms(percentile(early, 95))}`],
            [`cycle time, last ${late.length} cycles`, `${spread(summarize(late), 'ms')}, p95 ${ms(percentile(late, 95))}`],
            [
              'switchMs p50, first vs last 100 upgrades',
              `${ms(percentile(switchMs.slice(0, 100), 50))} → ${ms(percentile(switchMs.slice(-100), 50))}`,
            ],
            ['total calls', num(params.cycles * params.callsPerCycle)],
            [
              `/metrics bytes after ${METRICS_REFERENCE_CYCLE} → after ${params.cycles} cycles`,
              `${num(metrics.reference)} → ${num(metrics.end)} (${(metrics.end / metrics.reference).toFixed(2)}×)`,
            ],
          ],
        },
      ],
      targets: [
        {
          name: `RSS after ${params.cycles} cycles vs after ${referenceCycle}${quick ? ' (quick: indicative)' : ''}`,
          figure: `${growth >= 0 ? '+' : ''}${mb(growth)}`,
          goal: `≤ +${TARGET_MB} MB`,
          met: growth <= TARGET_MB * 1e6,
          value: growth / 1e6,
        },
        {
          name: 'worker threads alive at the end = pool size + standby',
          figure: `${aliveThreads} in ${alive.length} version${alive.length === 1 ? '' : 's'}${osThreadGrowth === null ? '' : `, OS threads ${osThreadGrowth >= 0 ? '+' : ''}${osThreadGrowth}`}`,
          goal: `${2 * THREADS} (${THREADS} in 1 version + ${THREADS} standby), OS threads +0`,
          met: aliveThreads === 2 * THREADS && alive.length === 1 && (osThreadGrowth === null || osThreadGrowth === 0),
          value: aliveThreads,
        },
        {
          name: `files in the cache folder after ${params.cycles} upgrades, each a new bundle`,
          figure: String(last.cacheFiles),
          goal: `≤ ${CACHE_FILES_TARGET}`,
          met: last.cacheFiles <= CACHE_FILES_TARGET,
          value: last.cacheFiles,
        },
        {
          name: `/metrics size after ${params.cycles} cycles vs after ${METRICS_REFERENCE_CYCLE}`,
          figure: `${(metrics.end / metrics.reference).toFixed(2)}× (${num(metrics.end)} bytes)`,
          goal: `≤ ${METRICS_RATIO}×`,
          met: metrics.end <= METRICS_RATIO * metrics.reference,
          value: metrics.end / metrics.reference,
        },
      ],
      failures,
      charts: [{ name: 'soak-rss', title: 'RSS over upgrade cycles', spec: rssChart(samples, reference, params) }],
      data: { samples: samples.map(({ end: _end, ...s }) => s), cycleMs, switchMs, metricsBytes: metrics },
    };
  },
});

async function sample(cycle, module) {
  await steady(module);
  globalThis.gc?.();
  const memory = process.memoryUsage();
  const stats = module.stats;
  return {
    cycle,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    osThreads: osThreads(),
    workers: stats.alive.reduce((sum, generation) => sum + generation.threadIds.length, 0) + stats.standby.threadIds.length,
  };
}

/** Files under `dir`, subfolders included. */
function countFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
}

/** Threads of this process, from /proc (Linux); null elsewhere. */
function osThreads() {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  } catch {
    return null;
  }
}

function rssChart(samples, reference, params) {
  const values = samples.flatMap((s) => [
    { cycle: s.cycle, series: 'RSS (process)', MB: s.rss / 1e6 },
    { cycle: s.cycle, series: 'heap used (main thread)', MB: s.heapUsed / 1e6 },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    title: {
      text: `Memory over ${params.cycles} upgrade cycles (${params.threads} threads, ${params.callsPerCycle} calls per cycle)`,
      subtitle: `dashed: the target, RSS after cycle ${reference.cycle} + ${TARGET_MB} MB`,
    },
    width: 640,
    height: 280,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'cycle', type: 'quantitative', title: 'upgrade cycle' },
          y: { field: 'MB', type: 'quantitative', title: 'MB', scale: { zero: true } },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 300 } },
        },
      },
      {
        data: { values: [{ target: reference.rss / 1e6 + TARGET_MB }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#e45756' },
        encoding: { y: { field: 'target', type: 'quantitative' } },
      },
    ],
  };
}
