import { HotError } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { counter } from './support/counter.js';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

describe('map()', () => {
  it('resolves with every result in input order, over chunks run on every thread', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    const inputs = Array.from({ length: 1_000 }, (_, i) => i);
    const results = await mod.map('where', inputs, { chunkSize: 10 });
    expect(results.map((r) => r.n)).toEqual(inputs);
    expect(new Set(results.map((r) => r.version))).toEqual(new Set(['v1']));
    // Both workers took chunks.
    expect(new Set(results.map((r) => r.thread)).size).toBe(2);
    expect(await mod.map('square', [3, 4, 5])).toEqual([9, 16, 25]);
  });

  it('takes any iterable, an async iterable, an async function, and an empty input', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    expect(await mod.map('square', new Set([1, 2, 3]))).toEqual([1, 4, 9]);
    async function* source() {
      for (let i = 0; i < 50; i++) yield i;
    }
    expect(await mod.map('square', source(), { chunkSize: 7 })).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
    expect(await mod.map('later', [1, 2, 3], { chunkSize: 2 })).toEqual([2, 3, 4]);
    expect(await mod.map('square', [])).toEqual([]);
    async function* nothing() {}
    expect(await mod.map('square', nothing())).toEqual([]);
  });

  it("rejects with the first input's own error, or settles every input with settle: true", async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    const failed = await mod.map('failOdd', [0, 2, 4, 5, 6], { chunkSize: 2 }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(RangeError);
    expect((failed as Error).message).toBe('odd input 5');

    const settled = await mod.map('failOdd', [0, 1, 2, 3], { settle: true, chunkSize: 3 });
    expect(settled).toMatchObject([
      { status: 'fulfilled', value: 0 },
      { status: 'rejected', reason: { name: 'RangeError', message: 'odd input 1' } },
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: { message: 'odd input 3' } },
    ]);
    // The module keeps serving after failed inputs.
    expect(await mod.api.square(7)).toBe(49);
  });

  it('keeps each settled entry at its input, whichever chunk ends first', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    const shared = counter();
    ws.defer(() => shared.release());
    // The first chunk is held until the second has ended.
    const inputs = [0, 1, 2, 3].map((i) => ({ cells: shared.cells, hold: i === 0 }));
    const done: number[] = [];
    const mapping = mod.map('counted', inputs, { chunkSize: 2, settle: true, onProgress: (count) => done.push(count) });
    await expect.poll(() => done).toEqual([2]);
    shared.release();
    expect(await mapping).toEqual(Array(4).fill({ status: 'fulfilled', value: 'v1' }));
  });

  it('names the input or result that cannot cross threads by its index', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1 });
    const inputs: unknown[] = [1, 2, 3, 4, 5, 6];
    inputs[4] = { n: 5, fn: () => 5 };
    const unsent = await mod.map('square', inputs as number[], { chunkSize: 2 }).catch((error: unknown) => error);
    expect(HotError.is(unsent, 'ERR_HOT_CLONE')).toBe(true);
    expect((unsent as HotError).path).toBe('inputs[4].fn');
    expect((unsent as HotError).message).toMatch(/input 4 of map\('square'\)/);
    // The clone's own failure is the cause, not the chunk's error.
    expect((unsent as HotError).cause).toMatchObject({ name: 'DataCloneError' });
    // Second in its chunk, the input is still named by its index in the whole map.
    const second: unknown[] = [1, 2, 3, 4, 5, 6];
    second[5] = { n: 6, fn: () => 6 };
    await expect(mod.map('square', second as number[], { chunkSize: 2 })).rejects.toMatchObject({
      code: 'ERR_HOT_CLONE',
      path: 'inputs[5].fn',
      message: expect.stringMatching(/^Cannot send input 5 of map\('square'\) to a worker: inputs\[5\]\.fn is a function/),
    });

    const unreturned = await mod.map('badResult', [1, 2, 3, 4], { chunkSize: 2 }).catch((error: unknown) => error);
    expect(HotError.is(unreturned, 'ERR_HOT_CLONE')).toBe(true);
    expect((unreturned as HotError).path).toBe('results[2].keep');
    // Settling, that result fails alone, with the error a call of it would get.
    const returned = await mod.map('badResult', [1, 2, 3, 4], { chunkSize: 2, settle: true });
    expect(returned.map((entry) => entry.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((returned[2] as PromiseRejectedResult).reason).toMatchObject({
      code: 'ERR_HOT_CLONE',
      fn: 'badResult',
      version: 1,
      path: 'results[2].keep',
      message: expect.stringMatching(/^badResult\(\) returned a value that cannot cross threads/),
    });

    // Settling, only the input that cannot be sent fails; its chunk's neighbours run, each once.
    const done: number[] = [];
    const settled = await mod.map('square', inputs as number[], { chunkSize: 2, settle: true, onProgress: (count) => done.push(count) });
    expect(Math.max(...done)).toBe(6);
    expect(settled.map((entry) => entry.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(settled[5]).toEqual({ status: 'fulfilled', value: 36 });
    expect((settled[4] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_HOT_CLONE', path: 'inputs[4].fn' });
  });

  it('reports progress after each chunk, ending at the total', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    const seen: Array<[number, number | undefined]> = [];
    await mod.map(
      'square',
      Array.from({ length: 95 }, (_, i) => i),
      { chunkSize: 10, onProgress: (done, total) => seen.push([done, total]) },
    );
    expect(seen).toHaveLength(10);
    // Chunks may finish out of order (the short last one can beat the one before it), so only the sum is fixed.
    const done = seen.map(([count]) => count);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(95);
    expect(done.every((count, i) => count - (done[i - 1] ?? 0) === 10 || count - (done[i - 1] ?? 0) === 5)).toBe(true);
    expect(new Set(seen.map(([, total]) => total))).toEqual(new Set([95]));

    const thrown = new Error('progress listener failed');
    const failing = mod.map('square', [1, 2, 3, 4], {
      chunkSize: 1,
      onProgress: () => {
        throw thrown;
      },
    });
    await expect(failing).rejects.toBe(thrown);
  });

  it('refuses what it cannot map, with a coded error', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1 });
    const untyped = mod as unknown as { map(name: string, inputs: unknown, options?: unknown): Promise<unknown> };
    // Refused before any input is read, as call() refuses: an empty input too, and the message names what is exported.
    for (const inputs of [[1], []]) {
      await expect(untyped.map('nope', inputs)).rejects.toMatchObject({
        code: 'ERR_HOT_NO_EXPORT',
        fn: 'nope',
        message: expect.stringMatching(/^nope is not an exported function of .*map\.ts \(version 1\); exported functions: .*square/),
      });
      await expect(untyped.map('numbers', inputs)).rejects.toMatchObject({
        code: 'ERR_HOT_CALL_KIND',
        fn: 'numbers',
        message: expect.stringContaining("numbers is a generator function of version 1: read its values with stream('numbers'"),
      });
    }
    // A string is iterable, but by characters: refused, as every other input that is not a collection.
    for (const inputs of [42, 'abc', null, {}, { length: 2 }]) {
      await expect(untyped.map('square', inputs)).rejects.toMatchObject({
        code: 'ERR_HOT_INVALID_OPTION',
        message: expect.stringMatching(/^Expected the inputs of map\('square'\) to be an array, an iterable or an async iterable, got /),
      });
    }
    const refused: Array<[unknown, RegExp]> = [
      [null, /^Expected `options` to be an object/],
      [{ chunkSize: 0 }, /`chunkSize`/],
      [{ chunkSize: 2.5 }, /`chunkSize`/],
      [{ chunk: 5 }, /^Unknown map option `chunk`/],
      [{ timeout: -1 }, /`timeout`/],
      [{ signal: { aborted: false } }, /^Expected `signal` to be an AbortSignal, got /],
      [{ onProgress: 'yes' }, /^Expected `onProgress` to be a function, got `yes`/],
      [{ settle: 1 }, /^Expected `settle` to be a boolean, got `1`/],
    ];
    for (const [options, message] of refused) {
      await expect(untyped.map('square', [1], options), JSON.stringify(options)).rejects.toMatchObject({
        code: 'ERR_HOT_INVALID_OPTION',
        message: expect.stringMatching(message),
      });
    }
    const broken = {
      *[Symbol.iterator]() {
        yield 1;
        throw new Error('source broke');
      },
    };
    await expect(mod.map('square', broken)).rejects.toThrow('source broke');
    // Its iterator method read once to check it, and throwing the next time: still a rejection, never a throw.
    let reads = 0;
    const flaky = {
      get [Symbol.iterator]() {
        if (++reads > 1) throw new Error('iterator getter broke');
        return [1][Symbol.iterator];
      },
    };
    await expect(mod.map('square', flaky)).rejects.toThrow('iterator getter broke');
    await mod.close();
    await expect(mod.map('square', [1])).rejects.toMatchObject({
      code: 'ERR_HOT_CLOSED',
      fn: 'square',
      message: `Cannot map square(): the module ${mod.entry} is closed`,
    });
  });
});
