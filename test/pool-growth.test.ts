/**
 * A pool starts at `minThreads` and grows up to `maxThreads` under load: the README's options
 * table. Held calls force the growth; no sleeps.
 */
import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { workspace } from './support/workspace.js';

type Counted = typeof import('./fixtures/counted.ts');

describe('a pool between minThreads and maxThreads', () => {
  it('starts with minThreads, grows to maxThreads while calls wait, and never past it', async () => {
    const ws = workspace();
    const mod = await ws.hot<Counted>(ws.copy('counted.ts'), { minThreads: 1, maxThreads: 3 });
    expect(mod.stats.current.threads).toBe(1);

    const held = gate();
    ws.defer(() => held.open());
    // Four calls that never return until the gate opens: three workers take one each, the
    // fourth waits in the queue.
    const calls = Array.from({ length: 4 }, () => mod.api.hold(held.shared));
    await held.entered(3);
    expect(mod.stats.current.threads).toBe(3);
    expect(mod.stats.current.queued).toBe(1);
    expect(new Set(mod.stats.alive[0]?.threadIds).size).toBe(3);

    held.open();
    const ran = await Promise.all(calls);
    expect(new Set(ran).size).toBe(3);
    expect(mod.stats.current.threads).toBeLessThanOrEqual(3);
  });
});
