/**
 * Everything scenarios 1–3 compare, behind one shape:
 *
 *   { name, label, open(threads, { scratch }) → { call(x), fib(n), close() } }
 *
 * `call(x)` runs the trivial function, `fib(n)` the CPU-bound one. Every pool gets exactly
 * `threads` threads (min = max) and is otherwise left at its defaults, except raw piscina,
 * which gets hotworker's own piscina options so that the ratio to it is hotworker's overhead.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hot } from 'hotworker';
import { Piscina } from 'piscina';
import { FixedThreadPool } from 'poolifier';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { fib, noop } from '../fixtures/work.js';
import { PISCINA_DEFAULTS, PISCINA_HOTWORKER_OPTIONS } from './baselines.js';
import { openingOrder } from './interleave.js';
import { steady } from './steady.js';

const fixture = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/**
 * The piscina options hotworker passes for every version (src/pool.ts), with `atomics: 'async'`:
 * hotworker's default `'auto'` passes `'sync'` and watches each worker's wait
 * (workers/idle-turn.ts), which raw piscina cannot do, so the raw pool takes the mode whose idle
 * worker keeps its event loop running, as `'auto'` does once a call leaves work behind.
 */
export function hotworkerPiscinaOptions(threads) {
  return {
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 10_000,
    maxQueue: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    atomics: 'async',
  };
}

/** The function called in-process: no thread, no copy. Independent of `threads`. */
export const direct = {
  name: 'direct',
  label: 'direct call (in-process)',
  open: async () => ({ call: (x) => noop(x), fib: (n) => fib(n), close: async () => {} }),
};

/**
 * The floor: bare `worker_threads` workers answering on their port. Calls go round-robin;
 * each worker answers in order, so a FIFO of resolvers per worker is all the bookkeeping.
 */
export const messagePort = {
  name: 'messageport',
  label: 'worker_threads MessagePort (floor)',
  async open(threads) {
    const workers = Array.from({ length: threads }, () => new Worker(fixture('echo-worker.js')));
    const waiting = workers.map(() => []);
    for (const [i, worker] of workers.entries()) {
      worker.on('message', (value) => waiting[i].shift()(value));
    }
    let next = 0;
    return {
      call(x) {
        const i = next;
        next = (next + 1) % threads;
        return new Promise((resolve) => {
          waiting[i].push(resolve);
          workers[i].postMessage(x);
        });
      },
      fib: undefined,
      close: () => Promise.all(workers.map((worker) => worker.terminate())),
    };
  },
};

export const piscina = {
  name: 'piscina',
  label: PISCINA_HOTWORKER_OPTIONS,
  async open(threads) {
    const pool = new Piscina({ filename: fixture('piscina-handler.js'), ...hotworkerPiscinaOptions(threads) });
    return { call: (x) => pool.run(x), fib: (n) => pool.run(n, { name: 'fib' }), close: () => pool.destroy() };
  },
};

/** piscina as a user would start it: its defaults (atomics: 'sync'), only the thread count set. */
export const piscinaAtomics = {
  name: 'piscina-atomics',
  label: PISCINA_DEFAULTS,
  async open(threads) {
    const pool = new Piscina({ filename: fixture('piscina-handler.js'), minThreads: threads, maxThreads: threads });
    return { call: (x) => pool.run(x), fib: (n) => pool.run(n, { name: 'fib' }), close: () => pool.destroy() };
  },
};

/**
 * piscina with hotworker's options but `atomics: 'disabled'`: the other mode in which an idle
 * worker's event loop keeps running (the guarantee hotworker's `'async'` and `'auto'` keep).
 * Measured beside 'async' so the choice between the two stays a figure of every run.
 */
export const piscinaDisabled = {
  name: 'piscina-disabled',
  label: 'piscina (atomics: disabled)',
  async open(threads) {
    const pool = new Piscina({ filename: fixture('piscina-handler.js'), ...hotworkerPiscinaOptions(threads), atomics: 'disabled' });
    return { call: (x) => pool.run(x), fib: (n) => pool.run(n, { name: 'fib' }), close: () => pool.destroy() };
  },
};

export const tinypool = {
  name: 'tinypool',
  label: 'tinypool',
  async open(threads) {
    const pool = new Tinypool({ filename: fixture('piscina-handler.js'), minThreads: threads, maxThreads: threads, idleTimeout: 10_000 });
    return { call: (x) => pool.run(x), fib: (n) => pool.run(n, { name: 'fib' }), close: () => pool.destroy() };
  },
};

