import { HotError } from 'hotworker';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Streams = typeof import('./fixtures/streams.ts');

/** The window of values a stream sends ahead of its consumer (src/channels.ts). */
const WINDOW = 16;

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of stream) values.push(value);
  return values;
}

describe('streams', () => {
  it('streams an async and a sync generator, typed from what they yield', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const numbers = mod.stream('count', 40);
    expectTypeOf(numbers).toEqualTypeOf<AsyncIterableIterator<number>>();
    expectTypeOf(mod.stream('letters', 'abc')).toEqualTypeOf<AsyncIterableIterator<string>>();
    expect(await collect(numbers)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await collect(mod.stream('letters', 'hot'))).toEqual(['h', 'o', 't']);
    expect(await collect(mod.runStream('count', [0]))).toEqual([]);
    expect(mod.isGenerator('count')).toBe(true);
    expect(mod.isGenerator('plain')).toBe(false);
    expect(mod.stats.inFlight).toBe(0);
  });

  it('holds a fast generator back when the consumer is slow: at most a small window ahead', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const shared = new SharedArrayBuffer(8);
    const produced = () => Atomics.load(new Int32Array(shared), 0);
    const stream = mod.stream('endless', shared);
    for (let i = 0; i < 3; i++) await stream.next();
    // 3 taken, none granted back yet: the generator stops at the window.
    await expect.poll(produced, { timeout: 5_000 }).toBe(WINDOW);
    for (let i = 0; i < WINDOW / 2; i++) await stream.next();
    // 11 taken: one grant of 8 went back, so 8 more were made, and no more.
    await expect.poll(produced, { timeout: 5_000 }).toBe(WINDOW + WINDOW / 2);
    await stream.return?.();
  });

  it('break stops the generator in the worker (its finally runs) and leaves no worker busy', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const shared = new SharedArrayBuffer(8);
    const seen: number[] = [];
    for await (const value of mod.stream('endless', shared)) {
      seen.push(value);
      if (value === 4) break;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(Atomics.load(new Int32Array(shared), 1)).toBe(1);
    expect(mod.stats.inFlight).toBe(0);
    // The one worker is free: a call runs at once.
    expect(await collect(mod.stream('count', 2))).toEqual([1, 2]);
  });

  it("a generator's throw rejects next() after the values before it", async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const stream = mod.stream('failsAfter', 3);
    const values: number[] = [];
    const error = await (async () => {
      for await (const value of stream) values.push(value);
    })().catch((caught: unknown) => caught);
    expect(values).toEqual([0, 1, 2]);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ message: 'failed after 3' });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('a value that cannot be cloned ends the stream with ERR_HOT_CLONE naming it', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const stream = mod.stream('yieldsFunction');
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    await expect(stream.next()).rejects.toMatchObject({ code: 'ERR_HOT_CLONE', path: 'value.onDone', fn: 'yieldsFunction' });
  });

  it('refuses the wrong kind of call: a generator with call(), a plain function with stream()', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    // @ts-expect-error: a generator function only streams
    await expect(mod.call('count', 3)).rejects.toMatchObject({ code: 'ERR_HOT_CALL_KIND', fn: 'count' });
    // @ts-expect-error: a plain function does not stream
    await expect(mod.stream('plain').next()).rejects.toMatchObject({ code: 'ERR_HOT_CALL_KIND', fn: 'plain' });
    // @ts-expect-error: not an export
    await expect(mod.stream('missing').next()).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
    await expect(mod.runStream('count', [1], { timeout: -1 }).next()).rejects.toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    expect(await mod.api.plain()).toBe('plain');
  });

  it('bad arguments reject the first next() with a coded error, as a call does, and start nothing', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const hostile = {
      get x(): number {
        throw new Error('getter boom');
      },
    };
    // Returned, not thrown: the failure is the first next()'s.
    const read = mod.stream('letters', hostile as never);
    await expect(read.next()).rejects.toMatchObject({ code: 'ERR_HOT_CLONE', path: 'args[0].x', fn: 'letters' });
    await expect(mod.runStream('letters', [hostile] as never).next()).rejects.toMatchObject({ code: 'ERR_HOT_CLONE', path: 'args[0].x' });
    for (const args of [5, 'ab', null, { 0: 'ab', length: 1 }]) {
      await expect(mod.runStream('letters', args as never).next()).rejects.toMatchObject({
        code: 'ERR_HOT_INVALID_OPTION',
        message: expect.stringContaining("runStream('letters', [a, b])"),
      });
    }
    expect(mod.stats.alive[0]?.inFlight).toBe(0);
  });

  it('next() calls made at once all settle, as an async generator answers them', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const one = mod.stream('count', 1);
    expect(await Promise.all([one.next(), one.next(), one.next()])).toEqual([
      { done: false, value: 1 },
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
    const failing = mod.stream('failsAfter', 0);
    const [first, second] = await Promise.allSettled([failing.next(), failing.next()]);
    expect(first).toMatchObject({ status: 'rejected', reason: { message: 'failed after 0' } });
    expect(second).toEqual({ status: 'fulfilled', value: { done: true, value: undefined } });
  });

  it('takes a timeout and a signal like a call', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const timed = mod.runStream('slow', [1_000, 5], { timeout: 200 });
    await expect(collect(timed)).rejects.toMatchObject({ code: 'ERR_HOT_CALL_TIMEOUT', fn: 'slow' });
    const controller = new AbortController();
    const aborted = mod.runStream('slow', [1_000, 5], { signal: controller.signal });
    expect(await aborted.next()).toEqual({ done: false, value: 0 });
    controller.abort(new Error('enough'));
    await expect(collect(aborted)).rejects.toThrow('enough');
    expect(mod.stats.inFlight).toBe(0);
  });

  it('carries callbacks too', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1 });
    const progress: number[] = [];
    expect(await collect(mod.stream('withProgress', 3, (done) => void progress.push(done)))).toEqual([1, 4, 9]);
    expect(progress).toEqual([1, 2, 3]);
  });

  it("an upgrade's drain waits for a stream on the old version, or ends it with ERR_HOT_WORKER_EXIT at drainTimeout", async () => {
    const ws = workspace();
    const entry = ws.copy('streams.ts');
    const mod = await ws.hot<Streams>(entry, { threads: 1, drainTimeout: 30_000 });
    const shared = new SharedArrayBuffer(4);
    const waited = mod.stream('gated', shared, 5);
    expect(await waited.next()).toEqual({ done: false, value: 0 });
    const event = new Promise((resolve) => mod.once('upgrade', resolve));
    const upgraded = mod.upgrade({ restart: true });
    // The new version takes new calls while the stream still runs on the old one.
    await expect.poll(() => mod.version.id, { timeout: 10_000 }).toBe(2);
    Atomics.store(new Int32Array(shared), 0, 1);
    Atomics.notify(new Int32Array(shared), 0);
    expect(await collect(waited)).toEqual([1, 2, 3, 4]);
    expect(await event).toMatchObject({ drained: 1, killed: 0 });
    await upgraded;

    const short = await ws.hot<Streams>(entry, { threads: 1, drainTimeout: 50 });
    const killed = short.stream('slow', 1_000, 5);
    expect(await killed.next()).toEqual({ done: false, value: 0 });
    await short.upgrade({ restart: true });
    const error = await collect(killed).catch((caught: unknown) => caught);
    expect(HotError.is(error, 'ERR_HOT_WORKER_EXIT')).toBe(true);
  });
});
