/**
 * A call still waiting in the queue when its signal aborts is removed: it rejects with the
 * signal's reason and never runs, and the calls around it are unaffected.
 */
import { describe, expect, it } from 'vitest';
import { heldModule } from './support/held.js';
import { workspace } from './support/workspace.js';

describe('aborting a queued call', () => {
  it('rejects with the reason, and the call never runs', async () => {
    const { mod, held, busy } = await heldModule(workspace());

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
