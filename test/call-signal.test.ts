// CallSignal: the plain-object signal serve gives each call. One listener, heard once; a
// listener removed before the abort is never called; the reason is kept.
import { describe, expect, it, vi } from 'vitest';
import { CallSignal } from '../dist/src/call-signal.js';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

describe('CallSignal', () => {
  it('aborts once with its reason and calls the listener once', () => {
    const signal = new CallSignal();
    const listener = vi.fn();
    signal.addEventListener('abort', listener);
    expect(signal.listened).toBe(true);
    const reason = new Error('client gone');
    signal.abort(reason);
    signal.abort(new Error('again'));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(signal.listened).toBe(false);
  });

  it('a removed listener is not called; removing another function leaves the listener set', () => {
    const signal = new CallSignal();
    const listener = vi.fn();
    signal.addEventListener('abort', listener);
    signal.removeEventListener('abort', () => {});
    expect(signal.listened).toBe(true);
    signal.removeEventListener('abort', listener);
    expect(signal.listened).toBe(false);
    signal.abort('why');
    expect(listener).not.toHaveBeenCalled();
    expect(signal.reason).toBe('why');
  });
});

describe('a call made with a CallSignal (runWithCallSignal, as serve calls)', () => {
  it('runs, and rejects with the reason once aborted: before it starts, or while it runs', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1, standby: false });
    expect(await mod.runWithCallSignal('echo', ['hello'], new CallSignal())).toBe('hello');

    const before = new CallSignal();
    const gone = new Error('client gone before');
    before.abort(gone);
    await expect(mod.runWithCallSignal('echo', ['never'], before)).rejects.toBe(gone);

    const during = new CallSignal();
    const spinning = mod.runWithCallSignal('spin', [], during);
    // piscina listens to the signal once the call is queued: abort then.
    await expect.poll(() => during.listened).toBe(true);
    const left = new Error('client gone while running');
    during.abort(left);
    await expect(spinning).rejects.toBe(left);
    expect(await mod.api.echo('after')).toBe('after');
  });
});
