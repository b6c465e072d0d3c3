// CallSignal: the plain-object signal serve gives each call. One listener, heard once; a
// listener removed before the abort is never called; the reason is kept.
import { describe, expect, it, vi } from 'vitest';
import { CallSignal } from '../dist/src/call-signal.js';

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
