import type { UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

describe('upgrade', () => {
  it('changes results, and reports the transition', async () => {
    const ws = workspace();
    const entry = ws.copy('versioned.ts');
    const mod = await ws.hot<Versioned>(entry, { threads: 2 });
    expect(await mod.api.version()).toBe(1);
    expect(mod.version).toMatchObject({ id: 1, entry, exports: ['VERSION', 'echo', 'version'] });

    const events: UpgradeEvent[] = [];
    mod.on('upgrade', (event) => events.push(event));
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    const next = await mod.upgrade();

    expect(next.id).toBe(2);
    expect(next.hash).not.toBe(events[0]?.from.hash);
    expect(mod.version).toBe(next);
    expect(await mod.api.version()).toBe(2);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ from: { id: 1 }, to: { id: 2 }, killed: 0 });
    expect(events[0]?.switchMs).toBeGreaterThan(0);
    expect(events[0]?.drainMs).toBeGreaterThanOrEqual(0);
    expect(mod.history.map((version) => version.id)).toEqual([1, 2]);
  });

  it('builds a different entry when given one, and keeps building it', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1 });
    const other = ws.write('other.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 7'));
    await mod.upgrade({ entry: other });
    expect(await mod.api.version()).toBe(7);
    expect(mod.entry).toBe(other);
    ws.write('other.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 8'));
    await mod.upgrade();
    expect(await mod.api.version()).toBe(8);
  });

  it('is a no-op when the source is unchanged, unless restart is asked', async () => {
    const ws = workspace();
    const mod = await ws.hot<typeof import('./fixtures/counter.ts')>(ws.copy('counter.ts'), { threads: 1 });
    let upgrades = 0;
    mod.on('upgrade', () => upgrades++);
    await mod.api.next();
    const before = mod.version;

    expect(await mod.upgrade()).toBe(before);
    expect(upgrades).toBe(0);
    expect(await mod.api.next()).toBe(2);

    const restarted = await mod.upgrade({ restart: true });
    expect(restarted.id).toBe(2);
    expect(restarted.hash).toBe(before.hash);
    expect(upgrades).toBe(1);
    expect(await mod.api.next()).toBe(1);
  });

  it('accepts a file URL entry', async () => {
    const ws = workspace();
    const entry = ws.copy('versioned.ts');
    const mod = await ws.hot<Versioned>(entry, { threads: 1 });
    await mod.upgrade({ entry: new URL(`file://${entry}`) });
    expect(mod.entry).toBe(entry);
  });

  it('serializes concurrent upgrades: the last content wins', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1 });
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    const first = mod.upgrade();
    const second = mod.upgrade();
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 3'));
    const third = mod.upgrade();
    const ids = (await Promise.all([first, second, third])).map((version) => version.id);
    expect(ids[2]).toBe(Math.max(...ids));
    expect(await mod.api.version()).toBe(3);
    expect(mod.stats.alive).toHaveLength(1);
  });
});
