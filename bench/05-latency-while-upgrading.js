/**
 * 5. Latency while upgrading: 8 callers call in a loop while the module is upgraded every
 * second for 20 s. Every call must succeed: one failure fails the scenario (and the bench run).
 * Every answer must come from a version that was serving when the call started.
 *
 * Each run: a warm-up (discarded), a steady phase with no upgrade (the steady p99), then the
 * upgrade phase. The "second after an upgrade" holds the calls that started within 1,000 ms
 * of that `upgrade()` call; its p99 is compared with the steady p99 of the same run.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { hot } from 'hotworker';
import { num, ratio, spread } from './lib/format.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { latencyPercentiles, percentile, summarize } from './lib/stats.js';
import { upgradable } from './lib/upgradable.js';

const TARGET = 3;
const CALLERS = 8;
const THREADS = 2;
const WINDOW_MS = 1_000;

export default defineScenario(import.meta.url, {
  id: '05',
  title: `Latency while upgrading: ${CALLERS} callers in a loop, an upgrade every second`,
  async run({ quick, scratch }) {
    const params = {
      runs: quick ? 1 : 3,
      warmupMs: quick ? 300 : 1_000,
      steadyMs: quick ? 500 : 4_000,
      upgradingMs: quick ? 1_000 : 20_000,
      upgradeEveryMs: 1_000,
      callers: CALLERS,
      threads: THREADS,
    };
    const runMs = params.warmupMs + params.steadyMs + params.upgradingMs;
    const progress = new Progress('latency while upgrading', params.runs * runMs);
    const runs = [];
    for (let run = 0; run < params.runs; run++)
      runs.push(await oneRun(scratch(), params, (elapsed) => progress.set(run * runMs + elapsed)));
    progress.done();
    return summarizeRuns(runs, params);
  },
});

async function oneRun(dir, params, onProgress) {
  const source = upgradable(dir);
  const module = await hot(source.entry, { threads: THREADS, cacheDir: join(dir, '.hotworker') });
  const calls = { start: [], latency: [], tag: [] };
  const errors = [];
  const upgrades = [];
  let tag = 'A';
  let running = true;
  const t0 = performance.now();
  const callers = Array.from({ length: params.callers }, async (_, caller) => {
    for (let i = 0; running; i++) {
      const started = performance.now();
      try {
        const answer = await module.api.work(i);
        calls.start.push(started - t0);
        calls.latency.push(performance.now() - started);
        calls.tag.push(answer.slice(0, answer.indexOf(':')));
      } catch (error) {
        errors.push({ at: started - t0, caller, error: String(error?.stack ?? error) });
      }
    }
  });
  const ticker = setInterval(() => onProgress(performance.now() - t0), 250);
  try {
    await sleepUntil(t0 + params.warmupMs + params.steadyMs);
    const upgradesStart = performance.now() - t0;
    for (let k = 0; k * params.upgradeEveryMs < params.upgradingMs; k++) {
      // Each upgrade at its second; one that overran starts the next at once (upgrades queue anyway).
      await sleepUntil(t0 + upgradesStart + k * params.upgradeEveryMs);
      // A fresh tag per version, so an answer from any earlier version (not only the one
      // just replaced) is seen as such.
      const from = tag;
      tag = `U${k + 1}`;
      source.setTag(tag);
      const event = once(module, 'upgrade');
      const start = performance.now() - t0;
      await module.upgrade();
      const [{ switchMs, drainMs, drained, killed }] = await event;
      upgrades.push({
        start,
        switchAt: start + switchMs,
        end: performance.now() - t0,
        switchMs,
        drainMs,
        drained,
        killed,
        from,
        to: tag,
      });
    }
    await sleepUntil(t0 + params.warmupMs + params.steadyMs + params.upgradingMs);
  } finally {
    running = false;
    clearInterval(ticker);
    // A call that never settles is a failure to report, not a reason to hang the suite.
    const stuck = await settledWithin(callers, 10_000);
    if (stuck > 0)
      errors.push({
        at: performance.now() - t0,
        caller: -1,
        error: `${stuck} callers still waiting 10 s after the end: a call never settled`,
      });
    await module.close();
  }
  return { calls, errors, upgrades, wrongVersion: wrongVersions(calls, upgrades) };
}

/**
 * Answers from a version that was not serving when the call started: before the first
 * upgrade only A; between upgrade k's end and upgrade k+1's start only k's new tag; during an
 * upgrade, its old or new tag.
 */
