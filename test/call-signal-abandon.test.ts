// CallSignal.abandon(): what serve does with the call of a client that went away. A queued call
// is aborted at once; a call already in a worker gets the grace to finish, and is aborted (its
// worker ended) only if it is still running when the grace is over.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallSignal } from '../dist/src/call-signal.js';
import { gate } from './support/gate.js';
import { workspace } from './support/workspace.js';

type GateModule = typeof import('./fixtures/gate.ts');

/** A probe that answers `placed` for every signal, and records what it was asked about. */
function probe(placed: boolean | undefined) {
  return {
    asked: [] as object[],
    isPlaced(signal: object) {
      this.asked.push(signal);
      return placed;
    },
  };
}

/** A fresh signal with a listener set, as piscina (or a CallLimit) sets one while the call is out. */
function listenedSignal() {
  const signal = new CallSignal();
  const listener = vi.fn();
  signal.addEventListener('abort', listener);
  return { signal, listener };
}

describe('CallSignal.abandon', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts at once a call that is queued, whose place is unknown, or that was never placed', () => {
    for (const placed of [false, undefined]) {
      const { signal, listener } = listenedSignal();
      signal.placedBy(probe(placed), signal);
      signal.abandon('gone', 60_000);
      expect(listener).toHaveBeenCalledTimes(1);
      expect(signal.reason).toBe('gone');
    }
    const unplaced = listenedSignal();
    unplaced.signal.abandon('gone', 60_000);
    expect(unplaced.listener).toHaveBeenCalledTimes(1);
  });

  it('asks about the signal piscina holds, and gives a placed call the grace, then aborts it', () => {
    vi.useFakeTimers();
    const { signal, listener } = listenedSignal();
    const held = {};
    const placement = probe(true);
    signal.placedBy(placement, held);
    signal.abandon('gone', 1_000);
    expect(placement.asked).toEqual([held]);
    vi.advanceTimersByTime(999);
    expect(signal.aborted).toBe(false);
    // Abandoned again within the grace, even with none: the first call still decides.
    signal.abandon('again', 0);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(signal.reason).toBe('gone');
  });

  it('a placed call that settles within the grace is never aborted', () => {
    vi.useFakeTimers();
    const { signal, listener } = listenedSignal();
    signal.placedBy(probe(true), signal);
    signal.abandon('gone', 1_000);
    // Settling removes the listener, as piscina (or a CallLimit) does.
    signal.removeEventListener('abort', listener);
    vi.advanceTimersByTime(5_000);
    expect(signal.aborted).toBe(false);
    expect(listener).not.toHaveBeenCalled();
  });

  it('a grace of 0, or a signal with nobody listening, aborts at once', () => {
    const { signal, listener } = listenedSignal();
    signal.placedBy(probe(true), signal);
    signal.abandon('gone', 0);
    expect(listener).toHaveBeenCalledTimes(1);

    const settled = new CallSignal();
    settled.placedBy(probe(true), settled);
    settled.abandon('gone', 60_000);
    expect(settled.aborted).toBe(true);
  });
});

/**
 * A 1-thread module of the gate fixture with one call held in its worker, made as serve makes
 * its calls: the module, its thread ids before, the gate, the call's signal and its promise.
 */
async function oneCallHeld(options: { callTimeout?: number } = {}) {
  const ws = workspace();
  const mod = await ws.hot<GateModule>(ws.copy('gate.ts'), { threads: 1, standby: false, ...options });
  const threads = mod.stats.alive[0]?.threadIds;
  const g = gate();
  ws.defer(() => g.open());
  const running = new CallSignal();
  const first = mod.runWithCallSignal('hold', [g.shared], running);
  await g.entered(1);
  return { mod, threads, g, running, first };
}

describe('an abandoned call on a real pool (runWithCallSignal, as serve calls)', () => {
  it('drops a queued call at once, and lets a running one finish on its thread', async () => {
    const { mod, threads, g, running, first } = await oneCallHeld();
    const queued = new CallSignal();
    const second = mod.runWithCallSignal('version', [], queued);
    const gone = new Error('client gone');
    queued.abandon(gone, 60_000);
    // A minute's grace, yet at once: it never reached a worker.
    await expect(second).rejects.toBe(gone);
    running.abandon(gone, 60_000);
    expect(running.aborted).toBe(false);
    g.open();
    expect(await first).toBe('old');
    expect(mod.stats.alive[0]?.threadIds).toEqual(threads);
  });

  it('a call with a timeout (a CallLimit between) is judged by the signal piscina holds', async () => {
    const { g, running, first } = await oneCallHeld({ callTimeout: 60_000 });
    running.abandon(new Error('client gone'), 60_000);
    expect(running.aborted).toBe(false);
    g.open();
    expect(await first).toBe('old');
  });

  it('ends a running call still running when its grace is over: its worker is replaced', async () => {
    const { mod, threads, running, first } = await oneCallHeld();
    const gone = new Error('client gone');
    running.abandon(gone, 20);
    await expect(first).rejects.toBe(gone);
    expect(await mod.api.version()).toBe('old');
    expect(mod.stats.alive[0]?.threadIds).not.toEqual(threads);
  });
});
