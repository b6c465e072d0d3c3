import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Callbacks = typeof import('./fixtures/callbacks.ts');

describe('callbacks', () => {
  it('a function in an options bag reaches the worker as an async callable', async () => {
    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 1 });
    const progress: Array<[number, number]> = [];
    const result = await mod.api.render(3, { label: 'scene', onProgress: (done, total) => void progress.push([done, total]) });
    expect(result).toBe('scene:3');
    expect(progress).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('a top-level function argument answers the worker: sync and async return values reach it', async () => {
    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 1 });
    expect(await mod.api.mapWith([1, 2, 3], (value) => value * 10)).toEqual([10, 20, 30]);
    expect(await mod.call('mapWith', [4, 5], async (value) => value + 1)).toEqual([5, 6]);
    expect(await mod.run('probe', [() => ({ nested: [1, 'two'] })], { timeout: 10_000 })).toEqual({ value: { nested: [1, 'two'] } });
  });

  it('a callback that throws rejects the worker’s await with its error; uncaught there, it rejects the call', async () => {
    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 1 });
    const thrown = await mod.api.probe(() => {
      throw new TypeError('bad progress');
    });
    expect(thrown.error).toMatchObject({ name: 'TypeError', message: 'bad progress' });
    const rejected = await mod.api.probe(() => Promise.reject(new RangeError('async bad')));
    expect(rejected.error).toMatchObject({ name: 'RangeError', message: 'async bad' });
    await expect(
      mod.api.rethrow(() => {
        throw new Error('stop the render');
      }),
    ).rejects.toMatchObject({ message: 'stop the render' });
    // The worker is fine afterwards.
    expect(await mod.api.mapWith([1], (value) => value)).toEqual([1]);
  });

  it('a function that throws at once, before touching its callback, rejects the call with its own error', async () => {
    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 1 });
    const error = await mod.api.throwsAtOnce(() => Promise.resolve()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ message: 'thrown before any await' });
    expect(await mod.api.version()).toBe(1);
  });

  it('a callback invoked after its call settled rejects in the worker with ERR_HOT_CALLBACK_SETTLED', async () => {
    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 1 });
    let invoked = 0;
    await mod.api.keep(() => {
      invoked++;
      return 'late';
    });
    const late = await mod.api.callLate();
    expect(late.error).toMatchObject({ name: 'HotError', code: 'ERR_HOT_CALLBACK_SETTLED' });
    expect(late.error?.message).toMatch(/args\[0\] of keep\(\) was called after that call settled/);
    expect(invoked).toBe(0);
  });

  it('calls with and without callbacks mix on one worker', async () => {
    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 1 });
    const calls = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0 ? mod.api.mapWith([i], (value) => value * 2) : mod.api.mapWith([i], undefined as never).catch(() => 'no callback'),
    );
    const results = await Promise.all(calls);
    results.forEach((result, i) => {
      expect(result).toEqual(i % 2 === 0 ? [i * 2] : 'no callback');
    });
  });
});
