import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

/** Each chunk's size, as onProgress tells them (chunks may end out of order: sorted, largest first). */
function chunks(progress: Array<[number, number | undefined]>): number[] {
  return progress.map(([done], i) => done - (progress[i - 1]?.[0] ?? 0)).sort((a, b) => b - a);
}

async function mapped(inputs: Iterable<number> | AsyncIterable<number>, threads: number, chunkSize?: number) {
  const ws = workspace();
  const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads });
  const progress: Array<[number, number | undefined]> = [];
  const results = await mod.map('square', inputs, {
    onProgress: (done, total) => progress.push([done, total]),
    ...(chunkSize === undefined ? {} : { chunkSize }),
  });
  return { results, progress };
}

async function* counting(n: number) {
  for (let i = 0; i < n; i++) yield i;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('map() chunk sizes', () => {
  it('splits n inputs on t threads into chunks of n / 4t by default', async () => {
    const { results, progress } = await mapped(range(80), 2);
    expect(chunks(progress)).toEqual(Array(8).fill(10));
    expect(results).toEqual(range(80).map((n) => n * n));
    // One thread, 3 inputs: chunks of one.
    expect(chunks((await mapped(range(3), 1)).progress)).toEqual([1, 1, 1]);
  });

  it('sends chunks of at most 4,096 inputs by default', async () => {
    const { results, progress } = await mapped(range(100_000), 2);
    expect(chunks(progress)).toEqual([...Array(24).fill(4_096), 100_000 - 24 * 4_096]);
    expect(results).toHaveLength(100_000);
    expect(results[99_999]).toBe(99_999 ** 2);
  });

  it('fills chunks of 256 from an async input by default, the last one with what is left', async () => {
    const { results, progress } = await mapped(counting(600), 2);
    expect(chunks(progress)).toEqual([256, 256, 88]);
    expect(progress.at(-1)).toEqual([600, 600]);
    expect(results).toEqual(range(600).map((n) => n * n));
  });

  it('sends an async input of a whole number of chunks with no empty chunk after it', async () => {
    const { progress } = await mapped(counting(14), 2, 7);
    expect(chunks(progress)).toEqual([7, 7]);
  });

  it('knows the total of any sync iterable from the start', async () => {
    // More chunks than are sent at once: the first ones end while the rest wait to be sent.
    const { progress } = await mapped(new Set(range(12)), 2, 1);
    expect(progress.map(([, total]) => total)).toEqual(Array(12).fill(12));
  });
});