function wrongVersions(calls, upgrades) {
  let wrong = 0;
  let u = 0;
  for (let i = 0; i < calls.start.length; i++) {
    const at = calls.start[i];
    while (u < upgrades.length && upgrades[u].end <= at) u++;
    const during = u < upgrades.length && upgrades[u].start <= at;
    const allowed = during ? [upgrades[u].from, upgrades[u].to] : [u === 0 ? 'A' : upgrades[u - 1].to];
    if (!allowed.includes(calls.tag[i])) wrong++;
  }
  return wrong;
}

function summarizeRuns(runs, params) {
  const steadyFrom = params.warmupMs;
  const steadyTo = params.warmupMs + params.steadyMs;
  const perRun = runs.map((run) => {
    const { start, latency } = run.calls;
    const steady = latency.filter((_, i) => start[i] >= steadyFrom && start[i] < steadyTo);
    const steadyP = latencyPercentiles(steady);
    const windows = run.upgrades.map((upgrade) => {
      const inWindow = latency.filter((_, i) => start[i] >= upgrade.start && start[i] < upgrade.start + WINDOW_MS);
      return { ...latencyPercentiles(inWindow), ratio: percentile(inWindow, 99) / steadyP.p99 };
    });
    const upgrading = latency.filter((_, i) => start[i] >= steadyTo);
    return { steady: steadyP, windows, upgrading: latencyPercentiles(upgrading), worstRatio: Math.max(...windows.map((w) => w.ratio)) };
  });
  const allWindows = perRun.flatMap((run) => run.windows);
  const failed = runs.reduce((sum, run) => sum + run.errors.length, 0);
  const wrong = runs.reduce((sum, run) => sum + run.wrongVersion, 0);
  const totalCalls = runs.reduce((sum, run) => sum + run.calls.start.length + run.errors.length, 0);
  const upgrades = runs.flatMap((run) => run.upgrades);
  const killed = upgrades.reduce((sum, u) => sum + u.killed, 0);
  const worst = summarize(perRun.map((run) => run.worstRatio));
  const failures = [];
  if (failed > 0)
    failures.push(`${failed} of ${totalCalls} calls failed while upgrading; first: ${runs.find((r) => r.errors.length)?.errors[0].error}`);
  if (wrong > 0) failures.push(`${wrong} calls were answered by a version that was not serving when they started`);
  const s = (pick) => spread(summarize(perRun.map(pick)), 'ms');
  return {
    params,
    tables: [
      {
        title: `call latency, median (min–max) over ${runs.length} run${runs.length > 1 ? 's' : ''}`,
        columns: ['phase', 'p50', 'p99', 'max'],
        rows: [
          ['steady (no upgrade)', s((r) => r.steady.p50), s((r) => r.steady.p99), s((r) => r.steady.max)],
          ['whole upgrade phase', s((r) => r.upgrading.p50), s((r) => r.upgrading.p99), s((r) => r.upgrading.max)],
          [
            `second after an upgrade (each of ${allWindows.length})`,
            spread(summarize(allWindows.map((w) => w.p50)), 'ms'),
            spread(summarize(allWindows.map((w) => w.p99)), 'ms'),
            spread(summarize(allWindows.map((w) => w.max)), 'ms'),
          ],
        ],
      },
      {
        title: 'calls and upgrades',
        columns: ['', 'value'],
        rows: [
          ['calls (all runs)', num(totalCalls)],
          ['failed calls', String(failed)],
          ['answers from a version not serving at call start', String(wrong)],
          ['upgrades', String(upgrades.length)],
          ['switchMs, median (min–max)', spread(summarize(upgrades.map((u) => u.switchMs)), 'ms')],
          ['drainMs, median (min–max)', spread(summarize(upgrades.map((u) => u.drainMs)), 'ms')],
          ['calls killed at drain deadline', String(killed)],
          ['p99 of a second after an upgrade / steady p99', ratio(summarize(allWindows.map((w) => w.ratio)))],
          ['worst such second per run / steady p99', ratio(worst)],
        ],
      },
    ],
    targets: [
      { name: 'failed calls while upgrading', figure: `${failed} of ${num(totalCalls)}`, goal: '0', met: failed === 0, value: failed },
      {
        name: 'p99 in the second after each upgrade vs steady p99 (worst upgrade of the run)',
        figure: ratio(worst),
        goal: `≤ ${TARGET}×`,
        met: worst.median <= TARGET,
        value: worst.median,
      },
    ],
    failures,
    charts: [{ name: 'latency-while-upgrading', title: 'Call latency over time, upgrades marked', spec: latencyChart(runs[0], params) }],
    data: {
      perRun,
      upgrades: runs.map((run) => run.upgrades),
      errors: runs.map((run) => run.errors.slice(0, 20)),
    },
  };
}

