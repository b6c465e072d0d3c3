// serve reuses a call's AbortController once the call has settled, and only a controller as good
// as new: never one that was aborted (a client that went away) or that still has a listener.
import { describe, expect, it } from 'vitest';
import { AbortPool } from '../dist/src/serve/abort-pool.js';

describe('serve: abort controllers reused between calls', () => {
  it('takes back a controller that was not aborted and that nobody listens to', () => {
    const pool = new AbortPool();
    const first = pool.take();
    first.signal.addEventListener('abort', () => {});
    const listener = () => {};
    first.signal.addEventListener('abort', listener);
    pool.release(first);
    expect(pool.size).toBe(0);

    const second = pool.take();
    second.signal.addEventListener('abort', listener, { once: true });
    second.signal.removeEventListener('abort', listener);
    pool.release(second);
    expect(pool.size).toBe(1);
    expect(pool.take()).toBe(second);
  });

  it('never takes back an aborted controller: the next call gets a signal that is not aborted', () => {
    const pool = new AbortPool();
    const abandoned = pool.take();
    abandoned.abort(new Error('client gone'));
    pool.release(abandoned);
    const next = pool.take();
    expect(next).not.toBe(abandoned);
    expect(next.signal.aborted).toBe(false);
  });

  it('keeps at most its limit', () => {
    const pool = new AbortPool(2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const controller of taken) pool.release(controller);
    expect(pool.size).toBe(2);
  });
});
