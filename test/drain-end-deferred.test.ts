/**
 * A version that stopped taking calls at a shift has its threads ended a little later
 * (dist/src/hot-module.js END_AFTER_SHIFT_MS), so that ending them does not take the CPU from
 * the new version's first calls: a drained generation waits for `endNotBefore` before it
 * terminates its workers, a destroy meanwhile ends it at once, and a drain cut short at its
 * deadline is never deferred. `upgrade()` still resolves only once the old threads are gone.
 */
import type { HotModule, UpgradeEvent } from 'hotworker';
import { describe, expect, it, vi } from 'vitest';
import { Generation } from '../dist/src/generation.js';
import { END_AFTER_SHIFT_MS } from '../dist/src/hot-module.js';
import { firstVersion, ONE_THREAD } from './support/generation.js';
import { type Workspace, workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

const FAR = 600_000;

async function generationOf(ws: Workspace): Promise<Generation> {
  const { artifact, version } = await firstVersion(ws, 'faults.ts');
  const generation = await Generation.start(artifact, version, ONE_THREAD);
  ws.defer(() => generation.destroy('test over'));
  return generation;
}

describe('ending a drained version after a shift', () => {
  it('waits for endNotBefore with its workers alive, and a destroy meanwhile ends it at once', async () => {
    const ws = workspace();
    const generation = await generationOf(ws);
    expect(await generation.run('echo', ['served'])).toBe('served');
    const threads = generation.threadIds;
    expect(threads).toHaveLength(1);
    let idle!: () => void;
    const disposed = new Promise<void>((resolve) => {
      idle = resolve;
    });
    let ended = false;
    const draining = generation
      .drain(Number.POSITIVE_INFINITY, async () => idle(), performance.now() + FAR)
      .finally(() => {
        ended = true;
      });
    await disposed;
    // Time has to pass to show that the end waits; the wait asked for is ten minutes.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended).toBe(false);
    expect(generation.threadIds).toEqual(threads);
    await generation.destroy('closing');
    expect(await draining).toMatchObject({ drained: 0, killed: 0 });
    expect(generation.threadIds).toEqual([]);
  });

  it('is not deferred once something else destroyed the pool before the wait began', async () => {
    const ws = workspace();
    const generation = await generationOf(ws);
    // beforeEnd runs just before the wait: a shutdown that lands then has already ended the pool.
    const drain = await generation.drain(Number.POSITIVE_INFINITY, () => generation.destroy('shutdown'), performance.now() + FAR);
    expect(drain).toMatchObject({ drained: 0, killed: 0 });
    expect(generation.threadIds).toEqual([]);
  });

  it('an idle generation drains at once, with or without a clean-up, and none runs once destroyed', async () => {
    const ws = workspace();
    const plain = await generationOf(ws);
    expect(await plain.drain(Number.POSITIVE_INFINITY)).toMatchObject({ drained: 0, killed: 0 });
    expect(plain.threadIds).toEqual([]);
    const destroyed = await generationOf(ws);
    await destroyed.destroy('shutdown');
    const cleanUp = vi.fn(async () => {});
    expect(await destroyed.drain(Number.POSITIVE_INFINITY, cleanUp, performance.now() + FAR)).toMatchObject({ drained: 0, killed: 0 });
    expect(cleanUp).not.toHaveBeenCalled();
  });

  it('a destroy during the drain: the calls it cut count as killed, those that finished before as drained', async () => {
    const ws = workspace();
    const generation = await generationOf(ws);
    const quick = generation.run('echo', ['first']);
    const stuck = generation.run('spin', []);
    stuck.catch(() => undefined);
    const draining = generation.drain(Number.POSITIVE_INFINITY, undefined, performance.now() + FAR);
    expect(await quick).toBe('first');
    await generation.destroy('shutdown');
    expect(await draining).toMatchObject({ drained: 1, killed: 1 });
    await expect(stuck).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
  });

  it('is not deferred for a drain cut short at its deadline', async () => {
    const ws = workspace();
    const generation = await generationOf(ws);
    const running = generation.run('spin', []);
    running.catch(() => undefined);
    const cleanUp = vi.fn(async () => {});
    const drain = await generation.drain(50, cleanUp, performance.now() + FAR);
    expect(drain).toMatchObject({ drained: 0, killed: 1 });
    // A worker still busy would never take the clean-up task.
    expect(cleanUp).not.toHaveBeenCalled();
    await expect(running).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
  });

  it('upgrade(): the old threads end END_AFTER_SHIFT_MS after the shift at the earliest, before upgrade() resolves', async () => {
    const ws = workspace();
    const mod: HotModule<Faults> = await ws.hot<Faults>(ws.copy('faults.ts', 'module.ts'), { threads: 1 });
    const old = mod.stats.alive[0]?.threadIds ?? [];
    expect(old).toHaveLength(1);
    const events: UpgradeEvent[] = [];
    mod.on('upgrade', (event) => events.push(event));
    let shiftedAt = 0;
    ws.write('module.ts', `${ws.fixture('faults.ts')}\nexport const changed = true;\n`);
    await mod.upgrade({
      onPhase: ({ phase }) => {
        if (phase === 'drain') shiftedAt = performance.now();
      },
    });
    const resolvedAt = performance.now();
    expect(shiftedAt).toBeGreaterThan(0);
    // Timers may fire up to a millisecond before performance.now() says the time has passed.
    expect(resolvedAt - shiftedAt).toBeGreaterThanOrEqual(END_AFTER_SHIFT_MS - 1);
    expect(events[0]?.drainMs).toBeGreaterThanOrEqual(END_AFTER_SHIFT_MS - 1);
    // The drain begins after the shift and ends before upgrade() resolves.
    expect(events[0]?.drainMs).toBeLessThanOrEqual(resolvedAt - shiftedAt);
    expect(mod.stats.alive).toHaveLength(1);
    expect(mod.stats.alive[0]?.threadIds.filter((id) => old.includes(id))).toEqual([]);
  });
});