/** p50, p99 and max per 100 ms of run 1, with each upgrade from `upgrade()` to the shift shaded. */
function latencyChart(run, params) {
  const bucketMs = 100;
  const buckets = new Map();
  run.calls.start.forEach((at, i) => {
    if (at < params.warmupMs) return;
    const key = Math.floor(at / bucketMs);
    if (!buckets.has(key)) buckets.set(key, []);
    buckets.get(key).push(run.calls.latency[i]);
  });
  const points = [];
  for (const [key, values] of [...buckets].sort((a, b) => a[0] - b[0])) {
    const p = latencyPercentiles(values);
    const t = (key * bucketMs) / 1000;
    points.push({ t, series: 'p50', ms: p.p50 }, { t, series: 'p99', ms: p.p99 }, { t, series: 'max', ms: p.max });
  }
  const upgrades = run.upgrades.map((u) => ({ start: u.start / 1000, switched: u.switchAt / 1000, end: u.end / 1000 }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    title: {
      text: `Call latency while upgrading every second (${params.callers} callers, ${params.threads} threads)`,
      subtitle: 'per 100 ms of run 1; shaded: upgrade() → traffic shifted; red rule: upgrade() called',
    },
    width: 720,
    height: 300,
    layer: [
      {
        data: { values: upgrades },
        mark: { type: 'rect', color: '#f58518', opacity: 0.25 },
        encoding: { x: { field: 'start', type: 'quantitative' }, x2: { field: 'switched' } },
      },
      {
        data: { values: upgrades },
        mark: { type: 'rule', color: '#e45756', strokeWidth: 1 },
        encoding: { x: { field: 'start', type: 'quantitative' } },
      },
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.2 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds since the callers started' },
          y: { field: 'ms', type: 'quantitative', title: 'call latency (ms, log)', scale: { type: 'log' } },
          color: {
            field: 'series',
            type: 'nominal',
            sort: ['p50', 'p99', 'max'],
            title: null,
            scale: { range: ['#4c78a8', '#54a24b', '#bab0ac'] },
          },
        },
      },
    ],
  };
}

/** How many of `promises` are still pending after `ms`. */
async function settledWithin(promises, ms) {
  let pending = promises.length;
  const all = Promise.all(promises.map((promise) => promise.finally(() => pending--)));
  let timer;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  return pending;
}

async function sleepUntil(deadline) {
  const wait = deadline - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
