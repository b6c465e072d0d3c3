// A listener of 'crash' that calls the module at once, in the same tick: the call must go to a
// live worker. The report waits for the dying thread's exit and its replacement, so the call
// never lands on the worker that is about to go (where it would fail with ERR_HOT_WORKER_EXIT).
import type { CrashEvent, HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

/** Calls `echo` from inside the 'crash' listener, before the event returns, and collects the outcomes. */
function callOnCrash(mod: HotModule<Faults>, calls: number): Promise<{ event: CrashEvent; outcomes: unknown[] }> {
  return new Promise((resolve) => {
    mod.once('crash', (event) => {
      const made = Array.from({ length: calls }, (_, i) => mod.api.echo(i).catch((error: unknown) => error));
      void Promise.all(made).then((outcomes) => resolve({ event, outcomes }));
    });
  });
}

describe('a call made in reaction to a crash', () => {
  it('an idle worker killed by a timer’s exception: calls made in the crash listener all succeed', async () => {
    const ws = workspace();
    // One thread: the dying worker is the only one a call could be sent to.
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const reacted = callOnCrash(mod, 8);
    expect(await mod.api.leaveBomb('boom')).toBe('armed');
    const { event, outcomes } = await reacted;
    expect(event.error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', cause: { message: 'boom' } });
    expect(outcomes).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('an idle worker that calls process.exit() from a timer: calls made in the crash listener all succeed', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const reacted = callOnCrash(mod, 8);
    expect(await mod.api.leaveExit(3)).toBe('armed');
    const { event, outcomes } = await reacted;
    expect(event.error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 3 });
    expect(outcomes).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
