import type { UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

describe('rollback', () => {
  it('restores the previous version on a fresh pool, without rebuilding', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 2 });
    const first = mod.version;
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    const upgradedThreads = new Set(mod.stats.alive[0]?.threadIds);

    // A broken file on disk does not matter: rollback uses the kept bundle.
    ws.write('versioned.ts', ws.fixture('syntax-error.ts'));
    const events: UpgradeEvent[] = [];
    mod.on('rollback', (event) => events.push(event));
    const restored = await mod.rollback();

    expect(restored).toBe(first);
    expect(mod.version).toBe(first);
    expect(await mod.api.version()).toBe(1);
    expect(events).toMatchObject([{ from: { id: 2 }, to: { id: 1 } }]);
    expect(mod.history).toEqual([first]);
    expect(mod.stats.alive).toHaveLength(1);
    for (const id of mod.stats.alive[0]?.threadIds ?? []) expect(upgradedThreads.has(id)).toBe(false);
    await expect(mod.rollback()).rejects.toMatchObject({ code: 'ERR_HOT_NO_PREVIOUS' });
  });

  it('with keepVersions: 1, a rollback during the watch puts the restored version back in history', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, keepVersions: 1, rollbackOn: { errorRate: 0.5 } });
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    expect(mod.history.map((version) => version.id)).toEqual([2]);
    expect(mod.rollout).toMatchObject({ kind: 'watch' });
    await mod.rollback();
    expect(await mod.api.version()).toBe(1);
    expect(mod.history.map((version) => version.id)).toEqual([1]);
    expect(mod.version.id).toBe(1);
  });

  it('walks back through history, and keeps at most keepVersions', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, keepVersions: 3 });
    for (let version = 2; version <= 5; version++) {
      ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', `VERSION = ${version}`));
      await mod.upgrade();
    }
    expect(mod.history.map((version) => version.id)).toEqual([3, 4, 5]);
    await mod.rollback();
    expect(await mod.api.version()).toBe(4);
    await mod.rollback();
    expect(await mod.api.version()).toBe(3);
    await expect(mod.rollback()).rejects.toMatchObject({ code: 'ERR_HOT_NO_PREVIOUS' });
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 9'));
    expect((await mod.upgrade()).id).toBe(6);
    expect(mod.history.map((version) => version.id)).toEqual([3, 6]);
  });
});
