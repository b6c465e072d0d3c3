import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { workspace } from './support/workspace.js';

type Gated = typeof import('./fixtures/gate.ts');

describe('calls pinned to their generation', () => {
  it('finishes calls started before the shift on the old version; upgrade() waits for them', async () => {
    const ws = workspace();
    const mod = await ws.hot<Gated>(ws.copy('gate.ts'), { threads: 2 });
    const held = gate();
    ws.defer(() => held.open());
    const inFlight = [mod.api.hold(held.shared), mod.api.hold(held.shared)];
    await held.entered(2);

    ws.write('gate.ts', ws.fixture('gate.ts').replace("VERSION = 'old'", "VERSION = 'new'"));
    let upgraded = false;
    const upgrading = mod.upgrade().then((version) => {
      upgraded = true;
      return version;
    });
    // New calls go to the new version while the old one still holds its two calls.
    await expect.poll(() => mod.version.id, { timeout: 15_000 }).toBe(2);
    expect(await mod.api.version()).toBe('new');
    expect(upgraded).toBe(false);
    expect(mod.stats.alive.map((generation) => generation.inFlight)).toEqual([2, 0]);

    held.open();
    expect(await Promise.all(inFlight)).toEqual(['old', 'old']);
    const events: unknown[] = [];
    mod.on('upgrade', (event) => events.push(event));
    await upgrading;
    expect(events).toMatchObject([{ drained: 2, killed: 0 }]);
    expect(mod.stats.alive).toHaveLength(1);
  });

  it('kills stragglers after drainTimeout and reports them', async () => {
    const ws = workspace();
    const mod = await ws.hot<Gated>(ws.copy('gate.ts'), { threads: 1, drainTimeout: 50 });
    const held = gate();
    ws.defer(() => held.open());
    const straggler = mod.api.hold(held.shared).catch((error: unknown) => error);
    await held.entered(1);

    ws.write('gate.ts', ws.fixture('gate.ts').replace("VERSION = 'old'", "VERSION = 'new'"));
    const events: Array<{ killed: number; drained: number }> = [];
    mod.on('upgrade', (event) => events.push(event));
    await mod.upgrade();

    expect(events).toMatchObject([{ killed: 1, drained: 0 }]);
    expect(await straggler).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', fn: 'hold', version: 1 });
    expect(await mod.api.version()).toBe('new');
  });
});
