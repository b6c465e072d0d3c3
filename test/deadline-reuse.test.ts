// A call's deadline takes its AbortController from a pool and gives it back when disposed, but
// only one that never aborted and that nobody listens to: a signal handed to the next call must
// be as good as new.
import { describe, expect, it } from 'vitest';
import { deadline } from '../dist/src/deadline.js';

describe('call deadlines', () => {
  it('reuse the signal of a deadline disposed unaborted, never one that expired or was aborted', async () => {
    const first = deadline(undefined, 60_000);
    const firstSignal = first.signal;
    first.dispose();
    first.dispose();
    const second = deadline(undefined, 60_000);
    expect(second.signal).toBe(firstSignal);
    expect(second.signal.aborted).toBe(false);
    second.dispose();

    const parent = new AbortController();
    const third = deadline(parent.signal, 60_000);
    expect(third.signal).toBe(firstSignal);
    parent.abort(new Error('caller gave up'));
    expect(third.signal.aborted).toBe(true);
    third.dispose();
    const fourth = deadline(undefined, 60_000);
    expect(fourth.signal).not.toBe(firstSignal);
    expect(fourth.signal.aborted).toBe(false);

    const listened = deadline(undefined, 60_000);
    listened.signal.addEventListener('abort', () => {});
    listened.dispose();
    expect(deadline(undefined, 60_000).signal).not.toBe(listened.signal);

    const expiring = deadline(undefined, 1);
    await new Promise((resolve) => expiring.signal.addEventListener('abort', resolve, { once: true }));
    expect(expiring.expired).toBe(true);
    expiring.dispose();
    expect(deadline(undefined, 60_000).signal).not.toBe(expiring.signal);
    fourth.dispose();
  });
});
