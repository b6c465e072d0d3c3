import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { canCountThreads, osThreadCount, threadsAfterSettling } from './support/threads.js';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

describe('lifecycle races', () => {
  it('rollback racing upgrade: they run in call order', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1 });
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 3'));
    const [upgraded, rolledBack] = await Promise.all([mod.upgrade(), mod.rollback()]);
    expect(upgraded.id).toBe(3);
    expect(rolledBack.id).toBe(2);
    expect(await mod.api.version()).toBe(2);
    expect(mod.stats.alive).toHaveLength(1);
  });

  it('close() during an upgrade that is loading: the upgrade rejects ERR_HOT_CLOSED and no worker is left', async () => {
    const ws = workspace();
    const threadsBefore = osThreadCount();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 2, loadTimeout: 60_000 });
    ws.write('versioned.ts', ws.fixture('loops-at-load.ts'));
    const upgrading = mod.upgrade({ allowBreaking: true }).catch((error: unknown) => error);
    // Wait until the new pool's workers exist (they never finish loading).
    await expect
      .poll(() => (canCountThreads ? osThreadCount() : 0), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(canCountThreads ? threadsBefore + 4 : 0);
    await mod.close();
    expect(await upgrading).toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(mod.stats.alive).toEqual([]);
    if (canCountThreads) expect(await threadsAfterSettling(threadsBefore)).toBeLessThanOrEqual(threadsBefore);
  });

  it('close() during verify: the upgrade rejects ERR_HOT_CLOSED, both pools end', async () => {
    const ws = workspace();
    const threadsBefore = osThreadCount();
    let verifying: () => void = () => {};
    const verifyStarted = new Promise<void>((resolve) => {
      verifying = resolve;
    });
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), {
      threads: 1,
      verify: async (api) => {
        if ((await api.version()) === 2) {
          verifying();
          await new Promise(() => {}); // never settles: only close() ends it
        }
      },
    });
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    const upgrading = mod.upgrade().catch((error: unknown) => error);
    await verifyStarted;
    await mod.close();
    expect(await upgrading).toMatchObject({ code: 'ERR_HOT_CLOSED' });
    if (canCountThreads) expect(await threadsAfterSettling(threadsBefore)).toBeLessThanOrEqual(threadsBefore);
  });

  it('calls racing close(): accepted calls finish, later ones reject ERR_HOT_CLOSED', async () => {
    const ws = workspace();
    const mod = await ws.hot<typeof import('./fixtures/gate.ts')>(ws.copy('gate.ts'), { threads: 2 });
    const held = gate();
    ws.defer(() => held.open());
    const accepted = Array.from({ length: 6 }, () => mod.api.hold(held.shared));
    await held.entered(2);
    const closing = mod.close();
    const late = Array.from({ length: 6 }, () => mod.api.version().catch((error: unknown) => error));
    held.open();
    await closing;
    expect(await Promise.all(accepted)).toEqual(Array(6).fill('old'));
    for (const error of await Promise.all(late)) expect(error).toMatchObject({ code: 'ERR_HOT_CLOSED' });
  });

  it('upgrades queued behind a close reject ERR_HOT_CLOSED', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1 });
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    const first = mod.upgrade().catch((error: unknown) => error);
    const second = mod.upgrade().catch((error: unknown) => error);
    const rollback = mod.rollback().catch((error: unknown) => error);
    await mod.close();
    expect(await second).toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(await rollback).toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(await first).toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(mod.stats.alive).toEqual([]);
  });
});
