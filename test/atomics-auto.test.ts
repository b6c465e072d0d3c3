/**
 * The default wait, `atomics: 'auto'`: an idle worker blocks in Atomics.wait (piscina's fast
 * wake) while nothing is left for its event loop, and turns that loop while idle from the moment
 * a call or the module's load leaves something (workers/idle-turn.ts).
 */
import type { HotModule } from 'hotworker';
import { afterAll, describe, expect, it } from 'vitest';
import { newFlag, whenSet } from './support/flag.js';
import { workspace } from './support/workspace.js';

type IdleWork = typeof import('./fixtures/idle-work.ts');
type LoadTimer = typeof import('./fixtures/load-timer.ts');

/** How long an unref'd 1 ms timer is given to fire in a blocked worker: the wait only bounds that "never". */
const NEVER_MS = 300;

// Over the whole file: the host warns at most once per process, so a warning raised by any
// module here (none should be) would be missed by a check in a later test.
const warnings: string[] = [];
const onWarning = (warning: Error & { code?: string }): void => {
  warnings.push(warning.code ?? warning.message);
};
process.on('warning', onWarning);
afterAll(() => {
  process.off('warning', onWarning);
  expect(warnings).toEqual([]);
});

async function idleWork(options: { atomics?: 'auto' | 'async' } = {}): Promise<HotModule<IdleWork>> {
  const ws = workspace();
  return ws.hot<IdleWork>(ws.copy('idle-work.ts'), { threads: 1, standby: false, ...options });
}

describe("atomics: 'auto', the default", () => {
  it('an idle worker with nothing left blocks: an unref’d timer a call leaves does not fire until a call turns the loop', async () => {
    const mod = await idleWork();
    const first = newFlag();
    expect(await mod.api.leaveUnrefTimer(first)).toBe('left');
    expect(await whenSet(first, NEVER_MS)).toBe('timed-out');
    // With 'async' the same timer fires while the worker is idle.
    const other = await idleWork({ atomics: 'async' });
    const second = newFlag();
    expect(await other.api.leaveUnrefTimer(second)).toBe('left');
    expect(await whenSet(second, 10_000)).not.toBe('timed-out');
  });

  it('a timer a call leaves fires while the worker is idle, and from then on the worker turns its loop whenever idle', async () => {
    const mod = await idleWork();
    const left = newFlag();
    expect(await mod.api.leaveTimer(left)).toBe('left');
    expect(await whenSet(left, 10_000)).not.toBe('timed-out');
    // Even work that keeps no ref now runs while idle.
    const unref = newFlag();
    expect(await mod.api.leaveUnrefTimer(unref)).toBe('left');
    expect(await whenSet(unref, 10_000)).not.toBe('timed-out');
  });

  it('a port a call leaves listening is read while the worker is idle', async () => {
    const mod = await idleWork();
    const flag = newFlag();
    expect(await mod.api.leavePort(flag)).toBe('left');
    expect(await whenSet(flag, 10_000)).not.toBe('timed-out');
  });

  it('a timer the module starts as it loads fires while the worker is idle', async () => {
    const ws = workspace();
    const mod = await ws.hot<LoadTimer>(ws.copy('load-timer.ts'), { threads: 1, standby: false });
    expect(await whenSet(await mod.api.loaded(), 10_000)).not.toBe('timed-out');
  });

  it('a worker that turns its loop keeps answering, upgrades and closes, with no stray answer', async () => {
    const ws = workspace();
    const mod = await ws.hot<IdleWork>(ws.copy('idle-work.ts'), { threads: 2, standby: false });
    const errors: unknown[] = [];
    mod.on('crash', (event) => errors.push(event));
    await Promise.all([newFlag(), newFlag()].map((flag) => mod.api.leaveTimer(flag)));
    const inputs = Array.from({ length: 200 }, (_, i) => i);
    expect(await Promise.all(inputs.map((n) => mod.api.double(n)))).toEqual(inputs.map((n) => n * 2));
    expect(await mod.map('double', inputs)).toEqual(inputs.map((n) => n * 2));
    ws.write('idle-work.ts', `${ws.fixture('idle-work.ts')}\nexport const edition = 2;\n`);
    await mod.upgrade();
    expect(mod.version.id).toBe(2);
    expect(await mod.api.double(21)).toBe(42);
    await mod.close();
    expect(errors).toEqual([]);
  });

  it('a call that writes to stdout leaves nothing behind: the worker still blocks', async () => {
    const mod = await idleWork();
    expect(await mod.api.write('\n')).toBe('written');
    const flag = newFlag();
    expect(await mod.api.leaveUnrefTimer(flag)).toBe('left');
    expect(await whenSet(flag, NEVER_MS)).toBe('timed-out');
    expect(await mod.api.turnLoop(flag)).toBe(1);
  });

  it('a call with a callback leaves nothing behind: its closed channel does not keep the worker from blocking', async () => {
    const mod = await idleWork();
    expect(await mod.api.callBack(() => 1)).toBe('called');
    const flag = newFlag();
    expect(await mod.api.leaveUnrefTimer(flag)).toBe('left');
    expect(await whenSet(flag, NEVER_MS)).toBe('timed-out');
    expect(await mod.api.turnLoop(flag)).toBe(1);
  });
});
