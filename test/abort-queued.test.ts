/**
 * A call still waiting in the queue when its signal aborts is removed: it rejects with the
 * signal's reason and never runs, and the calls around it are unaffected.
 */
import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { workspace } from './support/workspace.js';

type Counted = typeof import('./fixtures/counted.ts');

describe('aborting a queued call', () => {
  it('rejects with the reason, and the call never runs', async () => {
    const ws = workspace();
    const mod = await ws.hot<Counted>(ws.copy('counted.ts'), { threads: 1 });
    const held = gate();
    ws.defer(() => held.open());
    const busy = mod.api.hold(held.shared);
    await held.entered(1);

    const ran = new SharedArrayBuffer(4);
    const controller = new AbortController();
    const queued = mod.run('record', [ran], { signal: controller.signal });
    const after = mod.api.record(new SharedArrayBuffer(4));
    expect(mod.stats.current.queued).toBe(2);
    const reason = new Error('no longer wanted');
    controller.abort(reason);

    await expect(queued).rejects.toBe(reason);
    held.open();
    await busy;
    // The call queued behind it runs; the aborted one never did.
    expect(await after).toBe(1);
    expect(Atomics.load(new Int32Array(ran), 0)).toBe(0);
    expect(mod.stats.inFlight).toBe(0);
  });
});
