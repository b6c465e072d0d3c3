// A call with a timeout hands piscina a CallLimit as its signal: it aborts on the caller's
// signal or at the timeout, tells piscina's one listener once, and leaves nothing behind.
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { CallLimit } from '../dist/src/call-limit.js';

describe('CallLimit', () => {
  it("aborts with the caller's reason, tells its listener once, and stops listening when disposed", () => {
    const caller = new AbortController();
    const limit = new CallLimit(caller.signal, 60_000);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(1);
    let told = 0;
    limit.addEventListener('abort', () => told++);
    const reason = new Error('caller gave up');
    caller.abort(reason);
    expect(limit).toMatchObject({ aborted: true, reason, expired: false });
    expect(told).toBe(1);
    limit.dispose();
    limit.dispose();

    const other = new AbortController();
    const quiet = new CallLimit(other.signal, 60_000);
    const listener = () => told++;
    quiet.addEventListener('abort', listener);
    quiet.removeEventListener('abort', listener);
    quiet.dispose();
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
    other.abort();
    expect(quiet.aborted).toBe(false);
    expect(told).toBe(1);
  });

  it("aborts at the timeout with reason 'deadline', and at once for a caller's signal already aborted", async () => {
    const limit = new CallLimit(undefined, 5);
    const aborted = new Promise<void>((resolve) => limit.addEventListener('abort', resolve));
    await aborted;
    expect(limit).toMatchObject({ aborted: true, reason: 'deadline', expired: true });
    limit.dispose();

    const reason = new Error('before');
    const early = new CallLimit(AbortSignal.abort(reason), 60_000);
    expect(early).toMatchObject({ aborted: true, reason, expired: false });
    early.dispose();
  });

  it("does not call a limit expired when the caller's signal aborted it first", () => {
    vi.useFakeTimers();
    try {
      const caller = new AbortController();
      const limit = new CallLimit(caller.signal, 10);
      caller.abort('gone');
      vi.advanceTimersByTime(20);
      expect(limit).toMatchObject({ aborted: true, reason: 'gone', expired: false });
      limit.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
