// Plain calls that wait for a thread together travel to a worker as one batch (src/coalesce.ts,
// workers/batch.ts). Each keeps its own outcome: its result, its own error, its clone failure,
// and, when the thread dies during the batch, the answer it had or a new send if it never began.
import { HotError, type HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { heldModule } from './support/held.js';
import { workspace } from './support/workspace.js';

type Coalesce = typeof import('./fixtures/coalesce.ts');
type Versioned = typeof import('./fixtures/versioned.ts');

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Makes `n` calls in one turn, on a module whose one thread is busy with the first: the rest wait together. */
function burst<T>(n: number, call: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(range(n).map(call));
}

async function open(options: { coalesce?: boolean } = {}): Promise<HotModule<Coalesce>> {
  const ws = workspace();
  return ws.hot<Coalesce>(ws.copy('coalesce.ts'), { threads: 1, ...options });
}

describe('calls that wait for a thread together', () => {
  it('travel in batches, each with its own result, in the order made', async () => {
    const mod = await open();
    const results = await Promise.all(range(300).map((i) => mod.api.echo(i)));
    expect(results).toEqual(range(300));
    // The first call runs alone and the second waits in the pool's queue: the rest are batched.
    expect(mod.stats.coalescedCalls).toBe(298);
  });

  it('each go as a task of their own with `coalesce: false`', async () => {
    const mod = await open({ coalesce: false });
    expect(await Promise.all(range(300).map((i) => mod.api.echo(i)))).toEqual(range(300));
    expect(mod.stats.coalescedCalls).toBe(0);
  });

  it('are never batched while no call waits: calls one at a time each go alone', async () => {
    const mod = await open();
    for (const i of range(20)) expect(await mod.api.echo(i)).toBe(i);
    expect(mod.stats.coalescedCalls).toBe(0);
  });

  it('with a call option, go alone', async () => {
    const mod = await open();
    const results = await Promise.all(range(50).map((i) => mod.run('echo', [i], { timeout: 10_000 })));
    expect(results).toEqual(range(50));
    expect(mod.stats.coalescedCalls).toBe(0);
  });

  it('each reject with the error the function threw, as a lone call does', async () => {
    const mod = await open();
    const alone = await mod.api.oddThrows(1).catch((error: unknown) => error);
    const outcomes = await burst(40, (i) => mod.api.oddThrows(i));
    expect(mod.stats.coalescedCalls).toBeGreaterThan(0);
    for (const i of range(40)) {
      const outcome = outcomes[i];
      if (i % 2 === 0) {
        expect(outcome).toEqual({ status: 'fulfilled', value: i });
        continue;
      }
      expect(outcome?.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ name: 'TypeError', message: `odd input ${i}`, code: 'E_ODD' });
      // The same kind of stack as a lone call's: the user's own line first.
      expect(String(error.stack).split('\n')[1]).toBe(String((alone as Error).stack).split('\n')[1]);
    }
  });

  for (const kind of ['function', 'collator'] as const) {
    it(`a result that cannot cross threads (a ${kind}) fails its own call only, ERR_HOT_CLONE`, async () => {
      const mod = await open();
      const outcomes = await burst(30, (i) => mod.api.badResultAt(i, 20, kind));
      expect(mod.stats.coalescedCalls).toBeGreaterThan(0);
      for (const i of range(30)) {
        if (i === 20) {
          const error = (outcomes[i] as PromiseRejectedResult).reason;
          expect(HotError.is(error, 'ERR_HOT_CLONE')).toBe(true);
          expect(error.path).toBe(kind === 'function' ? 'result.f' : 'result.c');
        } else {
          expect(outcomes[i]).toEqual({ status: 'fulfilled', value: i });
        }
      }
    });
  }

  it('an argument that cannot be cloned fails its own call only, ERR_HOT_CLONE, and counts no re-send', async () => {
    const mod = await open();
    const outcomes = await burst(30, (i) => mod.api.echo(i === 20 ? (new WeakMap() as unknown as number) : i));
    expect(mod.stats.coalescedCalls).toBeGreaterThan(0);
    for (const i of range(30)) {
      if (i === 20) {
        const error = (outcomes[i] as PromiseRejectedResult).reason;
        expect(HotError.is(error, 'ERR_HOT_CLONE')).toBe(true);
        expect(error.path).toBe('args[0]');
      } else {
        expect(outcomes[i]).toEqual({ status: 'fulfilled', value: i });
      }
    }
    // Its batch never left this thread: no worker died, so nothing counts as a re-send.
    expect(mod.stats.resentCalls).toBe(0);
  });

  it('when the thread exits during a batch: the calls it finished answer, the one it ran fails, the rest run again', async () => {
    const mod = await open();
    // Measured quick first: the burst then goes as one batch (its first two calls aside), and
    // the thread dies with calls finished before the one it runs and calls not begun after it.
    await Promise.all(range(40).map((i) => mod.api.exitAt(i, -1)));
    const before = mod.stats.coalescedCalls;
    const outcomes = await burst(60, (i) => mod.api.exitAt(i, 30));
    expect(mod.stats.coalescedCalls - before).toBe(58);
    for (const i of range(60)) {
      if (i === 30) {
        expect((outcomes[i] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 7 });
      } else {
        expect(outcomes[i]).toEqual({ status: 'fulfilled', value: i });
      }
    }
    // The 29 calls after it in its batch (inputs 31 to 59) were never begun: each was sent
    // again once; the one it ran was not.
    expect(mod.stats.resentCalls).toBe(29);
    expect(mod.stats.crashes).toBe(1);
  });

  it('when the answers a dying thread had cannot be posted, its exit is still reported and no call hangs', async () => {
    const mod = await open();
    await Promise.all(range(40).map((i) => mod.api.collatorThenExit(i, -1, -1)));
    // Input 20 answers what only the post refuses; input 30 ends the thread: its exit report
    // cannot carry the batch's answers, so it goes without them.
    const outcomes = await burst(60, (i) => mod.api.collatorThenExit(i, 20, 30));
    expect(mod.stats.crashes).toBe(1);
    expect((outcomes[30] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 7 });
    // The calls it finished lost their answers with it; those it never began ran on the new worker.
    for (const i of range(60).slice(2, 30))
      expect(outcomes[i]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_HOT_WORKER_EXIT' } });
    for (const i of range(60).slice(31)) expect(outcomes[i]).toEqual({ status: 'fulfilled', value: i });
  });

  it('of an async function run one at a time in their worker', async () => {
    const mod = await open();
    const results = await Promise.all(range(40).map((i) => mod.api.overlap(i)));
    expect(mod.stats.coalescedCalls).toBeGreaterThan(0);
    expect(results).toEqual(range(40).map((i) => [i, 1]));
  });

  it('of a function measured slower than a batch may hold are no longer batched', async () => {
    const mod = await open();
    // The first batch of a function is small and measures it: 3 ms a call, over the 1 ms budget.
    await Promise.all(range(8).map(() => mod.api.busy(3)));
    const measured = mod.stats.coalescedCalls;
    expect(measured).toBeGreaterThan(0);
    await Promise.all(range(8).map(() => mod.api.busy(3)));
    expect(mod.stats.coalescedCalls).toBe(measured);
  });

  it('are cut into a batch per thread at least: a call blocked in one batch holds up none of the other', async () => {
    const ws = workspace();
    const mod = await ws.hot<Coalesce>(ws.copy('coalesce.ts'), { threads: 2 });
    const gate = new SharedArrayBuffer(4);
    const release = () => {
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
    };
    ws.defer(release);
    // Measured quick first, so that the burst is cut by the threads, not by a first batch's size.
    await Promise.all(range(50).map((i) => mod.api.blockOn(i, -1, gate)));
    const before = mod.stats.coalescedCalls;
    // Inputs 0 and 1 take the two threads, 2 waits in the pool's queue, 3 to 199 go as two
    // batches; input 3, first of its batch, blocks its thread.
    const calls = range(200).map((i) => mod.api.blockOn(i, 3, gate));
    // The last call, in the other batch, answers from the other thread meanwhile.
    expect(await calls[199]).toBe(199);
    expect(mod.stats.coalescedCalls - before).toBe(197);
    release();
    expect(await Promise.all(calls)).toEqual(range(200));
  });

  it('count one each in `stats.current.queued` while they wait, not one per batch', async () => {
    const { mod, held, busy } = await heldModule(workspace());
    const calls = range(10).map(() => mod.api.record(new SharedArrayBuffer(4)));
    // Before the end of the turn, one call waits in the pool's queue and nine here.
    expect(mod.stats.current.queued).toBe(10);
    // Sent at the end of the turn: one call alone in the pool's queue, the rest in batches.
    await new Promise((resolve) => setImmediate(resolve));
    expect(mod.stats.coalescedCalls).toBeGreaterThan(0);
    expect(mod.stats.current.queued).toBe(10);
    held.open();
    await busy;
    expect(await Promise.all(calls)).toEqual(range(10).map(() => 1));
    expect(mod.stats.current.queued).toBe(0);
  });

  it('one call waiting alone goes as a task of its own, not a batch of one', async () => {
    const { mod, held, busy } = await heldModule(workspace());
    // The first waits in the pool's queue; the second would join a batch, but none comes.
    const calls = [mod.api.record(new SharedArrayBuffer(4)), mod.api.record(new SharedArrayBuffer(4))];
    await new Promise((resolve) => setImmediate(resolve));
    expect(mod.stats.current.queued).toBe(2);
    held.open();
    await busy;
    expect(await Promise.all(calls)).toEqual([1, 1]);
    expect(mod.stats.coalescedCalls).toBe(0);
  });

  it('made before an upgrade answer from the version they were made on, and none fails', async () => {
    const ws = workspace();
    const path = ws.copy('versioned.ts');
    const mod = await ws.hot<Versioned>(path, { threads: 1 });
    const before = Promise.all(range(200).map(() => mod.api.version()));
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    const after = await Promise.all(range(200).map(() => mod.api.version()));
    expect(await before).toEqual(range(200).map(() => 1));
    expect(after).toEqual(range(200).map(() => 2));
    expect(mod.stats.coalescedCalls).toBeGreaterThan(300);
  });

  it('refuses a `coalesce` that is not a boolean', async () => {
    await expect(open({ coalesce: 'yes' as unknown as boolean })).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      message: expect.stringContaining('`coalesce`'),
    });
  });
});
