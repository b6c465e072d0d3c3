/**
 * The load proof leaves nothing behind once it has settled: no listener on the pool or its
 * workers, none on the module's close signal, and no timer (a 10-minute loadTimeout left
 * armed would keep the process alive that long).
 */
import { EventEmitter } from 'node:events';
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

const loadTimeout = 600_000;

/** Timers armed for about loadTimeout (the load proof's limits; no other timer is that long), and whether each was cleared. */
function watchLoadTimers(): () => boolean[] {
  const cleared = new Set<unknown>();
  const clear = globalThis.clearTimeout;
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation((timer) => {
    cleared.add(timer);
    clear(timer);
  });
  const arm = vi.spyOn(globalThis, 'setTimeout');
  return () =>
    arm.mock.calls.flatMap(([, ms], index) =>
      typeof ms === 'number' && ms > loadTimeout / 2 ? [cleared.has(arm.mock.results[index]?.value)] : [],
    );
}

/** The pools hotworker starts, seen through the probe that every load proof runs on its pool. */
function watchPools(): () => Piscina[] {
  const run = vi.spyOn(Piscina.prototype, 'run');
  return () => [...new Set(run.mock.contexts as Piscina[])];
}

/** How many 'exit' listeners piscina itself puts on a worker: those of a plain pool. */
async function piscinasOwnExitListeners(): Promise<number> {
  const pool = new Piscina({ filename: new URL('./fixtures/scripts/noop-task.cjs', import.meta.url).href, minThreads: 1 });
  try {
    await pool.run(undefined);
    const [worker] = pool.threads;
    return worker?.listenerCount('exit') ?? Number.NaN;
  } finally {
    await pool.destroy();
  }
}

const defaultMaxListeners = EventEmitter.defaultMaxListeners;
afterEach(() => {
  vi.restoreAllMocks();
  EventEmitter.defaultMaxListeners = defaultMaxListeners;
});

describe('the load proof cleans up after itself', () => {
  it('after a load: the pool keeps only its crash watch, view keeper, exit settler, task placement and idle-watch warning, the workers no listener of the proof', async () => {
    const expectedExitListeners = await piscinasOwnExitListeners();
    const pools = watchPools();
    const ws = workspace();
    await ws.hot(ws.copy('math.ts'), { threads: 2, loadTimeout });
    const [pool, ...others] = pools();
    expect(others).toEqual([]);
    // The one left keeps each worker's balancer view (src/piscina-views.ts), settles the tasks
    // of a worker that exits (src/exit-settle.ts), follows which tasks each worker holds
    // (src/task-placement.ts), and hears a worker whose idle watch failed (src/pool.ts), for
    // the pool's life.
    expect(pool?.listenerCount('workerCreate')).toBe(3);
    expect(pool?.listenerCount('message')).toBe(3);
    expect(pool?.threads).toHaveLength(2);
    // On each worker, the exit settler's 'exit' listener beside piscina's own.
    for (const worker of pool?.threads ?? []) expect(worker.listenerCount('exit')).toBe(expectedExitListeners + 1);
  });

  it('after a load, and after one that failed: every timer of the proof is cleared', async () => {
    const ws = workspace();
    const loaded = watchLoadTimers();
    await ws.hot(ws.copy('math.ts'), { threads: 1, loadTimeout });
    // One limit for the workers to load, one for the probe to answer.
    expect(loaded()).toEqual([true, true]);
    vi.restoreAllMocks();
    const failed = watchLoadTimers();
    await expect(ws.hot(ws.copy('throws-at-load.ts'), { threads: 1, loadTimeout })).rejects.toMatchObject({ code: 'ERR_HOT_LOAD' });
    expect(failed()).toEqual([true]);
  });

  it('upgrade after upgrade: the module’s close signal gathers no abort listener', async () => {
    // An AbortSignal warns once it holds more abort listeners than this (read when it is made).
    EventEmitter.defaultMaxListeners = 3;
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const ws = workspace();
    ws.defer(() => process.off('warning', onWarning));
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, loadTimeout });
    for (let version = 2; version <= 6; version++) {
      ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', `VERSION = ${version}`));
      await mod.upgrade();
    }
    expect(await mod.api.version()).toBe(6);
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((warning) => /abort listeners/.test(warning.message))).toEqual([]);
  });
});
