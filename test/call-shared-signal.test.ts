/**
 * Many calls on one AbortSignal (a shutdown signal passed to every call, say): the signal has
 * one 'abort' listener however many calls wait on it (Node's addEventListener scans those there,
 * so one per call costs O(calls) each, and warns past ten), aborting it still rejects every
 * call with its reason, and once the calls settle nothing listens to it any more.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { subscriberCount } from '../dist/src/abort-fanout.js';
import { heldModule } from './support/held.js';
import { workspace } from './support/workspace.js';

type Counted = typeof import('./fixtures/counted.ts');

const CALLS = 200;

describe('calls sharing one AbortSignal', () => {
  it('listen to it once, and each rejects with its reason when it aborts', async () => {
    const { mod, held, busy } = await heldModule(workspace());

    const ran = new SharedArrayBuffer(4);
    const shutdown = new AbortController();
    // Half with a timeout (the signal relayed by the call's time limit), half without.
    const queued = Array.from({ length: CALLS }, (_, i) =>
      mod.run('record', [ran], i % 2 === 0 ? { signal: shutdown.signal } : { signal: shutdown.signal, timeout: 60_000 }),
    );
    const outcomes = Promise.allSettled(queued);
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(1);
    expect(subscriberCount(shutdown.signal)).toBe(CALLS);

    const reason = new Error('shutting down');
    shutdown.abort(reason);
    const settled = await outcomes;
    expect(settled.every((outcome) => outcome.status === 'rejected' && outcome.reason === reason)).toBe(true);
    held.open();
    await busy;
    expect(Atomics.load(new Int32Array(ran), 0)).toBe(0);
    expect(mod.stats.inFlight).toBe(0);
  });

  it('stop listening to it once they settle', async () => {
    const ws = workspace();
    const mod = await ws.hot<Counted>(ws.copy('counted.ts'), { threads: 2 });
    const shared = new AbortController();
    const ran = new SharedArrayBuffer(4);
    const calls = Array.from({ length: CALLS }, (_, i) =>
      mod.run('record', [ran], i % 2 === 0 ? { signal: shared.signal } : { signal: shared.signal, timeout: 60_000 }),
    );
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    await Promise.all(calls);
    expect(Atomics.load(new Int32Array(ran), 0)).toBe(CALLS);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(subscriberCount(shared.signal)).toBe(0);
    // Still usable: a later call on it listens again, and aborting it still works.
    const later = mod.run('record', [ran], { signal: shared.signal });
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    await later;
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });
});