export const workerpoolContender = {
  name: 'workerpool',
  label: 'workerpool',
  async open(threads) {
    const pool = workerpool.pool(fixture('workerpool-worker.js'), { minWorkers: threads, maxWorkers: threads, workerType: 'thread' });
    return { call: (x) => pool.exec('noop', [x]), fib: (n) => pool.exec('fib', [n]), close: () => pool.terminate() };
  },
};

export const poolifier = {
  name: 'poolifier',
  label: 'poolifier',
  async open(threads) {
    const pool = new FixedThreadPool(threads, fixture('poolifier-worker.js'), {
      errorHandler: (error) => console.error('poolifier worker error', error),
    });
    return { call: (x) => pool.execute(x, 'noop'), fib: (n) => pool.execute(n, 'fib'), close: () => pool.destroy() };
  },
};

/** A hotworker module with `options`, not yet steady: {@link openAll} waits for every module it opened at once. */
function openHot(threads, scratch, options = {}) {
  return hot(fixture('work.js'), { threads, standbyDelay: 0, cacheDir: join(scratch, '.hotworker'), ...options });
}

export const hotworkerApi = {
  name: 'hotworker-api',
  label: 'hotworker api.noop()',
  async open(threads, { scratch }) {
    const module = await openHot(threads, scratch);
    // Read the function off the proxy on every call, as user code does.
    return { call: (x) => module.api.noop(x), fib: (n) => module.api.fib(n), close: () => module.close(), module };
  },
};

export const hotworkerCall = {
  name: 'hotworker-call',
  label: "hotworker call('noop')",
  async open(threads, { scratch }) {
    const module = await openHot(threads, scratch);
    return { call: (x) => module.call('noop', x), fib: (n) => module.call('fib', n), close: () => module.close(), module };
  },
};

/**
 * A hotworker module with `atomics: 'sync'`: idle workers block in Atomics.wait, as in
 * piscina's defaults (the module option for functions that leave nothing running).
 */
export const hotworkerSync = {
  name: 'hotworker-sync',
  label: "hotworker api.noop() (atomics: 'sync')",
  async open(threads, { scratch }) {
    const module = await openHot(threads, scratch, { atomics: 'sync' });
    return { call: (x) => module.api.noop(x), fib: (n) => module.api.fib(n), close: () => module.close(), module };
  },
};

/**
 * A hotworker module with `coalesce: false`: every call a task of its own, even while calls
 * wait for a thread. Its path is piscina's, plus hotworker's own work per call.
 */
export const hotworkerSolo = {
  name: 'hotworker-solo',
  label: 'hotworker api.noop() (coalesce: false)',
  async open(threads, { scratch }) {
    const module = await openHot(threads, scratch, { coalesce: false });
    return { call: (x) => module.api.noop(x), fib: (n) => module.api.fib(n), close: () => module.close(), module };
  },
};

/** The peers, for "best peer" figures. */
export const peers = [tinypool, workerpoolContender, poolifier];

/** Everything that runs in worker threads, floor first. */
export const threaded = [messagePort, piscina, piscinaAtomics, piscinaDisabled, ...peers, hotworkerApi, hotworkerCall];

/**
 * Opens every contender for run `run`, in {@link openingOrder}: of identical pools, the one
 * opened earlier measured slower (about 7 % for three piscina pools, ~10 % between
 * hotworker's api and call contenders, same code on the same kind of pool). Rotating, and
 * reversing every other run, puts every pair of contenders in both orders.
 * @returns `{ contender, handle }` per contender, for {@link closeAll}
 */
export async function openAll(contenders, threads, run, scratch) {
  const open = [];
  for (const contender of openingOrder(contenders, run)) open.push({ contender, handle: await contender.open(threads, { scratch }) });
  await steadyAll(open);
  return open;
}

/**
 * Waits until every hotworker module among opened contenders has booted its standby threads
 * (lib/steady.js): they are measured in that state. Waited for together, since each boots two
 * seconds after its module opened.
 */
export async function steadyAll(opened) {
  await Promise.all(opened.map(({ handle }) => (handle.module === undefined ? undefined : steady(handle.module))));
}

/**
 * Closes opened contenders one at a time, each within `timeoutMs`. A close that never settles
 * is reported, not waited on: poolifier 5.3's `destroy()` has been seen to stay pending forever
 * when several pools close at once on one CPU, and with no handle left the process would then
 * exit silently in the middle of a scenario.
 * @returns the names whose close did not settle in time
 */
export async function closeAll(opened, timeoutMs = 1_000) {
  const hung = [];
  for (const { contender, handle } of opened) {
    let timer;
    const deadline = new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs, 'timeout');
    });
    const outcome = await Promise.race([handle.close().then(() => 'closed'), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') hung.push(contender.name);
  }
  return hung;
}
