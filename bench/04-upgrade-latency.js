/**
 * 4. Upgrade latency: upgrades of a small module (entry + 2 imports), content alternating.
 *
 * - switchMs: from `upgrade()` to traffic shifted, i.e. to the first call the new version can
 *   answer (the library's own figure, from the 'upgrade' event); drainMs: from the shift to
 *   the old pool gone; "upgrade() resolved": the whole procedure as a caller awaits it.
 * - The floor, measured in the same run and interleaved with the upgrades: the same esbuild
 *   build (buildArtifact) plus a fresh piscina pool, with hotworker's options, that imports
 *   the bundle and returns its first result. No upgrade can be faster than that.
 * - Standby (on by default): each upgrade waits until the standby threads booted after the
 *   previous shift are ready, as they are when upgrades are seconds apart; the table counts
 *   the upgrades that ran on them (an upgrade that finds them not ready boots threads).
 * - Serving: a few more upgrades while one caller calls in a loop, timing the first answer
 *   that actually comes from the new version.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { buildArtifact, hot } from 'hotworker';
import { Piscina } from 'piscina';
import { hotworkerPiscinaOptions } from './lib/contenders.js';
import { ratio, spread } from './lib/format.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { latencyPercentiles, pairedRatio, summarize } from './lib/stats.js';
import { steady } from './lib/steady.js';
import { upgradable } from './lib/upgradable.js';

const TARGET = 0.3;
const THREADS = 2;
const floorWorker = fileURLToPath(new URL('./fixtures/floor-worker.cjs', import.meta.url));

export default defineScenario(import.meta.url, {
  id: '04',
  title: 'Upgrade latency: a small module (entry + 2 imports), alternating content',
  async run({ quick, scratch }) {
    const params = { runs: quick ? 1 : 3, upgradesPerRun: quick ? 2 : 50, servingUpgradesPerRun: quick ? 2 : 10, threads: THREADS };
    const progress = new Progress('upgrade latency', params.runs * (params.upgradesPerRun + params.servingUpgradesPerRun));
    const runs = [];
    for (let run = 0; run < params.runs; run++) runs.push(await oneRun(scratch(), params, progress));
    progress.done();

    const series = (key) => runs.map((run) => run[key]);
    const p = (key, q) => series(key).map((samples) => latencyPercentiles(samples)[q]);
    const row = (label, key) => [label, spread(summarize(p(key, 'p50')), 'ms'), spread(summarize(p(key, 'p95')), 'ms')];
    const switchVsFloor = pairedRatio(p('switchMs', 'p50'), p('floorMs', 'p50'));
    return {
      params,
      tables: [
        {
          title: `${params.upgradesPerRun} upgrades per run, no traffic; median (min–max) over ${params.runs} run${params.runs > 1 ? 's' : ''}`,
          columns: ['', 'p50', 'p95'],
          rows: [
            row('switchMs: upgrade() → new version serving', 'switchMs'),
            row('drainMs: shift → old pool gone', 'drainMs'),
            row('upgrade() resolved', 'upgradeMs'),
            row('floor: build + fresh piscina first result', 'floorMs'),
            row('  of which esbuild build (buildArtifact)', 'floorBuildMs'),
            row('  of which fresh pool → first result', 'floorPoolMs'),
            ['switch p50 / floor p50', ratio(switchVsFloor), ''],
            [
              'upgrades that ran on standby threads',
              `${series('standby').flat().filter(Boolean).length} of ${series('standby').flat().length}`,
              '',
            ],
          ],
        },
        {
          title: `${params.servingUpgradesPerRun} upgrades per run while 1 caller calls in a loop`,
          columns: ['', 'p50', 'p95'],
          rows: [row('upgrade() → first answer from the new version', 'firstAnswerMs'), row('switchMs under load', 'servingSwitchMs')],
        },
      ],
      targets: [
        {
          name: 'upgrade switch p50 vs floor (esbuild build + fresh piscina first result)',
          figure: ratio(switchVsFloor),
          goal: `≤ ${TARGET}×`,
          met: switchVsFloor.median <= TARGET,
          value: switchVsFloor.median,
        },
      ],
      data: { runs },
    };
  },
});

async function oneRun(dir, params, progress) {
  const source = upgradable(dir);
  const cacheDir = `${dir}/.hotworker`;
  const module = await hot(source.entry, { threads: THREADS, cacheDir });
  const samples = {
    switchMs: [],
    drainMs: [],
    upgradeMs: [],
    floorMs: [],
    floorBuildMs: [],
    floorPoolMs: [],
    firstAnswerMs: [],
    servingSwitchMs: [],
    standby: [],
  };
  const events = [];
  module.on('upgrade', (event) => events.push(event));
  let tag = 'A';
  const nextTag = () => {
    tag = tag === 'A' ? 'B' : 'A';
    source.setTag(tag);
    return tag;
  };
  try {
    for (let i = 0; i < params.upgradesPerRun; i++) {
      const expected = nextTag();
      // Alternate which goes first, so neither always finds the machine in the other's wake.
      const steps = [() => upgradeOnce(module, expected, samples), () => floorOnce(source.entry, cacheDir, expected, samples)];
      if (i % 2 === 1) steps.reverse();
      for (const step of steps) await step();
      progress.tick();
    }
    await serving(module, params.servingUpgradesPerRun, nextTag, samples, progress);
  } finally {
    await module.close();
  }
  return samples;
}

async function upgradeOnce(module, expected, samples) {
  await steady(module);
  const event = once(module, 'upgrade');
  const started = performance.now();
  const version = await module.upgrade();
  samples.upgradeMs.push(performance.now() - started);
  const [{ switchMs, drainMs, killed, standby }] = await event;
  samples.standby.push(standby);
  if (killed > 0) throw new Error(`an upgrade with no traffic killed ${killed} calls`);
  samples.switchMs.push(switchMs);
  samples.drainMs.push(drainMs);
  const answer = await module.api.version();
  if (answer !== expected) throw new Error(`version ${version.id} answered ${answer}, expected ${expected}`);
}

async function floorOnce(entry, cacheDir, expected, samples) {
  const started = performance.now();
  const artifact = await buildArtifact(entry, cacheDir);
  const built = performance.now();
  const pool = new Piscina({ filename: floorWorker, workerData: { bundle: artifact.url }, ...hotworkerPiscinaOptions(THREADS) });
  const answer = await pool.run('version');
  const answered = performance.now();
  await pool.destroy();
  if (answer !== expected) throw new Error(`the floor's fresh pool answered ${answer}, expected ${expected}`);
  samples.floorMs.push(answered - started);
  samples.floorBuildMs.push(built - started);
  samples.floorPoolMs.push(answered - built);
}

/** Upgrades while one caller calls `version()` back to back; times the first new answer. */
async function serving(module, upgrades, nextTag, samples, progress) {
  let running = true;
  let expected;
  let firstNew;
  const caller = (async () => {
    while (running) {
      const answer = await module.api.version();
      if (answer === expected && firstNew === undefined) firstNew = performance.now();
    }
  })();
  for (let i = 0; i < upgrades; i++) {
    firstNew = undefined;
    expected = nextTag();
    const event = once(module, 'upgrade');
    const started = performance.now();
    await module.upgrade();
    const [{ switchMs }] = await event;
    while (firstNew === undefined) await new Promise((resolve) => setImmediate(resolve));
    samples.firstAnswerMs.push(firstNew - started);
    samples.servingSwitchMs.push(switchMs);
    progress.tick();
  }
  running = false;
  await caller;
}
